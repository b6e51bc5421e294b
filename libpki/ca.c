/*
 * ca.c — the kubeadm CAs on the CA host: creating them (key files or keys
 * in a PKCS#11 token), CSRs for an organisation's root, importing the
 * signed intermediates, and loading a CA to sign with.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs11.h>
#include <gnutls/x509.h>

#include <pki/ca.h>
#include <pki/csr.h>

#include "internal.h"

/* A CA certificate file: the CA, then at most this many chain links. */
#define CA_MAX_CERTS   16
/* A PIN file is one short line. */
#define CA_PIN_MAX     256
#define CA_PINFILE_CAP 4096
#define CA_URI_MAX     1024
/* Serial: 16 random octets, positive (RFC 5280 4.1.2.2 allows 20). */
#define CA_SERIAL_LEN  16
/* notBefore is set back this far against clock skew, as kubeadm does. */
#define CA_BACKDATE    (5 * 60)
/* The last second an X.509 GeneralizedTime can say (9999-12-31T23:59:59Z). */
#define CA_TIME_MAX    INT64_C(253402300799)

struct ca_pin {
	char pin[CA_PIN_MAX];
	size_t len;
	int have;
};

struct pki_ca {
	const struct pki_profile *profile; /* borrowed from the set */
	struct pki_cert *cert;
	struct pki_cert **chain;
	size_t nchain;
	struct pki_key *key;	  /* a key file's key, or NULL */
	gnutls_privkey_t priv;	  /* over key, or over the token object */
	struct ca_pin *pin;	  /* the token's PIN, for logins while signing */
	char *crt_path;		  /* where the certificate was read, for messages */
};

/* ---- small helpers -------------------------------------------------------- */

/* The CA profile called name, or an error naming what is wrong. */
static int
ca_profile(const struct pki_ca_opts *o, const char *name, const struct pki_profile **out,
	struct pki_err *err)
{
	const struct pki_profile *p;
	char clean[128];

	*out = NULL;
	if (o == NULL || o->ca_dir == NULL || o->set == NULL)
		return pki_err_set(err, PKI_E_USAGE, "CA: no CA directory or profile set given");
	pki_text_sanitize(name, clean, sizeof(clean));
	p = pki_profile_set_find(o->set, name);
	if (p == NULL)
		return pki_err_set(err, PKI_E_NOTFOUND, "CA '%s': no such profile in set '%s'",
			clean, pki_profile_set_name(o->set));
	if (pki_profile_kind(p) != PKI_PROFILE_CA)
		return pki_err_set(err, PKI_E_INVALID, "CA '%s': profile is not a CA (kind ca)",
			clean);
	*out = p;
	return 0;
}

/* <ca_dir>/<profile path><ext> */
static int
ca_path(const struct pki_ca_opts *o, const struct pki_profile *p, const char *ext,
	char **out, struct pki_err *err)
{
	char rel[PATH_MAX];

	*out = NULL;
	if (snprintf(rel, sizeof(rel), "%s%s", pki_profile_path(p), ext) >= (int)sizeof(rel))
		return pki_err_set(err, PKI_E_LIMIT, "CA '%s': path too long",
			pki_profile_name(p));
	return pki_path_join(out, o->ca_dir, rel, err);
}

/* Key algorithm and size of a CA key type (no Ed25519: kubeadm's CAs are
 * RSA or ECDSA). */
static int
ca_key_params(enum pki_key_type type, gnutls_pk_algorithm_t *pk, unsigned *bits,
	struct pki_err *err)
{
	switch (type) {
	case PKI_KEY_RSA2048: *pk = GNUTLS_PK_RSA; *bits = 2048; return 0;
	case PKI_KEY_RSA3072: *pk = GNUTLS_PK_RSA; *bits = 3072; return 0;
	case PKI_KEY_RSA4096: *pk = GNUTLS_PK_RSA; *bits = 4096; return 0;
	case PKI_KEY_ECDSA_P256:
		*pk = GNUTLS_PK_ECDSA;
		*bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
		return 0;
	case PKI_KEY_ECDSA_P384:
		*pk = GNUTLS_PK_ECDSA;
		*bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1);
		return 0;
	default: break;
	}
	return pki_err_set(err, PKI_E_INVALID,
		"key type '%s': not allowed for a CA (rsa2048, rsa3072, rsa4096, ecdsa-p256 "
		"or ecdsa-p384)",
		pki_key_type_name(type));
}

/* ---- PKCS#11 ---------------------------------------------------------------- */

/* Loads the module named by $KPKI_PKCS11_MODULE instead of p11-kit's
 * registered ones, once per process. */
static int
p11_setup(struct pki_err *err)
{
	static int done;
	const char *mod = getenv("KPKI_PKCS11_MODULE");
	char clean[PKI_QPATH_MAX];
	int r;

	if (done)
		return 0;
	if (mod != NULL && mod[0] != '\0') {
		pki_text_sanitize(mod, clean, sizeof(clean));
		r = gnutls_pkcs11_init(GNUTLS_PKCS11_FLAG_MANUAL, NULL);
		if (r < 0)
			return pki_err_set(err, PKI_E_CRYPTO, "PKCS#11: cannot initialise: %s",
				gnutls_strerror(r));
		r = gnutls_pkcs11_add_provider(mod, NULL);
		if (r < 0)
			return pki_err_set(err, PKI_E_IO,
				"PKCS#11 module '%s' (KPKI_PKCS11_MODULE): cannot load: %s",
				clean, gnutls_strerror(r));
	}
	done = 1;
	return 0;
}

/* Never retries a refused PIN (that would lock the token) and never gives
 * the user PIN where the security officer's is asked for. */
static int
p11_pin_cb(void *userdata, int attempt, const char *token_url, const char *token_label,
	unsigned flags, char *pin, size_t pin_max)
{
	const struct ca_pin *p = userdata;

	(void)token_url;
	(void)token_label;
	if (p == NULL || !p->have || attempt > 0 || (flags & GNUTLS_PIN_SO) ||
	    p->len + 1 > pin_max)
		return -1;
	memcpy(pin, p->pin, p->len);
	pin[p->len] = '\0';
	return 0;
}

