/* check_report.c — the expiration report, its tabwriter, and pki_dump. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include <pki/pkidir.h>
#include <pki/profile.h>
#include <pki/report.h>
#include <pki/request.h>

#include "internal.h"
#include "testutil.h"

/* 2090-01-01T00:00:00Z: the fixtures' dates are set against it */
#define NOW ((time_t)3786912000LL)

/* openssl x509 -noout -fingerprint -sha256 -in report/good/dump/apiserver.crt */
#define APISERVER_FP "7E:1C:F6:6C:4F:34:68:F1:66:35:68:41:5A:EF:E7:FC:53:DB:5A:28:C8:D7:EF:F2:8E:B6:E1:E9:05:CE:A5:EB"

/* ---- the tabwriter, against hand-written layouts ----------------------- */

static const struct {
	const char *in, *want;
} tw_cases[] = {
	/* a cell narrower than minwidth is padded to 10 */
	{ "a\tb\n", "a         b\n" },
	/* wider cells get padding 3 */
	{ "abcdefghij\tx\n", "abcdefghij   x\n" },
	/* the last cell is not a column and is not padded */
	{ "a\tlast cell is long\nb\tc\n", "a         last cell is long\nb         c\n" },
	/* an empty line ends the column block */
	{ "a\tb\nlonger-name-here\tc\n\nxx\tyy\n",
		"a                  b\nlonger-name-here   c\n\nxx        yy\n" },
	/* empty cells are padded too (kubeadm's !MISSING! rows) */
	{ "name\tA\tB\n!MISSING! x\t\t\n",
		"name          A         B\n!MISSING! x             \n" },
	/* no final newline: the last line is written as is */
	{ "a\tb", "a         b" },
	/* a line with fewer cells ends the block of the columns it lacks */
	{ "a\tb\tc\nd\te\n", "a         b         c\nd         e\n" },
	{ "a\tb\tc\nd\te\tf\n", "a         b         c\nd         e         f\n" },
	/* width counts runes, not bytes */
	{ "\xc3\xa9\tx\n", "\xc3\xa9         x\n" },
	{ "", "" },
	{ "\n", "\n" },
	{ "no tabs at all\n", "no tabs at all\n" },
	/* kubeadm's sample from the docs (its CA column was empty then) */
	{ "CERTIFICATE\tEXPIRES\tRESIDUAL TIME\tCERTIFICATE AUTHORITY\tEXTERNALLY MANAGED\n"
	  "admin.conf\tDec 30, 2020 23:36 UTC\t364d\t\tno      \n"
	  "apiserver\tDec 30, 2020 23:36 UTC\t364d\tca\tno      \n"
	  "apiserver-kubelet-client\tDec 30, 2020 23:36 UTC\t364d\tca\tno      \n"
	  "front-proxy-client\tDec 30, 2020 23:36 UTC\t364d\tfront-proxy-ca\tno      \n"
	  "\n"
	  "CERTIFICATE AUTHORITY\tEXPIRES\tRESIDUAL TIME\tEXTERNALLY MANAGED\n"
	  "ca\tDec 28, 2029 23:36 UTC\t9y\tno      \n",
		"CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED\n"
		"admin.conf                 Dec 30, 2020 23:36 UTC   364d                                    no      \n"
		"apiserver                  Dec 30, 2020 23:36 UTC   364d            ca                      no      \n"
		"apiserver-kubelet-client   Dec 30, 2020 23:36 UTC   364d            ca                      no      \n"
		"front-proxy-client         Dec 30, 2020 23:36 UTC   364d            front-proxy-ca          no      \n"
		"\n"
		"CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED\n"
		"ca                      Dec 28, 2029 23:36 UTC   9y              no      \n" },
};

START_TEST(test_tabwriter)
{
	struct pki_buf out = { 0 };
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_tabwriter(tw_cases[_i].in, strlen(tw_cases[_i].in), &out, &err), 0);
	ck_assert_str_eq(out.data ? (const char *)out.data : "", tw_cases[_i].want);
	pki_buf_free(&out);
}
END_TEST

