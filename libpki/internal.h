/*
 * internal.h — libpki's private declarations. Never installed; tools and
 * callers see only the opaque types of include/pki/.
 */
#ifndef PKI_INTERNAL_H
#define PKI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <pki/error.h>
#include <pki/file.h>

#define PKI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- memory ---------------------------------------------------------- */

/* Wipes then frees; accepts NULL. */
void pki_freezero(void *p, size_t len);
/* strdup that reports into err. */
char *pki_strdup(const char *s, struct pki_err *err);
char *pki_strndup(const char *s, size_t n, struct pki_err *err);
/* calloc with overflow check that reports into err. */
void *pki_calloc(size_t n, size_t size, struct pki_err *err);
/* Grows *v (of *cap elements of size) to hold at least need elements. */
int pki_grow(void **v, size_t *cap, size_t need, size_t size,
	struct pki_err *err) PKI_WUR;

/* ---- text checks ------------------------------------------------------ */

/* 1 when s[0..len) has no NUL and no C0/DEL control bytes (tab allowed when
 * allow_tab) and is valid UTF-8. */
int pki_text_is_clean(const char *s, size_t len, int allow_tab);

/* Copies s into out (cap bytes) with control bytes escaped as \xHH, for
 * messages that quote hostile input; truncates with "...". */
void pki_text_sanitize(const char *s, char *out, size_t cap);


/* Range-checked decimal parser for unsigned values: no sign, no blanks,
 * no leading zeros beyond "0", value in [min, max]. */
int pki_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* ---- YAML -------------------------------------------------------------- */

enum pki_ytype { PKI_Y_SCALAR, PKI_Y_SEQ, PKI_Y_MAP };

struct pki_ynode {
	enum pki_ytype type;
	unsigned line;		/* 1-based */
	/* scalar */
	char *str;		/* NUL-terminated; NUL bytes inside are refused */
	size_t len;
	int plain;		/* unquoted: `null`, `~`, `true` have meaning */
	/* sequence: items; mapping: keys[i] -> items[i] */
	struct pki_ynode **keys;
	struct pki_ynode **items;
	size_t n;
};

struct pki_ylimits {
	unsigned max_depth;
	size_t max_nodes;
	size_t max_scalar;
	size_t max_docs;
};

/* Defaults: depth 64, 200000 nodes, 1 MiB per scalar, 64 documents. */
extern const struct pki_ylimits pki_ylimits_default;

/*
 * Parses every document of a YAML stream into trees. Aliases, anchors'
 * use, duplicate mapping keys, non-scalar keys and NUL bytes are refused;
 * limits are enforced while parsing. Messages read
 * "<name>: line N: <problem>". Free with pki_ydocs_free().
 */
int pki_yaml_parse(const unsigned char *data, size_t len, const char *name,
	const struct pki_ylimits *lim, struct pki_ynode ***docs, size_t *ndocs,
	struct pki_err *err) PKI_WUR;
void pki_ydocs_free(struct pki_ynode **docs, size_t ndocs);
void pki_ynode_free(struct pki_ynode *node);

/* Mapping lookup by key; NULL if absent or map is not a mapping. */
const struct pki_ynode *pki_ymap_get(const struct pki_ynode *map, const char *key);

/* 1 when the node is an unquoted null (`null`, `~`, empty). */
int pki_ynode_is_null(const struct pki_ynode *node);

/*
 * Refuses any key of map not in allowed (NULL-terminated):
 * "<name>: line N: unknown key 'k' in <where>".
 */
int pki_ymap_check_keys(const struct pki_ynode *map, const char *const *allowed,
	const char *name, const char *where, struct pki_err *err) PKI_WUR;

/*
 * Typed getters for required/optional mapping fields. Each reports
 * "<name>: line N: '<field>' ..." on a wrong type or a missing required
 * field. *out is left unchanged when an optional field is absent.
 */
int pki_yget_str(const struct pki_ynode *map, const char *key, int required,
	const char *name, const char **out, struct pki_err *err) PKI_WUR;
int pki_yget_bool(const struct pki_ynode *map, const char *key, int required,
	const char *name, int *out, struct pki_err *err) PKI_WUR;