/* The PIN from the first line of pin_file (which must be private, as a key
 * is), else from $KPKI_PKCS11_PIN. */
static int
p11_pin_read(const char *pin_file, struct ca_pin *pin, struct pki_err *err)
{
	struct pki_buf buf = { 0 };
	const char *src, *what;
	char qpath[PKI_QPATH_MAX];
	size_t len;
	int ret = -1;

	memset(pin, 0, sizeof(*pin));
	if (pin_file != NULL) {
		pki_text_sanitize(pin_file, qpath, sizeof(qpath));
		if (pki_file_read(pin_file, "PIN file", CA_PINFILE_CAP, PKI_READ_SECRET, &buf,
			    err) != 0)
			goto out;
		src = (const char *)buf.data;
		len = strcspn(src, "\n");
		if (len > 0 && src[len - 1] == '\r')
			len--;
		what = "PIN file";
	} else {
		src = getenv("KPKI_PKCS11_PIN");
		if (src == NULL) {
			pki_err_set(err, PKI_E_USAGE,
				"token: no PIN given (a PIN file, or the environment variable "
				"KPKI_PKCS11_PIN)");
			goto out;
		}
		(void)snprintf(qpath, sizeof(qpath), "KPKI_PKCS11_PIN");
		len = strlen(src);
		what = "environment variable";
	}
	if (len == 0) {
		pki_err_set(err, PKI_E_INVALID, "%s '%s': empty PIN", what, qpath);
		goto out;
	}
	if (len >= sizeof(pin->pin)) {
		pki_err_set(err, PKI_E_LIMIT, "%s '%s': PIN longer than %zu bytes", what, qpath,
			sizeof(pin->pin) - 1);
		goto out;
	}
	if (!pki_text_is_clean(src, len, 0)) {
		pki_err_set(err, PKI_E_INVALID, "%s '%s': PIN holds control characters", what,
			qpath);
		goto out;
	}
	memcpy(pin->pin, src, len);
	pin->len = len;
	pin->have = 1;
	ret = 0;
out:
	pki_buf_free(&buf);
	return ret;
}

static void
p11_pin_wipe(struct ca_pin *pin)
{
	if (pin != NULL)
		gnutls_memset(pin, 0, sizeof(*pin));
}

/* 1 when the URI names an object (RFC 7512 "object" or "id" attribute). */
static int
p11_uri_names_object(const char *uri)
{
	const char *p = uri + strlen("pkcs11:");
	size_t n;

	while (*p != '\0' && *p != '?') {
		n = strcspn(p, ";?");
		if ((n > 7 && strncmp(p, "object=", 7) == 0) ||
		    (n > 3 && strncmp(p, "id=", 3) == 0))
			return 1;
		p += n;
		if (*p == ';')
			p++;
	}
	return 0;
}

static int
p11_uri_check(const char *uri, struct pki_err *err)
{
	char clean[256];
	size_t len = strlen(uri);

	pki_text_sanitize(uri, clean, sizeof(clean));
	if (strncmp(uri, "pkcs11:", 7) != 0)
		return pki_err_set(err, PKI_E_USAGE,
			"key URI '%s': not a PKCS#11 URI (RFC 7512: pkcs11:token=...)", clean);
	if (len > CA_URI_MAX || !pki_text_is_clean(uri, len, 0) || strchr(uri, ' ') != NULL)
		return pki_err_set(err, PKI_E_INVALID, "key URI '%s': malformed (RFC 7512)",
			clean);
	return 0;
}

/*
 * The URI of a CA's key object: the given one when it names an object,
 * else the token's with object=<profile name> (and type when asked).
 */
static int
p11_object_uri(const char *uri, const struct pki_profile *p, const char *type, char **out,
	struct pki_err *err)
{
	const char *name = pki_profile_name(p), *q, *c;
	size_t plen;
	char *s;

