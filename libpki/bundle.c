/*
 * bundle.c — the CSR bundle (kpki-bundle(5)): one YAML document carrying a
 * node's certificate requests to the CA team, read as hostile input.
 *
 * Reading checks everything a signer relies on before anything else looks
 * at it: the format version, the profile set (by name only), each entry's
 * name, location and path against that set, and that each csr field holds
 * exactly one PEM certificate request and never a private key.
 *
 * A signed bundle (kpki-sign's answer) also carries each entry's
 * certificate and the CA certificates they chain to. It is all or nothing:
 * every entry has its certificate, for the key of its own request, issued
 * by one of the listed CAs. The fingerprint stays over the request fields,
 * so that the answer names the request it answers.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include <pki/bundle.h>

#include "internal.h"

#define BUNDLE_VERSION	 "v1"
#define BUNDLE_MAX_TEXT	 253		/* cluster and node names */
#define BUNDLE_MAX_SET	 64		/* profile set names, as profile.c */
#define BUNDLE_MAX_PEM	 (128u * 1024)	/* a CSR's PEM: PKI_CAP_CSR of DER, encoded */
#define BUNDLE_MAX_TIME	 253402300799LL /* 9999-12-31T23:59:59Z */
#define PEM_CSR_LABEL	 "CERTIFICATE REQUEST"
#define PEM_CERT_LABEL	 "CERTIFICATE"
#define BUNDLE_MAX_CAS	 16		/* kubeadm's three CAs, with room for chains */

/* 64 entries take about 600 nodes; thousands of entries stop at the node
 * cap while parsing, before any entry is built. */
static const struct pki_ylimits bundle_ylimits = {
	.max_depth = 8,
	.max_nodes = 4096,
	.max_scalar = BUNDLE_MAX_PEM,
	.max_docs = 1,
};

struct pki_bundle_entry {
	char *name;
	enum pki_profile_location loc;
	char *path;		/* the target under its location: "apiserver.crt" */
	struct pki_csr *csr;
	struct pki_cert *cert;	/* NULL until signed */
};

struct pki_bundle {
	char *profiles;
	char *cluster;
	char *node;
	time_t created;
	struct pki_bundle_entry **v;
	size_t n, cap;
	struct pki_cert **ca;	/* a signed bundle's CA certificates, in order */
	size_t nca, cap_ca;
};

static const char *const loc_names[] = {
	[PKI_LOC_CERT_DIR] = "cert-dir",
	[PKI_LOC_KUBECONFIG_DIR] = "kubeconfig-dir",
	[PKI_LOC_KUBELET_DIR] = "kubelet-dir",
};

/* ---- objects ----------------------------------------------------------- */

static void
entry_free(struct pki_bundle_entry *e)
{
	if (e == NULL)
		return;
	free(e->name);
	free(e->path);
	pki_csr_free(e->csr);
	pki_cert_free(e->cert);
	free(e);
}

void
pki_bundle_free(struct pki_bundle *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		entry_free(b->v[i]);
	free(b->v);
	pki_cert_list_free(b->ca, b->nca);
	free(b->profiles);
	free(b->cluster);
	free(b->node);
	free(b);
}

const char *pki_bundle_profiles(const struct pki_bundle *b) { return b->profiles; }
const char *pki_bundle_cluster(const struct pki_bundle *b) { return b->cluster; }
const char *pki_bundle_node(const struct pki_bundle *b) { return b->node; }
time_t pki_bundle_created(const struct pki_bundle *b) { return b->created; }
size_t pki_bundle_count(const struct pki_bundle *b) { return b->n; }

const struct pki_bundle_entry *
pki_bundle_at(const struct pki_bundle *b, size_t i)
{
	return i < b->n ? b->v[i] : NULL;
}

const char *pki_bundle_entry_name(const struct pki_bundle_entry *e) { return e->name; }
enum pki_profile_location
pki_bundle_entry_location(const struct pki_bundle_entry *e)
{
	return e->loc;
}
const char *pki_bundle_entry_path(const struct pki_bundle_entry *e) { return e->path; }
const struct pki_csr *pki_bundle_entry_csr(const struct pki_bundle_entry *e) { return e->csr; }
const struct pki_cert *pki_bundle_entry_certificate(const struct pki_bundle_entry *e) { return e->cert; }
size_t pki_bundle_ca_count(const struct pki_bundle *b) { return b->nca; }

const struct pki_cert *
pki_bundle_ca_at(const struct pki_bundle *b, size_t i)
{
	return i < b->nca ? b->ca[i] : NULL;
}

int
pki_bundle_is_signed(const struct pki_bundle *b)
{
	size_t i;

	if (b->n == 0)
		return 0;
	for (i = 0; i < b->n; i++)
		if (b->v[i]->cert == NULL)
			return 0;
	return 1;
}

/* Any certificate or CA at all: then the bundle must be wholly signed. */
static int
has_signing(const struct pki_bundle *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i]->cert != NULL)
			return 1;
	return b->nca > 0;
}

/* ---- checks shared by the constructor and the reader -------------------- */

