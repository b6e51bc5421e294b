/* check_bundle.c — the CSR bundle: reading, writing, fingerprint, limits,
 * hostile bundles, and its summary in pki_dump. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <pki/bundle.h>
#include <pki/report.h>

#include "internal.h"
#include "testutil.h"

/* 2026-03-04T05:06:07Z, the fixtures' creation time */
#define CREATED ((time_t)1772600767LL)

static struct pki_profile_set *set129, *set122;

static void
setup(void)
{
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_profile_set_load("kubeadm-v1.29", &set129, &err) == 0, "%s", err.msg);
	ck_assert_msg(pki_profile_set_load("kubeadm-v1.22", &set122, &err) == 0, "%s", err.msg);
}

static void
teardown(void)
{
	pki_profile_set_free(set129);
	pki_profile_set_free(set122);
	set129 = set122 = NULL;
}

/* A fixture as a NUL-terminated string (the caller frees). */
static char *
read_text(const char *rel, size_t *len)
{
	struct pki_buf b = { 0 };
	char *s;

	test_read(rel, &b);
	s = malloc(b.len + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, b.data, b.len);
	s[b.len] = '\0';
	if (len != NULL)
		*len = b.len;
	pki_buf_free(&b);
	return s;
}

/* The expected fingerprint, computed by gen.py from kpki-bundle(5) alone. */
static void
read_fp(const char *rel, char out[72])
{
	char *s = read_text(rel, NULL);

	ck_assert_uint_eq(strlen(s), 72); /* "SHA256:" 64 hex, newline */
	memcpy(out, s, 71);
	out[71] = '\0';
	free(s);
}

static struct pki_bundle *
parse_ok(const char *text, size_t len, const struct pki_profile_set *set)
{
	struct pki_bundle *b = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_bundle_parse((const unsigned char *)text, len, "t.yaml", set, &b,
			      &err) == 0,
		"%s", err.msg);
	ck_assert_ptr_nonnull(b);
	return b;
}

static void
fingerprint(const struct pki_bundle *b, char out[72])
{
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_bundle_fingerprint(b, out, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(strlen(out), 71);
}

static char *
write_str(const struct pki_bundle *b)
{
	struct pki_buf out = { 0 };
	struct pki_err err;
	char *s;

	pki_err_clear(&err);
	ck_assert_msg(pki_bundle_write(b, &out, &err) == 0, "%s", err.msg);
	s = strndup((const char *)out.data, out.len);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), out.len);
	pki_buf_free(&out);
	return s;
}

static char *
csr_cn(const struct pki_csr *csr)
{
	struct pki_x509info x;
	struct pki_err err;
	char *cn;

	pki_err_clear(&err);
	ck_assert_msg(pki_csr_info(csr, &x, &err) == 0, "%s", err.msg);
	cn = strdup(x.cn ? x.cn : "");
	pki_x509info_free(&x);
	return cn;
}

/* ---- reading the good bundle ------------------------------------------- */

START_TEST(test_parse_fields)
{
	static const struct {
		const char *name, *path, *cn;
		enum pki_profile_location loc;
	} want[] = {
		{ "apiserver", "apiserver.crt", "kube-apiserver", PKI_LOC_CERT_DIR },
		{ "etcd-server", "etcd/server.crt", "cp-1", PKI_LOC_CERT_DIR },
		{ "admin.conf", "admin.conf", "kubernetes-admin", PKI_LOC_KUBECONFIG_DIR },
		{ "kubelet", "kubelet.crt", "system:node:cp-1", PKI_LOC_KUBELET_DIR },
	};
	struct pki_bundle *b = NULL;
	struct pki_err err;
	size_t i;

	pki_err_clear(&err);
	/* the set named by the bundle, loaded from the templates directory */
	ck_assert_msg(pki_bundle_load(test_data("bundle/good/cp1.yaml"), NULL, &b, &err) == 0,
		"%s", err.msg);
	ck_assert_str_eq(pki_bundle_profiles(b), "kubeadm-v1.29");
	ck_assert_str_eq(pki_bundle_cluster(b), "kubernetes");
	ck_assert_str_eq(pki_bundle_node(b), "cp-1");
	ck_assert_int_eq((long long)pki_bundle_created(b), (long long)CREATED);
	ck_assert_uint_eq(pki_bundle_count(b), 4);
	ck_assert_ptr_null(pki_bundle_at(b, 4));
	for (i = 0; i < 4; i++) {
		const struct pki_bundle_entry *e = pki_bundle_at(b, i);
		char *cn = csr_cn(pki_bundle_entry_csr(e));

		ck_assert_str_eq(pki_bundle_entry_name(e), want[i].name);
		ck_assert_str_eq(pki_bundle_entry_path(e), want[i].path);
		ck_assert_int_eq(pki_bundle_entry_location(e), want[i].loc);
		ck_assert_str_eq(cn, want[i].cn);
		free(cn);
	}
	pki_bundle_free(b);
}
END_TEST

