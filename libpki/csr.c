/* csr.c — PKCS#10 certification requests (RFC 2986). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include <pki/csr.h>

#include "internal.h"

struct pki_csr {
	gnutls_x509_crq_t crq;
	unsigned char *der;
	size_t der_len;
	size_t spki_off, spki_len; /* SubjectPublicKeyInfo, with its header */
	char what[300];		   /* "certificate request '<name>'" */
};

gnutls_x509_crq_t
pki_csr_gnutls(const struct pki_csr *csr)
{
	return csr->crq;
}

void
pki_csr_free(struct pki_csr *csr)
{
	if (csr == NULL)
		return;
	gnutls_x509_crq_deinit(csr->crq);
	free(csr->der);
	free(csr);
}

/* Steps over one TLV of the wanted tag inside [*off, end). */
static int
step(const unsigned char *d, size_t *off, size_t end, unsigned want, size_t *eoff,
	size_t *elen)
{
	unsigned tag;
	size_t hl, cl;

	if (*off >= end || pki_der_tlv(d + *off, end - *off, &tag, &hl, &cl) != 0 ||
	    tag != want)
		return -1;
	*eoff = *off;
	*elen = hl + cl;
	*off += hl + cl;
	return 0;
}

/*
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm,
 * signature BIT STRING } and nothing after it (else 2); finds the
 * SubjectPublicKeyInfo. -1 when malformed.
 */
static int
csr_split(struct pki_csr *c)
{
	const unsigned char *d = c->der;
	size_t off, end, cri_off, cri_len, e, l, hl, cl;
	unsigned tag;

	if (pki_der_tlv(d, c->der_len, &tag, &hl, &cl) != 0 || tag != 0x30)
		return -1;
	if (hl + cl != c->der_len)
		return 2;
	off = hl;
	end = c->der_len;
	if (step(d, &off, end, 0x30, &cri_off, &cri_len) != 0 ||
	    step(d, &off, end, 0x30, &e, &l) != 0 || step(d, &off, end, 0x03, &e, &l) != 0 ||
	    off != end)
		return -1;
	if (pki_der_tlv(d + cri_off, cri_len, &tag, &hl, &cl) != 0)
		return -1;
	off = cri_off + hl;
	end = off + cl;
	if (step(d, &off, end, 0x02, &e, &l) != 0 || step(d, &off, end, 0x30, &e, &l) != 0 ||
	    step(d, &off, end, 0x30, &c->spki_off, &c->spki_len) != 0)
		return -1;
	return 0;
}

static int
csr_from_der(const unsigned char *der, size_t len, const char *what,
	struct pki_csr **out, struct pki_err *err)
{
	struct pki_csr *c = NULL;
	gnutls_datum_t d;
	const char *kind;
	int ret = -1, r;

	*out = NULL;
	if (len > PKI_CAP_CSR)
		return pki_err_set(err, PKI_E_LIMIT, "%s: larger than %u bytes", what,
			PKI_CAP_CSR);
	c = pki_calloc(1, sizeof(*c), err);
	if (c == NULL)
		goto out;
	(void)snprintf(c->what, sizeof(c->what), "%s", what);
	c->der = malloc(len > 0 ? len : 1);
	if (c->der == NULL) {
		pki_err_nomem(err);
		goto out;
	}
	memcpy(c->der, der, len);
	c->der_len = len;
	if (gnutls_x509_crq_init(&c->crq) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	d.data = c->der;
	d.size = (unsigned)len;
	r = csr_split(c);
	if (r == 2) {
		pki_err_set(err, PKI_E_PARSE, "%s: data after the end of the request", what);
		goto out;
	}
	if (r != 0 || gnutls_x509_crq_import(c->crq, &d, GNUTLS_X509_FMT_DER) < 0) {
		kind = pki_der_kind(der, len);
		if (kind != NULL && strcmp(kind, "a certificate request") != 0)
			pki_err_set(err, PKI_E_INVALID, "%s: is %s, not a certificate request",
				what, kind);
		else
			pki_err_set(err, PKI_E_PARSE, "%s: malformed certificate request (RFC 2986 4)",
				what);
		goto out;
	}
	*out = c;
	c = NULL; /* transferred */
	ret = 0;
out:
	pki_csr_free(c);
	return ret;
}

int
pki_csr_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_csr **out, struct pki_err *err)
{
	char clean[256], what[300];
	struct pki_buf der = { 0 };
	struct pki_pem blk;
	const char *kind = NULL;
	size_t pos = 0;
	int ret = -1, found = 0, r;

	*out = NULL;
	pki_text_sanitize(name, clean, sizeof(clean));
	(void)snprintf(what, sizeof(what), "certificate request '%s'", clean);
	if (len == 0)
		return pki_err_set(err, PKI_E_PARSE, "%s: empty", what);
	if (len > PKI_CAP_CSR)
		return pki_err_set(err, PKI_E_LIMIT, "%s: larger than %u bytes", what,
			PKI_CAP_CSR);
	if (data[0] == 0x30)
		return csr_from_der(data, len, what, out, err);
	while ((r = pki_pem_next(data, len, &pos, &blk, what, err)) == 1) {
		if (strcmp(blk.label, "CERTIFICATE REQUEST") == 0 ||
		    strcmp(blk.label, "NEW CERTIFICATE REQUEST") == 0) {
			found = 1;
			break;
		}
		if (kind == NULL)
			kind = pki_pem_label_kind(blk.label);
	}
	if (r < 0)
		goto out;
	if (!found) {
		if (kind != NULL)
			pki_err_set(err, PKI_E_INVALID, "%s: is %s, not a certificate request",
				what, kind);
		else
			pki_err_set(err, PKI_E_PARSE, "%s: not a PEM or DER certificate request",
				what);
		goto out;
	}
	if (blk.has_headers) {
		pki_err_set(err, PKI_E_PARSE, "%s: unexpected headers in the PEM block", what);
		goto out;
	}
	if (pki_pem_decode(&blk, what, &der, err) != 0 ||
	    csr_from_der(der.data, der.len, what, out, err) != 0)
		goto out;
	ret = 0;
out:
	pki_buf_free(&der);
	return ret;
}

