/*
 * install.c — a signed bundle back into the node's PKI directory.
 *
 * Four phases, so that a failure changes nothing and a crash is finished
 * by running the same install again:
 *   1. check: every entry against its key, its CA and its profile, every
 *      target and directory against links; nothing is written;
 *   2. prepare: the files about to be replaced are copied into a backup
 *      folder (<kubeconfig-dir>/tmp/kpki-backup-<stamp>/, as kubeadm's
 *      own backups), and every new file is written beside its target
 *      under a pending name (".<name>.kpki-new"), each synced; a failure
 *      here removes all of it again;
 *   3. the intent file (<cert-dir>/kpki-staging/kpki-install.intent)
 *      lists the renames and removals still to do, synced;
 *   4. the renames, back to back (for a pair: key, then certificate), and
 *      the intent file is removed.
 * A rerun that finds the intent file of the same bundle carries out what
 * it lists (a rename whose source is gone was done) before checking
 * anything; entries found in place are reported and skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <pki/install.h>
#include <pki/kubeconfig.h>
#include <pki/pkidir.h>
#include <pki/request.h>

#include "internal.h"

#define INTENT_NAME	PKI_INSTALL_INTENT
#define INTENT_MAGIC	"kpki-install-intent v3"
#define INTENT_MAGIC_V2	"kpki-install-intent v2" /* no swaps; still carried out */
#define INTENT_CAP	(256u * 1024)
#define PENDING_SUFFIX	".kpki-new"
#define KUBELET_CURRENT "kubelet-client-current.pem"
#define MAX_DIRS	32
#define MAX_OPS		512
#define MAX_CAS		8
#define NEXT_SUFFIX	".kpki-next"
#define OWNER_NAME	".kpki-owner" /* in a backup folder: the cert dir's real path */
/* what a directory swapped whole may hold: a PKI directory is small */
#define SWAP_MAX_ENTRIES 4096
#define SWAP_MAX_BYTES	 (64u * 1024 * 1024)
#define SWAP_MAX_DEPTH	 8

/*
 * The directories whose pairs are swapped together: when a pair in one of
 * them changes both its key and its certificate, the whole directory is
 * copied beside itself (".<name>.kpki-next"), the new files put in the
 * copy, and the two exchanged at once with renameat2(RENAME_EXCHANGE).
 */
enum { BASE_CERT, BASE_KUBELET, NBASES };
static const char *const base_token[NBASES] = { "cert-dir", "kubelet-dir" };
static const char *const parent_token[NBASES] = { "cert-dir-parent", "kubelet-dir-parent" };

/* A directory written to: opened once, checked, and used by its fd. */
struct idir {
	char *token; /* "cert-dir", "cert-dir/etcd", "kubeconfig-dir", "staging", ... */
	char *path;
	int fd;
	int created;
};

/* A new file (or the kubelet's symlink) written under a pending name. */
struct pending {
	struct idir *dir;
	char *name;
	struct pki_buf data;
	char *link_to; /* a symlink to this instead of a file */
	mode_t mode;
	int written;
};

enum op_kind { OP_RENAME, OP_UNLINK };

struct op {
	enum op_kind kind;
	struct idir *from, *to;
	char *from_name, *to_name;
	char keyid[65]; /* a key moved or dropped: its id, checked again on a replay */
	/* an unlinked staged key: the kubeconfig that holds it now */
	struct idir *holder;
	const char *holder_name;
};

/* A file copied into the backup folder, at rel ("pki/etcd/server.crt"). */
struct bsrc {
	struct idir *dir;
	char *name, *rel;
};

struct idir;

struct swap {
	int need;	/* a pair in it changes key and certificate */
	int planned;	/* swapped whole (not --in-place) */
	int built;	/* the next tree exists */
	int to_backup;	/* the previous tree goes into the backup folder */
	struct idir *parent;
	char name[NAME_MAX + 1];	/* the directory's own name in parent */
	char next[NAME_MAX + 1];	/* ".<name>.kpki-next" */
	int nfd;			/* the next tree, while it is built */
	uintmax_t dev, ino;		/* of the next tree */
	uintmax_t odev, oino;		/* of the directory it replaces */
	char stamp[65];			/* pki_tree_stamp() of that one when copied */
	char dest_tok[PATH_MAX];	/* where the previous tree goes ... */
	char dest_name[NAME_MAX + 1];	/* ... under this name */
};

struct cainfo {
	const struct pki_profile *p;
	struct pki_cert *cert;
	struct pki_buf pem; /* ca.crt's certificates, exported again */
	int state;	    /* 0: in the cert dir; 1: from the bundle; -1: unusable */
	char why[PKI_ERR_MSG_MAX]; /* why it is unusable */
};

struct ictx {
	const struct pki_install_opts *o;
	const struct pki_bundle *b;
	struct pki_names *report, *refusals;
	struct pki_err *err;
	struct idir dirs[MAX_DIRS];
	size_t ndirs;
	struct op *ops;
	size_t nops, capops, nca_ops;
	struct pending *pend;
	size_t npend, cappend;
	struct bsrc *bk;
	size_t nbk, capbk;
	struct cainfo cas[MAX_CAS];
	size_t ncas;
	const char *kubelet_dir;
	char *abs_cert_dir, *abs_kubelet_dir;
	char stamp[32]; /* YYYY-MM-DD-HH-MM-SS, UTC */
	char id[65];	/* of the signed bundle: entries and their certificates */
	/* undo list of the prepare phase */
	struct pki_names made_files, made_dirs;
	int intent_written;
	/* the backup folder, built as ".<name>.partial" and renamed when whole */
	struct idir *bk_tmp;
	char bk_name[64], bk_partial[80];
	int bk_renamed;
	struct swap sw[NBASES];
	unsigned swap_lines, dash_lines; /* bases with a swap line, a "- -" dir line */
	/* for the check of a kubeconfig dir given wrong in a renewal */
	size_t renewed_pairs, kc_entries, kc_missing;
	int lockfd[3];	/* pki_pki_lock() */
};

/* ---- small helpers ------------------------------------------------------- */

