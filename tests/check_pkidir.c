/* check_pkidir.c — a PKI directory held against its profiles: the intent
 * file an interrupted kpki-kubeconfig install leaves behind. The tree is the
 * expiration report's fixture (tests/data/report/good). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include <pki/pkidir.h>
#include <pki/profile.h>
#include <pki/request.h>

#include "internal.h"
#include "testutil.h"

/* 2090-01-01T00:00:00Z, as check_report: the fixtures' dates are set against it */
#define NOW ((time_t)3786912000LL)

static const char *const tree_files[] = {
	"pki/ca.crt", "pki/ca.key", "pki/etcd/ca.crt", "pki/etcd/ca.key",
	"pki/front-proxy-ca.crt", "pki/front-proxy-ca.key", "pki/apiserver.crt",
	"pki/apiserver-kubelet-client.crt", "pki/apiserver-etcd-client.crt",
	"pki/front-proxy-client.crt", "pki/etcd/server.crt", "pki/etcd/peer.crt",
	"pki/etcd/healthcheck-client.crt", "kc/admin.conf", "kc/super-admin.conf",
	"kc/controller-manager.conf", "kc/scheduler.conf", "kc/kubelet.conf",
};

static char tree[256];
static char pki_dir[300], kc_dir[300], staging[320], intent[400];
static struct pki_profile_set *set;

static void
tree_path(char *out, size_t cap, const char *rel)
{
	ck_assert_int_lt(snprintf(out, cap, "%s/%s", tree, rel), (int)cap);
}

static void
put(const char *rel, const void *data, size_t len)
{
	struct pki_err err;
	char to[512];

	tree_path(to, sizeof(to), rel);
	pki_err_clear(&err);
	ck_assert_msg(pki_file_write(to, data, len, 0600, PKI_WRITE_MKDIRS, &err) == 0, "%s",
		err.msg);
}

static void
setup(void)
{
	struct pki_buf b = { 0 };
	struct pki_err err;
	char from[256];
	size_t i;

	ck_assert_int_lt(snprintf(tree, sizeof(tree), "%s/check_pkidir.XXXXXX",
				 getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir),
		(int)sizeof(tree));
	ck_assert_ptr_nonnull(mkdtemp(tree));
	for (i = 0; i < PKI_ARRAY_LEN(tree_files); i++) {
		(void)snprintf(from, sizeof(from), "report/good/%s", tree_files[i]);
		test_read(from, &b);
		put(tree_files[i], b.data, b.len);
		pki_buf_free(&b);
	}
	tree_path(pki_dir, sizeof(pki_dir), "pki");
	tree_path(kc_dir, sizeof(kc_dir), "kc");
	(void)snprintf(staging, sizeof(staging), "%s/" PKI_STAGING_DIR, pki_dir);
	(void)snprintf(intent, sizeof(intent), "%s/" PKI_INSTALL_INTENT, staging);
	pki_err_clear(&err);
	ck_assert_msg(pki_profile_set_load("kubeadm-v1.29", &set, &err) == 0, "%s", err.msg);
}

static void
teardown(void)
{
	char cmd[400];

	pki_profile_set_free(set);
	set = NULL;
	/* a test may leave the staging directory unsearchable */
	(void)chmod(staging, 0700);
	/* the tree is ours and lies under a fresh mkdtemp directory */
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	ck_assert_int_eq(system(cmd), 0);
}

static void
verify(struct pki_names *findings)
{
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_pkidir_verify(set, pki_dir, kc_dir, NULL, 0, NOW, findings, &err) == 0,
		"%s", err.msg);
}

/* What stands at the intent file's path, and the finding it makes. */
enum { K_FILE, K_EMPTY, K_LINK, K_DANGLING, K_DIR, K_FIFO };
static const struct {
	int kind;
	const char *finding; /* after "<intent>: " */
	const char *what;    /* pki_pkidir_intent()'s kind */
} intents[] = {
	{ K_FILE, "install interrupted: rerun the same kpki-kubeconfig command to finish it",
		NULL },
	{ K_EMPTY, "install interrupted: rerun the same kpki-kubeconfig command to finish it",
		NULL },
	{ K_LINK, "is a symbolic link where kpki-kubeconfig keeps its install intent: it cannot "
		  "install until this is removed", "a symbolic link" },
	{ K_DANGLING, "is a symbolic link where kpki-kubeconfig keeps its install intent: it "
		      "cannot install until this is removed", "a symbolic link" },
	{ K_DIR, "is a directory where kpki-kubeconfig keeps its install intent: it cannot "
		 "install until this is removed", "a directory" },
	{ K_FIFO, "is a special file where kpki-kubeconfig keeps its install intent: it cannot "
		  "install until this is removed", "a special file" },
};

static void
make_intent(int kind)
{
	char target[400];

	ck_assert_int_eq(mkdir(staging, 0700), 0);
	switch (kind) {
	case K_FILE:
		put("pki/" PKI_STAGING_DIR "/" PKI_INSTALL_INTENT, "kpki-install-intent v3\n", 23);
		break;
	case K_EMPTY:
		put("pki/" PKI_STAGING_DIR "/" PKI_INSTALL_INTENT, "", 0);
		break;
	case K_LINK:
		/* a link to a real file is never followed to it */
		(void)snprintf(target, sizeof(target), "%s/ca.crt", pki_dir);
		ck_assert_int_eq(symlink(target, intent), 0);
		break;
	case K_DANGLING:
		ck_assert_int_eq(symlink("/nonexistent/kpki-install.intent", intent), 0);
		break;
	case K_DIR:
		ck_assert_int_eq(mkdir(intent, 0700), 0);
		break;
	default:
		ck_assert_int_eq(mkfifo(intent, 0600), 0);
		break;
	}
}