	*out = NULL;
	if (p11_uri_names_object(uri))
		return (*out = pki_strdup(uri, err)) == NULL ? -1 : 0;
	/* profile names are plain, but a label must not need %-escapes */
	for (c = name; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			    (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_'))
			return pki_err_set(err, PKI_E_INVALID,
				"CA '%s': the name cannot be a token object label", name);
	q = strchr(uri, '?');
	plen = q != NULL ? (size_t)(q - uri) : strlen(uri);
	while (plen > 7 && uri[plen - 1] == ';')
		plen--;
	s = malloc(CA_URI_MAX + 128);
	if (s == NULL)
		return pki_err_nomem(err);
	(void)snprintf(s, CA_URI_MAX + 128, "%.*s%sobject=%s%s%s%s", (int)plen, uri,
		plen > 7 ? ";" : "", name, type != NULL ? ";type=" : "",
		type != NULL ? type : "", q != NULL ? q : "");
	*out = s;
	return 0;
}

/* Our words for what GnuTLS says about a token. */
static int
p11_err(struct pki_err *err, int r, const char *fmt_what, const char *uri)
{
	char clean[256];

	pki_text_sanitize(uri, clean, sizeof(clean));
	if (r == GNUTLS_E_PKCS11_PIN_ERROR || r == GNUTLS_E_PKCS11_USER_ERROR)
		return pki_err_set(err, PKI_E_PERM, "token '%s': %s: the PIN was refused",
			clean, fmt_what);
	if (r == GNUTLS_E_PKCS11_PIN_LOCKED)
		return pki_err_set(err, PKI_E_PERM, "token '%s': %s: the PIN is locked", clean,
			fmt_what);
	if (r == GNUTLS_E_PKCS11_REQUESTED_OBJECT_NOT_AVAILBLE ||
	    r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return pki_err_set(err, PKI_E_NOTFOUND, "token '%s': %s: not found", clean,
			fmt_what);
	return pki_err_set(err, PKI_E_CRYPTO, "token '%s': %s: %s", clean, fmt_what,
		gnutls_strerror(r));
}

/* Checks that the token exists. */
static int
p11_token_check(const char *uri, struct pki_err *err)
{
	char clean[256];
	unsigned flags = 0;

	if (gnutls_pkcs11_token_get_flags(uri, &flags) < 0) {
		pki_text_sanitize(uri, clean, sizeof(clean));
		return pki_err_set(err, PKI_E_NOTFOUND,
			"token '%s': not found (is its PKCS#11 module registered with p11-kit, "
			"or named by KPKI_PKCS11_MODULE?)",
			clean);
	}
	return 0;
}

/* How many objects (of any type) the URI matches, logged in. */
static int
p11_count(const char *uri, unsigned *n, struct pki_err *err)
{
	gnutls_pkcs11_obj_t *list = NULL;
	unsigned i, cnt = 0;
	int r;

	*n = 0;
	r = gnutls_pkcs11_obj_list_import_url4(&list, &cnt, uri, GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return 0;
	if (r < 0)
		return p11_err(err, r, "cannot list objects", uri);
	for (i = 0; i < cnt; i++)
		gnutls_pkcs11_obj_deinit(list[i]);
	gnutls_free(list);
	*n = cnt;
	return 0;
}

/* Opens the token's private key at uri, logging in with pin (kept by the
 * caller for as long as priv lives). */
static int
p11_privkey(const char *uri, struct ca_pin *pin, gnutls_privkey_t *out, struct pki_err *err)
{
	gnutls_privkey_t priv = NULL;
	int r;

	*out = NULL;
	if (gnutls_privkey_init(&priv) < 0)
		return pki_err_nomem(err);
	gnutls_privkey_set_pin_function(priv, p11_pin_cb, pin);
	r = gnutls_privkey_import_url(priv, uri, 0);
	if (r < 0) {
		gnutls_privkey_deinit(priv);
		return p11_err(err, r, "cannot open the private key", uri);
	}
	*out = priv;
	return 0;
}

/* ---- loading ---------------------------------------------------------------- */

void
pki_ca_free(struct pki_ca *ca)
{
	if (ca == NULL)
		return;
	gnutls_privkey_deinit(ca->priv);
	pki_key_free(ca->key);
	pki_cert_free(ca->cert);
	pki_cert_list_free(ca->chain, ca->nchain);
	p11_pin_wipe(ca->pin);
	free(ca->pin);
	free(ca->crt_path);
	gnutls_memset(ca, 0, sizeof(*ca));
	free(ca);
}

const struct pki_profile *
pki_ca_profile(const struct pki_ca *ca)
{
	return ca->profile;
}

const struct pki_cert *
pki_ca_cert(const struct pki_ca *ca)
{
	return ca->cert;
}

size_t
pki_ca_chain_count(const struct pki_ca *ca)
{
	return ca->nchain;
}

const struct pki_cert *
pki_ca_chain_at(const struct pki_ca *ca, size_t i)
{
	return i < ca->nchain ? ca->chain[i] : NULL;
}

gnutls_privkey_t
pki_ca_privkey(const struct pki_ca *ca)
{
	return ca->priv;
}

/* One certificate of the CA's (link 0: its own, else that link of its
 * chain) against now, RFC 5280 4.1.2.5: both ends belong to the period. */
static int
ca_valid_at(const struct pki_ca *ca, const struct pki_cert *cert, size_t link, time_t now,
	struct pki_err *err)
{
	time_t nb = pki_cert_not_before(cert), na = pki_cert_not_after(cert);
	char tnow[32], tnb[32], tna[32], q[PKI_QPATH_MAX], which[64] = "";

	if (now >= nb && now <= na)
		return 0;
	pki_time_rfc3339(now, tnow);
	pki_time_rfc3339(nb, tnb);
	pki_time_rfc3339(na, tna);
	pki_text_sanitize(ca->crt_path ? ca->crt_path : "", q, sizeof(q));
	if (link > 0)
		(void)snprintf(which, sizeof(which), "certificate %zu of its chain: ", link);
	return pki_err_set(err, PKI_E_INVALID,
		"CA '%s' ('%s'): %snot valid at %s (valid from %s to %s): check this host's clock",
		pki_profile_name(ca->profile), q, which, tnow, tnb, tna);
}

int
pki_ca_check_time(const struct pki_ca *ca, time_t now, struct pki_err *err)
{
	size_t i;

	if (ca_valid_at(ca, ca->cert, 0, now, err) != 0)
		return -1;
	for (i = 0; i < ca->nchain; i++)
		if (ca_valid_at(ca, ca->chain[i], i + 1, now, err) != 0)
			return -1;
	return 0;
}

/* 1 when the private key's public half is the certificate's key. */
static int
privkey_matches_cert(gnutls_privkey_t priv, const struct pki_cert *cert,
	struct pki_err *err)
{
	gnutls_pubkey_t pub = NULL;
	unsigned char a[32], b[32];
	int ret = -1;

	if (gnutls_pubkey_init(&pub) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	if (gnutls_pubkey_import_privkey(pub, priv, 0, 0) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "cannot read the public key of the private key");
		goto out;
	}
	if (pki_pubkey_id(pub, a, err) != 0 || pki_cert_public_id(cert, b, err) != 0)
		goto out;
	ret = memcmp(a, b, sizeof(a)) == 0;
out:
	gnutls_pubkey_deinit(pub);
	return ret;
}

/* Checks a CA certificate and the chain above it: a CA that may sign
 * certificates, each link signed by the next. `what` names the file. */
static int
ca_check_certs(struct pki_cert **list, size_t n, const char *what, struct pki_err *err)
{
	struct pki_x509info info = { 0 };
	size_t i;
	int ret = -1;

	if (pki_cert_info(list[0], &info, err) != 0)
		goto out;
	if (!info.has_bc || !info.is_ca) {
		pki_err_set(err, PKI_E_INVALID,
			"%s: not a CA certificate (basicConstraints cA is not true, RFC 5280 "
			"4.2.1.9)",
			what);
		goto out;
	}
	if (!info.has_ku || !(info.ku & PKI_KU_KEY_CERT_SIGN)) {
		pki_err_set(err, PKI_E_INVALID,
			"%s: key usage does not allow signing certificates (keyCertSign, RFC "
			"5280 4.2.1.3)",
			what);
		goto out;
	}
	for (i = 0; i + 1 < n; i++) {
		if (pki_cert_verify_signed_by(list[i], list[i + 1], err) != 0) {
			pki_err_prefix(err, "%s: chain link %zu", what, i + 1);
			goto out;
		}
	}
	ret = 0;
out:
	pki_x509info_free(&info);
	return ret;
}

int
pki_ca_load(const struct pki_ca_opts *o, const char *name, struct pki_ca **out,
	struct pki_err *err)
{
	const struct pki_profile *p = NULL;
	struct pki_ca *ca = NULL;
	struct pki_buf buf = { 0 };
	struct pki_cert **list = NULL;
	char *crt = NULL, *keyp = NULL, *uri = NULL;
	char qcrt[PKI_QPATH_MAX], qkey[PKI_QPATH_MAX], what[PKI_QPATH_MAX + 64];
	size_t n = 0, i;
	int ret = -1, m;

	*out = NULL;
	if (ca_profile(o, name, &p, err) != 0)
		goto out;
	if (ca_path(o, p, ".crt", &crt, err) != 0)
		goto out;
	pki_text_sanitize(crt, qcrt, sizeof(qcrt));
	(void)snprintf(what, sizeof(what), "CA '%s': certificate '%s'", pki_profile_name(p),
		qcrt);
	ca = pki_calloc(1, sizeof(*ca), err);
	if (ca == NULL)
		goto out;
	ca->profile = p;
	if ((ca->crt_path = pki_strdup(crt, err)) == NULL)
		goto out;
	if (pki_file_read(crt, "CA certificate", PKI_CAP_CERT, 0, &buf, err) != 0) {
		pki_err_prefix(err, "CA '%s'", pki_profile_name(p));
		goto out;
	}
	if (pki_cert_list_parse(buf.data, buf.len, crt, CA_MAX_CERTS, &list, &n, err) != 0) {
		pki_err_prefix(err, "CA '%s'", pki_profile_name(p));
		goto out;
	}
	if (ca_check_certs(list, n, what, err) != 0)
		goto out;
	if (o->key_uri == NULL) {
		if (ca_path(o, p, ".key", &keyp, err) != 0)
			goto out;
		pki_text_sanitize(keyp, qkey, sizeof(qkey));
		if (pki_key_load(keyp, &ca->key, err) != 0) {
			pki_err_prefix(err, "CA '%s'", pki_profile_name(p));
			goto out;
		}
		if (gnutls_privkey_init(&ca->priv) < 0) {
			pki_err_nomem(err);
			goto out;
		}
		/* borrowed: ca->priv does not own ca->key's key */
		if (gnutls_privkey_import_x509(ca->priv, pki_key_gnutls(ca->key), 0) < 0) {
			pki_err_set(err, PKI_E_CRYPTO, "CA '%s': key '%s': cannot use it",
				pki_profile_name(p), qkey);
			goto out;
		}
	} else {
		if (p11_uri_check(o->key_uri, err) != 0 || p11_setup(err) != 0)
			goto out;
		ca->pin = pki_calloc(1, sizeof(*ca->pin), err);
		if (ca->pin == NULL || p11_pin_read(o->pin_file, ca->pin, err) != 0)
			goto out;
		if (p11_object_uri(o->key_uri, p, "private", &uri, err) != 0)
			goto out;
		pki_text_sanitize(uri, qkey, sizeof(qkey));
		if (p11_privkey(uri, ca->pin, &ca->priv, err) != 0) {
			pki_err_prefix(err, "CA '%s'", pki_profile_name(p));
			goto out;
		}
	}
	m = privkey_matches_cert(ca->priv, list[0], err);
	if (m < 0) {
		pki_err_prefix(err, "CA '%s': key '%s'", pki_profile_name(p), qkey);
		goto out;
	}
	if (m == 0) {
		pki_err_set(err, PKI_E_INVALID,
			"CA '%s': key '%s' does not belong to certificate '%s'",
			pki_profile_name(p), qkey, qcrt);
		goto out;
	}
	ca->cert = list[0];
	list[0] = NULL;
	if (n > 1) {
		ca->chain = pki_calloc(n - 1, sizeof(*ca->chain), err);
		if (ca->chain == NULL)
			goto out;
		for (i = 1; i < n; i++) {
			ca->chain[i - 1] = list[i];
			list[i] = NULL;
		}
		ca->nchain = n - 1;
	}
	*out = ca;
	ca = NULL; /* transferred */
	ret = 0;
out:
	pki_cert_list_free(list, n);
	pki_buf_free(&buf);
	pki_ca_free(ca);
	free(crt);
	free(keyp);
	free(uri);
	return ret;
}

/* ---- creation --------------------------------------------------------------- */

/* What one pki_ca_init()/pki_ca_init_csr() call made, so that a failure can
 * take it all back. */
struct made {
	struct pki_names files;	  /* written files */
	struct pki_names objects; /* token objects (URIs) */
};

static void
made_undo(struct made *m)
{
	size_t i;

	for (i = 0; i < m->files.n; i++)
		(void)unlink(m->files.v[i]);
	for (i = 0; i < m->objects.n; i++)
		(void)gnutls_pkcs11_delete_url(m->objects.v[i], GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
}

/* One CA being made: its key, as a private key and its public half. */
struct ca_new {
	const struct pki_profile *p;
	struct pki_key *key;	/* key file mode */
	gnutls_privkey_t priv;
	gnutls_pubkey_t pub;
	char *keypath;		/* file, or the token object URI */
};

static void
ca_new_clear(struct ca_new *c)
{
	gnutls_pubkey_deinit(c->pub);
	gnutls_privkey_deinit(c->priv);
	pki_key_free(c->key);
	free(c->keypath);
	memset(c, 0, sizeof(*c));
}

/* Refuses when any of the CA's files (or its token object) exists. */
static int
ca_refuse_existing(const struct pki_ca_opts *o, const struct pki_profile *p,
	struct pki_err *err)
{
	static const char *const exts[] = { ".crt", ".key", ".csr" };
	char *path = NULL, qpath[PKI_QPATH_MAX];
	unsigned cnt = 0;
	size_t i;
	int ret = -1, r;

	for (i = 0; i < PKI_ARRAY_LEN(exts); i++) {
		if (ca_path(o, p, exts[i], &path, err) != 0)
			goto out;
		r = pki_file_exists(path, err);
		if (r < 0)
			goto out;
		if (r == 1) {
			pki_text_sanitize(path, qpath, sizeof(qpath));
			pki_err_set(err, PKI_E_EXISTS,
				"CA '%s': '%s' already exists; an existing CA is never "
				"overwritten",
				pki_profile_name(p), qpath);
			goto out;
		}
		free(path);
		path = NULL;
	}
	if (o->key_uri != NULL) {
		if (p11_object_uri(o->key_uri, p, NULL, &path, err) != 0 ||
		    p11_count(path, &cnt, err) != 0)
			goto out;
		if (cnt > 0) {
			pki_text_sanitize(path, qpath, sizeof(qpath));
			pki_err_set(err, PKI_E_EXISTS,
				"CA '%s': token object '%s' already exists; an existing CA is "
				"never overwritten",
				pki_profile_name(p), qpath);
			goto out;
		}
	}
	ret = 0;
out:
	free(path);
	return ret;
}

/* Makes the key of one CA: a file written now (0600), or a sensitive,
 * non-extractable key generated in the token. */
static int
ca_make_key(const struct pki_ca_opts *o, struct ca_new *c, enum pki_key_type type,
	struct ca_pin *pin, struct made *m, struct pki_err *err)
{
	gnutls_datum_t spki = { NULL, 0 };
	gnutls_pk_algorithm_t pk;
	char *tokuri = NULL;
	unsigned bits;
	int ret = -1, r;

	if (ca_key_params(type, &pk, &bits, err) != 0)
		goto out;
	if (gnutls_pubkey_init(&c->pub) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	if (o->key_uri == NULL) {
		if (ca_path(o, c->p, ".key", &c->keypath, err) != 0 ||
		    pki_key_generate(type, &c->key, err) != 0)
			goto out;
		if (pki_key_save(c->key, c->keypath, PKI_WRITE_NOREPLACE | PKI_WRITE_MKDIRS,
			    err) != 0) {
			pki_err_prefix(err, "CA '%s'", pki_profile_name(c->p));
			goto out;
		}
		if (pki_names_add(&m->files, c->keypath, err) != 0)
			goto out;
		if (gnutls_privkey_init(&c->priv) < 0) {
			pki_err_nomem(err);
			goto out;
		}
		if (gnutls_privkey_import_x509(c->priv, pki_key_gnutls(c->key), 0) < 0 ||
		    gnutls_pubkey_import_privkey(c->pub, c->priv, 0, 0) < 0) {
			pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot use the new key",
				pki_profile_name(c->p));
			goto out;
		}
		ret = 0;
		goto out;
	}
	/* the key pair's objects both carry the label: tokuri names them */
	if (p11_object_uri(o->key_uri, c->p, "private", &c->keypath, err) != 0 ||
	    p11_object_uri(o->key_uri, c->p, NULL, &tokuri, err) != 0)
		goto out;
	r = gnutls_pkcs11_privkey_generate3(o->key_uri, pk, bits, pki_profile_name(c->p), NULL,
		GNUTLS_X509_FMT_DER, &spki, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN,
		GNUTLS_PKCS11_OBJ_FLAG_LOGIN | GNUTLS_PKCS11_OBJ_FLAG_MARK_SENSITIVE |
			GNUTLS_PKCS11_OBJ_FLAG_MARK_PRIVATE);
	if (r < 0) {
		p11_err(err, r, "cannot generate a key", o->key_uri);
		pki_err_prefix(err, "CA '%s'", pki_profile_name(c->p));
		goto out;
	}
	if (pki_names_add(&m->objects, tokuri, err) != 0)
		goto out;
	if (gnutls_pubkey_import(c->pub, &spki, GNUTLS_X509_FMT_DER) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot read the token's new public key",
			pki_profile_name(c->p));
		goto out;
	}
	if (p11_privkey(c->keypath, pin, &c->priv, err) != 0) {
		pki_err_prefix(err, "CA '%s'", pki_profile_name(c->p));
		goto out;
	}
	ret = 0;
out:
	gnutls_free(spki.data);
	free(tokuri);
	return ret;
}

/* Adds the profile's SANs (those without variables) to a certificate or a
 * request (one of crt and crq). */
static int
ca_add_sans(const struct pki_profile *p, gnutls_x509_crt_t crt, gnutls_x509_crq_t crq,
	struct pki_err *err)
{
	struct pki_names dns = { 0 }, ip = { 0 };
	unsigned char addr[16];
	unsigned flag = 0;
	size_t i, alen;
	int ret = -1, r;

	if (pki_profile_sans(p, NULL, &dns, &ip, err) != 0)
		goto out;
	for (i = 0; i < dns.n; i++) {
		if (crt != NULL)
			r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
				dns.v[i], (unsigned)strlen(dns.v[i]), flag);
		else
			r = gnutls_x509_crq_set_subject_alt_name(crq, GNUTLS_SAN_DNSNAME,
				dns.v[i], (unsigned)strlen(dns.v[i]), flag);
		if (r < 0) {
			pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot add DNS SAN '%s': %s",
				pki_profile_name(p), dns.v[i], gnutls_strerror(r));
			goto out;
		}
		flag = GNUTLS_FSAN_APPEND;
	}
	for (i = 0; i < ip.n; i++) {
		/* as Go does: 4 bytes for IPv4, 16 for IPv6 */
		alen = strchr(ip.v[i], ':') != NULL ? 16 : 4;
		if (inet_pton(alen == 16 ? AF_INET6 : AF_INET, ip.v[i], addr) != 1) {
			pki_err_set(err, PKI_E_INVALID, "CA '%s': IP SAN '%s': not an address",
				pki_profile_name(p), ip.v[i]);
			goto out;
		}
		if (crt != NULL)
			r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, addr,
				(unsigned)alen, flag);
		else
			r = gnutls_x509_crq_set_subject_alt_name(crq, GNUTLS_SAN_IPADDRESS, addr,
				(unsigned)alen, flag);
		if (r < 0) {
			pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot add IP SAN '%s': %s",
				pki_profile_name(p), ip.v[i], gnutls_strerror(r));
			goto out;
		}
		flag = GNUTLS_FSAN_APPEND;
	}
	ret = 0;
out:
	pki_names_free(&dns);
	pki_names_free(&ip);
	return ret;
}