static int
note(struct ictx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
note(struct ictx *c, const char *fmt, ...)
{
	char msg[PKI_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pki_names_add(c->report, msg, c->err);
}

/*
 * The plan's notes say "would install"; once the commit has succeeded they
 * say what was done. A refused or failed run never reports "installed".
 */
static int
notes_done(struct ictx *c)
{
	static const char *const would[][2] = { { "would install ", "installed " },
		{ "would swap ", "swapped " } };
	size_t i, j, n;
	char *s;

	for (i = 0; i < c->report->n; i++)
		for (j = 0; j < PKI_ARRAY_LEN(would); j++) {
			n = strlen(would[j][0]);
			if (strncmp(c->report->v[i], would[j][0], n) != 0)
				continue;
			if (asprintf(&s, "%s%s", would[j][1], c->report->v[i] + n) < 0)
				return pki_err_nomem(c->err);
			free(c->report->v[i]);
			c->report->v[i] = s;
		}
	return 0;
}

/* One refusal line for an entry: "entry 'apiserver': <why>". */
static int
refuse(struct ictx *c, const char *entry, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
refuse(struct ictx *c, const char *entry, const char *fmt, ...)
{
	char msg[PKI_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pki_names_addf(c->refusals, c->err, "entry '%s': %s", entry, msg);
}

/* s quoted for a message, into out (PKI_QPATH_MAX bytes). */
static const char *
quote(const char *s, char *out)
{
	pki_path_quote(s, out, PKI_QPATH_MAX);
	return out;
}

/* "<dir>/<name>" quoted for a message, into out (PKI_QPATH_MAX bytes). */
static const char *
qat(const char *dir, const char *name, char *out)
{
	char buf[2 * PKI_QPATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s/%s", dir, name) >= (int)sizeof(buf))
		buf[sizeof(buf) - 1] = '\0'; /* long paths are cut in messages */
	pki_path_quote(buf, out, PKI_QPATH_MAX);
	return out;
}

static int
join3(char **out, const char *dir, const char *name, struct pki_err *err)
{
	return pki_path_join(out, dir, name, err);
}

/* A name inside a directory: one component, clean, not hidden by dots. */
static int
safe_name(const char *s)
{
	return s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
		strcmp(s, "..") != 0 && strlen(s) < NAME_MAX - 16 &&
		pki_text_is_clean(s, strlen(s), 0) && strchr(s, ' ') == NULL;
}

static int
hex_id(const unsigned char *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", d[i]);
	return 0;
}

static int
cert_same(const struct pki_cert *a, const struct pki_cert *b)
{
	size_t la, lb;
	const unsigned char *da = pki_cert_der(a, &la), *db = pki_cert_der(b, &lb);

	return la == lb && memcmp(da, db, la) == 0;
}

/* ---- directories ----------------------------------------------------------- */

/*
 * The swappable directory a token lies in (the staging directory is the
 * cert dir's), or -1; rel gets its path inside ("" for the directory
 * itself).
 */
static int
tok_base(const char *t, char *rel, size_t cap)
{
	size_t b, n;

	if (strcmp(t, "staging") == 0) {
		(void)snprintf(rel, cap, "%s", PKI_STAGING_DIR);
		return BASE_CERT;
	}
	for (b = 0; b < NBASES; b++) {
		n = strlen(base_token[b]);
		if (strncmp(t, base_token[b], n) == 0 && (t[n] == '\0' || t[n] == '/')) {
			(void)snprintf(rel, cap, "%s", t[n] != '\0' ? t + n + 1 : "");
			return (int)b;
		}
	}
	return -1;
}

/* Whether two open files are on the same mount (a bind mount of the same
 * filesystem counts as another: nothing is renamed across it). */
static int
same_mount(int a, int b)
{
	struct statx x, y;

	if (statx(a, "", AT_EMPTY_PATH, STATX_MNT_ID, &x) != 0 ||
	    statx(b, "", AT_EMPTY_PATH, STATX_MNT_ID, &y) != 0)
		return 0;
	if (!(x.stx_mask & STATX_MNT_ID) || !(y.stx_mask & STATX_MNT_ID))
		return x.stx_dev_major == y.stx_dev_major && x.stx_dev_minor == y.stx_dev_minor;
	return x.stx_mnt_id == y.stx_mnt_id;
}

/* Whether a directory lies in one that is swapped whole. */
static int
in_swapped(const struct ictx *c, const struct idir *d)
{
	char rel[PATH_MAX];
	int b = tok_base(d->token, rel, sizeof(rel));

	return b >= 0 && c->sw[b].planned;
}

/* What the next tree takes from an op: a rename into a swapped directory
 * is made in it. A removal (a staged key once its holder is in place) stays
 * a step of its own, done after the holder is in. */
static int
realized(const struct ictx *c, const struct op *op)
{
	return op->kind == OP_RENAME && in_swapped(c, op->to);
}

/* A directory we write in: ours or root's, and nobody else may write in it. */
static int
check_dir_fd(int fd, const char *path, int private, struct pki_err *err)
{
	char q[PKI_QPATH_MAX];
	struct stat st;

	quote(path, q);
	if (fstat(fd, &st) != 0)
		return pki_err_set(err, PKI_E_IO, "directory '%s': cannot stat: %s", q,
			strerror(errno));
	if (private && st.st_uid != geteuid())
		return pki_err_set(err, PKI_E_PERM,
			"directory '%s': owned by uid %u, not by uid %u who runs this; fix with: "
			"chown %u '%s'", q, (unsigned)st.st_uid, (unsigned)geteuid(),
			(unsigned)geteuid(), q);
	if (!private && st.st_uid != geteuid() && st.st_uid != 0)
		return pki_err_set(err, PKI_E_PERM,
			"directory '%s': owned by uid %u, neither by uid %u who runs this nor by "
			"root", q, (unsigned)st.st_uid, (unsigned)geteuid());
	if (private && (st.st_mode & 07777) != 0700)
		return pki_err_set(err, PKI_E_PERM,
			"directory '%s': mode %04o, not 0700; fix with: chmod 700 '%s'", q,
			(unsigned)(st.st_mode & 07777), q);
	if ((st.st_mode & 022) != 0)
		return pki_err_set(err, PKI_E_PERM,
			"directory '%s': mode %04o lets group or others write in it; fix with: "
			"chmod go-w '%s'", q, (unsigned)(st.st_mode & 07777), q);
	return 0;
}

/*
 * A directory named on the command line: it may be a symbolic link (an
 * administrator's choice) when the link is ours or root's; one that
 * someone else planted is refused.
 */
static int
open_base(const char *path, int *fd, struct pki_err *err)
{
	char q[PKI_QPATH_MAX];
	struct stat st;

	*fd = -1;
	quote(path, q);
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 1;
		return pki_err_set(err, PKI_E_IO, "directory '%s': cannot stat: %s", q,
			strerror(errno));
	}
	if (S_ISLNK(st.st_mode) && st.st_uid != geteuid() && st.st_uid != 0)
		return pki_err_set(err, PKI_E_PERM,
			"directory '%s': a symbolic link owned by uid %u (refused: only links of "
			"root%s are followed)", q, (unsigned)st.st_uid,
			geteuid() == 0 ? "" : " or of the user running this");
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return pki_err_set(err, errno == ENOENT ? PKI_E_NOTFOUND : PKI_E_IO,
			"directory '%s': cannot open: %s", q, strerror(errno));
	if (check_dir_fd(*fd, path, 0, err) != 0) {
		(void)close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

static int ctx_dir(struct ictx *c, const char *token, int create, struct idir **out) PKI_WUR;

/* The directory of a token if it is open already, else NULL. */
static struct idir *
find_dir(struct ictx *c, const char *token)
{
	size_t i;

	for (i = 0; i < c->ndirs; i++)
		if (strcmp(c->dirs[i].token, token) == 0)
			return &c->dirs[i];
	return NULL;
}

/*
 * The directory that holds a swappable one, found from its real path
 * (links resolved): the next tree is built and exchanged there by name, so
 * it must be ours or root's and nobody else's to write in. 1 when the
 * swappable directory does not exist.
 */
static int
open_parent(struct ictx *c, int b, char **path, int *fd)
{
	struct idir *base = NULL;
	char real[PATH_MAX], *slash, q[PKI_QPATH_MAX];

	*path = NULL;
	*fd = -1;
	if (ctx_dir(c, base_token[b], 0, &base) != 0)
		return -1;
	if (base == NULL)
		return 1;
	quote(base->path, q);
	if (realpath(base->path, real) == NULL)
		return pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot resolve: %s", q,
			strerror(errno));
	slash = strrchr(real, '/');
	if (slash == NULL || slash[1] == '\0' || strlen(slash + 1) > 180 ||
	    !safe_name(slash + 1))
		return pki_err_set(c->err, PKI_E_INVALID, "directory '%s': its name (the root, "
			"over 180 bytes, or with spaces or control characters) cannot be recorded for "
			"a swap", q);
	(void)snprintf(c->sw[b].name, sizeof(c->sw[b].name), "%s", slash + 1);
	(void)snprintf(c->sw[b].next, sizeof(c->sw[b].next), ".%s" NEXT_SUFFIX, slash + 1);
	slash[slash == real] = '\0';
	if ((*path = pki_strdup(real, c->err)) == NULL)
		return -1;
	*fd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0 || check_dir_fd(*fd, real, 0, c->err) != 0) {
		if (*fd < 0)
			pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot open: %s",
				quote(real, q), strerror(errno));
		else
			(void)close(*fd);
		*fd = -1;
		free(*path);
		*path = NULL;
		return -1;
	}
	return 0;
}

/*
 * The directory of a token, opened and checked, from the table or now.
 * Below the named directories nothing is followed: a link there is
 * refused. With `create`, a missing "staging" or "kubeconfig-dir/tmp" is
 * made (0700). Sets *out NULL when the directory does not exist.
 */
static int
ctx_dir(struct ictx *c, const char *token, int create, struct idir **out)
{
	const struct pki_install_opts *o = c->o;
	struct idir *parent = NULL, *d;
	char tok[PATH_MAX], *slash, q[PKI_QPATH_MAX];
	const char *base = NULL, *comp;
	char *path = NULL;
	int fd = -1, made = 0, r, private = 0;
	size_t i;

	*out = NULL;
	for (i = 0; i < c->ndirs; i++)
		if (strcmp(c->dirs[i].token, token) == 0) {
			*out = &c->dirs[i];
			return 0;
		}
	if (c->ndirs == MAX_DIRS)
		return pki_err_set(c->err, PKI_E_LIMIT, "install: more than %d directories",
			MAX_DIRS);
	if (strlen(token) >= sizeof(tok))
		return pki_err_set(c->err, PKI_E_LIMIT, "install: path too long");
	strcpy(tok, token);
	slash = strrchr(tok, '/');
	for (i = 0; slash == NULL && i < NBASES; i++)
		if (strcmp(tok, parent_token[i]) == 0) {
			r = open_parent(c, (int)i, &path, &fd);
			if (r != 0)
				return r > 0 ? 0 : -1;
			goto have;
		}
	if (slash == NULL) {
		if (strcmp(tok, "cert-dir") == 0)
			base = o->cert_dir;
		else if (strcmp(tok, "kubeconfig-dir") == 0)
			base = o->kc_dir;
		else if (strcmp(tok, "kubelet-dir") == 0)
			base = c->kubelet_dir;
		else if (strcmp(tok, "staging") != 0)
			return pki_err_set(c->err, PKI_E_INVALID, "install: unknown directory '%s'",
				tok);
		if (base != NULL) {
			if ((path = pki_strdup(base, c->err)) == NULL)
				return -1;
			r = open_base(path, &fd, c->err);
			if (r != 0) {
				free(path);
				return r > 0 ? 0 : -1;
			}
			goto have;
		}
		/* the staging directory: ours alone, as kpki-csr made it */
		if (ctx_dir(c, "cert-dir", 0, &parent) != 0)
			return -1;
		if (parent == NULL)
			return 0;
		comp = PKI_STAGING_DIR;
		private = 1;
	} else {
		*slash = '\0';
		comp = slash + 1;
		if (!safe_name(comp))
			return pki_err_set(c->err, PKI_E_INVALID, "install: bad directory '%s'",
				token);
		if (ctx_dir(c, tok, 0, &parent) != 0)
			return -1;
		if (parent == NULL)
			return 0;
		private = strcmp(token, "kubeconfig-dir/tmp") == 0;
	}
	if (join3(&path, parent->path, comp, c->err) != 0)
		return -1;
	quote(path, q);
	fd = openat(parent->fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create && private) {
		if (mkdirat(parent->fd, comp, 0700) != 0) {
			pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot create: %s", q,
				strerror(errno));
			free(path);
			return -1;
		}
		made = 1;
		fd = openat(parent->fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		struct stat st;

		if (errno == ENOENT) {
			free(path);
			return 0;
		}
		if (errno == ELOOP || errno == ENOTDIR)
			pki_err_set(c->err, PKI_E_PERM, "directory '%s': %s (refused)", q,
				fstatat(parent->fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
						S_ISLNK(st.st_mode) ?
					"is a symbolic link" :
					"is not a directory");
		else
			pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot open: %s", q,
				strerror(errno));
		free(path);
		return -1;
	}
	if (check_dir_fd(fd, path, private, c->err) != 0) {
		(void)close(fd);
		free(path);
		return -1;
	}
have:
	if (c->ndirs == MAX_DIRS) {
		(void)close(fd);
		free(path);
		return pki_err_set(c->err, PKI_E_LIMIT, "install: more than %d directories",
			MAX_DIRS);
	}
	d = &c->dirs[c->ndirs];
	d->token = pki_strdup(token, c->err);
	if (d->token == NULL) {
		(void)close(fd);
		free(path);
		return -1;
	}
	d->path = path;
	d->fd = fd;
	d->created = made;
	if (made && pki_names_add(&c->made_dirs, path, c->err) != 0)
		return -1;
	c->ndirs++;
	*out = d;
	return 0;
}

/* Whether name exists in d: 1 yes, 0 no; a link or a non-file is an error
 * (a link is allowed when link_ok). */
static int
target_state(struct idir *d, const char *name, int link_ok, struct pki_err *err)
{
	char *path = NULL, q[PKI_QPATH_MAX];
	struct stat st;
	int ret = -1;

	if (join3(&path, d->path, name, err) != 0)
		return -1;
	quote(path, q);
	if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			ret = 0;
		else
			pki_err_set(err, PKI_E_IO, "'%s': cannot stat: %s", q, strerror(errno));
	} else if (S_ISLNK(st.st_mode) && !link_ok) {
		pki_err_set(err, PKI_E_PERM,
			"'%s': is a symbolic link; refusing to write through or replace it", q);
	} else if (!S_ISLNK(st.st_mode) && !S_ISREG(st.st_mode)) {
		pki_err_set(err, PKI_E_PERM, "'%s': exists and is not a regular file", q);
	} else {
		ret = 1;
	}
	free(path);
	return ret;
}

/* Reads d/name whole, never through a link. *exists says whether it was there. */
static int
read_at(struct idir *d, const char *name, size_t cap, struct pki_buf *out, int *exists,
	struct pki_err *err)
{
	unsigned char chunk[8192];
	char *path = NULL, q[PKI_QPATH_MAX];
	struct stat st;
	ssize_t r;
	int fd, ret = -1;

	memset(out, 0, sizeof(*out));
	*exists = 0;
	if (join3(&path, d->path, name, err) != 0)
		return -1;
	quote(path, q);
	fd = openat(d->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			ret = 0;
		else
			pki_err_set(err, PKI_E_IO, "'%s': cannot open: %s", q,
				errno == ELOOP ? "is a symbolic link" : strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uintmax_t)st.st_size > cap) {
		pki_err_set(err, PKI_E_IO, "'%s': not a regular file of at most %zu bytes", q, cap);
		goto out;
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			pki_err_set(err, PKI_E_IO, "'%s': cannot read: %s", q, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if ((size_t)r > cap - out->len) {
			pki_err_set(err, PKI_E_LIMIT, "'%s': larger than %zu bytes", q, cap);
			goto out;
		}
		if (pki_buf_append(out, chunk, (size_t)r, err) != 0)
			goto out;
	}
	if (out->data == NULL && pki_buf_append(out, "", 0, err) != 0)
		goto out;
	*exists = 1;
	ret = 0;
out:
	gnutls_memset(chunk, 0, sizeof(chunk));
	if (ret != 0)
		pki_buf_free(out);
	if (fd >= 0)
		(void)close(fd);
	free(path);
	return ret;
}

/* ---- the plan ------------------------------------------------------------- */

static int
add_op(struct ictx *c, enum op_kind kind, struct idir *from, const char *from_name,
	struct idir *to, const char *to_name, const struct pki_key *key, int front)
{
	struct op *op;
	unsigned char id[32];

	if (c->nops >= MAX_OPS)
		return pki_err_set(c->err, PKI_E_LIMIT, "install: more than %d steps", MAX_OPS);
	if (pki_grow((void **)&c->ops, &c->capops, c->nops + 1, sizeof(*c->ops), c->err) != 0)
		return -1;
	/* the CA certificates go in first: everything else chains to them */
	if (front) {
		memmove(c->ops + c->nca_ops + 1, c->ops + c->nca_ops,
			(c->nops - c->nca_ops) * sizeof(*c->ops));
		op = &c->ops[c->nca_ops++];
	} else {
		op = &c->ops[c->nops];
	}
	c->nops++;
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->from = from;
	op->to = to;
	if ((op->from_name = pki_strdup(from_name, c->err)) == NULL)
		return -1;
	if (to_name != NULL && (op->to_name = pki_strdup(to_name, c->err)) == NULL)
		return -1;
	if (key != NULL) {
		if (pki_key_public_id(key, id, c->err) != 0)
			return -1;
		hex_id(id, sizeof(id), op->keyid);
	}
	return 0;
}

/* A new file under its pending name; takes data (wiped when freed). */
static int
add_pending(struct ictx *c, struct idir *d, const char *target, struct pki_buf *data,
	mode_t mode, const char *link_to, char **pending_name)
{
	struct pending *p;

	*pending_name = NULL;
	if (pki_grow((void **)&c->pend, &c->cappend, c->npend + 1, sizeof(*c->pend),
		    c->err) != 0)
		return -1;
	p = &c->pend[c->npend];
	memset(p, 0, sizeof(*p));
	if (asprintf(&p->name, ".%s" PENDING_SUFFIX, target) < 0) {
		p->name = NULL;
		return pki_err_nomem(c->err);
	}
	if (link_to != NULL && (p->link_to = pki_strdup(link_to, c->err)) == NULL) {
		free(p->name);
		return -1;
	}
	c->npend++;
	p->dir = d;
	p->mode = mode;
	if (data != NULL) {
		p->data = *data;
		memset(data, 0, sizeof(*data)); /* transferred */
	}
	*pending_name = p->name;
	return 0;
}

static int
add_backup(struct ictx *c, struct idir *d, const char *name, const char *rel_dir)
{
	struct bsrc *s;
	char *rel = NULL;

	if (asprintf(&rel, "%s%s%s", rel_dir, *rel_dir ? "/" : "", name) < 0)
		return pki_err_nomem(c->err);
	if (pki_grow((void **)&c->bk, &c->capbk, c->nbk + 1, sizeof(*c->bk), c->err) != 0) {
		free(rel);
		return -1;
	}
	s = &c->bk[c->nbk];
	s->dir = d;
	s->rel = rel;
	if ((s->name = pki_strdup(name, c->err)) == NULL)
		return -1;
	c->nbk++;
	return 0;
}

/*
 * A staged key into its place, name in d: a rename when both directories
 * are on one filesystem; else a copy written beside the target (a pending
 * file) and renamed over it, and the staged key removed once the target
 * holds it (a kubelet dir on its own filesystem).
 */
static int
add_key_move(struct ictx *c, struct idir *stg, const char *staged, struct idir *d,
	const char *name, const struct pki_key *key)
{
	struct pki_buf data = { 0 };
	char q[PKI_QPATH_MAX], *pn;
	struct stat a, b;
	size_t at;
	int exists;

	if (fstat(stg->fd, &a) != 0 || fstat(d->fd, &b) != 0)
		return pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot stat: %s",
			quote(d->path, q), strerror(errno));
	if (a.st_dev == b.st_dev && same_mount(stg->fd, d->fd))
		return add_op(c, OP_RENAME, stg, staged, d, name, key, 0);
	if (read_at(stg, staged, PKI_CAP_KEY, &data, &exists, c->err) != 0)
		return -1;
	if (!exists)
		return pki_err_set(c->err, PKI_E_IO, "'%s': vanished during the install",
			qat(stg->path, staged, q));
	if (add_pending(c, d, name, &data, 0600, NULL, &pn) != 0) {
		pki_buf_free(&data);
		return -1;
	}
	if (add_op(c, OP_RENAME, d, pn, d, name, key, 0) != 0)
		return -1;
	at = c->nops - 1;
	if (add_op(c, OP_UNLINK, stg, staged, NULL, NULL, key, 0) != 0)
		return -1;
	c->ops[c->nops - 1].holder = d;
	c->ops[c->nops - 1].holder_name = c->ops[at].to_name;
	return 0;
}

/* Where a directory's files go in the backup: "pki/etcd", "", "kubelet-pki". */
static void
backup_rel_dir(const struct idir *d, char *out, size_t cap)
{
	const char *t = d->token, *sub = strchr(t, '/');

	if (strncmp(t, "cert-dir", 8) == 0)
		(void)snprintf(out, cap, "pki%s", sub ? sub : "");
	else if (strncmp(t, "kubelet-dir", 11) == 0)
		(void)snprintf(out, cap, "kubelet-pki%s", sub ? sub : "");
	else
		(void)snprintf(out, cap, "%s", sub ? sub + 1 : "");
}

static int
backup_if_there(struct ictx *c, struct idir *d, const char *name)
{
	char rel[PATH_MAX];
	int e = target_state(d, name, 0, c->err);

	if (e <= 0)
		return e;
	backup_rel_dir(d, rel, sizeof(rel));
	return add_backup(c, d, name, rel);
}

static int
any_swap_to_backup(const struct ictx *c)
{
	int b;

	for (b = 0; b < NBASES; b++)
		if (c->sw[b].planned && c->sw[b].to_backup)
			return 1;
	return 0;
}

/* The backup folder, built as "partial", renamed to "final" once whole;
 * done when only "final" is there. */
static int
name_backup(struct idir *tmp, const char *partial, const char *final, struct pki_err *err)
{
	char q[PKI_QPATH_MAX];
	struct stat st;

	if (renameat2(tmp->fd, partial, tmp->fd, final, RENAME_NOREPLACE) != 0) {
		if (errno == ENOENT && fstatat(tmp->fd, final, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			return 0;
		return pki_err_set(err, PKI_E_IO, "backup '%s': cannot rename into place: %s",
			qat(tmp->path, final, q), strerror(errno));
	}
	if (fsync(tmp->fd) != 0)
		return pki_err_set(err, PKI_E_IO, "directory '%s': cannot sync: %s",
			quote(tmp->path, q), strerror(errno));
	return 0;
}

/* A pair in d changes key and certificate: d's swappable directory is
 * swapped whole. */
static void
need_swap(struct ictx *c, const struct idir *d)
{
	char rel[PATH_MAX];
	int b = tok_base(d->token, rel, sizeof(rel));

	if (b >= 0)
		c->sw[b].need = 1;
}

/* ---- the CAs --------------------------------------------------------------- */

static int
ca_fingerprint(const struct pki_cert *cert, char out[72], struct pki_err *err)
{
	struct pki_x509info info = { 0 };

	if (pki_cert_info(cert, &info, err) != 0)
		return -1;
	memcpy(out, "SHA256:", 7);
	hex_id(info.sha256, sizeof(info.sha256), out + 7);
	pki_x509info_free(&info);
	return 0;
}

/* Every CA of the bundle must be one the operator confirmed. */
static int
check_bundle_cas(struct ictx *c)
{
	const struct pki_names *want = c->o->expect_ca_fingerprints;
	char fp[72];
	size_t i, j;

	for (i = 0; i < pki_bundle_ca_count(c->b); i++) {
		int ok = 0;

		if (ca_fingerprint(pki_bundle_ca_at(c->b, i), fp, c->err) != 0)
			return -1;
		for (j = 0; want != NULL && j < want->n && !ok; j++)
			ok = strcasecmp(want->v[j], fp) == 0;
		if (!ok) {
			struct pki_x509info info = { 0 };
			char q[PKI_QPATH_MAX] = "?";
			int r;

			if (pki_cert_info(pki_bundle_ca_at(c->b, i), &info, c->err) != 0)
				return -1;
			if (info.cn != NULL)
				quote(info.cn, q);
			pki_x509info_free(&info);
			r = pki_names_addf(c->refusals, c->err, "bundle CA certificate %zu (CN '%s'): "
				"its fingerprint %s is none of those given with "
				"--expect-ca-fingerprint; compare with what the CA team read out to "
				"you, never with this line", i + 1, q, fp);
			if (r != 0)
				return -1;
		}
	}
	return 0;
}

/* The CA a profile is signed by: the cert dir's, or, on a first install
 * with trust_bundle_ca, the bundle's that issued cert. */
static int
ca_for(struct ictx *c, const char *entry, const struct pki_profile *p,
	const struct pki_cert *cert, struct cainfo **out)
{
	const struct pki_profile *cap = pki_profile_set_find(c->o->set, pki_profile_ca(p));
	char rel[PATH_MAX], tok[PATH_MAX], *slash, *path = NULL, q[PKI_QPATH_MAX];
	struct cainfo *ci = NULL;
	struct pki_names findings = { 0 };
	struct idir *d;
	struct pki_err e;
	int ret = -1, exists;
	size_t i;

	*out = NULL;
	if (cap == NULL)
		return pki_err_set(c->err, PKI_E_INVALID, "profile '%s': unknown CA '%s'",
			pki_profile_name(p), pki_profile_ca(p));
	for (i = 0; i < c->ncas; i++)
		if (c->cas[i].p == cap) {
			*out = &c->cas[i];
			return 0;
		}
	if (c->ncas == MAX_CAS)
		return pki_err_set(c->err, PKI_E_LIMIT, "install: more than %d CAs", MAX_CAS);
	ci = &c->cas[c->ncas++];
	ci->p = cap;
	ci->state = -1;
	*out = ci;
	(void)snprintf(rel, sizeof(rel), "%s.crt", pki_profile_path(cap));
	if (pki_path_join(&path, c->o->cert_dir, rel, c->err) != 0)
		goto out;
	quote(path, q);
	exists = pki_file_exists(path, c->err);
	if (exists < 0)
		goto out;
	if (exists) {
		/* a CA certificate may be a link, as kubeadm follows them */
		struct pki_buf raw = { 0 };

		pki_err_clear(&e);
		/* the kubeconfigs get the certificates exported again, never the
		 * file's own bytes: a key beside the CA certificate is refused */
		if (pki_file_read(path, "CA certificate", PKI_CAP_CERT, 0, &raw, &e) != 0 ||
		    pki_kubeconfig_ca_pem(raw.data, raw.len, path, &ci->pem, &e) != 0 ||
		    pki_cert_parse(ci->pem.data, ci->pem.len, path, &ci->cert, &e) != 0) {
			pki_buf_free(&raw);
			(void)snprintf(ci->why, sizeof(ci->why), "%s", e.msg);
			ret = 0;
			goto out;
		}
		pki_buf_free(&raw);
		ci->state = 0;
		ret = 0;
		goto out;
	}
	if (!c->o->trust_bundle_ca) {
		(void)snprintf(ci->why, sizeof(ci->why), "CA certificate '%s' is not in the cert "
			"dir: copy the cluster's CA certificate there first (external-CA mode), or, "
			"on a first install, give --trust-bundle-ca with --expect-ca-fingerprint", q);
		ret = 0;
		goto out;
	}
	for (i = 0; i < pki_bundle_ca_count(c->b); i++) {
		pki_err_clear(&e);
		if (pki_cert_verify_signed_by(cert, pki_bundle_ca_at(c->b, i), &e) == 0)
			break;
	}
	if (i == pki_bundle_ca_count(c->b)) {
		(void)snprintf(ci->why, sizeof(ci->why), "CA '%s': no CA certificate of the "
			"bundle issued the certificate", pki_profile_name(cap));
		ret = 0;
		goto out;
	}
	/* the CA itself must be what its profile says */
	if (pki_pkidir_check_cert(c->o->set, c->o->cert_dir, c->o->cfg, cap, path,
		    pki_bundle_ca_at(c->b, i), NULL, c->o->now, &findings, c->err) != 0)
		goto out;
	if (findings.n > 0) {
		(void)snprintf(ci->why, sizeof(ci->why), "the bundle's CA certificate: %s%s",
			findings.v[0], findings.n > 1 ? " (and more)" : "");
		ret = 0;
		goto out;
	}
	if (pki_cert_export_pem(pki_bundle_ca_at(c->b, i), &ci->pem, c->err) != 0 ||
	    pki_cert_parse(ci->pem.data, ci->pem.len, path, &ci->cert, c->err) != 0)
		goto out;
	ci->state = 1;
	(void)entry;
	/* where it goes: beside the CA's key, were there one */
	(void)snprintf(tok, sizeof(tok), "cert-dir/%s", pki_profile_path(cap));
	slash = strrchr(tok, '/');
	*slash = '\0';
	if (ctx_dir(c, tok, 0, &d) != 0)
		goto out;
	if (d == NULL) {
		ci->state = -1;
		(void)snprintf(ci->why, sizeof(ci->why), "directory of '%s' does not exist", q);
		ret = 0;
		goto out;
	}
	{
		const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
		struct pki_buf copy = { 0 };
		char *pn;

		if (pki_buf_append(&copy, ci->pem.data, ci->pem.len, c->err) != 0 ||
		    add_pending(c, d, base, &copy, 0644, NULL, &pn) != 0 ||
		    add_op(c, OP_RENAME, d, pn, d, base, NULL, 1) != 0) {
			pki_buf_free(&copy);
			goto out;
		}
		if (note(c, "%s '%s' (CA certificate from the bundle, %s)",
			    "would install", q, "fingerprint confirmed") != 0)
			goto out;
	}
	ret = 0;
out:
	pki_names_free(&findings);
	free(path);
	return ret;
}

/* The profile's checks; findings become refusals. 1 when it fits. */
static int
check_profile(struct ictx *c, const char *entry, const struct pki_profile *p,
	const struct pki_cert *cert, struct cainfo **ca)
{
	struct pki_names findings = { 0 };
	size_t i, before = c->refusals->n;
	int ret = -1;

	if (ca_for(c, entry, p, cert, ca) != 0)
		goto out;
	if ((*ca)->state < 0) {
		ret = refuse(c, entry, "%s", (*ca)->why);
		goto out;
	}
	if (c->refusals->n > before) {
		ret = 0;
		goto out;
	}
	if (pki_pkidir_check_cert(c->o->set, c->o->cert_dir, c->o->cfg, p, "certificate", cert,
		    (*ca)->cert, c->o->now, &findings, c->err) != 0)
		goto out;
	for (i = 0; i < findings.n; i++)
		if (refuse(c, entry, "%s", findings.v[i]) != 0)
			goto out;
	ret = findings.n == 0;
out:
	pki_names_free(&findings);
	return ret;
}

/* Loads a key and says whether it is the certificate's: 1, 0, or -1 with a
 * refusal already made (unreadable, unsafe mode). */
static int
key_matches(struct ictx *c, const char *entry, struct idir *d, const char *name,
	const struct pki_cert *cert, struct pki_key **key)
{
	char *path = NULL;
	struct pki_err e;
	int m = -1;

	*key = NULL;
	if (join3(&path, d->path, name, c->err) != 0)
		return -2;
	pki_err_clear(&e);
	if (pki_key_load(path, key, &e) != 0) {
		m = refuse(c, entry, "%s", e.msg) != 0 ? -2 : -1;
		goto out;
	}
	m = pki_cert_matches_key(cert, *key, c->err);
	if (m < 0)
		m = -2;
out:
	free(path);
	return m;
}

/* The certificate in place (NULL when absent or unreadable). */
static int
cert_in_place(struct ictx *c, struct idir *d, const char *name, struct pki_cert **out)
{
	struct pki_buf buf = { 0 };
	struct pki_err e;
	int exists;

	*out = NULL;
	if (read_at(d, name, PKI_CAP_CERT, &buf, &exists, c->err) != 0)
		return -1;
	pki_err_clear(&e);
	if (exists && pki_cert_parse(buf.data, buf.len, name, out, &e) != 0)
		*out = NULL; /* replaced whatever it was; the backup keeps it */
	pki_buf_free(&buf);
	return 0;
}

static int
entry_refusal_from_err(struct ictx *c, const char *entry)
{
	if (c->err->code != PKI_E_PERM && c->err->code != PKI_E_IO)
		return -1;
	return refuse(c, entry, "%s", c->err->msg);
}

/* A leaf of the cert dir or the kubelet dir: key and certificate swapped together. */
static int
plan_pair(struct ictx *c, const char *entry, const struct pki_profile *p,
	const struct pki_cert *cert)
{
	char tok[PATH_MAX], base[200], crt[NAME_MAX + 1], keyn[NAME_MAX + 1],
		staged[NAME_MAX + 1], *slash, *pn, *crt_path = NULL, q[PKI_QPATH_MAX],
		q2[PKI_QPATH_MAX], q3[PKI_QPATH_MAX];
	struct idir *d = NULL, *stg = NULL;
	struct pki_cert *old = NULL;
	struct pki_key *fkey = NULL, *skey = NULL;
	struct pki_buf pem = { 0 };
	struct cainfo *ca;
	size_t before = c->refusals->n;
	int ret = -1, has_crt, has_key, has_staged = 0, m, use_staged = 0;

	if (strlen(pki_profile_path(p)) >= sizeof(base) ||
	    strlen(pki_profile_name(p)) >= sizeof(base))
		return pki_err_set(c->err, PKI_E_LIMIT, "profile '%s': path too long",
			pki_profile_name(p));
	(void)snprintf(tok, sizeof(tok), "%s/%s",
		pki_profile_location(p) == PKI_LOC_KUBELET_DIR ? "kubelet-dir" : "cert-dir",
		pki_profile_path(p));
	slash = strrchr(tok, '/');
	(void)snprintf(base, sizeof(base), "%s", slash + 1);
	*slash = '\0';
	(void)snprintf(crt, sizeof(crt), "%s.crt", base);
	(void)snprintf(keyn, sizeof(keyn), "%s.key", base);
	(void)snprintf(staged, sizeof(staged), "%s.key", pki_profile_name(p));
	if (ctx_dir(c, tok, 0, &d) != 0 || ctx_dir(c, "staging", 0, &stg) != 0) {
		ret = entry_refusal_from_err(c, entry);
		goto out;
	}
	if (d == NULL) {
		const char *top = strncmp(tok, "kubelet-dir", 11) == 0 ? c->kubelet_dir :
			c->o->cert_dir, *sub = strchr(tok, '/');

		if (sub != NULL)
			qat(top, sub + 1, q2);
		else
			quote(top, q2);
		ret = refuse(c, entry, "directory '%s' does not exist (kpki-csr makes it: is "
			"--%s right?)", q2, top == c->kubelet_dir ? "kubelet-dir" : "cert-dir");
		goto out;
	}
	if (join3(&crt_path, d->path, crt, c->err) != 0)
		goto out;
	quote(crt_path, q);
	if ((has_crt = target_state(d, crt, 0, c->err)) < 0 ||
	    (has_key = target_state(d, keyn, 0, c->err)) < 0 ||
	    (stg != NULL && (has_staged = target_state(stg, staged, 0, c->err)) < 0)) {
		ret = entry_refusal_from_err(c, entry);
		goto out;
	}
	if (has_crt && cert_in_place(c, d, crt, &old) != 0)
		goto out;
	if (has_key) {
		m = key_matches(c, entry, d, keyn, cert, &fkey);
		if (m < -1)
			goto out;
		if (m == 1 && old != NULL && cert_same(old, cert)) {
			ret = note(c, "already installed '%s'", q);
			goto out;
		}
		if (m < 0) {
			ret = 0;
			goto out;
		}
		has_key = m == 1 ? 2 : 1; /* 2: the final key is the certificate's */
	}
	if (has_staged) {
		m = key_matches(c, entry, stg, staged, cert, &skey);
		if (m < -1)
			goto out;
		if (m < 0) {
			ret = 0;
			goto out;
		}
		if (m == 0) {
			ret = refuse(c, entry, "the certificate is not for the staged key '%s' "
				"(was the bundle made on this node, by the last kpki-csr run?)",
				qat(stg->path, staged, q2));
			goto out;
		}
		use_staged = 1;
	} else if (has_key != 2) {
		ret = has_key ? refuse(c, entry, "the certificate is not for the key '%s', and "
				"no key is staged for it in '%s'", qat(d->path, keyn, q2),
				qat(c->o->cert_dir, PKI_STAGING_DIR, q3)) :
				refuse(c, entry, "no private key for the certificate: neither "
				"'%s' nor a staged key", qat(d->path, keyn, q2));
		goto out;
	}
	if (check_profile(c, entry, p, cert, &ca) < 0)
		goto out;
	if (c->refusals->n > before) {
		ret = 0;
		goto out;
	}
	c->renewed_pairs += use_staged && has_crt;
	/* key and certificate both change: the directory is swapped whole
	 * (unless --in-place), so that the pair is never half old */
	if (use_staged && has_crt)
		need_swap(c, d);
	/* the pair about to be replaced goes into the backup first */
	if (has_crt && backup_if_there(c, d, crt) != 0)
		goto out;
	if (has_key && (has_crt || use_staged) && backup_if_there(c, d, keyn) != 0)
		goto out;
	if (pki_cert_export_pem(cert, &pem, c->err) != 0 ||
	    add_pending(c, d, crt, &pem, 0644, NULL, &pn) != 0)
		goto out;
	/* in place (--in-place): key then certificate, back to back; a rerun
	 * closes the window between them (the final key is then the
	 * certificate's) */
	if (use_staged && add_key_move(c, stg, staged, d, keyn, skey) != 0)
		goto out;
	if (add_op(c, OP_RENAME, d, pn, d, crt, NULL, 0) != 0)
		goto out;
	ret = note(c, "%s '%s'%s", "would install", q,
		use_staged ? " with its staged key" : "");
out:
	pki_buf_free(&pem);
	pki_cert_free(old);
	pki_key_free(fkey);
	pki_key_free(skey);
	free(crt_path);
	return ret;
}

/* The client certificate a kubeconfig in place holds (embedded or referenced). */
static int
kubeconfig_in_place(struct ictx *c, struct idir *d, const char *name,
	struct pki_kubeconfig **kc, struct pki_cert **cert)
{
	struct pki_buf buf = { 0 };
	const struct pki_buf *cd;
	const char *ref;
	char *path = NULL;
	struct pki_err e;
	int exists, ret = -1;

	*kc = NULL;
	*cert = NULL;
	if (read_at(d, name, PKI_CAP_YAML, &buf, &exists, c->err) != 0)
		return -1;
	if (!exists)
		return 0;
	pki_err_clear(&e);
	if (join3(&path, d->path, name, c->err) != 0)
		goto out;
	if (pki_kubeconfig_parse(buf.data, buf.len, path, kc, &e) != 0) {
		ret = 0; /* replaced whatever it was; the backup keeps it */
		goto out;
	}
	cd = pki_kubeconfig_client_cert_data(*kc);
	ref = pki_kubeconfig_client_cert_file(*kc);
	if (cd != NULL && cd->len > 0) {
		if (pki_cert_parse(cd->data, cd->len, path, cert, &e) != 0)
			*cert = NULL;
	} else if (ref != NULL) {
		char *rp = NULL;

		if (ref[0] == '/' ? (rp = pki_strdup(ref, c->err)) == NULL :
				    join3(&rp, d->path, ref, c->err) != 0)
			goto out;
		if (pki_cert_load(rp, cert, &e) != 0)
			*cert = NULL;
		free(rp);
	}
	ret = 0;
out:
	pki_buf_free(&buf);
	free(path);
	return ret;
}

/* The server a kubeconfig points at. --server is the control-plane endpoint:
 * it never applies to a kubeconfig of the local API endpoint
 * (controller-manager.conf, scheduler.conf), which takes its server from the
 * configuration, else from the kubeconfig in place (a renewal). */
static int
kubeconfig_server(struct ictx *c, const struct pki_profile *p, const struct pki_kubeconfig *kc,
	const char *q, char **out)
{
	int local = pki_profile_server(p) == PKI_SERVER_LOCAL;

	*out = NULL;
	if (c->o->server != NULL && !local)
		return (*out = pki_strdup(c->o->server, c->err)) == NULL ? -1 : 0;
	if (c->o->cfg != NULL && local)
		return pki_kubeadm_local_url(c->o->cfg, out, c->err);
	if (c->o->cfg != NULL)
		return pki_kubeadm_cpe_url(c->o->cfg, out, c->err);
	if (kc != NULL && pki_kubeconfig_server(kc) != NULL)
		return (*out = pki_strdup(pki_kubeconfig_server(kc), c->err)) == NULL ? -1 : 0;
	if (local)
		return pki_err_set(c->err, PKI_E_USAGE,
			"kubeconfig '%s': no server known: it points at this node's local API "
			"endpoint, which --server does not set, and no kubeconfig is in place to "
			"take it from: give --config", q);
	return pki_err_set(c->err, PKI_E_USAGE,
		"kubeconfig '%s': no server known (no kubeconfig in place to take it from): give "
		"--server or --config", q);
}

static const char *
cluster_name(const struct ictx *c, const struct pki_kubeconfig *in_place)
{
	const char *n;

	if (c->o->cluster_name != NULL)
		return c->o->cluster_name;
	if (c->o->cfg != NULL && *pki_kubeadm_cluster_name(c->o->cfg) != '\0')
		return pki_kubeadm_cluster_name(c->o->cfg);
	/* a renewal keeps the name the kubeconfig has */
	if (in_place != NULL && (n = pki_kubeconfig_cluster_name(in_place)) != NULL && *n != '\0')
		return n;
	if (*pki_bundle_cluster(c->b) != '\0')
		return pki_bundle_cluster(c->b);
	return "kubernetes";
}

/*
 * The cluster the bundle was made for must be this one: the
 * configuration's (with --config), and that of a kubeconfig in place. A
 * bundle without a cluster, or --cluster-name, has nothing to compare.
 */
static int
check_cluster(struct ictx *c, const char *entry, const struct pki_kubeconfig *in_place)
{
	const char *want = pki_bundle_cluster(c->b), *have;
	char q1[PKI_QPATH_MAX], q2[PKI_QPATH_MAX];

	if (*want == '\0' || c->o->cluster_name != NULL)
		return 0;
	/* "default-cluster": the kubelet's TLS bootstrap wrote it, naming no cluster */
	if (in_place != NULL && (have = pki_kubeconfig_cluster_name(in_place)) != NULL &&
	    *have != '\0' && strcmp(have, "default-cluster") != 0 && strcmp(have, want) != 0)
		return refuse(c, entry, "the bundle was made for cluster '%s', but the kubeconfig "
			"in place is of cluster '%s' (--cluster-name overrides)", quote(want, q1),
			quote(have, q2));
	return 0;
}

/* A kubeconfig: its client certificate with the staged key, rendered. */
static int
plan_kubeconfig_body(struct ictx *c, const char *entry, const struct pki_profile *p,
	const struct pki_cert *cert)
{
	const char *name = pki_profile_path(p);
	char staged[NAME_MAX + 1], crt[NAME_MAX + 1], keyn[NAME_MAX + 1], pemname[64];
	char *path = NULL, *server = NULL, *crt_ref = NULL, *key_ref = NULL, *link_to = NULL;
	char *pn, q[PKI_QPATH_MAX], q2[PKI_QPATH_MAX], q3[PKI_QPATH_MAX];
	struct idir *d = NULL, *stg = NULL, *cd = NULL, *kd = NULL;
	struct pki_kubeconfig *kc = NULL;
	struct pki_cert *old = NULL;
	struct pki_key *skey = NULL, *fkey = NULL;
	const struct pki_key *key;
	struct pki_buf cert_pem = { 0 }, key_pem = { 0 }, out = { 0 }, both = { 0 };
	struct pki_kubeconfig_spec spec = { 0 };
	struct pki_x509info info = { 0 };
	struct cainfo *ca;
	size_t before = c->refusals->n;
	int ret = -1, has_staged = 0, m, kubelet, refs, use_staged = 0, has_fkey = 0,
		has_fcrt = 0;

	kubelet = !c->o->embed && strcmp(pki_profile_name(p), "kubelet.conf") == 0;
	refs = !c->o->embed && !kubelet;
	(void)snprintf(staged, sizeof(staged), "%s.key", pki_profile_name(p));
	(void)snprintf(crt, sizeof(crt), "%s.crt", name);
	(void)snprintf(keyn, sizeof(keyn), "%s.key", name);
	if (ctx_dir(c, "kubeconfig-dir", 0, &d) != 0 || ctx_dir(c, "staging", 0, &stg) != 0 ||
	    ctx_dir(c, "cert-dir", 0, &cd) != 0 ||
	    (kubelet && ctx_dir(c, "kubelet-dir", 0, &kd) != 0)) {
		ret = entry_refusal_from_err(c, entry);
		goto out;
	}
	if (d == NULL || cd == NULL || (kubelet && kd == NULL)) {
		ret = refuse(c, entry, "directory '%s' does not exist",
			quote(d == NULL ? c->o->kc_dir : cd == NULL ? c->o->cert_dir :
				c->kubelet_dir, q2));
		goto out;
	}
	if (join3(&path, d->path, name, c->err) != 0)
		goto out;
	quote(path, q);
	if (target_state(d, name, 0, c->err) < 0 ||
	    (stg != NULL && (has_staged = target_state(stg, staged, 0, c->err)) < 0) ||
	    (refs && ((has_fcrt = target_state(cd, crt, 0, c->err)) < 0 ||
			     (has_fkey = target_state(cd, keyn, 0, c->err)) < 0)) ||
	    (kubelet && target_state(kd, KUBELET_CURRENT, 1, c->err) < 0)) {
		ret = entry_refusal_from_err(c, entry);
		goto out;
	}
	if (kubeconfig_in_place(c, d, name, &kc, &old) != 0)
		goto out;
	c->kc_entries++;
	c->kc_missing += kc == NULL;
	if (old != NULL && cert_same(old, cert)) {
		/* a staged key still there after the kubeconfig went in is spent */
		if (has_staged && key_matches(c, entry, stg, staged, cert, &skey) == 1) {
			if (add_op(c, OP_UNLINK, stg, staged, NULL, NULL, skey, 0) != 0)
				goto out;
			c->ops[c->nops - 1].holder = d;
			c->ops[c->nops - 1].holder_name = pki_profile_path(p);
		}
		ret = note(c, "already installed '%s'", q);
		goto out;
	}
	if (has_staged) {
		if ((m = key_matches(c, entry, stg, staged, cert, &skey)) < -1)
			goto out;
		if (m == 0)
			ret = refuse(c, entry, "the certificate is not for the staged key '%s' "
				"(was the bundle made on this node, by the last kpki-csr run?)",
				qat(stg->path, staged, q2));
		if (m <= 0) {
			ret = m == 0 ? ret : 0;
			goto out;
		}
		use_staged = 1;
	} else if (has_fkey && (m = key_matches(c, entry, cd, keyn, cert, &fkey)) != 1) {
		ret = m < -1 ? -1 : m < 0 ? 0 : refuse(c, entry, "the certificate is not for the "
			"key '%s', and no key is staged for it", qat(cd->path, keyn, q2));
		goto out;
	} else if (!has_fkey) {
		(void)snprintf(q3, sizeof(q3), "%s/%s/%s", c->o->cert_dir, PKI_STAGING_DIR, staged);
		ret = refuse(c, entry, "no staged key '%s' for the certificate (kpki-csr "
			"stages kubeconfig keys there)", quote(q3, q2));
		goto out;
	}
	key = use_staged ? skey : fkey;
	if (check_cluster(c, entry, kc) != 0)
		goto out;
	if (check_profile(c, entry, p, cert, &ca) < 0)
		goto out;
	if (c->refusals->n > before) {
		ret = 0;
		goto out;
	}
	if (kubeconfig_server(c, p, kc, q, &server) != 0)
		goto out;
	if (pki_cert_info(cert, &info, c->err) != 0)
		goto out;
	if (info.cn == NULL) {
		ret = refuse(c, entry, "the certificate has no CN to name the user by");
		goto out;
	}
	if (pki_cert_export_pem(cert, &cert_pem, c->err) != 0 ||
	    pki_key_export_pem(key, &key_pem, c->err) != 0)
		goto out;
	spec.cluster = cluster_name(c, kc);
	spec.user = info.cn;
	spec.server = server;
	spec.ca_pem = &ca->pem;
	if (c->o->embed) {
		spec.cert_pem = &cert_pem;
		spec.key_pem = &key_pem;
	} else if (refs) {
		if (join3(&crt_ref, c->abs_cert_dir, crt, c->err) != 0 ||
		    join3(&key_ref, c->abs_cert_dir, keyn, c->err) != 0)
			goto out;
		spec.cert_file = crt_ref;
		spec.key_file = key_ref;
	} else {
		if (join3(&crt_ref, c->abs_kubelet_dir, KUBELET_CURRENT, c->err) != 0)
			goto out;
		spec.cert_file = spec.key_file = crt_ref;
	}
	if (pki_kubeconfig_render(&spec, &out, c->err) != 0)
		goto out;
	if (backup_if_there(c, d, name) != 0)
		goto out;
	if (refs) {
		if (use_staged && has_fcrt)
			need_swap(c, cd);
		if (backup_if_there(c, cd, crt) != 0 ||
		    (use_staged && backup_if_there(c, cd, keyn) != 0))
			goto out;
		if (add_pending(c, cd, crt, &cert_pem, 0644, NULL, &pn) != 0 ||
		    (use_staged && add_key_move(c, stg, staged, cd, keyn, key) != 0) ||
		    add_op(c, OP_RENAME, cd, pn, cd, crt, NULL, 0) != 0)
			goto out;
	}
	if (kubelet) {
		/* the kubelet's own layout: a dated cert+key file and the
		 * "current" link to it, which is ours to replace */
		(void)snprintf(pemname, sizeof(pemname), "kubelet-client-%s.pem", c->stamp);
		if (target_state(kd, pemname, 0, c->err) < 0) {
			ret = entry_refusal_from_err(c, entry);
			goto out;
		}
		if (pki_buf_append(&both, cert_pem.data, cert_pem.len, c->err) != 0 ||
		    pki_buf_append(&both, key_pem.data, key_pem.len, c->err) != 0 ||
		    join3(&link_to, c->abs_kubelet_dir, pemname, c->err) != 0 ||
		    add_pending(c, kd, pemname, &both, 0600, NULL, &pn) != 0 ||
		    add_op(c, OP_RENAME, kd, pn, kd, pemname, NULL, 0) != 0 ||
		    add_pending(c, kd, KUBELET_CURRENT, NULL, 0777, link_to, &pn) != 0 ||
		    add_op(c, OP_RENAME, kd, pn, kd, KUBELET_CURRENT, NULL, 0) != 0)
			goto out;
	}
	if (add_pending(c, d, name, &out, 0600, NULL, &pn) != 0 ||
	    add_op(c, OP_RENAME, d, pn, d, name, NULL, 0) != 0)
		goto out;
	/* the key is in the kubeconfig (or the kubelet's file) now */
	if (use_staged && !refs) {
		if (add_op(c, OP_UNLINK, stg, staged, NULL, NULL, key, 0) != 0)
			goto out;
		c->ops[c->nops - 1].holder = d;
		c->ops[c->nops - 1].holder_name = pki_profile_path(p);
	}
	ret = note(c, "%s '%s' (user '%s', cluster '%s', server '%s'%s)",
		"would install", q, info.cn, spec.cluster, server,
		c->o->embed ? "" : ", file references");
out:
	pki_x509info_free(&info);
	pki_buf_free(&cert_pem);
	pki_buf_free(&key_pem);
	pki_buf_free(&out);
	pki_buf_free(&both);
	pki_kubeconfig_free(kc);
	pki_cert_free(old);
	pki_key_free(skey);
	pki_key_free(fkey);
	free(path);
	free(server);
	free(crt_ref);
	free(key_ref);
	free(link_to);
	return ret;
}

static int
plan_kubeconfig(struct ictx *c, const char *entry, const struct pki_profile *p,
	const struct pki_cert *cert)
{
	const char *name = pki_profile_path(p);

	if (!safe_name(name) || strlen(name) >= 200 || strlen(pki_profile_name(p)) >= 200)
		return pki_err_set(c->err, PKI_E_INVALID, "profile '%s': kubeconfig path '%s' is "
			"not a short file name", pki_profile_name(p), name);
	return plan_kubeconfig_body(c, entry, p, cert);
}

/* Whether the kubeconfig dir is the cert dir's parent, as kubeadm lays
 * them out (/etc/kubernetes and /etc/kubernetes/pki). */
static int
kc_dir_is_cert_parent(const struct pki_install_opts *o)
{
	char a[PATH_MAX], b[PATH_MAX], *slash;

	if (realpath(o->cert_dir, a) == NULL || realpath(o->kc_dir, b) == NULL ||
	    (slash = strrchr(a, '/')) == NULL)
		return 0;
	slash[slash == a] = '\0';
	return strcmp(a, b) == 0;
}

/* ---- the node ----------------------------------------------------------------- */

/* The client CN of a certificate ("" when none), the part after prefix. */
static int
cert_cn(const struct pki_cert *cert, const char *prefix, char **out, struct pki_err *err)
{
	struct pki_x509info info = { 0 };
	size_t n = strlen(prefix);
	int ret = -1;

	*out = NULL;
	if (pki_cert_info(cert, &info, err) != 0)
		goto out;
	*out = pki_strdup(info.cn != NULL && strncmp(info.cn, prefix, n) == 0 ?
			info.cn + n : "", err);
	ret = *out == NULL ? -1 : 0;
out:
	pki_x509info_free(&info);
	return ret;
}

/* An error of a file in place that the plan refuses on its own: not known. */
static int
unknown_in_place(struct ictx *c)
{
	if (c->err->code != PKI_E_PERM && c->err->code != PKI_E_IO)
		return -1;
	pki_err_clear(c->err);
	return 0;
}

/*
 * The node the files in place belong to: the CN of the etcd server
 * certificate, else the name in kubelet.conf's client certificate
 * (system:node:<name>); *node "" when neither says, *what the file that did.
 */
static int
node_in_place(struct ictx *c, char **node, const char **what)
{
	struct idir *d = NULL;
	struct pki_cert *cert = NULL;
	struct pki_kubeconfig *kc = NULL;
	int ret = -1;

	*node = NULL;
	*what = "";
	if (ctx_dir(c, "cert-dir/etcd", 0, &d) != 0) {
		if (unknown_in_place(c) != 0)
			return -1;
		d = NULL;
	}
	if (d != NULL && target_state(d, "server.crt", 0, c->err) < 0) {
		if (unknown_in_place(c) != 0)
			return -1;
		d = NULL;
	}
	if (d != NULL && cert_in_place(c, d, "server.crt", &cert) != 0) {
		if (unknown_in_place(c) != 0)
			return -1;
		cert = NULL;
	}
	if (cert != NULL) {
		*what = "the etcd server certificate";
		if (cert_cn(cert, "", node, c->err) != 0)
			goto out;
		if (**node != '\0') {
			ret = 0;
			goto out;
		}
		free(*node);
		*node = NULL;
	}
	if (ctx_dir(c, "kubeconfig-dir", 0, &d) != 0) {
		if (unknown_in_place(c) != 0)
			goto out;
		d = NULL;
	}
	if (d != NULL && target_state(d, "kubelet.conf", 0, c->err) < 0) {
		if (unknown_in_place(c) != 0)
			goto out;
		d = NULL;
	}
	pki_cert_free(cert);
	cert = NULL;
	if (d != NULL && kubeconfig_in_place(c, d, "kubelet.conf", &kc, &cert) != 0) {
		if (unknown_in_place(c) != 0)
			goto out;
		cert = NULL;
	}
	*what = "kubelet.conf";
	if (cert != NULL)
		ret = cert_cn(cert, "system:node:", node, c->err);
	else
		ret = (*node = pki_strdup("", c->err)) == NULL ? -1 : 0;
out:
	if (ret != 0) {
		free(*node);
		*node = NULL;
	}
	pki_cert_free(cert);
	pki_kubeconfig_free(kc);
	return ret;
}

/*
 * A bundle made for another node is refused (a refusal line, so that the
 * entries' own refusals are listed too): its node must be the one the
 * files in place belong to and, with a configuration, its nodeName. A
 * bundle without a node, or a first install without a configuration, has
 * nothing to compare with.
 */
static int
check_node(struct ictx *c)
{
	const char *want = pki_bundle_node(c->b), *what, *cl = pki_bundle_cluster(c->b);
	char *have = NULL, q1[PKI_QPATH_MAX], q2[PKI_QPATH_MAX];
	int ret = -1;

	/* and for this cluster */
	if (*cl != '\0' && c->o->cluster_name == NULL && c->o->cfg != NULL &&
	    *pki_kubeadm_cluster_name(c->o->cfg) != '\0' &&
	    strcmp(pki_kubeadm_cluster_name(c->o->cfg), cl) != 0 &&
	    pki_names_addf(c->refusals, c->err, "bundle: made for cluster '%s', but the "
		    "configuration is for cluster '%s'", quote(cl, q1),
		    quote(pki_kubeadm_cluster_name(c->o->cfg), q2)) != 0)
		return -1;
	if (*want == '\0')
		return 0;
	quote(want, q1);
	if (c->o->cfg != NULL && *pki_kubeadm_node_name(c->o->cfg) != '\0' &&
	    strcmp(pki_kubeadm_node_name(c->o->cfg), want) != 0) {
		quote(pki_kubeadm_node_name(c->o->cfg), q2);
		return pki_names_addf(c->refusals, c->err, "bundle: made for node '%s', but the "
			"configuration is for node '%s'", q1, q2);
	}
	if (node_in_place(c, &have, &what) != 0)
		return -1;
	if (*have != '\0' && strcmp(have, want) != 0) {
		quote(have, q2);
		if (pki_names_addf(c->refusals, c->err, "bundle: made for node '%s', but %s in "
			    "place belongs to node '%s'", q1, what, q2) != 0)
			goto out;
	}
	ret = 0;
out:
	free(have);
	return ret;
}

/* ---- the intent file --------------------------------------------------------- */

static int
bundle_id(struct ictx *c)
{
	struct pki_buf all = { 0 };
	unsigned char h[32];
	size_t i, len;
	int ret = -1;

	for (i = 0; i < pki_bundle_count(c->b); i++) {
		const struct pki_bundle_entry *e = pki_bundle_at(c->b, i);
		const unsigned char *der = pki_cert_der(pki_bundle_entry_certificate(e), &len);

		if (pki_buf_printf(&all, c->err, "%s\n%zu\n", pki_bundle_entry_name(e), len) != 0 ||
		    pki_buf_append(&all, der, len, c->err) != 0)
			goto out;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, all.data, all.len, h) != 0) {
		pki_err_set(c->err, PKI_E_CRYPTO, "install: cannot hash the bundle");
		goto out;
	}
	hex_id(h, sizeof(h), c->id);
	ret = 0;
out:
	pki_buf_free(&all);
	return ret;
}

/*
 * The SHA-256 (hex) of a file in d, or of a symbolic link's target text;
 * *exists 0 when there is none.
 */
static int
hash_at(struct idir *d, const char *name, char hex[65], int *exists, struct pki_err *err)
{
	struct pki_buf data = { 0 };
	unsigned char h[32];
	char link[PATH_MAX + 6], q[PKI_QPATH_MAX];
	struct stat st;
	ssize_t n;
	int ret = -1;

	*exists = 0;
	if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0;
		return pki_err_set(err, PKI_E_IO, "'%s': cannot stat: %s", qat(d->path, name, q),
			strerror(errno));
	}
	if (S_ISLNK(st.st_mode)) {
		memcpy(link, "link:", 5);
		n = readlinkat(d->fd, name, link + 5, sizeof(link) - 6);
		if (n < 0)
			return pki_err_set(err, PKI_E_IO, "'%s': cannot read the link: %s",
				qat(d->path, name, q), strerror(errno));
		if (pki_buf_append(&data, link, (size_t)n + 5, err) != 0)
			goto out;
		*exists = 1;
	} else if (read_at(d, name, PKI_CAP_ANY, &data, exists, err) != 0) {
		goto out;
	}
	if (!*exists) {
		ret = 0;
		goto out;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data.data, data.len, h) != 0) {
		pki_err_set(err, PKI_E_CRYPTO, "'%s': cannot hash", qat(d->path, name, q));
		goto out;
	}
	hex_id(h, sizeof(h), hex);
	ret = 0;
out:
	pki_buf_free(&data);
	return ret;
}

/*
 * The intent file: every directory the steps use, as found (its realpath,
 * hex-encoded, and st_dev/st_ino), then the steps, each with the SHA-256
 * of what it moves or removes:
 *   dir <token> <dev> <ino> <hex realpath>	("- -": swapped whole)
 *   swap <token> <parent token> <name> <next name> <next dev> <next ino> <dev> <ino>
 *	<stamp> <dest token> <dest name>
 *   name <token> <partial backup folder> <backup folder>
 *   rename <token> <name> <token> <name> <sha256> [<key id>]
 *   unlink <token> <name> <sha256> <key id> <holder token> <holder>
 * where a holder is the kubeconfig or key file that holds the removed key
 * now. The swaps come first.
 */
static int
intent_text(struct ictx *c, struct pki_buf *out)
{
	char hex[65], real[PATH_MAX], rhex[2 * PATH_MAX + 1], q[PKI_QPATH_MAX];
	struct stat st;
	size_t i;
	int exists, r, b;

	if (pki_buf_printf(out, c->err, INTENT_MAGIC "\nid %s\n", c->id) != 0)
		return -1;
	for (i = 0; i < c->ndirs; i++) {
		const struct idir *d = &c->dirs[i];

		if (fstat(d->fd, &st) != 0 || realpath(d->path, real) == NULL)
			return pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot resolve: %s",
				quote(d->path, q), strerror(errno));
		hex_id((const unsigned char *)real, strlen(real), rhex);
		/* a directory swapped whole is another one after the swap: its
		 * path is checked, the swap line names the tree it will be */
		if (in_swapped(c, d))
			r = pki_buf_printf(out, c->err, "dir %s - - %s\n", d->token, rhex);
		else
			r = pki_buf_printf(out, c->err, "dir %s %ju %ju %s\n", d->token,
				(uintmax_t)st.st_dev, (uintmax_t)st.st_ino, rhex);
		if (r != 0)
			return -1;
	}
	for (b = NBASES - 1; b >= 0; b--) {
		const struct swap *sw = &c->sw[b];

		if (sw->planned &&
		    pki_buf_printf(out, c->err, "swap %s %s %s %s %ju %ju %ju %ju %s %s %s\n",
			    base_token[b], parent_token[b], sw->name, sw->next, sw->dev, sw->ino,
			    sw->odev, sw->oino, sw->stamp, sw->dest_tok, sw->dest_name) != 0)
			return -1;
	}
	if (c->bk_tmp != NULL &&
	    pki_buf_printf(out, c->err, "name %s %s %s\n", c->bk_tmp->token, c->bk_partial,
		    c->bk_name) != 0)
		return -1;
	for (i = 0; i < c->nops; i++) {
		const struct op *op = &c->ops[i];

		/* made in a next tree; a staged key moved there from a directory
		 * not swapped is removed once the tree is in */
		if (realized(c, op) && in_swapped(c, op->from))
			continue;
		if (hash_at(op->from, op->from_name, hex, &exists, c->err) != 0)
			return -1;
		if (!exists)
			return pki_err_set(c->err, PKI_E_IO, "'%s': vanished during the install",
				qat(op->from->path, op->from_name, q));
		if (realized(c, op))
			r = pki_buf_printf(out, c->err, "unlink %s %s %s %s %s %s\n",
				op->from->token, op->from_name, hex, op->keyid, op->to->token,
				op->to_name);
		else if (op->kind == OP_RENAME)
			r = pki_buf_printf(out, c->err, "rename %s %s %s %s %s%s%s\n",
				op->from->token, op->from_name, op->to->token, op->to_name, hex,
				op->keyid[0] ? " " : "", op->keyid);
		else
			r = pki_buf_printf(out, c->err, "unlink %s %s %s %s %s %s\n",
				op->from->token, op->from_name, hex, op->keyid, op->holder->token,
				op->holder_name);
		if (r != 0)
			return -1;
	}
	return 0;
}