/* Checks the header fields; `what` starts messages ("bundle 'x.yaml'"). */
static int
check_header(const char *what, const char *profiles, const char *cluster,
	const char *node, long long created, struct pki_err *err)
{
	char clean[128];

	if (!pki_set_name_valid(profiles, BUNDLE_MAX_SET)) {
		pki_text_sanitize(profiles, clean, sizeof(clean));
		return pki_err_set(err, PKI_E_INVALID,
			"%s: profile set '%s' is not a set name ([a-z0-9][a-z0-9.-]*, "
			"at most %d bytes, not ending in .yaml)",
			what, clean, BUNDLE_MAX_SET);
	}
	if (cluster[0] == '\0' || strlen(cluster) > BUNDLE_MAX_TEXT ||
	    !pki_text_is_clean(cluster, strlen(cluster), 0)) {
		pki_text_sanitize(cluster, clean, sizeof(clean));
		return pki_err_set(err, PKI_E_INVALID,
			"%s: cluster name '%s' is empty, longer than %d bytes or holds "
			"control characters",
			what, clean, BUNDLE_MAX_TEXT);
	}
	if (node[0] != '\0' && !pki_dns1123_subdomain(node, 0)) {
		pki_text_sanitize(node, clean, sizeof(clean));
		return pki_err_set(err, PKI_E_INVALID,
			"%s: node name '%s' is not an RFC 1123 subdomain", what, clean);
	}
	if (created < 0 || created > BUNDLE_MAX_TIME)
		return pki_err_set(err, PKI_E_INVALID,
			"%s: creation time %lld is outside 1970 to 9999", what, created);
	return 0;
}

static char *
target_path(const struct pki_profile *p, struct pki_err *err)
{
	const char *base = pki_profile_path(p);
	size_t n = strlen(base);
	char *s;

	if (pki_profile_kind(p) == PKI_PROFILE_KUBECONFIG)
		return pki_strdup(base, err);
	s = malloc(n + sizeof(".crt"));
	if (s == NULL) {
		pki_err_nomem(err);
		return NULL;
	}
	memcpy(s, base, n);
	memcpy(s + n, ".crt", sizeof(".crt"));
	return s;
}

static struct pki_bundle_entry *
find_entry(const struct pki_bundle *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->v[i]->name, name) == 0)
			return b->v[i];
	return NULL;
}

/* Takes e (freed on failure). */
static int
push_entry(struct pki_bundle *b, struct pki_bundle_entry *e, struct pki_err *err)
{
	if (pki_grow((void **)&b->v, &b->cap, b->n + 1, sizeof(*b->v), err) != 0) {
		entry_free(e);
		return -1;
	}
	b->v[b->n++] = e;
	return 0;
}

/* A certificate's subject or issuer as clean text, for messages. */
static void
cert_dn(const struct pki_cert *cert, int issuer, char *out, size_t cap)
{
	gnutls_datum_t dn = { NULL, 0 };
	char *s = NULL;
	int r;

	r = issuer ? gnutls_x509_crt_get_issuer_dn3(pki_cert_gnutls(cert), &dn, 0)
		   : gnutls_x509_crt_get_dn3(pki_cert_gnutls(cert), &dn, 0);
	if (r == 0)
		s = pki_strdup_clean((const char *)dn.data, dn.size, NULL);
	pki_text_sanitize(s != NULL ? s : "?", out, cap);
	free(s);
	gnutls_free(dn.data);
}

/* A copy of its own, parsed from the DER as any reader would; `name` is
 * how messages about it name it. */
static int
cert_copy(const struct pki_cert *cert, const char *name, struct pki_cert **out,
	struct pki_err *err)
{
	const unsigned char *der;
	size_t len;

	der = pki_cert_der(cert, &len);
	return pki_cert_parse(der, len, name, out, err);
}

static int
same_der(const struct pki_cert *a, const struct pki_cert *b)
{
	const unsigned char *da, *db;
	size_t la, lb;

	da = pki_cert_der(a, &la);
	db = pki_cert_der(b, &lb);
	return la == lb && memcmp(da, db, la) == 0;
}

/*
 * An entry's certificate is never a CA, and certifies the key of the
 * entry's own request: the SHA-256 of the SubjectPublicKeyInfo of both
 * must be equal (a CSR for another key, or of another type, cannot pass).
 */
static int
check_entry_cert(const char *where, const struct pki_bundle_entry *e,
	const struct pki_cert *cert, struct pki_err *err)
{
	unsigned char a[32], c[32];

	if (pki_cert_is_ca(cert))
		return pki_err_set(err, PKI_E_INVALID,
			"%s: 'certificate' is a CA certificate (basicConstraints cA is true): "
			"an entry's certificate never is",
			where);
	if (pki_cert_public_id(cert, a, err) != 0 || pki_csr_public_id(e->csr, c, err) != 0)
		return pki_err_prefix(err, "%s", where);
	if (memcmp(a, c, sizeof(a)) != 0)
		return pki_err_set(err, PKI_E_INVALID,
			"%s: 'certificate' is for another public key than the entry's 'csr'", where);
	return 0;
}

/*
 * One of the bundle's CAs signed cert. Otherwise the message names the
 * issuer, or, when a CA of the issuer's name is listed, says why its
 * signature does not hold (another CA of the same name, a bad signature).
 */
static int
check_issued(const char *where, const struct pki_bundle *b, const struct pki_cert *cert,
	struct pki_err *err)
{
	gnutls_datum_t iss = { NULL, 0 }, subj;
	struct pki_err e1, named;
	char dn[256];
	size_t i;
	int found = 0, ret = -1;