START_TEST(test_parse_worker)
{
	struct pki_bundle *b = NULL;
	struct pki_err err;
	char fp[72], want[72];

	pki_err_clear(&err);
	ck_assert_msg(pki_bundle_load(test_data("bundle/good/worker-v1.22.yaml"), set122, &b,
			      &err) == 0,
		"%s", err.msg);
	ck_assert_str_eq(pki_bundle_node(b), "");
	ck_assert_str_eq(pki_bundle_profiles(b), "kubeadm-v1.22");
	ck_assert_uint_eq(pki_bundle_count(b), 1);
	ck_assert_str_eq(pki_bundle_entry_path(pki_bundle_at(b, 0)), "kubelet.conf");
	fingerprint(b, fp);
	read_fp("bundle/good/worker-v1.22.fingerprint", want);
	ck_assert_str_eq(fp, want);
	pki_bundle_free(b);
	/* the caller's set must be the one the bundle names */
	ck_assert_int_eq(pki_bundle_load(test_data("bundle/good/worker-v1.22.yaml"), set129, &b,
				 &err),
		-1);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_msg(strstr(err.msg, "profile set 'kubeadm-v1.22' is not the expected "
				      "'kubeadm-v1.29'") != NULL,
		"%s", err.msg);
}
END_TEST

START_TEST(test_load_missing)
{
	struct pki_bundle *b = (struct pki_bundle *)1;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_bundle_load(test_data("bundle/good/nonexistent.yaml"), NULL, &b,
				 &err),
		-1);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
}
END_TEST

/* ---- the same content in other forms: same fingerprint, same output ---- */

static const char *const same_content[] = {
	"bundle/good/cp1.yaml",
	"bundle/good/cp1-reordered.yaml",	/* keys, entries, quoting, comments */
	"bundle/good/cp1-crlf.yaml",		/* CRLF line endings */
	"bundle/good/cp1-rewrapped.yaml",	/* PEM at 76 columns, old label */
};

START_TEST(test_fingerprint_stable)
{
	struct pki_bundle *b;
	char *text, *canon, *out, fp[72], want[72];
	size_t len;

	read_fp("bundle/good/cp1.fingerprint", want);
	text = read_text(same_content[_i], &len);
	b = parse_ok(text, len, set129);
	fingerprint(b, fp);
	ck_assert_str_eq(fp, want);
	/* the writer gives back cp1.yaml byte for byte (entries in file order:
	 * reversed for the reordered one) */
	canon = read_text("bundle/good/cp1.yaml", NULL);
	out = write_str(b);
	if (_i == 1) {
		ck_assert_str_eq(pki_bundle_entry_name(pki_bundle_at(b, 0)), "kubelet");
		ck_assert_msg(strcmp(out, canon) != 0, "entry order lost");
		ck_assert_uint_eq(strlen(out), strlen(canon));
	} else {
		ck_assert_msg(strcmp(out, canon) == 0, "%s: written differently", same_content[_i]);
	}
	pki_bundle_free(b);
	free(text);
	free(canon);
	free(out);
}
END_TEST

/* write -> parse -> write is the identity, and the fingerprint survives */
START_TEST(test_round_trip)
{
	struct pki_bundle *b, *b2;
	char *text, *out, *out2, fp[72], fp2[72];
	size_t len;

	text = read_text("bundle/good/worker-v1.22.yaml", &len);
	b = parse_ok(text, len, NULL);
	out = write_str(b);
	ck_assert_msg(strcmp(out, text) == 0, "written differently");
	b2 = parse_ok(out, strlen(out), NULL);
	out2 = write_str(b2);
	ck_assert_msg(strcmp(out2, out) == 0, "written differently the second time");
	fingerprint(b, fp);
	fingerprint(b2, fp2);
	ck_assert_str_eq(fp, fp2);
	ck_assert_ptr_null(strstr(out, "PRIVATE KEY"));
	pki_bundle_free(b);
	pki_bundle_free(b2);
	free(text);
	free(out);
	free(out2);
}
END_TEST

/* ---- building a bundle ------------------------------------------------- */

