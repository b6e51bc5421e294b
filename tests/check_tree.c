/* check_tree.c — copying, stamping and removing directory trees; locks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <check.h>

#include "internal.h"
#include "testutil.h"

static char dir[256];

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	(void)snprintf(dir, sizeof(dir), "%s/check_tree.XXXXXX", tmp ? tmp : P_tmpdir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* a small PKI-like tree: files of several modes, a subdirectory, a
	 * link, a file the copy leaves out */
	sh("cd '%s' && mkdir -p src/etcd dst && printf 'cert' >src/ca.crt && "
	   "printf 'key' >src/ca.key && chmod 600 src/ca.key && printf 'x' >src/etcd/peer.crt && "
	   "chmod 750 src/etcd && ln -s ca.crt src/link.crt && printf 'skip' >src/leave.out && "
	   "touch -d '2025-01-02 03:04:05' src/ca.crt", dir);
}

static void
teardown(void)
{
	sh("rm -rf '%s'", dir);
}

static int
open_dir(const char *rel)
{
	char path[512];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	return fd;
}

static int
skip_out(const char *rel, void *arg)
{
	(void)arg;
	return strcmp(rel, "leave.out") == 0;
}

static const struct pki_tree_copy opt = { skip_out, NULL, 100, 1 << 20, 4, 0 };

static void
stat_rel(const char *rel, struct stat *st)
{
	char path[512];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_int_eq(lstat(path, st), 0);
}

