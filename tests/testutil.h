/* testutil.h — helpers shared by the Check suites. */
#ifndef KPKI_TESTUTIL_H
#define KPKI_TESTUTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <pki/cert.h>
#include <pki/file.h>

/* Path of a fixture under tests/data ($KPKI_TESTDATA). */
static inline const char *
test_data(const char *rel)
{
	static char path[4096];
	const char *root = getenv("KPKI_TESTDATA");

	if (root == NULL)
		root = "tests/data";
	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", root, rel), (int)sizeof(path));
	return path;
}

/* Reads a fixture whole; fails the test if it cannot. */
static inline void
test_read(const char *rel, struct pki_buf *out)
{
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_file_read(test_data(rel), "fixture", PKI_CAP_ANY, 0, out, &err) == 0,
		"%s", err.msg);
}

/* The list holds exactly want[0..count), in that order. */
static inline void
assert_names(const struct pki_names *n, const char *const *want, size_t count)
{
	size_t i;

	ck_assert_uint_eq(n->n, count);
	for (i = 0; i < count; i++)
		ck_assert_str_eq(n->v[i], want[i]);
}

/* Runs a shell command made like printf; fails the test if it fails. */
static inline void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

/* Runs one suite and returns the process exit status. */
static inline int
test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
