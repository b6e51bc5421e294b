/*
 * kubeconfig.c — kubeconfig files (clientcmd v1 YAML), read the way
 * client-go reads them: current-context names a context, which names a
 * cluster and a user; certificate and key data are base64 of PEM.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include <pki/kubeconfig.h>

#include "internal.h"

struct pki_kubeconfig {
	char *current_context;
	char *cluster_name;
	char *user_name;
	char *server;
	struct pki_buf ca_data, cert_data, key_data;
	int has_ca_data, has_cert_data, has_key_data;
	char *ca_file, *cert_file, *key_file;
};

/* Kubeconfigs are small; these limits still fit the largest real ones. */
static const struct pki_ylimits kc_limits = {
	.max_depth = 32,
	.max_nodes = 100000,
	.max_scalar = 1024 * 1024,
	.max_docs = 2,
};

void
pki_kubeconfig_free(struct pki_kubeconfig *kc)
{
	if (kc == NULL)
		return;
	free(kc->current_context);
	free(kc->cluster_name);
	free(kc->user_name);
	free(kc->server);
	pki_buf_free(&kc->ca_data);
	pki_buf_free(&kc->cert_data);
	pki_buf_free(&kc->key_data);
	free(kc->ca_file);
	free(kc->cert_file);
	free(kc->key_file);
	gnutls_memset(kc, 0, sizeof(*kc));
	free(kc);
}

/* Copies an optional string field of map into *out (NULL when absent). */
static int
dup_field(const struct pki_ynode *map, const char *key, const char *label, char **out,
	struct pki_err *err)
{
	const char *s = NULL;

	if (pki_yget_str(map, key, 0, label, &s, err) != 0)
		return -1;
	if (s == NULL || *s == '\0')
		return 0;
	*out = pki_strdup(s, err);
	return *out == NULL ? -1 : 0;
}

/*
 * Finds the entry called `want` in list `key` ("clusters", "contexts",
 * "users"): sets *body to its mapping under `bkey` ("cluster", ...; NULL
 * when the entry has none) and *idx to its index. Returns 1 when no entry
 * has that name. client-go refuses a list with a repeated name, so do we.
 */
static int
find_named(const struct pki_ynode *root, const char *key, const char *bkey,
	const char *want, const char *label, const struct pki_ynode **body, size_t *idx,
	struct pki_err *err)
{
	const struct pki_ynode *seq = NULL;
	char clean[128];
	size_t i, j;
	int found = 0;

	*body = NULL;
	if (pki_yget_seq(root, key, 0, label, &seq, err) != 0)
		return -1;
	for (i = 0; seq != NULL && i < seq->n; i++) {
		const struct pki_ynode *item = seq->items[i], *name;

		if (item->type != PKI_Y_MAP)
			return pki_err_set(err, PKI_E_PARSE, "%s: line %u: %s[%zu] must be a mapping",
				label, item->line, key, i);
		name = pki_ymap_get(item, "name");
		if (name == NULL || name->type != PKI_Y_SCALAR || name->len == 0)
			return pki_err_set(err, PKI_E_PARSE, "%s: line %u: %s[%zu] has no name",
				label, item->line, key, i);
		if (!pki_text_is_clean(name->str, name->len, 0))
			return pki_err_set(err, PKI_E_PARSE,
				"%s: line %u: %s[%zu].name holds control characters or invalid UTF-8",
				label, name->line, key, i);
		for (j = 0; j < i; j++) {
			const struct pki_ynode *prev = pki_ymap_get(seq->items[j], "name");

			if (strcmp(prev->str, name->str) == 0) {
				pki_text_sanitize(name->str, clean, sizeof(clean));
				return pki_err_set(err, PKI_E_PARSE,
					"%s: line %u: %s[%zu]: duplicate name '%s'", label,
					item->line, key, i, clean);
			}
		}
		if (found || strcmp(name->str, want) != 0)
			continue;
		if (pki_yget_map(item, bkey, 0, label, body, err) != 0)
			return -1;
		found = 1;
		*idx = i;
	}
	return found ? 0 : 1;
}

