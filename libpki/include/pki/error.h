/*
 * error.h — errors a user can act on.
 *
 * Every fallible libpki function takes a struct pki_err and, on failure,
 * fills it with a code and a message in the project's form: what, where
 * and why, lower case, subject in quotes, no full stop:
 *   "certificate 'pki/apiserver.crt': not valid PEM or DER"
 */
#ifndef PKI_ERROR_H
#define PKI_ERROR_H

#include <stddef.h>

#define PKI_WUR __attribute__((warn_unused_result))

enum pki_errcode {
	PKI_OK = 0,
	PKI_E_IO,	/* a file could not be read or written */
	PKI_E_PARSE,	/* an input is malformed */
	PKI_E_INVALID,	/* an input is well formed but not acceptable */
	PKI_E_LIMIT,	/* an input exceeds a size or count cap */
	PKI_E_NOMEM,	/* out of memory */
	PKI_E_CRYPTO,	/* a cryptographic operation failed */
	PKI_E_NOTFOUND, /* a file or named item does not exist */
	PKI_E_EXISTS,	/* the target exists and may not be replaced */
	PKI_E_PERM,	/* permissions are unsafe or insufficient */
	PKI_E_USAGE,	/* the caller asked for something impossible */
};

#define PKI_ERR_MSG_MAX 1024

struct pki_err {
	enum pki_errcode code;
	char msg[PKI_ERR_MSG_MAX];
};

void pki_err_clear(struct pki_err *err);

/* Sets code and message; returns -1 so that callers can `return pki_err_set(...)`. */
int pki_err_set(struct pki_err *err, enum pki_errcode code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends context to the message already set: "<context>: <old message>". */
int pki_err_prefix(struct pki_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets PKI_E_NOMEM with a fixed message. Returns -1. */
int pki_err_nomem(struct pki_err *err);

#endif
