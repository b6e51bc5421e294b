/* csr.c — PKCS#10 certification requests (RFC 2986): reading and making. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include <pki/csr.h>
#include <pki/key.h>

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

const unsigned char *
pki_csr_der(const struct pki_csr *csr, size_t *len)
{
	*len = csr->der_len;
	return csr->der;
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

static gnutls_pubkey_t
csr_pubkey(const struct pki_csr *csr)
{
	gnutls_pubkey_t pub = NULL;

	if (gnutls_pubkey_init(&pub) < 0)
		return NULL;
	if (gnutls_pubkey_import_x509_crq(pub, csr->crq, 0) != 0) {
		gnutls_pubkey_deinit(pub);
		return NULL;
	}
	return pub;
}

void
pki_csr_keyinfo(const struct pki_csr *csr, struct pki_keyinfo *info)
{
	gnutls_pubkey_t pub = csr_pubkey(csr);

	pki_spki_facts(pub, csr->der + csr->spki_off, csr->spki_len, info);
	gnutls_pubkey_deinit(pub);
}

int
pki_csr_public_id(const struct pki_csr *csr, unsigned char out[32], struct pki_err *err)
{
	gnutls_pubkey_t pub = csr_pubkey(csr);
	int r = pki_spki_public_id(pub, csr->der + csr->spki_off, csr->spki_len, csr->what, out,
		err);

	gnutls_pubkey_deinit(pub);
	return r;
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

/* ---- making requests ------------------------------------------------------ */

/* Caps on what one request may carry (the reader's caps are the same). */
#define CSR_MAX_NAMES 256
#define CSR_MAX_VALUE 1024

/* A subject or SAN value must be clean text of sane length. */
static int
check_value(const char *v, const char *field, struct pki_err *err)
{
	char clean[128];
	size_t len = strlen(v);

	if (len == 0)
		return pki_err_set(err, PKI_E_INVALID, "certificate request: empty %s", field);
	pki_text_sanitize(v, clean, sizeof(clean));
	if (len > CSR_MAX_VALUE)
		return pki_err_set(err, PKI_E_LIMIT,
			"certificate request: %s '%s': longer than %d bytes", field, clean,
			CSR_MAX_VALUE);
	if (!pki_text_is_clean(v, len, 0))
		return pki_err_set(err, PKI_E_INVALID,
			"certificate request: %s '%s': holds control characters", field, clean);
	return 0;
}

static size_t
names_count(const struct pki_names *n)
{
	return n == NULL ? 0 : n->n;
}

/* The digest kubeadm's Go signs with: SHA-384 for P-384, SHA-256 for RSA
 * and P-256, none to choose for Ed25519 (the algorithm fixes it). */
static gnutls_digest_algorithm_t
sign_digest(const struct pki_key *key)
{
	struct pki_keyinfo ki;

	pki_key_info(key, &ki);
	if (strcmp(ki.algo, "Ed25519") == 0)
		return GNUTLS_DIG_UNKNOWN;
	if (strcmp(ki.algo, "ECDSA") == 0 && ki.bits > 256)
		return GNUTLS_DIG_SHA384;
	return GNUTLS_DIG_SHA256;
}

static int
add_sans(gnutls_x509_crq_t crq, const struct pki_names *dns, const struct pki_names *ip,
	struct pki_err *err)
{
	unsigned char addr[16];
	unsigned flag = 0; /* the first call starts the extension, later ones append */
	size_t i, alen;
	int r;

	for (i = 0; i < names_count(dns); i++) {
		if (check_value(dns->v[i], "DNS SAN", err) != 0)
			return -1;
		r = gnutls_x509_crq_set_subject_alt_name(crq, GNUTLS_SAN_DNSNAME, dns->v[i],
			(unsigned)strlen(dns->v[i]), flag);
		if (r < 0)
			return pki_err_set(err, PKI_E_CRYPTO,
				"certificate request: cannot add DNS SAN '%s': %s", dns->v[i],
				gnutls_strerror(r));
		flag = GNUTLS_FSAN_APPEND;
	}
	for (i = 0; i < names_count(ip); i++) {
		char clean[128];

		if (check_value(ip->v[i], "IP SAN", err) != 0)
			return -1;
		pki_text_sanitize(ip->v[i], clean, sizeof(clean));
		/* as Go does: 4 bytes for IPv4, 16 for IPv6 */
		if (inet_pton(AF_INET, ip->v[i], addr) == 1)
			alen = 4;
		else if (inet_pton(AF_INET6, ip->v[i], addr) == 1)
			alen = 16;
		else
			return pki_err_set(err, PKI_E_INVALID,
				"certificate request: IP SAN '%s': not an IP address", clean);
		r = gnutls_x509_crq_set_subject_alt_name(crq, GNUTLS_SAN_IPADDRESS, addr,
			(unsigned)alen, flag);
		if (r < 0)
			return pki_err_set(err, PKI_E_CRYPTO,
				"certificate request: cannot add IP SAN '%s': %s", clean,
				gnutls_strerror(r));
		flag = GNUTLS_FSAN_APPEND;
	}
	return 0;
}