static void
dangling(const char *label, const char *ctx, const char *what, const char *name,
	struct pki_err *err)
{
	char clean[128];

	pki_text_sanitize(name, clean, sizeof(clean));
	pki_err_set(err, PKI_E_NOTFOUND, "%s: context '%s' names %s '%s', which is not in %ss",
		label, ctx, what, clean, what);
}

/* Decodes an optional base64 field; Go's decoder skips CR and LF. */
static int
decode_field(const struct pki_ynode *map, const char *key, const char *label,
	const char *where, struct pki_buf *out, int *has, struct pki_err *err)
{
	const struct pki_ynode *n = pki_ymap_get(map, key);
	char what[PKI_ERR_MSG_MAX], *clean = NULL;
	size_t i, len = 0;
	int ret = -1;

	*has = 0;
	if (n == NULL || pki_ynode_is_null(n))
		return 0;
	if (n->type != PKI_Y_SCALAR)
		return pki_err_set(err, PKI_E_PARSE, "%s: line %u: %s.%s must be a value", label,
			n->line, where, key);
	if (n->len == 0)
		return 0;
	(void)snprintf(what, sizeof(what), "%s: %s.%s", label, where, key);
	clean = malloc(n->len + 1);
	if (clean == NULL)
		return pki_err_nomem(err);
	for (i = 0; i < n->len; i++)
		if (n->str[i] != '\n' && n->str[i] != '\r')
			clean[len++] = n->str[i];
	if (pki_base64_decode(clean, len, out, what, err) != 0)
		goto out;
	*has = 1;
	ret = 0;
out:
	pki_freezero(clean, n->len + 1);
	return ret;
}

static int
check_header(const struct pki_ynode *root, const char *label, struct pki_err *err)
{
	const char *kind = NULL, *api = NULL;
	char clean[64];

	if (pki_yget_str(root, "kind", 0, label, &kind, err) != 0 ||
	    pki_yget_str(root, "apiVersion", 0, label, &api, err) != 0)
		return -1;
	if (kind != NULL && *kind != '\0' && strcmp(kind, "Config") != 0) {
		pki_text_sanitize(kind, clean, sizeof(clean));
		return pki_err_set(err, PKI_E_INVALID, "%s: kind '%s' is not Config", label, clean);
	}
	if (api != NULL && *api != '\0' && strcmp(api, "v1") != 0) {
		pki_text_sanitize(api, clean, sizeof(clean));
		return pki_err_set(err, PKI_E_INVALID, "%s: apiVersion '%s' is not v1", label,
			clean);
	}
	return 0;
}

