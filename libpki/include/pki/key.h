/*
 * key.h — private keys: generate, parse, export, save.
 *
 * Key material held by a struct pki_key is wiped when it is freed.
 */
#ifndef PKI_KEY_H
#define PKI_KEY_H

#include <stddef.h>

#include <pki/error.h>
#include <pki/file.h>

enum pki_key_type {
	PKI_KEY_RSA2048,
	PKI_KEY_RSA3072,
	PKI_KEY_RSA4096,
	PKI_KEY_ECDSA_P256,
	PKI_KEY_ECDSA_P384,
	PKI_KEY_ED25519,
};

struct pki_key;

/* Facts about a public key, for reports and checks. */
struct pki_keyinfo {
	char algo[16];	/* "RSA", "ECDSA", "Ed25519", "DSA", or "unknown" */
	unsigned bits;	/* modulus or curve size */
	char curve[16]; /* "P-256", "P-384", "secp256k1", ... ("" for RSA) */
};

/*
 * Parses "rsa2048", "rsa3072", "rsa4096", "ecdsa-p256", "ecdsa-p384",
 * "ed25519", and kubeadm's encryptionAlgorithm spellings "RSA-2048",
 * "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384".
 */
int pki_key_type_parse(const char *s, enum pki_key_type *out,
	struct pki_err *err) PKI_WUR;
const char *pki_key_type_name(enum pki_key_type type);

/* Generates a key; free with pki_key_free(). */
int pki_key_generate(enum pki_key_type type, struct pki_key **out,
	struct pki_err *err) PKI_WUR;

/*
 * Parses a private key in PEM (PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE
 * KEY", PKCS#8 "PRIVATE KEY") or DER. `name` names the input in messages.
 * A certificate or CSR given as a key is reported as such. Encrypted keys
 * are refused. Free with pki_key_free().
 */
int pki_key_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_key **out, struct pki_err *err) PKI_WUR;

/* Reads path with PKI_READ_SECRET and parses it. Free with pki_key_free(). */
int pki_key_load(const char *path, struct pki_key **out, struct pki_err *err) PKI_WUR;

void pki_key_free(struct pki_key *key);

void pki_key_info(const struct pki_key *key, struct pki_keyinfo *info);

/*
 * Exports the key as PEM the way kubeadm writes it: PKCS#1 for RSA, SEC1
 * for ECDSA, PKCS#8 for Ed25519. The buffer holds key material: free it
 * with pki_buf_free(), which wipes it.
 */
int pki_key_export_pem(const struct pki_key *key, struct pki_buf *out,
	struct pki_err *err) PKI_WUR;

/* Exports the public key as PEM "PUBLIC KEY" (PKIX), as kubeadm's sa.pub. */
int pki_key_export_public_pem(const struct pki_key *key, struct pki_buf *out,
	struct pki_err *err) PKI_WUR;

/* Writes the key with pki_file_write(), mode 0600 from the start. */
int pki_key_save(const struct pki_key *key, const char *path, unsigned flags,
	struct pki_err *err) PKI_WUR;

/* The type of a described key, when it is one pki_key_generate() makes
 * (RSA of exactly 2048, 3072 or 4096 bits, ECDSA P-256 or P-384, Ed25519).
 * 0, or -1 for any other key. */
int pki_key_type_of(const struct pki_keyinfo *info, enum pki_key_type *out) PKI_WUR;

/*
 * Whether a public key is one kubeadm's certificates may carry: RSA of
 * 2048 bits or more, ECDSA on P-256 or P-384, or Ed25519 when allowed.
 * Returns 1, or 0 with the reason in err (code PKI_E_INVALID).
 */
int pki_keyinfo_acceptable(const struct pki_keyinfo *info, int allow_ed25519,
	struct pki_err *err);

/* SHA-256 over the DER SubjectPublicKeyInfo, to match keys with certs. */
int pki_key_public_id(const struct pki_key *key, unsigned char out[32],
	struct pki_err *err) PKI_WUR;

#endif