/* A directory token of an intent file: a known base and safe components. */
static int
token_ok(const char *t)
{
	static const char *const bases[] = { "cert-dir", "kubeconfig-dir", "kubelet-dir",
		"staging", "cert-dir-parent", "kubelet-dir-parent" };
	char buf[PATH_MAX], *save = NULL, *comp;
	size_t i, bl;

	for (i = 0; i < PKI_ARRAY_LEN(bases); i++) {
		bl = strlen(bases[i]);
		if (strncmp(t, bases[i], bl) == 0 && (t[bl] == '\0' || t[bl] == '/'))
			break;
	}
	if (i == PKI_ARRAY_LEN(bases) || strlen(t) >= sizeof(buf))
		return 0;
	if (t[bl] == '\0')
		return 1;
	if (strcmp(bases[i], "staging") == 0 || strstr(bases[i], "-parent") != NULL)
		return 0;
	strcpy(buf, t + bl + 1);
	for (comp = strtok_r(buf, "/", &save); comp != NULL; comp = strtok_r(NULL, "/", &save))
		if (!safe_name(comp))
			return 0;
	return t[strlen(t) - 1] != '/' && strstr(t, "//") == NULL;
}

/* A token a rename or removal may name: never a directory's parent. */
static int
step_token_ok(const char *t)
{
	return token_ok(t) && strstr(t, "-parent") == NULL;
}

