/* check_bundle.c — the CSR bundle and the signed bundle: reading, writing,
 * fingerprint, limits, hostile bundles, and their summary in pki_dump. */
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
	/* the whole message, or its start when it ends in '*'; '#' stands for a
	 * line number (they move when gen.py makes certificates of other sizes) */
	const char *msg;
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
	/* signed bundles: all or nothing, each certificate for its own request's
	 * key, issued by a listed CA */
	{ "signed-entry.yaml", PKI_E_INVALID, B "signed-entry.yaml': missing 'ca-certificates': "
		"the entries have certificates, and a signed bundle lists the CAs they are "
		"issued by" },
	{ "ca-certificates.yaml", PKI_E_PARSE, B "ca-certificates.yaml': line 23: "
		"'ca-certificates' must be a list of PEM certificates" },
	{ "signed-wrong-key.yaml", PKI_E_INVALID, B "signed-wrong-key.yaml': entry 'apiserver': "
		"'certificate' is for another public key than the entry's 'csr'" },
	{ "signed-unlisted-ca.yaml", PKI_E_INVALID, B "signed-unlisted-ca.yaml': entry "
		"'apiserver': 'certificate' is issued by 'CN=evil-ca', which is none of the "
		"'ca-certificates'" },
	{ "signed-same-name-ca.yaml", PKI_E_INVALID, B "signed-same-name-ca.yaml': entry "
		"'apiserver': certificate 'apiserver' is not signed by 'kubernetes': its "
		"authority key identifier names another CA of the same name 'CN=kubernetes'" },
	{ "signed-ca-missing.yaml", PKI_E_INVALID, B "signed-ca-missing.yaml': entry "
		"'etcd-server': 'certificate' is issued by 'CN=etcd-ca', which is none of the "
		"'ca-certificates'" },
	{ "signed-entry-is-ca.yaml", PKI_E_INVALID, B "signed-entry-is-ca.yaml': entry "
		"'apiserver': 'certificate' is a CA certificate (basicConstraints cA is true): an "
		"entry's certificate never is" },
	{ "signed-missing-cert.yaml", PKI_E_INVALID, B "signed-missing-cert.yaml': entry "
		"'etcd-server': line #: missing 'certificate': in a signed bundle every entry has "
		"one" },
	{ "signed-only-cas.yaml", PKI_E_INVALID, B "signed-only-cas.yaml': entry 'apiserver': "
		"line 9: missing 'certificate': in a signed bundle every entry has one" },
	{ "signed-two-certs.yaml", PKI_E_INVALID, B "signed-two-certs.yaml': entry 'apiserver': "
		"'certificate' holds 2 PEM blocks, not exactly one certificate" },
	{ "signed-private-key.yaml", PKI_E_INVALID, B "signed-private-key.yaml': holds a private "
		"key: a bundle never carries one (the key stays on the node)" },
	{ "signed-csr-as-cert.yaml", PKI_E_INVALID, B "signed-csr-as-cert.yaml': entry "
		"'apiserver': 'certificate' is a certificate request, not a certificate" },
	{ "signed-cert-bad-base64.yaml", PKI_E_PARSE, B "signed-cert-bad-base64.yaml': entry "
		"'apiserver': 'certificate': CERTIFICATE block: malformed base64*" },
	{ "signed-cert-text-after.yaml", PKI_E_PARSE, B "signed-cert-text-after.yaml': entry "
		"'apiserver': 'certificate': text after the PEM block" },
	{ "signed-no-cas.yaml", PKI_E_INVALID, B "signed-no-cas.yaml': missing 'ca-certificates': "
		"the entries have certificates, and a signed bundle lists the CAs they are issued "
		"by" },
	{ "signed-empty-cas.yaml", PKI_E_INVALID, B "signed-empty-cas.yaml': line #: "
		"'ca-certificates' is empty: a signed bundle lists the CAs its certificates are "
		"issued by" },
	{ "signed-cas-string.yaml", PKI_E_PARSE, B "signed-cas-string.yaml': line #: "
		"'ca-certificates' must be a list of PEM certificates" },
	{ "signed-non-ca.yaml", PKI_E_INVALID, B "signed-non-ca.yaml': 'ca-certificates[2]' "
		"('CN=system:node:cp-1,O=system:nodes') is not a CA certificate (basicConstraints "
		"cA is not true, RFC 5280 4.2.1.9)" },
	{ "signed-duplicate-ca.yaml", PKI_E_INVALID, B "signed-duplicate-ca.yaml': "
		"'ca-certificates[2]' repeats 'ca-certificates[0]'" },
	{ "signed-ca-two-blocks.yaml", PKI_E_INVALID, B "signed-ca-two-blocks.yaml': "
		"'ca-certificates[0]' holds 2 PEM blocks, not exactly one certificate" },
	{ "signed-ca-csr.yaml", PKI_E_INVALID, B "signed-ca-csr.yaml': 'ca-certificates[0]' is "
		"a certificate request, not a certificate" },
	{ "signed-too-many-cas.yaml", PKI_E_LIMIT, B "signed-too-many-cas.yaml': line #: more "
		"than 16 CA certificates" },
	{ "signed-truncated.yaml", PKI_E_PARSE, B "signed-truncated.yaml': 'ca-certificates[1]': "
		"PEM block 'CERTIFICATE' has no END line" },
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