	if (gnutls_x509_crt_get_raw_issuer_dn(pki_cert_gnutls(cert), &iss) < 0) {
		iss.data = NULL;
		iss.size = 0;
	}
	pki_err_clear(&named);
	for (i = 0; i < b->nca; i++) {
		pki_err_clear(&e1);
		if (pki_cert_verify_signed_by(cert, b->ca[i], &e1) == 0) {
			ret = 0;
			goto out;
		}
		if (found || iss.data == NULL ||
		    gnutls_x509_crt_get_raw_dn(pki_cert_gnutls(b->ca[i]), &subj) < 0)
			continue;
		if (subj.size == iss.size && memcmp(subj.data, iss.data, iss.size) == 0) {
			named = e1;
			found = 1;
		}
		gnutls_free(subj.data);
	}
	if (found) {
		pki_err_set(err, named.code, "%s: %s", where, named.msg);
	} else {
		cert_dn(cert, 1, dn, sizeof(dn));
		pki_err_set(err, PKI_E_INVALID,
			"%s: 'certificate' is issued by '%s', which is none of the "
			"'ca-certificates'",
			where, dn);
	}
out:
	gnutls_free(iss.data);
	return ret;
}

/* ---- construction ------------------------------------------------------- */

int
pki_bundle_new(const char *profiles, const char *cluster, const char *node,
	time_t created, struct pki_bundle **out, struct pki_err *err)
{
	struct pki_bundle *b = NULL;
	int ret = -1;

	*out = NULL;
	if (node == NULL)
		node = "";
	if (profiles == NULL || cluster == NULL) {
		pki_err_set(err, PKI_E_USAGE, "bundle: no profile set or cluster name given");
		goto out;
	}
	if (check_header("bundle", profiles, cluster, node, (long long)created, err) != 0)
		goto out;
	b = pki_calloc(1, sizeof(*b), err);
	if (b == NULL)
		goto out;
	b->created = created;
	if ((b->profiles = pki_strdup(profiles, err)) == NULL ||
	    (b->cluster = pki_strdup(cluster, err)) == NULL ||
	    (b->node = pki_strdup(node, err)) == NULL)
		goto out;
	*out = b;
	b = NULL; /* transferred */
	ret = 0;
out:
	pki_bundle_free(b);
	return ret;
}

int
pki_bundle_add(struct pki_bundle *b, const struct pki_profile *p, const struct pki_csr *csr,
	struct pki_err *err)
{
	struct pki_bundle_entry *e = NULL;
	const unsigned char *der;
	size_t len;
	char what[128];
	int ret = -1;

	if (pki_profile_kind(p) == PKI_PROFILE_CA)
		return pki_err_set(err, PKI_E_USAGE,
			"bundle: profile '%s' is a CA: a bundle requests no CA certificate",
			pki_profile_name(p));
	if (find_entry(b, pki_profile_name(p)) != NULL)
		return pki_err_set(err, PKI_E_EXISTS, "bundle: entry '%s' is already there",
			pki_profile_name(p));
	if (b->n >= PKI_BUNDLE_MAX_ENTRIES)
		return pki_err_set(err, PKI_E_LIMIT, "bundle: more than %d entries",
			PKI_BUNDLE_MAX_ENTRIES);
	e = pki_calloc(1, sizeof(*e), err);
	if (e == NULL)
		goto out;
	e->loc = pki_profile_location(p);
	if ((e->name = pki_strdup(pki_profile_name(p), err)) == NULL ||
	    (e->path = target_path(p, err)) == NULL)
		goto out;
	/* a copy of its own, parsed from the DER as any reader would */
	der = pki_csr_der(csr, &len);
	(void)snprintf(what, sizeof(what), "bundle entry %s", e->name);
	if (pki_csr_parse(der, len, what, &e->csr, err) != 0)
		goto out;
	ret = push_entry(b, e, err);
	e = NULL; /* taken */
out:
	entry_free(e);
	return ret;
}

int
pki_bundle_set_certificate(struct pki_bundle *b, size_t i, const struct pki_cert *cert,
	struct pki_err *err)
{
	struct pki_cert *copy = NULL;
	char where[128];
	int ret = -1;

	if (i >= b->n)
		return pki_err_set(err, PKI_E_USAGE, "bundle: no entry %zu (it has %zu)", i,
			b->n);
	(void)snprintf(where, sizeof(where), "bundle: entry '%s'", b->v[i]->name);
	if (cert_copy(cert, b->v[i]->name, &copy, err) != 0) {
		pki_err_prefix(err, "%s", where);
		goto out;
	}
	if (check_entry_cert(where, b->v[i], copy, err) != 0)
		goto out;
	pki_cert_free(b->v[i]->cert);
	b->v[i]->cert = copy;
	copy = NULL; /* transferred */
	ret = 0;
out:
	pki_cert_free(copy);
	return ret;
}

int
pki_bundle_add_ca(struct pki_bundle *b, const struct pki_cert *ca, struct pki_err *err)
{
	struct pki_cert *copy = NULL;
	char dn[256], name[48];
	size_t i;
	int ret = -1;

	for (i = 0; i < b->nca; i++)
		if (same_der(b->ca[i], ca))
			return 0;
	if (!pki_cert_is_ca(ca)) {
		cert_dn(ca, 0, dn, sizeof(dn));
		return pki_err_set(err, PKI_E_INVALID,
			"bundle: CA certificate '%s' is not a CA (basicConstraints cA is not "
			"true, RFC 5280 4.2.1.9)",
			dn);
	}
	if (b->nca >= BUNDLE_MAX_CAS)
		return pki_err_set(err, PKI_E_LIMIT, "bundle: more than %d CA certificates",
			BUNDLE_MAX_CAS);
	(void)snprintf(name, sizeof(name), "ca-certificates[%zu]", b->nca);
	if (cert_copy(ca, name, &copy, err) != 0 ||
	    pki_grow((void **)&b->ca, &b->cap_ca, b->nca + 1, sizeof(*b->ca), err) != 0)
		goto out;
	b->ca[b->nca++] = copy;
	copy = NULL; /* transferred */
	ret = 0;
out:
	pki_cert_free(copy);
	return ret;
}