static struct pki_csr *
load_csr(const char *name)
{
	struct pki_csr *csr = NULL;
	struct pki_buf in = { 0 };
	struct pki_err err;
	char rel[128];

	(void)snprintf(rel, sizeof(rel), "bundle/good/csr/%s.pem", name);
	test_read(rel, &in);
	pki_err_clear(&err);
	ck_assert_msg(pki_csr_parse(in.data, in.len, rel, &csr, &err) == 0, "%s", err.msg);
	pki_buf_free(&in);
	return csr;
}

static void
add(struct pki_bundle *b, const struct pki_profile_set *set, const char *profile,
	const char *csrname)
{
	struct pki_csr *csr = load_csr(csrname);
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_bundle_add(b, pki_profile_set_find(set, profile), csr, &err) == 0,
		"%s", err.msg);
	/* the bundle holds a copy */
	pki_csr_free(csr);
}

START_TEST(test_build)
{
	struct pki_bundle *b = NULL;
	struct pki_csr *csr;
	struct pki_err err;
	char *out, *want, fp[72], wantfp[72];

	pki_err_clear(&err);
	ck_assert_msg(pki_bundle_new("kubeadm-v1.29", "kubernetes", "cp-1", CREATED, &b, &err) == 0,
		"%s", err.msg);
	ck_assert_uint_eq(pki_bundle_count(b), 0);
	/* nothing to write yet */
	{
		struct pki_buf o = { 0 };

		ck_assert_int_eq(pki_bundle_write(b, &o, &err), -1);
		ck_assert_int_eq(err.code, PKI_E_USAGE);
		ck_assert_uint_eq(o.len, 0);
	}
	add(b, set129, "apiserver", "apiserver");
	add(b, set129, "etcd-server", "etcd-server");
	add(b, set129, "admin.conf", "admin.conf");
	add(b, set129, "kubelet", "kubelet");
	out = write_str(b);
	want = read_text("bundle/good/cp1.yaml", NULL);
	ck_assert_msg(strcmp(out, want) == 0, "not written as cp1.yaml:\n%.1500s", out);
	fingerprint(b, fp);
	read_fp("bundle/good/cp1.fingerprint", wantfp);
	ck_assert_str_eq(fp, wantfp);

	/* a second request for the same profile */
	csr = load_csr("apiserver-2");
	pki_err_clear(&err);
	ck_assert_int_eq(pki_bundle_add(b, pki_profile_set_find(set129, "apiserver"), csr, &err),
		-1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	ck_assert_str_eq(err.msg, "bundle: entry 'apiserver' is already there");
	/* a CA is never requested */
	ck_assert_int_eq(pki_bundle_add(b, pki_profile_set_find(set129, "etcd-ca"), csr, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_USAGE);
	ck_assert_str_eq(err.msg,
		"bundle: profile 'etcd-ca' is a CA: a bundle requests no CA certificate");
	ck_assert_uint_eq(pki_bundle_count(b), 4);
	pki_csr_free(csr);
	pki_bundle_free(b);
	free(out);
	free(want);
}
END_TEST

static const struct {
	const char *profiles, *cluster, *node;
	time_t created;
	const char *msg;
} new_bad[] = {
	{ "../templates/x", "kubernetes", "cp-1", CREATED,
		"bundle: profile set '../templates/x' is not a set name" },
	{ "evil.yaml", "kubernetes", "cp-1", CREATED, "bundle: profile set 'evil.yaml' is not" },
	{ "", "kubernetes", "cp-1", CREATED, "bundle: profile set '' is not a set name" },
	{ "kubeadm-v1.29", "", "cp-1", CREATED, "bundle: cluster name '' is empty" },
	{ "kubeadm-v1.29", "a\x1b[31m", "cp-1", CREATED, "bundle: cluster name 'a\\x1b[31m'" },
	{ "kubeadm-v1.29", "kubernetes", "Node_1", CREATED,
		"bundle: node name 'Node_1' is not an RFC 1123 subdomain" },
	{ "kubeadm-v1.29", "kubernetes", "../cp-1", CREATED,
		"bundle: node name '../cp-1' is not an RFC 1123 subdomain" },
	{ "kubeadm-v1.29", "kubernetes", "cp-1", (time_t)-1,
		"bundle: creation time -1 is outside 1970 to 9999" },
};

START_TEST(test_new_bad)
{
	struct pki_bundle *b = (struct pki_bundle *)1;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_bundle_new(new_bad[_i].profiles, new_bad[_i].cluster, new_bad[_i].node,
				 new_bad[_i].created, &b, &err),
		-1);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_msg(strncmp(err.msg, new_bad[_i].msg, strlen(new_bad[_i].msg)) == 0,
		"got '%s', want '%s'", err.msg, new_bad[_i].msg);
}
END_TEST

/* ---- any change of content changes the fingerprint --------------------- */

/* cp1.yaml with `from` replaced by `to` (first occurrence) */
static char *
cp1_with(const char *from, const char *to)
{
	char *s = read_text("bundle/good/cp1.yaml", NULL), *p, *r;

	if (from == NULL)
		return s;
	p = strstr(s, from);
	ck_assert_msg(p != NULL, "'%s' not in cp1.yaml", from);
	r = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
	ck_assert_ptr_nonnull(r);
	memcpy(r, s, (size_t)(p - s));
	strcpy(r + (p - s), to);
	strcat(r, p + strlen(from));
	free(s);
	return r;
}

/* the apiserver entry's PEM in cp1.yaml, as written */
static char *
indented_pem(const char *csrname)
{
	char rel[128], *pem, *out, *line, *save = NULL;
	size_t cap;

	(void)snprintf(rel, sizeof(rel), "bundle/good/csr/%s.pem", csrname);
	pem = read_text(rel, NULL);
	cap = strlen(pem) * 2 + 1;
	out = calloc(1, cap);
	ck_assert_ptr_nonnull(out);
	for (line = strtok_r(pem, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		strcat(out, "      ");
		strcat(out, line);
		strcat(out, "\n");
	}
	free(pem);
	return out;
}

START_TEST(test_fingerprint_changes)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ NULL, NULL },
		{ "cluster: kubernetes", "cluster: kubernetes2" },
		{ "node: cp-1", "node: cp-2" },
		{ "node: cp-1", "node: \"\"" },
		{ "05:06:07Z", "05:06:08Z" },
		{ "profiles: kubeadm-v1.29", "profiles: kubeadm-v1.22" },
		/* the last entry left out */
		{ "  - name: kubelet\n", "" },
	};
	char fps[sizeof(edits) / sizeof(edits[0]) + 1][72];
	struct pki_bundle *b;
	char *text, *api, *api2;
	size_t i, j, n = sizeof(edits) / sizeof(edits[0]);

	for (i = 0; i < n; i++) {
		text = cp1_with(edits[i].from, edits[i].to);
		if (i + 1 == n) /* cut the kubelet entry whole */
			*strstr(text, "    location: kubelet-dir") = '\0';
		b = parse_ok(text, strlen(text), NULL);
		fingerprint(b, fps[i]);
		pki_bundle_free(b);
		free(text);
	}
	/* another CSR for the same profile */
	api = indented_pem("apiserver");
	api2 = indented_pem("apiserver-2");
	text = cp1_with(api, api2);
	b = parse_ok(text, strlen(text), set129);
	ck_assert_str_eq(pki_bundle_entry_name(pki_bundle_at(b, 0)), "apiserver");
	fingerprint(b, fps[n]);
	pki_bundle_free(b);
	free(text);
	free(api);
	free(api2);
	for (i = 0; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			ck_assert_msg(strcmp(fps[i], fps[j]) != 0, "edits %zu and %zu collide", i,
				j);
}
END_TEST