/*
 * A "dir" line: the directory this run opens for the token must be the one
 * the interrupted run used (same realpath, device and inode); a rerun
 * with another --cert-dir, --kubeconfig-dir or --kubelet-dir is refused
 * before any step is carried out.
 */
static int
replay_dir(struct ictx *c, char **f, size_t nf, const char *iq, unsigned line)
{
	char real[PATH_MAX], rhex[2 * PATH_MAX + 1], q[PKI_QPATH_MAX];
	struct idir *d = NULL;
	struct stat st;
	char dev[32], ino[32];
	int b;

	if (nf != 5 || !token_ok(f[1]) || strlen(f[4]) > 2 * PATH_MAX)
		return pki_err_set(c->err, PKI_E_PARSE, "install intent '%s': line %u: malformed",
			iq, line);
	if (ctx_dir(c, f[1], 0, &d) != 0)
		return -1;
	if (d == NULL)
		return pki_err_set(c->err, PKI_E_NOTFOUND, "install intent '%s': line %u: "
			"directory '%s' of the interrupted install is missing", iq, line, f[1]);
	quote(d->path, q);
	if (fstat(d->fd, &st) != 0 || realpath(d->path, real) == NULL)
		return pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot resolve: %s", q,
			strerror(errno));
	hex_id((const unsigned char *)real, strlen(real), rhex);
	(void)snprintf(dev, sizeof(dev), "%ju", (uintmax_t)st.st_dev);
	(void)snprintf(ino, sizeof(ino), "%ju", (uintmax_t)st.st_ino);
	/* a directory swapped whole: its path alone (the swap line checks the tree) */
	if (strcmp(f[2], "-") == 0 && strcmp(f[3], "-") == 0 &&
	    (b = tok_base(f[1], real, sizeof(real))) >= 0) {
		(void)snprintf(dev, sizeof(dev), "-");
		(void)snprintf(ino, sizeof(ino), "-");
		c->dash_lines |= 1u << b;
	}
	if (strcmp(dev, f[2]) != 0 || strcmp(ino, f[3]) != 0 || strcmp(rhex, f[4]) != 0)
		return pki_err_set(c->err, PKI_E_INVALID,
			"install intent '%s': directory '%s' is not the %s the interrupted install "
			"used; rerun it with the same --cert-dir, --kubeconfig-dir and --kubelet-dir",
			iq, q, f[1]);
	return 0;
}

