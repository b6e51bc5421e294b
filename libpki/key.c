/* key.c — private keys: generate, parse, export, save. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include <pki/key.h>

#include "internal.h"

/* A hostile RSA key could be made slow to check; kubeadm tops out at 4096. */
#define KEY_MAX_RSA_BITS 8192u

struct pki_key {
	gnutls_x509_privkey_t x;
	struct pki_keyinfo info;
	unsigned char id[32]; /* SHA-256 of the SubjectPublicKeyInfo */
};

static const struct {
	enum pki_key_type type;
	const char *name;	/* ours */
	const char *kubeadm;	/* encryptionAlgorithm */
	gnutls_pk_algorithm_t pk;
	unsigned bits;
} key_types[] = {
	{ PKI_KEY_RSA2048, "rsa2048", "RSA-2048", GNUTLS_PK_RSA, 2048 },
	{ PKI_KEY_RSA3072, "rsa3072", "RSA-3072", GNUTLS_PK_RSA, 3072 },
	{ PKI_KEY_RSA4096, "rsa4096", "RSA-4096", GNUTLS_PK_RSA, 4096 },
	{ PKI_KEY_ECDSA_P256, "ecdsa-p256", "ECDSA-P256", GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1) },
	{ PKI_KEY_ECDSA_P384, "ecdsa-p384", "ECDSA-P384", GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1) },
	{ PKI_KEY_ED25519, "ed25519", NULL, GNUTLS_PK_EDDSA_ED25519,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519) },
};

int
pki_key_type_parse(const char *s, enum pki_key_type *out, struct pki_err *err)
{
	char clean[64];
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(key_types); i++) {
		if (strcmp(s, key_types[i].name) == 0 ||
		    (key_types[i].kubeadm != NULL && strcmp(s, key_types[i].kubeadm) == 0)) {
			*out = key_types[i].type;
			return 0;
		}
	}
	pki_text_sanitize(s, clean, sizeof(clean));
	return pki_err_set(err, PKI_E_INVALID,
		"key type '%s': unknown (expected rsa2048, rsa3072, rsa4096, ecdsa-p256, "
		"ecdsa-p384 or ed25519)",
		clean);
}

const char *
pki_key_type_name(enum pki_key_type type)
{
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(key_types); i++)
		if (key_types[i].type == type)
			return key_types[i].name;
	return "unknown";
}

static void
copy_str(char *dst, size_t cap, const char *src)
{
	(void)snprintf(dst, cap, "%s", src);
}

static const char *
curve_name(gnutls_ecc_curve_t curve)
{
	switch (curve) {
	case GNUTLS_ECC_CURVE_SECP192R1: return "P-192";
	case GNUTLS_ECC_CURVE_SECP224R1: return "P-224";
	case GNUTLS_ECC_CURVE_SECP256R1: return "P-256";
	case GNUTLS_ECC_CURVE_SECP384R1: return "P-384";
	case GNUTLS_ECC_CURVE_SECP521R1: return "P-521";
	default: break;
	}
	return gnutls_ecc_curve_get_name(curve) ? gnutls_ecc_curve_get_name(curve) : "unknown";
}

void
pki_pubkey_keyinfo(gnutls_pubkey_t pub, struct pki_keyinfo *info)
{
	gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	unsigned bits = 0;
	int pk;

	memset(info, 0, sizeof(*info));
	pk = gnutls_pubkey_get_pk_algorithm(pub, &bits);
	switch (pk) {
	case GNUTLS_PK_RSA:
		copy_str(info->algo, sizeof(info->algo), "RSA");
		info->bits = bits;
		break;
	case GNUTLS_PK_RSA_PSS:
		copy_str(info->algo, sizeof(info->algo), "RSA-PSS");
		info->bits = bits;
		break;
	case GNUTLS_PK_DSA:
		copy_str(info->algo, sizeof(info->algo), "DSA");
		info->bits = bits;
		break;
	case GNUTLS_PK_ECDSA:
		copy_str(info->algo, sizeof(info->algo), "ECDSA");
		info->bits = bits;
		if (gnutls_pubkey_export_ecc_raw2(pub, &curve, &x, &y, 0) == 0) {
			copy_str(info->curve, sizeof(info->curve), curve_name(curve));
			info->bits = (unsigned)gnutls_ecc_curve_get_size(curve) * 8;
			if (curve == GNUTLS_ECC_CURVE_SECP521R1)
				info->bits = 521;
		} else {
			copy_str(info->curve, sizeof(info->curve), "unknown");
		}
		gnutls_free(x.data);
		gnutls_free(y.data);
		break;
	case GNUTLS_PK_EDDSA_ED25519:
		copy_str(info->algo, sizeof(info->algo), "Ed25519");
		info->bits = 256;
		break;
	case GNUTLS_PK_EDDSA_ED448:
		copy_str(info->algo, sizeof(info->algo), "Ed448");
		info->bits = 456;
		break;
	default:
		copy_str(info->algo, sizeof(info->algo), "unknown");
		info->bits = bits;
		break;
	}
}

