/*
 * tree.c — copying and removing directory trees without following links,
 * for swapping a whole directory in at once.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include <pki/file.h>

#include "internal.h"

struct copy {
	const struct pki_tree_copy *opt;
	struct pki_err *err;
	size_t entries, bytes;
};

static const char *
qjoin(const char *dir, const char *rel, char *out)
{
	char buf[2 * PKI_QPATH_MAX];

	(void)snprintf(buf, sizeof(buf), "%s/%s", dir, rel);
	pki_path_quote(buf, out, PKI_QPATH_MAX);
	return out;
}

/* The owner, mode and times of st onto the open fd. */
static int
keep_attrs(int fd, const struct stat *st, const char *qpath, struct pki_err *err)
{
	struct timespec t[2];

	if ((st->st_uid != geteuid() || st->st_gid != getegid()) &&
	    fchown(fd, st->st_uid, st->st_gid) != 0)
		return pki_err_set(err, PKI_E_PERM, "'%s': cannot keep its owner %u:%u in the "
			"copy: %s", qpath, (unsigned)st->st_uid, (unsigned)st->st_gid,
			strerror(errno));
	/* after chown, which may clear set-id bits */
	if (fchmod(fd, st->st_mode & 07777) != 0)
		return pki_err_set(err, PKI_E_IO, "'%s': cannot set its mode in the copy: %s",
			qpath, strerror(errno));
	t[0] = st->st_atim;
	t[1] = st->st_mtim;
	if (futimens(fd, t) != 0)
		return pki_err_set(err, PKI_E_IO, "'%s': cannot set its times in the copy: %s",
			qpath, strerror(errno));
	return 0;
}

