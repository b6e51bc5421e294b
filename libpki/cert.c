/*
 * cert.c — X.509 certificates (RFC 5280), the facts read from them and
 * from CSRs, and the small DER and PEM readers key.c and csr.c share.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include <pki/cert.h>
#include <pki/csr.h>

#include "internal.h"

/* Caps on what one certificate or CSR may carry, checked while reading. */
#define X509_MAX_NAMES 1024  /* O values, SANs, EKUs: each list */
#define X509_MAX_EXTS  64    /* extensions */
#define X509_MAX_VALUE 16384 /* one attribute or SAN value */
#define X509_MAX_SERIAL 31   /* bytes; RFC 5280 4.1.2.2 allows 20 */
#define X509_MAX_KEYID 64    /* bytes of a key identifier */

struct pki_cert {
	gnutls_x509_crt_t crt;
	unsigned char *der;
	size_t der_len;
	size_t tbs_off, tbs_len;   /* the signed part, with its header */
	size_t spki_off, spki_len; /* SubjectPublicKeyInfo, with its header */
	size_t sig_off, sig_len;   /* signature bits (after the unused-bits byte) */
	char what[300];		   /* "certificate '<name>'" for messages */
	char label[128];	   /* the subject CN, else the input name */
};

/* ---- lists of names ------------------------------------------------------- */

void
pki_names_free(struct pki_names *names)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < names->n; i++)
		free(names->v[i]);
	free(names->v);
	names->v = NULL;
	names->n = 0;
}

int
pki_names_add(struct pki_names *names, const char *s, struct pki_err *err)
{
	char **nv;
	char *d;

	if (names->n >= SIZE_MAX / sizeof(*names->v) - 1)
		return pki_err_nomem(err);
	d = pki_strdup(s, err);
	if (d == NULL)
		return -1;
	nv = realloc(names->v, (names->n + 1) * sizeof(*names->v));
	if (nv == NULL) {
		free(d);
		return pki_err_nomem(err);
	}
	nv[names->n++] = d;
	names->v = nv;
	return 0;
}

int
pki_names_addf(struct pki_names *names, struct pki_err *err, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return pki_err_set(err, PKI_E_INVALID, "cannot format a line of text");
	if ((s = malloc((size_t)n + 1)) == NULL)
		return pki_err_nomem(err);
	va_start(ap, fmt);
	(void)vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ret = pki_names_add(names, s, err);
	free(s);
	return ret;
}

int
pki_names_contains(const struct pki_names *names, const char *s)
{
	size_t i;

	for (i = 0; i < names->n; i++)
		if (strcmp(names->v[i], s) == 0)
			return 1;
	return 0;
}

int
pki_names_equal_set(const struct pki_names *a, const struct pki_names *b)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!pki_names_contains(b, a->v[i]))
			return 0;
	for (i = 0; i < b->n; i++)
		if (!pki_names_contains(a, b->v[i]))
			return 0;
	return 1;
}

/* ---- usage tables --------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
	unsigned gnutls;
} ku_table[] = {
	{ "digital-signature", PKI_KU_DIGITAL_SIGNATURE, GNUTLS_KEY_DIGITAL_SIGNATURE },
	{ "content-commitment", PKI_KU_CONTENT_COMMITMENT, GNUTLS_KEY_NON_REPUDIATION },
	{ "key-encipherment", PKI_KU_KEY_ENCIPHERMENT, GNUTLS_KEY_KEY_ENCIPHERMENT },
	{ "data-encipherment", PKI_KU_DATA_ENCIPHERMENT, GNUTLS_KEY_DATA_ENCIPHERMENT },
	{ "key-agreement", PKI_KU_KEY_AGREEMENT, GNUTLS_KEY_KEY_AGREEMENT },
	{ "cert-sign", PKI_KU_KEY_CERT_SIGN, GNUTLS_KEY_KEY_CERT_SIGN },
	{ "crl-sign", PKI_KU_CRL_SIGN, GNUTLS_KEY_CRL_SIGN },
	{ "encipher-only", PKI_KU_ENCIPHER_ONLY, GNUTLS_KEY_ENCIPHER_ONLY },
	{ "decipher-only", PKI_KU_DECIPHER_ONLY, GNUTLS_KEY_DECIPHER_ONLY },
};

int
pki_ku_from_name(const char *name, unsigned *bit)
{
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(ku_table); i++) {
		if (strcmp(name, ku_table[i].name) == 0) {
			*bit = ku_table[i].bit;
			return 0;
		}
	}
	return -1;
}

const char *
pki_ku_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(ku_table); i++)
		if (ku_table[i].bit == bit)
			return ku_table[i].name;
	return NULL;
}

static unsigned
ku_from_gnutls(unsigned g)
{
	unsigned ku = 0;
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(ku_table); i++)
		if (g & ku_table[i].gnutls)
			ku |= ku_table[i].bit;
	return ku;
}

static const struct {
	const char *name;
	const char *oid;
} eku_table[] = {
	{ "server-auth", "1.3.6.1.5.5.7.3.1" },
	{ "client-auth", "1.3.6.1.5.5.7.3.2" },
	{ "code-signing", "1.3.6.1.5.5.7.3.3" },
	{ "email-protection", "1.3.6.1.5.5.7.3.4" },
	{ "time-stamping", "1.3.6.1.5.5.7.3.8" },
	{ "ocsp-signing", "1.3.6.1.5.5.7.3.9" },
};

const char *
pki_eku_oid(const char *name)
{
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(eku_table); i++)
		if (strcmp(name, eku_table[i].name) == 0)
			return eku_table[i].oid;
	return NULL;
}

const char *
pki_eku_name(const char *oid)
{
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(eku_table); i++)
		if (strcmp(oid, eku_table[i].oid) == 0)
			return eku_table[i].name;
	return NULL;
}

/* ---- text ----------------------------------------------------------------- */

char *
pki_strdup_clean(const char *s, size_t len, struct pki_err *err)
{
	const unsigned char *p = (const unsigned char *)s;
	char *d;
	size_t i, o = 0;

	if (pki_text_is_clean(s, len, 0))
		return pki_strndup(s, len, err);
	if (len > (SIZE_MAX - 1) / 4)
		return (pki_err_nomem(err), NULL);
	d = malloc(len * 4 + 1);
	if (d == NULL)
		return (pki_err_nomem(err), NULL);
	for (i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			d[o++] = (char)p[i];
		} else {
			(void)snprintf(d + o, 5, "\\x%02x", p[i]);
			o += 4;
		}
	}
	d[o] = '\0';
	return d;
}

/* ---- DER ------------------------------------------------------------------ */

