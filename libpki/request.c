/*
 * request.c — a node's certificate requests: the plan (which profiles, what
 * subjects and SANs, where each key goes), then keys, CSRs and the bundle.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pki/bundle.h>
#include <pki/cert.h>
#include <pki/csr.h>
#include <pki/key.h>
#include <pki/kubeadm.h>
#include <pki/kubeconfig.h>
#include <pki/pkidir.h>
#include <pki/profile.h>
#include <pki/request.h>

#include "internal.h"

#define DEFAULT_CERT_DIR    "/etc/kubernetes/pki"
#define DEFAULT_KC_DIR	    "/etc/kubernetes"
#define DEFAULT_KUBELET_DIR "/var/lib/kubelet/pki"
#define DEFAULT_CLUSTER	    "kubernetes"

struct item {
	const struct pki_profile *p;
	char *cn;
	struct pki_names org, dns, ip;
	char *key_path;
	const char *key_how;	/* for the plan: why this key */
	int key_new;		/* made by this run */
	int staged;		/* key_path is in the staging directory */
	enum pki_key_type type; /* of a new key; asked for when r->type_src is set */
	struct pki_key *key;	/* a reused key (read when planning) or a new one */
	struct pki_csr *csr;
	int written;		/* the key file was written by this run */
};

struct pki_request {
	const struct pki_profile_set *set;
	char *cert_dir, *kc_dir, *kubelet_dir, *staging;
	char *cluster, *node;
	struct item *items;
	size_t n, cap;
	struct pki_names notes;
	struct pki_names not_requested; /* optional profiles left out */
	struct pki_names init_requested; /* optional profiles asked for because this
					  * node runs kubeadm init */
	/* what asked for the key type ("--key-type", the configuration's
	 * encryptionAlgorithm); empty when it is the certificate's */
	char type_src[320];
	int staging_fd;		 /* the staging directory, checked; -1 until opened */
	int lockfd[3];		 /* pki_pki_lock(), from the plan to the free */
	struct pki_names created; /* directories this run made, parents first */
	unsigned flags;
};

static void
item_clear(struct item *it)
{
	free(it->cn);
	pki_names_free(&it->org);
	pki_names_free(&it->dns);
	pki_names_free(&it->ip);
	free(it->key_path);
	pki_key_free(it->key);
	pki_csr_free(it->csr);
	memset(it, 0, sizeof(*it));
}

void
pki_request_free(struct pki_request *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		item_clear(&r->items[i]);
	free(r->items);
	free(r->cert_dir);
	free(r->kc_dir);
	free(r->kubelet_dir);
	free(r->staging);
	free(r->cluster);
	free(r->node);
	if (r->staging_fd >= 0)
		(void)close(r->staging_fd);
	for (i = 0; i < 3; i++)
		if (r->lockfd[i] >= 0)
			(void)close(r->lockfd[i]);
	pki_names_free(&r->notes);
	pki_names_free(&r->not_requested);
	pki_names_free(&r->init_requested);
	pki_names_free(&r->created);
	free(r);
}

const struct pki_names *
pki_request_notes(const struct pki_request *r)
{
	return &r->notes;
}

size_t
pki_request_count(const struct pki_request *r)
{
	return r->n;
}

/* "a, b, c", or "none" */
static void
join_names(const struct pki_names *n, char *out, size_t cap)
{
	size_t i, used = 0;

	out[0] = '\0';
	if (n->n == 0) {
		(void)snprintf(out, cap, "none");
		return;
	}
	for (i = 0; i < n->n && used < cap; i++) {
		int w = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", n->v[i]);

		if (w < 0 || (size_t)w >= cap - used) {
			if (cap > 4)
				(void)snprintf(out + cap - 4, 4, "...");
			return;
		}
		used += (size_t)w;
	}
}

static int
names_copy(struct pki_names *dst, const struct pki_names *src, struct pki_err *err)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		if (pki_names_add(dst, src->v[i], err) != 0)
			return -1;
	return 0;
}

/* ---- choosing profiles ---------------------------------------------------- */

static int
only_has(const struct pki_names *only, const char *name)
{
	return only != NULL && pki_names_contains(only, name);
}

/* Checks the names of --only against the set and the node; 0 or -1. */
static int
check_only(const struct pki_request_opts *o, unsigned role, struct pki_err *err)
{
	const char *set_name = pki_profile_set_name(o->set);
	size_t i;

	for (i = 0; o->only != NULL && i < o->only->n; i++) {
		const char *name = o->only->v[i];
		const struct pki_profile *p = pki_profile_set_find(o->set, name);
		char clean[128];

		pki_text_sanitize(name, clean, sizeof(clean));
		if (p == NULL)
			return pki_err_set(err, PKI_E_USAGE, "profile '%s': not in profile set '%s'",
				clean, set_name);
		if (pki_profile_kind(p) == PKI_PROFILE_CA)
			return pki_err_set(err, PKI_E_USAGE,
				"profile '%s': is a CA; CA certificates are never requested", clean);
		if (!(pki_profile_roles(p) & role))
			return pki_err_set(err, PKI_E_USAGE, "profile '%s': not for a %s node",
				clean, role == PKI_ROLE_WORKER ? "worker" : "control-plane");
		if (o->cfg != NULL && pki_profile_needs_local_etcd(p) &&
		    pki_kubeadm_external_etcd(o->cfg))
			return pki_err_set(err, PKI_E_USAGE,
				"profile '%s': needs a local etcd, but the configuration names an "
				"external one (etcd.external)",
				clean);
	}
	return 0;
}

/* 1 when this node needs a request for p. */
static int
wanted(const struct pki_request_opts *o, unsigned role, const struct pki_profile *p)
{
	enum pki_profile_kind kind = pki_profile_kind(p);
	int named = only_has(o->only, pki_profile_name(p));

	if (kind == PKI_PROFILE_CA || !(pki_profile_roles(p) & role))
		return 0;
	if (o->only != NULL && o->only->n > 0 && !named)
		return 0;
	/* the kubelet serving certificate only on demand */
	if (pki_profile_location(p) == PKI_LOC_KUBELET_DIR && !named)
		return 0;
	if (o->cfg != NULL && pki_profile_needs_local_etcd(p) && pki_kubeadm_external_etcd(o->cfg))
		return 0;
	return 1;
}

/* ---- keys ----------------------------------------------------------------- */

