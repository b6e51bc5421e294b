/* check_kubeconfig.c — reading kubeconfig files. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <pki/kubeconfig.h>

#include "testutil.h"

static struct pki_kubeconfig *
load_good(const char *rel)
{
	struct pki_kubeconfig *kc = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_kubeconfig_load(test_data(rel), &kc, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(kc);
	return kc;
}

static void
assert_buf_eq_file(const struct pki_buf *b, const char *rel)
{
	struct pki_buf want = { 0 };

	ck_assert_ptr_nonnull(b);
	test_read(rel, &want);
	ck_assert_uint_eq(b->len, want.len);
	ck_assert_mem_eq(b->data, want.data, want.len);
	pki_buf_free(&want);
}

START_TEST(test_admin)
{
	struct pki_kubeconfig *kc = load_good("kubeconfig/good/admin.conf");

	ck_assert_str_eq(pki_kubeconfig_current_context(kc), "kubernetes-admin@kubernetes");
	ck_assert_str_eq(pki_kubeconfig_cluster_name(kc), "kubernetes");
	ck_assert_str_eq(pki_kubeconfig_user_name(kc), "kubernetes-admin");
	ck_assert_str_eq(pki_kubeconfig_server(kc), "https://cp.example:6443");
	assert_buf_eq_file(pki_kubeconfig_ca_data(kc), "kubeconfig/good/admin-ca.pem");
	assert_buf_eq_file(pki_kubeconfig_client_cert_data(kc), "kubeconfig/good/admin-cert.pem");
	assert_buf_eq_file(pki_kubeconfig_client_key_data(kc), "kubeconfig/good/admin-key.pem");
	ck_assert_ptr_null(pki_kubeconfig_ca_file(kc));
	ck_assert_ptr_null(pki_kubeconfig_client_cert_file(kc));
	ck_assert_ptr_null(pki_kubeconfig_client_key_file(kc));
	pki_kubeconfig_free(kc);
}
END_TEST

/* the current entries are not the first; unknown keys are fine; data in a
 * literal block with line breaks decodes as Go would */
START_TEST(test_multi)
{
	struct pki_kubeconfig *kc = load_good("kubeconfig/good/multi.conf");

	ck_assert_str_eq(pki_kubeconfig_current_context(kc), "prod-admin");
	ck_assert_str_eq(pki_kubeconfig_cluster_name(kc), "prod");
	ck_assert_str_eq(pki_kubeconfig_user_name(kc), "admin");
	ck_assert_str_eq(pki_kubeconfig_server(kc), "https://prod.example:443");
	ck_assert_ptr_null(pki_kubeconfig_ca_data(kc));
	ck_assert_str_eq(pki_kubeconfig_ca_file(kc), "/etc/ssl/prod-ca.crt");
	ck_assert_str_eq(pki_kubeconfig_client_cert_file(kc), "certs/admin.crt");
	ck_assert_str_eq(pki_kubeconfig_client_key_file(kc), "certs/admin.key");
	assert_buf_eq_file(pki_kubeconfig_client_cert_data(kc), "kubeconfig/good/admin-cert.pem");
	ck_assert_ptr_null(pki_kubeconfig_client_key_data(kc));
	pki_kubeconfig_free(kc);
}
END_TEST

/* what `kubeadm certs generate-csr` writes: no CA, no certificate yet */
START_TEST(test_partial)
{
	struct pki_kubeconfig *kc = load_good("kubeconfig/good/partial.conf");

	ck_assert_ptr_null(pki_kubeconfig_ca_data(kc));
	ck_assert_ptr_null(pki_kubeconfig_client_cert_data(kc));
	assert_buf_eq_file(pki_kubeconfig_client_key_data(kc), "kubeconfig/good/admin-key.pem");
	pki_kubeconfig_free(kc);
}
END_TEST