int
pki_der_tlv(const unsigned char *p, size_t len, unsigned *tag, size_t *hlen, size_t *clen)
{
	size_t n, i, l = 0;

	if (len < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = p[0];
	if (p[1] < 0x80) {
		l = p[1];
		*hlen = 2;
	} else {
		n = p[1] & 0x7f;
		/* indefinite (0x80) is BER, not DER; more than 4 length
		 * bytes is more than any input we take */
		if (n == 0 || n > 4 || len < 2 + n || p[2] == 0)
			return -1;
		for (i = 0; i < n; i++)
			l = (l << 8) | p[2 + i];
		if (l < 0x80)
			return -1; /* not the shortest form */
		*hlen = 2 + n;
	}
	if (l > len - *hlen)
		return -1;
	*clen = l;
	return 0;
}

/* Steps over the TLV at *off within [*off, end) expecting tag; sets the
 * element's offset and length (header included). */
static int
der_next(const unsigned char *der, size_t *off, size_t end, unsigned want,
	size_t *eoff, size_t *elen)
{
	unsigned tag;
	size_t hl, cl;

	if (*off >= end || pki_der_tlv(der + *off, end - *off, &tag, &hl, &cl) != 0 ||
	    tag != want)
		return -1;
	*eoff = *off;
	*elen = hl + cl;
	*off += hl + cl;
	return 0;
}

/* Offset of the content of the TLV at off (whose validity was checked). */
static size_t
der_content(const unsigned char *der, size_t off, size_t len, size_t *clen)
{
	unsigned tag;
	size_t hl = 0;

	*clen = 0;
	if (pki_der_tlv(der + off, len, &tag, &hl, clen) != 0)
		return off;
	return off + hl;
}

/*
 * Splits a DER certificate: one outer SEQUENCE and nothing after it (else
 * 2), a TBSCertificate whose signature algorithm equals the outer one (else
 * 1, RFC 5280 4.1.1.2), a BIT STRING without unused bits. -1 when malformed.
 */
static int
cert_split(struct pki_cert *c)
{
	const unsigned char *d = c->der;
	size_t off, end, e, l, tend, alg_off, alg_len, tsig_off, tsig_len, sig_off, sig_len;
	unsigned tag;
	size_t hl, cl;

	if (pki_der_tlv(d, c->der_len, &tag, &hl, &cl) != 0 || tag != 0x30)
		return -1;
	if (hl + cl != c->der_len)
		return 2;
	off = hl;
	end = c->der_len;
	if (der_next(d, &off, end, 0x30, &c->tbs_off, &c->tbs_len) != 0 ||
	    der_next(d, &off, end, 0x30, &alg_off, &alg_len) != 0 ||
	    der_next(d, &off, end, 0x03, &sig_off, &sig_len) != 0 || off != end)
		return -1;
	e = der_content(d, sig_off, sig_len, &l);
	if (l < 1 || d[e] != 0)
		return -1;
	c->sig_off = e + 1;
	c->sig_len = l - 1;
	/* inside the TBSCertificate */
	off = der_content(d, c->tbs_off, c->tbs_len, &l);
	tend = off + l;
	if (off < tend && d[off] == 0xa0 && der_next(d, &off, tend, 0xa0, &e, &l) != 0)
		return -1;
	if (der_next(d, &off, tend, 0x02, &e, &l) != 0 ||
	    der_next(d, &off, tend, 0x30, &tsig_off, &tsig_len) != 0 ||
	    der_next(d, &off, tend, 0x30, &e, &l) != 0 ||     /* issuer */
	    der_next(d, &off, tend, 0x30, &e, &l) != 0 ||     /* validity */
	    der_next(d, &off, tend, 0x30, &e, &l) != 0 ||     /* subject */
	    der_next(d, &off, tend, 0x30, &c->spki_off, &c->spki_len) != 0)
		return -1;
	if (tsig_len != alg_len || memcmp(d + tsig_off, d + alg_off, alg_len) != 0)
		return 1;
	return 0;
}

/* Dotted text of a DER OBJECT IDENTIFIER's content. */
static int
oid_text(const unsigned char *p, size_t n, char *out, size_t cap)
{
	unsigned long v = 0;
	size_t i, o = 0;
	int first = 1, w;

	if (n == 0 || (p[n - 1] & 0x80))
		return -1;
	for (i = 0; i < n; i++) {
		if (v == 0 && p[i] == 0x80)
			return -1; /* non-minimal */
		if (v > (0xffffffffUL >> 7))
			return -1;
		v = (v << 7) | (p[i] & 0x7f);
		if (p[i] & 0x80)
			continue;
		if (first) {
			unsigned long a = v < 40 ? 0 : v < 80 ? 1 : 2;

			w = snprintf(out + o, cap - o, "%lu.%lu", a, v - a * 40);
			first = 0;
		} else {
			w = snprintf(out + o, cap - o, ".%lu", v);
		}
		if (w < 0 || (size_t)w >= cap - o)
			return -1;
		o += (size_t)w;
		v = 0;
	}
	return 0;
}

static const struct {
	const char *oid;
	const char *name;
	unsigned bits;
} curve_oids[] = {
	{ "1.2.840.10045.3.1.7", "P-256", 256 },
	{ "1.3.132.0.34", "P-384", 384 },
	{ "1.3.132.0.35", "P-521", 521 },
	{ "1.3.132.0.33", "P-224", 224 },
	{ "1.2.840.10045.3.1.1", "P-192", 192 },
	{ "1.3.132.0.10", "secp256k1", 256 },
	{ "1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1", 256 },
	{ "1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1", 384 },
	{ "1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1", 512 },
};

/* Bits of a DER INTEGER's content (a positive one). */
static unsigned
int_bits(const unsigned char *p, size_t n)
{
	unsigned b;

	while (n > 0 && p[0] == 0)
		p++, n--;
	if (n == 0 || n > 0xffffff)
		return 0;
	for (b = 8; b > 0 && !(p[0] & (1u << (b - 1))); b--)
		;
	return (unsigned)(n - 1) * 8 + b;
}

void
pki_spki_keyinfo(const unsigned char *spki, size_t len, struct pki_keyinfo *info)
{
	char oid[96], param[96];
	size_t off, end, aoff, alen, ooff, olen, boff, blen, c, cl, i;
	int have_param = 0;

	memset(info, 0, sizeof(*info));
	(void)snprintf(info->algo, sizeof(info->algo), "unknown");
	off = der_content(spki, 0, len, &cl);
	end = off + cl;
	if (der_next(spki, &off, end, 0x30, &aoff, &alen) != 0 ||
	    der_next(spki, &off, end, 0x03, &boff, &blen) != 0)
		return;
	c = der_content(spki, aoff, alen, &cl);
	end = c + cl;
	if (der_next(spki, &c, end, 0x06, &ooff, &olen) != 0)
		return;
	ooff = der_content(spki, ooff, olen, &cl);
	if (oid_text(spki + ooff, cl, oid, sizeof(oid)) != 0)
		return;
	if (c < end && der_next(spki, &c, end, 0x06, &ooff, &olen) == 0) {
		ooff = der_content(spki, ooff, olen, &cl);
		have_param = oid_text(spki + ooff, cl, param, sizeof(param)) == 0;
	}
	if (strcmp(oid, "1.2.840.10045.2.1") == 0) {
		(void)snprintf(info->algo, sizeof(info->algo), "ECDSA");
		(void)snprintf(info->curve, sizeof(info->curve), "unknown");
		for (i = 0; have_param && i < PKI_ARRAY_LEN(curve_oids); i++) {
			if (strcmp(param, curve_oids[i].oid) == 0) {
				(void)snprintf(info->curve, sizeof(info->curve), "%s",
					curve_oids[i].name);
				info->bits = curve_oids[i].bits;
			}
		}
	} else if (strcmp(oid, "1.2.840.113549.1.1.1") == 0 ||
		   strcmp(oid, "1.2.840.113549.1.1.10") == 0) {
		(void)snprintf(info->algo, sizeof(info->algo),
			strcmp(oid, "1.2.840.113549.1.1.1") == 0 ? "RSA" : "RSA-PSS");
		/* BIT STRING { 00, SEQUENCE { INTEGER n, INTEGER e } } */
		c = der_content(spki, boff, blen, &cl);
		if (cl > 1 && spki[c] == 0) {
			size_t s = c + 1, send = c + cl, so, sl, n_off, n_len;

			if (der_next(spki, &s, send, 0x30, &so, &sl) == 0) {
				s = der_content(spki, so, sl, &cl);
				if (der_next(spki, &s, s + cl, 0x02, &n_off, &n_len) == 0) {
					n_off = der_content(spki, n_off, n_len, &cl);
					info->bits = int_bits(spki + n_off, cl);
				}
			}
		}
	} else if (strcmp(oid, "1.3.101.112") == 0) {
		(void)snprintf(info->algo, sizeof(info->algo), "Ed25519");
		info->bits = 256;
	} else if (strcmp(oid, "1.3.101.113") == 0) {
		(void)snprintf(info->algo, sizeof(info->algo), "Ed448");
		info->bits = 456;
	} else if (strcmp(oid, "1.2.840.10040.4.1") == 0) {
		(void)snprintf(info->algo, sizeof(info->algo), "DSA");
	}
}

/* ---- PEM ------------------------------------------------------------------ */

int
pki_pem_next(const unsigned char *data, size_t len, size_t *pos, struct pki_pem *blk,
	const char *what, struct pki_err *err)
{
	static const char begin[] = "-----BEGIN ", dashes[] = "-----";
	char endline[96];
	const unsigned char *p, *lab, *q, *e, *lim = data + len;
	size_t ll, el, i;

	memset(blk, 0, sizeof(*blk));
	if (*pos >= len)
		return 0;
	p = memmem(data + *pos, len - *pos, begin, sizeof(begin) - 1);
	if (p == NULL) {
		*pos = len;
		return 0;
	}
	lab = p + sizeof(begin) - 1;
	q = memmem(lab, (size_t)(lim - lab), dashes, sizeof(dashes) - 1);
	if (q == NULL || q == lab || (size_t)(q - lab) >= sizeof(blk->label))
		return pki_err_set(err, PKI_E_PARSE, "%s: malformed PEM BEGIN line", what);
	ll = (size_t)(q - lab);
	for (i = 0; i < ll; i++)
		if (lab[i] < 0x20 || lab[i] > 0x7e)
			return pki_err_set(err, PKI_E_PARSE, "%s: malformed PEM BEGIN line",
				what);
	memcpy(blk->label, lab, ll);
	blk->label[ll] = '\0';
	q += sizeof(dashes) - 1;
	while (q < lim && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;
	if (q < lim && *q != '\n')
		return pki_err_set(err, PKI_E_PARSE, "%s: malformed PEM BEGIN line", what);
	el = (size_t)snprintf(endline, sizeof(endline), "-----END %s-----", blk->label);
	e = memmem(q, (size_t)(lim - q), endline, el);
	if (e == NULL)
		return pki_err_set(err, PKI_E_PARSE, "%s: PEM block '%s' has no END line", what,
			blk->label);
	blk->body = q;
	blk->body_len = (size_t)(e - q);
	blk->has_headers = memchr(q, ':', blk->body_len) != NULL;
	*pos = (size_t)(e - data) + el;
	return 1;
}

int
pki_pem_decode(const struct pki_pem *blk, const char *what, struct pki_buf *out,
	struct pki_err *err)
{
	struct pki_buf b64 = { 0 };
	char where[400];
	size_t i, start = 0;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	/* copy the runs between blanks; the copy may hold a key: wiped by
	 * pki_buf_free */
	for (i = 0; i <= blk->body_len; i++) {
		unsigned char ch = i < blk->body_len ? blk->body[i] : ' ';

		if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n')
			continue;
		if (i > start && pki_buf_append(&b64, blk->body + start, i - start, err) != 0)
			goto out;
		start = i + 1;
	}
	(void)snprintf(where, sizeof(where), "%s: %s block", what, blk->label);
	ret = pki_base64_decode(b64.data ? (const char *)b64.data : "", b64.len, out, where,
		err);
out:
	pki_buf_free(&b64);
	return ret;
}

const char *
pki_pem_label_kind(const char *label)
{
	if (strcmp(label, "CERTIFICATE") == 0 || strcmp(label, "X509 CERTIFICATE") == 0 ||
	    strcmp(label, "TRUSTED CERTIFICATE") == 0)
		return "a certificate";
	if (strcmp(label, "CERTIFICATE REQUEST") == 0 ||
	    strcmp(label, "NEW CERTIFICATE REQUEST") == 0)
		return "a certificate request";
	if (strstr(label, "PRIVATE KEY") != NULL)
		return "a private key";
	if (strcmp(label, "PUBLIC KEY") == 0 || strcmp(label, "RSA PUBLIC KEY") == 0)
		return "a public key";
	if (strcmp(label, "X509 CRL") == 0)
		return "a certificate revocation list";
	return NULL;
}

const char *
pki_der_kind(const unsigned char *der, size_t len)
{
	gnutls_datum_t d = { (unsigned char *)der, (unsigned)len };
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_crq_t crq = NULL;
	gnutls_x509_privkey_t key = NULL;
	gnutls_pubkey_t pub = NULL;
	const char *kind = NULL;

	if (len > PKI_CAP_ANY)
		return NULL;
	if (gnutls_x509_crt_init(&crt) == 0 &&
	    gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0)
		kind = "a certificate";
	else if (gnutls_x509_crq_init(&crq) == 0 &&
		 gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_DER) == 0)
		kind = "a certificate request";
	else if (gnutls_x509_privkey_init(&key) == 0 &&
		 gnutls_x509_privkey_import(key, &d, GNUTLS_X509_FMT_DER) == 0)
		kind = "a private key";
	else if (gnutls_pubkey_init(&pub) == 0 &&
		 gnutls_pubkey_import(pub, &d, GNUTLS_X509_FMT_DER) == 0)
		kind = "a public key";
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_crq_deinit(crq);
	gnutls_x509_privkey_deinit(key);
	gnutls_pubkey_deinit(pub);
	return kind;
}

/* ---- certificates --------------------------------------------------------- */

gnutls_x509_crt_t
pki_cert_gnutls(const struct pki_cert *cert)
{
	return cert->crt;
}

const unsigned char *
pki_cert_der(const struct pki_cert *cert, size_t *len)
{
	*len = cert->der_len;
	return cert->der;
}

void
pki_cert_free(struct pki_cert *cert)
{
	if (cert == NULL)
		return;
	gnutls_x509_crt_deinit(cert->crt);
	free(cert->der);
	free(cert);
}

void
pki_cert_list_free(struct pki_cert **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		pki_cert_free(list[i]);
	free(list);
}

/* Builds a certificate from DER (copied). */
static int
cert_from_der(const unsigned char *der, size_t len, const char *what, const char *name,
	struct pki_cert **out, struct pki_err *err)
{
	struct pki_cert *c = NULL;
	gnutls_datum_t d;
	const char *kind;
	char cn[X509_MAX_VALUE / 4];
	size_t sz;
	int ret = -1, r;

	*out = NULL;
	if (len > PKI_CAP_CERT)
		return pki_err_set(err, PKI_E_LIMIT, "%s: larger than %u bytes", what,
			PKI_CAP_CERT);
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
	if (gnutls_x509_crt_init(&c->crt) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	r = cert_split(c);
	if (r == 2) {
		pki_err_set(err, PKI_E_PARSE, "%s: data after the end of the certificate", what);
		goto out;
	}
	if (r == 1) {
		pki_err_set(err, PKI_E_PARSE,
			"%s: the signature algorithm differs from the one in the signed part "
			"(RFC 5280 4.1.1.2)",
			what);
		goto out;
	}
	d.data = c->der;
	d.size = (unsigned)len;
	if (r != 0 || gnutls_x509_crt_import(c->crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		kind = pki_der_kind(der, len);
		if (kind != NULL && strcmp(kind, "a certificate") != 0)
			pki_err_set(err, PKI_E_INVALID, "%s: is %s, not a certificate", what,
				kind);
		else
			pki_err_set(err, PKI_E_PARSE, "%s: malformed certificate (RFC 5280 4.1)",
				what);
		goto out;
	}
	sz = sizeof(cn) - 1;
	r = gnutls_x509_crt_get_dn_by_oid(c->crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &sz);
	if (r == 0 && sz < sizeof(cn)) {
		cn[sz] = '\0';
		if (pki_text_is_clean(cn, sz, 0) && sz > 0)
			pki_text_sanitize(cn, c->label, sizeof(c->label));
	}
	if (c->label[0] == '\0')
		pki_text_sanitize(name, c->label, sizeof(c->label));
	*out = c;
	c = NULL; /* transferred */
	ret = 0;
out:
	pki_cert_free(c);
	return ret;
}

/* The "is a ..., not a certificate" message for input without a cert. */
static int
no_cert(const char *what, const char *kind, struct pki_err *err)
{
	if (kind != NULL)
		return pki_err_set(err, PKI_E_INVALID, "%s: is %s, not a certificate", what,
			kind);
	return pki_err_set(err, PKI_E_PARSE, "%s: not a PEM or DER certificate", what);
}

/* Parses up to max certificates into a new array; with first_only, stops
 * after the first. */
static int
cert_list_parse(const unsigned char *data, size_t len, const char *name, size_t max,
	int first_only, struct pki_cert ***out, size_t *n, struct pki_err *err)
{
	char clean[256], what[300], bwhat[340];
	struct pki_cert **list = NULL, *c = NULL;
	struct pki_buf der = { 0 };
	struct pki_pem blk;
	const char *kind = NULL;
	size_t pos = 0, cnt = 0, cap = 0;
	int ret = -1, r;

	*out = NULL;
	*n = 0;
	pki_text_sanitize(name, clean, sizeof(clean));
	(void)snprintf(what, sizeof(what), "certificate '%s'", clean);
	if (max == 0)
		return pki_err_set(err, PKI_E_USAGE, "%s: no certificate allowed", what);
	if (len == 0)
		return pki_err_set(err, PKI_E_PARSE, "%s: empty", what);
	if (len > PKI_CAP_CERT)
		return pki_err_set(err, PKI_E_LIMIT, "%s: larger than %u bytes", what,
			PKI_CAP_CERT);
	if (data[0] == 0x30) {
		list = pki_calloc(1, sizeof(*list), err);
		if (list == NULL || cert_from_der(data, len, what, clean, &list[0], err) != 0)
			goto out;
		cnt = 1;
		goto done;
	}
	while ((r = pki_pem_next(data, len, &pos, &blk, what, err)) == 1) {
		if (strcmp(blk.label, "CERTIFICATE") != 0) {
			if (kind == NULL)
				kind = pki_pem_label_kind(blk.label);
			continue;
		}
		if (cnt == max) {
			pki_err_set(err, PKI_E_LIMIT, "%s: more than %zu certificate%s", what,
				max, max == 1 ? "" : "s");
			goto out;
		}
		if (cnt > 0)
			(void)snprintf(bwhat, sizeof(bwhat), "%s: certificate %zu", what,
				cnt + 1);
		else
			(void)snprintf(bwhat, sizeof(bwhat), "%s", what);
		if (blk.has_headers) {
			pki_err_set(err, PKI_E_PARSE, "%s: unexpected headers in the PEM block",
				bwhat);
			goto out;
		}
		if (pki_pem_decode(&blk, bwhat, &der, err) != 0 ||
		    cert_from_der(der.data, der.len, bwhat, clean, &c, err) != 0)
			goto out;
		pki_buf_free(&der);
		if (pki_grow((void **)&list, &cap, cnt + 1, sizeof(*list), err) != 0)
			goto out;
		list[cnt++] = c;
		c = NULL;
		if (first_only)
			break;
	}
	if (r < 0)
		goto out;
	if (cnt == 0) {
		no_cert(what, kind, err);
		goto out;
	}
done:
	*out = list;
	*n = cnt;
	list = NULL; /* transferred */
	ret = 0;
out:
	pki_buf_free(&der);
	pki_cert_free(c);
	pki_cert_list_free(list, cnt);
	return ret;
}

int
pki_cert_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_cert **out, struct pki_err *err)
{
	struct pki_cert **list = NULL;
	size_t n = 0;

	*out = NULL;
	if (cert_list_parse(data, len, name, 1, 1, &list, &n, err) != 0)
		return -1;
	*out = list[0];
	free(list);
	return 0;
}

int
pki_cert_list_parse(const unsigned char *data, size_t len, const char *name, size_t max,
	struct pki_cert ***out, size_t *n, struct pki_err *err)
{
	return cert_list_parse(data, len, name, max, 0, out, n, err);
}

int
pki_cert_load(const char *path, struct pki_cert **out, struct pki_err *err)
{
	struct pki_buf buf = { 0 };
	int ret;

	*out = NULL;
	if (pki_file_read(path, "certificate", PKI_CAP_CERT, PKI_READ_STDIN, &buf, err) != 0)
		return -1;
	ret = pki_cert_parse(buf.data, buf.len, strcmp(path, "-") == 0 ? "<stdin>" : path,
		out, err);
	pki_buf_free(&buf);
	return ret;
}

time_t
pki_cert_not_after(const struct pki_cert *cert)
{
	return gnutls_x509_crt_get_expiration_time(cert->crt);
}

time_t
pki_cert_not_before(const struct pki_cert *cert)
{
	return gnutls_x509_crt_get_activation_time(cert->crt);
}

int
pki_cert_is_ca(const struct pki_cert *cert)
{
	unsigned crit = 0, ca = 0;
	int pathlen = -1;

	return gnutls_x509_crt_get_basic_constraints(cert->crt, &crit, &ca, &pathlen) > 0 &&
		ca != 0;
}

/*
 * The public key of a certificate or CSR: `pub` holds it when GnuTLS could
 * import it (NULL otherwise), `spki` is its DER SubjectPublicKeyInfo.
 */
void
pki_spki_facts(gnutls_pubkey_t pub, const unsigned char *spki, size_t len,
	struct pki_keyinfo *info)
{
	if (pub != NULL)
		pki_pubkey_keyinfo(pub, info);
	else
		pki_spki_keyinfo(spki, len, info);
}

int
pki_spki_public_id(gnutls_pubkey_t pub, const unsigned char *spki, size_t len,
	const char *what, unsigned char out[32], struct pki_err *err)
{
	/* GnuTLS's encoding, as for keys; the raw bytes when it cannot read them */
	if (pub != NULL) {
		if (pki_pubkey_id(pub, out, err) != 0)
			return pki_err_prefix(err, "%s", what);
		return 0;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, spki, len, out) < 0)
		return pki_err_set(err, PKI_E_CRYPTO, "%s: cannot hash the public key", what);
	return 0;
}

/* The certificate's key in GnuTLS's hands, or NULL when it cannot take it. */
static gnutls_pubkey_t
cert_pubkey(const struct pki_cert *cert)
{
	gnutls_pubkey_t pub = NULL;

	if (gnutls_pubkey_init(&pub) < 0)
		return NULL;
	if (gnutls_pubkey_import_x509(pub, cert->crt, 0) != 0) {
		gnutls_pubkey_deinit(pub);
		return NULL;
	}
	return pub;
}

void
pki_cert_keyinfo(const struct pki_cert *cert, struct pki_keyinfo *info)
{
	gnutls_pubkey_t pub = cert_pubkey(cert);

	pki_spki_facts(pub, cert->der + cert->spki_off, cert->spki_len, info);
	gnutls_pubkey_deinit(pub);
}

int
pki_cert_public_id(const struct pki_cert *cert, unsigned char out[32], struct pki_err *err)
{
	gnutls_pubkey_t pub = cert_pubkey(cert);
	int r = pki_spki_public_id(pub, cert->der + cert->spki_off, cert->spki_len, cert->what,
		out, err);

	gnutls_pubkey_deinit(pub);
	return r;
}

/* ---- facts common to certificates and CSRs -------------------------------- */

/* One of crt and crq is set. */
struct x509_src {
	gnutls_x509_crt_t crt;
	gnutls_x509_crq_t crq;
	const char *what;
};

static int
src_dn(const struct x509_src *s, char **out, struct pki_err *err)
{
	gnutls_datum_t dn = { NULL, 0 };
	int r;

	r = s->crt ? gnutls_x509_crt_get_dn3(s->crt, &dn, 0) :
		     gnutls_x509_crq_get_dn3(s->crq, &dn, 0);
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		*out = pki_strdup("", err);
		return *out ? 0 : -1;
	}
	if (r < 0)
		return pki_err_set(err, PKI_E_PARSE, "%s: malformed subject name", s->what);
	*out = pki_strdup_clean((const char *)dn.data, dn.size, err);
	gnutls_free(dn.data);
	return *out ? 0 : -1;
}