int
pki_pubkey_id(gnutls_pubkey_t pub, unsigned char out[32], struct pki_err *err)
{
	gnutls_datum_t der = { NULL, 0 };
	int ret = -1;

	if (gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "cannot encode the public key");
		goto out;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, out) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "cannot hash the public key");
		goto out;
	}
	ret = 0;
out:
	gnutls_free(der.data);
	return ret;
}

gnutls_x509_privkey_t
pki_key_gnutls(const struct pki_key *key)
{
	return key->x;
}

void
pki_key_free(struct pki_key *key)
{
	if (key == NULL)
		return;
	/* gnutls_x509_privkey_deinit zeroes the key's numbers */
	gnutls_x509_privkey_deinit(key->x);
	gnutls_memset(key, 0, sizeof(*key));
	free(key);
}

/* Fills key->info and key->id from the private key's public half. */
static int
key_describe(struct pki_key *key, const char *what, struct pki_err *err)
{
	gnutls_privkey_t priv = NULL;
	gnutls_pubkey_t pub = NULL;
	int ret = -1;

	if (gnutls_privkey_init(&priv) < 0 || gnutls_pubkey_init(&pub) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	/* borrowed: priv does not own key->x */
	if (gnutls_privkey_import_x509(priv, key->x, 0) < 0 ||
	    gnutls_pubkey_import_privkey(pub, priv, 0, 0) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot derive the public key", what);
		goto out;
	}
	pki_pubkey_keyinfo(pub, &key->info);
	if (pki_pubkey_id(pub, key->id, err) != 0) {
		pki_err_prefix(err, "%s", what);
		goto out;
	}
	ret = 0;
out:
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(priv);
	return ret;
}

int
pki_key_generate(enum pki_key_type type, struct pki_key **out, struct pki_err *err)
{
	struct pki_key *key = NULL;
	size_t i;
	int ret = -1, r;

	*out = NULL;
	for (i = 0; i < PKI_ARRAY_LEN(key_types); i++)
		if (key_types[i].type == type)
			break;
	if (i == PKI_ARRAY_LEN(key_types))
		return pki_err_set(err, PKI_E_USAGE, "key type %d: unknown", (int)type);
	key = pki_calloc(1, sizeof(*key), err);
	if (key == NULL)
		goto out;
	if (gnutls_x509_privkey_init(&key->x) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	r = gnutls_x509_privkey_generate2(key->x, key_types[i].pk, key_types[i].bits, 0,
		NULL, 0);
	if (r < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "key type '%s': cannot generate a key: %s",
			key_types[i].name, gnutls_strerror(r));
		goto out;
	}
	if (key_describe(key, "generated key", err) != 0)
		goto out;
	*out = key;
	key = NULL; /* transferred */
	ret = 0;
out:
	pki_key_free(key);
	return ret;
}

/* Which PEM labels hold which key formats. */
enum key_form { FORM_ANY, FORM_PKCS1, FORM_SEC1, FORM_PKCS8 };

/* The name of a curve GnuTLS cannot use whose OID appears in an EC key's
 * DER, for a message better than "malformed". */
static const char *
unsupported_curve(const unsigned char *der, size_t len)
{
	static const struct {
		const char *name;
		unsigned char oid[11];
		size_t len;
	} curves[] = {
		{ "secp256k1", { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a }, 7 },
		{ "brainpoolP256r1",
			{ 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07 },
			11 },
		{ "brainpoolP384r1",
			{ 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b },
			11 },
		{ "brainpoolP512r1",
			{ 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0d },
			11 },
	};
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(curves); i++)
		if (memmem(der, len, curves[i].oid, curves[i].len) != NULL)
			return curves[i].name;
	return NULL;
}

/* Frees a datum that may hold key material. */
static void
datum_wipe(gnutls_datum_t *d)
{
	if (d->data != NULL)
		gnutls_memset(d->data, 0, d->size);
	gnutls_free(d->data);
	d->data = NULL;
	d->size = 0;
}