int pki_yget_seq(const struct pki_ynode *map, const char *key, int required,
	const char *name, const struct pki_ynode **out, struct pki_err *err) PKI_WUR;
int pki_yget_map(const struct pki_ynode *map, const char *key, int required,
	const char *name, const struct pki_ynode **out, struct pki_err *err) PKI_WUR;

/* ---- output writers ---------------------------------------------------- */

/* Appends s as a JSON string literal (quotes, escapes, \u00XX controls). */
int pki_json_str(struct pki_buf *b, const char *s, struct pki_err *err) PKI_WUR;
/* Appends s as a YAML double-quoted scalar when it needs quoting, else plain. */
int pki_yaml_str(struct pki_buf *b, const char *s, struct pki_err *err) PKI_WUR;

/* RFC 3339 UTC, "2026-01-02T03:04:05Z". */
void pki_time_rfc3339(time_t t, char out[32]);

/* ---- base64 ------------------------------------------------------------ */

/* Standard alphabet with padding; whitespace is not allowed. */
int pki_base64_decode(const char *s, size_t len, struct pki_buf *out,
	const char *what, struct pki_err *err) PKI_WUR;
int pki_base64_encode(const unsigned char *data, size_t len, struct pki_buf *out,
	struct pki_err *err) PKI_WUR;

/* ---- names kubeadm accepts (kubeadm.c) -------------------------------- */

/* 1 when s is an RFC 1123 subdomain as Kubernetes checks it (lower case,
 * at most 253 bytes); with wildcard, "*." followed by one. */
int pki_dns1123_subdomain(const char *s, int wildcard);
/* Parses an IPv4 or IPv6 address into its canonical text (an IPv4-mapped
 * IPv6 address as IPv4, as Go prints it). 0, or -1 when s is no address. */
int pki_ip_canonical(const char *s, char out[46]) PKI_WUR;

/* ---- keys, certificates, CSRs (key.c, cert.c, csr.c) ------------------- */

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

struct pki_key;
struct pki_keyinfo;
struct pki_cert;
struct pki_csr;

/* The GnuTLS objects behind the opaque types, borrowed, for modules that
 * sign or build certificates. */
gnutls_x509_privkey_t pki_key_gnutls(const struct pki_key *key);
gnutls_x509_crt_t pki_cert_gnutls(const struct pki_cert *cert);
gnutls_x509_crq_t pki_csr_gnutls(const struct pki_csr *csr);
/* The DER the CSR was parsed from, borrowed. */
const unsigned char *pki_csr_der(const struct pki_csr *csr, size_t *len);
/* The DER the certificate was parsed from, borrowed. */
const unsigned char *pki_cert_der(const struct pki_cert *cert, size_t *len);

/* Describes a GnuTLS public key: algorithm, bits and curve by name. */
void pki_pubkey_keyinfo(gnutls_pubkey_t pub, struct pki_keyinfo *info);
/* Describes a DER SubjectPublicKeyInfo without GnuTLS, so that curves it
 * cannot use are still named ("secp256k1"); "unknown" otherwise. */
void pki_spki_keyinfo(const unsigned char *spki, size_t len, struct pki_keyinfo *info);
/* SHA-256 over the DER SubjectPublicKeyInfo of pub, as pki_key_public_id(). */
int pki_pubkey_id(gnutls_pubkey_t pub, unsigned char out[32], struct pki_err *err) PKI_WUR;
/* The public key of a certificate or CSR: its description, and its id
 * (as pki_key_public_id(), so that keys match certificates and CSRs). */
/* The facts and id of a public key that GnuTLS imported into pub (NULL when
 * it could not), falling back to its DER SubjectPublicKeyInfo. */
void pki_spki_facts(gnutls_pubkey_t pub, const unsigned char *spki, size_t len,
	struct pki_keyinfo *info);
int pki_spki_public_id(gnutls_pubkey_t pub, const unsigned char *spki, size_t len,
	const char *what, unsigned char out[32], struct pki_err *err) PKI_WUR;
void pki_cert_keyinfo(const struct pki_cert *cert, struct pki_keyinfo *info);
void pki_csr_keyinfo(const struct pki_csr *csr, struct pki_keyinfo *info);
int pki_cert_public_id(const struct pki_cert *cert, unsigned char out[32],
	struct pki_err *err) PKI_WUR;
