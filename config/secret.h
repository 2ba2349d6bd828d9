/*
 * secret.h - a key as the configuration gives it (config/secret.c): the
 * key's own text ("DHHC-1:..", "NVMeTLSkey-1:..") or "file:/absolute/path"
 * naming a file that holds it, so that keys can live outside a
 * configuration file that more people may read. The file must be a regular
 * file of katod's user (or root) that neither group nor others may read or
 * write (mode 0600 or 0400), as ssh insists for private keys: a key file
 * anyone else can read is refused, not used.
 */
#ifndef KATO_CONFIG_SECRET_H
#define KATO_CONFIG_SECRET_H

#include <stddef.h>

#define KT_SECRET_FILE_PREFIX "file:"
/* A key file holds one key (plus trailing white space): at most this much. */
#define KT_SECRET_FILE_MAX 1024

/* The key text of text (a key, or "file:PATH" read now) into *out
 * (malloc'd; the caller wipes and frees it). Returns 0, or -ENOMEM, or a
 * negative errno with *why saying what is wrong with the file (never a byte
 * of its content). */
int kt_config_secret(const char *text, char **out, const char **why);
/* Wipes and frees what kt_config_secret gave. */
void kt_config_secret_free(char *s);

#endif