/* got is want, where '#' in want matches one or more digits and a final
 * '*' anything */
static int
msg_match(const char *got, const char *want)
{
	for (; *want != '\0'; want++) {
		if (*want == '*' && want[1] == '\0')
			return 1;
		if (*want == '#') {
			if (*got < '0' || *got > '9')
				return 0;
			while (*got >= '0' && *got <= '9')
				got++;
			continue;
		}
		if (*got++ != *want)
			return 0;
	}
	return *got == '\0';
}

START_TEST(test_bad)
{
	struct pki_bundle *b = (struct pki_bundle *)1;
	struct pki_err err;
	char rel[128], *text;
	size_t len;

	(void)snprintf(rel, sizeof(rel), "bundle/bad/%s", bad[_i].file);
	text = read_text(rel, &len);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_bundle_parse((const unsigned char *)text, len, rel, NULL, &b, &err),
		-1);
	ck_assert_ptr_null(b);
	ck_assert_msg(err.code == bad[_i].code, "%s: code %d, want %d (%s)", bad[_i].file,
		err.code, bad[_i].code, err.msg);
	ck_assert_msg(msg_match(err.msg, bad[_i].msg), "got '%s', want '%s'", err.msg,
		bad[_i].msg);
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

/* ---- signed bundles ------------------------------------------------------- */

/* 2027-03-04T05:06:07Z, the entries' notAfter (gen.py) */
#define NOT_AFTER ((time_t)1804136767LL)

static const struct {
	const char *name, *issuer, *serial;
} issued[] = {
	{ "apiserver", "CN=kubernetes", "7b2d1c4e5f6071820001" },
	{ "etcd-server", "CN=etcd-ca", "7b2d1c4e5f6071820002" },
	{ "admin.conf", "CN=kubernetes", "7b2d1c4e5f6071820003" },
	{ "kubelet", "CN=kubernetes", "7b2d1c4e5f6071820004" },
};

static struct pki_cert *
load_cert(const char *rel)
{
	struct pki_cert *c = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_cert_load(test_data(rel), &c, &err) == 0, "%s", err.msg);
	return c;
}

static void
cert_info(const struct pki_cert *c, struct pki_x509info *x)
{
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_cert_info(c, x, &err) == 0, "%s", err.msg);
}

static int
same_cert(const struct pki_cert *a, const struct pki_cert *b)
{
	const unsigned char *da, *db;
	size_t la, lb;

	da = pki_cert_der(a, &la);
	db = pki_cert_der(b, &lb);
	return la == lb && memcmp(da, db, la) == 0;
}