int
pki_kubeconfig_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_kubeconfig **out, struct pki_err *err)
{
	struct pki_kubeconfig *kc = NULL;
	struct pki_ynode **docs = NULL;
	const struct pki_ynode *root, *ctx = NULL, *cluster = NULL, *user = NULL;
	const char *cur = NULL, *cname = NULL, *uname = NULL;
	char label[512], where[64], clean[128], cname_clean[400];
	size_t ndocs = 0, ci = 0, ui = 0, xi = 0;
	int ret = -1, r;

	*out = NULL;
	/* cannot truncate: 400 bytes at most go into 512 */
	pki_text_sanitize(name, cname_clean, sizeof(cname_clean));
	(void)snprintf(label, sizeof(label), "kubeconfig '%s'", cname_clean);
	if (len > PKI_CAP_YAML) {
		pki_err_set(err, PKI_E_LIMIT, "%s: larger than %u bytes", label, PKI_CAP_YAML);
		goto out;
	}
	if (pki_yaml_parse(data, len, label, &kc_limits, &docs, &ndocs, err) != 0)
		goto out;
	if (ndocs != 1) {
		pki_err_set(err, PKI_E_PARSE, "%s: %s", label,
			ndocs == 0 ? "empty" : "holds more than one YAML document");
		goto out;
	}
	root = docs[0];
	if (root->type != PKI_Y_MAP) {
		pki_err_set(err, PKI_E_PARSE, "%s: not a YAML mapping", label);
		goto out;
	}
	if (check_header(root, label, err) != 0)
		goto out;
	if (pki_yget_str(root, "current-context", 0, label, &cur, err) != 0)
		goto out;
	if (cur == NULL || *cur == '\0') {
		pki_err_set(err, PKI_E_INVALID, "%s: no current-context set", label);
		goto out;
	}
	pki_text_sanitize(cur, clean, sizeof(clean));
	r = find_named(root, "contexts", "context", cur, label, &ctx, &xi, err);
	if (r != 0) {
		if (r > 0)
			pki_err_set(err, PKI_E_NOTFOUND,
				"%s: current-context '%s' is not in contexts", label, clean);
		goto out;
	}
	(void)snprintf(where, sizeof(where), "contexts[%zu].context", xi);
	if (pki_yget_str(ctx, "cluster", 0, label, &cname, err) != 0 ||
	    pki_yget_str(ctx, "user", 0, label, &uname, err) != 0)
		goto out;
	if (cname == NULL || *cname == '\0' || uname == NULL || *uname == '\0') {
		pki_err_set(err, PKI_E_INVALID, "%s: %s: context '%s' names no %s", label, where,
			clean, cname == NULL || *cname == '\0' ? "cluster" : "user");
		goto out;
	}
	r = find_named(root, "clusters", "cluster", cname, label, &cluster, &ci, err);
	if (r > 0)
		dangling(label, clean, "cluster", cname, err);
	if (r != 0)
		goto out;
	r = find_named(root, "users", "user", uname, label, &user, &ui, err);
	if (r > 0)
		dangling(label, clean, "user", uname, err);
	if (r != 0)
		goto out;

	kc = pki_calloc(1, sizeof(*kc), err);
	if (kc == NULL)
		goto out;
	if ((kc->current_context = pki_strdup(cur, err)) == NULL ||
	    (kc->cluster_name = pki_strdup(cname, err)) == NULL ||
	    (kc->user_name = pki_strdup(uname, err)) == NULL)
		goto out;
	if (cluster != NULL) {
		(void)snprintf(where, sizeof(where), "clusters[%zu].cluster", ci);
		if (dup_field(cluster, "server", label, &kc->server, err) != 0 ||
		    dup_field(cluster, "certificate-authority", label, &kc->ca_file, err) != 0 ||
		    decode_field(cluster, "certificate-authority-data", label, where,
			    &kc->ca_data, &kc->has_ca_data, err) != 0)
			goto out;
	}
	if (user != NULL) {
		(void)snprintf(where, sizeof(where), "users[%zu].user", ui);
		if (dup_field(user, "client-certificate", label, &kc->cert_file, err) != 0 ||
		    dup_field(user, "client-key", label, &kc->key_file, err) != 0 ||
		    decode_field(user, "client-certificate-data", label, where, &kc->cert_data,
			    &kc->has_cert_data, err) != 0 ||
		    decode_field(user, "client-key-data", label, where, &kc->key_data,
			    &kc->has_key_data, err) != 0)
			goto out;
	}
	*out = kc;
	kc = NULL; /* transferred */
	ret = 0;
out:
	pki_kubeconfig_free(kc);
	pki_ydocs_free(docs, ndocs);
	return ret;
}

int
pki_kubeconfig_load(const char *path, struct pki_kubeconfig **out, struct pki_err *err)
{
	struct pki_buf buf = { 0 };
	int ret;

	*out = NULL;
	/* it holds a private key, but kubeadm writes it 0600 and some
	 * installers do not: reading it is not the place to refuse */
	if (pki_file_read(path, "kubeconfig", PKI_CAP_YAML, 0, &buf, err) != 0)
		return -1;
	ret = pki_kubeconfig_parse(buf.data, buf.len, path, out, err);
	pki_buf_free(&buf);
	return ret;
}