/* The profile's subject: its O values (each its own RDN) then the CN. */
static int
ca_subject(const struct pki_profile *p, gnutls_x509_crt_t crt, gnutls_x509_crq_t crq,
	struct pki_err *err)
{
	struct pki_names org = { 0 };
	char *cn = NULL;
	size_t i;
	int ret = -1, r;

	if (pki_profile_subject(p, NULL, &cn, &org, err) != 0)
		goto out;
	for (i = 0; i < org.n; i++) {
		r = crt != NULL ?
			gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
				org.v[i], (unsigned)strlen(org.v[i])) :
			gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
				org.v[i], (unsigned)strlen(org.v[i]));
		if (r < 0) {
			pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot set O: %s",
				pki_profile_name(p), gnutls_strerror(r));
			goto out;
		}
	}
	r = crt != NULL ? gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
				  cn, (unsigned)strlen(cn)) :
			  gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0,
				  cn, (unsigned)strlen(cn));
	if (r < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot set CN: %s", pki_profile_name(p),
			gnutls_strerror(r));
		goto out;
	}
	ret = 0;
out:
	free(cn);
	pki_names_free(&org);
	return ret;
}

/* The self-signed CA certificate, as kubeadm's NewSelfSignedCACert makes it
 * plus a subject key identifier. */