int
pki_csr_create(const struct pki_key *key, const char *cn, const struct pki_names *org,
	const struct pki_names *dns, const struct pki_names *ip, struct pki_csr **out,
	struct pki_err *err)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_privkey_t priv = NULL;
	gnutls_datum_t der = { NULL, 0 };
	char clean[128], what[300];
	size_t i;
	int ret = -1, r;

	*out = NULL;
	if (cn == NULL || check_value(cn, "CN", err) != 0) {
		if (cn == NULL)
			pki_err_set(err, PKI_E_USAGE, "certificate request: no CN");
		goto out;
	}
	pki_text_sanitize(cn, clean, sizeof(clean));
	(void)snprintf(what, sizeof(what), "certificate request '%s'", clean);
	if (names_count(org) > CSR_MAX_NAMES ||
	    names_count(dns) + names_count(ip) > CSR_MAX_NAMES) {
		pki_err_set(err, PKI_E_LIMIT, "%s: more than %d O values or SANs", what,
			CSR_MAX_NAMES);
		goto out;
	}
	if (gnutls_x509_crq_init(&crq) < 0 || gnutls_privkey_init(&priv) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	/* borrowed: priv does not own the key */
	if (gnutls_privkey_import_x509(priv, pki_key_gnutls(key), 0) < 0 ||
	    gnutls_x509_crq_set_version(crq, 1) < 0 || gnutls_x509_crq_set_key(crq,
							     pki_key_gnutls(key)) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot use the key", what);
		goto out;
	}
	/* Go's pkix.Name order: O before CN (each value its own RDN here) */
	for (i = 0; i < names_count(org); i++) {
		if (check_value(org->v[i], "O", err) != 0)
			goto out;
		r = gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
			org->v[i], (unsigned)strlen(org->v[i]));
		if (r < 0) {
			pki_err_set(err, PKI_E_CRYPTO, "%s: cannot set O: %s", what,
				gnutls_strerror(r));
			goto out;
		}
	}
	r = gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
		(unsigned)strlen(cn));
	if (r < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot set CN: %s", what, gnutls_strerror(r));
		goto out;
	}
	if (add_sans(crq, dns, ip, err) != 0) {
		pki_err_prefix(err, "%s", what);
		goto out;
	}
	r = gnutls_x509_crq_privkey_sign(crq, priv, sign_digest(key), 0);
	if (r < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot sign: %s", what, gnutls_strerror(r));
		goto out;
	}
	if (gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, &der) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot encode", what);
		goto out;
	}
	/* parsed back, so that a made request is held like a read one */
	ret = csr_from_der(der.data, der.size, what, out, err);
out:
	gnutls_free(der.data);
	gnutls_privkey_deinit(priv);
	gnutls_x509_crq_deinit(crq);
	return ret;
}

int
pki_csr_export_pem(const struct pki_csr *csr, struct pki_buf *out, struct pki_err *err)
{
	static const char begin[] = "-----BEGIN CERTIFICATE REQUEST-----\n";
	static const char end[] = "-----END CERTIFICATE REQUEST-----\n";
	struct pki_buf b64 = { 0 };
	size_t i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (pki_base64_encode(csr->der, csr->der_len, &b64, err) != 0 ||
	    pki_buf_append(out, begin, sizeof(begin) - 1, err) != 0)
		goto out;
	/* 64 characters a line (RFC 7468 section 2) */
	for (i = 0; i < b64.len; i += 64) {
		size_t n = b64.len - i < 64 ? b64.len - i : 64;

		if (pki_buf_append(out, b64.data + i, n, err) != 0 ||
		    pki_buf_append(out, "\n", 1, err) != 0)
			goto out;
	}
	if (pki_buf_append(out, end, sizeof(end) - 1, err) != 0)
		goto out;
	ret = 0;
out:
	pki_buf_free(&b64);
	if (ret != 0)
		pki_buf_free(out);
	return ret;
}

int
pki_csr_matches_key(const struct pki_csr *csr, const struct pki_key *key,
	struct pki_err *err)
{
	unsigned char a[32], b[32];

	if (pki_csr_public_id(csr, a, err) != 0 || pki_key_public_id(key, b, err) != 0)
		return -1;
	return memcmp(a, b, sizeof(a)) == 0;
}

int
pki_csr_parse_one(const unsigned char *data, size_t len, const char *name,
	struct pki_csr **out, struct pki_err *err)
{
	static const char begin[] = "-----BEGIN ";
	const unsigned char *p = data, *end = data + len;
	size_t blocks = 0;

	*out = NULL;
	/* DER has no room for a second object: csr_from_der refuses trailing bytes */
	while (len > 0 && data[0] != 0x30 && p < end) {
		const unsigned char *hit = memmem(p, (size_t)(end - p), begin, sizeof(begin) - 1);

		if (hit == NULL)
			break;
		blocks++;
		p = hit + sizeof(begin) - 1;
	}
	if (blocks > 1) {
		char clean[256];

		pki_text_sanitize(name, clean, sizeof(clean));
		return pki_err_set(err, PKI_E_INVALID,
			"certificate request '%s': holds %zu PEM blocks; exactly one CSR is expected",
			clean, blocks);
	}
	return pki_csr_parse(data, len, name, out, err);
}
