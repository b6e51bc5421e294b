/*
 * csr.h — PKCS#10 certification requests (RFC 2986).
 */
#ifndef PKI_CSR_H
#define PKI_CSR_H

#include <pki/cert.h>

struct pki_csr;

/* Parses one CSR from PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE
 * REQUEST") or DER. Free with pki_csr_free(). */
int pki_csr_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_csr **out, struct pki_err *err) PKI_WUR;
void pki_csr_free(struct pki_csr *csr);

/* Fills *info from the CSR; ext_oids lists the requested extensions and
 * self_signature_ok says whether its signature verifies. */
int pki_csr_info(const struct pki_csr *csr, struct pki_x509info *info,
	struct pki_err *err) PKI_WUR;

/* 0 when the CSR's self-signature verifies. */
int pki_csr_verify(const struct pki_csr *csr, struct pki_err *err) PKI_WUR;

#endif