static int
ca_selfsign(const struct ca_new *c, int64_t validity, time_t now, struct pki_cert **out,
	struct pki_err *err)
{
	const char *name = pki_profile_name(c->p);
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t der = { NULL, 0 };
	unsigned char serial[CA_SERIAL_LEN], kid[20];
	int ret = -1, r;

	*out = NULL;
	if (validity == 0)
		validity = pki_profile_validity(c->p);
	if (validity <= 0 || (int64_t)now > CA_TIME_MAX - validity) {
		pki_err_set(err, PKI_E_INVALID,
			"CA '%s': validity of %lld seconds ends past the year 9999", name,
			(long long)validity);
		goto out;
	}
	if (gnutls_rnd(GNUTLS_RND_RANDOM, serial, sizeof(serial)) != 0) {
		pki_err_set(err, PKI_E_CRYPTO, "CA '%s': no randomness for a serial", name);
		goto out;
	}
	/* positive, and 16 octets long in DER */
	serial[0] &= 0x7f;
	if (serial[0] == 0)
		serial[0] = 0x01;
	if (gnutls_x509_crt_init(&crt) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - CA_BACKDATE) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, (time_t)(now + validity)) < 0 ||
	    gnutls_x509_crt_set_pubkey(crt, c->pub) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot fill in the certificate", name);
		goto out;
	}
	if (ca_subject(c->p, crt, NULL, err) != 0 || ca_add_sans(c->p, crt, NULL, err) != 0)
		goto out;
	/* both critical, as Go marks them */
	if (gnutls_x509_crt_set_key_usage(crt, pki_ku_to_gnutls(pki_profile_key_usage(c->p))) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 1, -1) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot set the usages", name);
		goto out;
	}
	if (pki_pubkey_key_id(c->pub, kid, err) != 0) {
		pki_err_prefix(err, "CA '%s'", name);
		goto out;
	}
	if (gnutls_x509_crt_set_subject_key_id(crt, kid, sizeof(kid)) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot set the subject key identifier",
			name);
		goto out;
	}
	r = gnutls_x509_crt_privkey_sign(crt, crt, c->priv, pki_pubkey_sign_digest(c->pub), 0);
	if (r < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot sign the certificate: %s", name,
			gnutls_strerror(r));
		goto out;
	}
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot encode the certificate", name);
		goto out;
	}
	ret = pki_cert_parse(der.data, der.size, name, out, err);