static const struct {
	const char *file;
	enum pki_errcode code;
	const char *msg; /* after "kubeconfig '<file>': " */
} bad_cases[] = {
	{ "bad-b64-cert.conf", PKI_E_PARSE,
		"users[0].user.client-certificate-data: malformed base64 at offset 4" },
	{ "bad-b64-key.conf", PKI_E_PARSE,
		"users[0].user.client-key-data: malformed base64 (length " },
	{ "bad-b64-ca.conf", PKI_E_PARSE,
		"clusters[0].cluster.certificate-authority-data: malformed base64 at offset 5" },
	{ "no-current-context.conf", PKI_E_INVALID, "no current-context set" },
	{ "empty-current-context.conf", PKI_E_INVALID, "no current-context set" },
	{ "missing-context.conf", PKI_E_NOTFOUND,
		"current-context 'nobody@kubernetes' is not in contexts" },
	{ "dangling-cluster.conf", PKI_E_NOTFOUND,
		"context 'kubernetes-admin@kubernetes' names cluster 'elsewhere', which is not in clusters" },
	{ "dangling-user.conf", PKI_E_NOTFOUND,
		"context 'kubernetes-admin@kubernetes' names user 'someone', which is not in users" },
	{ "context-no-user.conf", PKI_E_INVALID,
		"contexts[0].context: context 'kubernetes-admin@kubernetes' names no user" },
	{ "wrong-kind.conf", PKI_E_INVALID, "kind 'Pod' is not Config" },
	{ "wrong-api.conf", PKI_E_INVALID, "apiVersion 'v2' is not v1" },
	{ "duplicate-user.conf", PKI_E_PARSE,
		"line 18: users[1]: duplicate name 'kubernetes-admin'" },
	{ "users-not-list.conf", PKI_E_PARSE, "line 16: 'users' must be a list, not a mapping" },
	{ "control-char.conf", PKI_E_PARSE,
		"line 5: 'server' holds control characters or invalid UTF-8" },
	{ "two-docs.conf", PKI_E_PARSE, "holds more than one YAML document" },
	{ "truncated.conf", PKI_E_INVALID, "no current-context set" },
	{ "unterminated.conf", PKI_E_PARSE, "line 20: found unexpected end of stream" },
	{ "not-mapping.conf", PKI_E_PARSE, "not a YAML mapping" },
	{ "empty.conf", PKI_E_PARSE, "empty" },
	{ "alias-bomb.conf", PKI_E_PARSE, "line 2: YAML aliases are not allowed" },
	{ "deep.conf", PKI_E_LIMIT, "line 2: nested deeper than 32 levels" },
};

START_TEST(test_bad)
{
	struct pki_kubeconfig *kc = (struct pki_kubeconfig *)1;
	struct pki_err err;
	char rel[256], want[4096 + 1024];
	const char *path;

	snprintf(rel, sizeof(rel), "kubeconfig/bad/%s", bad_cases[_i].file);
	path = test_data(rel);
	snprintf(want, sizeof(want), "kubeconfig '%s': %s", path, bad_cases[_i].msg);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_kubeconfig_load(path, &kc, &err), -1);
	ck_assert_ptr_null(kc);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s: got '%s', want '%s...'",
		bad_cases[_i].file, err.msg, want);
	ck_assert_int_eq(err.code, bad_cases[_i].code);
}
END_TEST

/* the message names the input as the caller named it */
START_TEST(test_parse_name)
{
	static const char doc[] = "current-context: a\ncontexts:\n- name: a\n  context:\n"
				  "    cluster: c\n    user: u\nclusters:\n- name: c\n"
				  "  cluster: {server: s}\nusers:\n- name: u\n  user:\n"
				  "    client-certificate-data: \"@@@@\"\n";
	struct pki_kubeconfig *kc = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_kubeconfig_parse((const unsigned char *)doc, strlen(doc),
				 "admin.conf", &kc, &err),
		-1);
	ck_assert_str_eq(err.msg,
		"kubeconfig 'admin.conf': users[0].user.client-certificate-data: "
		"malformed base64 at offset 0");
}
END_TEST

/* bodies may be absent; names are what resolution needs */
START_TEST(test_minimal)
{
	static const char doc[] = "current-context: a\ncontexts:\n- name: a\n  context:\n"
				  "    cluster: c\n    user: u\nclusters:\n- name: c\n"
				  "users:\n- name: u\n  user: null\n";
	struct pki_kubeconfig *kc = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_kubeconfig_parse((const unsigned char *)doc, strlen(doc), "m", &kc,
			      &err) == 0,
		"%s", err.msg);
	ck_assert_str_eq(pki_kubeconfig_cluster_name(kc), "c");
	ck_assert_str_eq(pki_kubeconfig_user_name(kc), "u");
	ck_assert_ptr_null(pki_kubeconfig_server(kc));
	ck_assert_ptr_null(pki_kubeconfig_client_cert_data(kc));
	pki_kubeconfig_free(kc);
	pki_kubeconfig_free(NULL);
}
END_TEST