/* The intent finding comes first; every other finding stays as it was. */
START_TEST(test_verify_intent)
{
	struct pki_names before = { 0 }, after = { 0 };
	char want[1024];
	size_t i;

	verify(&before);
	for (i = 0; i < before.n; i++)
		ck_assert_msg(strstr(before.v[i], PKI_INSTALL_INTENT) == NULL, "%s", before.v[i]);
	make_intent(intents[_i].kind);
	verify(&after);
	ck_assert_uint_eq(after.n, before.n + 1);
	(void)snprintf(want, sizeof(want), "%s: %s", intent, intents[_i].finding);
	ck_assert_str_eq(after.v[0], want);
	for (i = 0; i < before.n; i++)
		ck_assert_str_eq(after.v[i + 1], before.v[i]);
	pki_names_free(&before);
	pki_names_free(&after);
}
END_TEST

START_TEST(test_intent_kinds)
{
	const char *kind = "unset";
	char *path = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_pkidir_intent(pki_dir, &path, &kind, &err), 0);
	ck_assert_ptr_null(path);
	ck_assert_ptr_null(kind);
	make_intent(intents[_i].kind);
	ck_assert_int_eq(pki_pkidir_intent(pki_dir, &path, &kind, &err), 1);
	ck_assert_str_eq(path, intent);
	if (intents[_i].what == NULL)
		ck_assert_ptr_null(kind);
	else
		ck_assert_str_eq(kind, intents[_i].what);
	free(path);
}
END_TEST

/* Nothing to find: no cert dir, no staging directory, or a staging
 * directory that is a link (never followed) or a file. */
START_TEST(test_intent_absent)
{
	struct pki_names findings = { 0 };
	const char *kind = NULL;
	char *path = NULL, other[400], missing[400];
	struct pki_err err;
	size_t i;

	pki_err_clear(&err);
	(void)snprintf(missing, sizeof(missing), "%s/no-such-dir", tree);
	ck_assert_int_eq(pki_pkidir_intent(missing, &path, &kind, &err), 0);
	ck_assert_int_eq(pki_pkidir_intent(pki_dir, &path, &kind, &err), 0);
	/* a staging directory that is a link to one holding an intent file */
	(void)snprintf(other, sizeof(other), "%s/elsewhere", tree);
	ck_assert_int_eq(mkdir(other, 0700), 0);
	put("elsewhere/" PKI_INSTALL_INTENT, "kpki-install-intent v3\n", 23);
	ck_assert_int_eq(symlink(other, staging), 0);
	ck_assert_int_eq(pki_pkidir_intent(pki_dir, &path, &kind, &err), 0);
	ck_assert_ptr_null(path);
	verify(&findings);
	for (i = 0; i < findings.n; i++)
		ck_assert_msg(strstr(findings.v[i], PKI_INSTALL_INTENT) == NULL, "%s",
			findings.v[i]);
	pki_names_free(&findings);
	/* a file in the staging directory's place */
	ck_assert_int_eq(unlink(staging), 0);
	put("pki/" PKI_STAGING_DIR, "x", 1);
	ck_assert_int_eq(pki_pkidir_intent(pki_dir, &path, &kind, &err), 0);
}
END_TEST

/* A staging directory this user may not search: verify cannot tell, and
 * says so; root searches any directory, so the case needs another user. */
START_TEST(test_intent_unsearchable)
{
	struct pki_names findings = { 0 };
	const char *kind = NULL;
	char *path = NULL, want[1024];
	struct pki_err err;

	if (geteuid() == 0)
		return;
	ck_assert_int_eq(mkdir(staging, 0700), 0);
	ck_assert_int_eq(chmod(staging, 0), 0);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_pkidir_intent(pki_dir, &path, &kind, &err), -1);
	ck_assert_ptr_null(path);
	ck_assert_int_eq(err.code, PKI_E_PERM);
	(void)snprintf(want, sizeof(want), "staging directory '%s': cannot look for an "
		"interrupted install in it: Permission denied", staging);
	ck_assert_str_eq(err.msg, want);
	verify(&findings);
	(void)snprintf(want, sizeof(want), "%s: cannot tell whether an install was interrupted: "
		"Permission denied", intent);
	ck_assert_str_eq(findings.v[0], want);
	pki_names_free(&findings);
}
END_TEST

static Suite *
pkidir_suite(void)
{
	Suite *s = suite_create("pkidir");
	TCase *tc = tcase_create("intent");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_verify_intent, 0, (int)PKI_ARRAY_LEN(intents));
	tcase_add_loop_test(tc, test_intent_kinds, 0, (int)PKI_ARRAY_LEN(intents));
	tcase_add_test(tc, test_intent_absent);
	tcase_add_test(tc, test_intent_unsearchable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(pkidir_suite());
}