int pki_csr_public_id(const struct pki_csr *csr, unsigned char out[32],
	struct pki_err *err) PKI_WUR;

/*
 * Reads the DER TLV at the start of p[0..len): a low-form tag, definite
 * length in shortest form. Sets the tag, the header length and the content
 * length (which fits in len). Returns 0, or -1 when malformed.
 */
int pki_der_tlv(const unsigned char *p, size_t len, unsigned *tag, size_t *hlen,
	size_t *clen) PKI_WUR;

/* One PEM block (RFC 7468) found in a text. */
struct pki_pem {
	char label[64];			/* "CERTIFICATE", "RSA PRIVATE KEY", ... */
	const unsigned char *body;	/* the text between BEGIN and END lines */
	size_t body_len;
	int has_headers;		/* RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") */
};

/*
 * Finds the next PEM block in data at or after *pos and moves *pos past it.
 * Returns 1 when found, 0 when there is none, -1 (with err, prefixed by
 * `what`) when a block is malformed or unterminated.
 */
int pki_pem_next(const unsigned char *data, size_t len, size_t *pos,
	struct pki_pem *blk, const char *what, struct pki_err *err) PKI_WUR;
/* Decodes a block's base64 body (line breaks and blanks ignored). */
int pki_pem_decode(const struct pki_pem *blk, const char *what, struct pki_buf *out,
	struct pki_err *err) PKI_WUR;
/* What a PEM label or a DER input holds, for "is a ..., not a ..." messages:
 * "a certificate", "a certificate request", "a private key", "a public key",
 * or NULL. */
const char *pki_pem_label_kind(const char *label);
const char *pki_der_kind(const unsigned char *der, size_t len);

/* Fills what certificates and CSRs share (one of crt and crq is NULL):
 * subject, CN, O, SANs, extensions, key usages, basic constraints, key
 * identifiers, signature algorithm. `what` starts messages. */
struct pki_x509info;
int pki_x509info_common(gnutls_x509_crt_t crt, gnutls_x509_crq_t crq, const char *what,
	struct pki_x509info *info, struct pki_err *err) PKI_WUR;

/* Copies s[0..len) into a new string; text that is not clean UTF-8 (NUL or
 * control bytes) is escaped as \xHH so that it cannot pass for a clean name. */
char *pki_strdup_clean(const char *s, size_t len, struct pki_err *err);

/* Go's text/tabwriter as kubeadm sets it up (minwidth 10, padding 3,
 * spaces), for its tables (report.c). */
int pki_tabwriter(const char *in, size_t len, struct pki_buf *out, struct pki_err *err) PKI_WUR;

/* ---- the ledger (ledger.c) ------------------------------------------------ */

struct pki_ledger_record;
/* Parses a journal's text (kpki-ledger(5)) into records. A last line that
 * has no newline or does not parse is torn: it is skipped and *good_len
 * is where it starts (len when there is none); any other bad line is an
 * error naming `name` and the line. For pki_ledger_read/open and fuzzing. */
int pki_ledger_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_ledger_record **out, size_t *n, size_t *good_len,
	struct pki_err *err) PKI_WUR;

/* ---- CAs (ca.c) ---------------------------------------------------------- */

struct pki_ca;
/* The CA's signing key (a key file's or a PKCS#11 object's), borrowed. */
gnutls_privkey_t pki_ca_privkey(const struct pki_ca *ca);

/* ---- small shared helpers (util.c) ---------------------------------------- */

/* n octets as 2n lower-case hex digits and a NUL in out. */
void pki_hex_lower(const unsigned char *p, size_t n, char *out);

/* RFC 3339 in the one form kpki writes, "YYYY-MM-DDTHH:MM:SSZ" (UTC, no
 * fraction), from min_year on. The round trip through pki_time_rfc3339
 * refuses dates that do not exist (February 30) and leap seconds. 0, or -1
 * when s is not such a time. */
int pki_time_parse_rfc3339(const char *s, int min_year, time_t *out) PKI_WUR;

/* Profile set and profile names as profile.c accepts them
 * ([a-z0-9][a-z0-9.-]*, at most max bytes), never one that
 * pki_profile_set_load() would take for a path (a ".yaml" name). */