START_TEST(test_too_large)
{
	size_t len = PKI_CAP_YAML + 1;
	unsigned char *big = calloc(1, len);
	struct pki_kubeconfig *kc = NULL;
	struct pki_err err;

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', len);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_kubeconfig_parse(big, len, "big", &kc, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "kubeconfig 'big': larger than 4194304 bytes");
	free(big);
}
END_TEST

/* every truncation of a good file fails cleanly or parses; never crashes */
START_TEST(test_truncations)
{
	struct pki_buf b = { 0 };
	size_t n, ok = 0;

	test_read("kubeconfig/good/admin.conf", &b);
	for (n = 0; n < b.len; n += 7) {
		struct pki_kubeconfig *kc = NULL;
		struct pki_err err;

		pki_err_clear(&err);
		if (pki_kubeconfig_parse(b.data, n, "t", &kc, &err) == 0) {
			ok++;
			pki_kubeconfig_free(kc);
		} else {
			ck_assert_ptr_null(kc);
			ck_assert_int_ne(err.code, PKI_OK);
			ck_assert_uint_gt(strlen(err.msg), 0);
		}
	}
	/* the truncations that end inside the users entry still resolve */
	ck_assert_uint_lt(ok, b.len / 7);
	pki_buf_free(&b);
}
END_TEST

/* ---- writing ---------------------------------------------------------- */

static const struct pki_buf ca_buf = { (unsigned char *)"CA\n", 3, 0 };
static const struct pki_buf cert_buf = { (unsigned char *)"CERT\n", 5, 0 };
static const struct pki_buf key_buf = { (unsigned char *)"KEY\n", 4, 0 };

/* written by hand after kubeadm's scheduler.conf: keys sorted as client-go
 * writes them, data as one base64 line */
static const char want_embedded[] =
	"apiVersion: v1\n"
	"clusters:\n"
	"- cluster:\n"
	"    certificate-authority-data: Q0EK\n"
	"    server: https://10.0.0.10:6443\n"
	"  name: kubernetes\n"
	"contexts:\n"
	"- context:\n"
	"    cluster: kubernetes\n"
	"    user: system:kube-scheduler\n"
	"  name: system:kube-scheduler@kubernetes\n"
	"current-context: system:kube-scheduler@kubernetes\n"
	"kind: Config\n"
	"preferences: {}\n"
	"users:\n"
	"- name: system:kube-scheduler\n"
	"  user:\n"
	"    client-certificate-data: Q0VSVAo=\n"
	"    client-key-data: S0VZCg==\n";

START_TEST(test_render_embedded)
{
	struct pki_kubeconfig_spec spec = { 0 };
	struct pki_kubeconfig *kc = NULL;
	struct pki_buf out = { 0 };
	struct pki_err err;

	spec.cluster = "kubernetes";
	spec.user = "system:kube-scheduler";
	spec.server = "https://10.0.0.10:6443";
	spec.ca_pem = &ca_buf;
	spec.cert_pem = &cert_buf;
	spec.key_pem = &key_buf;
	pki_err_clear(&err);
	ck_assert_msg(pki_kubeconfig_render(&spec, &out, &err) == 0, "%s", err.msg);
	ck_assert_str_eq((const char *)out.data, want_embedded);
	ck_assert_uint_eq(out.len, strlen(want_embedded));
	/* and it reads back */
	ck_assert_msg(pki_kubeconfig_parse(out.data, out.len, "rendered", &kc, &err) == 0, "%s",
		err.msg);
	ck_assert_str_eq(pki_kubeconfig_current_context(kc), "system:kube-scheduler@kubernetes");
	ck_assert_str_eq(pki_kubeconfig_server(kc), "https://10.0.0.10:6443");
	ck_assert_mem_eq(pki_kubeconfig_client_key_data(kc)->data, "KEY\n", 4);
	pki_kubeconfig_free(kc);
	pki_buf_free(&out);
}
END_TEST

static const char want_files[] =
	"apiVersion: v1\n"
	"clusters:\n"
	"- cluster:\n"
	"    certificate-authority-data: Q0EK\n"
	"    server: https://[fd00::1]:6443\n"
	"  name: lab\n"
	"contexts:\n"
	"- context:\n"
	"    cluster: lab\n"
	"    user: system:node:cp-1\n"
	"  name: default\n"
	"current-context: default\n"
	"kind: Config\n"
	"preferences: {}\n"
	"users:\n"
	"- name: system:node:cp-1\n"
	"  user:\n"
	"    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n"
	"    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n";