/*
 * Rebuilds an EC key from its numbers. GnuTLS keeps the SEC1 structure of
 * a key read from PKCS#8 without the curve, and would export it so; a key
 * built from its numbers exports as SEC1 with the named curve, as kubeadm
 * writes it (RFC 5915 section 3).
 */
static int
key_rebuild_ec(struct pki_key *key, const char *what, struct pki_err *err)
{
	gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 }, k = { NULL, 0 };
	gnutls_ecc_curve_t curve;
	gnutls_x509_privkey_t nk = NULL;
	int ret = -1;

	if (gnutls_x509_privkey_export_ecc_raw(key->x, &curve, &x, &y, &k) < 0 ||
	    gnutls_x509_privkey_init(&nk) < 0 ||
	    gnutls_x509_privkey_import_ecc_raw(nk, curve, &x, &y, &k) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot re-encode the EC key", what);
		goto out;
	}
	gnutls_x509_privkey_deinit(key->x);
	key->x = nk;
	nk = NULL; /* transferred */
	ret = 0;
out:
	gnutls_x509_privkey_deinit(nk);
	datum_wipe(&x);
	datum_wipe(&y);
	datum_wipe(&k);
	return ret;
}

/* Imports DER of the given form into key->x. */
static int
key_import_der(struct pki_key *key, const unsigned char *der, size_t len,
	enum key_form form, const char *what, struct pki_err *err)
{
	gnutls_datum_t d = { (unsigned char *)der, (unsigned)len };
	unsigned schema = 0, cipher = 0, bits = 0;
	const char *kind, *curve;
	int r, pk;

	if (len > PKI_CAP_KEY)
		return pki_err_set(err, PKI_E_LIMIT, "%s: larger than %u bytes", what,
			PKI_CAP_KEY);
	if (gnutls_x509_privkey_init(&key->x) < 0)
		return pki_err_nomem(err);
	if (form == FORM_PKCS8)
		r = gnutls_x509_privkey_import_pkcs8(key->x, &d, GNUTLS_X509_FMT_DER, NULL,
			GNUTLS_PKCS_PLAIN);
	else
		r = gnutls_x509_privkey_import(key->x, &d, GNUTLS_X509_FMT_DER);
	if (r < 0) {
		if (gnutls_pkcs8_info(&d, GNUTLS_X509_FMT_DER, &schema, &cipher, NULL, NULL,
			    NULL, NULL) >= 0 && schema != GNUTLS_PKCS_PLAIN)
			return pki_err_set(err, PKI_E_INVALID,
				"%s: is an encrypted PKCS#8 key; encrypted keys are not "
				"supported (decrypt it first, e.g. openssl pkey -in KEY -out KEY.plain)",
				what);
		if (form == FORM_ANY && (kind = pki_der_kind(der, len)) != NULL)
			return pki_err_set(err, PKI_E_INVALID, "%s: is %s, not a private key",
				what, kind);
		if ((curve = unsupported_curve(der, len)) != NULL)
			return pki_err_set(err, PKI_E_INVALID,
				"%s: EC key on curve %s, which is not supported",
				what, curve);
		return pki_err_set(err, PKI_E_PARSE, "%s: malformed private key", what);
	}
	pk = gnutls_x509_privkey_get_pk_algorithm2(key->x, &bits);
	if ((form == FORM_PKCS1 && pk != GNUTLS_PK_RSA) ||
	    (form == FORM_SEC1 && pk != GNUTLS_PK_ECDSA))
		return pki_err_set(err, PKI_E_PARSE,
			"%s: the PEM label says %s but the key is %s", what,
			form == FORM_PKCS1 ? "RSA" : "EC",
			gnutls_pk_get_name((gnutls_pk_algorithm_t)pk) ?
				gnutls_pk_get_name((gnutls_pk_algorithm_t)pk) :
				"of another kind");
	if ((pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS) && bits > KEY_MAX_RSA_BITS)
		return pki_err_set(err, PKI_E_LIMIT,
			"%s: RSA key of %u bits; at most %u are supported", what, bits,
			KEY_MAX_RSA_BITS);
	if (pk == GNUTLS_PK_ECDSA && key_rebuild_ec(key, what, err) != 0)
		return -1;
	r = gnutls_x509_privkey_verify_params(key->x);
	if (r < 0)
		return pki_err_set(err, PKI_E_INVALID,
			"%s: inconsistent key parameters (the private and public parts do "
			"not belong together)",
			what);
	return key_describe(key, what, err);
}