int pki_set_name_valid(const char *s, size_t max);

/* PKI_KU_* bits in GnuTLS's encoding (GNUTLS_KEY_*). */
unsigned pki_ku_to_gnutls(unsigned ku);

/* The subject key identifier as Go (and so kubeadm) computes it, RFC 5280
 * 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value. */
int pki_pubkey_key_id(gnutls_pubkey_t pub, unsigned char out[20],
	struct pki_err *err) PKI_WUR;

/* The digest Go's x509 signs with for a CA's key: SHA-256 for RSA and
 * P-256, SHA-384 for P-384, SHA-512 for P-521, none (GNUTLS_DIG_UNKNOWN)
 * for Ed25519 and Ed448. */
gnutls_digest_algorithm_t pki_pubkey_sign_digest(gnutls_pubkey_t pub);

/*
 * ---- directory trees (tree.c) ---------------------------------------------
 *
 * Copying and removing a directory tree, for swapping a whole directory in
 * with renameat2(RENAME_EXCHANGE). Nothing is ever followed: a symbolic
 * link is copied as a link, and anything but a regular file, a directory
 * or a link is an error.
 */
struct pki_tree_copy {
	/* 1: leave out this path inside the tree ("etcd/server.crt") */
	int (*skip)(const char *rel, void *arg);
	void *arg;
	size_t max_entries;	/* files, links and directories, all told */
	size_t max_bytes;	/* of all files together */
	unsigned max_depth;	/* of directories below the top */
	int dry;		/* check that it can be copied, copy nothing (dfd unused) */
};

/*
 * Copies everything in the directory open at sfd into the empty directory
 * open at dfd: contents, modes, owners and times (owners need the right to
 * chown when they are not ours). Each file is created private, given its
 * mode and owner, synced; each directory is synced once filled. spath and
 * dpath name the two in messages. On failure what was copied stays: the
 * caller removes dfd's tree.
 */
int pki_tree_copyat(int sfd, const char *spath, int dfd, const char *dpath,
	const struct pki_tree_copy *opt, struct pki_err *err) PKI_WUR;

/*
 * Creates name in the directory open at dfd, which must not exist, with
 * data and mode from the first instant (O_EXCL|O_NOFOLLOW), synced; dir
 * names the directory in messages.
 */
int pki_file_createat(int dfd, const char *dir, const char *name, const void *data,
	size_t len, mode_t mode, struct pki_err *err) PKI_WUR;

/* Removes the tree name in dfd, as deep as max_depth, never following a
 * link; best effort (what cannot be removed stays). */
void pki_tree_removeat(int dfd, const char *name, unsigned max_depth);


/*
 * A fingerprint of what a tree holds now (without reading contents): every
 * entry's path, type, inode, size, mode, owner, mtime and ctime, in any
 * order; entries skip() names are left out. Two equal stamps mean nothing
 * was added, removed, renamed or written in between.
 */
int pki_tree_stamp(int fd, const char *path, const struct pki_tree_copy *opt,
	unsigned char out[32], struct pki_err *err) PKI_WUR;

/* Copies the extended attributes (ACLs, security labels) of one open file
 * or directory onto another. */
int pki_xattr_copy(int from, int to, const char *what, struct pki_err *err) PKI_WUR;

/*
 * Locks dir (flock on the directory itself: no file is made), exclusive or
 * shared, without waiting: kpki-csr and kpki-kubeconfig take it on the
 * kubeconfig dir before changing anything below it. *fd is -1 when dir does
 * not exist; close it to unlock. Held elsewhere: PKI_E_EXISTS.
 */
int pki_dir_lock(const char *dir, int shared, int *fd, struct pki_err *err) PKI_WUR;

/*
 * The locks of an install or a kpki-csr run: the directories holding the
 * cert dir and the kubelet dir (by their real paths: they stay the same
 * when those are swapped), and the kubeconfig dir; each once. fds[i] is -1
 * when not taken (a directory that does not exist, or one locked already);
 * close them to unlock.
 */
int pki_pki_lock(const char *cert_dir, const char *kc_dir, const char *kubelet_dir,
	int shared, int fds[3], struct pki_err *err) PKI_WUR;

#endif