START_TEST(test_tabwriter_cells_cap)
{
	char line[200];
	struct pki_buf out = { 0 };
	struct pki_err err;

	memset(line, '\t', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	pki_err_clear(&err);
	ck_assert_int_eq(pki_tabwriter(line, strlen(line), &out, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	pki_buf_free(&out);
}
END_TEST

START_TEST(test_format_parse)
{
	enum pki_format f = PKI_FMT_TEXT;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_format_parse("json", &f, &err), 0);
	ck_assert_int_eq(f, PKI_FMT_JSON);
	ck_assert_int_eq(pki_format_parse("yaml", &f, &err), 0);
	ck_assert_int_eq(f, PKI_FMT_YAML);
	ck_assert_int_eq(pki_format_parse("text", &f, &err), 0);
	ck_assert_int_eq(f, PKI_FMT_TEXT);
	ck_assert_int_eq(pki_format_parse("JSON", &f, &err), -1);
	ck_assert_str_eq(err.msg, "output format 'JSON': not text, json or yaml");
	ck_assert_int_eq(err.code, PKI_E_USAGE);
}
END_TEST

/* ---- the report over a copy of the fixture tree -------------------------- */

static const char *const tree_files[] = {
	"pki/ca.crt", "pki/ca.key", "pki/etcd/ca.crt", "pki/etcd/ca.key",
	"pki/front-proxy-ca.crt", "pki/front-proxy-ca.key", "pki/apiserver.crt",
	"pki/apiserver-kubelet-client.crt", "pki/apiserver-etcd-client.crt",
	"pki/front-proxy-client.crt", "pki/etcd/server.crt", "pki/etcd/peer.crt",
	"pki/etcd/healthcheck-client.crt", "kc/admin.conf", "kc/super-admin.conf",
	"kc/controller-manager.conf", "kc/scheduler.conf", "kc/kubelet.conf",
};

static char tree[256];
static char pki_dir[300], kc_dir[300];
static struct pki_profile_set *set;

static void
tree_path(char *out, size_t cap, const char *rel)
{
	ck_assert_int_lt(snprintf(out, cap, "%s/%s", tree, rel), (int)cap);
}

static void
copy_in(const char *from_rel, const char *to_rel)
{
	struct pki_buf b = { 0 };
	struct pki_err err;
	char to[512];

	test_read(from_rel, &b);
	tree_path(to, sizeof(to), to_rel);
	pki_err_clear(&err);
	ck_assert_msg(pki_file_write(to, b.data, b.len, 0600, PKI_WRITE_MKDIRS, &err) == 0, "%s",
		err.msg);
	pki_buf_free(&b);
}

static void
tree_setup(void)
{
	struct pki_err err;
	char from[256];
	size_t i;

	ck_assert_int_lt(snprintf(tree, sizeof(tree), "%s/check_report.XXXXXX",
				 getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir),
		(int)sizeof(tree));
	ck_assert_ptr_nonnull(mkdtemp(tree));
	for (i = 0; i < sizeof(tree_files) / sizeof(tree_files[0]); i++) {
		snprintf(from, sizeof(from), "report/good/%s", tree_files[i]);
		copy_in(from, tree_files[i]);
	}
	tree_path(pki_dir, sizeof(pki_dir), "pki");
	tree_path(kc_dir, sizeof(kc_dir), "kc");
	pki_err_clear(&err);
	ck_assert_msg(pki_profile_set_load("kubeadm-v1.29", &set, &err) == 0, "%s", err.msg);
}

static void
tree_teardown(void)
{
	char cmd[400];

	pki_profile_set_free(set);
	set = NULL;
	/* the tree is ours and lies under a fresh mkdtemp directory */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	ck_assert_int_eq(system(cmd), 0);
}

static void
tree_rm(const char *rel)
{
	char p[512];

	tree_path(p, sizeof(p), rel);
	ck_assert_int_eq(unlink(p), 0);
}

static void
tree_put(const char *rel, const char *content)
{
	struct pki_err err;
	char p[512];

	tree_path(p, sizeof(p), rel);
	pki_err_clear(&err);
	ck_assert_msg(pki_file_write(p, content, strlen(content), 0600, 0, &err) == 0, "%s",
		err.msg);
}

static struct pki_report *
build(unsigned flags)
{
	struct pki_report *r = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_report_build(set, pki_dir, kc_dir, NOW, flags, &r, &err) == 0, "%s",
		err.msg);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* Renders r and returns the text (caller frees). */
static char *
render(const struct pki_report *r, enum pki_format fmt)
{
	struct pki_buf out = { 0 };
	struct pki_err err;
	char *s;

	pki_err_clear(&err);
	ck_assert_msg(pki_report_render(r, fmt, &out, &err) == 0, "%s", err.msg);
	s = strdup(out.data ? (const char *)out.data : "");
	ck_assert_ptr_nonnull(s);
	pki_buf_free(&out);
	return s;
}

static void
assert_matches_file(const char *got, const char *rel)
{
	struct pki_buf want = { 0 };

	test_read(rel, &want);
	ck_assert_str_eq(got, (const char *)want.data);
	pki_buf_free(&want);
}

/* one line of the text report, whole */
static void
assert_line(const char *text, const char *line)
{
	char *want = NULL;

	ck_assert_int_gt(asprintf(&want, "\n%s\n", line), 0);
	ck_assert_msg(strstr(text, want) != NULL, "no line '%s' in:\n%s", line, text);
	free(want);
}

static void assert_linef(const char *text, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* a line laid out with printf widths: the column widths a test expects */
static void
assert_linef(const char *text, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	ck_assert_int_lt(vsnprintf(line, sizeof(line), fmt, ap), (int)sizeof(line));
	va_end(ap);
	assert_line(text, line);
}

START_TEST(test_report_formats)
{
	struct pki_report *r = build(0);
	char *s;
	int any = 0;

	ck_assert_uint_eq(pki_report_errors(r)->n, 0);
	s = render(r, PKI_FMT_TEXT);
	assert_matches_file(s, "report/good/expected/report.txt");
	free(s);
	s = render(r, PKI_FMT_JSON);
	assert_matches_file(s, "report/good/expected/report.json");
	free(s);
	s = render(r, PKI_FMT_YAML);
	assert_matches_file(s, "report/good/expected/report.yaml");
	free(s);
	/* etcd-healthcheck-client expired an hour before now */
	ck_assert_int_eq(pki_report_min_residual(r, &any), -3600);
	ck_assert_int_eq(any, 1);
	pki_report_free(r);
	pki_report_free(NULL);
}
END_TEST

START_TEST(test_report_missing)
{
	struct pki_report *r;
	char *s;

	tree_rm("pki/apiserver.crt");
	tree_rm("kc/super-admin.conf");
	tree_rm("pki/front-proxy-ca.crt");
	r = build(0);
	ck_assert_uint_eq(pki_report_errors(r)->n, 0);
	s = render(r, PKI_FMT_TEXT);
	/* "!MISSING! super-admin.conf" widens the first column to 26 + 3;
	 * empty cells are padded to their columns (29, 25, 16, 24) */
	assert_linef(s, "%-29s%-25s%-16s%-24s", "!MISSING! apiserver", "", "", "");
	assert_linef(s, "%-29s%-25s%-16s%-24s", "!MISSING! super-admin.conf", "", "", "");
	assert_linef(s, "%-29s%-25s%-16s%-24s%s", "apiserver-etcd-client",
		"Jan 01, 2090 05:00 UTC", "5h", "etcd-ca", "no      ");
	/* the CA table: 24 + 3, 25, 16 */
	assert_linef(s, "%-27s%-25s%-16s", "!MISSING! front-proxy-ca", "", "");
	assert_linef(s, "%-27s%-25s%-16s%s", "etcd-ca", "Jun 30, 2099 10:00 UTC", "9y",
		"no      ");
	free(s);
	s = render(r, PKI_FMT_JSON);
	ck_assert_ptr_nonnull(strstr(s, "        {\n"
					"            \"name\": \"apiserver\",\n"
					"            \"expirationDate\": null,\n"
					"            \"residualTime\": 0,\n"
					"            \"externallyManaged\": false,\n"
					"            \"missing\": true\n"
					"        },\n"));
	free(s);
	s = render(r, PKI_FMT_YAML);
	ck_assert_ptr_nonnull(strstr(s, "- expirationDate: null\n"
					"  externallyManaged: false\n"
					"  missing: true\n"
					"  name: front-proxy-ca\n"
					"  residualTime: 0\n"));
	free(s);
	pki_report_free(r);
}
END_TEST

/* ca.key gone: ca is external, and so are its leaves and kubeconfigs */
START_TEST(test_report_external)
{
	struct pki_report *r;
	char *s;

	tree_rm("pki/ca.key");
	r = build(0);
	s = render(r, PKI_FMT_TEXT);
	assert_line(s, "ca                      Dec 28, 2099 23:36 UTC   9y              yes     ");
	assert_line(s, "etcd-ca                 Jun 30, 2099 10:00 UTC   9y              no      ");
	assert_line(s, "apiserver                  Jun 30, 2090 12:00 UTC   180d            ca                      yes     ");
	assert_line(s, "admin.conf                 Dec 31, 2090 23:36 UTC   364d            ca                      yes     ");
	assert_line(s, "etcd-server                Dec 31, 2090 23:36 UTC   364d            etcd-ca                 no      ");
	assert_line(s, "front-proxy-client         Dec 31, 2090 23:36 UTC   364d            front-proxy-ca          no      ");
	free(s);
	s = render(r, PKI_FMT_JSON);
	ck_assert_ptr_nonnull(strstr(s, "            \"name\": \"ca\",\n"
					"            \"expirationDate\": \"2099-12-28T23:36:00Z\",\n"
					"            \"residualTime\": 315272160,\n"
					"            \"externallyManaged\": true,\n"
					"            \"missing\": false\n"));
	free(s);
	pki_report_free(r);
}
END_TEST

/* a CA certificate without its key that is not a CA is not external */
START_TEST(test_report_external_needs_ca)
{
	struct pki_report *r;
	char *s;

	tree_rm("pki/front-proxy-ca.key");
	copy_in("report/good/pki/front-proxy-client.crt", "pki/front-proxy-ca.crt");
	r = build(0);
	s = render(r, PKI_FMT_TEXT);
	assert_line(s, "front-proxy-ca          Dec 31, 2090 23:36 UTC   364d            no      ");
	assert_line(s, "front-proxy-client         Dec 31, 2090 23:36 UTC   364d            front-proxy-ca          no      ");
	free(s);
	pki_report_free(r);
}
END_TEST

START_TEST(test_report_corrupt)
{
	const struct pki_names *errs;
	struct pki_report *r;
	char *s, want[600];

	tree_put("pki/front-proxy-client.crt", "-----BEGIN CERTIFICATE-----\nnot base64\n");
	tree_put("kc/scheduler.conf", "current-context: x\n");
	r = build(0);
	errs = pki_report_errors(r);
	ck_assert_uint_eq(errs->n, 2);
	/* in the report's order: profiles as the set lists them */
	snprintf(want, sizeof(want), "%s/front-proxy-client.crt", pki_dir);
	ck_assert_msg(strstr(errs->v[0], want) != NULL, "%s", errs->v[0]);
	snprintf(want, sizeof(want), "kubeconfig '%s/scheduler.conf': current-context 'x' is not in contexts",
		kc_dir);
	ck_assert_str_eq(errs->v[1], want);
	s = render(r, PKI_FMT_TEXT);
	assert_linef(s, "%-31s%-25s%-16s%-24s", "!MISSING! front-proxy-client", "", "", "");
	assert_linef(s, "%-31s%-25s%-16s%-24s", "!MISSING! scheduler.conf", "", "", "");
	free(s);
	pki_report_free(r);
}
END_TEST

START_TEST(test_report_external_etcd)
{
	struct pki_report *r = build(PKI_REPORT_EXTERNAL_ETCD);
	char *s = render(r, PKI_FMT_TEXT);

	ck_assert_str_eq(s,
		"CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED\n"
		"admin.conf                 Dec 31, 2090 23:36 UTC   364d            ca                      no      \n"
		"apiserver                  Jun 30, 2090 12:00 UTC   180d            ca                      no      \n"
		"apiserver-kubelet-client   Jan 01, 2090 00:12 UTC   12m             ca                      no      \n"
		"controller-manager.conf    Jan 01, 2090 00:00 UTC   45s             ca                      no      \n"
		"front-proxy-client         Dec 31, 2090 23:36 UTC   364d            front-proxy-ca          no      \n"
		"scheduler.conf             Dec 31, 2090 23:36 UTC   364d            ca                      no      \n"
		"super-admin.conf           Dec 31, 2090 23:36 UTC   364d            ca                      no      \n"
		"\n"
		"CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED\n"
		"ca                      Dec 28, 2099 23:36 UTC   9y              no      \n"
		"front-proxy-ca          Dec 28, 2099 23:36 UTC   9y              no      \n");
	free(s);
	pki_report_free(r);
}
END_TEST

START_TEST(test_report_all)
{
	struct pki_report *r = build(PKI_REPORT_ALL);
	char *s = render(r, PKI_FMT_TEXT);

	assert_line(s, "kubelet.conf               Dec 31, 2090 23:36 UTC   364d            ca                      no      ");
	/* sorted among the others */
	ck_assert_ptr_nonnull(strstr(s, "no      \nkubelet.conf "));
	ck_assert_ptr_nonnull(strstr(strstr(s, "\nkubelet.conf"), "\nscheduler.conf"));
	free(s);
	pki_report_free(r);
	/* without the flag kubelet.conf is not shown, as kubeadm */
	r = build(0);
	s = render(r, PKI_FMT_TEXT);
	ck_assert_ptr_null(strstr(s, "kubelet.conf"));
	free(s);
	pki_report_free(r);
}
END_TEST

/* kubelet.conf after TLS bootstrap names its certificate in a file */
START_TEST(test_report_kubelet_file_ref)
{
	struct pki_report *r;
	char *s;

	copy_in("report/good/kubelet-ref/kubelet.conf", "kc/kubelet.conf");
	copy_in("report/good/kubelet-ref/kubelet-client-current.pem",
		"kc/kubelet-client-current.pem");
	r = build(PKI_REPORT_ALL);
	ck_assert_uint_eq(pki_report_errors(r)->n, 0);
	s = render(r, PKI_FMT_TEXT);
	assert_line(s, "kubelet.conf               Mar 01, 2090 00:00 UTC   59d             ca                      no      ");
	free(s);
	pki_report_free(r);
	/* a dangling reference is an error, not a crash */
	tree_rm("kc/kubelet-client-current.pem");
	r = build(PKI_REPORT_ALL);
	ck_assert_uint_eq(pki_report_errors(r)->n, 1);
	ck_assert_ptr_nonnull(strstr(pki_report_errors(r)->v[0], "client-certificate"));
	pki_report_free(r);
}
END_TEST

START_TEST(test_report_empty_dirs)
{
	struct pki_report *r = NULL;
	struct pki_err err;
	char *s;
	int any = 1;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_report_build(set, tree, tree, NOW, 0, &r, &err), 0);
	ck_assert_int_eq(pki_report_min_residual(r, &any), 0);
	ck_assert_int_eq(any, 0);
	s = render(r, PKI_FMT_TEXT);
	/* no dates: EXPIRES keeps the minimum width 10 */
	assert_linef(s, "%-27s%-10s%-16s", "!MISSING! ca", "", "");
	assert_linef(s, "%-37s%-10s%-16s%-24s", "!MISSING! apiserver-kubelet-client", "", "", "");
	free(s);
	pki_report_free(r);
}
END_TEST

/*
 * An interrupted kpki-kubeconfig install (its intent file in the staging
 * directory, or something else in its place) is a warning beside the
 * report; the report itself, rows and rendering, stays kubeadm's.
 */
START_TEST(test_report_intent_warning)
{
	struct pki_report *r = build(0);
	char st[400], intent[500], want[1400], *s;

	ck_assert_uint_eq(pki_report_warnings(r)->n, 0);
	pki_report_free(r);
	(void)snprintf(st, sizeof(st), "%s/" PKI_STAGING_DIR, pki_dir);
	(void)snprintf(intent, sizeof(intent), "%s/" PKI_INSTALL_INTENT, st);
	ck_assert_int_eq(mkdir(st, 0700), 0);
	switch (_i) {
	case 0:
		tree_put("pki/" PKI_STAGING_DIR "/" PKI_INSTALL_INTENT, "kpki-install-intent v3\n");
		(void)snprintf(want, sizeof(want), "an install was interrupted: '%s' is there: rerun "
			"the same kpki-kubeconfig command to finish it", intent);
		break;
	case 1:
		ck_assert_int_eq(symlink("/nonexistent", intent), 0);
		(void)snprintf(want, sizeof(want), "'%s' is a symbolic link where kpki-kubeconfig "
			"keeps its install intent: it cannot install until this is removed", intent);
		break;
	default:
		ck_assert_int_eq(mkdir(intent, 0700), 0);
		(void)snprintf(want, sizeof(want), "'%s' is a directory where kpki-kubeconfig "
			"keeps its install intent: it cannot install until this is removed", intent);
		break;
	}
	r = build(0);
	ck_assert_uint_eq(pki_report_errors(r)->n, 0);
	ck_assert_uint_eq(pki_report_warnings(r)->n, 1);
	ck_assert_str_eq(pki_report_warnings(r)->v[0], want);
	s = render(r, PKI_FMT_TEXT);
	assert_matches_file(s, "report/good/expected/report.txt");
	free(s);
	s = render(r, PKI_FMT_JSON);
	assert_matches_file(s, "report/good/expected/report.json");
	free(s);
	pki_report_free(r);
}
END_TEST

/* A staging directory that is a link is not followed: whatever lies behind
 * it is no intent file of this cert dir's. */
START_TEST(test_report_intent_staging_link)
{
	struct pki_report *r;
	char other[400], st[400];

	(void)snprintf(other, sizeof(other), "%s/elsewhere", tree);
	(void)snprintf(st, sizeof(st), "%s/" PKI_STAGING_DIR, pki_dir);
	ck_assert_int_eq(mkdir(other, 0700), 0);
	tree_put("elsewhere/" PKI_INSTALL_INTENT, "kpki-install-intent v3\n");
	ck_assert_int_eq(symlink(other, st), 0);
	r = build(0);
	ck_assert_uint_eq(pki_report_warnings(r)->n, 0);
	pki_report_free(r);
}
END_TEST

/* ---- pki_dump --------------------------------------------------------------- */

static char *
dump(const char *rel, enum pki_format fmt)
{
	struct pki_buf in = { 0 }, out = { 0 };
	struct pki_err err;
	char *s;

	test_read(rel, &in);
	pki_err_clear(&err);
	ck_assert_msg(pki_dump(in.data, in.len, rel, NOW, fmt, &out, &err) == 0, "%s: %s", rel,
		err.msg);
	s = strdup((const char *)out.data);
	ck_assert_ptr_nonnull(s);
	pki_buf_free(&in);
	pki_buf_free(&out);
	return s;
}

static void
assert_has(const char *s, const char *part)
{
	ck_assert_msg(strstr(s, part) != NULL, "'%s' not in:\n%s", part, s);
}

START_TEST(test_dump_cert)
{
	char *s = dump("report/good/dump/apiserver.crt", PKI_FMT_TEXT);

	assert_has(s, "report/good/dump/apiserver.crt: certificate\n");
	assert_has(s, "\n  subject: CN=kube-apiserver\n");
	assert_has(s, "\n  issuer: CN=kubernetes\n");
	assert_has(s, "\n  serial: 1a2b3c4d5e6f\n");
	assert_has(s, "\n  not before: 2089-01-01T00:00:00Z\n");
	assert_has(s, "\n  not after: 2090-06-30T12:00:00Z (180d left)\n");
	assert_has(s, "\n  public key: RSA 2048\n");
	assert_has(s, "\n  subject alternative names: DNS:kubernetes, DNS:kubernetes.default, "
		      "IP:10.96.0.1, IP:2001:db8::1\n");
	assert_has(s, "\n  key usage: digital-signature, key-encipherment (critical)\n");
	assert_has(s, "\n  extended key usage: server-auth\n");
	assert_has(s, "\n  basic constraints: CA:FALSE (critical)\n");
	assert_has(s, "\n  self-signed: no\n");
	assert_has(s, "\n  SHA-256 fingerprint: " APISERVER_FP "\n");
	free(s);
	/* the same from DER */
	s = dump("report/good/dump/apiserver.der", PKI_FMT_TEXT);
	assert_has(s, "\n  SHA-256 fingerprint: " APISERVER_FP "\n");
	assert_has(s, "\n  subject: CN=kube-apiserver\n");
	free(s);
}
END_TEST

START_TEST(test_dump_cert_json)
{
	char *s = dump("report/good/dump/apiserver.crt", PKI_FMT_JSON);

	assert_has(s, "{\n  \"name\": \"report/good/dump/apiserver.crt\",\n  \"objects\": [\n"
		      "    {\n      \"type\": \"certificate\",\n"
		      "      \"subject\": \"CN=kube-apiserver\",\n"
		      "      \"issuer\": \"CN=kubernetes\",\n"
		      "      \"serial\": \"1a2b3c4d5e6f\",\n"
		      "      \"notBefore\": \"2089-01-01T00:00:00Z\",\n"
		      "      \"notAfter\": \"2090-06-30T12:00:00Z\",\n"
		      "      \"residualTime\": 15595200,\n"
		      "      \"publicKey\": {\n"
		      "        \"algorithm\": \"RSA\",\n"
		      "        \"bits\": 2048,\n"
		      "        \"curve\": null\n      },\n");
	assert_has(s, "      \"dnsNames\": [\n        \"kubernetes\",\n        \"kubernetes.default\"\n"
		      "      ],\n      \"ipAddresses\": [\n        \"10.96.0.1\",\n"
		      "        \"2001:db8::1\"\n      ],\n      \"otherNames\": [],\n"
		      "      \"keyUsage\": [\n        \"digital-signature\",\n"
		      "        \"key-encipherment\"\n      ],\n      \"keyUsageCritical\": true,\n"
		      "      \"extKeyUsage\": [\n        \"server-auth\"\n      ],\n"
		      "      \"basicConstraints\": {\n        \"ca\": false,\n"
		      "        \"pathLen\": null,\n        \"critical\": true\n      },\n");
	assert_has(s, "      \"selfSigned\": false,\n"
		      "      \"sha256Fingerprint\": \"" APISERVER_FP "\"\n    }\n  ]\n}\n");
	free(s);
}
END_TEST

START_TEST(test_dump_chain)
{
	char *s = dump("report/good/dump/chain.pem", PKI_FMT_TEXT);

	assert_has(s, "report/good/dump/chain.pem: certificate 1 of 2\n  subject: CN=kube-apiserver\n");
	assert_has(s, "report/good/dump/chain.pem: certificate 2 of 2\n  subject: CN=kubernetes\n");
	assert_has(s, "\n  basic constraints: CA:TRUE (critical)\n");
	assert_has(s, "\n  key usage: digital-signature, key-encipherment, cert-sign (critical)\n");
	assert_has(s, "\n  self-signed: yes\n");
	free(s);
}
END_TEST

START_TEST(test_dump_csr)
{
	char *s = dump("report/good/dump/node1.csr", PKI_FMT_TEXT);

	assert_has(s, "report/good/dump/node1.csr: certificate request\n");
	assert_has(s, "\n  subject: CN=system:node:node1,O=system:nodes\n");
	assert_has(s, "\n  public key: ECDSA P-256\n");
	assert_has(s, "\n  signature: valid\n");
	assert_has(s, "\n  subject alternative names: DNS:node1\n");
	assert_has(s, "\n  requested extensions: subjectAltName\n");
	free(s);
	s = dump("report/good/dump/node1.csr.der", PKI_FMT_JSON);
	assert_has(s, "      \"type\": \"csr\",\n");
	assert_has(s, "      \"requestedExtensions\": [\n        \"subjectAltName\"\n      ],\n"
		      "      \"signatureValid\": true,\n");
	free(s);
}
END_TEST

/* a key's summary holds public facts only */
static const struct {
	const char *file, *pub;
} key_cases[] = {
	{ "report/good/dump/rsa.key", "public key: RSA 2048" },
	{ "report/good/dump/ec.key", "public key: ECDSA P-256" },
	{ "report/good/dump/ed25519.key", "public key: Ed25519" },
};

START_TEST(test_dump_key)
{
	struct pki_buf pem = { 0 };
	char *s, *j, line[128];
	size_t i;

	s = dump(key_cases[_i].file, PKI_FMT_TEXT);
	j = dump(key_cases[_i].file, PKI_FMT_JSON);
	snprintf(line, sizeof(line), "%s: private key\n  %s\n", key_cases[_i].file,
		key_cases[_i].pub);
	assert_has(s, line);
	assert_has(s, "\n  public key SHA-256: ");
	assert_has(j, "\"type\": \"private-key\"");
	assert_has(j, "\"publicKeySha256\": \"");
	/* not one line of the key's base64 appears */
	test_read(key_cases[_i].file, &pem);
	for (i = 0; i < pem.len;) {
		char *nl = memchr(pem.data + i, '\n', pem.len - i);
		size_t n = nl ? (size_t)(nl - (char *)pem.data) - i : pem.len - i;

		if (n >= 16 && pem.data[i] != '-') {
			char *frag = strndup((char *)pem.data + i, 16);

			ck_assert_msg(strstr(s, frag) == NULL && strstr(j, frag) == NULL,
				"key material in the output");
			free(frag);
		}
		i += n + 1;
	}
	pki_buf_free(&pem);
	free(s);
	free(j);
}
END_TEST

START_TEST(test_dump_kubeconfig)
{
	struct pki_buf key = { 0 };
	char *s = dump("kubeconfig/good/admin.conf", PKI_FMT_TEXT), *j;

	assert_has(s, "kubeconfig/good/admin.conf: kubeconfig\n"
		      "  current context: kubernetes-admin@kubernetes\n"
		      "  cluster: kubernetes\n"
		      "  server: https://cp.example:6443\n"
		      "  user: kubernetes-admin\n"
		      "  certificate authority:\n"
		      "    subject: CN=kubernetes\n");
	assert_has(s, "\n  client certificate:\n"
		      "    subject: CN=kubernetes-admin,O=kubeadm:cluster-admins\n");
	assert_has(s, "\n  client key (embedded):\n    public key: ECDSA P-256\n");
	assert_has(s, "\n  client key matches the client certificate: yes\n");
	j = dump("kubeconfig/good/admin.conf", PKI_FMT_JSON);
	assert_has(j, "      \"type\": \"kubeconfig\",\n"
		      "      \"currentContext\": \"kubernetes-admin@kubernetes\",\n"
		      "      \"cluster\": \"kubernetes\",\n"
		      "      \"server\": \"https://cp.example:6443\",\n"
		      "      \"user\": \"kubernetes-admin\",\n"
		      "      \"certificateAuthority\": [\n        {\n");
	assert_has(j, "      \"clientKeyMatchesCertificate\": true\n    }\n  ]\n}\n");
	/* the embedded key: neither its PEM nor its base64 */
	test_read("kubeconfig/good/admin-key.pem", &key);
	ck_assert_ptr_null(strstr(s, "PRIVATE KEY"));
	ck_assert_ptr_null(strstr(j, "PRIVATE KEY"));
	ck_assert_ptr_null(strstr(s, (char *)key.data + 40));
	pki_buf_free(&key);
	free(s);
	free(j);
	/* file references are shown as such */
	s = dump("kubeconfig/good/multi.conf", PKI_FMT_TEXT);
	assert_has(s, "\n  certificate authority file: /etc/ssl/prod-ca.crt\n");
	assert_has(s, "\n  client key file: certs/admin.key\n");
	free(s);
}
END_TEST

/* control characters from the input never reach the terminal */
START_TEST(test_dump_sanitized)
{
	char *s = dump("report/good/dump/evil-cn.crt", PKI_FMT_TEXT), *j;

	ck_assert_ptr_null(strchr(s, '\x1b'));
	assert_has(s, "\n  subject: CN=evil\\x1b[31mred\n");
	j = dump("report/good/dump/evil-cn.crt", PKI_FMT_JSON);
	ck_assert_ptr_null(strchr(j, '\x1b'));
	free(s);
	free(j);
}
END_TEST

static const struct {
	const char *file, *msg; /* after "'<file>': " unless it starts with '!' */
} dump_bad[] = {
	{ "report/bad/dump/garbage.bin", "not a certificate, CSR, private key or kubeconfig" },
	{ "report/bad/dump/empty", "not a certificate, CSR, private key or kubeconfig" },
	{ "report/bad/dump/notes.txt", "not a certificate, CSR, private key or kubeconfig" },
	{ "report/bad/dump/bundle.yaml", "!bundle 'report/bad/dump/bundle.yaml': line 1: format version '1' is not supported" },
	{ "report/bad/dump/truncated.crt", NULL },
	{ "report/bad/dump/encrypted.key", NULL },
	{ "kubeconfig/bad/bad-b64-cert.conf",
		"!kubeconfig 'kubeconfig/bad/bad-b64-cert.conf': users[0].user.client-certificate-data: malformed base64" },
	{ "kubeconfig/bad/dangling-user.conf", NULL },
};

START_TEST(test_dump_bad)
{
	struct pki_buf in = { 0 }, out = { 0 };
	struct pki_err err;
	char want[512];

	test_read(dump_bad[_i].file, &in);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_dump(in.data, in.len, dump_bad[_i].file, NOW, PKI_FMT_TEXT, &out,
				 &err),
		-1);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_int_ne(err.code, PKI_OK);
	if (dump_bad[_i].msg == NULL)
		snprintf(want, sizeof(want), "%s", "");
	else if (dump_bad[_i].msg[0] == '!')
		snprintf(want, sizeof(want), "%s", dump_bad[_i].msg + 1);
	else
		snprintf(want, sizeof(want), "'%s': %s", dump_bad[_i].file, dump_bad[_i].msg);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "got '%s', want '%s'", err.msg,
		want);
	ck_assert_msg(strstr(err.msg, dump_bad[_i].file) != NULL, "'%s' does not name the input",
		err.msg);
	pki_buf_free(&in);
	pki_buf_free(&out);
}
END_TEST