/* ---- reading ------------------------------------------------------------ */

struct rd {
	const char *name;	/* as the caller named the input */
	const char *what;	/* "bundle 'x.yaml'", sanitized */
	struct pki_err *err;
};

/* A scalar field as clean text (no control characters). A plain null is
 * taken as "" only where null_ok. */
static int
get_text(struct rd *r, const struct pki_ynode *map, const char *key, const char *where,
	int null_ok, const char **out)
{
	const struct pki_ynode *n = pki_ymap_get(map, key);

	*out = NULL;
	if (n == NULL)
		return pki_err_set(r->err, PKI_E_PARSE, "%s: line %u: missing '%s'", where,
			map->line, key);
	if (n->type != PKI_Y_SCALAR)
		return pki_err_set(r->err, PKI_E_PARSE, "%s: line %u: '%s' must be a value",
			where, n->line, key);
	if (pki_ynode_is_null(n)) {
		if (!null_ok)
			return pki_err_set(r->err, PKI_E_PARSE, "%s: line %u: '%s' is empty",
				where, n->line, key);
		*out = "";
		return 0;
	}
	if (!pki_text_is_clean(n->str, n->len, 0))
		return pki_err_set(r->err, PKI_E_PARSE,
			"%s: line %u: '%s' holds control characters or invalid UTF-8", where,
			n->line, key);
	*out = n->str;
	return 0;
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* What a PEM field must hold. */
struct pem_want {
	const char *noun;	/* "certificate request" */
	const char *label;	/* "CERTIFICATE REQUEST" */
	const char *old_label;	/* also read, or NULL */
	const char *malformed;	/* "malformed certificate request (RFC 2986 4)" */
};

static const struct pem_want want_csr = { "certificate request", PEM_CSR_LABEL,
	"NEW CERTIFICATE REQUEST", "malformed certificate request (RFC 2986 4)" };
static const struct pem_want want_cert = { "certificate", PEM_CERT_LABEL, NULL,
	"malformed certificate (RFC 5280 4.1)" };

/*
 * A PEM field (`field` of `where`): exactly one block of the wanted kind
 * and nothing but blanks around it; its DER into *der. A private key
 * anywhere in it is named as such (its text is never quoted).
 */
static int
read_block(struct rd *r, const struct pki_ynode *n, const char *where, const char *field,
	const struct pem_want *w, struct pki_buf *der)
{
	const unsigned char *s = (const unsigned char *)n->str;
	struct pki_pem blk, first;
	size_t pos = 0, end = 0, i, nblocks = 0;
	const char *kind;
	char what[600];
	int got, key = 0;

	(void)snprintf(what, sizeof(what), "%s: '%s'", where, field);
	if (n->type != PKI_Y_SCALAR)
		return pki_err_set(r->err, PKI_E_PARSE, "%s: line %u: '%s' must be a value",
			where, n->line, field);
	memset(&first, 0, sizeof(first));
	while ((got = pki_pem_next(s, n->len, &pos, &blk, what, r->err)) == 1) {
		kind = pki_pem_label_kind(blk.label);
		if (kind != NULL && strcmp(kind, "a private key") == 0)
			key = 1;
		if (nblocks++ == 0) {
			first = blk;
			end = pos;
		}
	}
	if (key)
		/* before any other complaint: this is the one that matters */
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s holds a private key: a bundle never carries one (the key stays "
			"on the node)",
			what);
	if (got < 0)
		return -1;
	if (nblocks == 0)
		return pki_err_set(r->err, PKI_E_PARSE, "%s: line %u: no PEM %s (RFC 7468)", what,
			n->line, w->noun);
	if (nblocks > 1)
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s holds %zu PEM blocks, not exactly one %s", what, nblocks, w->noun);
	if (strcmp(first.label, w->label) != 0 &&
	    (w->old_label == NULL || strcmp(first.label, w->old_label) != 0)) {
		kind = pki_pem_label_kind(first.label);
		if (kind != NULL)
			return pki_err_set(r->err, PKI_E_INVALID, "%s is %s, not a %s", what, kind,
				w->noun);
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s is a PEM block of another kind, not a %s", what, w->noun);
	}
	/* blanks only before BEGIN and after END */
	for (i = 0; i < n->len && is_blank(s[i]); i++)
		;
	if (i + 11 > n->len || memcmp(s + i, "-----BEGIN ", 11) != 0)
		return pki_err_set(r->err, PKI_E_PARSE, "%s: text before the PEM block", what);
	for (i = end; i < n->len && is_blank(s[i]); i++)
		;
	if (i != n->len)
		return pki_err_set(r->err, PKI_E_PARSE, "%s: text after the PEM block", what);
	if (first.has_headers)
		return pki_err_set(r->err, PKI_E_PARSE, "%s: unexpected headers in the PEM block",
			what);
	if (pki_pem_decode(&first, what, der, r->err) != 0)
		return -1;
	if (der->len == 0 || der->data[0] != 0x30)
		return pki_err_set(r->err, PKI_E_PARSE, "%s: %s", what, w->malformed);
	return 0;
}

/* The csr field: one certificate request. */
static int
read_csr(struct rd *r, const struct pki_ynode *n, const char *where, const char *ename,
	struct pki_csr **out)
{
	struct pki_buf der = { 0 };
	char what[600];
	int ret = -1;

	*out = NULL;
	if (read_block(r, n, where, "csr", &want_csr, &der) != 0)
		goto out;
	/* later messages about the request (kpki-sign's) name bundle and entry */
	(void)snprintf(what, sizeof(what), "%s: %s", r->name, ename);
	if (pki_csr_parse(der.data, der.len, what, out, r->err) != 0) {
		pki_err_prefix(r->err, "%s", where);
		goto out;
	}
	ret = 0;
out:
	pki_buf_free(&der);
	return ret;
}

/* A certificate field (an entry's `certificate`, an item of
 * `ca-certificates`): one certificate, named `name` in later messages. */
static int
read_cert(struct rd *r, const struct pki_ynode *n, const char *where, const char *field,
	const char *name, struct pki_cert **out)
{
	struct pki_buf der = { 0 };
	int ret = -1;

	*out = NULL;
	if (read_block(r, n, where, field, &want_cert, &der) != 0)
		goto out;
	if (pki_cert_parse(der.data, der.len, name, out, r->err) != 0) {
		pki_err_prefix(r->err, "%s", where);
		goto out;
	}
	ret = 0;
out:
	pki_buf_free(&der);
	return ret;
}

/*
 * A signed bundle's `ca-certificates`: a list of 1 to BUNDLE_MAX_CAS
 * items, each one PEM certificate of a CA, none repeated. Read before the
 * entries, whose certificates must be issued by one of them.
 */
static int
read_cas(struct rd *r, const struct pki_ynode *root, struct pki_bundle *b)
{
	const struct pki_ynode *list = pki_ymap_get(root, "ca-certificates");
	struct pki_cert *c = NULL;
	char field[48], dn[256];
	size_t i, j;
	int ret = -1;

	if (list == NULL)
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s: missing 'ca-certificates': the entries have certificates, and a "
			"signed bundle lists the CAs they are issued by",
			r->what);
	if (list->type != PKI_Y_SEQ)
		return pki_err_set(r->err, PKI_E_PARSE,
			"%s: line %u: 'ca-certificates' must be a list of PEM certificates",
			r->what, list->line);
	if (list->n == 0)
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s: line %u: 'ca-certificates' is empty: a signed bundle lists the CAs "
			"its certificates are issued by",
			r->what, list->line);
	if (list->n > BUNDLE_MAX_CAS)
		return pki_err_set(r->err, PKI_E_LIMIT, "%s: line %u: more than %d CA certificates",
			r->what, list->line, BUNDLE_MAX_CAS);
	for (i = 0; i < list->n; i++) {
		(void)snprintf(field, sizeof(field), "ca-certificates[%zu]", i);
		if (read_cert(r, list->items[i], r->what, field, field, &c) != 0)
			goto out;
		if (!pki_cert_is_ca(c)) {
			cert_dn(c, 0, dn, sizeof(dn));
			pki_err_set(r->err, PKI_E_INVALID,
				"%s: '%s' ('%s') is not a CA certificate (basicConstraints cA is "
				"not true, RFC 5280 4.2.1.9)",
				r->what, field, dn);
			goto out;
		}
		for (j = 0; j < b->nca; j++)
			if (same_der(b->ca[j], c)) {
				pki_err_set(r->err, PKI_E_INVALID,
					"%s: '%s' repeats 'ca-certificates[%zu]'", r->what, field,
					j);
				goto out;
			}
		if (pki_grow((void **)&b->ca, &b->cap_ca, b->nca + 1, sizeof(*b->ca), r->err) !=
			0)
			goto out;
		b->ca[b->nca++] = c;
		c = NULL; /* transferred */
	}
	ret = 0;