const char *
pki_kubeconfig_current_context(const struct pki_kubeconfig *kc)
{
	return kc->current_context;
}

const char *
pki_kubeconfig_cluster_name(const struct pki_kubeconfig *kc)
{
	return kc->cluster_name;
}

const char *
pki_kubeconfig_user_name(const struct pki_kubeconfig *kc)
{
	return kc->user_name;
}

const char *
pki_kubeconfig_server(const struct pki_kubeconfig *kc)
{
	return kc->server;
}

const struct pki_buf *
pki_kubeconfig_ca_data(const struct pki_kubeconfig *kc)
{
	return kc->has_ca_data ? &kc->ca_data : NULL;
}

const struct pki_buf *
pki_kubeconfig_client_cert_data(const struct pki_kubeconfig *kc)
{
	return kc->has_cert_data ? &kc->cert_data : NULL;
}

const struct pki_buf *
pki_kubeconfig_client_key_data(const struct pki_kubeconfig *kc)
{
	return kc->has_key_data ? &kc->key_data : NULL;
}

const char *
pki_kubeconfig_ca_file(const struct pki_kubeconfig *kc)
{
	return kc->ca_file;
}

const char *
pki_kubeconfig_client_cert_file(const struct pki_kubeconfig *kc)
{
	return kc->cert_file;
}

const char *
pki_kubeconfig_client_key_file(const struct pki_kubeconfig *kc)
{
	return kc->key_file;
}

/* ---- writing -------------------------------------------------------------- */

/* A name or path that goes into the file: present, clean, one line. */
static int
spec_str(const char *s, const char *field, int required, struct pki_err *err)
{
	if (s == NULL || *s == '\0')
		return required ? pki_err_set(err, PKI_E_USAGE, "kubeconfig: no %s given", field) :
				  0;
	if (!pki_text_is_clean(s, strlen(s), 0))
		return pki_err_set(err, PKI_E_INVALID,
			"kubeconfig: %s holds control characters or invalid UTF-8", field);
	return 0;
}

/* "    <key>: <value>\n" with the value quoted as YAML needs */
static int
put_field(struct pki_buf *out, const char *indent, const char *key, const char *value,
	struct pki_err *err)
{
	if (pki_buf_printf(out, err, "%s%s: ", indent, key) != 0 ||
	    pki_yaml_str(out, value, err) != 0)
		return -1;
	return pki_buf_append(out, "\n", 1, err);
}

/* "    <key>: <base64 of data>\n"; the encoded copy is wiped (it may be a key) */
static int
put_data(struct pki_buf *out, const char *indent, const char *key, const struct pki_buf *data,
	struct pki_err *err)
{
	struct pki_buf enc = { 0 };
	int ret = -1;

	if (pki_base64_encode(data->data, data->len, &enc, err) != 0)
		goto out;
	if (pki_buf_printf(out, err, "%s%s: ", indent, key) != 0 ||
	    pki_buf_append(out, enc.data, enc.len, err) != 0 ||
	    pki_buf_append(out, "\n", 1, err) != 0)
		goto out;
	ret = 0;
out:
	pki_buf_free(&enc);
	return ret;
}

