/*
 * csr.h — PKCS#10 certification requests (RFC 2986).
 */
#ifndef PKI_CSR_H
#define PKI_CSR_H

#include <pki/cert.h>
#include <pki/file.h>
#include <pki/key.h>

struct pki_csr;

/* Parses one CSR from PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE
 * REQUEST") or DER. Free with pki_csr_free(). */
int pki_csr_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_csr **out, struct pki_err *err) PKI_WUR;
void pki_csr_free(struct pki_csr *csr);

/* As pki_csr_parse(), but the input must hold that one CSR and no other
 * PEM block (a signer must not guess which of several was meant). */
int pki_csr_parse_one(const unsigned char *data, size_t len, const char *name,
	struct pki_csr **out, struct pki_err *err) PKI_WUR;

/* Fills *info from the CSR; ext_oids lists the requested extensions and
 * self_signature_ok says whether its signature verifies. */
int pki_csr_info(const struct pki_csr *csr, struct pki_x509info *info,
	struct pki_err *err) PKI_WUR;

/* 0 when the CSR's self-signature verifies. */
int pki_csr_verify(const struct pki_csr *csr, struct pki_err *err) PKI_WUR;

/*
 * Makes a request for key, the way kubeadm's generate-csr does: a subject
 * of the O values (each its own RDN, in order) then the CN, as Go orders
 * pkix.Name; a subjectAltName extension request with the DNS and IP SANs
 * when there are any (IPv4 as 4 bytes, IPv6 as 16); and no other requested
 * extension: key usage, extended key usage and basic constraints are the
 * CA's to decide. Signed with key: SHA-256, SHA-384 for P-384, Ed25519
 * plain. org, dns and ip may be NULL. Free with pki_csr_free().
 */
int pki_csr_create(const struct pki_key *key, const char *cn, const struct pki_names *org,
	const struct pki_names *dns, const struct pki_names *ip, struct pki_csr **out,
	struct pki_err *err) PKI_WUR;

/* PEM "CERTIFICATE REQUEST", 64 characters a line (RFC 7468 7). */
int pki_csr_export_pem(const struct pki_csr *csr, struct pki_buf *out,
	struct pki_err *err) PKI_WUR;

/* 1 when the request's public key is the key's, 0 when not, -1 on error. */
int pki_csr_matches_key(const struct pki_csr *csr, const struct pki_key *key,
	struct pki_err *err) PKI_WUR;

#endif