static int
check_ed25519(const struct pki_profile *p, enum pki_key_type type, const char *whose,
	struct pki_err *err)
{
	if (type == PKI_KEY_ED25519 && !pki_profile_allows_ed25519(p))
		return pki_err_set(err, PKI_E_INVALID,
			"profile '%s': %s is Ed25519, which the profile does not allow "
			"(kubeadm does not use Ed25519)",
			pki_profile_name(p), whose);
	return 0;
}

/* "RSA 1024", "ECDSA secp256k1": a key kpki-csr does not make */
static void
keyinfo_text(const struct pki_keyinfo *ki, char *out, size_t cap)
{
	if (ki->curve[0] != '\0')
		(void)snprintf(out, cap, "%s %s", ki->algo, ki->curve);
	else
		(void)snprintf(out, cap, "%s %u", ki->algo, ki->bits);
}

/* How a key is reused (see reuse_key()). */
enum reuse { REUSE_PENDING, REUSE_STAGED, REUSE_CURRENT };

/*
 * Loads a key this run reuses and checks that it may be: a key type
 * kubeadm accepts, the type asked for (unless the current key is kept on
 * purpose), and, for a staged key, not the key of the certificate in place
 * (cert, NULL when there is none), which a renewal would not replace.
 */
static int
reuse_key(struct pki_request *r, struct item *it, const char *path, enum reuse how,
	const struct pki_cert *cert, struct pki_err *err)
{
	static const char *const hows[] = { "pending request (no certificate yet), key reused",
		"staged key, reused", "current key, reused (--reuse-key)" };
	const char *name = pki_profile_name(it->p);
	enum pki_key_type type;
	struct pki_keyinfo ki;
	char qpath[PKI_QPATH_MAX], kt[48];
	int m;

	pki_path_quote(path, qpath, sizeof(qpath));
	if (pki_key_load(path, &it->key, err) != 0)
		return -1;
	pki_key_info(it->key, &ki);
	if (pki_keyinfo_acceptable(&ki, pki_profile_allows_ed25519(it->p), err) != 1)
		return pki_err_prefix(err, "profile '%s': key '%s'", name, qpath);
	if (r->type_src[0] != '\0' && how != REUSE_CURRENT &&
	    (pki_key_type_of(&ki, &type) != 0 || type != it->type)) {
		keyinfo_text(&ki, kt, sizeof(kt));
		return pki_err_set(err, PKI_E_INVALID,
			"profile '%s': key '%s' is %s, not the %s asked for by %s; remove it "
			"for a new key: rm '%s'",
			name, qpath, pki_key_type_of(&ki, &type) == 0 ? pki_key_type_name(type) : kt,
			pki_key_type_name(it->type), r->type_src, qpath);
	}
	if (how == REUSE_STAGED && cert != NULL) {
		if ((m = pki_cert_matches_key(cert, it->key, err)) < 0)
			return -1;
		if (m == 1)
			return pki_err_set(err, PKI_E_INVALID,
				"profile '%s': staged key '%s' is the key of the certificate in "
				"place, so a renewal with it would replace nothing; remove it for a "
				"new key: rm '%s'",
				name, qpath, qpath);
	}
	if ((it->key_path = pki_strdup(path, err)) == NULL)
		return -1;
	it->staged = how == REUSE_STAGED;
	it->key_how = hows[how];
	return 0;
}

static int
new_key(struct item *it, const char *path, int staged, const char *how, struct pki_err *err)
{
	if ((it->key_path = pki_strdup(path, err)) == NULL)
		return -1;
	it->key_new = 1;
	it->staged = staged;
	it->key_how = how;
	return 0;
}

/* The key of a staged request: reused if it is there. */
static int
staged_key(struct pki_request *r, struct item *it, const struct pki_cert *cert,
	struct pki_err *err)
{
	char *path = NULL, file[NAME_MAX + 1];
	int ret = -1, e;

	if (snprintf(file, sizeof(file), "%s.key", pki_profile_name(it->p)) >= (int)sizeof(file)) {
		pki_err_set(err, PKI_E_LIMIT, "profile '%s': name too long", pki_profile_name(it->p));
		goto out;
	}
	if (pki_path_join(&path, r->staging, file, err) != 0 ||
	    (e = pki_file_exists(path, err)) < 0)
		goto out;
	if (e)
		ret = reuse_key(r, it, path, REUSE_STAGED, cert, err);
	else
		ret = new_key(it, path, 1, "new key, staged", err);
out:
	free(path);
	return ret;
}

/* The directory a cert-dir or kubelet-dir profile's files are in. */
static const char *
item_dir(const struct pki_request *r, const struct pki_profile *p)
{
	switch (pki_profile_location(p)) {
	case PKI_LOC_KUBELET_DIR:
		return r->kubelet_dir;
	case PKI_LOC_KUBECONFIG_DIR:
		return r->kc_dir;
	case PKI_LOC_CERT_DIR:
		break;
	}
	return r->cert_dir;
}

/* <dir>/<path><ext>: a profile's files ("" for a kubeconfig). */
static int
item_file(const struct pki_request *r, const struct pki_profile *p, const char *ext,
	char **out, struct pki_err *err)
{
	char rel[PATH_MAX];

	if (snprintf(rel, sizeof(rel), "%s%s", pki_profile_path(p), ext) >= (int)sizeof(rel))
		return pki_err_set(err, PKI_E_LIMIT, "profile '%s': path too long",
			pki_profile_name(p));
	return pki_path_join(out, item_dir(r, p), rel, err);
}

static int kubeconfig_cert(struct pki_request *r, const char *path, struct pki_cert **out,
	const char **why, struct pki_err *err);

/* Decides where the item's key is or goes (see request.h). existing is the
 * certificate renewed, NULL when not renewing. */
static int
plan_key(struct pki_request *r, struct item *it, const struct pki_cert *existing,
	struct pki_err *err)
{
	struct pki_cert *in_place = NULL;
	char *key = NULL, *crt = NULL, qkey[PKI_QPATH_MAX], qcrt[PKI_QPATH_MAX];
	const char *why;
	int ret = -1, has_key, has_crt, m;