out:
	pki_cert_free(c);
	return ret;
}

static int
loc_parse(const char *s, enum pki_profile_location *out)
{
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(loc_names); i++)
		if (strcmp(s, loc_names[i]) == 0) {
			*out = (enum pki_profile_location)i;
			return 0;
		}
	return -1;
}

static int
read_entry(struct rd *r, struct pki_bundle *b, const struct pki_profile_set *set,
	const struct pki_ynode *map, size_t idx, int is_signed)
{
	static const char *const keys[] = { "name", "location", "path", "csr", "certificate",
		NULL };
	const struct pki_ynode *cn;
	struct pki_bundle_entry *e = NULL;
	const struct pki_profile *p;
	const char *name, *loc, *path;
	char where[512], where_key[160], clean[128], target_clean[128];
	enum pki_profile_location lv;
	char *target = NULL;
	int ret = -1;

	(void)snprintf(where, sizeof(where), "%s: entries[%zu]", r->what, idx);
	if (map->type != PKI_Y_MAP)
		return pki_err_set(r->err, PKI_E_PARSE, "%s: line %u: an entry must be a mapping",
			where, map->line);
	if (get_text(r, map, "name", where, 0, &name) != 0)
		return -1;
	pki_text_sanitize(name, clean, sizeof(clean));
	(void)snprintf(where, sizeof(where), "%s: entry '%s'", r->what, clean);
	(void)snprintf(where_key, sizeof(where_key), "entry '%s'", clean);
	if (pki_ymap_check_keys(map, keys, r->what, where_key, r->err) != 0)
		return -1;
	if (find_entry(b, name) != NULL)
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s: line %u: a second entry for the same profile", where, map->line);
	p = pki_profile_set_find(set, name);
	if (p == NULL)
		return pki_err_set(r->err, PKI_E_INVALID, "%s: no profile '%s' in set '%s'",
			where, clean, pki_profile_set_name(set));
	if (pki_profile_kind(p) == PKI_PROFILE_CA)
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s: profile '%s' is a CA: a bundle requests no CA certificate", where,
			clean);
	if (get_text(r, map, "location", where, 0, &loc) != 0 ||
	    get_text(r, map, "path", where, 0, &path) != 0)
		return -1;
	if (loc_parse(loc, &lv) != 0) {
		pki_text_sanitize(loc, clean, sizeof(clean));
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s: location '%s' is not cert-dir, kubeconfig-dir or kubelet-dir", where,
			clean);
	}
	if (lv != pki_profile_location(p))
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s: location '%s' is not the profile's location '%s'", where, loc,
			loc_names[pki_profile_location(p)]);
	target = target_path(p, r->err);
	if (target == NULL)
		goto out;
	/* exact equality leaves no room for "..", absolute paths or NULs */
	if (strcmp(path, target) != 0) {
		pki_text_sanitize(path, clean, sizeof(clean));
		pki_text_sanitize(target, target_clean, sizeof(target_clean));
		pki_err_set(r->err, PKI_E_INVALID, "%s: path '%s' is not the profile's target '%s'",
			where, clean, target_clean);
		goto out;
	}
	if (pki_ymap_get(map, "csr") == NULL) {
		pki_err_set(r->err, PKI_E_PARSE, "%s: line %u: missing 'csr'", where, map->line);
		goto out;
	}
	e = pki_calloc(1, sizeof(*e), r->err);
	if (e == NULL)
		goto out;
	e->loc = lv;
	e->path = target;
	target = NULL; /* transferred */
	if ((e->name = pki_strdup(name, r->err)) == NULL)
		goto out;
	if (read_csr(r, pki_ymap_get(map, "csr"), where, e->name, &e->csr) != 0)
		goto out;
	if (is_signed) {
		/* all or nothing: a partly signed bundle names its first gap */
		cn = pki_ymap_get(map, "certificate");
		if (cn == NULL) {
			pki_err_set(r->err, PKI_E_INVALID,
				"%s: line %u: missing 'certificate': in a signed bundle every "
				"entry has one",
				where, map->line);
			goto out;
		}
		if (read_cert(r, cn, where, "certificate", e->name, &e->cert) != 0 ||
		    check_entry_cert(where, e, e->cert, r->err) != 0 ||
		    check_issued(where, b, e->cert, r->err) != 0)
			goto out;
	}
	ret = push_entry(b, e, r->err);
	e = NULL; /* taken */