/* Values of one subject attribute, in order, at most max of them. */
static int
src_attr(const struct x509_src *s, const char *oid, const char *aname, size_t max,
	char *tmp, struct pki_names *out, struct pki_err *err)
{
	unsigned idx;
	size_t sz;
	char *v;
	int r;

	for (idx = 0;; idx++) {
		sz = X509_MAX_VALUE;
		r = s->crt ? gnutls_x509_crt_get_dn_by_oid(s->crt, oid, idx, 0, tmp, &sz) :
			     gnutls_x509_crq_get_dn_by_oid(s->crq, oid, idx, 0, tmp, &sz);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return 0;
		if (r == GNUTLS_E_SHORT_MEMORY_BUFFER)
			return pki_err_set(err, PKI_E_LIMIT, "%s: subject %s longer than %u bytes",
				s->what, aname, X509_MAX_VALUE);
		if (r < 0)
			return pki_err_set(err, PKI_E_PARSE, "%s: malformed subject %s", s->what,
				aname);
		if (out->n >= max)
			return pki_err_set(err, PKI_E_LIMIT, "%s: more than %zu subject %s values",
				s->what, max, aname);
		v = pki_strdup_clean(tmp, sz, err);
		if (v == NULL)
			return -1;
		r = pki_names_add(out, v, err);
		free(v);
		if (r != 0)
			return -1;
	}
}