	if (pki_profile_kind(it->p) == PKI_PROFILE_KUBECONFIG) {
		/* not renewing: the kubeconfig in place, if any, has the key a
		 * staged key must not be */
		if (existing == NULL) {
			if (item_file(r, it->p, "", &crt, err) != 0 ||
			    (has_crt = pki_file_exists(crt, err)) < 0 ||
			    (has_crt && kubeconfig_cert(r, crt, &in_place, &why, err) != 0))
				goto out;
		}
		ret = staged_key(r, it, existing != NULL ? existing : in_place, err);
		goto out;
	}
	if (item_file(r, it->p, ".key", &key, err) != 0 ||
	    item_file(r, it->p, ".crt", &crt, err) != 0)
		goto out;
	if (r->flags & PKI_REQUEST_REUSE_KEY) {
		if (reuse_key(r, it, key, REUSE_CURRENT, NULL, err) != 0 ||
		    (m = pki_cert_matches_key(existing, it->key, err)) < 0)
			goto out;
		if (m == 0) {
			pki_path_quote(key, qkey, sizeof(qkey));
			pki_path_quote(crt, qcrt, sizeof(qcrt));
			pki_err_set(err, PKI_E_INVALID, "key '%s': does not match certificate '%s'",
				qkey, qcrt);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (r->flags & PKI_REQUEST_RENEW) {
		ret = staged_key(r, it, existing, err);
		goto out;
	}
	if ((has_key = pki_file_exists(key, err)) < 0 || (has_crt = pki_file_exists(crt, err)) < 0)
		goto out;
	if (!has_key)
		ret = new_key(it, key, 0, "new key", err);
	else if (!has_crt)
		ret = reuse_key(r, it, key, REUSE_PENDING, NULL, err);
	else if (pki_cert_load(crt, &in_place, err) == 0)
		ret = staged_key(r, it, in_place, err);
out:
	pki_cert_free(in_place);
	free(key);
	free(crt);
	return ret;
}

/* ---- subjects and SANs ---------------------------------------------------- */

/* The client certificate of a kubeconfig, or NULL with *why when it has
 * none embedded. */
static int
kubeconfig_cert(struct pki_request *r, const char *path, struct pki_cert **out,
	const char **why, struct pki_err *err)
{
	struct pki_kubeconfig *kc = NULL;
	const struct pki_buf *data;
	char what[PKI_QPATH_MAX + 40], qpath[PKI_QPATH_MAX];
	int ret = -1;

	*out = NULL;
	*why = NULL;
	pki_path_quote(path, qpath, sizeof(qpath));
	if (pki_kubeconfig_load(path, &kc, err) != 0)
		goto out;
	data = pki_kubeconfig_client_cert_data(kc);
	if (data == NULL || data->len == 0) {
		*why = pki_kubeconfig_client_cert_file(kc) != NULL ?
			"its client certificate is a file reference, not embedded data" :
			"it has no client-certificate-data";
		ret = 0;
		goto out;
	}
	(void)snprintf(what, sizeof(what), "%s: client-certificate-data", qpath);
	if (pki_cert_parse(data->data, data->len, what, out, err) != 0)
		goto out;
	if (r->cluster == NULL && pki_kubeconfig_cluster_name(kc) != NULL &&
	    pki_kubeconfig_cluster_name(kc)[0] != '\0' &&
	    (r->cluster = pki_strdup(pki_kubeconfig_cluster_name(kc), err)) == NULL)
		goto out;
	ret = 0;
out:
	pki_kubeconfig_free(kc);
	return ret;
}

/*
 * Renewing: reads the existing certificate of the item. Sets *existing, or
 * leaves it NULL (with a note) when the profile is to be skipped.
 */
static int
read_existing(struct pki_request *r, const struct pki_request_opts *o, struct item *it,
	struct pki_cert **existing, struct pki_err *err)
{
	const char *name = pki_profile_name(it->p), *why = NULL;
	char *path = NULL, qpath[PKI_QPATH_MAX];
	int ret = -1, e;

	*existing = NULL;
	if (item_file(r, it->p, pki_profile_kind(it->p) == PKI_PROFILE_KUBECONFIG ? "" : ".crt",
		    &path, err) != 0 ||
	    (e = pki_file_exists(path, err)) < 0)
		goto out;
	if (!e)
		why = "it does not exist";
	else if (pki_profile_kind(it->p) == PKI_PROFILE_KUBECONFIG) {
		if (kubeconfig_cert(r, path, existing, &why, err) != 0)
			goto out;
	} else if (pki_cert_load(path, existing, err) != 0)
		goto out;
	if (why != NULL) {
		pki_path_quote(path, qpath, sizeof(qpath));
		if (only_has(o->only, name)) {
			pki_err_set(err, PKI_E_NOTFOUND,
				"profile '%s': cannot renew from '%s': %s", name, qpath, why);
			goto out;
		}
		if (pki_names_addf(&r->notes, err, "%s: skipped: cannot renew from '%s': %s", name,
			    qpath, why) != 0)
			goto out;
	}
	ret = 0;
out:
	free(path);
	return ret;
}

/* Notes each difference between the certificate's names and the
 * configuration's. Returns the number of differences, or -1. */
static int
diff_names(struct pki_request *r, const char *name, const char *kind,
	const struct pki_names *cert, const struct pki_names *cfg, struct pki_err *err)
{
	size_t i;
	int n = 0;

	for (i = 0; i < cert->n; i++)
		if (!pki_names_contains(cfg, cert->v[i])) {
			if (pki_names_addf(&r->notes, err,
				    "%s: %s '%s' is in the certificate, not in the configuration",
				    name, kind, cert->v[i]) != 0)
				return -1;
			n++;
		}
	for (i = 0; i < cfg->n; i++)
		if (!pki_names_contains(cert, cfg->v[i])) {
			if (pki_names_addf(&r->notes, err,
				    "%s: %s '%s' is in the configuration, not in the certificate",
				    name, kind, cfg->v[i]) != 0)
				return -1;
			n++;
		}
	return n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Copies a certificate's SANs as kubeadm's renewal passes them on
 * (RemoveDuplicateAltNames): DNS names de-duplicated and sorted, IPs
 * de-duplicated by their canonical form, in first-seen order. */
static int
sans_copy(struct item *it, const struct pki_names *dns, const struct pki_names *ip,
	struct pki_err *err)
{
	char canon[46];
	const char *v;
	size_t i;

	for (i = 0; i < dns->n; i++)
		if (!pki_names_contains(&it->dns, dns->v[i]) &&
		    pki_names_add(&it->dns, dns->v[i], err) != 0)
			return -1;
	if (it->dns.n > 1)
		qsort(it->dns.v, it->dns.n, sizeof(*it->dns.v), cmp_str);
	for (i = 0; i < ip->n; i++) {
		v = pki_ip_canonical(ip->v[i], canon) == 0 ? canon : ip->v[i];
		if (!pki_names_contains(&it->ip, v) && pki_names_add(&it->ip, v, err) != 0)
			return -1;
	}
	return 0;
}

/* Takes the certificate's subject and SANs, compared with the
 * configuration's when there is one. */
static int
from_existing(struct pki_request *r, const struct pki_request_opts *o, struct item *it,
	const struct pki_cert *cert, struct pki_err *err)
{
	const char *name = pki_profile_name(it->p);
	struct pki_x509info in;
	char *ccn = NULL;
	struct pki_names corg = { 0 }, cdns = { 0 }, cip = { 0 };
	int ret = -1, d, diffs = 0;
	size_t i;

	if (pki_cert_info(cert, &in, err) != 0)
		return -1;
	if (in.cn == NULL || in.cn[0] == '\0' || in.cn_count != 1) {
		pki_err_set(err, PKI_E_INVALID, "profile '%s': the certificate has %s CN", name,
			in.cn_count > 1 ? "more than one" : "no");
		goto out;
	}
	if (in.other_attrs > 0 &&
	    pki_names_addf(&r->notes, err,
		    "%s: subject attributes other than CN and O are not carried over", name) != 0)
		goto out;
	for (i = 0; i < in.other_san.n; i++)
		if (pki_names_addf(&r->notes, err,
			    "%s: SAN '%s' of the certificate is not carried over", name,
			    in.other_san.v[i]) != 0)
			goto out;
	if (o->cfg != NULL) {
		if (pki_profile_subject(it->p, o->cfg, &ccn, &corg, err) != 0 ||
		    pki_profile_sans(it->p, o->cfg, &cdns, &cip, err) != 0)
			goto out;
		if (strcmp(ccn, in.cn) != 0) {
			if (pki_names_addf(&r->notes, err,
				    "%s: CN '%s' of the certificate differs from '%s' of the "
				    "configuration",
				    name, in.cn, ccn) != 0)
				goto out;
			diffs++;
		}
		if ((d = diff_names(r, name, "O", &in.org, &corg, err)) < 0)
			goto out;
		diffs += d;
		if ((d = diff_names(r, name, "DNS SAN", &in.dns, &cdns, err)) < 0)
			goto out;
		diffs += d;
		if ((d = diff_names(r, name, "IP SAN", &in.ip, &cip, err)) < 0)
			goto out;
		diffs += d;
		if (diffs > 0 &&
		    pki_names_addf(&r->notes, err, "%s: the request uses the %s", name,
			    (o->flags & PKI_REQUEST_PREFER_CONFIG) ?
				    "configuration's names (--prefer-config)" :
				    "certificate's names (--prefer-config would use the configuration's)") != 0)
			goto out;
	}
	if (o->cfg != NULL && (o->flags & PKI_REQUEST_PREFER_CONFIG)) {
		it->cn = ccn;
		ccn = NULL;
		it->org = corg;
		it->dns = cdns;
		it->ip = cip;
		memset(&corg, 0, sizeof(corg));
		memset(&cdns, 0, sizeof(cdns));
		memset(&cip, 0, sizeof(cip));
	} else if ((it->cn = pki_strdup(in.cn, err)) == NULL ||
		   names_copy(&it->org, &in.org, err) != 0 ||
		   sans_copy(it, &in.dns, &in.ip, err) != 0)
		goto out;
	ret = 0;
out:
	free(ccn);
	pki_names_free(&corg);
	pki_names_free(&cdns);
	pki_names_free(&cip);
	pki_x509info_free(&in);
	return ret;
}

/* The node name from a CN made from a template holding ${nodeName}
 * ("system:node:${nodeName}"), for renewing without a configuration. */
static int
node_from_cn(struct pki_request *r, const struct item *it, struct pki_err *err)
{
	static const char var[] = "${nodeName}";
	struct pki_names org = { 0 };
	char *tmpl = NULL;
	const char *at;
	size_t pre, suf, len;
	int ret = -1;

	if (pki_profile_subject(it->p, NULL, &tmpl, &org, err) != 0)
		goto out;
	ret = 0;
	at = strstr(tmpl, var);
	if (at == NULL || strstr(at + 1, "${") != NULL || strstr(tmpl, "${") != at)
		goto out;
	pre = (size_t)(at - tmpl);
	suf = strlen(at + sizeof(var) - 1);
	len = strlen(it->cn);
	if (len <= pre + suf || strncmp(it->cn, tmpl, pre) != 0 ||
	    strcmp(it->cn + len - suf, at + sizeof(var) - 1) != 0)
		goto out;
	if ((r->node = pki_strndup(it->cn + pre, len - pre - suf, err)) == NULL)
		ret = -1;
out:
	free(tmpl);
	pki_names_free(&org);
	return ret;
}

/* ---- the plan ------------------------------------------------------------- */

static int
check_opts(const struct pki_request_opts *o, struct pki_err *err)
{
	unsigned f = o->flags;

	if (o->set == NULL)
		return pki_err_set(err, PKI_E_USAGE, "no profile set");
	if (o->role != 0 && o->role != PKI_ROLE_CONTROL_PLANE && o->role != PKI_ROLE_WORKER)
		return pki_err_set(err, PKI_E_USAGE, "node role: unknown");
	if (!(f & PKI_REQUEST_RENEW) && o->cfg == NULL)
		return pki_err_set(err, PKI_E_USAGE,
			"a kubeadm configuration is needed (the node name, addresses and SANs "
			"come from it); or renew from the existing certificates");
	if (!(f & PKI_REQUEST_RENEW) && (f & (PKI_REQUEST_REUSE_KEY | PKI_REQUEST_PREFER_CONFIG)))
		return pki_err_set(err, PKI_E_USAGE, "--reuse-key and --prefer-config need --renew");
	if ((f & PKI_REQUEST_PREFER_CONFIG) && o->cfg == NULL)
		return pki_err_set(err, PKI_E_USAGE, "--prefer-config needs a configuration");
	if ((f & PKI_REQUEST_REUSE_KEY) && o->key_type != NULL)
		return pki_err_set(err, PKI_E_USAGE,
			"a key type cannot be chosen when the current keys are reused");
	/* a JoinConfiguration alone would derive the wrong endpoint and SANs */
	if (o->cfg != NULL && pki_kubeadm_require_cluster(o->cfg, err) != 0)
		return -1;
	return 0;
}

/* What the configuration must say for the requests planned. */
static int
check_cfg(const struct pki_request *r, const struct pki_request_opts *o, unsigned role,
	struct pki_err *err)
{
	const char *name = o->cfg_name ? o->cfg_name : "<config>";
	char clean[256];
	size_t i;

	pki_text_sanitize(name, clean, sizeof(clean));
	if (pki_kubeadm_node_name(o->cfg)[0] == '\0')
		return pki_err_set(err, PKI_E_INVALID,
			"kubeadm config '%s': nodeRegistration.name: not set (kubeadm would take "
			"the host name; kpki-csr needs it written down)",
			clean);
	if (role != PKI_ROLE_CONTROL_PLANE || pki_kubeadm_advertise_address(o->cfg)[0] != '\0')
		return 0;
	for (i = 0; i < r->n; i++)
		if (pki_profile_has_sans(r->items[i].p))
			return pki_err_set(err, PKI_E_INVALID,
				"kubeadm config '%s': localAPIEndpoint.advertiseAddress: not set, and "
				"'%s' needs it (kubeadm would guess it from the default route; "
				"kpki-csr needs it written down)",
				clean, pki_profile_name(r->items[i].p));
	return 0;
}

static int
set_dirs(struct pki_request *r, const struct pki_request_opts *o, struct pki_err *err)
{
	const char *cd = o->cert_dir;

	if (cd == NULL)
		cd = o->cfg != NULL && pki_kubeadm_certificates_dir(o->cfg)[0] != '\0' ?
			pki_kubeadm_certificates_dir(o->cfg) : DEFAULT_CERT_DIR;
	if ((r->cert_dir = pki_strdup(cd, err)) == NULL ||
	    (r->kc_dir = pki_strdup(o->kc_dir ? o->kc_dir : DEFAULT_KC_DIR, err)) == NULL ||
	    (r->kubelet_dir = pki_strdup(o->kubelet_dir ? o->kubelet_dir : DEFAULT_KUBELET_DIR,
		     err)) == NULL ||
	    pki_path_join(&r->staging, r->cert_dir, PKI_STAGING_DIR, err) != 0)
		return -1;
	return 0;
}

/*
 * Opens the staging directory, when it exists, and checks that it is ours
 * alone: a directory (not a link to one), owned by us, mode 0700. The fd
 * is kept, so that the directory checked is the directory written.
 */
static int
open_staging(struct pki_request *r, struct pki_err *err)
{
	char q[PKI_QPATH_MAX];
	struct stat st;
	int fd, ret = -1;

	if (r->staging_fd >= 0)
		return 0;
	pki_path_quote(r->staging, q, sizeof(q));
	fd = open(r->staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP || errno == ENOTDIR)
			return pki_err_set(err, PKI_E_PERM, "staging directory '%s': not a "
				"directory%s", q, lstat(r->staging, &st) == 0 && S_ISLNK(st.st_mode) ?
					" (a symbolic link)" : "");
		return pki_err_set(err, PKI_E_IO, "staging directory '%s': cannot open: %s", q,
			strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		pki_err_set(err, PKI_E_IO, "staging directory '%s': cannot stat: %s", q,
			strerror(errno));
		goto out;
	}
	if (st.st_uid != geteuid()) {
		pki_err_set(err, PKI_E_PERM,
			"staging directory '%s': owned by uid %u, not by uid %u who runs this; "
			"fix with: chown %u '%s'",
			q, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), q);
		goto out;
	}
	if ((st.st_mode & 07777) != 0700) {
		pki_err_set(err, PKI_E_PERM,
			"staging directory '%s': mode %04o, not 0700; fix with: chmod 700 '%s'", q,
			(unsigned)(st.st_mode & 07777), q);
		goto out;
	}
	r->staging_fd = fd;
	fd = -1; /* transferred */
	ret = 0;
out:
	if (fd >= 0)
		(void)close(fd);
	return ret;
}

/*
 * No new keys while an install is unfinished: kpki-kubeconfig, rerun, takes
 * the staged keys its intent file names, and a new request would stage
 * keys beside them, or reuse keys it is about to consume.
 */
static int
refuse_interrupted_install(const struct pki_request *r, struct pki_err *err)
{
	const char *kind = NULL;
	char *path = NULL, q[PKI_QPATH_MAX];
	int found;

	found = pki_pkidir_intent(r->cert_dir, &path, &kind, err);
	if (found <= 0)
		return found;
	pki_path_quote(path, q, sizeof(q));
	free(path);
	if (kind == NULL)
		return pki_err_set(err, PKI_E_EXISTS,
			"install intent '%s': an install was interrupted and is unfinished: "
			"rerun the interrupted kpki-kubeconfig command first, then this one", q);
	return pki_err_set(err, PKI_E_EXISTS,
		"'%s': is %s where kpki-kubeconfig keeps its install intent: no key is "
		"staged until it is removed", q, kind);
}

/* The subject, SANs and key type of one item. Returns 1 when the item is
 * to be skipped. */
static int
plan_item(struct pki_request *r, const struct pki_request_opts *o, struct item *it,
	struct pki_err *err)
{
	struct pki_cert *existing = NULL;
	struct pki_keyinfo ki;
	char kt[48];
	int ret = -1;

	if (o->flags & PKI_REQUEST_RENEW) {
		if (read_existing(r, o, it, &existing, err) != 0)
			goto out;
		if (existing == NULL) {
			ret = 1;
			goto out;
		}
		if (from_existing(r, o, it, existing, err) != 0)
			goto out;
	} else if (pki_profile_subject(it->p, o->cfg, &it->cn, &it->org, err) != 0 ||
		   pki_profile_sans(it->p, o->cfg, &it->dns, &it->ip, err) != 0) {
		goto out;
	}
	if (o->key_type != NULL)
		it->type = *o->key_type;
	else if (o->cfg != NULL)
		it->type = pki_kubeadm_key_type(o->cfg);
	else {
		pki_cert_keyinfo(existing, &ki);
		if (pki_key_type_of(&ki, &it->type) != 0) {
			keyinfo_text(&ki, kt, sizeof(kt));
			pki_err_set(err, PKI_E_INVALID,
				"profile '%s': the certificate's key (%s) is not a type kpki-csr "
				"makes; choose one with --key-type",
				pki_profile_name(it->p), kt);
			goto out;
		}
	}
	if (plan_key(r, it, existing, err) != 0)
		goto out;
	if (it->key_new && check_ed25519(it->p, it->type, "the key type", err) != 0)
		goto out;
	ret = 0;
out:
	pki_cert_free(existing);
	return ret;
}

int
pki_request_plan(const struct pki_request_opts *o, struct pki_request **out,
	struct pki_err *err)
{
	struct pki_request *r = NULL;
	char clean[256];
	unsigned role;
	size_t i;
	int ret = -1, s;

	*out = NULL;
	if (check_opts(o, err) != 0)
		return -1;
	role = o->role ? o->role : PKI_ROLE_CONTROL_PLANE;
	if (check_only(o, role, err) != 0)
		return -1;
	if ((r = pki_calloc(1, sizeof(*r), err)) == NULL)
		goto out;
	r->staging_fd = -1;
	r->lockfd[0] = r->lockfd[1] = r->lockfd[2] = -1;
	r->set = o->set;
	r->flags = o->flags;
	if (set_dirs(r, o, err) != 0)
		goto out;
	/* not while kpki-kubeconfig installs (it swaps the cert dir whole), nor
	 * beside another kpki-csr: held from the plan to the free */
	if (pki_pki_lock(r->cert_dir, r->kc_dir, r->kubelet_dir,
		    (o->flags & PKI_REQUEST_PLAN_ONLY) != 0, r->lockfd, err) != 0)
		goto out;
	/* --reuse-key keeps the current keys whatever the configuration says */
	if (o->key_type != NULL)
		(void)snprintf(r->type_src, sizeof(r->type_src), "--key-type");
	else if (o->cfg != NULL && !(o->flags & PKI_REQUEST_REUSE_KEY)) {
		pki_text_sanitize(o->cfg_name ? o->cfg_name : "<config>", clean, sizeof(clean));
		(void)snprintf(r->type_src, sizeof(r->type_src),
			"the encryptionAlgorithm of kubeadm config '%s'", clean);
	}
	for (i = 0; i < pki_profile_set_count(o->set); i++) {
		const struct pki_profile *p = pki_profile_set_at(o->set, i);

		if (!wanted(o, role, p))
			continue;
		/* super-admin.conf exists only where kubeadm init ran (kubeadm
		 * >= 1.29 init needs it): asked for on the init node (an
		 * InitConfiguration), by name, or renewed where it is */
		if (pki_profile_optional(p) && !(o->flags & PKI_REQUEST_RENEW) &&
		    !only_has(o->only, pki_profile_name(p))) {
			int init_node = o->cfg != NULL && role == PKI_ROLE_CONTROL_PLANE &&
				pki_kubeadm_has_init_configuration(o->cfg);

			if (pki_names_add(init_node ? &r->init_requested : &r->not_requested,
				    pki_profile_name(p), err) != 0)
				goto out;
			if (!init_node)
				continue;
		}
		if ((o->flags & PKI_REQUEST_REUSE_KEY) &&
		    pki_profile_kind(p) == PKI_PROFILE_KUBECONFIG) {
			/* a kubeconfig's key travels with the file (admin.conf is
			 * handed to people): renewing is the time to replace it */
			pki_err_set(err, PKI_E_USAGE,
				"profile '%s': --reuse-key does not apply to kubeconfigs, whose "
				"key is embedded in a file that gets copied around; leave it out "
				"with --only or renew without --reuse-key",
				pki_profile_name(p));
			goto out;
		}
		if (pki_grow((void **)&r->items, &r->cap, r->n + 1, sizeof(*r->items), err) != 0)
			goto out;
		memset(&r->items[r->n], 0, sizeof(*r->items));
		r->items[r->n++].p = p;
	}
	if (r->n == 0 && !(o->flags & PKI_REQUEST_RENEW)) {
		pki_err_set(err, PKI_E_USAGE, "no certificate to request for this node");
		goto out;
	}
	if (o->cfg != NULL && check_cfg(r, o, role, err) != 0)
		goto out;
	if (open_staging(r, err) != 0 || refuse_interrupted_install(r, err) != 0)
		goto out;
	for (i = 0; i < r->n; i++) {
		if ((s = plan_item(r, o, &r->items[i], err)) < 0)
			goto out;
		if (s == 1) {
			item_clear(&r->items[i]);
			memmove(&r->items[i], &r->items[i + 1], (r->n - i - 1) * sizeof(*r->items));
			r->n--;
			i--;
		}
	}
	if (r->n == 0) {
		char qcd[PKI_QPATH_MAX], qkd[PKI_QPATH_MAX];

		pki_path_quote(r->cert_dir, qcd, sizeof(qcd));
		pki_path_quote(r->kc_dir, qkd, sizeof(qkd));
		pki_err_set(err, PKI_E_NOTFOUND,
			"nothing to renew: no certificate of this node was found in '%s' or '%s'",
			qcd, qkd);
		goto out;
	}
	if (o->cfg != NULL) {
		free(r->cluster);
		r->cluster = NULL;
		if ((r->cluster = pki_strdup(pki_kubeadm_cluster_name(o->cfg), err)) == NULL ||
		    (r->node = pki_strdup(pki_kubeadm_node_name(o->cfg), err)) == NULL)
			goto out;
	} else {
		for (i = 0; i < r->n && r->node == NULL; i++)
			if (node_from_cn(r, &r->items[i], err) != 0)
				goto out;
		if (r->node == NULL && (r->node = pki_strdup("", err)) == NULL)
			goto out;
		if (r->cluster == NULL && (r->cluster = pki_strdup(DEFAULT_CLUSTER, err)) == NULL)
			goto out;
	}
	*out = r;
	r = NULL; /* transferred */
	ret = 0;
out:
	pki_request_free(r);
	return ret;
}

/* ---- the plan for people -------------------------------------------------- */

int
pki_request_describe(const struct pki_request *r, const char *bundle_path,
	struct pki_buf *out, struct pki_err *err)
{
	char list[2048], q[PKI_QPATH_MAX], kbuf[48];
	size_t i;

	if (pki_buf_printf(out, err, "profile set '%s', cluster '%s', node '%s'\n",
		    pki_profile_set_name(r->set), r->cluster, r->node) != 0)
		return -1;
	for (i = 0; i < r->n; i++) {
		const struct item *it = &r->items[i];
		const char *type = kbuf;
		struct pki_keyinfo ki;
		enum pki_key_type kt;

		if (it->key_new)
			type = pki_key_type_name(it->type);
		else {
			pki_key_info(it->key, &ki);
			if (pki_key_type_of(&ki, &kt) == 0)
				type = pki_key_type_name(kt);
			else
				keyinfo_text(&ki, kbuf, sizeof(kbuf));
		}
		pki_path_quote(it->key_path, q, sizeof(q));
		if (pki_buf_printf(out, err, "%s:\n  key: '%s' (%s, %s)\n  subject: CN '%s'",
			    pki_profile_name(it->p), q, it->key_how, type, it->cn) != 0)
			return -1;
		join_names(&it->org, list, sizeof(list));
		if (it->org.n > 0 && pki_buf_printf(out, err, ", O '%s'", list) != 0)
			return -1;
		if (pki_buf_printf(out, err, "\n") != 0)
			return -1;
		join_names(&it->dns, list, sizeof(list));
		if (it->dns.n > 0 && pki_buf_printf(out, err, "  DNS SANs: %s\n", list) != 0)
			return -1;
		join_names(&it->ip, list, sizeof(list));
		if (it->ip.n > 0 && pki_buf_printf(out, err, "  IP SANs: %s\n", list) != 0)
			return -1;
	}
	for (i = 0; i < r->init_requested.n; i++)
		if (pki_buf_printf(out, err, "%s: requested: this node runs 'kubeadm init' (the "
			    "configuration has an InitConfiguration), which needs it\n",
			    r->init_requested.v[i]) != 0)
			return -1;
	for (i = 0; i < r->not_requested.n; i++)
		if (pki_buf_printf(out, err, "%s: not requested: optional, kubeadm makes it only "
			    "on the node where 'kubeadm init' runs (name it with --only to "
			    "request it)\n", r->not_requested.v[i]) != 0)
			return -1;
	if (strcmp(bundle_path, "-") == 0)
		return pki_buf_printf(out, err, "bundle: standard output\n");
	pki_path_quote(bundle_path, q, sizeof(q));
	return pki_buf_printf(out, err, "bundle: '%s'\n", q);
}

/* ---- execution ------------------------------------------------------------ */

/* Creates the staging directory 0700 (and the cert dir above it, 0755),
 * recording what it made, and opens it. */
static int
make_staging(struct pki_request *r, struct pki_err *err)
{
	char q[PKI_QPATH_MAX];

	if (r->staging_fd >= 0)
		return 0;
	if (pki_mkdirs(r->cert_dir, 0755, &r->created, err) != 0)
		return -1;
	pki_path_quote(r->staging, q, sizeof(q));
	if (mkdir(r->staging, 0700) == 0) {
		if (pki_names_add(&r->created, r->staging, err) != 0)
			return -1;
	} else if (errno != EEXIST)
		return pki_err_set(err, PKI_E_IO, "staging directory '%s': cannot create: %s", q,
			strerror(errno));
	if (open_staging(r, err) != 0)
		return -1;
	if (r->staging_fd < 0)
		return pki_err_set(err, PKI_E_IO, "staging directory '%s': vanished", q);
	return 0;
}

/* 1 when path is dir or lies under it (both resolved). */
static int
path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* An existing file at the bundle's path is replaced only when it is an
 * older CSR bundle: never a key, a certificate, a kubeconfig or a signed
 * bundle, whatever the path the user typed. */
static int
check_old_bundle(const struct pki_request *r, const char *path, const char *q,
	struct pki_err *err)
{
	struct pki_buf old = { 0 };
	struct pki_bundle *b = NULL;
	struct pki_err e2;
	int ret = -1;

	if (pki_file_read(path, "bundle", PKI_CAP_YAML, 0, &old, err) != 0)
		goto out;
	if (memmem(old.data, old.len, "PRIVATE KEY", 11) != NULL) {
		pki_err_set(err, PKI_E_EXISTS, "bundle '%s': exists and holds a private key; "
			"refusing to replace it", q);
		goto out;
	}
	/* made with this profile set, or with another one kpki knows */
	pki_err_clear(&e2);
	if (pki_bundle_parse(old.data, old.len, q, r->set, &b, err) != 0 &&
	    pki_bundle_parse(old.data, old.len, q, NULL, &b, &e2) != 0) {
		pki_err_prefix(err, "bundle '%s': exists and is not a kpki CSR bundle, so it is "
			"not replaced (remove it or choose another file)", q);
		err->code = PKI_E_EXISTS;
		goto out;
	}
	if (pki_bundle_is_signed(b)) {
		pki_err_set(err, PKI_E_EXISTS, "bundle '%s': exists and holds signed certificates "
			"(kpki-sign's answer); refusing to replace it (install it first or choose "
			"another file)", q);
		goto out;
	}
	ret = 0;
out:
	pki_bundle_free(b);
	pki_buf_free(&old);
	return ret;
}

/*
 * Where a bundle goes, checked before any key is written: an existing
 * directory outside every directory this run writes keys to or kubeadm
 * reads from (so that no bundle path can name a key, a certificate or a
 * kubeconfig, by any spelling or link), and no file or an older bundle.
 */
static int
check_bundle_path(const struct pki_request *r, const char *path, struct pki_err *err)
{
	const struct {
		const char *what, *dir;
	} dirs[] = { { "certificate directory", r->cert_dir },
		{ "staging directory", r->staging }, { "kubeconfig directory", r->kc_dir },
		{ "kubelet directory", r->kubelet_dir } };
	char dir[PATH_MAX], real[PATH_MAX], rd[PATH_MAX], q[PKI_QPATH_MAX], qd[PKI_QPATH_MAX];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	struct stat st;
	size_t i;

	if (strcmp(path, "-") == 0)
		return 0;
	pki_path_quote(path, q, sizeof(q));
	if (strlen(path) >= sizeof(dir))
		return pki_err_set(err, PKI_E_LIMIT, "bundle '%s': path too long", q);
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return pki_err_set(err, PKI_E_USAGE, "bundle '%s': does not name a file", q);
	if (slash == NULL)
		(void)snprintf(dir, sizeof(dir), ".");
	else
		(void)snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path),
			path);
	pki_path_quote(dir, qd, sizeof(qd));
	if (realpath(dir, real) == NULL || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
		return pki_err_set(err, PKI_E_IO, "bundle '%s': directory '%s' does not exist",
			q, qd);
	for (i = 0; i < PKI_ARRAY_LEN(dirs); i++) {
		/* a directory that does not exist holds nothing */
		if (realpath(dirs[i].dir, rd) == NULL)
			continue;
		if (path_under(real, rd)) {
			pki_path_quote(dirs[i].dir, qd, sizeof(qd));
			return pki_err_set(err, PKI_E_USAGE,
				"bundle '%s': lies in the %s '%s'; a bundle travels to the CA team "
				"and goes elsewhere, where it cannot replace a key, certificate or "
				"kubeconfig",
				q, dirs[i].what, qd);
		}
	}
	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISREG(st.st_mode))
		return pki_err_set(err, PKI_E_EXISTS, "bundle '%s': exists and is not a regular "
			"file", q);
	return check_old_bundle(r, path, q, err);
}

