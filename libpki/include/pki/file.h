/*
 * file.h — reading hostile files and writing files atomically.
 */
#ifndef PKI_FILE_H
#define PKI_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include <pki/error.h>

/* A heap buffer; pki_buf_free() wipes it before freeing, always. */
struct pki_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
};

void pki_buf_free(struct pki_buf *buf);
int pki_buf_append(struct pki_buf *buf, const void *data, size_t len,
	struct pki_err *err) PKI_WUR;
int pki_buf_printf(struct pki_buf *buf, struct pki_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4))) PKI_WUR;

/* Size caps for the input kinds, checked before allocation and while reading. */
#define PKI_CAP_KEY	 (64u * 1024)
#define PKI_CAP_CERT	 (256u * 1024)
#define PKI_CAP_CSR	 (64u * 1024)
#define PKI_CAP_YAML	 (4u * 1024 * 1024)
#define PKI_CAP_ANY	 (8u * 1024 * 1024)

/* pki_file_read flags */
#define PKI_READ_SECRET 0x1u	/* a private key: refuse group/other access */
#define PKI_READ_STDIN	0x2u	/* "-" means standard input */

/*
 * Reads a regular file whole (never through a final symlink, never a
 * directory, device or FIFO) into *out, refusing anything over cap bytes.
 * The buffer is NUL-terminated one past len. With PKI_READ_SECRET the file
 * must be owned by the effective user and not be readable or writable by
 * group or others; the message names the chown or chmod that fixes it. `what` names the input kind in messages ("key",
 * "certificate"). Free with pki_buf_free().
 */
int pki_file_read(const char *path, const char *what, size_t cap, unsigned flags,
	struct pki_buf *out, struct pki_err *err) PKI_WUR;

/* pki_file_write flags */
#define PKI_WRITE_NOREPLACE 0x1u /* fail with PKI_E_EXISTS if the target exists */
#define PKI_WRITE_MKDIRS    0x2u /* create missing parent directories (0755) */

/*
 * Writes data to path atomically: a temporary file in the target's directory
 * created O_EXCL|O_NOFOLLOW with `mode` from the first instant, short writes
 * looped, fsync, close checked, rename over the target (RENAME_NOREPLACE with
 * PKI_WRITE_NOREPLACE), then fsync of the directory. A target that is a
 * symlink is refused. On failure the temporary file is removed and the
 * target is untouched.
 */
int pki_file_write(const char *path, const void *data, size_t len, mode_t mode,
	unsigned flags, struct pki_err *err) PKI_WUR;

/*
 * pki_file_write() into the directory open at dirfd (so that the directory
 * checked is the directory written, whatever happens to its path): name is
 * one file name, no '/'; dir names the directory in messages.
 * PKI_WRITE_MKDIRS does not apply.
 */
int pki_file_writeat(int dirfd, const char *dir, const char *name, const void *data,
	size_t len, mode_t mode, unsigned flags, struct pki_err *err) PKI_WUR;

struct pki_names;
/*
 * Creates dir and its missing parents with mode (umask applies). When
 * created is not NULL, each directory this call made is added to it,
 * parents first, so that a caller can remove them again in reverse order.
 */
int pki_mkdirs(const char *dir, mode_t mode, struct pki_names *created,
	struct pki_err *err) PKI_WUR;

/* 1 if path exists (lstat), 0 if not; -1 with err on any other error. */
int pki_file_exists(const char *path, struct pki_err *err) PKI_WUR;

/* Room for a quoted path in a message. */
#define PKI_QPATH_MAX 512

/* Copies path into out with control and non-ASCII bytes escaped (\xHH),
 * so that a hostile file name cannot reach a terminal raw; truncates. */
void pki_path_quote(const char *path, char *out, size_t cap);

/* Joins dir and rel with one '/', refusing results over PATH_MAX. */
int pki_path_join(char **out, const char *dir, const char *rel,
	struct pki_err *err) PKI_WUR;

/* Opens /dev/null on any of fds 0, 1, 2 that is closed, so that no file
 * the tool opens later can land on them. */
int pki_stdio_ensure(struct pki_err *err) PKI_WUR;

/* Writes all of data to fd (loops over short writes and EINTR). */
int pki_write_all(int fd, const void *data, size_t len, const char *what,
	struct pki_err *err) PKI_WUR;

/*
 * Parses a SHA-256 fingerprint as the tools take it on the command line:
 * "SHA256:<64 hex>", bare 64 hex digits, or 32 colon-separated hex bytes
 * (openssl's and kpki-inspect's form), any case. On error out is zeroed.
 */
int pki_fingerprint_parse(const char *s, unsigned char out[32],
	struct pki_err *err) PKI_WUR;

#endif