START_TEST(test_copy)
{
	struct pki_err err;
	struct stat a, b;
	char link[64] = "";
	int s = open_dir("src"), d = open_dir("dst");
	ssize_t n;

	pki_err_clear(&err);
	ck_assert_msg(pki_tree_copyat(s, "src", d, "dst", &opt, &err) == 0, "%s", err.msg);
	sh("cd '%s' && cmp src/ca.crt dst/ca.crt && cmp src/ca.key dst/ca.key && "
	   "cmp src/etcd/peer.crt dst/etcd/peer.crt && test ! -e dst/leave.out", dir);
	stat_rel("src/ca.key", &a);
	stat_rel("dst/ca.key", &b);
	ck_assert_uint_eq(b.st_mode & 07777, 0600);
	ck_assert_uint_eq(a.st_uid, b.st_uid);
	stat_rel("dst/etcd", &b);
	ck_assert_uint_eq(b.st_mode & 07777, 0750);
	stat_rel("src/ca.crt", &a);
	stat_rel("dst/ca.crt", &b);
	ck_assert_uint_eq(a.st_mode, b.st_mode);
	ck_assert_int_eq(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	stat_rel("dst/link.crt", &b);
	ck_assert(S_ISLNK(b.st_mode));
	n = readlinkat(d, "link.crt", link, sizeof(link) - 1);
	ck_assert_int_eq(n, 6);
	ck_assert_str_eq(link, "ca.crt");
	(void)close(s);
	(void)close(d);
}
END_TEST

/* A user extended attribute goes with the file (where the filesystem has
 * them). */
START_TEST(test_copy_xattr)
{
	struct pki_err err;
	char path[512], val[16] = "";
	int s, d;

	(void)snprintf(path, sizeof(path), "%s/src/ca.crt", dir);
	if (setxattr(path, "user.kpki", "yes", 3, 0) != 0)
		return; /* no user xattrs here: nothing to check */
	s = open_dir("src");
	d = open_dir("dst");
	pki_err_clear(&err);
	ck_assert_msg(pki_tree_copyat(s, "src", d, "dst", &opt, &err) == 0, "%s", err.msg);
	(void)snprintf(path, sizeof(path), "%s/dst/ca.crt", dir);
	ck_assert_int_eq(getxattr(path, "user.kpki", val, sizeof(val) - 1), 3);
	ck_assert_str_eq(val, "yes");
	(void)close(s);
	(void)close(d);
}
END_TEST

/* What cannot be copied, and the limits: a clear error, in a dry run too. */
START_TEST(test_refusals)
{
	struct pki_tree_copy small = opt, dry = opt;
	struct pki_err err;
	int s, d;

	dry.dry = 1;
	sh("mkfifo '%s/src/etcd/fifo'", dir);
	s = open_dir("src");
	d = open_dir("dst");
	ck_assert_int_eq(pki_tree_copyat(s, "src", -1, "dst", &dry, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_str_eq(err.msg, "'src/etcd/fifo': not a file, directory or symbolic link; "
				  "cannot copy it");
	/* the dry run wrote nothing */
	sh("test -z \"$(ls -A '%s/dst')\"", dir);
	ck_assert_int_eq(pki_tree_copyat(s, "src", d, "dst", &opt, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	sh("rm '%s/src/etcd/fifo' && rm -rf '%s/dst' && mkdir '%s/dst'", dir, dir, dir);
	(void)close(d);
	d = open_dir("dst");
	small.max_entries = 3;
	ck_assert_int_eq(pki_tree_copyat(s, "src", d, "dst", &small, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_int_eq(pki_tree_copyat(s, "src", -1, "dst", &(struct pki_tree_copy){
		skip_out, NULL, 100, 4, 4, 1 }, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_int_eq(pki_tree_copyat(s, "src", -1, "dst", &(struct pki_tree_copy){
		skip_out, NULL, 100, 1 << 20, 0, 1 }, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	(void)close(s);
	(void)close(d);
}
END_TEST

/* A stamp stays while nothing changes, and changes with any entry added,
 * removed, renamed or written; what skip() names does not count. */
START_TEST(test_stamp)
{
	static const char *const change[] = {
		"printf new >src/etcd/new.pem",
		"rm src/ca.crt",
		"mv src/ca.crt src/ca2.crt",
		"printf more >>src/etcd/peer.crt",
		"chmod 644 src/ca.key",
		"ln -s etcd src/e",
	};
	unsigned char a[32], b[32];
	struct pki_err err;
	size_t i;
	int s;

	for (i = 0; i < sizeof(change) / sizeof(change[0]); i++) {
		s = open_dir("src");
		ck_assert_int_eq(pki_tree_stamp(s, "src", &opt, a, &err), 0);
		ck_assert_int_eq(pki_tree_stamp(s, "src", &opt, b, &err), 0);
		ck_assert_mem_eq(a, b, 32);
		sh("cd '%s' && printf again >src/leave.out", dir); /* left out */
		ck_assert_int_eq(pki_tree_stamp(s, "src", &opt, b, &err), 0);
		ck_assert_mem_eq(a, b, 32);
		sh("cd '%s' && sleep 0.01 && %s", dir, change[i]);
		ck_assert_int_eq(pki_tree_stamp(s, "src", &opt, b, &err), 0);
		ck_assert_msg(memcmp(a, b, 32) != 0, "unchanged after: %s", change[i]);
		(void)close(s);
		teardown();
		setup();
	}
}
END_TEST

START_TEST(test_remove)
{
	int d = open_dir(".");
	struct stat st;

	sh("cd '%s' && mkdir -p src/a/b/c && ln -s / src/a/root", dir);
	pki_tree_removeat(d, "src", 8);
	stat_rel(".", &st);
	ck_assert_int_ne(faccessat(d, "src", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	/* a link is removed, never followed */
	ck_assert_int_eq(access("/", F_OK), 0);
	(void)close(d);
}
END_TEST

START_TEST(test_lock)
{
	struct pki_err err;
	char path[512];
	int a = -1, b = -1, s1 = -1, s2 = -1;

	(void)snprintf(path, sizeof(path), "%s/src", dir);
	ck_assert_int_eq(pki_dir_lock(path, 0, &a, &err), 0);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(pki_dir_lock(path, 0, &b, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	ck_assert(strstr(err.msg, "another kpki-csr or kpki-kubeconfig is at work in it") != NULL);
	ck_assert_int_eq(pki_dir_lock(path, 1, &b, &err), -1);
	(void)close(a);
	/* shared locks go together, and keep an exclusive one out */
	ck_assert_int_eq(pki_dir_lock(path, 1, &s1, &err), 0);
	ck_assert_int_eq(pki_dir_lock(path, 1, &s2, &err), 0);
	ck_assert_int_eq(pki_dir_lock(path, 0, &b, &err), -1);
	(void)close(s1);
	(void)close(s2);
	/* a directory that is not there: nothing to lock */
	(void)snprintf(path, sizeof(path), "%s/none", dir);
	ck_assert_int_eq(pki_dir_lock(path, 0, &b, &err), 0);
	ck_assert_int_eq(b, -1);
}
END_TEST

/* An install's locks: the cert dir's and the kubelet dir's parents and the
 * kubeconfig dir, each once; a second run is turned away by any of them. */
START_TEST(test_pki_lock)
{
	struct pki_err err;
	char cert[512], kc[512], kubelet[512], other[512];
	int a[3], b[3], i;

	(void)snprintf(cert, sizeof(cert), "%s/src/pki", dir);
	(void)snprintf(kc, sizeof(kc), "%s/src", dir);
	(void)snprintf(kubelet, sizeof(kubelet), "%s/dst/pki", dir);
	ck_assert_int_eq(pki_pki_lock(cert, kc, kubelet, 0, a, &err), 0);
	ck_assert_int_ge(a[0], 0);
	ck_assert_int_eq(a[1], -1); /* the kubeconfig dir is the cert dir's parent */
	ck_assert_int_ge(a[2], 0);
	/* another cert dir, the same kubelet dir */
	(void)snprintf(other, sizeof(other), "%s/elsewhere/pki", dir);
	sh("mkdir -p '%s/elsewhere'", dir);
	ck_assert_int_eq(pki_pki_lock(other, NULL, kubelet, 0, b, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	ck_assert_int_eq(b[0], -1);
	ck_assert_int_eq(b[2], -1);
	for (i = 0; i < 3; i++)
		if (a[i] >= 0)
			(void)close(a[i]);
	ck_assert_int_eq(pki_pki_lock(other, NULL, kubelet, 0, b, &err), 0);
	for (i = 0; i < 3; i++)
		if (b[i] >= 0)
			(void)close(b[i]);
}
END_TEST

static Suite *
tree_suite(void)
{
	Suite *s = suite_create("tree");
	TCase *tc = tcase_create("tree");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_copy);
	tcase_add_test(tc, test_copy_xattr);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_stamp);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_pki_lock);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	umask(022);
	return test_run(tree_suite());
}