static int
src_sans(const struct x509_src *s, char *tmp, struct pki_x509info *info, struct pki_err *err)
{
	char ip[INET6_ADDRSTRLEN], oid[128], *v = NULL, *line = NULL;
	unsigned seq, type, crit;
	size_t sz, osz, total = 0;
	int r, ret = -1;

	for (seq = 0;; seq++) {
		struct pki_names *dst = &info->other_san;
		const char *prefix = NULL;

		sz = X509_MAX_VALUE;
		type = 0;
		r = s->crt ? gnutls_x509_crt_get_subject_alt_name2(s->crt, seq, tmp, &sz, &type,
				     &crit) :
			     gnutls_x509_crq_get_subject_alt_name(s->crq, seq, tmp, &sz, &type,
				     &crit);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (++total > X509_MAX_NAMES) {
			pki_err_set(err, PKI_E_LIMIT, "%s: more than %u subject alternative names",
				s->what, X509_MAX_NAMES);
			goto out;
		}
		if (r == GNUTLS_E_X509_UNKNOWN_SAN) {
			if (pki_names_add(dst, "other", err) != 0)
				goto out;
			continue;
		}
		if (r == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			pki_err_set(err, PKI_E_LIMIT,
				"%s: subject alternative name longer than %u bytes", s->what,
				X509_MAX_VALUE);
			goto out;
		}
		if (r < 0) {
			pki_err_set(err, PKI_E_PARSE,
				"%s: malformed subjectAltName extension (RFC 5280 4.2.1.6)",
				s->what);
			goto out;
		}
		switch ((int)type) {
		case GNUTLS_SAN_DNSNAME:
			dst = &info->dns;
			break;
		case GNUTLS_SAN_IPADDRESS:
			if (sz != 4 && sz != 16) {
				pki_err_set(err, PKI_E_PARSE,
					"%s: IP address SAN of %zu bytes (RFC 5280 4.2.1.6 "
					"wants 4 or 16)",
					s->what, sz);
				goto out;
			}
			if (inet_ntop(sz == 4 ? AF_INET : AF_INET6, tmp, ip, sizeof(ip)) == NULL) {
				pki_err_set(err, PKI_E_PARSE, "%s: malformed IP address SAN",
					s->what);
				goto out;
			}
			if (pki_names_add(&info->ip, ip, err) != 0)
				goto out;
			continue;
		case GNUTLS_SAN_RFC822NAME:
			prefix = "email:";
			break;
		case GNUTLS_SAN_URI:
			prefix = "uri:";
			break;
		case GNUTLS_SAN_REGISTERED_ID:
			prefix = "registeredid:";
			break;
		case GNUTLS_SAN_DN:
			if (pki_names_add(dst, "dirname", err) != 0)
				goto out;
			continue;
		case GNUTLS_SAN_OTHERNAME:
			osz = sizeof(oid) - 1;
			r = s->crt ? gnutls_x509_crt_get_subject_alt_othername_oid(s->crt, seq,
					     oid, &osz) :
				     gnutls_x509_crq_get_subject_alt_othername_oid(s->crq, seq,
					     oid, &osz);
			if (r >= 0 && osz < sizeof(oid) && pki_text_is_clean(oid, osz, 0)) {
				char on[sizeof(oid) + 16];

				oid[osz] = '\0';
				(void)snprintf(on, sizeof(on), "othername:%s", oid);
				if (pki_names_add(dst, on, err) != 0)
					goto out;
			} else if (pki_names_add(dst, "othername", err) != 0) {
				goto out;
			}
			continue;
		default:
			if (pki_names_add(dst, "other", err) != 0)
				goto out;
			continue;
		}
		v = pki_strdup_clean(tmp, sz, err);
		if (v == NULL)
			goto out;
		if (prefix != NULL) {
			size_t pl = strlen(prefix), vl = strlen(v);

			line = malloc(pl + vl + 1);
			if (line == NULL) {
				pki_err_nomem(err);
				goto out;
			}
			memcpy(line, prefix, pl);
			memcpy(line + pl, v, vl + 1);
			free(v);
			v = line;
			line = NULL;
		}
		if (pki_names_add(dst, v, err) != 0)
			goto out;
		free(v);
		v = NULL;
	}
	ret = 0;
out:
	free(v);
	free(line);
	return ret;
}