START_TEST(test_signed_parse)
{
	struct pki_bundle *b = NULL;
	struct pki_x509info x;
	struct pki_cert *want;
	struct pki_err err;
	char fp[72], cp1fp[72], sfp[72], rel[128];
	size_t i;

	pki_err_clear(&err);
	ck_assert_msg(pki_bundle_load(test_data("bundle/good/signed-cp1.yaml"), NULL, &b, &err) ==
			0,
		"%s", err.msg);
	ck_assert_int_eq(pki_bundle_is_signed(b), 1);
	ck_assert_uint_eq(pki_bundle_count(b), 4);
	ck_assert_uint_eq(pki_bundle_ca_count(b), 2);
	ck_assert_ptr_null(pki_bundle_ca_at(b, 2));
	cert_info(pki_bundle_ca_at(b, 0), &x);
	ck_assert_str_eq(x.subject, "CN=kubernetes");
	ck_assert_int_eq(x.is_ca, 1);
	pki_x509info_free(&x);
	cert_info(pki_bundle_ca_at(b, 1), &x);
	ck_assert_str_eq(x.subject, "CN=etcd-ca");
	pki_x509info_free(&x);
	want = load_cert("bundle/good/signed/ca.crt");
	ck_assert(same_cert(pki_bundle_ca_at(b, 0), want));
	pki_cert_free(want);
	for (i = 0; i < 4; i++) {
		const struct pki_bundle_entry *e = pki_bundle_at(b, i);

		ck_assert_str_eq(pki_bundle_entry_name(e), issued[i].name);
		ck_assert_ptr_nonnull(pki_bundle_entry_certificate(e));
		cert_info(pki_bundle_entry_certificate(e), &x);
		ck_assert_str_eq(x.issuer, issued[i].issuer);
		ck_assert_str_eq(x.serial, issued[i].serial);
		ck_assert_int_eq((long long)x.not_after, (long long)NOT_AFTER);
		ck_assert_int_eq(x.is_ca, 0);
		pki_x509info_free(&x);
		(void)snprintf(rel, sizeof(rel), "bundle/good/signed/%s.crt", issued[i].name);
		want = load_cert(rel);
		ck_assert(same_cert(pki_bundle_entry_certificate(e), want));
		pki_cert_free(want);
	}
	/* the fingerprint is the request's: the CSR bundle's, unchanged */
	fingerprint(b, fp);
	read_fp("bundle/good/cp1.fingerprint", cp1fp);
	read_fp("bundle/good/signed-cp1.fingerprint", sfp);
	ck_assert_str_eq(fp, cp1fp);
	ck_assert_str_eq(fp, sfp);
	pki_bundle_free(b);
	/* a CSR bundle: nothing signed */
	ck_assert_msg(pki_bundle_load(test_data("bundle/good/cp1.yaml"), NULL, &b, &err) == 0,
		"%s", err.msg);
	ck_assert_int_eq(pki_bundle_is_signed(b), 0);
	ck_assert_uint_eq(pki_bundle_ca_count(b), 0);
	ck_assert_ptr_null(pki_bundle_ca_at(b, 0));
	for (i = 0; i < 4; i++)
		ck_assert_ptr_null(pki_bundle_entry_certificate(pki_bundle_at(b, i)));
	pki_bundle_free(b);
}
END_TEST

static const char *const signed_forms[] = {
	"bundle/good/signed-cp1.yaml",
	"bundle/good/signed-cp1-flow.yaml", /* flow style, keys, entries and CAs reversed */
};

/* each form reads with the same content, and write -> parse -> write is
 * the identity */
START_TEST(test_signed_round_trip)
{
	struct pki_bundle *b, *b2;
	struct pki_x509info x;
	char *text, *canon, *out, *out2, fp[72], want[72];
	size_t len;

	read_fp("bundle/good/signed-cp1.fingerprint", want);
	text = read_text(signed_forms[_i], &len);
	b = parse_ok(text, len, set129);
	fingerprint(b, fp);
	ck_assert_str_eq(fp, want);
	ck_assert_int_eq(pki_bundle_is_signed(b), 1);
	ck_assert_uint_eq(pki_bundle_ca_count(b), 2);
	out = write_str(b);
	canon = read_text("bundle/good/signed-cp1.yaml", NULL);
	if (_i == 0) {
		ck_assert_msg(strcmp(out, canon) == 0, "written differently:\n%.2000s", out);
	} else {
		/* file order kept: the entries and the CAs come out reversed */
		ck_assert_str_eq(pki_bundle_entry_name(pki_bundle_at(b, 0)), "kubelet");
		cert_info(pki_bundle_ca_at(b, 0), &x);
		ck_assert_str_eq(x.subject, "CN=etcd-ca");
		pki_x509info_free(&x);
		ck_assert_uint_eq(strlen(out), strlen(canon));
		ck_assert_msg(strcmp(out, canon) != 0, "order lost");
	}
	ck_assert_ptr_null(strstr(out, "PRIVATE KEY"));
	ck_assert(strncmp(out, "# A signed kpki bundle", 22) == 0);
	b2 = parse_ok(out, strlen(out), set129);
	out2 = write_str(b2);
	ck_assert_msg(strcmp(out2, out) == 0, "written differently the second time");
	fingerprint(b2, fp);
	ck_assert_str_eq(fp, want);
	pki_bundle_free(b);
	pki_bundle_free(b2);
	free(text);
	free(canon);
	free(out);
	free(out2);
}
END_TEST

