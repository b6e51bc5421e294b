/* file.c — reading hostile files, writing files atomically. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include <pki/cert.h>

#include "internal.h"

void
pki_buf_free(struct pki_buf *buf)
{
	if (buf == NULL)
		return;
	pki_freezero(buf->data, buf->cap);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

/* Grows buf to hold need bytes plus a NUL; moves through a wiped copy so
 * that key material never lingers in a freed block. */
static int
buf_reserve(struct pki_buf *buf, size_t need, struct pki_err *err)
{
	unsigned char *nd;
	size_t ncap;

	if (need >= SIZE_MAX / 2)
		return pki_err_nomem(err);
	if (need + 1 <= buf->cap)
		return 0;
	ncap = buf->cap ? buf->cap : 256;
	while (ncap < need + 1)
		ncap *= 2;
	nd = malloc(ncap);
	if (nd == NULL)
		return pki_err_nomem(err);
	if (buf->data != NULL)
		memcpy(nd, buf->data, buf->len);
	pki_freezero(buf->data, buf->cap);
	buf->data = nd;
	buf->cap = ncap;
	return 0;
}

int
pki_buf_append(struct pki_buf *buf, const void *data, size_t len, struct pki_err *err)
{
	if (buf_reserve(buf, buf->len + len, err) != 0)
		return -1;
	if (len > 0)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

int
pki_buf_printf(struct pki_buf *buf, struct pki_err *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return pki_err_set(err, PKI_E_INVALID, "cannot format output");
	if (buf_reserve(buf, buf->len + (size_t)n, err) != 0)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf((char *)buf->data + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
	return 0;
}

static int
read_fd(int fd, const char *path, const char *what, size_t cap, struct pki_buf *out,
	struct pki_err *err)
{
	unsigned char chunk[8192];
	ssize_t r;

	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			pki_err_set(err, PKI_E_IO, "%s '%s': cannot read: %s", what, path,
				strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		if ((size_t)r > cap - out->len) {
			pki_err_set(err, PKI_E_LIMIT, "%s '%s': larger than %zu bytes",
				what, path, cap);
			goto fail;
		}
		if (pki_buf_append(out, chunk, (size_t)r, err) != 0)
			goto fail;
	}
	gnutls_memset(chunk, 0, sizeof(chunk));
	if (out->data == NULL && pki_buf_append(out, "", 0, err) != 0)
		return -1;
	return 0;
fail:
	gnutls_memset(chunk, 0, sizeof(chunk));
	pki_buf_free(out);
	return -1;
}

int
pki_file_read(const char *path, const char *what, size_t cap, unsigned flags,
	struct pki_buf *out, struct pki_err *err)
{
	struct stat st;
	char qpath[PKI_QPATH_MAX];
	int fd = -1, ret = -1, nofollow = (flags & PKI_READ_SECRET) ? O_NOFOLLOW : 0;

	memset(out, 0, sizeof(*out));
	/* names of hostile files must not reach a terminal raw */
	pki_text_sanitize(path, qpath, sizeof(qpath));
	if ((flags & PKI_READ_STDIN) && strcmp(path, "-") == 0)
		return read_fd(STDIN_FILENO, "<stdin>", what, cap, out, err);

	/* a key is never read through a link; certificates and configurations
	 * may be links, as kubeadm follows them */
	fd = open(path, O_RDONLY | nofollow | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ELOOP)
			return pki_err_set(err, PKI_E_IO,
				"%s '%s': is a symbolic link (refused)", what, qpath);
		return pki_err_set(err, errno == ENOENT ? PKI_E_NOTFOUND : PKI_E_IO,
			"%s '%s': cannot open: %s", what, qpath, strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		pki_err_set(err, PKI_E_IO, "%s '%s': cannot stat: %s", what, qpath,
			strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		pki_err_set(err, PKI_E_IO, "%s '%s': is a directory, not a file", what, qpath);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		pki_err_set(err, PKI_E_IO, "%s '%s': not a regular file", what, qpath);
		goto out;
	}
	if ((uintmax_t)st.st_size > cap) {
		pki_err_set(err, PKI_E_LIMIT, "%s '%s': %jd bytes, larger than the %zu allowed",
			what, qpath, (intmax_t)st.st_size, cap);
		goto out;
	}
	/* another user's key: whoever owns it can swap it under us (OpenSSH
	 * refuses it too) */
	if ((flags & PKI_READ_SECRET) && st.st_uid != geteuid()) {
		pki_err_set(err, PKI_E_PERM,
			"%s '%s': owned by uid %u, not by uid %u who reads it; "
			"fix with: chown %u '%s'",
			what, qpath, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(),
			qpath);
		goto out;
	}
	if ((flags & PKI_READ_SECRET) && (st.st_mode & 077) != 0) {
		pki_err_set(err, PKI_E_PERM,
			"%s '%s': mode %04o lets group or others access a private key; "
			"fix with: chmod 600 '%s'",
			what, qpath, (unsigned)(st.st_mode & 07777), qpath);
		goto out;
	}
	/* O_NONBLOCK only guarded the open against FIFOs */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	ret = read_fd(fd, path, what, cap, out, err);
out:
	close(fd);
	return ret;
}

void
pki_path_quote(const char *path, char *out, size_t cap)
{
	pki_text_sanitize(path, out, cap);
}

int
pki_file_exists(const char *path, struct pki_err *err)
{
	char qpath[PKI_QPATH_MAX];
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	pki_text_sanitize(path, qpath, sizeof(qpath));
	return pki_err_set(err, PKI_E_IO, "'%s': cannot stat: %s", qpath, strerror(errno));
}

int
pki_path_join(char **out, const char *dir, const char *rel, struct pki_err *err)
{
	size_t dl = strlen(dir), rl = strlen(rel);
	char *p;

	*out = NULL;
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if (dl + 1 + rl + 1 > PATH_MAX)
		return pki_err_set(err, PKI_E_LIMIT, "path '%s/%s': too long", dir, rel);
	p = malloc(dl + 1 + rl + 1);
	if (p == NULL)
		return pki_err_nomem(err);
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, rel, rl + 1);
	*out = p;
	return 0;
}

/* Splits path into a directory (".", or the part before the last '/') and
 * the final name; both are copied into caller buffers of PATH_MAX. */
static int
split_path(const char *path, char *dir, char *base, struct pki_err *err)
{
	const char *slash = strrchr(path, '/');
	size_t dl;

	if (strlen(path) >= PATH_MAX)
		return pki_err_set(err, PKI_E_LIMIT, "path '%s': too long", path);
	if (slash == NULL) {
		strcpy(dir, ".");
		strcpy(base, path);
	} else {
		dl = (size_t)(slash - path);
		if (dl == 0)
			dl = 1; /* "/name" */
		memcpy(dir, path, dl);
		dir[dl] = '\0';
		strcpy(base, slash + 1);
	}
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return pki_err_set(err, PKI_E_USAGE, "path '%s': does not name a file", path);
	return 0;
}

int
pki_mkdirs(const char *dir, mode_t mode, struct pki_names *created, struct pki_err *err)
{
	char tmp[PATH_MAX], qdir[PKI_QPATH_MAX];
	size_t i, len = strlen(dir);

	pki_text_sanitize(dir, qdir, sizeof(qdir));
	if (len >= sizeof(tmp))
		return pki_err_set(err, PKI_E_LIMIT, "path '%s': too long", qdir);
	memcpy(tmp, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) == 0) {
			if (created != NULL && pki_names_add(created, tmp, err) != 0)
				return -1;
		} else if (errno != EEXIST) {
			pki_text_sanitize(tmp, qdir, sizeof(qdir));
			return pki_err_set(err, PKI_E_IO, "directory '%s': cannot create: %s",
				qdir, strerror(errno));
		}
		if (i < len)
			tmp[i] = '/';
	}
	return 0;
}