/* Makes every key and CSR in memory. */
static int
make_csrs(struct pki_request *r, struct pki_err *err)
{
	size_t i;
	int m;

	for (i = 0; i < r->n; i++) {
		struct item *it = &r->items[i];
		const char *name = pki_profile_name(it->p);

		if (it->key_new && pki_key_generate(it->type, &it->key, err) != 0)
			return pki_err_prefix(err, "profile '%s'", name);
		if (pki_csr_create(it->key, it->cn, &it->org, &it->dns, &it->ip, &it->csr, err) != 0 ||
		    pki_csr_verify(it->csr, err) != 0)
			return pki_err_prefix(err, "profile '%s'", name);
		if ((m = pki_csr_matches_key(it->csr, it->key, err)) != 1) {
			if (m == 0)
				pki_err_set(err, PKI_E_CRYPTO, "profile '%s': the request does not "
					"carry its key", name);
			return -1;
		}
	}
	return 0;
}

static int
make_bundle(const struct pki_request *r, time_t now, struct pki_buf *text,
	char fingerprint[72], struct pki_err *err)
{
	struct pki_bundle *b = NULL;
	size_t i;
	int ret = -1;

	if (pki_bundle_new(pki_profile_set_name(r->set), r->cluster, r->node, now, &b, err) != 0)
		goto out;
	for (i = 0; i < r->n; i++)
		if (pki_bundle_add(b, r->items[i].p, r->items[i].csr, err) != 0)
			goto out;
	if (pki_bundle_write(b, text, err) != 0 || pki_bundle_fingerprint(b, fingerprint, err) != 0)
		goto out;
	/* a last guard: no key ever travels */
	if (memmem(text->data, text->len, "PRIVATE KEY", 11) != NULL) {
		pki_err_set(err, PKI_E_INVALID, "bundle: holds a private key; refusing to write it");
		goto out;
	}
	ret = 0;
out:
	pki_bundle_free(b);
	return ret;
}