/* every truncation and bit flip of good inputs: an error or a summary,
 * never a crash, never a partial output on error */
START_TEST(test_dump_mutations)
{
	static const char *const files[] = { "report/good/dump/apiserver.crt",
		"report/good/dump/node1.csr.der", "report/good/dump/ec.key",
		"kubeconfig/good/admin.conf" };
	struct pki_buf in = { 0 };
	size_t n, step;

	test_read(files[_i], &in);
	step = in.len / 97 + 1;
	for (n = 0; n < in.len; n += step) {
		struct pki_buf out = { 0 };
		struct pki_err err;
		unsigned char saved = in.data[n];
		int r;

		pki_err_clear(&err);
		r = pki_dump(in.data, n, "m", NOW, PKI_FMT_JSON, &out, &err);
		ck_assert(r == 0 || out.len == 0);
		pki_buf_free(&out);
		in.data[n] ^= 0x20;
		r = pki_dump(in.data, in.len, "m", NOW, PKI_FMT_TEXT, &out, &err);
		ck_assert(r == 0 || out.len == 0);
		in.data[n] = saved;
		pki_buf_free(&out);
	}
	pki_buf_free(&in);
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc;

	tc = tcase_create("tabwriter");
	tcase_add_loop_test(tc, test_tabwriter, 0, (int)(sizeof(tw_cases) / sizeof(tw_cases[0])));
	tcase_add_test(tc, test_tabwriter_cells_cap);
	tcase_add_test(tc, test_format_parse);
	suite_add_tcase(s, tc);

	tc = tcase_create("report");
	tcase_add_checked_fixture(tc, tree_setup, tree_teardown);
	tcase_add_test(tc, test_report_formats);
	tcase_add_test(tc, test_report_missing);
	tcase_add_test(tc, test_report_external);
	tcase_add_test(tc, test_report_external_needs_ca);
	tcase_add_test(tc, test_report_corrupt);
	tcase_add_test(tc, test_report_external_etcd);
	tcase_add_test(tc, test_report_all);
	tcase_add_test(tc, test_report_kubelet_file_ref);
	tcase_add_test(tc, test_report_empty_dirs);
	tcase_add_loop_test(tc, test_report_intent_warning, 0, 3);
	tcase_add_test(tc, test_report_intent_staging_link);
	suite_add_tcase(s, tc);

	tc = tcase_create("dump");
	tcase_add_test(tc, test_dump_cert);
	tcase_add_test(tc, test_dump_cert_json);
	tcase_add_test(tc, test_dump_chain);
	tcase_add_test(tc, test_dump_csr);
	tcase_add_loop_test(tc, test_dump_key, 0, (int)(sizeof(key_cases) / sizeof(key_cases[0])));
	tcase_add_test(tc, test_dump_kubeconfig);
	tcase_add_test(tc, test_dump_sanitized);
	tcase_add_loop_test(tc, test_dump_bad, 0, (int)(sizeof(dump_bad) / sizeof(dump_bad[0])));
	tcase_add_loop_test(tc, test_dump_mutations, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(report_suite());
}