out:
	free(target);
	entry_free(e);
	return ret;
}

static int
read_header(struct rd *r, const struct pki_ynode *root, struct pki_bundle *b)
{
	static const char *const keys[] = { "kpki-bundle", "profiles", "cluster", "node",
		"created", "entries", "ca-certificates", NULL };
	const struct pki_ynode *ver;
	const char *profiles, *cluster, *node, *created;
	char clean[64];

	/* the version first: a newer bundle gets that answer, not "unknown key" */
	ver = pki_ymap_get(root, "kpki-bundle");
	if (ver == NULL)
		return pki_err_set(r->err, PKI_E_PARSE,
			"%s: missing 'kpki-bundle' (not a kpki CSR bundle)", r->what);
	if (ver->type != PKI_Y_SCALAR || strcmp(ver->str, BUNDLE_VERSION) != 0) {
		pki_text_sanitize(ver->type == PKI_Y_SCALAR ? ver->str : "", clean, sizeof(clean));
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s: line %u: format version '%s' is not supported (this version "
			"reads %s)",
			r->what, ver->line, clean, BUNDLE_VERSION);
	}
	if (pki_ymap_check_keys(root, keys, r->what, "the bundle", r->err) != 0)
		return -1;
	if (get_text(r, root, "profiles", r->what, 0, &profiles) != 0 ||
	    get_text(r, root, "cluster", r->what, 0, &cluster) != 0 ||
	    get_text(r, root, "node", r->what, 1, &node) != 0 ||
	    get_text(r, root, "created", r->what, 0, &created) != 0)
		return -1;
	if (pki_time_parse_rfc3339(created, 1970, &b->created) != 0) {
		pki_text_sanitize(created, clean, sizeof(clean));
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s: created '%s' is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)",
			r->what, clean);
	}
	if (check_header(r->what, profiles, cluster, node, (long long)b->created, r->err) != 0)
		return -1;
	if ((b->profiles = pki_strdup(profiles, r->err)) == NULL ||
	    (b->cluster = pki_strdup(cluster, r->err)) == NULL ||
	    (b->node = pki_strdup(node, r->err)) == NULL)
		return -1;
	return 0;
}