/* The body of pki_file_write() and pki_file_writeat(): base is one name in
 * the directory dfd; dir and qpath name them in messages. */
static int
write_at(int dfd, const char *dir, const char *base, const char *qpath, const void *data,
	size_t len, mode_t mode, unsigned flags, struct pki_err *err)
{
	char tmpname[NAME_MAX + 1], qdir[PKI_QPATH_MAX];
	unsigned char rnd[8];
	struct stat st;
	int fd = -1, ret = -1, have_tmp = 0;

	pki_text_sanitize(dir, qdir, sizeof(qdir));
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode)) {
			pki_err_set(err, PKI_E_PERM,
				"'%s': is a symbolic link; refusing to write through or replace it",
				qpath);
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			pki_err_set(err, PKI_E_IO, "'%s': exists and is not a regular file", qpath);
			goto out;
		}
		if (flags & PKI_WRITE_NOREPLACE) {
			pki_err_set(err, PKI_E_EXISTS, "'%s': already exists", qpath);
			goto out;
		}
	}
	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) != 0) {
		pki_err_set(err, PKI_E_CRYPTO, "'%s': no randomness for a temporary name", qpath);
		goto out;
	}
	if (snprintf(tmpname, sizeof(tmpname), ".%.200s.tmp-%02x%02x%02x%02x%02x%02x%02x%02x",
		    base, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
		    rnd[7]) >= (int)sizeof(tmpname)) {
		pki_err_set(err, PKI_E_LIMIT, "'%s': name too long", qpath);
		goto out;
	}
	/* the final mode from the first instant: umask can only narrow it */
	fd = openat(dfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		pki_err_set(err, PKI_E_IO, "'%s': cannot create a temporary file in '%s': %s",
			qpath, qdir, strerror(errno));
		goto out;
	}
	have_tmp = 1;
	/* umask may have narrowed it; a key must never be wider than asked */
	if (fchmod(fd, mode) != 0) {
		pki_err_set(err, PKI_E_IO, "'%s': cannot set mode: %s", qpath, strerror(errno));
		goto out;
	}
	if (pki_write_all(fd, data, len, qpath, err) != 0)
		goto out;
	if (fsync(fd) != 0) {
		pki_err_set(err, PKI_E_IO, "'%s': cannot sync: %s", qpath, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		pki_err_set(err, PKI_E_IO, "'%s': cannot close: %s", qpath, strerror(errno));
		goto out;
	}
	fd = -1;
	if (flags & PKI_WRITE_NOREPLACE) {
		if (renameat2(dfd, tmpname, dfd, base, RENAME_NOREPLACE) != 0) {
			pki_err_set(err, errno == EEXIST ? PKI_E_EXISTS : PKI_E_IO,
				"'%s': %s", qpath,
				errno == EEXIST ? "already exists" : strerror(errno));
			goto out;
		}
	} else if (renameat(dfd, tmpname, dfd, base) != 0) {
		pki_err_set(err, PKI_E_IO, "'%s': cannot rename into place: %s", qpath,
			strerror(errno));
		goto out;
	}
	have_tmp = 0;
	if (fsync(dfd) != 0) {
		pki_err_set(err, PKI_E_IO, "'%s': cannot sync directory '%s': %s", qpath, qdir,
			strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (have_tmp)
		(void)unlinkat(dfd, tmpname, 0);
	return ret;
}

int
pki_file_write(const char *path, const void *data, size_t len, mode_t mode,
	unsigned flags, struct pki_err *err)
{
	char dir[PATH_MAX], base[PATH_MAX], qpath[PKI_QPATH_MAX], qdir[PKI_QPATH_MAX];
	int dfd, ret;

	pki_text_sanitize(path, qpath, sizeof(qpath));
	if (split_path(path, dir, base, err) != 0)
		return -1;
	if ((flags & PKI_WRITE_MKDIRS) && pki_mkdirs(dir, 0755, NULL, err) != 0)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		pki_text_sanitize(dir, qdir, sizeof(qdir));
		return pki_err_set(err, PKI_E_IO, "'%s': cannot open directory '%s': %s",
			qpath, qdir, strerror(errno));
	}
	ret = write_at(dfd, dir, base, qpath, data, len, mode, flags, err);
	close(dfd);
	return ret;
}

int
pki_file_writeat(int dirfd, const char *dir, const char *name, const void *data,
	size_t len, mode_t mode, unsigned flags, struct pki_err *err)
{
	char *path = NULL, qpath[PKI_QPATH_MAX];
	int ret;

	if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		pki_text_sanitize(name, qpath, sizeof(qpath));
		return pki_err_set(err, PKI_E_USAGE, "'%s': not a file name", qpath);
	}
	if (flags & PKI_WRITE_MKDIRS)
		return pki_err_set(err, PKI_E_USAGE, "writing at a directory: cannot make "
			"directories");
	if (pki_path_join(&path, dir, name, err) != 0)
		return -1;
	pki_text_sanitize(path, qpath, sizeof(qpath));
	ret = write_at(dirfd, dir, name, qpath, data, len, mode, flags, err);
	free(path);
	return ret;
}

int
pki_stdio_ensure(struct pki_err *err)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (nfd < 0)
			return pki_err_set(err, PKI_E_IO, "'/dev/null': cannot open: %s",
				strerror(errno));
		if (nfd != fd) {
			/* the lowest free fd is the closed one: cannot happen */
			close(nfd);
			return pki_err_set(err, PKI_E_IO, "cannot reopen standard descriptor %d", fd);
		}
	}
	return 0;
}

int
pki_write_all(int fd, const void *data, size_t len, const char *what, struct pki_err *err)
{
	const unsigned char *p = data;
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return pki_err_set(err, PKI_E_IO, "%s: cannot write: %s", what,
				strerror(errno));
		off += (size_t)w;
	}
	return 0;
}
