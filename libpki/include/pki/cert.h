/*
 * cert.h — X.509 certificates (RFC 5280) and the facts read from them.
 */
#ifndef PKI_CERT_H
#define PKI_CERT_H

#include <stddef.h>
#include <time.h>

#include <pki/error.h>
#include <pki/key.h>

/* A list of owned strings. */
struct pki_names {
	size_t n;
	char **v;
};

void pki_names_free(struct pki_names *names);
int pki_names_add(struct pki_names *names, const char *s, struct pki_err *err) PKI_WUR;
/* Adds the formatted string (never truncated). */
int pki_names_addf(struct pki_names *names, struct pki_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4))) PKI_WUR;
int pki_names_contains(const struct pki_names *names, const char *s);
/* 1 if both hold the same strings, ignoring order and repeats. */
int pki_names_equal_set(const struct pki_names *a, const struct pki_names *b);

/* Key usage bits, RFC 5280 4.2.1.3 (bit n of the BIT STRING is 1 << n). */
#define PKI_KU_DIGITAL_SIGNATURE  (1u << 0)
#define PKI_KU_CONTENT_COMMITMENT (1u << 1)
#define PKI_KU_KEY_ENCIPHERMENT	  (1u << 2)
#define PKI_KU_DATA_ENCIPHERMENT  (1u << 3)
#define PKI_KU_KEY_AGREEMENT	  (1u << 4)
#define PKI_KU_KEY_CERT_SIGN	  (1u << 5)
#define PKI_KU_CRL_SIGN		  (1u << 6)
#define PKI_KU_ENCIPHER_ONLY	  (1u << 7)
#define PKI_KU_DECIPHER_ONLY	  (1u << 8)

/*
 * Usage names as used in profiles and output: "digital-signature",
 * "content-commitment", "key-encipherment", "data-encipherment",
 * "key-agreement", "cert-sign", "crl-sign", "encipher-only",
 * "decipher-only". Returns 0 and sets *bit, or -1 for an unknown name.
 */
int pki_ku_from_name(const char *name, unsigned *bit);
const char *pki_ku_name(unsigned bit);

/*
 * Extended key usages by name: "server-auth", "client-auth", "code-signing",
 * "email-protection", "time-stamping", "ocsp-signing". Returns the dotted
 * OID, or NULL for an unknown name; pki_eku_name() maps back (NULL if the
 * OID has no name).
 */
const char *pki_eku_oid(const char *name);
const char *pki_eku_name(const char *oid);

/* What a certificate or CSR says, decoded once. Strings are owned. */
struct pki_x509info {
	char *subject;		/* RFC 4514 string */
	char *issuer;		/* RFC 4514 string (NULL for a CSR) */
	char *cn;		/* the first CN, NULL if none */
	size_t cn_count;	/* how many CN attributes the subject has */
	size_t other_attrs;	/* subject attributes other than CN and O */
	struct pki_names org;	/* O values, in order */
	struct pki_names dns;	/* DNS SANs, in order */
	struct pki_names ip;	/* IP SANs as text (IPv6 compressed) */
	struct pki_names other_san; /* other SANs: "email:..", "uri:..", "othername:<oid>",
				     * "dirname", "registeredid:<oid>", "other" */
	char serial[64];	/* hex, colon-free, lower case (empty for a CSR) */
	time_t not_before, not_after;
	int has_ku, ku_critical;
	unsigned ku;		/* PKI_KU_* bits */
	struct pki_names eku;	/* dotted OIDs */
	int has_bc, bc_critical, is_ca;
	int pathlen;		/* -1 when absent */
	char ski[129], aki[129]; /* hex, empty when absent */
	struct pki_names ext_oids; /* every extension OID present, in order */
	struct pki_keyinfo key;
	char sig_algo[48];
	unsigned char sha256[32]; /* of the DER */
	int self_signature_ok;	/* CSR: its signature verifies; cert: self-signed and verifies */
};

void pki_x509info_free(struct pki_x509info *info);

struct pki_cert;

/*
 * Parses one certificate from PEM (the first CERTIFICATE block) or DER.
 * `name` names the input in messages. Free with pki_cert_free().
 */
int pki_cert_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_cert **out, struct pki_err *err) PKI_WUR;

/*
 * Parses every CERTIFICATE block of a PEM input (at most `max`), in order.
 * *out is an array of *n certificates; free with pki_cert_list_free().
 */
int pki_cert_list_parse(const unsigned char *data, size_t len, const char *name,
	size_t max, struct pki_cert ***out, size_t *n, struct pki_err *err) PKI_WUR;
void pki_cert_list_free(struct pki_cert **list, size_t n);

/* Reads path (cap PKI_CAP_CERT) and parses its first certificate. */
int pki_cert_load(const char *path, struct pki_cert **out, struct pki_err *err) PKI_WUR;

void pki_cert_free(struct pki_cert *cert);

/* Fills *info (zeroed first; free with pki_x509info_free()). */
int pki_cert_info(const struct pki_cert *cert, struct pki_x509info *info,
	struct pki_err *err) PKI_WUR;

time_t pki_cert_not_after(const struct pki_cert *cert);
time_t pki_cert_not_before(const struct pki_cert *cert);
/* 1 when basicConstraints says CA:TRUE. */
int pki_cert_is_ca(const struct pki_cert *cert);

/* 0 when cert's signature verifies with issuer's public key and the issuer
 * name matches; -1 with a message otherwise. */
int pki_cert_verify_signed_by(const struct pki_cert *cert,
	const struct pki_cert *issuer, struct pki_err *err) PKI_WUR;

/* 1 when the certificate's public key is the key's, 0 when not, -1 on error. */
int pki_cert_matches_key(const struct pki_cert *cert, const struct pki_key *key,
	struct pki_err *err) PKI_WUR;

/* PEM of the certificate. */
int pki_cert_export_pem(const struct pki_cert *cert, struct pki_buf *out,
	struct pki_err *err) PKI_WUR;

#endif
