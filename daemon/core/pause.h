/*
 * pause.h - stop-the-world for live changes to the target model.
 *
 * kt_workers_pause posts a message to every worker and returns once each
 * one is inside it, waiting at a barrier: from then until
 * kt_workers_resume no worker runs any handler or holds any lock, so the
 * main thread may change the model (ports, subsystems, namespaces) and the
 * controllers' state in place, without the data path ever taking a lock.
 * Main thread only; pauses do not nest.
 */
#ifndef KATO_DAEMON_PAUSE_H
#define KATO_DAEMON_PAUSE_H

/* Returns 0, or a negative errno when a worker could not be reached (then
 * nothing is paused). */
int kt_workers_pause(void);
void kt_workers_resume(void);

#endif