/* The key id of a kubeconfig's client key, embedded or referenced. */
static int
kubeconfig_key_id(struct idir *d, const char *name, char hex[65], struct pki_err *err)
{
	struct pki_kubeconfig *kc = NULL;
	struct pki_key *key = NULL;
	struct pki_buf data = { 0 };
	const struct pki_buf *kd;
	unsigned char id[32];
	char *path = NULL;
	int exists, ret = -1;

	hex[0] = '\0';
	if (read_at(d, name, PKI_CAP_YAML, &data, &exists, err) != 0)
		return -1;
	if (!exists) {
		ret = 0;
		goto out;
	}
	if (join3(&path, d->path, name, err) != 0 ||
	    pki_kubeconfig_parse(data.data, data.len, path, &kc, err) != 0)
		goto out;
	if ((kd = pki_kubeconfig_client_key_data(kc)) != NULL) {
		if (pki_key_parse(kd->data, kd->len, path, &key, err) != 0)
			goto out;
	} else if (pki_kubeconfig_client_key_file(kc) != NULL) {
		if (pki_key_load(pki_kubeconfig_client_key_file(kc), &key, err) != 0)
			goto out;
	} else {
		ret = 0;
		goto out;
	}
	if (pki_key_public_id(key, id, err) != 0)
		goto out;
	hex_id(id, sizeof(id), hex);
	ret = 0;
out:
	pki_key_free(key);
	pki_kubeconfig_free(kc);
	pki_buf_free(&data);
	free(path);
	return ret;
}

/* The key id of the file that holds a key now: a key file ("*.key") or a
 * kubeconfig; "" when it is missing. */
static int
holder_key_id(struct idir *d, const char *name, char hex[65], struct pki_err *err)
{
	struct pki_key *key = NULL;
	struct pki_buf data = { 0 };
	unsigned char id[32];
	char *path = NULL;
	size_t n = strlen(name);
	int exists, ret = -1;

	if (n <= 4 || strcmp(name + n - 4, ".key") != 0)
		return kubeconfig_key_id(d, name, hex, err);
	hex[0] = '\0';
	if (read_at(d, name, PKI_CAP_KEY, &data, &exists, err) != 0)
		return -1;
	if (!exists) {
		ret = 0;
		goto out;
	}
	if (join3(&path, d->path, name, err) != 0 ||
	    pki_key_parse(data.data, data.len, path, &key, err) != 0 ||
	    pki_key_public_id(key, id, err) != 0)
		goto out;
	hex_id(id, sizeof(id), hex);
	ret = 0;
out:
	pki_key_free(key);
	pki_buf_free(&data);
	free(path);
	return ret;
}

static int carry_swaps(struct ictx *c) PKI_WUR;

/*
 * A "swap" line: the swap of a directory whole, carried out from wherever
 * the interrupted run stopped. Its names must be the directory's own and
 * the next tree's, its parent the one this run finds.
 */
static int
replay_swap(struct ictx *c, char **f, size_t nf, const char *iq, unsigned line)
{
	struct idir *parent = NULL;
	struct swap *sw;
	char want[NAME_MAX + 1];
	uint64_t v[4];
	size_t n;
	int b;

	for (b = 0; b < NBASES; b++)
		if (nf == 12 && strcmp(f[1], base_token[b]) == 0 &&
		    strcmp(f[2], parent_token[b]) == 0)
			break;
	if (b == NBASES || !safe_name(f[3]) || !safe_name(f[4]) ||
	    pki_parse_u64(f[5], 0, UINT64_MAX, &v[0]) != 0 ||
	    pki_parse_u64(f[6], 1, UINT64_MAX, &v[1]) != 0 ||
	    pki_parse_u64(f[7], 0, UINT64_MAX, &v[2]) != 0 ||
	    pki_parse_u64(f[8], 1, UINT64_MAX, &v[3]) != 0 || strlen(f[9]) != 64 ||
	    strspn(f[9], "0123456789abcdef") != 64 || !safe_name(f[11]))
		return pki_err_set(c->err, PKI_E_PARSE, "install intent '%s': line %u: malformed",
			iq, line);
	if (ctx_dir(c, parent_token[b], 0, &parent) != 0)
		return -1;
	sw = &c->sw[b];
	/* the names open_parent() found for this run's directory */
	if (parent == NULL || strcmp(f[3], sw->name) != 0 || strcmp(f[4], sw->next) != 0)
		return pki_err_set(c->err, PKI_E_INVALID, "install intent '%s': line %u: the "
			"swap of another directory than '%s'; rerun with the same --cert-dir and "
			"--kubelet-dir", iq, line, f[1]);
	/* the previous tree goes only where an install puts it */
	if (strcmp(f[10], parent_token[b]) == 0) {
		(void)snprintf(want, sizeof(want), "%s.kpki-backup-", sw->name);
		n = strlen(want);
		if (strncmp(f[11], want, n) != 0 || f[11][n] == '\0')
			return pki_err_set(c->err, PKI_E_PARSE, "install intent '%s': line %u: "
				"malformed", iq, line);
	} else {
		n = strlen("kubeconfig-dir/tmp/.kpki-backup-");
		backup_rel_dir(&(struct idir){ .token = (char *)base_token[b] }, want,
			sizeof(want));
		if (strncmp(f[10], "kubeconfig-dir/tmp/.kpki-backup-", n) != 0 ||
		    !token_ok(f[10]) || strlen(f[10]) < n + 9 ||
		    strcmp(f[10] + strlen(f[10]) - 8, ".partial") != 0 || strcmp(f[11], want) != 0)
			return pki_err_set(c->err, PKI_E_PARSE, "install intent '%s': line %u: "
				"malformed", iq, line);
	}
	sw->parent = parent;
	sw->dev = v[0];
	sw->ino = v[1];
	sw->odev = v[2];
	sw->oino = v[3];
	memcpy(sw->stamp, f[9], 65);
	(void)snprintf(sw->dest_tok, sizeof(sw->dest_tok), "%s", f[10]);
	(void)snprintf(sw->dest_name, sizeof(sw->dest_name), "%s", f[11]);
	c->swap_lines |= 1u << b;
	sw->planned = 1; /* carried out with the others by carry_swaps() */
	return 0;
}

/*
 * Does one step of an intent file again. What a step moves or removes must
 * still be what the interrupted run hashed; a rename whose source is gone
 * was done only if its target is that file; a staged key is removed only
 * when the installed kubeconfig holds it.
 */
static int
replay_step(struct ictx *c, char **f, size_t nf, const char *iq, unsigned line)
{
	struct idir *from = NULL, *to = NULL, *holder = NULL;
	struct pki_key *key = NULL;
	unsigned char id[32];
	char hex[65], hash[65], *path = NULL, q[PKI_QPATH_MAX], q2[PKI_QPATH_MAX];
	const char *keyid = NULL;
	int rename_op = strcmp(f[0], "rename") == 0, e, ret = -1;

	if (!((rename_op && (nf == 6 || nf == 7)) || (strcmp(f[0], "unlink") == 0 && nf == 7)) ||
	    !step_token_ok(f[1]) || !safe_name(f[2]) ||
	    (rename_op && (!step_token_ok(f[3]) || !safe_name(f[4]) || strlen(f[5]) != 64 ||
				  (nf == 7 && strlen(f[6]) != 64))) ||
	    (!rename_op && (strlen(f[3]) != 64 || strlen(f[4]) != 64 || !step_token_ok(f[5]) ||
				   !safe_name(f[6]))))
		return pki_err_set(c->err, PKI_E_PARSE, "install intent '%s': line %u: malformed",
			iq, line);
	keyid = rename_op ? (nf == 7 ? f[6] : NULL) : f[4];
	if (ctx_dir(c, f[1], 0, &from) != 0 || (rename_op && ctx_dir(c, f[3], 0, &to) != 0) ||
	    (!rename_op && ctx_dir(c, f[5], 0, &holder) != 0))
		return -1;
	if (from == NULL || (rename_op && to == NULL) || (!rename_op && holder == NULL))
		return pki_err_set(c->err, PKI_E_NOTFOUND,
			"install intent '%s': line %u: a directory is missing", iq, line);
	if (join3(&path, from->path, f[2], c->err) != 0)
		return -1;
	quote(path, q);
	e = target_state(from, f[2], 1, c->err);
	if (e < 0)
		goto out;
	if (e == 0) {
		/* gone: done, if the target is what the step moved */
		if (rename_op) {
			if (hash_at(to, f[4], hash, &e, c->err) != 0)
				goto out;
			if (!e || strcmp(hash, f[5]) != 0) {
				pki_err_set(c->err, PKI_E_INVALID,
					"install intent '%s': line %u: '%s' is gone and '%s' is not "
					"the file the interrupted install moved there; refusing to go "
					"on", iq, line, q, qat(to->path, f[4], q2));
				goto out;
			}
		}
		ret = 0;
		goto out;
	}
	if (hash_at(from, f[2], hash, &e, c->err) != 0)
		goto out;
	if (!e || strcmp(hash, f[5 - 2 * !rename_op]) != 0) {
		pki_err_set(c->err, PKI_E_INVALID, "install intent '%s': line %u: '%s' is not the "
			"file the interrupted install wrote or checked; refusing to %s it", iq, line,
			q, rename_op ? "move" : "remove");
		goto out;
	}
	/* a key moves or goes only if it is still the key the interrupted run checked */
	if (keyid != NULL) {
		if (pki_key_load(path, &key, c->err) != 0 ||
		    pki_key_public_id(key, id, c->err) != 0)
			goto out;
		hex_id(id, sizeof(id), hex);
		if (strcmp(hex, keyid) != 0) {
			pki_err_set(c->err, PKI_E_INVALID,
				"install intent '%s': key '%s' is not the key the interrupted install "
				"checked; refusing to %s it", iq, q, rename_op ? "move" : "remove");
			goto out;
		}
	}
	if (!rename_op) {
		if (holder_key_id(holder, f[6], hex, c->err) != 0)
			goto out;
		if (strcmp(hex, keyid) != 0) {
			pki_err_set(c->err, PKI_E_INVALID,
				"install intent '%s': staged key '%s' is not the key of '%s'; "
				"keeping it", iq, q, qat(holder->path, f[6], q2));
			goto out;
		}
		if (unlinkat(from->fd, f[2], 0) != 0) {
			pki_err_set(c->err, PKI_E_IO, "'%s': cannot remove: %s", q, strerror(errno));
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (renameat(from->fd, f[2], to->fd, f[4]) != 0) {
		pki_err_set(c->err, PKI_E_IO, "'%s': cannot rename into place: %s", q,
			strerror(errno));
		goto out;
	}
	ret = 0;
out:
	pki_key_free(key);
	free(path);
	return ret;
}

static int
sync_dirs(struct ictx *c)
{
	char q[PKI_QPATH_MAX];
	size_t i;

	for (i = 0; i < c->ndirs; i++)
		if (fsync(c->dirs[i].fd) != 0) {
			quote(c->dirs[i].path, q);
			return pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot sync: %s", q,
				strerror(errno));
		}
	return 0;
}

/*
 * A run killed inside pki_file_writeat() leaves its temporary file
 * (".<name>.tmp-<hex>") behind; ours are those of the pending files and of
 * the intent file, and they go before anything else is written.
 */
static void
sweep_stale(struct ictx *c)
{
	struct dirent *de;
	struct stat st;
	size_t i;

	for (i = 0; i < c->ndirs; i++) {
		int fd = dup(c->dirs[i].fd);
		DIR *dh = fd >= 0 ? fdopendir(fd) : NULL;

		if (dh == NULL) {
			if (fd >= 0)
				(void)close(fd);
			continue;
		}
		rewinddir(dh); /* the dup shares its offset with the dir's fd */
		while ((de = readdir(dh)) != NULL) {
			const char *n = de->d_name;

			if (!((strncmp(n, "..", 2) == 0 && strstr(n, PENDING_SUFFIX ".tmp-") != NULL) ||
				    strncmp(n, "." INTENT_NAME ".tmp-", sizeof(INTENT_NAME) + 5) == 0))
				continue;
			if (fstatat(c->dirs[i].fd, n, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode))
				(void)unlinkat(c->dirs[i].fd, n, 0);
		}
		(void)closedir(dh);
	}
}

/* Whether a half-made backup folder belongs to a cert dir whose install
 * was interrupted (its intent file names it and will finish it). */
static int
partial_in_use(struct idir *tmp, const char *name)
{
	char owner[PATH_MAX + 64];
	struct stat st;
	ssize_t n;
	int dfd, fd;

	dfd = openat(tmp->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	fd = openat(dfd, OWNER_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	(void)close(dfd);
	if (fd < 0)
		return 0;
	n = read(fd, owner, PATH_MAX);
	(void)close(fd);
	if (n <= 1 || owner[n - 1] != '\n' || memchr(owner, '\0', (size_t)n) != NULL)
		return 0;
	owner[n - 1] = '\0';
	(void)snprintf(owner + n - 1, sizeof(owner) - (size_t)n + 1, "/%s/%s", PKI_STAGING_DIR,
		INTENT_NAME);
	return owner[0] == '/' && lstat(owner, &st) == 0;
}

/* Backups a killed run left half made (".kpki-backup-*.partial") go,
 * unless an interrupted install still needs them. */
static void
sweep_partial_backups(struct ictx *c)
{
	struct idir *tmp = NULL;
	struct dirent *de;
	DIR *dh;
	int fd;

	if (ctx_dir(c, "kubeconfig-dir/tmp", 0, &tmp) != 0 || tmp == NULL) {
		pki_err_clear(c->err);
		return;
	}
	if ((fd = dup(tmp->fd)) < 0)
		return;
	if ((dh = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return;
	}
	rewinddir(dh); /* the dup shares its offset with tmp->fd, read before */
	while ((de = readdir(dh)) != NULL) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, ".kpki-backup-", 13) == 0 && len > 21 &&
		    strcmp(de->d_name + len - 8, ".partial") == 0 &&
		    !partial_in_use(tmp, de->d_name))
			pki_tree_removeat(tmp->fd, de->d_name, 16);
	}
	(void)closedir(dh);
	(void)fsync(tmp->fd);
}

/* The staging directory goes when its last key has been used. */
static void
drop_staging(struct ictx *c)
{
	struct idir *cd = NULL, *stg = NULL;

	if (ctx_dir(c, "cert-dir", 0, &cd) != 0 || ctx_dir(c, "staging", 0, &stg) != 0 ||
	    cd == NULL || stg == NULL)
		return;
	if (unlinkat(cd->fd, PKI_STAGING_DIR, AT_REMOVEDIR) == 0)
		(void)fsync(cd->fd);
}

/* The swaps an intent file lists, carried out (its "- -" directories must
 * all have one): 1 when they could not be and nothing changed. */
static int
replay_swaps(struct ictx *c, const char *iq, unsigned line)
{
	if (c->dash_lines & ~c->swap_lines)
		return pki_err_set(c->err, PKI_E_PARSE, "install intent '%s': line %u: a "
			"directory without its swap", iq, line);
	return c->swap_lines != 0 ? carry_swaps(c) : 0;
}

/*
 * An interrupted install none of whose steps was carried out (its first
 * swap cannot be done: the directory changed since it was copied, or it
 * cannot be exchanged) is given up: its intent file goes, and the sweeps of
 * a fresh run remove its copies. Returns 0: there is no intent any more.
 */
static int
abandon_intent(struct ictx *c, struct idir *stg, const char *iq)
{
	char msg[PKI_ERR_MSG_MAX];

	(void)snprintf(msg, sizeof(msg), "%s", c->err->msg);
	pki_err_clear(c->err);
	if (unlinkat(stg->fd, INTENT_NAME, 0) != 0 || fsync(stg->fd) != 0)
		return pki_err_set(c->err, PKI_E_IO, "'%s': cannot remove: %s", iq,
			strerror(errno));
	return note(c, "gave up the interrupted install recorded in '%s', none of which had "
		"been carried out: %s", iq, msg);
}

/*
 * Finishes an interrupted install of the same bundle: returns 1 when an
 * intent file was found and carried out (or, dry run, would be), 0 when
 * there is none.
 */
static int
replay_intent(struct ictx *c)
{
	struct idir *stg = NULL;
	struct pki_buf buf = { 0 };
	char *path = NULL, iq[PKI_QPATH_MAX], *line, *next, *f[14];
	unsigned lineno = 0;
	size_t nf;
	int exists, ret = -1, r, b, carried = 0;

	if (ctx_dir(c, "staging", 0, &stg) != 0)
		return -1;
	if (stg == NULL)
		return 0;
	if (read_at(stg, INTENT_NAME, INTENT_CAP, &buf, &exists, c->err) != 0)
		return -1;
	if (!exists)
		return 0;
	if (join3(&path, stg->path, INTENT_NAME, c->err) != 0)
		goto out;
	quote(path, iq);
	if (memchr(buf.data, '\0', buf.len) != NULL) {
		pki_err_set(c->err, PKI_E_PARSE, "install intent '%s': not text", iq);
		goto out;
	}
	for (line = (char *)buf.data; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next == NULL) {
			pki_err_set(c->err, PKI_E_PARSE, "install intent '%s': truncated", iq);
			goto out;
		}
		*next++ = '\0';
		lineno++;
		if (lineno == 1) {
			if (strcmp(line, INTENT_MAGIC) != 0 && strcmp(line, INTENT_MAGIC_V2) != 0) {
				pki_err_set(c->err, PKI_E_PARSE,
					"install intent '%s': not an intent file", iq);
				goto out;
			}
			continue;
		}
		for (nf = 0; nf < PKI_ARRAY_LEN(f); nf++) {
			f[nf] = strsep(&line, " ");
			if (f[nf] == NULL)
				break;
		}
		if (lineno == 2) {
			if (nf != 2 || strcmp(f[0], "id") != 0) {
				pki_err_set(c->err, PKI_E_PARSE, "install intent '%s': no id", iq);
				goto out;
			}
			if (strcmp(f[1], c->id) != 0) {
				pki_err_set(c->err, PKI_E_EXISTS,
					"install intent '%s': an install of another signed bundle was "
					"interrupted; finish it by rerunning that install, or check "
					"every pair by hand and remove the intent file", iq);
				goto out;
			}
			continue;
		}
		if (nf >= 1 && strcmp(f[0], "dir") == 0) {
			if (replay_dir(c, f, nf, iq, lineno) != 0)
				goto out;
			continue;
		}
		/* every directory is the one the interrupted run used: a dry run
		 * stops here */
		if (c->o->dry_run) {
			ret = note(c, "would finish the interrupted install recorded in '%s'",
				      iq) == 0 ? 1 : -1;
			goto out;
		}
		if (nf >= 1 && strcmp(f[0], "swap") == 0 && !carried) {
			if (replay_swap(c, f, nf, iq, lineno) != 0)
				goto out;
			continue;
		}
		/* the swaps read, before any other step: carried out together */
		if (!carried) {
			carried = 1;
			if ((r = replay_swaps(c, iq, lineno)) > 0) {
				ret = abandon_intent(c, stg, iq);
				goto out;
			}
			if (r != 0)
				goto out;
		}
		if (nf >= 1 && strcmp(f[0], "name") == 0 && !c->o->dry_run) {
			struct idir *tmp = NULL;

			if (nf != 4 || strcmp(f[1], "kubeconfig-dir/tmp") != 0 ||
			    !safe_name(f[2]) || !safe_name(f[3]) ||
			    strncmp(f[2], ".kpki-backup-", 13) != 0 ||
			    strncmp(f[3], "kpki-backup-", 12) != 0) {
				pki_err_set(c->err, PKI_E_PARSE, "install intent '%s': line %u: "
					"malformed", iq, lineno);
				goto out;
			}
			if (ctx_dir(c, f[1], 0, &tmp) != 0)
				goto out;
			if (tmp == NULL) {
				pki_err_set(c->err, PKI_E_NOTFOUND, "install intent '%s': line %u: "
					"the backup folder's directory is missing", iq, lineno);
				goto out;
			}
			if (name_backup(tmp, f[2], f[3], c->err) != 0)
				goto out;
			continue;
		}
		if (replay_step(c, f, nf, iq, lineno) != 0)
			goto out;
	}
	if (lineno < 2) {
		pki_err_set(c->err, PKI_E_PARSE, "install intent '%s': truncated", iq);
		goto out;
	}
	if (c->o->dry_run) {
		ret = note(c, "would finish the interrupted install recorded in '%s'", iq) == 0 ?
			1 : -1;
		goto out;
	}
	if (!carried && (r = replay_swaps(c, iq, lineno)) != 0) {
		if (r > 0)
			ret = abandon_intent(c, stg, iq);
		goto out;
	}
	if (sync_dirs(c) != 0)
		goto out;
	if (unlinkat(stg->fd, INTENT_NAME, 0) != 0 || fsync(stg->fd) != 0) {
		pki_err_set(c->err, PKI_E_IO, "'%s': cannot remove: %s", iq, strerror(errno));
		goto out;
	}
	ret = note(c, "finished the interrupted install recorded in '%s'", iq) == 0 ? 1 : -1;
out:
	/* the plan that follows decides its own swaps */
	for (b = 0; b < NBASES; b++)
		c->sw[b].planned = 0;
	pki_buf_free(&buf);
	free(path);
	return ret;
}

