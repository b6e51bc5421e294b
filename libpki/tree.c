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
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gnutls/crypto.h>
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
	if (pki_xattr_copy(in, out, qpath, cp->err) != 0 ||
	    keep_attrs(out, st, qpath, cp->err) != 0)
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

/* A directory open at fd, to be listed from its start. */
static DIR *
open_listing(int fd, const char *path, const char *rel, struct pki_err *err)
{
	char q[PKI_QPATH_MAX];
	DIR *dh = NULL;
	int dfd;

	if ((dfd = dup(fd)) < 0 || (dh = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			(void)close(dfd);
		pki_err_set(err, PKI_E_IO, "directory '%s': cannot list: %s", qjoin(path, rel, q),
			strerror(errno));
		return NULL;
	}
	rewinddir(dh); /* the dup shares its offset with fd */
	return dh;
}

/*
 * The next entry of a directory walked (open at fd, listed by dh, rel in
 * the tree whose top is path): 1 with *de, its path inside the tree (*crel,
 * allocated; the previous one freed) and its lstat; 0 at the end; -1 with
 * err. What opt->skip() names is passed over; each entry counts against
 * opt->max_entries (*entries so far).
 */
static int
next_entry(DIR *dh, int fd, const char *path, const char *rel,
	const struct pki_tree_copy *opt, size_t *entries, struct dirent **de, char **crel,
	struct stat *st, struct pki_err *err)
{
	char q[PKI_QPATH_MAX];
	const char *n;

	for (;;) {
		errno = 0;
		if ((*de = readdir(dh)) == NULL) {
			if (errno == 0)
				return 0;
			return pki_err_set(err, PKI_E_IO, "directory '%s': cannot list: %s",
				qjoin(path, rel, q), strerror(errno));
		}
		n = (*de)->d_name;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		free(*crel);
		*crel = NULL;
		if (rel[0] == '\0' ? (*crel = strdup(n)) == NULL :
				     asprintf(crel, "%s/%s", rel, n) < 0) {
			*crel = NULL;
			return pki_err_nomem(err);
		}
		if (opt->skip != NULL && opt->skip(*crel, opt->arg))
			continue;
		if (++*entries > opt->max_entries)
			return pki_err_set(err, PKI_E_LIMIT, "directory '%s': more than %zu entries",
				path, opt->max_entries);
		if (fstatat(fd, n, st, AT_SYMLINK_NOFOLLOW) != 0)
			return pki_err_set(err, PKI_E_IO, "'%s': cannot stat: %s",
				qjoin(path, *crel, q), strerror(errno));
		return 1;
	}
}

static int
copy_dir(struct copy *cp, int sfd, const char *spath, int dfd, const char *dpath,
	const char *rel, unsigned depth)
{
	char *crel = NULL, q[PKI_QPATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dh;
	int r, csfd = -1, cdfd = -1, ret = -1;

	if ((dh = open_listing(sfd, spath, rel, cp->err)) == NULL)
		return -1;
	while ((r = next_entry(dh, sfd, spath, rel, cp->opt, &cp->entries, &de, &crel, &st,
			cp->err)) > 0) {
		const char *n = de->d_name;

		qjoin(spath, crel, q);
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
			if (pki_xattr_copy(csfd, cdfd, q, cp->err) != 0 ||
			    keep_attrs(cdfd, &st, q, cp->err) != 0)
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
	if (r < 0)
		goto out;
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

int
pki_xattr_copy(int from, int to, const char *what, struct pki_err *err)
{
	char names[8192], *n;
	unsigned char val[16384];
	ssize_t len, vlen;
	int ret = -1;

	len = flistxattr(from, names, sizeof(names));
	if (len < 0 && (errno == ENOTSUP || errno == ENOSYS))
		return 0;
	if (len < 0)
		return pki_err_set(err, PKI_E_IO, "'%s': cannot list its extended attributes: %s",
			what, strerror(errno));
	for (n = names; n < names + len; n += strlen(n) + 1) {
		vlen = fgetxattr(from, n, val, sizeof(val));
		if (vlen < 0) {
			pki_err_set(err, PKI_E_IO, "'%s': cannot read its extended attribute '%s': "
				"%s", what, n, strerror(errno));
			goto out;
		}
		if (fsetxattr(to, n, val, (size_t)vlen, 0) != 0) {
			pki_err_set(err, PKI_E_IO, "'%s': cannot give its copy the extended "
				"attribute '%s': %s", what, n, strerror(errno));
			goto out;
		}
	}
	ret = 0;
out:
	gnutls_memset(val, 0, sizeof(val));
	return ret;
}

struct stamp {
	const struct pki_tree_copy *opt;
	struct pki_err *err;
	unsigned char acc[32];
	size_t entries;
};

static int
stamp_dir(struct stamp *sp, int fd, const char *path, const char *rel, unsigned depth)
{
	char *crel = NULL, q[PKI_QPATH_MAX];
	unsigned char h[32];
	struct pki_buf line = { 0 };
	struct dirent *de;
	struct stat st;
	DIR *dh;
	size_t i;
	int r, cfd = -1, ret = -1;

	if ((dh = open_listing(fd, path, rel, sp->err)) == NULL)
		return -1;
	while ((r = next_entry(dh, fd, path, rel, sp->opt, &sp->entries, &de, &crel, &st,
			sp->err)) > 0) {
		const char *n = de->d_name;

		pki_buf_free(&line);
		if (pki_buf_printf(&line, sp->err, "%s%c%o %ju %jd %u %u %jd.%ld %jd.%ld",
			    crel, 0, (unsigned)st.st_mode, (uintmax_t)st.st_ino, (intmax_t)st.st_size,
			    (unsigned)st.st_uid, (unsigned)st.st_gid, (intmax_t)st.st_mtim.tv_sec,
			    st.st_mtim.tv_nsec, (intmax_t)st.st_ctim.tv_sec,
			    st.st_ctim.tv_nsec) != 0)
			goto out;
		if (gnutls_hash_fast(GNUTLS_DIG_SHA256, line.data, line.len, h) != 0) {
			pki_err_set(sp->err, PKI_E_CRYPTO, "'%s': cannot hash", path);
			goto out;
		}
		for (i = 0; i < sizeof(h); i++)
			sp->acc[i] ^= h[i];
		if (!S_ISDIR(st.st_mode))
			continue;
		if (depth >= sp->opt->max_depth) {
			pki_err_set(sp->err, PKI_E_LIMIT, "'%s': deeper than %u directories",
				qjoin(path, crel, q), sp->opt->max_depth);
			goto out;
		}
		cfd = openat(fd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			pki_err_set(sp->err, PKI_E_IO, "'%s': cannot open: %s", qjoin(path, crel, q),
				strerror(errno));
			goto out;
		}
		if (stamp_dir(sp, cfd, path, crel, depth + 1) != 0)
			goto out;
		(void)close(cfd);
		cfd = -1;
	}
	if (r < 0)
		goto out;
	ret = 0;
out:
	if (cfd >= 0)
		(void)close(cfd);
	(void)closedir(dh);
	pki_buf_free(&line);
	free(crel);
	return ret;
}

int
pki_tree_stamp(int fd, const char *path, const struct pki_tree_copy *opt,
	unsigned char out[32], struct pki_err *err)
{
	struct stamp sp;
	char n[32];
	size_t i;

	memset(&sp, 0, sizeof(sp));
	sp.opt = opt;
	sp.err = err;
	memset(out, 0, 32);
	if (stamp_dir(&sp, fd, path, "", 0) != 0)
		return -1;
	/* and how many: an entry XORed in twice would cancel out otherwise */
	(void)snprintf(n, sizeof(n), "%zu", sp.entries);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, n, strlen(n), out) != 0)
		return pki_err_set(err, PKI_E_CRYPTO, "'%s': cannot hash", path);
	for (i = 0; i < 32; i++)
		out[i] ^= sp.acc[i];
	return 0;
}

int
pki_dir_lock(const char *dir, int shared, int *fd, struct pki_err *err)
{
	char q[PKI_QPATH_MAX];
	int e;

	pki_path_quote(dir, q, sizeof(q));
	*fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return errno == ENOENT ? 0 : pki_err_set(err, PKI_E_IO,
			"directory '%s': cannot open: %s", q, strerror(errno));
	if (flock(*fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
		return 0;
	e = errno;
	(void)close(*fd);
	*fd = -1;
	if (e == EWOULDBLOCK)
		return pki_err_set(err, PKI_E_EXISTS, "directory '%s': another kpki-csr or "
			"kpki-kubeconfig is at work in it; try again once it has finished", q);
	return pki_err_set(err, PKI_E_IO, "directory '%s': cannot lock: %s", q, strerror(e));
}

/* The real path of the directory that holds path (which need not exist);
 * "" when that cannot be found. */
static void
real_parent(const char *path, char out[PATH_MAX])
{
	char buf[PATH_MAX], *slash;

	out[0] = '\0';
	if (realpath(path, out) != NULL) {
		slash = strrchr(out, '/');
		slash[slash == out] = '\0';
		return;
	}
	if (strlen(path) >= sizeof(buf))
		return;
	strcpy(buf, path);
	while ((slash = strrchr(buf, '/')) != NULL && slash[1] == '\0' && slash != buf)
		*slash = '\0';
	slash = strrchr(buf, '/');
	if (slash == NULL)
		strcpy(buf, ".");
	else
		slash[slash == buf] = '\0';
	if (realpath(buf, out) == NULL)
		out[0] = '\0';
}

int
pki_pki_lock(const char *cert_dir, const char *kc_dir, const char *kubelet_dir, int shared,
	int fds[3], struct pki_err *err)
{
	char d[3][PATH_MAX];
	int i, j;

	fds[0] = fds[1] = fds[2] = -1;
	real_parent(cert_dir, d[0]);
	if (kc_dir == NULL || realpath(kc_dir, d[1]) == NULL)
		d[1][0] = '\0';
	if (kubelet_dir != NULL)
		real_parent(kubelet_dir, d[2]);
	else
		d[2][0] = '\0';
	for (i = 0; i < 3; i++) {
		for (j = 0; j < i && strcmp(d[i], d[j]) != 0; j++)
			;
		if (d[i][0] == '\0' || j < i)
			continue; /* none, or locked already */
		if (pki_dir_lock(d[i], shared, &fds[i], err) != 0) {
			for (j = 0; j < i; j++)
				if (fds[j] >= 0)
					(void)close(fds[j]);
			fds[0] = fds[1] = fds[2] = -1;
			return -1;
		}
	}
	return 0;
}