/* ---- hostile bundles ----------------------------------------------------- */

#define B "bundle 'bundle/bad/"

static const struct {
	const char *file;
	enum pki_errcode code;
	const char *msg; /* the whole message, or its start when it ends in '*' */
} bad[] = {
	{ "path-traversal.yaml", PKI_E_INVALID, B "path-traversal.yaml': entry 'apiserver': "
		"path '../../etc/shadow' is not the profile's target 'apiserver.crt'" },
	{ "path-absolute.yaml", PKI_E_INVALID, B "path-absolute.yaml': entry 'apiserver': "
		"path '/etc/kubernetes/pki/apiserver.crt' is not the profile's target "
		"'apiserver.crt'" },
	{ "path-other.yaml", PKI_E_INVALID, B "path-other.yaml': entry 'apiserver': "
		"path 'etcd/server.crt' is not the profile's target 'apiserver.crt'" },
	{ "path-ctrl.yaml", PKI_E_PARSE, B "path-ctrl.yaml': entry 'apiserver': line 11: "
		"'path' holds control characters or invalid UTF-8" },
	{ "path-nul.yaml", PKI_E_PARSE, B "path-nul.yaml': line 11: a value holds a NUL byte" },
	{ "unknown-profile.yaml", PKI_E_INVALID, B "unknown-profile.yaml': entry 'evil': "
		"no profile 'evil' in set 'kubeadm-v1.29'" },
	{ "ca-profile.yaml", PKI_E_INVALID, B "ca-profile.yaml': entry 'ca': profile 'ca' is a "
		"CA: a bundle requests no CA certificate" },
	{ "wrong-location.yaml", PKI_E_INVALID, B "wrong-location.yaml': entry 'apiserver': "
		"location 'kubeconfig-dir' is not the profile's location 'cert-dir'" },
	{ "bad-location.yaml", PKI_E_INVALID, B "bad-location.yaml': entry 'apiserver': "
		"location '/etc' is not cert-dir, kubeconfig-dir or kubelet-dir" },
	{ "two-csrs.yaml", PKI_E_INVALID, B "two-csrs.yaml': entry 'apiserver': 'csr' holds 2 "
		"PEM blocks, not exactly one certificate request" },
	{ "private-key.yaml", PKI_E_INVALID, B "private-key.yaml': holds a private key: a bundle "
		"never carries one (the key stays on the node)" },
	{ "private-key-comment.yaml", PKI_E_INVALID, B "private-key-comment.yaml': holds a "
		"private key: a bundle never carries one (the key stays on the node)" },
	{ "certificate.yaml", PKI_E_INVALID, B "certificate.yaml': entry 'apiserver': 'csr' is "
		"a certificate, not a certificate request" },
	{ "text-around.yaml", PKI_E_PARSE, B "text-around.yaml': entry 'apiserver': 'csr': text "
		"before the PEM block" },
	{ "bad-base64.yaml", PKI_E_PARSE, B "bad-base64.yaml': entry 'apiserver': 'csr': "
		"CERTIFICATE REQUEST block: malformed base64*" },
	{ "no-pem.yaml", PKI_E_PARSE, B "no-pem.yaml': entry 'apiserver': 'csr': line 12: no PEM "
		"certificate request (RFC 7468)" },
	{ "truncated-pem.yaml", PKI_E_PARSE, B "truncated-pem.yaml': entry 'apiserver': 'csr': "
		"PEM block 'CERTIFICATE REQUEST' has no END line" },
	{ "truncated-yaml.yaml", PKI_E_PARSE, B "truncated-yaml.yaml': line 3: missing 'node'" },
	{ "truncated-flow.yaml", PKI_E_PARSE, B "truncated-flow.yaml': line 2: *" },
	{ "alias-bomb.yaml", PKI_E_PARSE, B "alias-bomb.yaml': line 3: YAML aliases are not "
		"allowed" },
	{ "deep.yaml", PKI_E_LIMIT, B "deep.yaml': line 2: nested deeper than 8 levels" },
	{ "bad-created.yaml", PKI_E_INVALID, B "bad-created.yaml': created "
		"'2026-02-30T05:06:07Z' is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)" },
	{ "created-offset.yaml", PKI_E_INVALID, B "created-offset.yaml': created "
		"'2026-03-04T07:06:07+02:00' is not an RFC 3339 UTC time*" },
	{ "created-date.yaml", PKI_E_INVALID, B "created-date.yaml': created '2026-03-04' is "
		"not an RFC 3339 UTC time*" },
	{ "unknown-key.yaml", PKI_E_PARSE, B "unknown-key.yaml': line 5: unknown key 'signer' in "
		"the bundle" },
	{ "unknown-entry-key.yaml", PKI_E_PARSE, B "unknown-entry-key.yaml': line 12: unknown "
		"key 'usages' in entry 'apiserver'" },
	{ "missing-cluster.yaml", PKI_E_PARSE, B "missing-cluster.yaml': line 3: missing "
		"'cluster'" },
	{ "missing-csr.yaml", PKI_E_PARSE, B "missing-csr.yaml': entry 'apiserver': line 9: "
		"missing 'csr'" },
	{ "missing-version.yaml", PKI_E_PARSE, B "missing-version.yaml': missing 'kpki-bundle' "
		"(not a kpki CSR bundle)" },
	{ "version-2.yaml", PKI_E_INVALID, B "version-2.yaml': line 3: format version 'v2' is "
		"not supported (this version reads v1)" },
	{ "version-int.yaml", PKI_E_INVALID, B "version-int.yaml': line 3: format version '1' is "
		"not supported (this version reads v1)" },
	{ "duplicate.yaml", PKI_E_INVALID, B "duplicate.yaml': entry 'apiserver': line 35: a "
		"second entry for the same profile" },
	{ "signed-entry.yaml", PKI_E_INVALID, B "signed-entry.yaml': entry 'apiserver': line 23: "
		"'certificate' belongs to a signed bundle, which this version does not read" },
	{ "ca-certificates.yaml", PKI_E_INVALID, B "ca-certificates.yaml': 'ca-certificates' "
		"belongs to a signed bundle, which this version does not read" },
	{ "profiles-path.yaml", PKI_E_INVALID, B "profiles-path.yaml': profile set "
		"'../../tmp/evil.yaml' is not a set name*" },
	{ "profiles-yaml.yaml", PKI_E_INVALID, B "profiles-yaml.yaml': profile set 'evil.yaml' "
		"is not a set name*" },
	{ "unknown-set.yaml", PKI_E_NOTFOUND, B "unknown-set.yaml': profile set *" },
	{ "bad-node.yaml", PKI_E_INVALID, B "bad-node.yaml': node name 'Node_1' is not an RFC "
		"1123 subdomain" },
	{ "empty-entries.yaml", PKI_E_INVALID, B "empty-entries.yaml': line 8: no entries" },
	{ "entries-map.yaml", PKI_E_PARSE, B "entries-map.yaml': line 8: 'entries' must be a "
		"list, not a mapping" },
	{ "two-docs.yaml", PKI_E_LIMIT, B "two-docs.yaml': more than 1 YAML documents" },
	{ "list.yaml", PKI_E_PARSE, B "list.yaml': not one YAML mapping (kpki-bundle(5))" },
	{ "empty.yaml", PKI_E_PARSE, B "empty.yaml': not one YAML mapping (kpki-bundle(5))" },
};