/* Staged keys this bundle does not use are said so: they wait for the
 * bundle with their certificates (a bundle cut short leaves them). */
static int
note_unused_staged(struct ictx *c)
{
	struct idir *stg = NULL;
	struct dirent *de;
	struct stat st;
	char q[PKI_QPATH_MAX];
	size_t i, n;
	DIR *dh;
	int fd, used, ret = 0;

	if (ctx_dir(c, "staging", 0, &stg) != 0 || stg == NULL) {
		pki_err_clear(c->err);
		return 0;
	}
	if ((fd = dup(stg->fd)) < 0 || (dh = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			(void)close(fd);
		return 0;
	}
	rewinddir(dh); /* the dup shares its offset with the dir's fd */
	while (ret == 0 && (de = readdir(dh)) != NULL) {
		n = strlen(de->d_name);
		if (n <= 4 || strcmp(de->d_name + n - 4, ".key") != 0 ||
		    fstatat(stg->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		for (i = 0, used = 0; i < c->nops && !used; i++)
			used = c->ops[i].from == stg && strcmp(c->ops[i].from_name, de->d_name) == 0;
		if (!used)
			ret = note(c, "staged key '%s' is not for this bundle: it stays for the "
				"bundle with its certificate", qat(stg->path, de->d_name, q));
	}
	(void)closedir(dh);
	return ret;
}

/* ---- swapping a directory whole ----------------------------------------------- */

/* Whether real path a is b or lies below it. */
static int
path_within(const char *a, const char *b)
{
	size_t n = strlen(b);

	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || strcmp(b, "/") == 0);
}

struct skipctx {
	struct ictx *c;
	int b;
};

/* What the copy of base b leaves out: our own leftovers, the intent file,
 * and every file an op replaces, moves away or removes. */
static int
swap_skip(const char *rel, void *arg)
{
	const struct skipctx *sk = arg;
	const struct ictx *c = sk->c;
	const char *name = strrchr(rel, '/');
	char dir[PATH_MAX], full[2 * PATH_MAX + 2];
	size_t i, n;

	name = name != NULL ? name + 1 : rel;
	n = strlen(name);
	if (name[0] == '.' && (strstr(name, PENDING_SUFFIX ".tmp-") != NULL ||
				      (n > sizeof(PENDING_SUFFIX) &&
					      strcmp(name + n - sizeof(PENDING_SUFFIX) + 1,
						      PENDING_SUFFIX) == 0) ||
				      strncmp(name, "." INTENT_NAME ".tmp-",
					      sizeof(INTENT_NAME) + 5) == 0))
		return 1;
	if (sk->b == BASE_CERT && strcmp(rel, PKI_STAGING_DIR "/" INTENT_NAME) == 0)
		return 1;
	for (i = 0; i < c->nops; i++) {
		const struct op *op = &c->ops[i];

		if (!realized(c, op))
			continue;
		if (op->kind == OP_RENAME && tok_base(op->to->token, dir, sizeof(dir)) == sk->b) {
			(void)snprintf(full, sizeof(full), "%s%s%s", dir, dir[0] ? "/" : "",
				op->to_name);
			if (strcmp(full, rel) == 0)
				return 1;
		}
		if (tok_base(op->from->token, dir, sizeof(dir)) == sk->b) {
			(void)snprintf(full, sizeof(full), "%s%s%s", dir, dir[0] ? "/" : "",
				op->from_name);
			if (strcmp(full, rel) == 0)
				return 1;
		}
	}
	return 0;
}

static int
refuse_swap(struct ictx *c, const char *dir, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
refuse_swap(struct ictx *c, const char *dir, const char *fmt, ...)
{
	char msg[PKI_ERR_MSG_MAX], q[PKI_QPATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pki_names_addf(c->refusals, c->err, "directory '%s': %s, so it cannot be "
		"swapped whole to change each key together with its certificate; rerun with "
		"--in-place to replace them one after the other", quote(dir, q), msg);
}

/*
 * The directories swapped whole, checked now (a dry run says what the
 * commit would meet): not a mount point, holding no other directory the
 * install writes in, in a parent that lets us create. The previous tree
 * goes into the backup folder when that is on the same filesystem, else
 * beside the directory as "<name>.kpki-backup-<stamp>". Problems are
 * refusals.
 */
static int
plan_swaps(struct ictx *c)
{
	const char *others[3] = { c->o->cert_dir, c->o->kc_dir, c->kubelet_dir };
	char q[PKI_QPATH_MAX], rb[PATH_MAX], ro[PATH_MAX];
	struct idir *base = NULL, *parent = NULL, *kd = NULL, *tmp = NULL;
	struct skipctx sk = { NULL, 0 };
	char dname[NAME_MAX + 1];
	struct pki_tree_copy dry = { swap_skip, &sk, SWAP_MAX_ENTRIES, SWAP_MAX_BYTES,
		SWAP_MAX_DEPTH, 1 };
	struct stat sb, sp, st;
	size_t i, j;
	int b, bad;

	for (b = 0; b < NBASES; b++) {
		struct swap *sw = &c->sw[b];

		if (!sw->need || c->o->in_place)
			continue;
		if (ctx_dir(c, base_token[b], 0, &base) != 0)
			return -1;
		if (base == NULL)
			continue; /* refused entry by entry */
		if (ctx_dir(c, parent_token[b], 0, &parent) != 0) {
			if (c->err->code == PKI_E_NOMEM ||
			    refuse_swap(c, base->path, "%s", c->err->msg) != 0)
				return -1;
			pki_err_clear(c->err);
			continue;
		}
		if (fstat(base->fd, &sb) != 0 || fstat(parent->fd, &sp) != 0 ||
		    realpath(base->path, rb) == NULL)
			return pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot stat: %s",
				quote(base->path, q), strerror(errno));
		if (sb.st_dev != sp.st_dev || !same_mount(base->fd, parent->fd)) {
			if (refuse_swap(c, base->path, "is a mount point") != 0)
				return -1;
			continue;
		}
		/* the directory found by name in the parent is the one opened */
		if (fstatat(parent->fd, sw->name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    st.st_dev != sb.st_dev || st.st_ino != sb.st_ino) {
			if (refuse_swap(c, base->path, "is not '%s' in '%s' (moved while being "
				    "looked at?)", sw->name, quote(parent->path, q)) != 0)
				return -1;
			continue;
		}
		sw->odev = (uintmax_t)sb.st_dev;
		sw->oino = (uintmax_t)sb.st_ino;
		if (faccessat(parent->fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
			if (refuse_swap(c, base->path, "cannot create in '%s': %s",
				    quote(parent->path, q), strerror(errno)) != 0)
				return -1;
			continue;
		}
		for (i = 0, bad = 0; i < PKI_ARRAY_LEN(others) && !bad; i++)
			if (i != (b == BASE_CERT ? 0u : 2u) && realpath(others[i], ro) != NULL &&
			    path_within(ro, rb))
				bad = refuse_swap(c, base->path, "holds '%s', which the install "
					"writes in too", quote(others[i], q)) != 0 ? -1 : 1;
		if (bad != 0) {
			if (bad < 0)
				return -1;
			continue;
		}
		/* the backup folder's directory, or the kubeconfig dir it is made in */
		if (ctx_dir(c, "kubeconfig-dir/tmp", 0, &tmp) != 0)
			pki_err_clear(c->err); /* check_commit_dirs() says why */
		if (tmp == NULL && ctx_dir(c, "kubeconfig-dir", 0, &kd) != 0)
			pki_err_clear(c->err);
		if ((tmp != NULL || kd != NULL) && fstat((tmp != NULL ? tmp : kd)->fd, &st) == 0 &&
		    st.st_dev == sp.st_dev && same_mount((tmp != NULL ? tmp : kd)->fd, parent->fd)) {
			sw->to_backup = 1;
			backup_rel_dir(base, sw->dest_name, sizeof(sw->dest_name));
		} else {
			(void)snprintf(sw->dest_tok, sizeof(sw->dest_tok), "%s", parent_token[b]);
			(void)snprintf(dname, sizeof(dname), "%s.kpki-backup-%s", sw->name,
				c->stamp);
			memcpy(sw->dest_name, dname, sizeof(sw->dest_name));
			if (fstatat(parent->fd, sw->dest_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
				if (refuse_swap(c, base->path, "'%s' is there already",
					    qat(parent->path, sw->dest_name, q)) != 0)
					return -1;
				continue;
			}
		}
		/* everything in it can be copied (a dry run sees it too) */
		sk.c = c;
		sk.b = b;
		if (pki_tree_copyat(base->fd, base->path, -1, base->path, &dry, c->err) != 0) {
			if (c->err->code == PKI_E_NOMEM ||
			    refuse_swap(c, base->path, "%s", c->err->msg) != 0)
				return -1;
			pki_err_clear(c->err);
			continue;
		}
		sw->parent = parent;
		sw->planned = 1;
		/* the whole previous tree is the backup of the files in it */
		for (i = j = 0; i < c->nbk; i++) {
			if (in_swapped(c, c->bk[i].dir)) {
				free(c->bk[i].name);
				free(c->bk[i].rel);
				continue;
			}
			c->bk[j++] = c->bk[i];
		}
		c->nbk = j;
		if (sw->to_backup)
			(void)snprintf(ro, sizeof(ro), "%s", sw->dest_name);
		else
			qat(parent->path, sw->dest_name, ro); /* where it really is */
		if (note(c, "would swap '%s' whole (each key with its certificate), keeping the "
			    "previous tree %s '%s'", quote(base->path, q),
			    sw->to_backup ? "in the backup folder as" : "beside it as", ro) != 0)
			return -1;
	}
	return 0;
}

/* The path of a directory of the next tree, for messages. */
static void
next_path(const struct swap *sw, const char *rel, char *out, size_t cap)
{
	(void)snprintf(out, cap, "%s/%s%s%s", sw->parent->path, sw->next, rel[0] ? "/" : "", rel);
}

/* Opens the directory rel (a path inside) of the tree open at fd. */
static int
open_rel(int fd, const char *rel, const char *what, struct pki_err *err)
{
	char buf[PATH_MAX], *save = NULL, *comp, q[PKI_QPATH_MAX];
	int cur = dup(fd), nfd;

	if (cur < 0 || strlen(rel) >= sizeof(buf)) {
		if (cur >= 0)
			(void)close(cur);
		return pki_err_set(err, PKI_E_IO, "directory '%s': cannot open", quote(what, q));
	}
	strcpy(buf, rel);
	for (comp = strtok_r(buf, "/", &save); comp != NULL; comp = strtok_r(NULL, "/", &save)) {
		nfd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		(void)close(cur);
		if (nfd < 0)
			return pki_err_set(err, PKI_E_IO, "directory '%s': cannot open: %s",
				quote(what, q), strerror(errno));
		cur = nfd;
	}
	return cur;
}

/* Whether a key's text is the key of id (hex); "" matches nothing. */
static int
same_key(const struct pki_buf *data, const char *id)
{
	struct pki_key *key = NULL;
	struct pki_err err;
	unsigned char h[32];
	char hex[65];
	int same = 0;

	if (id[0] != '\0' && pki_key_parse(data->data, data->len, "staged key", &key, &err) == 0 &&
	    pki_key_public_id(key, h, &err) == 0) {
		hex_id(h, sizeof(h), hex);
		same = strcmp(hex, id) == 0;
	}
	pki_key_free(key);
	return same;
}

/* The pending file an op moves, or NULL (a staged key). */
static const struct pending *
pending_of(const struct ictx *c, const struct op *op)
{
	size_t i;

	for (i = 0; i < c->npend; i++)
		if (c->pend[i].dir == op->from && strcmp(c->pend[i].name, op->from_name) == 0)
			return &c->pend[i];
	return NULL;
}

/* What a stamp leaves out: the staging directory (ours, and it changes
 * while the install runs) and the install's own temporary names. */
static int
stamp_skip(const char *rel, void *arg)
{
	const char *name = strrchr(rel, '/');
	size_t n;

	(void)arg;
	if (strcmp(rel, PKI_STAGING_DIR) == 0)
		return 1;
	name = name != NULL ? name + 1 : rel;
	n = strlen(name);
	return name[0] == '.' && (strstr(name, ".tmp-") != NULL ||
					 (n > sizeof(PENDING_SUFFIX) &&
						 strcmp(name + n - sizeof(PENDING_SUFFIX) + 1,
							 PENDING_SUFFIX) == 0));
}

/* The stamp (hex) of base b's directory open at fd. */
static int
swap_stamp(struct ictx *c, int b, int fd, char hex[65])
{
	struct pki_tree_copy opt = { stamp_skip, NULL, SWAP_MAX_ENTRIES, SWAP_MAX_BYTES,
		SWAP_MAX_DEPTH, 1 };
	unsigned char h[32];
	char where[PATH_MAX + NAME_MAX + 2];

	(void)snprintf(where, sizeof(where), "%s/%s", c->sw[b].parent->path, c->sw[b].name);
	if (pki_tree_stamp(fd, where, &opt, h, c->err) != 0)
		return -1;
	hex_id(h, sizeof(h), hex);
	return 0;
}

/*
 * Builds the next tree of base b beside it: a copy of the directory, less
 * what swap_skip() leaves out, with each new file an op would rename into
 * it written at its final name. The copy gets the directory's owner and
 * mode and is synced whole before anything is exchanged.
 */
static int
build_swap(struct ictx *c, int b)
{
	struct swap *sw = &c->sw[b];
	struct skipctx sk = { c, b };
	struct pki_tree_copy opt = { swap_skip, &sk, SWAP_MAX_ENTRIES, SWAP_MAX_BYTES,
		SWAP_MAX_DEPTH, 0 };
	struct pki_buf data = { 0 };
	struct idir *base = NULL;
	char where[PATH_MAX + 2 * NAME_MAX], rel[PATH_MAX], q[PKI_QPATH_MAX];
	struct stat st;
	size_t i;
	int dfd = -1, exists, ret = -1;

	if (ctx_dir(c, base_token[b], 0, &base) != 0)
		return -1;
	if (base == NULL)
		return pki_err_set(c->err, PKI_E_IO, "directory '%s': vanished during the install",
			quote(c->o->cert_dir, q));
	next_path(sw, "", where, sizeof(where));
	quote(where, q);
	if (mkdirat(sw->parent->fd, sw->next, 0700) != 0)
		return pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot create: %s", q,
			strerror(errno));
	sw->built = 1;
	sw->nfd = openat(sw->parent->fd, sw->next, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		O_CLOEXEC);
	if (sw->nfd < 0 || fstat(sw->nfd, &st) != 0)
		return pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot open: %s", q,
			strerror(errno));
	sw->dev = (uintmax_t)st.st_dev;
	sw->ino = (uintmax_t)st.st_ino;
	/* what it holds now: checked again just before the exchange */
	if (swap_stamp(c, b, base->fd, sw->stamp) != 0 ||
	    pki_tree_copyat(base->fd, base->path, sw->nfd, where, &opt, c->err) != 0 ||
	    pki_xattr_copy(base->fd, sw->nfd, q, c->err) != 0)
		return -1;
	for (i = 0; i < c->nops; i++) {
		const struct op *op = &c->ops[i];
		const struct pending *p;

		if (op->kind != OP_RENAME || !realized(c, op) ||
		    tok_base(op->to->token, rel, sizeof(rel)) != b)
			continue;
		next_path(sw, rel, where, sizeof(where));
		if ((dfd = open_rel(sw->nfd, rel, where, c->err)) < 0)
			goto out;
		p = pending_of(c, op);
		if (p != NULL && p->link_to != NULL) {
			if (symlinkat(p->link_to, dfd, op->to_name) != 0) {
				pki_err_set(c->err, PKI_E_IO, "'%s': cannot create: %s",
					qat(where, op->to_name, q), strerror(errno));
				goto out;
			}
		} else if (p != NULL) {
			if (pki_file_createat(dfd, where, op->to_name, p->data.data, p->data.len,
				    p->mode, c->err) != 0)
				goto out;
		} else {
			/* a staged key, read again as the plan checked it */
			if (read_at(op->from, op->from_name, PKI_CAP_KEY, &data, &exists,
				    c->err) != 0)
				goto out;
			if (!exists) {
				pki_err_set(c->err, PKI_E_IO, "'%s': vanished during the install",
					qat(op->from->path, op->from_name, q));
				goto out;
			}
			if (!same_key(&data, op->keyid)) {
				pki_err_set(c->err, PKI_E_INVALID, "'%s': not the key checked a moment "
					"ago", qat(op->from->path, op->from_name, q));
				goto out;
			}
			if (pki_file_createat(dfd, where, op->to_name, data.data, data.len, 0600,
				    c->err) != 0)
				goto out;
			pki_buf_free(&data);
		}
		if (fsync(dfd) != 0) {
			pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot sync: %s",
				quote(where, q), strerror(errno));
			goto out;
		}
		(void)close(dfd);
		dfd = -1;
	}
	/* the intent file's place in the cert dir */
	if (b == BASE_CERT && mkdirat(sw->nfd, PKI_STAGING_DIR, 0700) != 0 && errno != EEXIST) {
		pki_err_set(c->err, PKI_E_IO, "directory '%s/%s': cannot create: %s", q,
			PKI_STAGING_DIR, strerror(errno));
		goto out;
	}
	if (fstat(base->fd, &st) != 0 ||
	    ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
		    fchown(sw->nfd, st.st_uid, st.st_gid) != 0) ||
	    fchmod(sw->nfd, st.st_mode & 07777) != 0 || fsync(sw->nfd) != 0 ||
	    fsync(sw->parent->fd) != 0) {
		pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot give it the owner and mode "
			"of '%s', or sync it: %s", q, base->path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (dfd >= 0)
		(void)close(dfd);
	pki_buf_free(&data);
	return ret;
}

/* The intent file, in the next cert tree too: after the exchange it is the
 * live one. */
static int
next_intent(struct ictx *c, const struct pki_buf *intent)
{
	struct swap *sw = &c->sw[BASE_CERT];
	char where[PATH_MAX + 2 * NAME_MAX];
	int fd, ret;

	if (!sw->planned)
		return 0;
	next_path(sw, PKI_STAGING_DIR, where, sizeof(where));
	if ((fd = open_rel(sw->nfd, PKI_STAGING_DIR, where, c->err)) < 0)
		return -1;
	ret = pki_file_writeat(fd, where, INTENT_NAME, intent->data, intent->len, 0600, 0,
		c->err);
	(void)close(fd);
	return ret;
}

/* After an exchange: every directory of base b is opened again, parents
 * first, so that what follows works in the live tree. */
static int
reopen_dirs(struct ictx *c, int b, uintmax_t ino)
{
	char rel[PATH_MAX], ptok[PATH_MAX], *slash, q[PKI_QPATH_MAX];
	struct idir *parent;
	const char *comp;
	struct stat st;
	size_t i, k;
	int fd;

	for (i = 0; i < c->ndirs; i++) {
		struct idir *d = &c->dirs[i];

		if (tok_base(d->token, rel, sizeof(rel)) != b)
			continue;
		if (rel[0] == '\0') {
			/* by its parent and name, not by the path given (a relative
			 * one may lead through the previous tree) */
			fd = openat(c->sw[b].parent->fd, c->sw[b].name, O_RDONLY | O_DIRECTORY |
				O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 || fstat(fd, &st) != 0 || (uintmax_t)st.st_ino != ino) {
				if (fd >= 0)
					(void)close(fd);
				return pki_err_set(c->err, PKI_E_IO, "directory '%s': not the tree "
					"expected after the swap", quote(d->path, q));
			}
		} else {
			if (strcmp(d->token, "staging") == 0) {
				(void)snprintf(ptok, sizeof(ptok), "%s", base_token[BASE_CERT]);
				comp = PKI_STAGING_DIR;
			} else {
				(void)snprintf(ptok, sizeof(ptok), "%s", d->token);
				slash = strrchr(ptok, '/');
				*slash = '\0';
				comp = slash + 1;
			}
			for (k = 0, parent = NULL; k < i; k++)
				if (strcmp(c->dirs[k].token, ptok) == 0)
					parent = &c->dirs[k];
			fd = parent == NULL ? -1 :
				openat(parent->fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					O_CLOEXEC);
			if (fd < 0)
				return pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot open "
					"after the swap: %s", quote(d->path, q),
					parent == NULL ? "no parent" : strerror(errno));
		}
		(void)close(d->fd);
		d->fd = fd;
	}
	return 0;
}

/* The directory of base b, named as the user named it, quoted into q. */
static const char *
swap_qname(struct ictx *c, int b, char *q)
{
	struct idir *d = find_dir(c, base_token[b]);

	return d != NULL ? quote(d->path, q) : qat(c->sw[b].parent->path, c->sw[b].name, q);
}

/*
 * Where a swap stands: 1 when the directory is the next tree already, 0
 * when it is still the directory copied and the copy is beside it, -1 with
 * err when it is neither.
 */
static int
swap_state(struct ictx *c, int b)
{
	struct swap *sw = &c->sw[b];
	char q[PKI_QPATH_MAX], q2[PKI_QPATH_MAX];
	struct stat st;

	swap_qname(c, b, q);
	if (fstatat(sw->parent->fd, sw->name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(st.st_mode))
		return pki_err_set(c->err, PKI_E_IO, "directory '%s': missing, or not a "
			"directory", q);
	if ((uintmax_t)st.st_dev == sw->dev && (uintmax_t)st.st_ino == sw->ino)
		return 1;
	if ((uintmax_t)st.st_dev != sw->odev || (uintmax_t)st.st_ino != sw->oino ||
	    fstatat(sw->parent->fd, sw->next, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(st.st_mode) || (uintmax_t)st.st_dev != sw->dev ||
	    (uintmax_t)st.st_ino != sw->ino)
		return pki_err_set(c->err, PKI_E_INVALID, "neither '%s' nor '%s' is the tree the "
			"interrupted install built, or '%s' is not the directory it copied; "
			"refusing to go on", q, qat(sw->parent->path, sw->next, q2), q);
	return 0;
}

static int
exchange(struct ictx *c, int b)
{
	struct swap *sw = &c->sw[b];

	if (renameat2(sw->parent->fd, sw->next, sw->parent->fd, sw->name, RENAME_EXCHANGE) != 0)
		return -1;
	(void)fsync(sw->parent->fd);
	return 0;
}

/* Exchanged back (an exact undo) the swaps in done[], the directories of
 * their bases opened again; err keeps its message. -1 when one cannot be. */
static int
unswap(struct ictx *c, const int *done)
{
	char msg[PKI_ERR_MSG_MAX], q[PKI_QPATH_MAX];
	int b, code = c->err->code;

	(void)snprintf(msg, sizeof(msg), "%s", c->err->msg);
	for (b = 0; b < NBASES; b++) {
		if (!done[b])
			continue;
		if (exchange(c, b) != 0)
			return pki_err_set(c->err, PKI_E_IO, "%s; and '%s' cannot be swapped back: %s",
				msg, swap_qname(c, b, q), strerror(errno));
		if (reopen_dirs(c, b, c->sw[b].oino) != 0)
			return -1;
	}
	pki_err_set(c->err, code, "%s", msg);
	return 0;
}

/*
 * Moves the previous tree of base b, now at the next tree's name, to its
 * place, rid first of the staging directory it still holds (the cert
 * dir's: its keys are the live ones now). Done when it is gone from there.
 */
static int
move_previous(struct ictx *c, int b)
{
	struct swap *sw = &c->sw[b];
	struct idir *dest = NULL;
	char q[PKI_QPATH_MAX], q2[PKI_QPATH_MAX];
	struct stat st;
	int fd, r;

	swap_qname(c, b, q);
	fd = openat(sw->parent->fd, sw->next, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return pki_err_set(c->err, PKI_E_IO, "the previous '%s' at '%s': cannot open: %s",
			q, qat(sw->parent->path, sw->next, q2), strerror(errno));
	}
	if (b == BASE_CERT) {
		pki_tree_removeat(fd, PKI_STAGING_DIR, 2);
		if (fstatat(fd, PKI_STAGING_DIR, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) {
			(void)close(fd);
			return pki_err_set(c->err, PKI_E_IO, "'%s/%s': cannot remove the previous "
				"staging directory (it holds the live keys)",
				qat(sw->parent->path, sw->next, q2), PKI_STAGING_DIR);
		}
	}
	r = fsync(fd);
	(void)close(fd);
	if (r != 0)
		return pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot sync: %s",
			qat(sw->parent->path, sw->next, q2), strerror(errno));
	if (ctx_dir(c, sw->dest_tok, 0, &dest) != 0)
		return -1;
	if (dest == NULL && strncmp(sw->dest_tok, "kubeconfig-dir/tmp/", 19) == 0) {
		/* the half-made backup folder removed by hand: made again */
		struct idir *tmp = NULL;

		if (ctx_dir(c, "kubeconfig-dir/tmp", 1, &tmp) != 0)
			return -1;
		if (tmp != NULL && mkdirat(tmp->fd, sw->dest_tok + 19, 0700) == 0)
			(void)fsync(tmp->fd);
		if (ctx_dir(c, sw->dest_tok, 0, &dest) != 0)
			return -1;
	}
	if (dest == NULL)
		return pki_err_set(c->err, PKI_E_NOTFOUND, "the directory the previous '%s' goes "
			"to is missing", q);
	if (renameat2(sw->parent->fd, sw->next, dest->fd, sw->dest_name, RENAME_NOREPLACE) != 0 ||
	    fsync(dest->fd) != 0 || fsync(sw->parent->fd) != 0)
		return pki_err_set(c->err, PKI_E_IO, "the previous '%s': cannot move it to '%s': %s",
			q, qat(dest->path, sw->dest_name, q2), strerror(errno));
	return 0;
}

/*
 * Carries out the swaps (planned, or read from an intent file), from
 * wherever an interrupted run left them, in three rounds: each directory
 * not yet exchanged is compared with what it held when copied (the kubelet
 * rotating its certificate into it: that would be lost); then the
 * exchanges, the kubelet dir first; then the previous trees are moved.
 * While no exchange had been made by an interrupted run, a change or a
 * failed exchange is undone (the exchanges this call made are made again,
 * which puts the directories back) and 1 is returned with err: nothing has
 * changed, the install can be undone or given up. Once an interrupted run
 * has exchanged one, that one stands (what was written in it since would
 * go): a change elsewhere is warned about and kept in the previous tree,
 * and a failed exchange is a half-done install to rerun.
 */
static int
carry_swaps(struct ictx *c)
{
	char hex[65], q[PKI_QPATH_MAX], q2[PKI_QPATH_MAX];
	int b, r, fd, found = 0, done[NBASES] = { 0 }, ours[NBASES] = { 0 };

	/* exchanges an interrupted run made are never undone: what was written
	 * in those directories since would go */
	for (b = NBASES - 1; b >= 0; b--) {
		if (!c->sw[b].planned)
			continue;
		if ((r = swap_state(c, b)) < 0)
			return -1;
		done[b] = r;
		found |= r;
	}
	for (b = NBASES - 1; b >= 0; b--) {
		if (!c->sw[b].planned || done[b])
			continue;
		swap_qname(c, b, q);
		if ((fd = openat(c->sw[b].parent->fd, c->sw[b].name, O_RDONLY | O_DIRECTORY |
			     O_NOFOLLOW | O_CLOEXEC)) < 0)
			return pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot open: %s", q,
				strerror(errno));
		r = swap_stamp(c, b, fd, hex);
		(void)close(fd);
		if (r != 0)
			return -1;
		if (strcmp(hex, c->sw[b].stamp) != 0) {
			if (!found) {
				pki_err_set(c->err, PKI_E_EXISTS, "directory '%s': changed while it "
					"was being copied for the swap (the kubelet rotating its "
					"certificate?)", q);
				return 1;
			}
			/* half carried out already: on, keeping the change in the backup */
			if (note(c, "warning: '%s' changed after it was copied for the swap; what "
				    "changed is only in the previous tree", q) != 0)
				return -1;
		}
	}
	for (b = NBASES - 1; b >= 0; b--) {
		if (!c->sw[b].planned || done[b])
			continue;
		if (exchange(c, b) != 0) {
			pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot swap it whole with '%s': "
				"%s%s", swap_qname(c, b, q), qat(c->sw[b].parent->path, c->sw[b].next,
				q2), strerror(errno), errno == EINVAL || errno == EBUSY ||
					errno == EXDEV ? " (a mount point, or a filesystem that "
					"cannot exchange directories: use --in-place)" : "");
			if (unswap(c, ours) != 0)
				return -1;
			return found ? -1 : 1;
		}
		done[b] = ours[b] = 1;
	}
	for (b = NBASES - 1; b >= 0; b--)
		if (c->sw[b].planned &&
		    (reopen_dirs(c, b, c->sw[b].ino) != 0 || move_previous(c, b) != 0))
			return -1;
	return 0;
}

/* The next trees of a run that did not get as far as its intent file go. */
static void
drop_next(struct ictx *c)
{
	int b;

	for (b = 0; b < NBASES; b++) {
		if (c->sw[b].nfd >= 0)
			(void)close(c->sw[b].nfd);
		c->sw[b].nfd = -1;
		if (c->sw[b].built) {
			pki_tree_removeat(c->sw[b].parent->fd, c->sw[b].next, 10);
			(void)fsync(c->sw[b].parent->fd);
			c->sw[b].built = 0;
		}
	}
}

/* A next tree a killed run left before writing its intent file is removed
 * (there is no intent file now, or it was carried out or abandoned). */
static void
sweep_next(struct ictx *c)
{
	struct idir *parent;
	struct stat st;
	int b;

	for (b = 0; b < NBASES; b++) {
		/* only beside a directory this install uses: opening another one
		 * would tie the intent file to it */
		if ((parent = find_dir(c, parent_token[b])) == NULL)
			continue;
		if (fstatat(parent->fd, c->sw[b].next, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode) && st.st_uid == geteuid()) {
			pki_tree_removeat(parent->fd, c->sw[b].next, 10);
			(void)fsync(parent->fd);
		}
	}
}

/* ---- carrying the plan out ------------------------------------------------------ */

/* The backup folder: <kc-dir>/tmp/kpki-backup-<stamp>[-N], 0700. */
static int
write_backup(struct ictx *c)
{
	struct idir *tmp = NULL;
	char name[80], *bdir = NULL, *sub = NULL, q[PKI_QPATH_MAX], q2[PKI_QPATH_MAX],
		q3[PKI_QPATH_MAX];
	struct pki_buf data = { 0 };
	int bfd = -1, ret = -1, n, exists;
	size_t i;

	if (c->nbk == 0 && !any_swap_to_backup(c))
		return 0;
	if (ctx_dir(c, "kubeconfig-dir/tmp", 1, &tmp) != 0)
		return -1;
	if (tmp == NULL)
		return pki_err_set(c->err, PKI_E_NOTFOUND, "directory '%s': does not exist",
			quote(c->o->kc_dir, q));
	/* built under ".<name>.partial", renamed to <name> once whole (commit):
	 * a kill leaves no folder that looks like a complete backup */
	for (n = 1; n < 100; n++) {
		struct stat st;

		(void)snprintf(c->bk_name, sizeof(c->bk_name),
			n == 1 ? "kpki-backup-%s" : "kpki-backup-%s-%d", c->stamp, n);
		(void)snprintf(name, sizeof(name), ".%s.partial", c->bk_name);
		if (fstatat(tmp->fd, c->bk_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (mkdirat(tmp->fd, name, 0700) == 0)
			break;
		if (errno != EEXIST)
			return pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot create: %s",
				qat(tmp->path, name, q), strerror(errno));
	}
	if (n == 100)
		return pki_err_set(c->err, PKI_E_EXISTS, "'%s': too many backups this second",
			quote(tmp->path, q));
	(void)snprintf(c->bk_partial, sizeof(c->bk_partial), "%s", name);
	c->bk_tmp = tmp;
	/* a directory swapped whole goes in as it was, once the swap is done,
	 * and the folder is named after that */
	for (n = 0; n < NBASES; n++)
		if (c->sw[n].planned && c->sw[n].to_backup)
			(void)snprintf(c->sw[n].dest_tok, sizeof(c->sw[n].dest_tok),
				"kubeconfig-dir/tmp/%s", c->bk_partial);
	if (join3(&bdir, tmp->path, name, c->err) != 0 ||
	    pki_names_add(&c->made_dirs, bdir, c->err) != 0)
		goto out;
	quote(bdir, q);
	/* whose it is: another install's sweep leaves it while that cert dir
	 * has an interrupted install of its own */
	{
		char real[PATH_MAX + 1];
		size_t rl;

		if (realpath(c->o->cert_dir, real) == NULL) {
			pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot resolve: %s",
				quote(c->o->cert_dir, q2), strerror(errno));
			goto out;
		}
		rl = strlen(real);
		real[rl++] = '\n';
		bfd = openat(tmp->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (bfd < 0 || pki_file_writeat(bfd, bdir, OWNER_NAME, real, rl, 0600, 0,
				       c->err) != 0) {
			if (bfd < 0)
				pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot open: %s", q,
					strerror(errno));
			goto out;
		}
		(void)close(bfd);
		bfd = -1;
		free(sub);
		if (join3(&sub, bdir, OWNER_NAME, c->err) != 0 ||
		    pki_names_add(&c->made_files, sub, c->err) != 0)
			goto out;
	}
	for (i = 0; i < c->nbk; i++) {
		const struct bsrc *s = &c->bk[i];
		char *slash;
		struct stat st;
		int dfd;

		if (read_at(s->dir, s->name, PKI_CAP_ANY, &data, &exists, c->err) != 0)
			goto out;
		if (!exists || fstatat(s->dir->fd, s->name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			pki_err_set(c->err, PKI_E_IO, "'%s': vanished during the install",
				qat(s->dir->path, s->name, q2));
			goto out;
		}
		/* the subdirectories of the copy: "pki", "pki/etcd" */
		free(sub);
		if (join3(&sub, bdir, s->rel, c->err) != 0)
			goto out;
		for (slash = strchr(sub + strlen(bdir) + 1, '/'); slash != NULL;
		     slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			if (mkdir(sub, 0700) == 0) {
				if (pki_names_add(&c->made_dirs, sub, c->err) != 0)
					goto out;
			} else if (errno != EEXIST) {
				pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot create: %s",
					quote(sub, q2), strerror(errno));
				goto out;
			}
			*slash = '/';
		}
		slash = strrchr(sub, '/');
		*slash = '\0';
		dfd = open(sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0) {
			pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot open: %s",
				quote(sub, q2), strerror(errno));
			goto out;
		}
		n = pki_file_writeat(dfd, sub, slash + 1, data.data, data.len,
			st.st_mode & 0755 & ~(mode_t)022, PKI_WRITE_NOREPLACE, c->err);
		if (n == 0 && fsync(dfd) != 0)
			n = pki_err_set(c->err, PKI_E_IO, "directory '%s': cannot sync",
				quote(sub, q2));
		(void)close(dfd);
		*slash = '/';
		if (n != 0)
			goto out;
		if (pki_names_add(&c->made_files, sub, c->err) != 0 ||
		    note(c, "backed up '%s' to '%s/%s'", qat(s->dir->path, s->name, q2),
			    qat(tmp->path, c->bk_name, q3), s->rel) != 0)
			goto out;
		pki_buf_free(&data);
	}
	bfd = open(bdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bfd < 0 || fsync(bfd) != 0 || fsync(tmp->fd) != 0) {
		pki_err_set(c->err, PKI_E_IO, "backup '%s': cannot sync: %s", q, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (bfd >= 0)
		(void)close(bfd);
	pki_buf_free(&data);
	free(bdir);
	free(sub);
	return ret;
}

static int
write_pending(struct ictx *c)
{
	char q[PKI_QPATH_MAX];
	size_t i;

	for (i = 0; i < c->npend; i++) {
		struct pending *p = &c->pend[i];

		if (in_swapped(c, p->dir))
			continue; /* written in the next tree */
		if (p->link_to != NULL) {
			/* ours from a crashed run, or nothing */
			(void)unlinkat(p->dir->fd, p->name, 0);
			if (symlinkat(p->link_to, p->dir->fd, p->name) != 0 || fsync(p->dir->fd) != 0) {
				quote(p->dir->path, q);
				return pki_err_set(c->err, PKI_E_IO, "'%s/%s': cannot create: %s", q,
					p->name, strerror(errno));
			}
		} else if (pki_file_writeat(p->dir->fd, p->dir->path, p->name, p->data.data,
				   p->data.len, p->mode, 0, c->err) != 0) {
			return -1;
		}
		p->written = 1;
	}
	return 0;
}

/* Before the first rename: everything this run wrote goes again. */
static void
rollback(struct ictx *c)
{
	struct idir *stg = NULL;
	size_t i;

	/* the intent file first: a kill from here on leaves a run to sweep,
	 * never an intent naming what is gone */
	if (c->intent_written && ctx_dir(c, "staging", 0, &stg) == 0 && stg != NULL &&
	    unlinkat(stg->fd, INTENT_NAME, 0) == 0)
		(void)fsync(stg->fd);
	for (i = 0; i < c->npend; i++)
		if (c->pend[i].written)
			(void)unlinkat(c->pend[i].dir->fd, c->pend[i].name, 0);
	drop_next(c);
	/* the undo list names the backup's files under its .partial name */
	if (c->bk_renamed &&
	    renameat(c->bk_tmp->fd, c->bk_name, c->bk_tmp->fd, c->bk_partial) == 0)
		c->bk_renamed = 0;
	for (i = c->made_files.n; i > 0; i--)
		(void)unlink(c->made_files.v[i - 1]);
	for (i = c->made_dirs.n; i > 0; i--)
		(void)rmdir(c->made_dirs.v[i - 1]);
	for (i = 0; i < c->ndirs; i++)
		(void)fsync(c->dirs[i].fd);
}

static int
commit(struct ictx *c)
{
	struct idir *stg = NULL;
	struct pki_buf intent = { 0 };
	char q[PKI_QPATH_MAX];
	size_t i;
	int ret = -1, b, r;

	if (write_backup(c) != 0 || write_pending(c) != 0)
		goto fail;
	for (b = 0; b < NBASES; b++)
		if (c->sw[b].planned && build_swap(c, b) != 0)
			goto fail;
	if (intent_text(c, &intent) != 0 || next_intent(c, &intent) != 0 ||
	    ctx_dir(c, "staging", 1, &stg) != 0)
		goto fail;
	if (stg == NULL) {
		pki_err_set(c->err, PKI_E_NOTFOUND, "directory '%s': does not exist",
			quote(c->o->cert_dir, q));
		goto fail;
	}
	if (pki_file_writeat(stg->fd, stg->path, INTENT_NAME, intent.data, intent.len, 0600, 0,
		    c->err) != 0)
		goto fail;
	c->intent_written = 1;
	/* from here on a failure is finished by a rerun, not undone */
	/* the kubelet's first: the one another writer may have changed since
	 * it was copied, which can still be undone while nothing is exchanged */
	for (b = 0; b < NBASES; b++) {
		if (c->sw[b].nfd >= 0)
			(void)close(c->sw[b].nfd);
		c->sw[b].nfd = -1;
	}
	r = carry_swaps(c);
	if (r > 0)
		goto undo;
	if (r != 0)
		goto half_done;
	/* the backup is whole (the previous trees of the swaps in it): it gets
	 * its name, a step of the intent, before any file is replaced */
	if (c->bk_tmp != NULL) {
		if (name_backup(c->bk_tmp, c->bk_partial, c->bk_name, c->err) != 0)
			goto half_done;
		c->bk_renamed = 1;
	}
	if ((c->sw[BASE_CERT].planned && note(c, "restart the control-plane pods now (kubeadm "
		    "asks for it after a renewal): until then they read the previous tree, so "
		    "keep it until they have restarted") != 0) ||
	    (c->sw[BASE_KUBELET].planned && note(c, "restart the kubelet so that it serves "
		    "with its new certificate") != 0))
		goto half_done;
	for (i = 0; i < c->nops; i++) {
		const struct op *op = &c->ops[i];
		int unlink_op = op->kind == OP_UNLINK;

		if (realized(c, op)) {
			if (in_swapped(c, op->from))
				continue;
			/* a staged key the next tree took from a directory not swapped */
			unlink_op = 1;
		}
		r = !unlink_op ? renameat(op->from->fd, op->from_name, op->to->fd, op->to_name) :
			unlinkat(op->from->fd, op->from_name, 0);
		if (r != 0) {
			pki_err_set(c->err, PKI_E_IO, "'%s': cannot %s: %s; the install is half "
				"done: rerun the same command to finish it",
				qat(op->from->path, op->from_name, q),
				!unlink_op ? "rename into place" : "remove", strerror(errno));
			goto out;
		}
	}
	if (sync_dirs(c) != 0)
		goto out;
	/* stg is the live staging directory: reopened after a swap */
	if (unlinkat(stg->fd, INTENT_NAME, 0) != 0 || fsync(stg->fd) != 0) {
		pki_err_set(c->err, PKI_E_IO, "'%s': cannot remove: %s",
			qat(stg->path, INTENT_NAME, q), strerror(errno));
		goto out;
	}
	ret = 0;
	goto out;
half_done: {
	char msg[PKI_ERR_MSG_MAX];

	(void)snprintf(msg, sizeof(msg), "%s", c->err->msg);
	pki_err_set(c->err, c->err->code, "%s; the install is half done: rerun the same command "
		"to finish it", msg);
	goto out;
}
undo: {
	/* nothing exchanged yet: the intent file goes, and all the rest */
	char msg[PKI_ERR_MSG_MAX];

	(void)snprintf(msg, sizeof(msg), "%s", c->err->msg);
	pki_err_set(c->err, c->err->code, "%s; nothing was installed", msg);
}
fail:
	rollback(c);
out:
	pki_buf_free(&intent);
	return ret;
}

/* ---- the whole ---------------------------------------------------------------- */

static void
ctx_free(struct ictx *c)
{
	size_t i;

	for (i = 0; i < c->ndirs; i++) {
		if (c->dirs[i].fd >= 0)
			(void)close(c->dirs[i].fd);
		free(c->dirs[i].token);
		free(c->dirs[i].path);
	}
	for (i = 0; i < c->nops; i++) {
		free(c->ops[i].from_name);
		free(c->ops[i].to_name);
	}
	free(c->ops);
	for (i = 0; i < c->npend; i++) {
		free(c->pend[i].name);
		free(c->pend[i].link_to);
		pki_buf_free(&c->pend[i].data);
	}
	free(c->pend);
	for (i = 0; i < c->nbk; i++) {
		free(c->bk[i].name);
		free(c->bk[i].rel);
	}
	free(c->bk);
	for (i = 0; i < c->ncas; i++) {
		pki_cert_free(c->cas[i].cert);
		pki_buf_free(&c->cas[i].pem);
	}
	for (i = 0; i < NBASES; i++)
		if (c->sw[i].nfd >= 0)
			(void)close(c->sw[i].nfd);
	for (i = 0; i < 3; i++)
		if (c->lockfd[i] >= 0)
			(void)close(c->lockfd[i]);
	free(c->abs_cert_dir);
	free(c->abs_kubelet_dir);
	pki_names_free(&c->made_files);
	pki_names_free(&c->made_dirs);
}

/* File references in kubeconfigs are absolute, as kubeadm's are. */
static int
abs_dir(const char *dir, char **out, struct pki_err *err)
{
	char q[PKI_QPATH_MAX];

	*out = NULL;
	if (dir[0] == '/')
		return (*out = pki_strdup(dir, err)) == NULL ? -1 : 0;
	*out = realpath(dir, NULL);
	if (*out == NULL) {
		quote(dir, q);
		return pki_err_set(err, errno == ENOMEM ? PKI_E_NOMEM : PKI_E_IO,
			"directory '%s': cannot resolve: %s", q, strerror(errno));
	}
	return 0;
}

/*
 * The directories the commit makes or writes in, checked in the plan (a
 * dry run says what the commit would meet): the backup folder's parent
 * <kubeconfig-dir>/tmp, and the staging directory that holds the intent
 * file. Problems are refusals.
 */
static int
check_commit_dirs(struct ictx *c)
{
	static const struct {
		const char *token, *parent, *what;
	} made[] = {
		{ "kubeconfig-dir/tmp", "kubeconfig-dir", "the backup folder's directory" },
		{ "staging", "cert-dir", "the staging directory (the intent file's)" },
	};
	struct idir *d, *parent;
	char q[PKI_QPATH_MAX];
	size_t i;

	if (c->nops == 0)
		return 0;
	for (i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		if (i == 0 && c->nbk == 0 && !any_swap_to_backup(c))
			continue;
		if (ctx_dir(c, made[i].token, 0, &d) != 0) {
			if (c->err->code != PKI_E_PERM && c->err->code != PKI_E_IO)
				return -1;
			if (pki_names_addf(c->refusals, c->err, "%s: %s", made[i].what,
				    c->err->msg) != 0)
				return -1;
			pki_err_clear(c->err);
			continue;
		}
		if (d != NULL)
			continue;
		/* it will be made (0700) in its parent, which must let us */
		if (ctx_dir(c, made[i].parent, 0, &parent) != 0)
			return -1;
		if (parent == NULL)
			continue; /* refused already, entry by entry */
		quote(parent->path, q);
		if (faccessat(parent->fd, ".", W_OK | X_OK, AT_EACCESS) != 0 &&
		    pki_names_addf(c->refusals, c->err, "%s: directory '%s': cannot create "
			    "in it: %s", made[i].what, q, strerror(errno)) != 0)
			return -1;
	}
	return 0;
}

int
pki_install_bundle(const struct pki_install_opts *o, const struct pki_bundle *b,
	struct pki_names *report, struct pki_names *refusals, struct pki_err *err)
{
	struct ictx c;
	struct tm tm;
	size_t i;
	int ret = -1, r;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < NBASES; i++)
		c.sw[i].nfd = -1;
	c.lockfd[0] = c.lockfd[1] = c.lockfd[2] = -1;
	c.o = o;
	c.b = b;
	c.report = report;
	c.refusals = refusals;
	c.err = err;
	c.kubelet_dir = o->kubelet_dir != NULL ? o->kubelet_dir : "/var/lib/kubelet/pki";
	if (o->set == NULL || o->cert_dir == NULL || o->kc_dir == NULL) {
		pki_err_set(err, PKI_E_USAGE, "install: a profile set, a cert dir and a "
			"kubeconfig dir are needed");
		goto out;
	}
	if (!pki_bundle_is_signed(b) || pki_bundle_ca_count(b) == 0) {
		pki_err_set(err, PKI_E_INVALID, "bundle: not signed (a CSR bundle: have it signed "
			"with kpki-sign first)");
		goto out;
	}
	if (strcmp(pki_bundle_profiles(b), pki_profile_set_name(o->set)) != 0) {
		pki_err_set(err, PKI_E_USAGE, "bundle: made for profile set '%s', not '%s'",
			pki_bundle_profiles(b), pki_profile_set_name(o->set));
		goto out;
	}
	if (o->trust_bundle_ca &&
	    (o->expect_ca_fingerprints == NULL || o->expect_ca_fingerprints->n == 0)) {
		pki_err_set(err, PKI_E_USAGE, "trusting the bundle's CAs needs their fingerprints "
			"(--expect-ca-fingerprint)");
		goto out;
	}
	if (gmtime_r(&o->now, &tm) == NULL ||
	    strftime(c.stamp, sizeof(c.stamp), "%Y-%m-%d-%H-%M-%S", &tm) == 0) {
		pki_err_set(err, PKI_E_INVALID, "install: the time is out of range");
		goto out;
	}
	if (bundle_id(&c) != 0)
		goto out;
	/* one install (or kpki-csr) at a time; a dry run only looks */
	if (pki_pki_lock(o->cert_dir, o->kc_dir, c.kubelet_dir, o->dry_run, c.lockfd, err) != 0)
		goto out;
	r = replay_intent(&c);
	if (r < 0 || (r > 0 && o->dry_run)) {
		ret = r < 0 ? -1 : 0;
		goto out;
	}
	if (!o->embed && (abs_dir(o->cert_dir, &c.abs_cert_dir, err) != 0 ||
				 (access(c.kubelet_dir, F_OK) == 0 ?
					 abs_dir(c.kubelet_dir, &c.abs_kubelet_dir, err) :
					 (c.abs_kubelet_dir = pki_strdup(c.kubelet_dir, err)) == NULL ?
					 -1 : 0) != 0))
		goto out;
	if (o->trust_bundle_ca && check_bundle_cas(&c) != 0)
		goto out;
	if (check_node(&c) != 0)
		goto out;
	for (i = 0; i < pki_bundle_count(b); i++) {
		const struct pki_bundle_entry *e = pki_bundle_at(b, i);
		const char *name = pki_bundle_entry_name(e);
		const struct pki_profile *p = pki_profile_set_find(o->set, name);
		const struct pki_cert *cert = pki_bundle_entry_certificate(e);

		if (p == NULL) {
			pki_err_set(err, PKI_E_INVALID, "bundle: entry '%s' has no profile", name);
			goto out;
		}
		switch (pki_profile_kind(p)) {
		case PKI_PROFILE_CERT:
			r = plan_pair(&c, name, p, cert);
			break;
		case PKI_PROFILE_KUBECONFIG:
			r = plan_kubeconfig(&c, name, p, cert);
			break;
		case PKI_PROFILE_CA:
		default:
			r = refuse(&c, name, "CA certificates are not installed from an entry");
			break;
		}
		if (r != 0)
			goto out;
	}
	/* certificates renewed, yet not one of the kubeconfigs there: most
	 * likely the wrong --kubeconfig-dir, which would get new kubeconfigs
	 * (and the staged keys) while the real ones stay old */
	if (c.renewed_pairs > 0 && c.kc_entries > 0 && c.kc_missing == c.kc_entries &&
	    !kc_dir_is_cert_parent(o)) {
		char q1[PKI_QPATH_MAX], q2[PKI_QPATH_MAX];

		if (pki_names_addf(refusals, err, "kubeconfig dir '%s': holds none of the "
			    "bundle's kubeconfigs, yet the certificates in '%s' are being renewed: is "
			    "--kubeconfig-dir right? (a renewal's kubeconfigs are made from those in "
			    "place)", quote(o->kc_dir, q1), quote(o->cert_dir, q2)) != 0)
			goto out;
	}
	if (plan_swaps(&c) != 0 || check_commit_dirs(&c) != 0)
		goto out;
	if (refusals->n > 0) {
		pki_err_set(err, PKI_E_INVALID, "bundle: %zu refusal%s, nothing installed",
			refusals->n, refusals->n == 1 ? "" : "s");
		goto out;
	}
	if (note_unused_staged(&c) != 0)
		goto out;
	if (o->dry_run) {
		ret = 0;
		goto out;
	}
	sweep_stale(&c);
	sweep_partial_backups(&c);
	sweep_next(&c);
	if (c.nops == 0) {
		drop_staging(&c);
		ret = notes_done(&c);
		goto out;
	}
	if (commit(&c) != 0)
		goto out;
	drop_staging(&c);
	ret = notes_done(&c);
out:
	ctx_free(&c);
	return ret;
}