/* GnuTLS has no getter for a CSR's requested subjectKeyIdentifier. */
static int
crq_ski(gnutls_x509_crq_t crq, unsigned char *kid, size_t *sz)
{
	gnutls_datum_t ext = { NULL, 0 }, id = { NULL, 0 };
	unsigned crit = 0;
	int r;

	r = gnutls_x509_crq_get_extension_by_oid2(crq, GNUTLS_X509EXT_OID_SUBJECT_KEY_ID, 0,
		&ext, &crit);
	if (r < 0)
		return r;
	r = gnutls_x509_ext_import_subject_key_id(&ext, &id);
	if (r >= 0) {
		if (id.size > *sz) {
			r = GNUTLS_E_SHORT_MEMORY_BUFFER;
		} else {
			memcpy(kid, id.data, id.size);
			*sz = id.size;
		}
	}
	gnutls_free(ext.data);
	gnutls_free(id.data);
	return r;
}

static int
src_exts(const struct x509_src *s, char *tmp, struct pki_x509info *info,
	struct pki_err *err)
{
	unsigned idx, crit, u = 0, ca = 0;
	unsigned char kid[X509_MAX_KEYID];
	size_t sz;
	int r, pathlen = -1;

	/* every extension, in order, each once (RFC 5280 4.2) */
	for (idx = 0;; idx++) {
		sz = X509_MAX_VALUE;
		r = s->crt ? gnutls_x509_crt_get_extension_info(s->crt, idx, tmp, &sz, &crit) :
			     gnutls_x509_crq_get_extension_info(s->crq, idx, tmp, &sz, &crit);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0 || sz == 0 || !pki_text_is_clean(tmp, strnlen(tmp, sz), 0))
			return pki_err_set(err, PKI_E_PARSE, "%s: malformed extensions", s->what);
		if (idx >= X509_MAX_EXTS)
			return pki_err_set(err, PKI_E_LIMIT, "%s: more than %u extensions", s->what,
				X509_MAX_EXTS);
		tmp[strnlen(tmp, sz)] = '\0';
		if (pki_names_contains(&info->ext_oids, tmp))
			return pki_err_set(err, PKI_E_PARSE,
				"%s: extension %s appears twice (RFC 5280 4.2)", s->what, tmp);
		if (pki_names_add(&info->ext_oids, tmp, err) != 0)
			return -1;
	}

	r = s->crt ? gnutls_x509_crt_get_key_usage(s->crt, &u, &crit) :
		     gnutls_x509_crq_get_key_usage(s->crq, &u, &crit);
	if (r >= 0) {
		info->has_ku = 1;
		info->ku_critical = crit != 0;
		info->ku = ku_from_gnutls(u);
	} else if (r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		return pki_err_set(err, PKI_E_PARSE,
			"%s: malformed keyUsage extension (RFC 5280 4.2.1.3)", s->what);
	}

	for (idx = 0;; idx++) {
		sz = X509_MAX_VALUE;
		r = s->crt ? gnutls_x509_crt_get_key_purpose_oid(s->crt, idx, tmp, &sz, &crit) :
			     gnutls_x509_crq_get_key_purpose_oid(s->crq, idx, tmp, &sz, &crit);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0 || !pki_text_is_clean(tmp, strnlen(tmp, sz), 0))
			return pki_err_set(err, PKI_E_PARSE,
				"%s: malformed extKeyUsage extension (RFC 5280 4.2.1.12)",
				s->what);
		if (idx >= X509_MAX_NAMES)
			return pki_err_set(err, PKI_E_LIMIT, "%s: more than %u extended key usages",
				s->what, X509_MAX_NAMES);
		tmp[strnlen(tmp, sz)] = '\0';
		if (pki_names_add(&info->eku, tmp, err) != 0)
			return -1;
	}

	r = s->crt ? gnutls_x509_crt_get_basic_constraints(s->crt, &crit, &ca, &pathlen) :
		     gnutls_x509_crq_get_basic_constraints(s->crq, &crit, &ca, &pathlen);
	info->pathlen = -1;
	if (r >= 0) {
		info->has_bc = 1;
		info->bc_critical = crit != 0;
		info->is_ca = ca != 0;
		info->pathlen = pathlen < 0 ? -1 : pathlen;
	} else if (r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		return pki_err_set(err, PKI_E_PARSE,
			"%s: malformed basicConstraints extension (RFC 5280 4.2.1.9)", s->what);
	}

	sz = sizeof(kid);
	if (s->crt)
		r = gnutls_x509_crt_get_subject_key_id(s->crt, kid, &sz, &crit);
	else
		r = crq_ski(s->crq, kid, &sz);
	if (r >= 0)
		pki_hex_lower(kid, sz, info->ski);
	else if (r == GNUTLS_E_SHORT_MEMORY_BUFFER)
		return pki_err_set(err, PKI_E_LIMIT,
			"%s: subject key identifier longer than %u bytes", s->what,
			X509_MAX_KEYID);
	else if (r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return pki_err_set(err, PKI_E_PARSE,
			"%s: malformed subjectKeyIdentifier extension (RFC 5280 4.2.1.2)",
			s->what);

	if (s->crt != NULL) {
		sz = sizeof(kid);
		r = gnutls_x509_crt_get_authority_key_id(s->crt, kid, &sz, &crit);
		if (r >= 0)
			pki_hex_lower(kid, sz, info->aki);
		else if (r == GNUTLS_E_SHORT_MEMORY_BUFFER)
			return pki_err_set(err, PKI_E_LIMIT,
				"%s: authority key identifier longer than %u bytes", s->what,
				X509_MAX_KEYID);
		/* absent, or naming the issuer by name and serial only */
		else if (r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE &&
			 r != GNUTLS_E_X509_UNSUPPORTED_EXTENSION)
			return pki_err_set(err, PKI_E_PARSE,
				"%s: malformed authorityKeyIdentifier extension "
				"(RFC 5280 4.2.1.1)",
				s->what);
	}
	return 0;
}