START_TEST(test_bad)
{
	struct pki_bundle *b = (struct pki_bundle *)1;
	struct pki_err err;
	char rel[128], *text;
	size_t len, n = strlen(bad[_i].msg);

	(void)snprintf(rel, sizeof(rel), "bundle/bad/%s", bad[_i].file);
	text = read_text(rel, &len);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_bundle_parse((const unsigned char *)text, len, rel, NULL, &b, &err),
		-1);
	ck_assert_ptr_null(b);
	ck_assert_msg(err.code == bad[_i].code, "%s: code %d, want %d (%s)", bad[_i].file,
		err.code, bad[_i].code, err.msg);
	if (bad[_i].msg[n - 1] == '*')
		ck_assert_msg(strncmp(err.msg, bad[_i].msg, n - 1) == 0, "got '%s', want '%s'",
			err.msg, bad[_i].msg);
	else
		ck_assert_str_eq(err.msg, bad[_i].msg);
	/* a message never carries a key's text */
	ck_assert_ptr_null(strstr(err.msg, "-----BEGIN"));
	ck_assert_ptr_null(strstr(err.msg, "MIG"));
	free(text);
}
END_TEST

/* ---- caps ----------------------------------------------------------------- */

static char *
many_entries(size_t n)
{
	struct pki_buf b = { 0 };
	struct pki_err err;
	size_t i;
	char *s;

	pki_err_clear(&err);
	ck_assert(pki_buf_printf(&b, &err,
			  "kpki-bundle: v1\nprofiles: kubeadm-v1.29\ncluster: k\nnode: n\n"
			  "created: 2026-03-04T05:06:07Z\nentries:\n") == 0);
	for (i = 0; i < n; i++)
		ck_assert(pki_buf_printf(&b, &err, "- {name: e%zu, location: cert-dir, path: "
						   "e%zu.crt, csr: x}\n",
				  i, i) == 0);
	s = strndup((const char *)b.data, b.len);
	pki_buf_free(&b);
	return s;
}

