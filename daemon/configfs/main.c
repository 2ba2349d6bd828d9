/*
 * main.c - kato-configfs: the Linux kernel target's configfs tree
 * (nvmet/ under /sys/kernel/config) as a FUSE file system backed by a
 * running katod, so that scripts written for nvmet (blktests, hand-made
 * setup scripts) drive katod unchanged. Options, the mount, the loop.
 *
 *   kato-configfs [-s SOCKET] [-f] [--log FILE] MOUNTPOINT
 *
 * The mount point stands for configfs's root: mounted on /sys/kernel/config
 * the paths are the kernel's (/sys/kernel/config/nvmet/...). Mounting
 * there hides the real configfs for as long as it is mounted, which is
 * what a machine that runs katod instead of nvmet wants; any other empty
 * directory works the same for scripts that take the root as a setting.
 *
 * One thread: every operation is a few control RPCs, and serialising them
 * is what nvmet's configuration semaphore does too (ops.c). Run as root,
 * the tree is mounted allow_other with default_permissions, so that other
 * users may read it but, as with configfs, only root may write.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/configfs/log.h"
#include "daemon/configfs/ops.h"
#include "daemon/configfs/pending.h"
#include "daemon/configfs/rpc.h"
#include "daemon/configfs/view.h"

#define DEFAULT_SOCKET "/run/katod/katod.sock"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kato-configfs [-s SOCKET] [-f] [--log FILE] MOUNTPOINT\n"
		"Serves the Linux kernel target's configfs tree (nvmet/) at MOUNTPOINT, backed by\n"
		"katod: mount it on /sys/kernel/config for scripts written for nvmet.\n"
		"  -s, --socket PATH   katod's control socket (default $KATOD_SOCKET, else %s)\n"
		"  -f, --foreground    stay in the foreground (messages on stderr)\n"
		"      --log FILE      append messages to FILE\n"
		"  -h, --help          this text\n"
		"      --version       the version\n"
		"Unmount with: fusermount3 -u MOUNTPOINT (or umount as root). See kato-configfs(8).\n",
		DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' }, { "foreground", no_argument, NULL, 'f' },
		{ "log", required_argument, NULL, 'L' },    { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },      { NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("KATOD_SOCKET");
	const char *logfile = NULL;
	bool foreground = false;
	int c;
	if (!sock || !*sock)
		sock = DEFAULT_SOCKET;
	while ((c = getopt_long(argc, argv, "s:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'f': foreground = true; break;
		case 'L': logfile = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("kato-configfs %s\n", KATO_VERSION); return 0;
		default: usage(stderr); return 64;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 64;
	}
	const char *mnt = argv[optind];
	if (logfile && !freopen(logfile, "a", stderr)) {
		fprintf(stderr, "kato-configfs: %s: %s\n", logfile, strerror(errno));
		return 64;
	}
	if (logfile)
		setvbuf(stderr, NULL, _IOLBF, 0);
	kcfs_rpc_init(sock);

	/* libfuse's options: the name mount(8) shows; open to all readers
	 * when root mounts it (the kernel checks the modes: root writes) */
	char *fargv[] = { argv[0], "-o", "fsname=kato-configfs,subtype=kato-configfs", "-o",
			  "allow_other,default_permissions", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(geteuid() == 0 ? 5 : 3, fargv);
	struct fuse *fuse = fuse_new(&args, &kcfs_ops, sizeof(kcfs_ops), NULL);
	int rc = 71;
	if (!fuse) {
		fprintf(stderr, "kato-configfs: cannot start FUSE\n");
		goto out;
	}
	if (fuse_mount(fuse, mnt) != 0) {
		fprintf(stderr, "kato-configfs: cannot mount on %s\n", mnt);
		goto out_destroy;
	}
	if (fuse_daemonize(foreground) != 0 || fuse_set_signal_handlers(fuse_get_session(fuse)) != 0)
		goto out_unmount;
	if (foreground)
		kcfs_log("serving %s (katod at %s)", mnt, sock);
	rc = fuse_loop(fuse) == 0 ? 0 : 1; /* one thread: see above */
	fuse_remove_signal_handlers(fuse_get_session(fuse));
out_unmount:
	fuse_unmount(fuse);
out_destroy:
	fuse_destroy(fuse);
out:
	fuse_opt_free_args(&args);
	kcfs_view_drop();
	kcfs_pending_free();
	return rc;
}