out:
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(crt);
	return ret;
}

/* A CSR for an intermediate CA: the profile's subject and SANs, and the
 * requested basicConstraints CA:TRUE and key usage, signed with the key. */
static int
ca_make_csr(const struct ca_new *c, struct pki_csr **out, struct pki_err *err)
{
	const char *name = pki_profile_name(c->p);
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t der = { NULL, 0 };
	int ret = -1, r;

	*out = NULL;
	if (gnutls_x509_crq_init(&crq) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	if (gnutls_x509_crq_set_version(crq, 1) < 0 ||
	    gnutls_x509_crq_set_pubkey(crq, c->pub) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot fill in the request", name);
		goto out;
	}
	if (ca_subject(c->p, NULL, crq, err) != 0 || ca_add_sans(c->p, NULL, crq, err) != 0)
		goto out;
	if (gnutls_x509_crq_set_basic_constraints(crq, 1, -1) < 0 ||
	    gnutls_x509_crq_set_key_usage(crq, pki_ku_to_gnutls(pki_profile_key_usage(c->p))) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot request the usages", name);
		goto out;
	}
	r = gnutls_x509_crq_privkey_sign(crq, c->priv, pki_pubkey_sign_digest(c->pub), 0);
	if (r < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot sign the request: %s", name,
			gnutls_strerror(r));
		goto out;
	}
	if (gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, &der) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "CA '%s': cannot encode the request", name);
		goto out;
	}
	ret = pki_csr_parse(der.data, der.size, name, out, err);