static void
set_cert(struct pki_bundle *b, size_t i, const char *rel)
{
	struct pki_cert *c = load_cert(rel);
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_bundle_set_certificate(b, i, c, &err) == 0, "%s", err.msg);
	/* the bundle holds a copy */
	pki_cert_free(c);
}

static void
add_ca(struct pki_bundle *b, const char *rel)
{
	struct pki_cert *c = load_cert(rel);
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_bundle_add_ca(b, c, &err) == 0, "%s", err.msg);
	pki_cert_free(c);
}

static void
write_fails(const struct pki_bundle *b, const char *msg)
{
	struct pki_buf o = { 0 };
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_bundle_write(b, &o, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_USAGE);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_uint_eq(o.len, 0);
}

/* kpki-sign's way: the CSR bundle read, each certificate set, the CAs
 * added; written as signed-cp1.yaml, fingerprint unchanged */
START_TEST(test_signed_build)
{
	struct pki_bundle *b = NULL;
	struct pki_err err;
	char *text, *out, *want, fp0[72], fp[72], rel[128];
	size_t len, i;

	text = read_text("bundle/good/cp1.yaml", &len);
	b = parse_ok(text, len, set129);
	fingerprint(b, fp0);
	/* CAs alone: no entry has its certificate yet */
	add_ca(b, "bundle/good/signed/ca.crt");
	write_fails(b, "bundle: entry 'apiserver' has no certificate: a signed bundle has one for "
		       "every entry");
	for (i = 0; i < 3; i++) {
		(void)snprintf(rel, sizeof(rel), "bundle/good/signed/%s.crt", issued[i].name);
		set_cert(b, i, rel);
		ck_assert_int_eq(pki_bundle_is_signed(b), 0);
	}
	/* partly signed: never written */
	write_fails(b, "bundle: entry 'kubelet' has no certificate: a signed bundle has one for "
		       "every entry");
	set_cert(b, 3, "bundle/good/signed/kubelet.crt");
	ck_assert_int_eq(pki_bundle_is_signed(b), 1);
	/* a repeat is ignored */
	add_ca(b, "bundle/good/signed/etcd-ca.crt");
	add_ca(b, "bundle/good/signed/ca.crt");
	ck_assert_uint_eq(pki_bundle_ca_count(b), 2);
	out = write_str(b);
	want = read_text("bundle/good/signed-cp1.yaml", NULL);
	ck_assert_msg(strcmp(out, want) == 0, "not written as signed-cp1.yaml:\n%.2000s", out);
	fingerprint(b, fp);
	ck_assert_str_eq(fp, fp0);
	free(out);
	pki_bundle_free(b);
	/* certificates but no CA */
	b = parse_ok(text, len, set129);
	for (i = 0; i < 4; i++) {
		(void)snprintf(rel, sizeof(rel), "bundle/good/signed/%s.crt", issued[i].name);
		set_cert(b, i, rel);
	}
	write_fails(b, "bundle: no CA certificate: a signed bundle lists the CAs its certificates "
		       "are issued by");
	pki_bundle_free(b);
	pki_err_clear(&err);
	free(text);
	free(want);
}
END_TEST