START_TEST(test_render_files)
{
	struct pki_kubeconfig_spec spec = { 0 };
	struct pki_buf out = { 0 };
	struct pki_err err;

	spec.cluster = "lab";
	spec.user = "system:node:cp-1";
	spec.context = "default";
	spec.server = "https://[fd00::1]:6443";
	spec.ca_pem = &ca_buf;
	spec.cert_file = spec.key_file = "/var/lib/kubelet/pki/kubelet-client-current.pem";
	pki_err_clear(&err);
	ck_assert_msg(pki_kubeconfig_render(&spec, &out, &err) == 0, "%s", err.msg);
	ck_assert_str_eq((const char *)out.data, want_files);
	pki_buf_free(&out);
}
END_TEST

static const struct {
	const char *cluster, *user, *server, *ca_file;
	int ca, cert, key;
	const char *cert_file;
	enum pki_errcode code;
	const char *msg;
} render_bad[] = {
	{ "k", "u", NULL, NULL, 1, 1, 1, NULL, PKI_E_USAGE, "kubeconfig: no server given" },
	{ "", "u", "https://a", NULL, 1, 1, 1, NULL, PKI_E_USAGE, "kubeconfig: no cluster name given" },
	{ "k", NULL, "https://a", NULL, 1, 1, 1, NULL, PKI_E_USAGE, "kubeconfig: no user name given" },
	{ "k", "u", "http://a", NULL, 1, 1, 1, NULL, PKI_E_INVALID,
		"kubeconfig: server 'http://a' is not an https:// URL" },
	{ "k", "u", "https://", NULL, 1, 1, 1, NULL, PKI_E_INVALID,
		"kubeconfig: server 'https://' is not an https:// URL" },
	{ "k", "u\n", "https://a", NULL, 1, 1, 1, NULL, PKI_E_INVALID,
		"kubeconfig: user name holds control characters or invalid UTF-8" },
	{ "k", "u", "https://a", NULL, 0, 1, 1, NULL, PKI_E_USAGE,
		"kubeconfig: give the CA as data or as a file" },
	{ "k", "u", "https://a", "/ca.crt", 1, 1, 1, NULL, PKI_E_USAGE,
		"kubeconfig: give the CA as data or as a file" },
	{ "k", "u", "https://a", NULL, 1, 0, 1, NULL, PKI_E_USAGE,
		"kubeconfig: give the client certificate and key as data or as files" },
	{ "k", "u", "https://a", NULL, 1, 1, 1, "/c.crt", PKI_E_USAGE,
		"kubeconfig: give the client certificate and key as data or as files" },
	{ "k", "u", "https://a", NULL, 1, 1, 0, NULL, PKI_E_USAGE,
		"kubeconfig: give the client certificate and key as data or as files" },
};

START_TEST(test_render_bad)
{
	struct pki_kubeconfig_spec spec = { 0 };
	struct pki_buf out = { 0 };
	struct pki_err err;

	spec.cluster = render_bad[_i].cluster;
	spec.user = render_bad[_i].user;
	spec.server = render_bad[_i].server;
	spec.ca_file = render_bad[_i].ca_file;
	spec.cert_file = render_bad[_i].cert_file;
	spec.ca_pem = render_bad[_i].ca ? &ca_buf : NULL;
	spec.cert_pem = render_bad[_i].cert ? &cert_buf : NULL;
	spec.key_pem = render_bad[_i].key ? &key_buf : NULL;
	pki_err_clear(&err);
	ck_assert_int_eq(pki_kubeconfig_render(&spec, &out, &err), -1);
	ck_assert_ptr_null(out.data);
	ck_assert_str_eq(err.msg, render_bad[_i].msg);
	ck_assert_int_eq(err.code, render_bad[_i].code);
}
END_TEST

static Suite *
kubeconfig_suite(void)
{
	Suite *s = suite_create("kubeconfig");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_admin);
	tcase_add_test(tc, test_multi);
	tcase_add_test(tc, test_partial);
	tcase_add_test(tc, test_parse_name);
	tcase_add_test(tc, test_minimal);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_truncations);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("render");
	tcase_add_test(tc, test_render_embedded);
	tcase_add_test(tc, test_render_files);
	tcase_add_loop_test(tc, test_render_bad, 0,
		(int)(sizeof(render_bad) / sizeof(render_bad[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(kubeconfig_suite());
}