void
pki_csr_keyinfo(const struct pki_csr *csr, struct pki_keyinfo *info)
{
	gnutls_pubkey_t pub = NULL;

	if (gnutls_pubkey_init(&pub) == 0 &&
	    gnutls_pubkey_import_x509_crq(pub, csr->crq, 0) == 0)
		pki_pubkey_keyinfo(pub, info);
	else
		pki_spki_keyinfo(csr->der + csr->spki_off, csr->spki_len, info);
	gnutls_pubkey_deinit(pub);
}

int
pki_csr_public_id(const struct pki_csr *csr, unsigned char out[32], struct pki_err *err)
{
	gnutls_pubkey_t pub = NULL;
	int ret = -1;

	if (gnutls_pubkey_init(&pub) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	if (gnutls_pubkey_import_x509_crq(pub, csr->crq, 0) == 0) {
		if (pki_pubkey_id(pub, out, err) != 0) {
			pki_err_prefix(err, "%s", csr->what);
			goto out;
		}
	} else if (gnutls_hash_fast(GNUTLS_DIG_SHA256, csr->der + csr->spki_off,
			   csr->spki_len, out) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot hash the public key", csr->what);
		goto out;
	}
	ret = 0;
out:
	gnutls_pubkey_deinit(pub);
	return ret;
}

int
pki_csr_verify(const struct pki_csr *csr, struct pki_err *err)
{
	gnutls_pubkey_t pub = NULL;
	struct pki_keyinfo ki;
	int usable, r;

	usable = gnutls_pubkey_init(&pub) == 0 &&
		gnutls_pubkey_import_x509_crq(pub, csr->crq, 0) == 0;
	gnutls_pubkey_deinit(pub);
	if (!usable) {
		pki_csr_keyinfo(csr, &ki);
		return pki_err_set(err, PKI_E_INVALID,
			"%s: cannot verify its signature: %s%s%s keys are not supported",
			csr->what, ki.algo, ki.curve[0] ? " " : "", ki.curve);
	}
	r = gnutls_x509_crq_verify(csr->crq, 0);
	if (r < 0)
		return pki_err_set(err, PKI_E_INVALID,
			"%s: its signature does not verify (RFC 2986 3: the requester "
			"must sign it with the key it names)",
			csr->what);
	return 0;
}

int
pki_csr_info(const struct pki_csr *csr, struct pki_x509info *info, struct pki_err *err)
{
	int ret = -1;

	memset(info, 0, sizeof(*info));
	info->pathlen = -1;
	if (pki_x509info_common(NULL, csr->crq, csr->what, info, err) != 0)
		goto out;
	pki_csr_keyinfo(csr, &info->key);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, csr->der, csr->der_len, info->sha256) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot hash", csr->what);
		goto out;
	}
	info->self_signature_ok = gnutls_x509_crq_verify(csr->crq, 0) == 0;
	ret = 0;
out:
	if (ret != 0)
		pki_x509info_free(info);
	return ret;
}