int
pki_bundle_parse(const unsigned char *data, size_t len, const char *name,
	const struct pki_profile_set *set, struct pki_bundle **out, struct pki_err *err)
{
	struct pki_profile_set *own = NULL;
	struct pki_ynode **docs = NULL;
	struct pki_bundle *b = NULL;
	const struct pki_ynode *root, *entries;
	char clean[256], what[300];
	struct rd r;
	size_t ndocs = 0, i;
	int ret = -1, is_signed;

	*out = NULL;
	pki_text_sanitize(name, clean, sizeof(clean));
	(void)snprintf(what, sizeof(what), "bundle '%s'", clean);
	r.name = name;
	r.what = what;
	r.err = err;
	if (len > PKI_CAP_YAML)
		return pki_err_set(err, PKI_E_LIMIT, "%s: larger than %u bytes", what,
			PKI_CAP_YAML);
	/* wherever it hides (a comment too): never accepted, never echoed */
	if (memmem(data, len, "PRIVATE KEY-----", 16) != NULL)
		return pki_err_set(err, PKI_E_INVALID,
			"%s: holds a private key: a bundle never carries one (the key stays "
			"on the node)",
			what);
	if (pki_yaml_parse(data, len, what, &bundle_ylimits, &docs, &ndocs, err) != 0)
		goto out;
	if (ndocs != 1 || docs[0]->type != PKI_Y_MAP) {
		pki_err_set(err, PKI_E_PARSE, "%s: not one YAML mapping (kpki-bundle(5))", what);
		goto out;
	}
	root = docs[0];
	b = pki_calloc(1, sizeof(*b), err);
	if (b == NULL || read_header(&r, root, b) != 0)
		goto out;
	if (pki_yget_seq(root, "entries", 1, what, &entries, err) != 0)
		goto out;
	if (entries->n == 0) {
		pki_err_set(err, PKI_E_INVALID, "%s: line %u: no entries", what, entries->line);
		goto out;
	}
	if (entries->n > PKI_BUNDLE_MAX_ENTRIES) {
		pki_err_set(err, PKI_E_LIMIT, "%s: line %u: more than %d entries", what,
			entries->line, PKI_BUNDLE_MAX_ENTRIES);
		goto out;
	}
	if (set == NULL) {
		/* by name only (pki_set_name_valid refused anything like a path) */
		if (pki_profile_set_load(b->profiles, &own, err) != 0) {
			pki_err_prefix(err, "%s", what);
			goto out;
		}
		set = own;
	}
	if (strcmp(pki_profile_set_name(set), b->profiles) != 0) {
		pki_err_set(err, PKI_E_INVALID, "%s: profile set '%s' is not the expected '%s'",
			what, b->profiles, pki_profile_set_name(set));
		goto out;
	}
	/* signed when anything says so; then it must be wholly signed */
	is_signed = pki_ymap_get(root, "ca-certificates") != NULL;
	for (i = 0; i < entries->n; i++)
		if (pki_ymap_get(entries->items[i], "certificate") != NULL)
			is_signed = 1;
	if (is_signed && read_cas(&r, root, b) != 0)
		goto out;
	for (i = 0; i < entries->n; i++)
		if (read_entry(&r, b, set, entries->items[i], i, is_signed) != 0)
			goto out;
	*out = b;
	b = NULL; /* transferred */
	ret = 0;
out:
	pki_bundle_free(b);
	pki_profile_set_free(own);
	pki_ydocs_free(docs, ndocs);
	return ret;
}

int
pki_bundle_load(const char *path, const struct pki_profile_set *set,
	struct pki_bundle **out, struct pki_err *err)
{
	struct pki_buf buf = { 0 };
	int ret;

	*out = NULL;
	if (pki_file_read(path, "bundle", PKI_CAP_YAML, PKI_READ_STDIN, &buf, err) != 0)
		return -1;
	ret = pki_bundle_parse(buf.data, buf.len, path, set, out, err);
	pki_buf_free(&buf);
	return ret;
}

/* ---- writing ------------------------------------------------------------ */

/* RFC 7468 strict form: 64 columns, LF, each line indented for the block
 * scalar. */
static int
write_pem(struct pki_buf *out, const unsigned char *der, size_t len, const char *label,
	const char *indent, struct pki_err *err)
{
	struct pki_buf b64 = { 0 };
	size_t off;
	int ret = -1;

	if (pki_base64_encode(der, len, &b64, err) != 0)
		goto out;
	if (pki_buf_printf(out, err, "%s-----BEGIN %s-----\n", indent, label) != 0)
		goto out;
	for (off = 0; off < b64.len; off += 64) {
		size_t n = b64.len - off < 64 ? b64.len - off : 64;

		if (pki_buf_printf(out, err, "%s%.*s\n", indent, (int)n, b64.data + off) != 0)
			goto out;
	}
	if (pki_buf_printf(out, err, "%s-----END %s-----\n", indent, label) != 0)
		goto out;
	ret = 0;
out:
	pki_buf_free(&b64);
	return ret;
}

static int
write_field(struct pki_buf *out, const char *prefix, const char *key, const char *value,
	struct pki_err *err)
{
	if (pki_buf_printf(out, err, "%s%s: ", prefix, key) != 0 ||
	    pki_yaml_str(out, value, err) != 0 || pki_buf_append(out, "\n", 1, err) != 0)
		return -1;
	return 0;
}

/* A signed bundle is written whole or not at all: what it writes must read
 * back (pki_bundle_parse refuses a partly signed bundle). */
static int
check_signed_whole(const struct pki_bundle *b, struct pki_err *err)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i]->cert == NULL)
			return pki_err_set(err, PKI_E_USAGE,
				"bundle: entry '%s' has no certificate: a signed bundle has one "
				"for every entry",
				b->v[i]->name);
	if (b->nca == 0)
		return pki_err_set(err, PKI_E_USAGE,
			"bundle: no CA certificate: a signed bundle lists the CAs its "
			"certificates are issued by");
	return 0;
}