static void
src_sig_algo(const struct x509_src *s, char *out, size_t cap)
{
	char oid[128];
	size_t sz = sizeof(oid) - 1;
	int alg, r;
	const char *nm;

	alg = s->crt ? gnutls_x509_crt_get_signature_algorithm(s->crt) :
		       gnutls_x509_crq_get_signature_algorithm(s->crq);
	nm = alg > 0 ? gnutls_sign_get_name((gnutls_sign_algorithm_t)alg) : NULL;
	if (nm != NULL) {
		(void)snprintf(out, cap, "%s", nm);
		return;
	}
	r = s->crt ? gnutls_x509_crt_get_signature_oid(s->crt, oid, &sz) :
		     gnutls_x509_crq_get_signature_oid(s->crq, oid, &sz);
	if (r >= 0 && sz < sizeof(oid) && pki_text_is_clean(oid, strnlen(oid, sz), 0)) {
		oid[strnlen(oid, sz)] = '\0';
		/* a cut OID would name another algorithm */
		if (snprintf(out, cap, "%s", oid) < (int)cap)
			return;
	}
	(void)snprintf(out, cap, "unknown");
}

/* Counts subject attributes other than CN and O. */
static void
src_count_other_attrs(const struct x509_src *s, struct pki_x509info *info)
{
	unsigned idx;

	for (idx = 0; idx < X509_MAX_NAMES; idx++) {
		char oid[128];
		size_t sz = sizeof(oid);
		int r = s->crt ? gnutls_x509_crt_get_dn_oid(s->crt, idx, oid, &sz) :
				 gnutls_x509_crq_get_dn_oid(s->crq, idx, oid, &sz);

		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0 || (strcmp(oid, GNUTLS_OID_X520_COMMON_NAME) != 0 &&
				     strcmp(oid, GNUTLS_OID_X520_ORGANIZATION_NAME) != 0))
			info->other_attrs++;
	}
}