/* Writes a new key, never over a file: a staged one through the staging
 * directory checked, any other after making its directory. */
static int
write_key(struct pki_request *r, const struct item *it, struct pki_err *err)
{
	struct pki_buf pem = { 0 };
	char dir[PATH_MAX];
	const char *slash = strrchr(it->key_path, '/');
	int ret;

	if (it->staged) {
		if (pki_key_export_pem(it->key, &pem, err) != 0)
			return -1;
		ret = pki_file_writeat(r->staging_fd, r->staging, slash + 1, pem.data, pem.len,
			0600, PKI_WRITE_NOREPLACE, err);
		pki_buf_free(&pem);
		return ret;
	}
	/* key paths are made by joining a directory and a name */
	(void)snprintf(dir, sizeof(dir), "%.*s", (int)(slash - it->key_path), it->key_path);
	if (dir[0] != '\0' && pki_mkdirs(dir, 0755, &r->created, err) != 0)
		return -1;
	return pki_key_save(it->key, it->key_path, PKI_WRITE_NOREPLACE, err);
}

/* Removes the keys and the directories this run made, directories last and
 * deepest first; what was there before is never touched. */
static void
undo(struct pki_request *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct item *it = &r->items[i];

		if (!it->written)
			continue;
		if ((it->staged ? unlinkat(r->staging_fd, strrchr(it->key_path, '/') + 1, 0) :
				  unlink(it->key_path)) == 0)
			it->written = 0;
	}
	if (r->staging_fd >= 0 && pki_names_contains(&r->created, r->staging)) {
		(void)close(r->staging_fd);
		r->staging_fd = -1;
	}
	for (i = r->created.n; i-- > 0;)
		(void)rmdir(r->created.v[i]);
	pki_names_free(&r->created);
}