int
pki_bundle_write(const struct pki_bundle *b, struct pki_buf *out, struct pki_err *err)
{
	struct pki_buf tmp = { 0 };
	const unsigned char *der;
	char created[32];
	size_t i, len;
	int ret = -1, is_signed;

	if (b->n == 0)
		return pki_err_set(err, PKI_E_USAGE, "bundle: no entries to write");
	is_signed = has_signing(b);
	if (is_signed && check_signed_whole(b, err) != 0)
		return -1;
	pki_time_rfc3339(b->created, created);
	if (pki_buf_printf(&tmp, err, "%s",
		    is_signed ? "# A signed kpki bundle (kpki-bundle(5)): certificate requests, "
				"their\n"
				"# certificates and the CA certificates. It holds no private "
				"key.\n"
			      : "# A kpki CSR bundle (kpki-bundle(5)). It holds certificate "
				"requests\n"
				"# only: the private keys stay on the node.\n") != 0 ||
	    write_field(&tmp, "", "kpki-bundle", BUNDLE_VERSION, err) != 0 ||
	    write_field(&tmp, "", "profiles", b->profiles, err) != 0 ||
	    write_field(&tmp, "", "cluster", b->cluster, err) != 0 ||
	    write_field(&tmp, "", "node", b->node, err) != 0 ||
	    write_field(&tmp, "", "created", created, err) != 0 ||
	    pki_buf_printf(&tmp, err, "entries:\n") != 0)
		goto out;
	for (i = 0; i < b->n; i++) {
		const struct pki_bundle_entry *e = b->v[i];

		if (write_field(&tmp, "  - ", "name", e->name, err) != 0 ||
		    write_field(&tmp, "    ", "location", loc_names[e->loc], err) != 0 ||
		    write_field(&tmp, "    ", "path", e->path, err) != 0 ||
		    pki_buf_printf(&tmp, err, "    csr: |\n") != 0)
			goto out;
		der = pki_csr_der(e->csr, &len);
		if (write_pem(&tmp, der, len, PEM_CSR_LABEL, "      ", err) != 0)
			goto out;
		if (e->cert == NULL)
			continue;
		der = pki_cert_der(e->cert, &len);
		if (pki_buf_printf(&tmp, err, "    certificate: |\n") != 0 ||
		    write_pem(&tmp, der, len, PEM_CERT_LABEL, "      ", err) != 0)
			goto out;
	}
	if (b->nca > 0 && pki_buf_printf(&tmp, err, "ca-certificates:\n") != 0)
		goto out;
	for (i = 0; i < b->nca; i++) {
		der = pki_cert_der(b->ca[i], &len);
		if (pki_buf_printf(&tmp, err, "  - |\n") != 0 ||
		    write_pem(&tmp, der, len, PEM_CERT_LABEL, "    ", err) != 0)
			goto out;
	}
	ret = pki_buf_append(out, tmp.data, tmp.len, err);
out:
	pki_buf_free(&tmp);
	return ret;
}

/* ---- fingerprint -------------------------------------------------------- */

static int
cmp_entries(const void *a, const void *b)
{
	const struct pki_bundle_entry *x = *(const struct pki_bundle_entry *const *)a;
	const struct pki_bundle_entry *y = *(const struct pki_bundle_entry *const *)b;

	return strcmp(x->name, y->name);
}

/*
 * The canonical text (kpki-bundle(5), FINGERPRINT): one "key SP value LF"
 * line per field in a fixed order, entries sorted by name, each CSR as the
 * base64 of its DER on one line. No value can hold a LF, so the text reads
 * back one way only.
 */
static int
canonical_text(const struct pki_bundle *b, struct pki_buf *out, struct pki_err *err)
{
	const struct pki_bundle_entry **v = NULL;
	struct pki_buf b64 = { 0 };
	const unsigned char *der;
	char created[32];
	size_t i, len;
	int ret = -1;

	v = pki_calloc(b->n, sizeof(*v), err);
	if (v == NULL)
		goto out;
	for (i = 0; i < b->n; i++)
		v[i] = b->v[i];
	if (b->n > 1)
		qsort(v, b->n, sizeof(*v), cmp_entries);
	pki_time_rfc3339(b->created, created);
	if (pki_buf_printf(out, err,
		    "kpki-bundle %s\nprofiles %s\ncluster %s\nnode %s\ncreated %s\n"
		    "entries %zu\n",
		    BUNDLE_VERSION, b->profiles, b->cluster, b->node, created, b->n) != 0)
		goto out;
	for (i = 0; i < b->n; i++) {
		der = pki_csr_der(v[i]->csr, &len);
		if (pki_base64_encode(der, len, &b64, err) != 0)
			goto out;
		if (pki_buf_printf(out, err, "name %s\nlocation %s\npath %s\ncsr ", v[i]->name,
			    loc_names[v[i]->loc], v[i]->path) != 0 ||
		    pki_buf_append(out, b64.data, b64.len, err) != 0 ||
		    pki_buf_append(out, "\n", 1, err) != 0)
			goto out;
		pki_buf_free(&b64);
	}
	ret = 0;
out:
	pki_buf_free(&b64);
	free(v);
	return ret;
}

int
pki_bundle_fingerprint(const struct pki_bundle *b, char out[72], struct pki_err *err)
{
	static const char hex[] = "0123456789abcdef";
	struct pki_buf text = { 0 };
	unsigned char md[32];
	size_t i;
	int ret = -1;

	out[0] = '\0';
	if (canonical_text(b, &text, err) != 0)
		goto out;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, text.data, text.len, md) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "bundle: cannot compute SHA-256");
		goto out;
	}
	memcpy(out, "SHA256:", 7);
	for (i = 0; i < sizeof(md); i++) {
		out[7 + i * 2] = hex[md[i] >> 4];
		out[7 + i * 2 + 1] = hex[md[i] & 15];
	}
	out[7 + 64] = '\0';
	ret = 0;
out:
	pki_buf_free(&text);
	return ret;
}