START_TEST(test_limits)
{
	struct pki_bundle *b = NULL;
	struct pki_err err;
	char *s;
	size_t big = 2u * 1024 * 1024, i;

	/* one entry past the cap: refused before any entry is read */
	s = many_entries(PKI_BUNDLE_MAX_ENTRIES + 1);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_bundle_parse((unsigned char *)s, strlen(s), "m.yaml", set129, &b,
				 &err),
		-1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "bundle 'm.yaml': line 7: more than 64 entries");
	free(s);
	/* ten thousand: stopped by the YAML node cap while parsing */
	s = many_entries(10000);
	ck_assert_int_eq(pki_bundle_parse((unsigned char *)s, strlen(s), "m.yaml", set129, &b,
				 &err),
		-1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_msg(strstr(err.msg, "more than 4096 YAML nodes") != NULL, "%s", err.msg);
	free(s);
	/* a huge scalar */
	s = malloc(big + 64);
	ck_assert_ptr_nonnull(s);
	strcpy(s, "kpki-bundle: v1\ncluster: ");
	for (i = strlen(s); i < big; i++)
		s[i] = 'a';
	s[i] = '\0';
	ck_assert_int_eq(pki_bundle_parse((unsigned char *)s, strlen(s), "h.yaml", set129, &b,
				 &err),
		-1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "bundle 'h.yaml': line 2: a value longer than 131072 bytes");
	/* the whole input */
	ck_assert_int_eq(pki_bundle_parse((unsigned char *)s, PKI_CAP_YAML + 1, "h.yaml", set129,
				 &b, &err),
		-1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "bundle 'h.yaml': larger than 4194304 bytes");
	ck_assert_ptr_null(b);
	free(s);
	/* a cluster name past 253 bytes */
	s = cp1_with("cluster: kubernetes", "cluster: "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaa");
	ck_assert_int_eq(pki_bundle_parse((unsigned char *)s, strlen(s), "c.yaml", set129, &b,
				 &err),
		-1);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_msg(strncmp(err.msg, "bundle 'c.yaml': cluster name 'aaa", 34) == 0, "%s",
		err.msg);
	free(s);
}
END_TEST

/* text[0..n) ends with a whole entry and only blanks follow up to the
 * next entry */
static int
between_entries(const char *text, size_t n)
{
	static const char end[] = "-----END CERTIFICATE REQUEST-----";
	size_t a = n, b = n;

	while (a > 0 && strchr(" \n", text[a - 1]) != NULL)
		a--;
	while (text[b] != '\0' && strchr(" \n", text[b]) != NULL)
		b++;
	return a >= sizeof(end) - 1 &&
		strncmp(text + a - (sizeof(end) - 1), end, sizeof(end) - 1) == 0 &&
		strncmp(text + b, "- name: ", 8) == 0;
}

/* every truncation of a good bundle is an error, never a crash; bit flips
 * give an error or a bundle, never a crash */
START_TEST(test_mutations)
{
	struct pki_bundle *b = NULL;
	struct pki_err err;
	char fp[72], *text, *copy;
	size_t len, n, bit;
	int r;

	text = read_text("bundle/good/cp1.yaml", &len);
	for (n = 0; n + 1 < len; n++) {
		copy = malloc(n + 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, text, n);
		pki_err_clear(&err);
		r = pki_bundle_parse((unsigned char *)copy, n, "t.yaml", set129, &b, &err);
		if (r == 0) {
			/* only a cut between entries leaves a bundle: one with fewer */
			ck_assert_msg(between_entries(text, n), "truncated at %zu: accepted", n);
			ck_assert_uint_lt(pki_bundle_count(b), 4);
			pki_bundle_free(b);
			b = NULL;
		} else {
			ck_assert_ptr_null(b);
			ck_assert_int_ne(err.code, PKI_OK);
		}
		free(copy);
	}
	copy = malloc(len);
	ck_assert_ptr_nonnull(copy);
	for (bit = 0; bit < len * 8; bit += 61) {
		memcpy(copy, text, len);
		copy[bit / 8] ^= (char)(1u << (bit % 8));
		pki_err_clear(&err);
		r = pki_bundle_parse((unsigned char *)copy, len, "t.yaml", set129, &b, &err);
		if (r == 0) {
			fingerprint(b, fp);
			pki_bundle_free(b);
			b = NULL;
		} else {
			ck_assert_ptr_null(b);
			ck_assert_int_ne(err.code, PKI_OK);
		}
	}
	free(copy);
	free(text);
}
END_TEST

/* ---- the summary (kpki-inspect) ------------------------------------------ */

static char *
dump(const char *rel, enum pki_format fmt, int *rc, struct pki_err *err)
{
	struct pki_buf in = { 0 }, out = { 0 };
	char *s;

	test_read(rel, &in);
	pki_err_clear(err);
	*rc = pki_dump(in.data, in.len, rel, CREATED, fmt, &out, err);
	s = strndup(out.data ? (const char *)out.data : "", out.len);
	pki_buf_free(&in);
	pki_buf_free(&out);
	return s;
}

static void
assert_has(const char *s, const char *want)
{
	ck_assert_msg(strstr(s, want) != NULL, "'%s' not in:\n%s", want, s);
}

START_TEST(test_dump_text)
{
	struct pki_err err;
	char fp[72], line[128], *s;
	int rc;

	read_fp("bundle/good/cp1.fingerprint", fp);
	s = dump("bundle/good/cp1-crlf.yaml", PKI_FMT_TEXT, &rc, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	assert_has(s, "bundle/good/cp1-crlf.yaml: CSR bundle\n"
		      "  format: kpki-bundle v1\n"
		      "  profile set: kubeadm-v1.29\n"
		      "  cluster: kubernetes\n"
		      "  node: cp-1\n"
		      "  created: 2026-03-04T05:06:07Z\n");
	(void)snprintf(line, sizeof(line), "\n  fingerprint: %s\n", fp);
	assert_has(s, line);
	assert_has(s, "\n  entry 1 of 4: apiserver\n"
		      "    location: cert-dir\n"
		      "    path: apiserver.crt\n"
		      "    certificate request\n"
		      "      subject: CN=kube-apiserver\n"
		      "      public key: ECDSA P-256\n"
		      "      signature algorithm: ECDSA-SHA256\n"
		      "      signature: valid\n"
		      "      subject alternative names: DNS:cp-1, DNS:kubernetes, "
		      "DNS:kubernetes.default, DNS:kubernetes.default.svc, "
		      "DNS:kubernetes.default.svc.cluster.local, IP:10.96.0.1, IP:192.0.2.10\n"
		      "      requested extensions: subjectAltName\n");
	assert_has(s, "\n  entry 2 of 4: etcd-server\n    location: cert-dir\n"
		      "    path: etcd/server.crt\n");
	assert_has(s, "IP:192.0.2.10, IP:127.0.0.1, IP:::1\n");
	assert_has(s, "\n  entry 3 of 4: admin.conf\n    location: kubeconfig-dir\n"
		      "    path: admin.conf\n    certificate request\n"
		      "      subject: CN=kubernetes-admin,O=kubeadm:cluster-admins\n");
	assert_has(s, "\n      requested extensions: none\n");
	assert_has(s, "\n  entry 4 of 4: kubelet\n    location: kubelet-dir\n"
		      "    path: kubelet.crt\n");
	ck_assert_ptr_null(strstr(s, "PRIVATE"));
	ck_assert_ptr_null(strstr(s, "-----BEGIN"));
	free(s);
}
END_TEST

START_TEST(test_dump_json)
{
	struct pki_err err;
	char fp[72], line[128], *s;
	int rc;

	read_fp("bundle/good/worker-v1.22.fingerprint", fp);
	s = dump("bundle/good/worker-v1.22.yaml", PKI_FMT_JSON, &rc, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	assert_has(s, "\n      \"type\": \"bundle\",\n"
		      "      \"format\": \"kpki-bundle v1\",\n"
		      "      \"profiles\": \"kubeadm-v1.22\",\n"
		      "      \"cluster\": \"kubernetes\",\n"
		      "      \"node\": \"\",\n"
		      "      \"created\": \"2026-03-04T05:06:07Z\",\n");
	(void)snprintf(line, sizeof(line), "\n      \"fingerprint\": \"%s\",\n", fp);
	assert_has(s, line);
	assert_has(s, "\n      \"entries\": [\n        {\n"
		      "          \"name\": \"kubelet.conf\",\n"
		      "          \"location\": \"kubeconfig-dir\",\n"
		      "          \"path\": \"kubelet.conf\",\n"
		      "          \"csr\": {\n"
		      "            \"type\": \"csr\",\n"
		      "            \"subject\": \"CN=system:node:worker-7,O=system:nodes\",\n");
	assert_has(s, "\n            \"requestedExtensions\": [],\n"
		      "            \"signatureValid\": true,\n");
	free(s);
	/* text: no node is said so */
	s = dump("bundle/good/worker-v1.22.yaml", PKI_FMT_TEXT, &rc, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	assert_has(s, "\n  node: (none)\n");
	free(s);
}
END_TEST

/* a hostile bundle gets the reader's message, and no key text ever */
START_TEST(test_dump_bad)
{
	static const char *const files[] = { "bundle/bad/private-key.yaml",
		"bundle/bad/path-traversal.yaml", "bundle/bad/two-csrs.yaml",
		"bundle/bad/version-2.yaml", "bundle/bad/truncated-pem.yaml" };
	struct pki_err err;
	char want[256], *s;
	int rc;

	s = dump(files[_i], PKI_FMT_TEXT, &rc, &err);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(s, "");
	(void)snprintf(want, sizeof(want), "bundle '%s': ", files[_i]);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
	ck_assert_ptr_null(strstr(err.msg, "-----"));
	free(s);
}
END_TEST

static Suite *
bundle_suite(void)
{
	Suite *s = suite_create("bundle");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_parse_fields);
	tcase_add_test(tc, test_parse_worker);
	tcase_add_test(tc, test_load_missing);
	tcase_add_loop_test(tc, test_fingerprint_stable, 0,
		(int)(sizeof(same_content) / sizeof(same_content[0])));
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_build);
	tcase_add_loop_test(tc, test_new_bad, 0, (int)(sizeof(new_bad) / sizeof(new_bad[0])));
	tcase_add_test(tc, test_fingerprint_changes);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_mutations);
	tcase_add_test(tc, test_dump_text);
	tcase_add_test(tc, test_dump_json);
	tcase_add_loop_test(tc, test_dump_bad, 0, 5);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(bundle_suite());
}