int
pki_x509info_common(gnutls_x509_crt_t crt, gnutls_x509_crq_t crq, const char *what,
	struct pki_x509info *info, struct pki_err *err)
{
	struct x509_src s = { crt, crq, what };
	struct pki_names cns = { 0, NULL };
	char *tmp = NULL;
	int ret = -1;

	tmp = malloc(X509_MAX_VALUE + 1);
	if (tmp == NULL) {
		pki_err_nomem(err);
		goto out;
	}
	if (src_dn(&s, &info->subject, err) != 0 ||
	    src_attr(&s, GNUTLS_OID_X520_COMMON_NAME, "CN", X509_MAX_NAMES, tmp, &cns, err) != 0 ||
	    src_attr(&s, GNUTLS_OID_X520_ORGANIZATION_NAME, "O", X509_MAX_NAMES, tmp, &info->org,
		    err) != 0 ||
	    src_sans(&s, tmp, info, err) != 0 || src_exts(&s, tmp, info, err) != 0)
		goto out;
	/* kubeadm writes one CN; Go reads the last of several, others the first:
	 * a count lets checks refuse the ambiguity instead of guessing */
	info->cn_count = cns.n;
	src_count_other_attrs(&s, info);
	if (cns.n > 0) {
		info->cn = cns.v[0];
		cns.v[0] = NULL; /* transferred */
	}
	src_sig_algo(&s, info->sig_algo, sizeof(info->sig_algo));
	ret = 0;
out:
	pki_names_free(&cns);
	free(tmp);
	return ret;
}

void
pki_x509info_free(struct pki_x509info *info)
{
	if (info == NULL)
		return;
	free(info->subject);
	free(info->issuer);
	free(info->cn);
	pki_names_free(&info->org);
	pki_names_free(&info->dns);
	pki_names_free(&info->ip);
	pki_names_free(&info->other_san);
	pki_names_free(&info->eku);
	pki_names_free(&info->ext_oids);
	memset(info, 0, sizeof(*info));
}

/* Verifies cert's signature with issuer's public key. */
static int
cert_sig_verify(const struct pki_cert *cert, const struct pki_cert *issuer,
	const char *label, struct pki_err *err)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t tbs, sig;
	const char *an;
	int alg, r, ret = -1;

	alg = gnutls_x509_crt_get_signature_algorithm(cert->crt);
	an = alg > 0 ? gnutls_sign_get_name((gnutls_sign_algorithm_t)alg) : NULL;
	if (an == NULL) {
		pki_err_set(err, PKI_E_INVALID,
			"%s is not signed by '%s': unsupported signature algorithm",
			cert->what, label);
		goto out;
	}
	if (gnutls_pubkey_init(&pub) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	if (gnutls_pubkey_import_x509(pub, issuer->crt, 0) < 0) {
		pki_err_set(err, PKI_E_INVALID,
			"%s is not signed by '%s': the issuer's public key is not usable",
			cert->what, label);
		goto out;
	}
	tbs.data = cert->der + cert->tbs_off;
	tbs.size = (unsigned)cert->tbs_len;
	sig.data = cert->der + cert->sig_off;
	sig.size = (unsigned)cert->sig_len;
	r = gnutls_pubkey_verify_data2(pub, (gnutls_sign_algorithm_t)alg, 0, &tbs, &sig);
	if (r == GNUTLS_E_INSUFFICIENT_SECURITY || r == GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM ||
	    r == GNUTLS_E_CONSTRAINT_ERROR) {
		pki_err_set(err, PKI_E_INVALID,
			"%s is not signed by '%s': signature algorithm %s is not accepted "
			"with this key",
			cert->what, label, an);
		goto out;
	}
	if (r < 0) {
		pki_err_set(err, PKI_E_INVALID,
			"%s is not signed by '%s': the signature does not verify", cert->what,
			label);
		goto out;
	}
	ret = 0;
out:
	gnutls_pubkey_deinit(pub);
	return ret;
}