out:
	gnutls_free(der.data);
	gnutls_x509_crq_deinit(crq);
	return ret;
}

/* The common part of pki_ca_init() and pki_ca_init_csr(). */
static int
ca_init_all(const struct pki_ca_opts *o, enum pki_key_type type, int64_t validity,
	time_t now, int csr_only, struct pki_names *written, struct pki_err *err)
{
	struct ca_new cas[16];
	struct made m = { { 0, NULL }, { 0, NULL } };
	struct ca_pin pin;
	struct pki_cert *cert = NULL;
	struct pki_csr *csr = NULL;
	struct pki_buf pem = { 0 };
	gnutls_pk_algorithm_t pk;
	char *path = NULL;
	size_t i, n = 0;
	unsigned bits;
	int ret = -1, pin_set = 0;

	memset(cas, 0, sizeof(cas));
	memset(&pin, 0, sizeof(pin));
	if (o == NULL || o->ca_dir == NULL || o->set == NULL || written == NULL) {
		pki_err_set(err, PKI_E_USAGE, "CA: no CA directory or profile set given");
		goto out;
	}
	if (validity < 0) {
		pki_err_set(err, PKI_E_USAGE, "CA: negative validity");
		goto out;
	}
	if (ca_key_params(type, &pk, &bits, err) != 0)
		goto out;
	for (i = 0; i < pki_profile_set_count(o->set); i++) {
		const struct pki_profile *p = pki_profile_set_at(o->set, i);

		if (pki_profile_kind(p) != PKI_PROFILE_CA)
			continue;
		if (n == PKI_ARRAY_LEN(cas)) {
			pki_err_set(err, PKI_E_LIMIT, "profile set '%s': more than %zu CAs",
				pki_profile_set_name(o->set), PKI_ARRAY_LEN(cas));
			goto out;
		}
		cas[n++].p = p;
	}
	if (n == 0) {
		pki_err_set(err, PKI_E_INVALID, "profile set '%s': has no CA profile",
			pki_profile_set_name(o->set));
		goto out;
	}
	if (o->key_uri != NULL) {
		if (p11_uri_check(o->key_uri, err) != 0)
			goto out;
		if (p11_uri_names_object(o->key_uri)) {
			char clean[256];

			pki_text_sanitize(o->key_uri, clean, sizeof(clean));
			pki_err_set(err, PKI_E_USAGE,
				"key URI '%s': names an object; name the token only (each CA's "
				"key is labelled with the CA's name)",
				clean);
			goto out;
		}
		if (p11_setup(err) != 0 || p11_pin_read(o->pin_file, &pin, err) != 0)
			goto out;
		gnutls_pkcs11_set_pin_function(p11_pin_cb, &pin);
		pin_set = 1;
		if (p11_token_check(o->key_uri, err) != 0)
			goto out;
	}
	/* all refusals before anything is written */
	for (i = 0; i < n; i++)
		if (ca_refuse_existing(o, cas[i].p, err) != 0)
			goto out;
	for (i = 0; i < n; i++) {
		const char *ext = csr_only ? ".csr" : ".crt";

		if (ca_make_key(o, &cas[i], type, &pin, &m, err) != 0)
			goto out;
		if (csr_only) {
			if (ca_make_csr(&cas[i], &csr, err) != 0 ||
			    pki_csr_export_pem(csr, &pem, err) != 0)
				goto out;
		} else {
			if (ca_selfsign(&cas[i], validity, now, &cert, err) != 0 ||
			    pki_cert_export_pem(cert, &pem, err) != 0)
				goto out;
		}
		if (ca_path(o, cas[i].p, ext, &path, err) != 0)
			goto out;
		if (pki_file_write(path, pem.data, pem.len, 0644,
			    PKI_WRITE_NOREPLACE | PKI_WRITE_MKDIRS, err) != 0) {
			pki_err_prefix(err, "CA '%s'", pki_profile_name(cas[i].p));
			goto out;
		}
		if (pki_names_add(&m.files, path, err) != 0)
			goto out;
		free(path);
		path = NULL;
		pki_buf_free(&pem);
		pki_cert_free(cert);
		cert = NULL;
		pki_csr_free(csr);
		csr = NULL;
	}
	/* what was made, keys first, for the caller to report */
	for (i = 0; i < n; i++)
		if (pki_names_add(written, cas[i].keypath, err) != 0)
			goto out;
	for (i = 0; i < m.files.n; i++)
		if (!pki_names_contains(written, m.files.v[i]) &&
		    pki_names_add(written, m.files.v[i], err) != 0)
			goto out;
	ret = 0;
out:
	if (ret != 0)
		made_undo(&m);
	for (i = 0; i < n; i++)
		ca_new_clear(&cas[i]);
	if (pin_set)
		gnutls_pkcs11_set_pin_function(NULL, NULL);
	p11_pin_wipe(&pin);
	pki_names_free(&m.files);
	pki_names_free(&m.objects);
	pki_cert_free(cert);
	pki_csr_free(csr);
	pki_buf_free(&pem);
	free(path);
	return ret;
}

int
pki_ca_init(const struct pki_ca_opts *o, enum pki_key_type type, int64_t validity,
	time_t now, struct pki_names *written, struct pki_err *err)
{
	return ca_init_all(o, type, validity, now, 0, written, err);
}