static int
copy_file(struct copy *cp, int sfd, int dfd, const char *name, const struct stat *st,
	const char *qpath)
{
	unsigned char chunk[16384];
	struct stat now;
	ssize_t r;
	int in = -1, out = -1, ret = -1;

	in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (in < 0) {
		pki_err_set(cp->err, PKI_E_IO, "'%s': cannot open: %s", qpath, strerror(errno));
		goto out;
	}
	if (fstat(in, &now) != 0 || !S_ISREG(now.st_mode) || now.st_ino != st->st_ino) {
		pki_err_set(cp->err, PKI_E_IO, "'%s': changed while being copied", qpath);
		goto out;
	}
	/* private until the data is in: its mode and owner come last */
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		pki_err_set(cp->err, PKI_E_IO, "'%s': cannot create its copy: %s", qpath,
			strerror(errno));
		goto out;
	}
	for (;;) {
		r = read(in, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			pki_err_set(cp->err, PKI_E_IO, "'%s': cannot read: %s", qpath,
				strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if ((size_t)r > cp->opt->max_bytes - cp->bytes) {
			pki_err_set(cp->err, PKI_E_LIMIT, "'%s': the tree holds more than %zu "
				"bytes", qpath, cp->opt->max_bytes);
			goto out;
		}
		cp->bytes += (size_t)r;
		if (pki_write_all(out, chunk, (size_t)r, qpath, cp->err) != 0)
			goto out;
	}
	if (keep_attrs(out, st, qpath, cp->err) != 0)
		goto out;
	if (fsync(out) != 0) {
		pki_err_set(cp->err, PKI_E_IO, "'%s': cannot sync its copy: %s", qpath,
			strerror(errno));
		goto out;
	}
	ret = 0;
out:
	gnutls_memset(chunk, 0, sizeof(chunk));
	if (in >= 0)
		(void)close(in);
	if (out >= 0 && close(out) != 0 && ret == 0)
		ret = pki_err_set(cp->err, PKI_E_IO, "'%s': cannot close its copy: %s", qpath,
			strerror(errno));
	return ret;
}

static int
copy_link(struct copy *cp, int sfd, int dfd, const char *name, const struct stat *st,
	const char *qpath)
{
	char target[PATH_MAX + 1];
	struct timespec t[2];
	ssize_t n;

	n = readlinkat(sfd, name, target, sizeof(target));
	if (n < 0 || (size_t)n >= sizeof(target))
		return pki_err_set(cp->err, PKI_E_IO, "'%s': cannot read the link: %s", qpath,
			n < 0 ? strerror(errno) : "too long");
	target[n] = '\0';
	if (symlinkat(target, dfd, name) != 0)
		return pki_err_set(cp->err, PKI_E_IO, "'%s': cannot copy the link: %s", qpath,
			strerror(errno));
	if ((st->st_uid != geteuid() || st->st_gid != getegid()) &&
	    fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) != 0)
		return pki_err_set(cp->err, PKI_E_PERM, "'%s': cannot keep its owner in the "
			"copy: %s", qpath, strerror(errno));
	t[0] = st->st_atim;
	t[1] = st->st_mtim;
	(void)utimensat(dfd, name, t, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int
copy_dir(struct copy *cp, int sfd, const char *spath, int dfd, const char *dpath,
	const char *rel, unsigned depth)
{
	char *crel = NULL, q[PKI_QPATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dh = NULL;
	int fd, csfd = -1, cdfd = -1, ret = -1;

	if ((fd = dup(sfd)) < 0 || (dh = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			(void)close(fd);
		return pki_err_set(cp->err, PKI_E_IO, "directory '%s': cannot list: %s",
			qjoin(spath, rel, q), strerror(errno));
	}
	rewinddir(dh); /* the dup shares its offset with sfd */
	for (errno = 0; (de = readdir(dh)) != NULL; errno = 0) {
		const char *n = de->d_name;

		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		free(crel);
		crel = NULL;
		if (rel[0] == '\0' ? (crel = strdup(n)) == NULL :
				     asprintf(&crel, "%s/%s", rel, n) < 0) {
			crel = NULL;
			pki_err_nomem(cp->err);
			goto out;
		}
		if (cp->opt->skip != NULL && cp->opt->skip(crel, cp->opt->arg))
			continue;
		qjoin(spath, crel, q);
		if (++cp->entries > cp->opt->max_entries) {
			pki_err_set(cp->err, PKI_E_LIMIT, "directory '%s': more than %zu entries",
				spath, cp->opt->max_entries);
			goto out;
		}
		if (fstatat(sfd, n, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			pki_err_set(cp->err, PKI_E_IO, "'%s': cannot stat: %s", q, strerror(errno));
			goto out;
		}
		if (cp->opt->dry && S_ISREG(st.st_mode)) {
			if ((uintmax_t)st.st_size > cp->opt->max_bytes - cp->bytes) {
				pki_err_set(cp->err, PKI_E_LIMIT, "'%s': the tree holds more than "
					"%zu bytes", q, cp->opt->max_bytes);
				goto out;
			}
			cp->bytes += (size_t)st.st_size;
		} else if (cp->opt->dry && S_ISLNK(st.st_mode)) {
			;
		} else if (S_ISREG(st.st_mode)) {
			if (copy_file(cp, sfd, dfd, n, &st, q) != 0)
				goto out;
		} else if (S_ISLNK(st.st_mode)) {
			if (copy_link(cp, sfd, dfd, n, &st, q) != 0)
				goto out;
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= cp->opt->max_depth) {
				pki_err_set(cp->err, PKI_E_LIMIT, "'%s': deeper than %u directories",
					q, cp->opt->max_depth);
				goto out;
			}
			if (!cp->opt->dry && mkdirat(dfd, n, 0700) != 0) {
				pki_err_set(cp->err, PKI_E_IO, "'%s': cannot create its copy: %s", q,
					strerror(errno));
				goto out;
			}
			csfd = openat(sfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (!cp->opt->dry)
				cdfd = openat(dfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (csfd < 0 || (!cp->opt->dry && cdfd < 0)) {
				pki_err_set(cp->err, PKI_E_IO, "'%s': cannot open: %s", q,
					strerror(errno));
				goto out;
			}
			if (copy_dir(cp, csfd, spath, cdfd, dpath, crel, depth + 1) != 0)
				goto out;
			if (cp->opt->dry) {
				(void)close(csfd);
				csfd = -1;
				continue;
			}
			/* the times last: filling it changed them */
			if (keep_attrs(cdfd, &st, q, cp->err) != 0)
				goto out;
			if (fsync(cdfd) != 0) {
				pki_err_set(cp->err, PKI_E_IO, "'%s': cannot sync its copy: %s",
					q, strerror(errno));
				goto out;
			}
			(void)close(csfd);
			(void)close(cdfd);
			csfd = cdfd = -1;
		} else {
			pki_err_set(cp->err, PKI_E_INVALID, "'%s': not a file, directory or "
				"symbolic link; cannot copy it", q);
			goto out;
		}
	}
	if (errno != 0) {
		pki_err_set(cp->err, PKI_E_IO, "directory '%s': cannot list: %s",
			qjoin(spath, rel, q), strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (csfd >= 0)
		(void)close(csfd);
	if (cdfd >= 0)
		(void)close(cdfd);
	(void)closedir(dh);
	free(crel);
	return ret;
}

int
pki_tree_copyat(int sfd, const char *spath, int dfd, const char *dpath,
	const struct pki_tree_copy *opt, struct pki_err *err)
{
	struct copy cp = { opt, err, 0, 0 };
	char q[PKI_QPATH_MAX];

	if (copy_dir(&cp, sfd, spath, dfd, dpath, "", 0) != 0)
		return -1;
	if (!opt->dry && fsync(dfd) != 0) {
		pki_path_quote(dpath, q, sizeof(q));
		return pki_err_set(err, PKI_E_IO, "directory '%s': cannot sync: %s", q,
			strerror(errno));
	}
	return 0;
}

int
pki_file_createat(int dfd, const char *dir, const char *name, const void *data, size_t len,
	mode_t mode, struct pki_err *err)
{
	char q[PKI_QPATH_MAX];
	int fd, ret = -1;

	qjoin(dir, name, q);
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return pki_err_set(err, PKI_E_IO, "'%s': cannot create: %s", q, strerror(errno));
	if (fchmod(fd, mode) != 0)
		pki_err_set(err, PKI_E_IO, "'%s': cannot set mode: %s", q, strerror(errno));
	else if (pki_write_all(fd, data, len, q, err) != 0)
		;
	else if (fsync(fd) != 0)
		pki_err_set(err, PKI_E_IO, "'%s': cannot sync: %s", q, strerror(errno));
	else
		ret = 0;
	if (close(fd) != 0 && ret == 0)
		ret = pki_err_set(err, PKI_E_IO, "'%s': cannot close: %s", q, strerror(errno));
	return ret;
}

void
pki_tree_removeat(int dfd, const char *name, unsigned max_depth)
{
	struct dirent *de;
	struct stat st;
	DIR *dh;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP)
			(void)unlinkat(dfd, name, 0);
		return;
	}
	if ((dh = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return;
	}
	while ((de = readdir(dh)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (!S_ISDIR(st.st_mode))
			(void)unlinkat(fd, de->d_name, 0);
		else if (max_depth > 0)
			pki_tree_removeat(fd, de->d_name, max_depth - 1);
	}
	(void)fsync(fd);
	(void)closedir(dh);
	(void)unlinkat(dfd, name, AT_REMOVEDIR);
}