int
pki_kubeconfig_render(const struct pki_kubeconfig_spec *s, struct pki_buf *out,
	struct pki_err *err)
{
	struct pki_buf b = { 0 };
	char *context = NULL;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (spec_str(s->cluster, "cluster name", 1, err) != 0 ||
	    spec_str(s->user, "user name", 1, err) != 0 ||
	    spec_str(s->context, "context name", 0, err) != 0 ||
	    spec_str(s->server, "server", 1, err) != 0 ||
	    spec_str(s->ca_file, "CA file", 0, err) != 0 ||
	    spec_str(s->cert_file, "client certificate file", 0, err) != 0 ||
	    spec_str(s->key_file, "client key file", 0, err) != 0)
		goto out;
	if ((s->ca_file == NULL) == (s->ca_pem == NULL)) {
		pki_err_set(err, PKI_E_USAGE, "kubeconfig: give the CA as data or as a file");
		goto out;
	}
	if ((s->cert_file == NULL) == (s->cert_pem == NULL) ||
	    (s->key_file == NULL) == (s->key_pem == NULL)) {
		pki_err_set(err, PKI_E_USAGE,
			"kubeconfig: give the client certificate and key as data or as files");
		goto out;
	}
	if (strncmp(s->server, "https://", 8) != 0 || s->server[8] == '\0') {
		pki_err_set(err, PKI_E_INVALID, "kubeconfig: server '%s' is not an https:// URL",
			s->server);
		goto out;
	}
	if (s->context != NULL) {
		if ((context = pki_strdup(s->context, err)) == NULL)
			goto out;
	} else if (asprintf(&context, "%s@%s", s->user, s->cluster) < 0) {
		context = NULL;
		pki_err_nomem(err);
		goto out;
	}
	/* clientcmd's own layout: keys in sorted order, as kubeadm's files */
	if (pki_buf_printf(&b, err, "apiVersion: v1\nclusters:\n- cluster:\n") != 0 ||
	    (s->ca_file && put_field(&b, "    ", "certificate-authority", s->ca_file, err) != 0) ||
	    (s->ca_pem && put_data(&b, "    ", "certificate-authority-data", s->ca_pem, err) != 0) ||
	    put_field(&b, "    ", "server", s->server, err) != 0 ||
	    put_field(&b, "  ", "name", s->cluster, err) != 0 ||
	    pki_buf_printf(&b, err, "contexts:\n- context:\n") != 0 ||
	    put_field(&b, "    ", "cluster", s->cluster, err) != 0 ||
	    put_field(&b, "    ", "user", s->user, err) != 0 ||
	    put_field(&b, "  ", "name", context, err) != 0 ||
	    put_field(&b, "", "current-context", context, err) != 0 ||
	    pki_buf_printf(&b, err, "kind: Config\npreferences: {}\nusers:\n") != 0 ||
	    put_field(&b, "", "- name", s->user, err) != 0 ||
	    pki_buf_printf(&b, err, "  user:\n") != 0 ||
	    (s->cert_file && put_field(&b, "    ", "client-certificate", s->cert_file, err) != 0) ||
	    (s->cert_pem &&
		    put_data(&b, "    ", "client-certificate-data", s->cert_pem, err) != 0) ||
	    (s->key_file && put_field(&b, "    ", "client-key", s->key_file, err) != 0) ||
	    (s->key_pem && put_data(&b, "    ", "client-key-data", s->key_pem, err) != 0))
		goto out;
	*out = b;
	memset(&b, 0, sizeof(b)); /* transferred */
	ret = 0;
out:
	pki_buf_free(&b);
	free(context);
	return ret;
}

#define KC_MAX_CA_CERTS 16

int
pki_kubeconfig_ca_pem(const unsigned char *data, size_t len, const char *name,
	struct pki_buf *out, struct pki_err *err)
{
	struct pki_buf b = { 0 }, one = { 0 };
	struct pki_cert **cas = NULL;
	struct pki_pem blk;
	char q[PKI_QPATH_MAX], label[sizeof(blk.label)];
	size_t pos = 0, nca = 0, i;
	int r, ret = -1;

