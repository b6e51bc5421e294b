/*
 * request.c — a node's certificate requests: the plan (which profiles, what
 * subjects and SANs, where each key goes), then keys, CSRs and the bundle.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
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
	enum pki_key_type type; /* of a new key */
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
	pki_names_free(&r->notes);
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

static int
note(struct pki_request *r, struct pki_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
note(struct pki_request *r, struct pki_err *err, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return pki_err_set(err, PKI_E_USAGE, "cannot format a note");
	if ((size_t)n >= sizeof(line))
		(void)snprintf(line + sizeof(line) - 4, 4, "...");
	return pki_names_add(&r->notes, line, err);
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
type_of_info(const struct pki_keyinfo *ki, enum pki_key_type *out)
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

/* Loads a key this run reuses. */
static int
reuse_key(struct item *it, const char *path, const char *how, struct pki_err *err)
{
	enum pki_key_type type;
	struct pki_keyinfo ki;
	char whose[PATH_MAX + 16];

	if (pki_key_load(path, &it->key, err) != 0)
		return -1;
	pki_key_info(it->key, &ki);
	(void)snprintf(whose, sizeof(whose), "key '%s'", path);
	if (type_of_info(&ki, &type) == 0 && check_ed25519(it->p, type, whose, err) != 0)
		return -1;
	if ((it->key_path = pki_strdup(path, err)) == NULL)
		return -1;
	it->key_how = how;
	return 0;
}

static int
new_key(struct item *it, const char *path, const char *how, struct pki_err *err)
{
	if ((it->key_path = pki_strdup(path, err)) == NULL)
		return -1;
	it->key_new = 1;
	it->key_how = how;
	return 0;
}

/* The key of a staged request: reused if it is there. */
static int
staged_key(struct pki_request *r, struct item *it, struct pki_err *err)
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
		ret = reuse_key(it, path, "staged key, reused", err);
	else
		ret = new_key(it, path, "new key, staged", err);
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

/* Decides where the item's key is or goes (see request.h). */
static int
plan_key(struct pki_request *r, struct item *it, const struct pki_cert *existing,
	struct pki_err *err)
{
	char *key = NULL, *crt = NULL;
	int ret = -1, has_key, has_crt;

	if (pki_profile_kind(it->p) == PKI_PROFILE_KUBECONFIG) {
		ret = staged_key(r, it, err);
		goto out;
	}
	if (item_file(r, it->p, ".key", &key, err) != 0 ||
	    item_file(r, it->p, ".crt", &crt, err) != 0)
		goto out;
	if (r->flags & PKI_REQUEST_REUSE_KEY) {
		if (reuse_key(it, key, "current key, reused (--reuse-key)", err) != 0)
			goto out;
		ret = pki_cert_matches_key(existing, it->key, err);
		if (ret == 0)
			pki_err_set(err, PKI_E_INVALID, "key '%s': does not match certificate '%s'",
				key, crt);
		ret = ret == 1 ? 0 : -1;
		goto out;
	}
	if (r->flags & PKI_REQUEST_RENEW) {
		ret = staged_key(r, it, err);
		goto out;
	}
	if ((has_key = pki_file_exists(key, err)) < 0 || (has_crt = pki_file_exists(crt, err)) < 0)
		goto out;
	if (!has_key)
		ret = new_key(it, key, "new key", err);
	else if (!has_crt)
		ret = reuse_key(it, key, "pending request (no certificate yet), key reused", err);
	else
		ret = staged_key(r, it, err);
out:
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
	char what[PATH_MAX + 40];
	int ret = -1;

	*out = NULL;
	*why = NULL;
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
	(void)snprintf(what, sizeof(what), "%s: client-certificate-data", path);
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
	char *path = NULL;
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
		if (only_has(o->only, name)) {
			pki_err_set(err, PKI_E_NOTFOUND,
				"profile '%s': cannot renew from '%s': %s", name, path, why);
			goto out;
		}
		if (note(r, err, "%s: skipped: cannot renew from '%s': %s", name, path, why) != 0)
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
			if (note(r, err, "%s: %s '%s' is in the certificate, not in the configuration",
				    name, kind, cert->v[i]) != 0)
				return -1;
			n++;
		}
	for (i = 0; i < cfg->n; i++)
		if (!pki_names_contains(cert, cfg->v[i])) {
			if (note(r, err, "%s: %s '%s' is in the configuration, not in the certificate",
				    name, kind, cfg->v[i]) != 0)
				return -1;
			n++;
		}
	return n;
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
	    note(r, err, "%s: subject attributes other than CN and O are not carried over",
		    name) != 0)
		goto out;
	for (i = 0; i < in.other_san.n; i++)
		if (note(r, err, "%s: SAN '%s' of the certificate is not carried over", name,
			    in.other_san.v[i]) != 0)
			goto out;
	if (o->cfg != NULL) {
		if (pki_profile_subject(it->p, o->cfg, &ccn, &corg, err) != 0 ||
		    pki_profile_sans(it->p, o->cfg, &cdns, &cip, err) != 0)
			goto out;
		if (strcmp(ccn, in.cn) != 0) {
			if (note(r, err, "%s: CN '%s' of the certificate differs from '%s' of the "
				    "configuration", name, in.cn, ccn) != 0)
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
		    note(r, err, "%s: the request uses the %s", name,
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
		   names_copy(&it->dns, &in.dns, err) != 0 || names_copy(&it->ip, &in.ip, err) != 0)
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

/* The staging directory, when it exists, must be ours alone. */
static int
check_staging(const struct pki_request *r, struct pki_err *err)
{
	struct stat st;

	if (lstat(r->staging, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return pki_err_set(err, PKI_E_IO, "staging directory '%s': %s", r->staging,
			strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return pki_err_set(err, PKI_E_PERM, "staging directory '%s': not a directory%s",
			r->staging, S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
	if (st.st_mode & 077)
		return pki_err_set(err, PKI_E_PERM,
			"staging directory '%s': open to group or others (mode %03o); run "
			"'chmod 700 %s'",
			r->staging, (unsigned)(st.st_mode & 0777), r->staging);
	return 0;
}

/* The subject, SANs and key type of one item. Returns 1 when the item is
 * to be skipped. */
static int
plan_item(struct pki_request *r, const struct pki_request_opts *o, struct item *it,
	struct pki_err *err)
{
	struct pki_cert *existing = NULL;
	struct pki_keyinfo ki;
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
		if (type_of_info(&ki, &it->type) != 0) {
			pki_err_set(err, PKI_E_INVALID,
				"profile '%s': the certificate's key (%s %u%s%s) is not a type "
				"kpki-csr makes; choose one with --key-type",
				pki_profile_name(it->p), ki.algo, ki.bits, ki.curve[0] ? " " : "",
				ki.curve);
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
	r->set = o->set;
	r->flags = o->flags;
	if (set_dirs(r, o, err) != 0)
		goto out;
	for (i = 0; i < pki_profile_set_count(o->set); i++) {
		const struct pki_profile *p = pki_profile_set_at(o->set, i);

		if (!wanted(o, role, p))
			continue;
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
	if (check_staging(r, err) != 0)
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
		pki_err_set(err, PKI_E_NOTFOUND,
			"nothing to renew: no certificate of this node was found in '%s' or '%s'",
			r->cert_dir, r->kc_dir);
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
	char list[2048];
	size_t i;

	if (pki_buf_printf(out, err, "profile set '%s', cluster '%s', node '%s'\n",
		    pki_profile_set_name(r->set), r->cluster, r->node) != 0)
		return -1;
	for (i = 0; i < r->n; i++) {
		const struct item *it = &r->items[i];
		struct pki_keyinfo ki;
		const char *type;

		enum pki_key_type kt = it->type;

		if (!it->key_new) {
			pki_key_info(it->key, &ki);
			if (type_of_info(&ki, &kt) != 0)
				kt = (enum pki_key_type)-1;
		}
		type = kt == (enum pki_key_type)-1 ? "unknown type" : pki_key_type_name(kt);
		if (pki_buf_printf(out, err, "%s:\n  key: '%s' (%s, %s)\n  subject: CN '%s'",
			    pki_profile_name(it->p), it->key_path, it->key_how, type, it->cn) != 0)
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
	if (strcmp(bundle_path, "-") == 0)
		return pki_buf_printf(out, err, "bundle: standard output\n");
	return pki_buf_printf(out, err, "bundle: '%s'\n", bundle_path);
}

/* ---- execution ------------------------------------------------------------ */

/* Creates the staging directory 0700 (and the cert dir above it). Sets
 * *made when this call made it. */
static int
make_staging(const struct pki_request *r, int *made, struct pki_err *err)
{
	char tmp[PATH_MAX];
	size_t i, len = strlen(r->cert_dir);

	*made = 0;
	if (len >= sizeof(tmp))
		return pki_err_set(err, PKI_E_LIMIT, "path '%s': too long", r->cert_dir);
	memcpy(tmp, r->cert_dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return pki_err_set(err, PKI_E_IO, "directory '%s': cannot create: %s", tmp,
				strerror(errno));
		if (i < len)
			tmp[i] = '/';
	}
	if (mkdir(r->staging, 0700) == 0)
		*made = 1;
	else if (errno != EEXIST)
		return pki_err_set(err, PKI_E_IO, "staging directory '%s': cannot create: %s",
			r->staging, strerror(errno));
	return check_staging(r, err);
}

/* Where a bundle goes must be writable before any key is written. */
static int
check_bundle_path(const char *path, struct pki_err *err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (strcmp(path, "-") == 0)
		return 0;
	if (strlen(path) >= sizeof(dir))
		return pki_err_set(err, PKI_E_LIMIT, "bundle '%s': path too long", path);
	if (slash == NULL)
		(void)snprintf(dir, sizeof(dir), ".");
	else
		(void)snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path),
			path);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return pki_err_set(err, PKI_E_IO, "bundle '%s': directory '%s' does not exist",
			path, dir);
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return pki_err_set(err, PKI_E_IO, "bundle '%s': exists and is not a regular file",
			path);
	return 0;
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

/* Removes the keys this run wrote; pre-existing files are never touched. */
static void
undo(struct pki_request *r, int staging_made)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->items[i].written && unlink(r->items[i].key_path) == 0)
			r->items[i].written = 0;
	if (staging_made)
		(void)rmdir(r->staging);
}

int
pki_request_execute(struct pki_request *r, const char *bundle_path, time_t now,
	char fingerprint[72], struct pki_err *err)
{
	struct pki_buf text = { 0 };
	size_t i;
	int ret = -1, staging_made = 0, need_staging = 0;

	fingerprint[0] = '\0';
	if (check_bundle_path(bundle_path, err) != 0 || make_csrs(r, err) != 0 ||
	    make_bundle(r, now, &text, fingerprint, err) != 0)
		goto out;
	for (i = 0; i < r->n; i++)
		if (r->items[i].key_new && strncmp(r->items[i].key_path, r->staging,
						   strlen(r->staging)) == 0)
			need_staging = 1;
	if (need_staging && make_staging(r, &staging_made, err) != 0)
		goto out;
	for (i = 0; i < r->n; i++) {
		struct item *it = &r->items[i];

		if (!it->key_new)
			continue;
		if (pki_key_save(it->key, it->key_path, PKI_WRITE_NOREPLACE | PKI_WRITE_MKDIRS,
			    err) != 0)
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
		undo(r, staging_made);
	}
	pki_buf_free(&text);
	return ret;
}