static const struct {
	size_t entry;
	const char *file;
	enum pki_errcode code;
	const char *msg;
} set_bad[] = {
	{ 4, "bundle/good/signed/apiserver.crt", PKI_E_USAGE, "bundle: no entry 4 (it has 4)" },
	{ 0, "bundle/good/signed/apiserver-2.crt", PKI_E_INVALID, "bundle: entry 'apiserver': "
		"'certificate' is for another public key than the entry's 'csr'" },
	{ 1, "bundle/good/signed/apiserver.crt", PKI_E_INVALID, "bundle: entry 'etcd-server': "
		"'certificate' is for another public key than the entry's 'csr'" },
	{ 0, "bundle/bad/certs/apiserver-ca.crt", PKI_E_INVALID, "bundle: entry 'apiserver': "
		"'certificate' is a CA certificate (basicConstraints cA is true): an entry's "
		"certificate never is" },
	{ 0, "bundle/good/signed/ca.crt", PKI_E_INVALID, "bundle: entry 'apiserver': "
		"'certificate' is a CA certificate (basicConstraints cA is true): an entry's "
		"certificate never is" },
};

/* a refused certificate leaves the entry as it was */
START_TEST(test_signed_set_bad)
{
	struct pki_bundle *b;
	struct pki_cert *c, *before;
	struct pki_err err;
	char *text;
	size_t len, i;

	text = read_text("bundle/good/cp1.yaml", &len);
	b = parse_ok(text, len, set129);
	set_cert(b, 0, "bundle/good/signed/apiserver.crt");
	before = load_cert("bundle/good/signed/apiserver.crt");
	c = load_cert(set_bad[_i].file);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_bundle_set_certificate(b, set_bad[_i].entry, c, &err), -1);
	ck_assert_int_eq(err.code, set_bad[_i].code);
	ck_assert_str_eq(err.msg, set_bad[_i].msg);
	ck_assert(same_cert(pki_bundle_entry_certificate(pki_bundle_at(b, 0)), before));
	for (i = 1; i < 4; i++)
		ck_assert_ptr_null(pki_bundle_entry_certificate(pki_bundle_at(b, i)));
	pki_cert_free(c);
	pki_cert_free(before);
	pki_bundle_free(b);
	free(text);
}
END_TEST