int
pki_ca_init_csr(const struct pki_ca_opts *o, enum pki_key_type type, time_t now,
	struct pki_names *written, struct pki_err *err)
{
	return ca_init_all(o, type, 0, now, 1, written, err);
}

/* ---- importing a signed intermediate ------------------------------------- */

int
pki_ca_import(const struct pki_ca_opts *o, const char *name, const char *pem_path,
	struct pki_err *err)
{
	const struct pki_profile *p = NULL;
	struct pki_x509info info = { 0 };
	struct pki_names org = { 0 };
	struct pki_buf buf = { 0 }, pem = { 0 }, one = { 0 };
	struct pki_cert **list = NULL;
	struct pki_key *key = NULL;
	gnutls_privkey_t priv = NULL;
	struct ca_pin pin;
	char *crt = NULL, *csr = NULL, *keyp = NULL, *cn = NULL;
	char qin[PKI_QPATH_MAX], qkey[PKI_QPATH_MAX], qcrt[PKI_QPATH_MAX];
	char what[PKI_QPATH_MAX + 64];
	size_t n = 0, i;
	int ret = -1, r, pin_set = 0;

	memset(&pin, 0, sizeof(pin));
	if (ca_profile(o, name, &p, err) != 0)
		goto out;
	name = pki_profile_name(p);
	pki_text_sanitize(pem_path, qin, sizeof(qin));
	(void)snprintf(what, sizeof(what), "CA '%s': certificate '%s'", name, qin);
	if (ca_path(o, p, ".crt", &crt, err) != 0 || ca_path(o, p, ".csr", &csr, err) != 0)
		goto out;
	pki_text_sanitize(crt, qcrt, sizeof(qcrt));
	r = pki_file_exists(crt, err);
	if (r < 0)
		goto out;
	if (r == 1) {
		pki_err_set(err, PKI_E_EXISTS,
			"CA '%s': '%s' already exists; an existing CA is never overwritten", name,
			qcrt);
		goto out;
	}
	if (pki_file_read(pem_path, "certificate", PKI_CAP_CERT, PKI_READ_STDIN, &buf, err) !=
		    0 ||
	    pki_cert_list_parse(buf.data, buf.len, pem_path, CA_MAX_CERTS, &list, &n, err) != 0) {
		pki_err_prefix(err, "CA '%s'", name);
		goto out;
	}
	/* the key staged by pki_ca_init_csr() */
	if (o->key_uri == NULL) {
		if (ca_path(o, p, ".key", &keyp, err) != 0)
			goto out;
		pki_text_sanitize(keyp, qkey, sizeof(qkey));
		if (pki_key_load(keyp, &key, err) != 0) {
			pki_err_prefix(err, "CA '%s'", name);
			goto out;
		}
		r = pki_cert_matches_key(list[0], key, err);
	} else {
		if (p11_uri_check(o->key_uri, err) != 0 || p11_setup(err) != 0 ||
		    p11_pin_read(o->pin_file, &pin, err) != 0)
			goto out;
		gnutls_pkcs11_set_pin_function(p11_pin_cb, &pin);
		pin_set = 1;
		if (p11_object_uri(o->key_uri, p, "private", &keyp, err) != 0)
			goto out;
		pki_text_sanitize(keyp, qkey, sizeof(qkey));
		if (p11_privkey(keyp, &pin, &priv, err) != 0) {
			pki_err_prefix(err, "CA '%s'", name);
			goto out;
		}
		r = privkey_matches_cert(priv, list[0], err);
	}
	if (r < 0)
		goto out;
	if (r == 0) {
		pki_err_set(err, PKI_E_INVALID, "%s: does not belong to the staged key '%s'", what,
			qkey);
		goto out;
	}
	if (ca_check_certs(list, n, what, err) != 0)
		goto out;
	/* the issuer must be in the file, unless the certificate is a root */
	if (pki_cert_info(list[0], &info, err) != 0)
		goto out;
	if (n == 1 && !info.self_signature_ok) {
		pki_err_set(err, PKI_E_INVALID,
			"%s: the chain is missing (append the certificate of the CA that "
			"signed it, up to the root)",
			what);
		goto out;
	}
	if (pki_profile_subject(p, NULL, &cn, &org, err) != 0)
		goto out;
	if (info.cn == NULL || info.cn_count != 1 || strcmp(info.cn, cn) != 0 ||
	    !pki_names_equal_set(&org, &info.org)) {
		pki_err_set(err, PKI_E_INVALID,
			"%s: subject '%s' is not the profile's (CN '%s'%s)", what, info.subject,
			cn, org.n > 0 ? " and its O values" : "");
		goto out;
	}
	if (info.not_after <= time(NULL)) {
		pki_err_set(err, PKI_E_INVALID, "%s: has expired", what);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (pki_cert_export_pem(list[i], &one, err) != 0 ||
		    pki_buf_append(&pem, one.data, one.len, err) != 0)
			goto out;
		pki_buf_free(&one);
	}
	if (pki_file_write(crt, pem.data, pem.len, 0644, PKI_WRITE_NOREPLACE | PKI_WRITE_MKDIRS,
		    err) != 0) {
		pki_err_prefix(err, "CA '%s'", name);
		goto out;
	}
	/* the request is answered */
	if (unlink(csr) != 0 && errno != ENOENT) {
		pki_text_sanitize(csr, qin, sizeof(qin));
		pki_err_set(err, PKI_E_IO, "CA '%s': installed, but cannot remove '%s': %s", name,
			qin, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (pin_set)
		gnutls_pkcs11_set_pin_function(NULL, NULL);
	p11_pin_wipe(&pin);
	gnutls_privkey_deinit(priv);
	pki_key_free(key);
	pki_cert_list_free(list, n);
	pki_x509info_free(&info);
	pki_names_free(&org);
	pki_buf_free(&buf);
	pki_buf_free(&pem);
	pki_buf_free(&one);
	free(crt);
	free(csr);
	free(keyp);
	free(cn);
	return ret;
}