int
pki_request_execute(struct pki_request *r, const char *bundle_path, time_t now,
	char fingerprint[72], struct pki_err *err)
{
	struct pki_buf text = { 0 };
	size_t i;
	int ret = -1, need_staging = 0;

	fingerprint[0] = '\0';
	if (r->flags & PKI_REQUEST_PLAN_ONLY)
		return pki_err_set(err, PKI_E_USAGE, "a plan made for a dry run is not carried out");
	/* again under the lock: an install may have been killed since the plan */
	if (refuse_interrupted_install(r, err) != 0)
		goto out;
	if (check_bundle_path(r, bundle_path, err) != 0 || make_csrs(r, err) != 0 ||
	    make_bundle(r, now, &text, fingerprint, err) != 0)
		goto out;
	for (i = 0; i < r->n; i++)
		if (r->items[i].key_new && r->items[i].staged)
			need_staging = 1;
	if (need_staging && make_staging(r, err) != 0)
		goto out;
	for (i = 0; i < r->n; i++) {
		struct item *it = &r->items[i];

		if (!it->key_new)
			continue;
		if (write_key(r, it, err) != 0)
			goto out;
		it->written = 1;
	}
	if (strcmp(bundle_path, "-") == 0) {
		if (pki_write_all(STDOUT_FILENO, text.data, text.len, "standard output", err) != 0)
			goto out;
	} else if (pki_file_write(bundle_path, text.data, text.len, 0644, 0, err) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0) {
		fingerprint[0] = '\0';
		undo(r);
	}
	pki_buf_free(&text);
	return ret;
}