START_TEST(test_signed_add_ca_bad)
{
	struct pki_bundle *b;
	struct pki_cert *c, **list = NULL;
	struct pki_err err;
	struct pki_buf in = { 0 };
	char *text;
	size_t len, n = 0, i, added = 0;

	text = read_text("bundle/good/cp1.yaml", &len);
	b = parse_ok(text, len, set129);
	/* a leaf is no CA */
	c = load_cert("bundle/good/signed/apiserver.crt");
	pki_err_clear(&err);
	ck_assert_int_eq(pki_bundle_add_ca(b, c, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_str_eq(err.msg, "bundle: CA certificate 'CN=kube-apiserver' is not a CA "
				  "(basicConstraints cA is not true, RFC 5280 4.2.1.9)");
	ck_assert_uint_eq(pki_bundle_ca_count(b), 0);
	pki_cert_free(c);
	/* at most 16: the CAs of the too-many fixture, added one by one */
	test_read("bundle/bad/signed-too-many-cas.yaml", &in);
	ck_assert_msg(pki_cert_list_parse(in.data, in.len, "many", 64, &list, &n, &err) == 0, "%s",
		err.msg);
	for (i = 0; i < n; i++) {
		if (!pki_cert_is_ca(list[i]))
			continue;
		pki_err_clear(&err);
		if (added < 16) {
			ck_assert_msg(pki_bundle_add_ca(b, list[i], &err) == 0, "%s", err.msg);
			added++;
			continue;
		}
		ck_assert_int_eq(pki_bundle_add_ca(b, list[i], &err), -1);
		ck_assert_int_eq(err.code, PKI_E_LIMIT);
		ck_assert_str_eq(err.msg, "bundle: more than 16 CA certificates");
		added++;
	}
	ck_assert_uint_eq(added, 17);
	ck_assert_uint_eq(pki_bundle_ca_count(b), 16);
	/* a repeat is still ignored at the cap */
	pki_err_clear(&err);
	ck_assert_int_eq(pki_bundle_add_ca(b, pki_bundle_ca_at(b, 3), &err), 0);
	ck_assert_uint_eq(pki_bundle_ca_count(b), 16);
	pki_cert_list_free(list, n);
	pki_buf_free(&in);
	pki_bundle_free(b);
	free(text);
}
END_TEST

/* text after a PEM block is refused in a csr as in a certificate */
START_TEST(test_csr_text_after)
{
	struct pki_bundle *b = (struct pki_bundle *)1;
	struct pki_err err;
	char *text;

	text = cp1_with("      -----END CERTIFICATE REQUEST-----\n",
		"      -----END CERTIFICATE REQUEST-----\n      and more\n");
	pki_err_clear(&err);
	ck_assert_int_eq(pki_bundle_parse((unsigned char *)text, strlen(text), "t.yaml", set129,
				 &b, &err),
		-1);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(err.code, PKI_E_PARSE);
	ck_assert_str_eq(err.msg, "bundle 't.yaml': entry 'apiserver': 'csr': text after the PEM "
				  "block");
	free(text);
}
END_TEST

/* a truncated signed bundle is an error, or, cut before its first
 * certificate, a CSR bundle of one entry: never a signed bundle with less;
 * bit flips give an error or a wholly signed bundle, never a crash */
START_TEST(test_signed_mutations)
{
	struct pki_bundle *b = NULL;
	struct pki_err err;
	char fp[72], *text, *copy;
	size_t len, n, bit, first_cert;
	int r;

	text = read_text("bundle/good/signed-cp1.yaml", &len);
	ck_assert_ptr_nonnull(strstr(text, "    certificate: |"));
	first_cert = (size_t)(strstr(text, "    certificate: |") - text);
	for (n = 0; n + 1 < len; n++) {
		copy = malloc(n + 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, text, n);
		pki_err_clear(&err);
		r = pki_bundle_parse((unsigned char *)copy, n, "t.yaml", set129, &b, &err);
		if (r == 0) {
			ck_assert_msg(n <= first_cert + strspn(text + first_cert, " "),
				"truncated at %zu: accepted", n);
			ck_assert_int_eq(pki_bundle_is_signed(b), 0);
			ck_assert_uint_eq(pki_bundle_ca_count(b), 0);
			ck_assert_uint_eq(pki_bundle_count(b), 1);
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
			ck_assert_int_eq(pki_bundle_is_signed(b), 1);
			ck_assert_uint_eq(pki_bundle_ca_count(b), 2);
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

/* the message matcher of test_bad can say no */
START_TEST(test_msg_match)
{
	ck_assert(msg_match("line 12: x", "line #: x"));
	ck_assert(msg_match("line 12: xyz", "line #: x*"));
	ck_assert(!msg_match("line : x", "line #: x"));
	ck_assert(!msg_match("line 12: x", "line #: y"));
	ck_assert(!msg_match("line 12: xy", "line #: x"));
	ck_assert(!msg_match("line 12", "line 12: x*"));
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

START_TEST(test_dump_signed_text)
{
	struct pki_err err;
	char fp[72], line[160], *s;
	int rc;

	read_fp("bundle/good/cp1.fingerprint", fp);
	s = dump("bundle/good/signed-cp1.yaml", PKI_FMT_TEXT, &rc, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	assert_has(s, "bundle/good/signed-cp1.yaml: signed bundle\n"
		      "  format: kpki-bundle v1\n"
		      "  profile set: kubeadm-v1.29\n");
	(void)snprintf(line, sizeof(line), "\n  fingerprint: %s (of the requests)\n", fp);
	assert_has(s, line);
	assert_has(s, "\n  entry 1 of 4: apiserver\n");
	assert_has(s, "\n    certificate\n"
		      "      subject: CN=kube-apiserver\n"
		      "      issuer: CN=kubernetes\n"
		      "      serial: 7b2d1c4e5f6071820001\n"
		      "      not before: 2026-03-04T05:01:07Z\n"
		      "      not after: 2027-03-04T05:06:07Z (1y left)\n"
		      "      SHA-256 fingerprint: ");
	assert_has(s, "\n    certificate\n"
		      "      subject: CN=cp-1\n"
		      "      issuer: CN=etcd-ca\n"
		      "      serial: 7b2d1c4e5f6071820002\n");
	assert_has(s, "\n  entry 4 of 4: kubelet\n");
	assert_has(s, "      issuer: CN=kubernetes\n"
		      "      serial: 7b2d1c4e5f6071820004\n");
	assert_has(s, "\n  CA certificate 1 of 2\n"
		      "    subject: CN=kubernetes\n"
		      "    issuer: CN=kubernetes\n");
	assert_has(s, "\n  CA certificate 2 of 2\n"
		      "    subject: CN=etcd-ca\n");
	assert_has(s, "\n    basic constraints: CA:TRUE (critical)\n");
	assert_has(s, "\n    self-signed: yes\n");
	ck_assert_ptr_null(strstr(s, "-----BEGIN"));
	free(s);
	/* a CSR bundle says nothing of certificates */
	s = dump("bundle/good/cp1.yaml", PKI_FMT_TEXT, &rc, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_ptr_null(strstr(s, "certificate\n"));
	ck_assert_ptr_null(strstr(s, "CA certificate"));
	ck_assert_ptr_null(strstr(s, "(of the requests)"));
	free(s);
}
END_TEST

START_TEST(test_dump_signed_json)
{
	struct pki_err err;
	char fp[72], line[160], *s;
	int rc;

	read_fp("bundle/good/cp1.fingerprint", fp);
	s = dump("bundle/good/signed-cp1.yaml", PKI_FMT_JSON, &rc, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	(void)snprintf(line, sizeof(line), "\n      \"fingerprint\": \"%s\",\n"
					   "      \"signed\": true,\n"
					   "      \"entries\": [\n", fp);
	assert_has(s, line);
	assert_has(s, "\n          \"certificate\": {\n"
		      "            \"type\": \"certificate\",\n"
		      "            \"subject\": \"CN=kube-apiserver\",\n"
		      "            \"issuer\": \"CN=kubernetes\",\n"
		      "            \"serial\": \"7b2d1c4e5f6071820001\",\n"
		      "            \"notBefore\": \"2026-03-04T05:01:07Z\",\n"
		      "            \"notAfter\": \"2027-03-04T05:06:07Z\",\n"
		      "            \"residualTime\": 31536000,\n"
		      "            \"sha256Fingerprint\": \"");
	assert_has(s, "\n      \"caCertificates\": [\n"
		      "        {\n"
		      "          \"type\": \"certificate\",\n"
		      "          \"subject\": \"CN=kubernetes\",\n");
	assert_has(s, "\n          \"subject\": \"CN=etcd-ca\",\n");
	ck_assert_ptr_null(strstr(s, "\"certificate\": null"));
	free(s);
	s = dump("bundle/good/cp1.yaml", PKI_FMT_JSON, &rc, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	assert_has(s, "\n      \"signed\": false,\n");
	assert_has(s, "\n          \"certificate\": null\n");
	assert_has(s, "\n      \"caCertificates\": null\n");
	free(s);
}
END_TEST

/* a hostile bundle gets the reader's message, and no key text ever */
START_TEST(test_dump_bad)
{
	static const char *const files[] = { "bundle/bad/private-key.yaml",
		"bundle/bad/path-traversal.yaml", "bundle/bad/two-csrs.yaml",
		"bundle/bad/version-2.yaml", "bundle/bad/truncated-pem.yaml",
		"bundle/bad/signed-wrong-key.yaml", "bundle/bad/signed-unlisted-ca.yaml",
		"bundle/bad/signed-private-key.yaml", "bundle/bad/signed-missing-cert.yaml" };
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
	tcase_add_loop_test(tc, test_dump_bad, 0, 9);
	tcase_add_test(tc, test_signed_parse);
	tcase_add_loop_test(tc, test_signed_round_trip, 0,
		(int)(sizeof(signed_forms) / sizeof(signed_forms[0])));
	tcase_add_test(tc, test_signed_build);
	tcase_add_loop_test(tc, test_signed_set_bad, 0, (int)(sizeof(set_bad) / sizeof(set_bad[0])));
	tcase_add_test(tc, test_signed_add_ca_bad);
	tcase_add_test(tc, test_csr_text_after);
	tcase_add_test(tc, test_signed_mutations);
	tcase_add_test(tc, test_msg_match);
	tcase_add_test(tc, test_dump_signed_text);
	tcase_add_test(tc, test_dump_signed_json);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(bundle_suite());
}