	memset(out, 0, sizeof(*out));
	pki_path_quote(name, q, sizeof(q));
	while ((r = pki_pem_next(data, len, &pos, &blk, name, err)) == 1) {
		if (strcmp(blk.label, "CERTIFICATE") != 0) {
			pki_text_sanitize(blk.label, label, sizeof(label));
			pki_err_set(err, PKI_E_INVALID, "CA file '%s': holds a '%s' block: a CA "
				"file for a kubeconfig must hold certificates only", q, label);
			goto out;
		}
	}
	if (r < 0)
		goto out;
	if (pki_cert_list_parse(data, len, name, KC_MAX_CA_CERTS, &cas, &nca, err) != 0)
		goto out;
	if (nca == 0) {
		pki_err_set(err, PKI_E_INVALID, "CA file '%s': holds no certificate", q);
		goto out;
	}
	for (i = 0; i < nca; i++) {
		if (pki_cert_export_pem(cas[i], &one, err) != 0 ||
		    pki_buf_append(&b, one.data, one.len, err) != 0)
			goto out;
		pki_buf_free(&one);
	}
	*out = b;
	memset(&b, 0, sizeof(b)); /* transferred */
	ret = 0;
out:
	pki_cert_list_free(cas, nca);
	pki_buf_free(&one);
	pki_buf_free(&b);
	return ret;
}

int
pki_kubeconfig_single(const struct pki_kubeconfig_single *s, struct pki_buf *out,
	struct pki_err *err)
{
	struct pki_kubeconfig_spec spec = { 0 };
	struct pki_cert *cert = NULL, **cas = NULL;
	struct pki_key *key = NULL;
	struct pki_x509info info = { 0 };
	struct pki_buf ca = { 0 }, ca_pem = { 0 }, cert_pem = { 0 }, key_pem = { 0 };
	char qc[PKI_QPATH_MAX], qk[PKI_QPATH_MAX], qa[PKI_QPATH_MAX];
	size_t nca = 0;
	int ret = -1, m;

	memset(out, 0, sizeof(*out));
	pki_path_quote(s->cert_path, qc, sizeof(qc));
	pki_path_quote(s->key_path, qk, sizeof(qk));
	pki_path_quote(s->ca_path, qa, sizeof(qa));
	if (pki_cert_load(s->cert_path, &cert, err) != 0 ||
	    pki_key_load(s->key_path, &key, err) != 0 ||
	    pki_file_read(s->ca_path, "CA certificate", PKI_CAP_CERT, 0, &ca, err) != 0 ||
	    pki_kubeconfig_ca_pem(ca.data, ca.len, s->ca_path, &ca_pem, err) != 0 ||
	    pki_cert_list_parse(ca.data, ca.len, s->ca_path, KC_MAX_CA_CERTS, &cas, &nca,
		    err) != 0 ||
	    pki_cert_info(cert, &info, err) != 0)
		goto out;
	if ((m = pki_cert_matches_key(cert, key, err)) < 0)
		goto out;
	if (m == 0) {
		pki_err_set(err, PKI_E_INVALID, "key '%s': not the key of certificate '%s'", qk,
			qc);
		goto out;
	}
	if (nca == 0 || pki_cert_verify_signed_by(cert, cas[0], err) != 0) {
		pki_err_set(err, PKI_E_INVALID, "certificate '%s': not issued by the CA in '%s'",
			qc, qa);
		goto out;
	}
	if (s->user == NULL && info.cn == NULL) {
		pki_err_set(err, PKI_E_USAGE, "certificate '%s': no CN: name the user with --user",
			qc);
		goto out;
	}
	if (pki_cert_export_pem(cert, &cert_pem, err) != 0 ||
	    pki_key_export_pem(key, &key_pem, err) != 0)
		goto out;
	spec.cluster = s->cluster ? s->cluster : "kubernetes";
	spec.user = s->user ? s->user : info.cn;
	spec.context = s->context;
	spec.server = s->server;
	spec.ca_pem = &ca_pem;
	spec.cert_pem = &cert_pem;
	spec.key_pem = &key_pem;
	if (pki_kubeconfig_render(&spec, out, err) != 0)
		goto out;
	ret = 0;
out:
	pki_x509info_free(&info);
	pki_cert_list_free(cas, nca);
	pki_cert_free(cert);
	pki_key_free(key);
	pki_buf_free(&ca);
	pki_buf_free(&ca_pem);
	pki_buf_free(&cert_pem);
	pki_buf_free(&key_pem);
	return ret;
}