int
pki_cert_info(const struct pki_cert *cert, struct pki_x509info *info, struct pki_err *err)
{
	gnutls_datum_t dn = { NULL, 0 };
	unsigned char serial[X509_MAX_SERIAL + 1];
	struct pki_err ignored;
	size_t sz;
	int ret = -1;

	memset(info, 0, sizeof(*info));
	info->pathlen = -1;
	if (pki_x509info_common(cert->crt, NULL, cert->what, info, err) != 0)
		goto out;
	if (gnutls_x509_crt_get_issuer_dn3(cert->crt, &dn, 0) == 0) {
		info->issuer = pki_strdup_clean((const char *)dn.data, dn.size, err);
		gnutls_free(dn.data);
	} else {
		info->issuer = pki_strdup("", err);
	}
	if (info->issuer == NULL)
		goto out;
	sz = sizeof(serial);
	if (gnutls_x509_crt_get_serial(cert->crt, serial, &sz) < 0 || sz > X509_MAX_SERIAL) {
		pki_err_set(err, PKI_E_PARSE,
			"%s: serial number malformed or longer than 20 octets (RFC 5280 4.1.2.2)",
			cert->what);
		goto out;
	}
	/* the DER's sign octet is not part of the number (openssl, kubectl and
	 * browsers print 00c3... as c3...) */
	if (sz > 0 && (serial[0] & 0x80)) {
		/* a negative serial (RFC 5280 forbids it, some CAs made them):
		 * shown as openssl shows it, a minus sign and the magnitude */
		unsigned carry = 1;
		size_t i;

		for (i = sz; i-- > 0;) {
			unsigned v = (unsigned)(unsigned char)~serial[i] + carry;

			serial[i] = (unsigned char)v;
			carry = v >> 8;
		}
		info->serial[0] = '-';
		pki_hex_lower(serial, sz, info->serial + 1);
	} else {
		size_t skip = sz > 1 && serial[0] == 0 && (serial[1] & 0x80) ? 1 : 0;

		pki_hex_lower(serial + skip, sz - skip, info->serial);
	}
	info->not_before = gnutls_x509_crt_get_activation_time(cert->crt);
	info->not_after = gnutls_x509_crt_get_expiration_time(cert->crt);
	if (info->not_before == (time_t)-1 || info->not_after == (time_t)-1) {
		pki_err_set(err, PKI_E_PARSE, "%s: malformed validity (RFC 5280 4.1.2.5)",
			cert->what);
		goto out;
	}
	pki_cert_keyinfo(cert, &info->key);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, cert->der, cert->der_len, info->sha256) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot hash", cert->what);
		goto out;
	}
	pki_err_clear(&ignored);
	info->self_signature_ok = gnutls_x509_crt_check_issuer(cert->crt, cert->crt) &&
		cert_sig_verify(cert, cert, cert->label, &ignored) == 0;
	ret = 0;
out:
	if (ret != 0)
		pki_x509info_free(info);
	return ret;
}

int
pki_cert_verify_signed_by(const struct pki_cert *cert, const struct pki_cert *issuer,
	struct pki_err *err)
{
	gnutls_datum_t a = { NULL, 0 }, b = { NULL, 0 };
	unsigned crit = 0, ca = 0, ku = 0;
	int pathlen = -1, r, ret = -1;
	char *an = NULL, *bn = NULL;

	if (!gnutls_x509_crt_check_issuer(cert->crt, issuer->crt)) {
		if (gnutls_x509_crt_get_issuer_dn3(cert->crt, &a, 0) == 0)
			an = pki_strdup_clean((const char *)a.data, a.size, NULL);
		if (gnutls_x509_crt_get_dn3(issuer->crt, &b, 0) == 0)
			bn = pki_strdup_clean((const char *)b.data, b.size, NULL);
		if (an != NULL && bn != NULL && strcmp(an, bn) == 0)
			/* GnuTLS also compares key identifiers: same name, other CA */
			pki_err_set(err, PKI_E_INVALID,
				"%s is not signed by '%s': its authority key identifier names "
				"another CA of the same name '%s'",
				cert->what, issuer->label, an);
		else
			pki_err_set(err, PKI_E_INVALID,
				"%s is not signed by '%s': its issuer '%s' is not the CA's subject "
				"'%s'",
				cert->what, issuer->label, an ? an : "?", bn ? bn : "?");
		goto out;
	}
	/* a v1 CA has no extensions; a v3 one must say it is a CA */
	if (gnutls_x509_crt_get_version(issuer->crt) >= 3) {
		r = gnutls_x509_crt_get_basic_constraints(issuer->crt, &crit, &ca, &pathlen);
		if (r < 0 || ca == 0) {
			pki_err_set(err, PKI_E_INVALID,
				"%s is not signed by '%s': '%s' is not a CA (basicConstraints "
				"cA is not true, RFC 5280 4.2.1.9)",
				cert->what, issuer->label, issuer->label);
			goto out;
		}
		r = gnutls_x509_crt_get_key_usage(issuer->crt, &ku, &crit);
		if (r >= 0 && !(ku & GNUTLS_KEY_KEY_CERT_SIGN)) {
			pki_err_set(err, PKI_E_INVALID,
				"%s is not signed by '%s': the key usage of '%s' does not allow "
				"signing certificates (RFC 5280 4.2.1.3)",
				cert->what, issuer->label, issuer->label);
			goto out;
		}
	}
	if (cert_sig_verify(cert, issuer, issuer->label, err) != 0)
		goto out;
	ret = 0;
out:
	gnutls_free(a.data);
	gnutls_free(b.data);
	free(an);
	free(bn);
	return ret;
}

int
pki_cert_matches_key(const struct pki_cert *cert, const struct pki_key *key,
	struct pki_err *err)
{
	unsigned char a[32], b[32];

	if (pki_cert_public_id(cert, a, err) != 0 || pki_key_public_id(key, b, err) != 0)
		return -1;
	return memcmp(a, b, sizeof(a)) == 0;
}

int
pki_cert_export_pem(const struct pki_cert *cert, struct pki_buf *out, struct pki_err *err)
{
	struct pki_buf b64 = { 0 };
	size_t i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (pki_base64_encode(cert->der, cert->der_len, &b64, err) != 0)
		goto out;
	if (pki_buf_append(out, "-----BEGIN CERTIFICATE-----\n", 28, err) != 0)
		goto out;
	/* 64 characters a line (RFC 7468 section 2) */
	for (i = 0; i < b64.len; i += 64) {
		size_t n = b64.len - i < 64 ? b64.len - i : 64;

		if (pki_buf_append(out, b64.data + i, n, err) != 0 ||
		    pki_buf_append(out, "\n", 1, err) != 0)
			goto out;
	}
	if (pki_buf_append(out, "-----END CERTIFICATE-----\n", 26, err) != 0)
		goto out;
	ret = 0;
out:
	pki_buf_free(&b64);
	if (ret != 0)
		pki_buf_free(out);
	return ret;
}