int
pki_key_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_key **out, struct pki_err *err)
{
	char clean[256], what[300];
	struct pki_key *key = NULL;
	struct pki_buf der = { 0 };
	struct pki_pem blk;
	const char *kind = NULL;
	enum key_form form = FORM_ANY;
	size_t pos = 0;
	int ret = -1, found = 0, r;

	*out = NULL;
	pki_text_sanitize(name, clean, sizeof(clean));
	(void)snprintf(what, sizeof(what), "key '%s'", clean);
	if (len == 0)
		return pki_err_set(err, PKI_E_PARSE, "%s: empty", what);
	if (len > PKI_CAP_KEY)
		return pki_err_set(err, PKI_E_LIMIT, "%s: larger than %u bytes", what,
			PKI_CAP_KEY);
	key = pki_calloc(1, sizeof(*key), err);
	if (key == NULL)
		goto out;
	if (data[0] == 0x30) {
		if (key_import_der(key, data, len, FORM_ANY, what, err) != 0)
			goto out;
		goto done;
	}
	/* the first key block wins; a certificate before it (a combined
	 * file) is passed over */
	while ((r = pki_pem_next(data, len, &pos, &blk, what, err)) == 1) {
		if (strcmp(blk.label, "RSA PRIVATE KEY") == 0)
			form = FORM_PKCS1;
		else if (strcmp(blk.label, "EC PRIVATE KEY") == 0)
			form = FORM_SEC1;
		else if (strcmp(blk.label, "PRIVATE KEY") == 0)
			form = FORM_PKCS8;
		else if (strcmp(blk.label, "ENCRYPTED PRIVATE KEY") == 0) {
			pki_err_set(err, PKI_E_INVALID,
				"%s: is an encrypted PKCS#8 key; encrypted keys are not "
				"supported (decrypt it first, e.g. openssl pkey -in KEY -out KEY.plain)",
				what);
			goto out;
		} else if (strstr(blk.label, "PRIVATE KEY") != NULL) {
			pki_err_set(err, PKI_E_INVALID,
				"%s: '%s' PEM blocks are not supported (RSA PRIVATE KEY, "
				"EC PRIVATE KEY and PRIVATE KEY are)",
				what, blk.label);
			goto out;
		} else {
			if (kind == NULL)
				kind = pki_pem_label_kind(blk.label);
			continue;
		}
		found = 1;
		break;
	}
	if (r < 0)
		goto out;
	if (!found) {
		if (kind != NULL)
			pki_err_set(err, PKI_E_INVALID, "%s: is %s, not a private key", what,
				kind);
		else
			pki_err_set(err, PKI_E_PARSE, "%s: not a PEM or DER private key", what);
		goto out;
	}
	if (blk.has_headers) {
		/* RFC 1421 "Proc-Type: 4,ENCRYPTED" of OpenSSL's legacy format */
		pki_err_set(err, PKI_E_INVALID,
			"%s: is an encrypted key; encrypted keys are not supported "
			"(decrypt it first, e.g. openssl pkey -in KEY -out KEY.plain)",
			what);
		goto out;
	}
	if (pki_pem_decode(&blk, what, &der, err) != 0)
		goto out;
	if (der.len == 0) {
		pki_err_set(err, PKI_E_PARSE, "%s: empty %s block", what, blk.label);
		goto out;
	}
	if (key_import_der(key, der.data, der.len, form, what, err) != 0)
		goto out;
done:
	*out = key;
	key = NULL; /* transferred */
	ret = 0;
out:
	pki_buf_free(&der);
	pki_key_free(key);
	return ret;
}

int
pki_key_load(const char *path, struct pki_key **out, struct pki_err *err)
{
	struct pki_buf buf = { 0 };
	int ret;

	*out = NULL;
	if (pki_file_read(path, "key", PKI_CAP_KEY, PKI_READ_SECRET | PKI_READ_STDIN, &buf,
		    err) != 0)
		return -1;
	ret = pki_key_parse(buf.data, buf.len, strcmp(path, "-") == 0 ? "<stdin>" : path,
		out, err);
	pki_buf_free(&buf);
	return ret;
}

void
pki_key_info(const struct pki_key *key, struct pki_keyinfo *info)
{
	*info = key->info;
}

/* Moves a GnuTLS datum into out, wiping the datum. */
static int
datum_to_buf(gnutls_datum_t *d, struct pki_buf *out, struct pki_err *err)
{
	int ret;

	ret = pki_buf_append(out, d->data, d->size, err);
	gnutls_memset(d->data, 0, d->size);
	gnutls_free(d->data);
	d->data = NULL;
	d->size = 0;
	if (ret != 0)
		pki_buf_free(out);
	return ret;
}

