/*
 * ledger.h — the CA's record of every certificate it issued.
 *
 * The ledger lives in <ca-dir>/kpki-ledger/: a journal (one JSON object a
 * line, append-only, the source of truth) and an index.txt in the format of
 * `openssl ca`, completed from the journal when a crash left it behind (its
 * lines, `openssl ca`'s changes included, are never rewritten). A
 * record is on disk (fsync) before the certificate it describes leaves the
 * tool. The directory is locked while open, so two kpki-sign never run at
 * once on one CA. The format is documented in kpki-ledger(5).
 */
#ifndef PKI_LEDGER_H
#define PKI_LEDGER_H

#include <stddef.h>
#include <time.h>

#include <pki/cert.h>
#include <pki/error.h>
#include <pki/file.h>

#define PKI_LEDGER_DIR "kpki-ledger"

/* One issuance. Strings are owned by whoever filled the record. */
struct pki_ledger_record {
	char serial[64];	/* lower-case hex, no sign octet (as pki_x509info) */
	char *ca;		/* the signing CA's profile name ("ca", "etcd-ca") */
	char *profile;		/* the certificate's profile name */
	char *subject;		/* RFC 4514 */
	struct pki_names sans;	/* "DNS:x", "IP:y" */
	time_t not_before, not_after;
	char sha256[65];	/* of the certificate's DER, lower-case hex */
	time_t issued;
	char *bundle;		/* the bundle's fingerprint ("SHA256:...") or "" */
};

void pki_ledger_record_free(struct pki_ledger_record *rec);

struct pki_ledger;

/*
 * Opens (creating it, 0700) and locks the ledger of ca_dir; a second
 * process gets PKI_E_EXISTS ("ledger '...' is in use by another kpki-sign").
 * Recovers from a crash: a torn last journal line is set aside, and
 * index.txt is completed from the journal. A CA directory, ledger directory
 * or ledger file that another user owns or could write to is refused
 * (PKI_E_PERM, naming the chmod or chown that fixes it), and so is an
 * index.txt line that contradicts the journal (PKI_E_INVALID). Free with
 * pki_ledger_close().
 */
int pki_ledger_open(const char *ca_dir, struct pki_ledger **out, struct pki_err *err) PKI_WUR;
void pki_ledger_close(struct pki_ledger *l);

/*
 * A fresh serial: 16 random octets with the top bit cleared (127 bits, well
 * over the CA/B Forum's 64 bits of entropy), positive and non-zero, not in the
 * ledger and not handed out before by this handle. Written into out (the
 * DER INTEGER content octets, at most 20) with its length.
 */
int pki_ledger_new_serial(struct pki_ledger *l, unsigned char out[20], size_t *len,
	struct pki_err *err) PKI_WUR;

/* Appends a record and makes it durable (journal fsync, then index.txt). */
int pki_ledger_append(struct pki_ledger *l, const struct pki_ledger_record *rec,
	struct pki_err *err) PKI_WUR;

/* Reads every record of ca_dir's ledger without locking it (for listing).
 * Free with pki_ledger_records_free(). */
int pki_ledger_read(const char *ca_dir, struct pki_ledger_record **out, size_t *n,
	struct pki_err *err) PKI_WUR;
void pki_ledger_records_free(struct pki_ledger_record *recs, size_t n);

/* Renders records for kpki-inspect --ledger: a table, or JSON. */
int pki_ledger_render(const struct pki_ledger_record *recs, size_t n, int json,
	struct pki_buf *out, struct pki_err *err) PKI_WUR;

#endif
