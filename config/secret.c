/*
 * secret.c - keys given inline or as "file:PATH" (config/secret.h). The
 * configuration keeps the text as written, so that a saved configuration
 * names the file again instead of copying the key out of it; the loader
 * checks the file once, and katod reads it each time it applies the
 * configuration (start, reload, a live change), so a rotated key file
 * takes effect at the next reload.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/crypto.h>

#include "config/secret.h"

static int read_key_file(const char *path, char **out, const char **why)
{
	if (path[0] != '/') {
		*why = "the path of a key file must be absolute";
		return -EINVAL;
	}
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		*why = e == ELOOP ? "the key file is a symbolic link" : e == ENOENT ? "no such key file"
		       : e == EACCES ? "the key file cannot be read (permission denied)" : "the key file cannot be opened";
		return -e;
	}
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		*why = "the key file cannot be examined";
	} else if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		*why = "the key file is not a regular file";
	} else if (st.st_mode & 077) {
		rc = -EPERM;
		*why = "the key file may be read or written by group or others (chmod 600 it)";
	} else if (st.st_uid != geteuid() && st.st_uid != 0) {
		rc = -EPERM;
		*why = "the key file belongs to another user";
	} else if (st.st_size > KT_SECRET_FILE_MAX) {
		rc = -EFBIG;
		*why = "the key file is too large for one key";
	}
	if (rc) {
		close(fd);
		return rc;
	}
	char *buf = calloc(1, KT_SECRET_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t n = 0;
	while (n < KT_SECRET_FILE_MAX) {
		ssize_t r = read(fd, buf + n, KT_SECRET_FILE_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			*why = "the key file cannot be read";
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	while (!rc && n && strchr(" \t\r\n", buf[n - 1]))
		buf[--n] = '\0';
	if (!rc && (!n || memchr(buf, '\0', n) || strpbrk(buf, "\r\n"))) {
		rc = -EINVAL;
		*why = n ? "the key file holds more than one line" : "the key file is empty";
	}
	if (rc) {
		OPENSSL_cleanse(buf, KT_SECRET_FILE_MAX + 1);
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

int kt_config_secret(const char *text, char **out, const char **why)
{
	static const char *unused;
	if (!why)
		why = &unused;
	*out = NULL;
	*why = NULL;
	size_t pl = strlen(KT_SECRET_FILE_PREFIX);
	if (!strncmp(text, KT_SECRET_FILE_PREFIX, pl))
		return read_key_file(text + pl, out, why);
	*out = strdup(text);
	return *out ? 0 : -ENOMEM;
}

void kt_config_secret_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}