int
pki_key_export_pem(const struct pki_key *key, struct pki_buf *out, struct pki_err *err)
{
	gnutls_datum_t d = { NULL, 0 };
	int pk, r;

	memset(out, 0, sizeof(*out));
	pk = gnutls_x509_privkey_get_pk_algorithm(key->x);
	/* kubeadm (Go's keyutil) writes PKCS#1 for RSA, SEC1 for ECDSA and
	 * PKCS#8 for the rest */
	if (pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_ECDSA)
		r = gnutls_x509_privkey_export2(key->x, GNUTLS_X509_FMT_PEM, &d);
	else
		r = gnutls_x509_privkey_export2_pkcs8(key->x, GNUTLS_X509_FMT_PEM, NULL,
			GNUTLS_PKCS_PLAIN, &d);
	if (r < 0) {
		datum_wipe(&d);
		return pki_err_set(err, PKI_E_CRYPTO, "cannot encode the private key: %s",
			gnutls_strerror(r));
	}
	return datum_to_buf(&d, out, err);
}

int
pki_key_export_public_pem(const struct pki_key *key, struct pki_buf *out,
	struct pki_err *err)
{
	gnutls_privkey_t priv = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t d = { NULL, 0 };
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (gnutls_privkey_init(&priv) < 0 || gnutls_pubkey_init(&pub) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	if (gnutls_privkey_import_x509(priv, key->x, 0) < 0 ||
	    gnutls_pubkey_import_privkey(pub, priv, 0, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_PEM, &d) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "cannot encode the public key");
		goto out;
	}
	ret = datum_to_buf(&d, out, err);
out:
	gnutls_free(d.data);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(priv);
	return ret;
}

int
pki_key_save(const struct pki_key *key, const char *path, unsigned flags,
	struct pki_err *err)
{
	struct pki_buf pem = { 0 };
	int ret;

	if (pki_key_export_pem(key, &pem, err) != 0)
		return -1;
	ret = pki_file_write(path, pem.data, pem.len, 0600, flags, err);
	pki_buf_free(&pem);
	return ret;
}

int
pki_key_public_id(const struct pki_key *key, unsigned char out[32], struct pki_err *err)
{
	(void)err;
	memcpy(out, key->id, sizeof(key->id));
	return 0;
}

int
pki_key_type_of(const struct pki_keyinfo *ki, enum pki_key_type *out)
{
	if (strcmp(ki->algo, "RSA") == 0 && ki->bits == 2048)
		*out = PKI_KEY_RSA2048;
	else if (strcmp(ki->algo, "RSA") == 0 && ki->bits == 3072)
		*out = PKI_KEY_RSA3072;
	else if (strcmp(ki->algo, "RSA") == 0 && ki->bits == 4096)
		*out = PKI_KEY_RSA4096;
	else if (strcmp(ki->algo, "ECDSA") == 0 && strcmp(ki->curve, "P-256") == 0)
		*out = PKI_KEY_ECDSA_P256;
	else if (strcmp(ki->algo, "ECDSA") == 0 && strcmp(ki->curve, "P-384") == 0)
		*out = PKI_KEY_ECDSA_P384;
	else if (strcmp(ki->algo, "Ed25519") == 0)
		*out = PKI_KEY_ED25519;
	else
		return -1;
	return 0;
}

int
pki_keyinfo_acceptable(const struct pki_keyinfo *k, int allow_ed25519, struct pki_err *err)
{
	if (strcmp(k->algo, "RSA") == 0) {
		if (k->bits >= 2048)
			return 1;
		pki_err_set(err, PKI_E_INVALID, "RSA key of %u bits; at least 2048 are needed",
			k->bits);
		return 0;
	}
	if (strcmp(k->algo, "ECDSA") == 0) {
		if (strcmp(k->curve, "P-256") == 0 || strcmp(k->curve, "P-384") == 0)
			return 1;
		pki_err_set(err, PKI_E_INVALID, "ECDSA key on curve %s; only P-256 and P-384 are allowed",
			k->curve[0] ? k->curve : "unknown");
		return 0;
	}
	if (strcmp(k->algo, "Ed25519") == 0) {
		if (allow_ed25519)
			return 1;
		pki_err_set(err, PKI_E_INVALID,
			"Ed25519 key, which this profile does not allow (kubeadm uses RSA or ECDSA)");
		return 0;
	}
	pki_err_set(err, PKI_E_INVALID, "%s key; only RSA, ECDSA and Ed25519 are allowed", k->algo);
	return 0;
}
