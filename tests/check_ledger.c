/* check_ledger.c — the ledger: records round trip, index.txt as `openssl ca`
 * keeps it, the lock, crash recovery (torn journals, index.txt left
 * behind, kill -9 at random instants), limits and hostile journals. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <gnutls/crypto.h>

#include <pki/ledger.h>

#include "internal.h"
#include "testutil.h"

/* ---- helpers --------------------------------------------------------------- */

static char tmpdir[256];

static void
mk_tmp(void)
{
	const char *t = getenv("TMPDIR");

	ck_assert_int_lt(snprintf(tmpdir, sizeof(tmpdir), "%s/check_ledger.XXXXXX",
				 t ? t : P_tmpdir),
		(int)sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
rm_tmp(void)
{
	char cmd[512];

	if (tmpdir[0] == '\0')
		return;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	tmpdir[0] = '\0';
}

static const char *
tpath(const char *rel)
{
	static char p[4][512];
	static int k;

	k = (k + 1) % 4;
	ck_assert_int_lt(snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, rel), (int)sizeof(p[k]));
	return p[k];
}

/* A file's bytes as a NUL-terminated string (NULL when it does not exist). */
static char *
slurp(const char *path, size_t *len)
{
	struct pki_buf b = { 0 };
	struct pki_err err;
	char *s;

	pki_err_clear(&err);
	if (pki_file_read(path, "file", PKI_CAP_ANY, 0, &b, &err) != 0) {
		ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
		return NULL;
	}
	s = malloc(b.len + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, b.data, b.len);
	s[b.len] = '\0';
	if (len != NULL)
		*len = b.len;
	pki_buf_free(&b);
	return s;
}

static void
put(const char *path, const void *data, size_t len)
{
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_file_write(path, data, len, 0600, PKI_WRITE_MKDIRS, &err) == 0, "%s",
		err.msg);
}

/* Copies a fixture into the scratch CA's ledger. */
static void
put_fixture(const char *fixture, const char *name)
{
	struct pki_buf b = { 0 };
	char rel[256];

	test_read(fixture, &b);
	(void)mkdir(tpath(PKI_LEDGER_DIR), 0700);
	(void)snprintf(rel, sizeof(rel), PKI_LEDGER_DIR "/%s", name);
	put(tpath(rel), b.data, b.len);
	pki_buf_free(&b);
}

static void
same_as_fixture(const char *path, const char *fixture)
{
	struct pki_buf want = { 0 };
	size_t len = 0;
	char *got = slurp(path, &len);

	test_read(fixture, &want);
	ck_assert_msg(got != NULL, "%s missing", path);
	ck_assert_msg(len == want.len && memcmp(got, want.data, len) == 0,
		"%s differs from %s:\n%s", path, fixture, got);
	free(got);
	pki_buf_free(&want);
}

static struct pki_ledger *
open_ok(void)
{
	struct pki_ledger *l = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_ledger_open(tmpdir, &l, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(l);
	return l;
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

/* The good fixture's records, as the library is handed them. */
static void
fixture_record(int i, struct pki_ledger_record *r)
{
	static char *sans0[] = { "DNS:cp1", "DNS:kubernetes", "DNS:kubernetes.default",
		"IP:10.96.0.1", "IP:192.0.2.10" };
	static char *sans1[] = { "DNS:cp1", "DNS:localhost", "IP:127.0.0.1", "IP:::1" };
	static const char bundle[] = "SHA256:cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
				     "cdcdcdcdcdcdcdcdcd";

	memset(r, 0, sizeof(*r));
	r->not_before = 1772600467; /* 2026-03-04T05:01:07Z */
	r->not_after = 1804136767;  /* 2027-03-04T05:06:07Z */
	r->issued = 1772600767 + i;
	switch (i) {
	case 0:
		strcpy(r->serial, "5a1b2c3d4e5f60718293a4b5c6d7e8f9");
		r->ca = "ca";
		r->profile = "apiserver";
		r->subject = "CN=kube-apiserver";
		r->sans.v = sans0;
		r->sans.n = 5;
		memset(r->sha256, 'a', 64);
		for (int k = 1; k < 64; k += 2)
			r->sha256[k] = 'b';
		r->bundle = (char *)bundle;
		break;
	case 1:
		strcpy(r->serial, "1f00000000000000000000000000abcd");
		r->ca = "etcd-ca";
		r->profile = "etcd-server";
		r->subject = "CN=cp1";
		r->sans.v = sans1;
		r->sans.n = 4;
		memset(r->sha256, '0', 64);
		for (int k = 1; k < 64; k += 2)
			r->sha256[k] = '1';
		r->bundle = "";
		break;
	case 2:
		strcpy(r->serial, "7fffffffffffffffffffffffffffffff");
		r->ca = "ca";
		r->profile = "admin";
		r->subject = "CN=kubernetes-admin,O=kubeadm:cluster-admins";
		r->not_after = 2524608000; /* 2050-01-01T00:00:00Z */
		memset(r->sha256, 'e', 64);
		for (int k = 1; k < 64; k += 2)
			r->sha256[k] = 'f';
		r->bundle = (char *)bundle;
		break;
	default:
		strcpy(r->serial, "abc");
		r->ca = "ca";
		r->profile = "kubelet-client";
		r->subject = "CN=n\xc5\x93ud\\,1,O=syst\xc3\xa8me";
		r->not_after = 2524607999; /* 2049-12-31T23:59:59Z */
		memset(r->sha256, '0', 64);
		for (int k = 1; k < 64; k += 2)
			r->sha256[k] = 'f';
		r->bundle = NULL; /* written as "" */
		break;
	}
	r->sha256[64] = '\0';
}

static void
append_ok(struct pki_ledger *l, const struct pki_ledger_record *r)
{
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_ledger_append(l, r, &err) == 0, "%s", err.msg);
}

static void
read_ok(struct pki_ledger_record **recs, size_t *n)
{
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_ledger_read(tmpdir, recs, n, &err) == 0, "%s", err.msg);
}

/* ---- core behaviour ---------------------------------------------------------- */

START_TEST(test_roundtrip)
{
	struct pki_ledger_record want, *recs = NULL;
	struct pki_ledger *l;
	struct stat st;
	size_t n = 0, i, k;
	char *attr;

	mk_tmp();
	l = open_ok();
	for (i = 0; i < 4; i++) {
		fixture_record((int)i, &want);
		append_ok(l, &want);
	}
	pki_ledger_close(l);

	/* the journal and index.txt, byte for byte as kpki-ledger(5) says */
	same_as_fixture(tpath(PKI_LEDGER_DIR "/journal.jsonl"), "ledger/good/journal.jsonl");
	same_as_fixture(tpath(PKI_LEDGER_DIR "/index.txt"), "ledger/good/index.txt");
	attr = slurp(tpath(PKI_LEDGER_DIR "/index.txt.attr"), NULL);
	ck_assert_str_eq(attr, "unique_subject = no\n");
	free(attr);
	ck_assert_int_eq(stat(tpath(PKI_LEDGER_DIR), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(tpath(PKI_LEDGER_DIR "/journal.jsonl"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(stat(tpath(PKI_LEDGER_DIR "/index.txt"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);

	read_ok(&recs, &n);
	ck_assert_uint_eq(n, 4);
	for (i = 0; i < 4; i++) {
		fixture_record((int)i, &want);
		ck_assert_str_eq(recs[i].serial, want.serial);
		ck_assert_str_eq(recs[i].ca, want.ca);
		ck_assert_str_eq(recs[i].profile, want.profile);
		ck_assert_str_eq(recs[i].subject, want.subject);
		ck_assert_uint_eq(recs[i].sans.n, want.sans.n);
		for (k = 0; k < want.sans.n; k++)
			ck_assert_str_eq(recs[i].sans.v[k], want.sans.v[k]);
		ck_assert_int_eq(recs[i].not_before, want.not_before);
		ck_assert_int_eq(recs[i].not_after, want.not_after);
		ck_assert_int_eq(recs[i].issued, want.issued);
		ck_assert_str_eq(recs[i].sha256, want.sha256);
		ck_assert_str_eq(recs[i].bundle, want.bundle ? want.bundle : "");
	}
	pki_ledger_records_free(recs, n);

	/* reopening changes nothing */
	l = open_ok();
	pki_ledger_close(l);
	same_as_fixture(tpath(PKI_LEDGER_DIR "/journal.jsonl"), "ledger/good/journal.jsonl");
	same_as_fixture(tpath(PKI_LEDGER_DIR "/index.txt"), "ledger/good/index.txt");
	rm_tmp();
}
END_TEST

START_TEST(test_read_fixture)
{
	struct pki_ledger_record *recs = NULL;
	size_t n = 0;

	mk_tmp();
	put_fixture("ledger/good/journal.jsonl", "journal.jsonl");
	read_ok(&recs, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(recs[3].subject, "CN=n\xc5\x93ud\\,1,O=syst\xc3\xa8me");
	ck_assert_int_eq(recs[2].not_after, 2524608000);
	ck_assert_str_eq(recs[1].sans.v[3], "IP:::1");
	ck_assert_str_eq(recs[1].bundle, "");
	pki_ledger_records_free(recs, n);
	/* reading never writes: no index.txt, no lock appear */
	ck_assert_int_ne(access(tpath(PKI_LEDGER_DIR "/index.txt"), F_OK), 0);
	ck_assert_int_ne(access(tpath(PKI_LEDGER_DIR "/lock"), F_OK), 0);
	rm_tmp();
}
END_TEST

START_TEST(test_read_missing)
{
	struct pki_ledger_record *recs = (void *)1;
	struct pki_err err;
	size_t n = 7;

	mk_tmp();
	pki_err_clear(&err);
	ck_assert_int_eq(pki_ledger_read(tmpdir, &recs, &n, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
	ck_assert_ptr_null(recs);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(strstr(err.msg, "kpki-ledger': not found") != NULL, "%s", err.msg);
	/* a ledger directory without a journal: no records */
	ck_assert_int_eq(mkdir(tpath(PKI_LEDGER_DIR), 0700), 0);
	read_ok(&recs, &n);
	ck_assert_uint_eq(n, 0);
	pki_ledger_records_free(recs, n);
	/* a CA directory that is not there cannot get a ledger */
	{
		struct pki_ledger *l = NULL;

		ck_assert_int_eq(pki_ledger_open(tpath("nope"), &l, &err), -1);
		ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
		ck_assert_ptr_null(l);
	}
	rm_tmp();
}
END_TEST

static int
cmp_hex(const void *a, const void *b)
{
	return strcmp(a, b);
}

START_TEST(test_serials)
{
	static char seen[2000][33];
	unsigned char s[20];
	struct pki_ledger *l;
	struct pki_err err;
	size_t len, i, k;

	mk_tmp();
	l = open_ok();
	for (i = 0; i < 2000; i++) {
		pki_err_clear(&err);
		len = 0;
		ck_assert_msg(pki_ledger_new_serial(l, s, &len, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(len, 16);
		/* positive, and a minimal DER INTEGER: first octet 0x01..0x7f */
		ck_assert_uint_ge(s[0], 1);
		ck_assert_uint_le(s[0], 0x7f);
		hex(s, len, seen[i]);
	}
	/* all distinct (sorted, then neighbours compared: Check's asserts are
	 * too slow for the 2 million pairs) */
	qsort(seen, 2000, sizeof(seen[0]), cmp_hex);
	for (i = 1, k = 0; i < 2000; i++)
		k += strcmp(seen[i - 1], seen[i]) == 0;
	ck_assert_uint_eq(k, 0);
	pki_ledger_close(l);
	rm_tmp();
}
END_TEST

START_TEST(test_duplicate_serial)
{
	struct pki_ledger_record r;
	struct pki_ledger *l;
	struct pki_err err;

	mk_tmp();
	l = open_ok();
	fixture_record(0, &r);
	append_ok(l, &r);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_ledger_append(l, &r, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	ck_assert_msg(strstr(err.msg, "serial 5a1b2c3d4e5f60718293a4b5c6d7e8f9 is already "
				      "recorded") != NULL, "%s", err.msg);
	pki_ledger_close(l);
	/* and after a reopen, from the journal */
	l = open_ok();
	ck_assert_int_eq(pki_ledger_append(l, &r, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	pki_ledger_close(l);
	/* a journal holding one serial twice is refused, not trusted */
	{
		char *j = slurp(tpath(PKI_LEDGER_DIR "/journal.jsonl"), NULL);
		char two[4096];

		(void)snprintf(two, sizeof(two), "%s%s", j, j);
		put(tpath(PKI_LEDGER_DIR "/journal.jsonl"), two, strlen(two));
		free(j);
		ck_assert_int_eq(pki_ledger_open(tmpdir, &l, &err), -1);
		ck_assert_int_eq(err.code, PKI_E_INVALID);
		ck_assert_msg(strstr(err.msg, "line 2: serial 5a1b2c3d4e5f60718293a4b5c6d7e8f9 is "
					      "recorded twice") != NULL, "%s", err.msg);
	}
	rm_tmp();
}
END_TEST

/* Records append refuses: each with the reason. */
static const struct {
	const char *what, *why;
	enum pki_errcode code;
} bad_records[] = {
	{ "serial-upper", "serial '5A1B", PKI_E_INVALID },
	{ "serial-empty", "serial '':", PKI_E_INVALID },
	{ "serial-long", "not 1 to 40", PKI_E_INVALID },
	{ "serial-zero-octet", "zero octet in front", PKI_E_INVALID },
	{ "subject-control", "without control characters", PKI_E_INVALID },
	{ "profile-tab", "without control characters", PKI_E_INVALID },
	{ "ca-empty", "must be non-empty", PKI_E_INVALID },
	{ "subject-null", "must be non-empty", PKI_E_INVALID },
	{ "san-newline", "SAN 2 is empty or holds control", PKI_E_INVALID },
	{ "bundle-control", "bundle fingerprint holds control", PKI_E_INVALID },
	{ "sha-upper", "sha256 is not 64", PKI_E_INVALID },
	{ "time-far", "outside the years 1950 to 9999", PKI_E_INVALID },
	{ "time-old", "outside the years 1950 to 9999", PKI_E_INVALID },
	{ "sans-many", "more than 1024 SANs", PKI_E_LIMIT },
};

START_TEST(test_append_bad)
{
	static char *sans[1100];
	struct pki_ledger_record r;
	struct pki_ledger *l;
	struct pki_err err;
	const char *what = bad_records[_i].what;
	size_t k;

	mk_tmp();
	l = open_ok();
	fixture_record(1, &r);
	if (strcmp(what, "serial-upper") == 0)
		strcpy(r.serial, "5A1B");
	else if (strcmp(what, "serial-empty") == 0)
		r.serial[0] = '\0';
	else if (strcmp(what, "serial-long") == 0)
		strcpy(r.serial, "12345678901234567890123456789012345678901");
	else if (strcmp(what, "serial-zero-octet") == 0)
		strcpy(r.serial, "007f");
	else if (strcmp(what, "subject-control") == 0)
		r.subject = "CN=a\x1b[31m";
	else if (strcmp(what, "profile-tab") == 0)
		r.profile = "a\tb";
	else if (strcmp(what, "ca-empty") == 0)
		r.ca = "";
	else if (strcmp(what, "subject-null") == 0)
		r.subject = NULL;
	else if (strcmp(what, "san-newline") == 0)
		r.sans.v[1] = "DNS:a\nV\t01\t\t02";
	else if (strcmp(what, "bundle-control") == 0)
		r.bundle = "SHA256:\x7f";
	else if (strcmp(what, "sha-upper") == 0)
		r.sha256[0] = 'A';
	else if (strcmp(what, "time-far") == 0)
		r.not_after = (time_t)253402300800LL;
	else if (strcmp(what, "time-old") == 0)
		r.issued = (time_t)-631152001LL;
	else if (strcmp(what, "sans-many") == 0) {
		for (k = 0; k < 1025; k++)
			sans[k] = "DNS:a";
		r.sans.v = sans;
		r.sans.n = 1025;
	}
	pki_err_clear(&err);
	ck_assert_int_eq(pki_ledger_append(l, &r, &err), -1);
	ck_assert_int_eq(err.code, bad_records[_i].code);
	ck_assert_msg(strstr(err.msg, bad_records[_i].why) != NULL, "%s: %s", what, err.msg);
	/* nothing was written, and the handle still works */
	{
		size_t len = 7;
		char *j = slurp(tpath(PKI_LEDGER_DIR "/journal.jsonl"), &len);

		ck_assert_uint_eq(len, 0);
		free(j);
	}
	if (strcmp(what, "san-newline") == 0)
		r.sans.v[1] = "DNS:localhost";
	fixture_record(1, &r);
	append_ok(l, &r);
	pki_ledger_close(l);
	rm_tmp();
}
END_TEST

/* ---- the lock ------------------------------------------------------------------ */

START_TEST(test_lock)
{
	struct pki_ledger *l, *l2 = NULL;
	struct pki_err err;
	pid_t pid;
	int status;

	mk_tmp();
	l = open_ok();
	/* in this process, through another descriptor */
	pki_err_clear(&err);
	ck_assert_int_eq(pki_ledger_open(tmpdir, &l2, &err), -1);
	ck_assert_ptr_null(l2);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	ck_assert_msg(strstr(err.msg, "kpki-ledger' is in use by another kpki-sign (pid ") !=
			NULL,
		"%s", err.msg);
	/* in another process */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct pki_ledger *c = NULL;
		struct pki_err e;

		pki_err_clear(&e);
		if (pki_ledger_open(tmpdir, &c, &e) == 0)
			_exit(10);
		_exit(e.code == PKI_E_EXISTS && strstr(e.msg, "in use by another kpki-sign") ? 0 :
											   11);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	/* reading needs no lock */
	{
		struct pki_ledger_record *recs = NULL;
		size_t n = 1;

		read_ok(&recs, &n);
		ck_assert_uint_eq(n, 0);
		pki_ledger_records_free(recs, n);
	}
	pki_ledger_close(l);
	/* released on close */
	l = open_ok();
	pki_ledger_close(l);
	rm_tmp();
}
END_TEST

/* ---- recovery ------------------------------------------------------------------ */

START_TEST(test_torn)
{
	struct pki_ledger_record *recs = NULL, r;
	struct pki_ledger *l;
	struct pki_err err;
	struct pki_buf tail = { 0 }, good = { 0 };
	char *j, *torn, *idx;
	size_t n = 0, jl = 0;

	mk_tmp();
	put_fixture("ledger/good/torn.jsonl", "journal.jsonl");
	/* the reader skips the torn line and changes nothing */
	read_ok(&recs, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(recs[1].serial, "1f00000000000000000000000000abcd");
	pki_ledger_records_free(recs, n);

	l = open_ok();
	/* the journal is cut back to its two whole lines... */
	test_read("ledger/good/torn.jsonl", &tail);
	test_read("ledger/good/journal.jsonl", &good);
	j = slurp(tpath(PKI_LEDGER_DIR "/journal.jsonl"), &jl);
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(jl, (size_t)(strchr(strchr((char *)good.data, '\n') + 1, '\n') + 1 -
				       (char *)good.data));
	ck_assert_int_eq(memcmp(j, good.data, jl), 0);
	/* ...and the tail kept in journal.torn, after a header */
	torn = slurp(tpath(PKI_LEDGER_DIR "/journal.torn"), NULL);
	ck_assert_ptr_nonnull(torn);
	ck_assert_msg(strncmp(torn, "# kpki-ledger: torn tail of journal.jsonl at offset ", 52) == 0,
		"%s", torn);
	ck_assert_ptr_nonnull(strstr(torn, (char *)tail.data + jl));
	/* index.txt made from the two records */
	idx = slurp(tpath(PKI_LEDGER_DIR "/index.txt"), NULL);
	ck_assert_str_eq(idx, "V\t270304050607Z\t\t5A1B2C3D4E5F60718293A4B5C6D7E8F9\tunknown\t"
			      "/CN=kube-apiserver\n"
			      "V\t270304050607Z\t\t1F00000000000000000000000000ABCD\tunknown\t/CN=cp1\n");
	/* the serial of the torn record is never used, even after a reopen */
	fixture_record(2, &r);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_ledger_append(l, &r, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	ck_assert_msg(strstr(err.msg, "appears in a torn record") != NULL, "%s", err.msg);
	pki_ledger_close(l);
	l = open_ok();
	ck_assert_int_eq(pki_ledger_append(l, &r, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	/* the next record starts on its own line */
	fixture_record(3, &r);
	append_ok(l, &r);
	pki_ledger_close(l);
	read_ok(&recs, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(recs[2].serial, "abc");
	pki_ledger_records_free(recs, n);
	free(j);
	free(torn);
	free(idx);
	pki_buf_free(&tail);
	pki_buf_free(&good);
	rm_tmp();
}
END_TEST

START_TEST(test_torn_zeros)
{
	struct pki_ledger_record *recs = NULL;
	struct pki_ledger *l;
	size_t n = 0, jl = 0, tl = 0;
	char *j, *t;

	mk_tmp();
	put_fixture("ledger/good/torn-zeros.jsonl", "journal.jsonl");
	read_ok(&recs, &n);
	ck_assert_uint_eq(n, 1);
	pki_ledger_records_free(recs, n);
	l = open_ok();
	pki_ledger_close(l);
	j = slurp(tpath(PKI_LEDGER_DIR "/journal.jsonl"), &jl);
	ck_assert_uint_eq(jl, strlen(j));
	ck_assert_int_eq(j[jl - 1], '\n');
	ck_assert_ptr_eq(strchr(j, '\n'), j + jl - 1); /* one line left */
	/* the 41 bytes set aside: header, 40 NULs and their newline */
	t = slurp(tpath(PKI_LEDGER_DIR "/journal.torn"), &tl);
	ck_assert_ptr_nonnull(strstr(t, ", 41 bytes, set aside "));
	ck_assert_int_eq(t[tl - 1], '\n');
	ck_assert_int_eq(t[tl - 2], '\0');
	free(j);
	free(t);
	rm_tmp();
}
END_TEST

/* No index.txt.old or index.txt.old.* left by kpki in the ledger. */
static void
nothing_set_aside(void)
{
	DIR *d = opendir(tpath(PKI_LEDGER_DIR));
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		ck_assert_msg(strncmp(e->d_name, "index.txt.old", 13) != 0, "%s set aside",
			e->d_name);
	closedir(d);
}

static void
put_str(const char *rel, const char *s)
{
	put(tpath(rel), s, strlen(s));
}

static void
file_is(const char *rel, const char *want)
{
	char *got = slurp(tpath(rel), NULL);

	ck_assert_msg(got != NULL, "%s missing", rel);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_index_completed)
{
	struct pki_ledger_record r;
	struct pki_ledger *l;
	struct pki_err err;

	mk_tmp();
	/* one record behind, a torn line, and a revocation made by openssl ca:
	 * the revocation is kept, the torn line (the start of a line of kpki's)
	 * dropped, the missing record added */
	put_fixture("ledger/good/journal.jsonl", "journal.jsonl");
	put_fixture("ledger/good/index-short.txt", "index.txt");
	l = open_ok();
	pki_ledger_close(l);
	same_as_fixture(tpath(PKI_LEDGER_DIR "/index.txt"), "ledger/good/index-short-expected.txt");
	nothing_set_aside();

	/* statuses openssl changed (revoked with a reason, expired), a line of
	 * a certificate kpki did not issue, records missing in the middle: every
	 * line kept as it is, the missing records added in the journal's order */
	put_fixture("ledger/good/index-outside.txt", "index.txt");
	l = open_ok();
	/* the outside serial is never handed out, in any spelling */
	fixture_record(1, &r);
	strcpy(r.serial, "dead");
	pki_err_clear(&err);
	ck_assert_int_eq(pki_ledger_append(l, &r, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	ck_assert_msg(strstr(err.msg, "serial dead is in index.txt for a certificate kpki did not "
				      "issue") != NULL, "%s", err.msg);
	strcpy(r.serial, "0dead");
	ck_assert_int_eq(pki_ledger_append(l, &r, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	pki_ledger_close(l);
	same_as_fixture(tpath(PKI_LEDGER_DIR "/index.txt"), "ledger/good/index-outside-expected.txt");
	/* and again: a merged index.txt is left alone */
	l = open_ok();
	pki_ledger_close(l);
	same_as_fixture(tpath(PKI_LEDGER_DIR "/index.txt"), "ledger/good/index-outside-expected.txt");
	nothing_set_aside();

	/* a hand-added line only: kept first, the journal's records after it */
	put_str(PKI_LEDGER_DIR "/index.txt", "V\t270304050607Z\t\tDEAD\tunknown\t/CN=x\n");
	l = open_ok();
	pki_ledger_close(l);
	{
		struct pki_buf want = { 0 };
		char *got = slurp(tpath(PKI_LEDGER_DIR "/index.txt"), NULL);
		const char *first = "V\t270304050607Z\t\tDEAD\tunknown\t/CN=x\n";

		test_read("ledger/good/index.txt", &want);
		ck_assert_ptr_nonnull(got);
		ck_assert_uint_eq(strlen(got), strlen(first) + want.len);
		ck_assert_int_eq(strncmp(got, first, strlen(first)), 0);
		ck_assert_int_eq(memcmp(got + strlen(first), want.data, want.len), 0);
		free(got);
		pki_buf_free(&want);
	}

	/* more lines than the journal has records: the journal's torn third
	 * record and the fourth, which it never had, stay in index.txt */
	put_fixture("ledger/good/index.txt", "index.txt");
	put_fixture("ledger/good/torn.jsonl", "journal.jsonl");
	l = open_ok();
	/* 0ABC came from index.txt: never handed out */
	fixture_record(3, &r);
	ck_assert_int_eq(pki_ledger_append(l, &r, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	pki_ledger_close(l);
	same_as_fixture(tpath(PKI_LEDGER_DIR "/index.txt"), "ledger/good/index.txt");

	/* a last line without its newline that is no line of kpki's: kept, and
	 * given its newline; lines kpki cannot read a serial from: kept */
	put_str(PKI_LEDGER_DIR "/index.txt", "garbage without tabs\n\n"
					     "V\t1\t\t\n"
					     "V\t270304050607Z\t\tBEEF\tunknown\t/CN=y");
	l = open_ok();
	pki_ledger_close(l);
	file_is(PKI_LEDGER_DIR "/index.txt",
		"garbage without tabs\n\nV\t1\t\t\nV\t270304050607Z\t\tBEEF\tunknown\t/CN=y\n"
		"V\t270304050607Z\t\t5A1B2C3D4E5F60718293A4B5C6D7E8F9\tunknown\t/CN=kube-apiserver\n"
		"V\t270304050607Z\t\t1F00000000000000000000000000ABCD\tunknown\t/CN=cp1\n");
	nothing_set_aside();

	/* an index.txt someone made readable for openssl ca tooling keeps its
	 * mode when kpki completes it */
	put_str(PKI_LEDGER_DIR "/index.txt", "");
	ck_assert_int_eq(chmod(tpath(PKI_LEDGER_DIR "/index.txt"), 0644), 0);
	l = open_ok();
	pki_ledger_close(l);
	{
		struct stat st;

		ck_assert_int_eq(stat(tpath(PKI_LEDGER_DIR "/index.txt"), &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, 0644);
	}
	rm_tmp();
}
END_TEST

/* index.txt lines that contradict the journal: the ledger is not opened,
 * and nothing is changed. */
static const struct {
	const char *line, *why;
} contradictions[] = {
	{ "V\t270304050607Z\t\t1F00000000000000000000000000ABCD\tunknown\t/CN=cp2\n",
		"line 2: serial 1f00000000000000000000000000abcd has subject '/CN=cp2', but "
		"'/CN=cp1' in the journal" },
	{ "R\t290304050607Z\t260101000000Z\t1F00000000000000000000000000ABCD\tunknown\t/CN=cp1\n",
		"line 2: serial 1f00000000000000000000000000abcd expires '290304050607Z', but "
		"'270304050607Z' in the journal" },
	/* the same serial without its leading zero octet, lower case */
	{ "V\t491231235959Z\t\tabc\tunknown\t/CN=other\n",
		"line 2: serial abc has subject '/CN=other', but " },
	{ "V\t270304050607Z\t\t1F00000000000000000000000000ABCD\tunknown\n",
		"line 2: serial 1f00000000000000000000000000abcd: 5 fields, not the 6 of" },
	{ "V\t270304050607Z\t\t1F00000000000000000000000000ABCD\tunknown\t/CN=cp1\x1b[2J\n",
		"has subject '/CN=cp1\\x1b[2J'" },
};

START_TEST(test_index_contradicts)
{
	struct pki_ledger_record *recs = NULL;
	struct pki_ledger *l = NULL;
	struct pki_err err;
	char idx[1024], *before_j, *after_j, *after_i;
	size_t n = 0;

	mk_tmp();
	put_fixture("ledger/good/journal.jsonl", "journal.jsonl");
	(void)snprintf(idx, sizeof(idx),
		"R\t270304050607Z\t260401000000Z\t5A1B2C3D4E5F60718293A4B5C6D7E8F9\tunknown\t"
		"/CN=kube-apiserver\n%s",
		contradictions[_i].line);
	put_str(PKI_LEDGER_DIR "/index.txt", idx);
	before_j = slurp(tpath(PKI_LEDGER_DIR "/journal.jsonl"), NULL);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_ledger_open(tmpdir, &l, &err), -1);
	ck_assert_ptr_null(l);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_msg(strstr(err.msg, "kpki-ledger/index.txt': ") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, contradictions[_i].why) != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "correct the line, or delete it and kpki adds the "
				      "journal's") != NULL, "%s", err.msg);
	ck_assert(pki_text_is_clean(err.msg, strlen(err.msg), 0));
	/* kept as it was; nothing set aside */
	file_is(PKI_LEDGER_DIR "/index.txt", idx);
	after_j = slurp(tpath(PKI_LEDGER_DIR "/journal.jsonl"), NULL);
	ck_assert_str_eq(after_j, before_j);
	nothing_set_aside();
	/* listing still works */
	read_ok(&recs, &n);
	ck_assert_uint_eq(n, 4);
	pki_ledger_records_free(recs, n);
	/* once the line is gone, the journal's is added after the others */
	put_str(PKI_LEDGER_DIR "/index.txt",
		"R\t270304050607Z\t260401000000Z\t5A1B2C3D4E5F60718293A4B5C6D7E8F9\tunknown\t"
		"/CN=kube-apiserver\n");
	l = open_ok();
	pki_ledger_close(l);
	after_i = slurp(tpath(PKI_LEDGER_DIR "/index.txt"), NULL);
	ck_assert_ptr_nonnull(strstr(after_i, "R\t270304050607Z\t260401000000Z\t5A1B"));
	ck_assert_ptr_nonnull(strstr(after_i, "\nV\t491231235959Z\t\t0ABC\t"));
	free(before_j);
	free(after_j);
	free(after_i);
	rm_tmp();
}
END_TEST

/* ---- who may touch the ledger ------------------------------------------------ */

enum perm_op { P_CHMOD, P_CHOWN, P_FIFO, P_DIR };

static const struct {
	const char *what;	/* relative to the CA directory; "" is the CA directory */
	enum perm_op op;
	unsigned mode;		/* for chmod */
	int read_too;		/* pki_ledger_read refuses it as well */
	const char *why;
} perms[] = {
	{ PKI_LEDGER_DIR "/journal.jsonl", P_CHMOD, 0666, 1,
		"journal.jsonl': mode 0666 lets group or others read or write it; fix with: "
		"chmod 600 '" },
	{ PKI_LEDGER_DIR "/journal.jsonl", P_CHMOD, 0640, 0,
		"journal.jsonl': mode 0640 lets group or others read or write it; fix with: "
		"chmod 600 '" },
	{ PKI_LEDGER_DIR "/journal.jsonl", P_CHMOD, 0620, 1, "chmod 600 '" },
	{ PKI_LEDGER_DIR "/index.txt", P_CHMOD, 0666, 0,
		"ledger index '%T/kpki-ledger/index.txt': mode 0666 lets group or others write to "
		"it; fix with: chmod go-w '%T/kpki-ledger/index.txt'" },
	{ PKI_LEDGER_DIR "/index.txt", P_CHMOD, 0602, 0, "mode 0602 lets group or others write" },
	{ PKI_LEDGER_DIR "/lock", P_CHMOD, 0666, 0,
		"ledger lock '%T/kpki-ledger/lock': mode 0666 lets group or others write" },
	{ PKI_LEDGER_DIR "/journal.torn", P_CHMOD, 0622, 0,
		"journal.torn': mode 0622 lets group or others write" },
	{ PKI_LEDGER_DIR "/index.txt.attr", P_CHMOD, 0666, 0,
		"index.txt.attr': mode 0666 lets group or others write" },
	{ PKI_LEDGER_DIR, P_CHMOD, 0750, 0,
		"ledger '%T/kpki-ledger': mode 0750 lets group or others into it; fix with: "
		"chmod 700 '%T/kpki-ledger'" },
	{ PKI_LEDGER_DIR, P_CHMOD, 0707, 1, "fix with: chmod 700 '" },
	{ "", P_CHMOD, 0777, 1,
		"CA directory '%T': mode 0777 lets group or others write to it, and so replace its "
		"ledger; fix with: chmod go-w '%T'" },
	{ "", P_CHMOD, 01777, 1, "CA directory '%T': mode 1777 lets group or others write" },
	{ "", P_CHMOD, 0770, 1, "CA directory '%T': mode 0770 lets group or others write" },
	{ PKI_LEDGER_DIR "/journal.jsonl", P_FIFO, 0, 1, "journal.jsonl': not a regular file" },
	{ PKI_LEDGER_DIR "/index.txt", P_DIR, 0, 0, "index.txt': not a regular file" },
	{ PKI_LEDGER_DIR "/lock", P_DIR, 0, 0, "lock': not a regular file" },
	{ PKI_LEDGER_DIR "/journal.jsonl", P_CHOWN, 0, 0,
		"journal.jsonl': owned by uid 4242, not by the user running kpki (uid %U); fix "
		"with: chown %U '%T/kpki-ledger/journal.jsonl'" },
	{ PKI_LEDGER_DIR "/index.txt", P_CHOWN, 0, 0, "index.txt': owned by uid 4242" },
	{ PKI_LEDGER_DIR "/lock", P_CHOWN, 0, 0, "lock': owned by uid 4242" },
	{ PKI_LEDGER_DIR, P_CHOWN, 0, 0,
		"ledger '%T/kpki-ledger': owned by uid 4242, not by the user running kpki (uid "
		"%U); fix with: chown %U '%T/kpki-ledger'" },
	{ "", P_CHOWN, 0, 0,
		"CA directory '%T': owned by uid 4242, neither the user running kpki (uid %U) nor "
		"root; fix with: chown %U '%T'" },
};

/* want with %T as the scratch directory and %U as the effective uid */
static void
expand(const char *want, char *out, size_t cap)
{
	size_t k = 0;

	for (; *want != '\0' && k + 64 < cap; want++) {
		if (want[0] == '%' && want[1] == 'T') {
			k += (size_t)snprintf(out + k, cap - k, "%s", tmpdir);
			want++;
		} else if (want[0] == '%' && want[1] == 'U') {
			k += (size_t)snprintf(out + k, cap - k, "%lu", (unsigned long)geteuid());
			want++;
		} else {
			out[k++] = *want;
		}
	}
	out[k] = '\0';
}

START_TEST(test_perms)
{
	struct pki_ledger_record r, *recs = NULL;
	struct pki_ledger *l = NULL;
	struct pki_err err;
	const char *rel = perms[_i].what;
	char want[1024], *j1, *j2, *i1, *i2;
	size_t n = 0;
	int st;

	if (perms[_i].op == P_CHOWN && geteuid() != 0)
		return; /* only root can give a file away */
	mk_tmp();
	/* a ledger with every file in it */
	put_fixture("ledger/good/torn.jsonl", "journal.jsonl");
	l = open_ok();
	fixture_record(3, &r);
	append_ok(l, &r);
	pki_ledger_close(l);
	j1 = slurp(tpath(PKI_LEDGER_DIR "/journal.jsonl"), NULL);
	i1 = slurp(tpath(PKI_LEDGER_DIR "/index.txt"), NULL);
	switch (perms[_i].op) {
	case P_CHMOD:
		ck_assert_int_eq(chmod(rel[0] ? tpath(rel) : tmpdir, perms[_i].mode), 0);
		break;
	case P_CHOWN:
		ck_assert_int_eq(chown(rel[0] ? tpath(rel) : tmpdir, 4242, (gid_t)-1), 0);
		break;
	case P_FIFO:
		ck_assert_int_eq(unlink(tpath(rel)), 0);
		ck_assert_int_eq(mkfifo(tpath(rel), 0600), 0);
		break;
	case P_DIR:
		ck_assert_int_eq(unlink(tpath(rel)), 0);
		ck_assert_int_eq(mkdir(tpath(rel), 0700), 0);
		break;
	}
	expand(perms[_i].why, want, sizeof(want));
	pki_err_clear(&err);
	st = pki_ledger_open(tmpdir, &l, &err);
	ck_assert_msg(st == -1, "%s: opened", rel);
	ck_assert_ptr_null(l);
	ck_assert_int_eq(err.code, PKI_E_PERM);
	ck_assert_msg(strstr(err.msg, want) != NULL, "'%s' lacks '%s'", err.msg, want);
	/* nothing was changed */
	if (perms[_i].op != P_FIFO) {
		j2 = slurp(tpath(PKI_LEDGER_DIR "/journal.jsonl"), NULL);
		ck_assert_str_eq(j2, j1);
		free(j2);
	}
	if (perms[_i].op != P_DIR) {
		i2 = slurp(tpath(PKI_LEDGER_DIR "/index.txt"), NULL);
		ck_assert_str_eq(i2, i1);
		free(i2);
	}
	/* a listing accepts any owner and a journal others may read, never one
	 * others may write */
	pki_err_clear(&err);
	if (perms[_i].read_too) {
		ck_assert_int_eq(pki_ledger_read(tmpdir, &recs, &n, &err), -1);
		ck_assert_int_eq(err.code, PKI_E_PERM);
	} else {
		ck_assert_msg(pki_ledger_read(tmpdir, &recs, &n, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(n, 3);
		pki_ledger_records_free(recs, n);
	}
	free(j1);
	free(i1);
	(void)chmod(tmpdir, 0700);
	rm_tmp();
}
END_TEST

START_TEST(test_unsafe_paths)
{
	struct pki_ledger_record *recs = NULL;
	struct pki_ledger *l = NULL;
	struct pki_err err;
	size_t n = 0;

	mk_tmp();
	/* a ledger directory others can write to */
	ck_assert_int_eq(mkdir(tpath(PKI_LEDGER_DIR), 0700), 0);
	ck_assert_int_eq(chmod(tpath(PKI_LEDGER_DIR), 0777), 0);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_ledger_open(tmpdir, &l, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_PERM);
	ck_assert_msg(strstr(err.msg, "fix with: chmod 700 '") != NULL, "%s", err.msg);
	ck_assert_int_eq(rmdir(tpath(PKI_LEDGER_DIR)), 0);
	/* a ledger directory that is a symlink */
	ck_assert_int_eq(mkdir(tpath("elsewhere"), 0700), 0);
	ck_assert_int_eq(symlink("elsewhere", tpath(PKI_LEDGER_DIR)), 0);
	ck_assert_int_eq(pki_ledger_open(tmpdir, &l, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_PERM);
	ck_assert_int_eq(pki_ledger_read(tmpdir, &recs, &n, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_PERM);
	ck_assert_int_eq(unlink(tpath(PKI_LEDGER_DIR)), 0);
	/* a journal that is a symlink */
	ck_assert_int_eq(mkdir(tpath(PKI_LEDGER_DIR), 0700), 0);
	ck_assert_int_eq(symlink("../elsewhere/j", tpath(PKI_LEDGER_DIR "/journal.jsonl")), 0);
	ck_assert_int_eq(pki_ledger_open(tmpdir, &l, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_PERM);
	ck_assert_msg(strstr(err.msg, "symbolic link") != NULL, "%s", err.msg);
	ck_assert_int_eq(pki_ledger_read(tmpdir, &recs, &n, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_PERM);
	ck_assert_int_ne(access(tpath("elsewhere/j"), F_OK), 0);
	ck_assert_ptr_null(l);
	rm_tmp();
}
END_TEST

/* ---- hostile journals ----------------------------------------------------------- */

static const char *const bad_names[] = { "not-json", "array", "nul-raw", "nul-escaped",
	"ctrl-escaped", "c1-control", "tab-escaped", "bad-utf8", "lone-surrogate", "bad-escape",
	"bad-u-escape", "huge-number", "number-time", "null", "nested", "unknown-key",
	"dup-key", "missing-key", "empty-object", "serial-upper", "serial-long",
	"serial-empty", "serial-sign", "sha-short", "time-feb30", "time-leap", "time-offset",
	"time-fraction", "time-1900", "empty-subject", "sans-string", "sans-number",
	"sans-empty-name", "sans-unclosed", "sans-too-many", "trailing-text", "two-objects",
	"missing-colon", "missing-comma", "unterminated", "empty-line" };

START_TEST(test_bad_journal)
{
	struct pki_ledger_record *recs = (void *)1;
	struct pki_buf in = { 0 }, why = { 0 };
	struct pki_ledger *l = NULL;
	struct pki_err err;
	char rel[256], want[256];
	size_t n = 9, good = 9, before = 0, after = 0;
	char *j;

	(void)snprintf(rel, sizeof(rel), "ledger/bad/%s.jsonl", bad_names[_i]);
	test_read(rel, &in);
	(void)snprintf(rel, sizeof(rel), "ledger/bad/%s.why", bad_names[_i]);
	test_read(rel, &why);
	why.data[why.len - 1] = '\0';
	(void)snprintf(want, sizeof(want), "ledger journal 'j.jsonl': line 2: ");
	pki_err_clear(&err);
	ck_assert_int_eq(pki_ledger_parse(in.data, in.len, "j.jsonl", &recs, &n, &good, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_PARSE);
	ck_assert_ptr_null(recs);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, (char *)why.data) != NULL, "%s: '%s' lacks '%s'",
		bad_names[_i], err.msg, (char *)why.data);
	/* the message is safe to print */
	ck_assert(pki_text_is_clean(err.msg, strlen(err.msg), 0));

	/* open refuses it and leaves it as it was; read refuses it too */
	mk_tmp();
	(void)snprintf(rel, sizeof(rel), "ledger/bad/%s.jsonl", bad_names[_i]);
	put_fixture(rel, "journal.jsonl");
	before = in.len;
	ck_assert_int_eq(pki_ledger_open(tmpdir, &l, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_PARSE);
	ck_assert_ptr_null(l);
	ck_assert_msg(strstr(err.msg, "journal.jsonl': line 2: ") != NULL, "%s", err.msg);
	j = slurp(tpath(PKI_LEDGER_DIR "/journal.jsonl"), &after);
	ck_assert_uint_eq(after, before);
	ck_assert_int_eq(memcmp(j, in.data, after), 0);
	free(j);
	ck_assert_int_eq(pki_ledger_read(tmpdir, &recs, &n, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_PARSE);
	rm_tmp();
	pki_buf_free(&in);
	pki_buf_free(&why);
}
END_TEST

/* The bad line last is taken for torn: skipped by the reader. */
START_TEST(test_bad_last_line_is_torn)
{
	struct pki_ledger_record *recs = NULL;
	struct pki_buf in = { 0 };
	struct pki_err err;
	char rel[256];
	size_t n = 0, good = 0, cut;

	(void)snprintf(rel, sizeof(rel), "ledger/bad/%s.jsonl", bad_names[_i]);
	test_read(rel, &in);
	/* drop the good third line: the bad one is now last */
	cut = (size_t)((unsigned char *)memchr(in.data, '\n', in.len) - in.data) + 1;
	{
		unsigned char *p = in.data + cut;
		size_t left = in.len - cut;
		unsigned char *nl;

		/* the bad line may hold a raw newline-free NUL: find its end */
		nl = memchr(p, '\n', left);
		ck_assert_ptr_nonnull(nl);
		in.len = (size_t)(nl - in.data) + 1;
	}
	pki_err_clear(&err);
	ck_assert_msg(pki_ledger_parse(in.data, in.len, "j", &recs, &n, &good, &err) == 0, "%s",
		err.msg);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(good, cut);
	pki_ledger_records_free(recs, n);
	pki_buf_free(&in);
}
END_TEST

START_TEST(test_limits)
{
	struct pki_ledger_record *recs = NULL;
	struct pki_buf in = { 0 }, good = { 0 };
	struct pki_err err;
	size_t n = 0, gl = 0, i;
	unsigned char *big;

	test_read("ledger/good/journal.jsonl", &good);
	/* a line over 64 KiB in the middle */
	ck_assert_int_eq(pki_buf_append(&in, "{\"serial\":\"", 11, &err), 0);
	for (i = 0; i < 70000; i++)
		ck_assert_int_eq(pki_buf_append(&in, "a", 1, &err), 0);
	ck_assert_int_eq(pki_buf_append(&in, "\"}\n", 3, &err), 0);
	ck_assert_int_eq(pki_buf_append(&in, good.data, good.len, &err), 0);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_ledger_parse(in.data, in.len, "j", &recs, &n, &gl, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_PARSE);
	ck_assert_str_eq(err.msg, "ledger journal 'j': line 1: longer than 65536 bytes");
	pki_buf_free(&in);
	/* a journal over 64 MiB, refused before reading */
	big = malloc(64u * 1024 * 1024 + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '\n', 64u * 1024 * 1024 + 1);
	ck_assert_int_eq(pki_ledger_parse(big, 64u * 1024 * 1024 + 1, "j", &recs, &n, &gl, &err),
		-1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "ledger journal 'j': larger than 67108864 bytes");
	free(big);
	/* an empty journal, and a journal of only a torn line */
	ck_assert_int_eq(pki_ledger_parse((const unsigned char *)"", 0, "j", &recs, &n, &gl, &err),
		0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(gl, 0);
	pki_ledger_records_free(recs, n);
	ck_assert_int_eq(pki_ledger_parse(good.data, 100, "j", &recs, &n, &gl, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(gl, 0);
	pki_ledger_records_free(recs, n);
	/* every truncation of a good journal: whole lines kept, never a crash */
	for (i = 0; i <= good.len; i++) {
		size_t lines = 0, k;

		for (k = 0; k < i; k++)
			lines += good.data[k] == '\n';
		pki_err_clear(&err);
		ck_assert_msg(pki_ledger_parse(good.data, i, "j", &recs, &n, &gl, &err) == 0,
			"cut %zu: %s", i, err.msg);
		ck_assert_uint_eq(n, lines);
		pki_ledger_records_free(recs, n);
	}
	pki_buf_free(&good);
}
END_TEST

/* ---- rendering ------------------------------------------------------------------ */

START_TEST(test_render)
{
	static const char text[] =
		"SERIAL                             CA        PROFILE          SUBJECT               "
		"                         NOT AFTER              ISSUED                 SANS\n"
		"5a1b2c3d4e5f60718293a4b5c6d7e8f9   ca        apiserver        CN=kube-apiserver     "
		"                         2027-03-04T05:06:07Z   2026-03-04T05:06:07Z   "
		"DNS:cp1,DNS:kubernetes,DNS:kubernetes.default,IP:10.96.0.1,IP:192.0.2.10\n"
		"1f00000000000000000000000000abcd   etcd-ca   etcd-server      CN=cp1                "
		"                         2027-03-04T05:06:07Z   2026-03-04T05:06:08Z   "
		"DNS:cp1,DNS:localhost,IP:127.0.0.1,IP:::1\n"
		"7fffffffffffffffffffffffffffffff   ca        admin            "
		"CN=kubernetes-admin,O=kubeadm:cluster-admins   2050-01-01T00:00:00Z   "
		"2026-03-04T05:06:09Z   -\n"
		"abc                                ca        kubelet-client   "
		"CN=n\xc5\x93ud\\,1,O=syst\xc3\xa8me                           2049-12-31T23:59:59Z   "
		"2026-03-04T05:06:10Z   -\n";
	static const char json_head[] =
		"{\n"
		"    \"issuances\": [\n"
		"        {\n"
		"            \"serial\": \"5a1b2c3d4e5f60718293a4b5c6d7e8f9\",\n"
		"            \"ca\": \"ca\",\n"
		"            \"profile\": \"apiserver\",\n"
		"            \"subject\": \"CN=kube-apiserver\",\n"
		"            \"sans\": [\n"
		"                \"DNS:cp1\",\n"
		"                \"DNS:kubernetes\",\n"
		"                \"DNS:kubernetes.default\",\n"
		"                \"IP:10.96.0.1\",\n"
		"                \"IP:192.0.2.10\"\n"
		"            ],\n"
		"            \"notBefore\": \"2026-03-04T05:01:07Z\",\n"
		"            \"notAfter\": \"2027-03-04T05:06:07Z\",\n";
	static const char json_tail[] =
		"            \"subject\": \"CN=n\xc5\x93ud\\\\,1,O=syst\xc3\xa8me\",\n"
		"            \"sans\": [],\n"
		"            \"notBefore\": \"2026-03-04T05:01:07Z\",\n"
		"            \"notAfter\": \"2049-12-31T23:59:59Z\",\n"
		"            \"sha256\": \"0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
		"0f0f0f0f\",\n"
		"            \"issued\": \"2026-03-04T05:06:10Z\",\n"
		"            \"bundle\": \"\"\n"
		"        }\n"
		"    ]\n"
		"}\n";
	struct pki_ledger_record *recs = NULL;
	struct pki_buf out = { 0 }, in = { 0 };
	struct pki_err err;
	size_t n = 0, gl = 0;

	test_read("ledger/good/journal.jsonl", &in);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_ledger_parse(in.data, in.len, "j", &recs, &n, &gl, &err), 0);
	ck_assert_int_eq(pki_ledger_render(recs, n, 0, &out, &err), 0);
	ck_assert_str_eq((char *)out.data, text);
	pki_buf_free(&out);
	ck_assert_int_eq(pki_ledger_render(recs, n, 1, &out, &err), 0);
	ck_assert_msg(strncmp((char *)out.data, json_head, strlen(json_head)) == 0, "%s",
		(char *)out.data);
	ck_assert_msg(out.len > strlen(json_tail) &&
			strcmp((char *)out.data + out.len - strlen(json_tail), json_tail) == 0,
		"%s", (char *)out.data);
	pki_buf_free(&out);
	ck_assert_int_eq(pki_ledger_render(NULL, 0, 1, &out, &err), 0);
	ck_assert_str_eq((char *)out.data, "{\n    \"issuances\": []\n}\n");
	pki_buf_free(&out);
	ck_assert_int_eq(pki_ledger_render(NULL, 0, 0, &out, &err), 0);
	ck_assert_str_eq((char *)out.data,
		"SERIAL    CA        PROFILE   SUBJECT   NOT AFTER   ISSUED    SANS\n");
	pki_buf_free(&out);
	/* hostile text handed in directly never reaches a terminal raw */
	free(recs[0].subject);
	recs[0].subject = strdup("CN=\x1b[2J");
	ck_assert_int_eq(pki_ledger_render(recs, 1, 0, &out, &err), 0);
	ck_assert_ptr_null(memchr(out.data, 0x1b, out.len));
	ck_assert_ptr_nonnull(strstr((char *)out.data, "CN=\\x1b[2J"));
	pki_buf_free(&out);
	pki_ledger_records_free(recs, n);
	pki_buf_free(&in);
}
END_TEST

/* ---- kill -9 at random instants ---------------------------------------------------- */

#define CRASH_ROUNDS 50
#define MAX_SEEN     200000

struct serials {
	char (*v)[41];
	size_t n;
};

static int
cmp_serial(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int
serials_has(const struct serials *s, const char *x)
{
	return bsearch(x, s->v, s->n, sizeof(*s->v), cmp_serial) != NULL;
}

/* The child: opens the ledger and issues until killed. A serial goes to
 * the pipe only after append returned: the certificate "left the tool". */
static void
crash_child(int wfd, unsigned round)
{
	struct pki_ledger *l = NULL;
	struct pki_ledger_record r;
	struct pki_err err;
	unsigned char s[20];
	char line[48];
	size_t len;
	unsigned i;

	pki_err_clear(&err);
	if (pki_ledger_open(tmpdir, &l, &err) != 0) {
		fprintf(stderr, "child: %s\n", err.msg);
		_exit(3);
	}
	for (i = 0;; i++) {
		fixture_record((int)(i % 4), &r);
		r.issued += round;
		if (pki_ledger_new_serial(l, s, &len, &err) != 0) {
			fprintf(stderr, "child: %s\n", err.msg);
			_exit(4);
		}
		hex(s, len, r.serial);
		if (pki_ledger_append(l, &r, &err) != 0) {
			fprintf(stderr, "child: %s\n", err.msg);
			_exit(5);
		}
		len = (size_t)snprintf(line, sizeof(line), "%s\n", r.serial);
		if (write(wfd, line, len) != (ssize_t)len)
			_exit(6);
	}
}

START_TEST(test_crash)
{
	struct serials released = { 0 }, torn = { 0 }, rec = { 0 };
	unsigned round, seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	struct pki_ledger_record *recs = NULL;
	size_t n = 0, i, total_recovered = 0;

	mk_tmp();
	released.v = calloc(MAX_SEEN, sizeof(*released.v));
	torn.v = calloc(CRASH_ROUNDS, sizeof(*torn.v));
	rec.v = calloc(MAX_SEEN, sizeof(*rec.v));
	ck_assert(released.v && torn.v && rec.v);
	srand(seed);
	for (round = 0; round < CRASH_ROUNDS; round++) {
		struct pki_ledger *l;
		static char buf[262144];
		char *idx, *p;
		size_t have = 0, idxlen = 0, lines = 0;
		int fds[2], status;
		pid_t pid;
		ssize_t r;

		ck_assert_int_eq(pipe(fds), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(fds[0]);
			crash_child(fds[1], round);
		}
		close(fds[1]);
		/* anywhere from inside the child's open to a few dozen appends */
		usleep((useconds_t)(rand() % 8000));
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			"round %u (seed %u): the child stopped on its own (status %d)", round, seed,
			status);
		for (;;) {
			r = read(fds[0], buf + have, sizeof(buf) - 1 - have);
			if (r < 0 && errno == EINTR)
				continue;
			ck_assert_int_ge(r, 0);
			if (r == 0)
				break;
			have += (size_t)r;
			ck_assert_uint_lt(have, sizeof(buf) - 1);
		}
		close(fds[0]);
		buf[have] = '\0';
		for (p = strtok(buf, "\n"); p != NULL; p = strtok(NULL, "\n")) {
			ck_assert_uint_eq(strlen(p), 32);
			ck_assert_uint_lt(released.n, MAX_SEEN);
			strcpy(released.v[released.n++], p);
		}

		/* every few rounds, a power loss tears the last write as well */
		if (round % 5 == 4) {
			struct pki_ledger_record t;
			struct pki_buf b = { 0 };
			struct pki_err err;
			unsigned char s[16];
			size_t cut;
			int fd;

			fixture_record(0, &t);
			ck_assert_int_eq(gnutls_rnd(GNUTLS_RND_NONCE, s, sizeof(s)), 0);
			s[0] = (unsigned char)((s[0] & 0x7f) | 1);
			hex(s, 16, t.serial);
			strcpy(torn.v[torn.n++], t.serial);
			ck_assert_int_eq(pki_buf_printf(&b, &err, "{\"serial\":\"%s\",\"ca\":\"c",
						 t.serial),
				0);
			fd = open(tpath(PKI_LEDGER_DIR "/journal.jsonl"), O_WRONLY | O_APPEND | O_CREAT,
				0600);
			ck_assert_int_ge(fd, 0);
			cut = 12 + (size_t)rand() % (b.len - 12);
			ck_assert_int_eq(write(fd, b.data, cut), (ssize_t)cut);
			close(fd);
			pki_buf_free(&b);
		}

		/* recovery: open succeeds */
		l = open_ok();
		pki_ledger_close(l);

		/* no serial twice in the journal; every released one in it */
		read_ok(&recs, &n);
		rec.n = 0;
		for (i = 0; i < n; i++)
			strcpy(rec.v[rec.n++], recs[i].serial);
		qsort(rec.v, rec.n, sizeof(*rec.v), cmp_serial);
		for (i = 1; i < rec.n; i++)
			ck_assert_msg(strcmp(rec.v[i - 1], rec.v[i]) != 0,
				"round %u (seed %u): serial %s twice in the journal", round, seed,
				rec.v[i]);
		for (i = 0; i < released.n; i++)
			ck_assert_msg(serials_has(&rec, released.v[i]),
				"round %u (seed %u): released serial %s not in the journal", round,
				seed, released.v[i]);
		/* a serial of a torn record is never recorded afterwards */
		for (i = 0; i < torn.n; i++)
			ck_assert_msg(!serials_has(&rec, torn.v[i]),
				"round %u: torn serial %s reused", round, torn.v[i]);
		/* index.txt: one line per record, in order, each released serial */
		idx = slurp(tpath(PKI_LEDGER_DIR "/index.txt"), &idxlen);
		ck_assert_ptr_nonnull(idx);
		for (i = 0; i < idxlen; i++)
			lines += idx[i] == '\n';
		ck_assert_uint_eq(lines, n);
		ck_assert(idxlen == 0 || idx[idxlen - 1] == '\n');
		for (i = 0; i < n; i++) {
			char up[41];
			size_t k;

			for (k = 0; recs[i].serial[k] != '\0'; k++)
				up[k] = (char)(recs[i].serial[k] >= 'a' ? recs[i].serial[k] - 32 :
									  recs[i].serial[k]);
			up[k] = '\0';
			ck_assert_msg(strstr(idx, up) != NULL, "round %u: %s not in index.txt",
				round, up);
		}
		free(idx);
		total_recovered = n;
		pki_ledger_records_free(recs, n);
		recs = NULL;
	}
	/* the rounds did issue: the test tested something */
	ck_assert_msg(released.n > 0 && total_recovered >= released.n,
		"released %zu, recorded %zu", released.n, total_recovered);
	free(released.v);
	free(torn.v);
	free(rec.v);
	rm_tmp();
}
END_TEST

static Suite *
ledger_suite(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_read_fixture);
	tcase_add_test(tc, test_read_missing);
	tcase_add_test(tc, test_serials);
	tcase_add_test(tc, test_duplicate_serial);
	tcase_add_loop_test(tc, test_append_bad, 0, (int)PKI_ARRAY_LEN(bad_records));
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_torn);
	tcase_add_test(tc, test_torn_zeros);
	tcase_add_test(tc, test_index_completed);
	tcase_add_loop_test(tc, test_index_contradicts, 0, (int)PKI_ARRAY_LEN(contradictions));
	tcase_add_loop_test(tc, test_perms, 0, (int)PKI_ARRAY_LEN(perms));
	tcase_add_test(tc, test_unsafe_paths);
	tcase_add_loop_test(tc, test_bad_journal, 0, (int)PKI_ARRAY_LEN(bad_names));
	tcase_add_loop_test(tc, test_bad_last_line_is_torn, 0, (int)PKI_ARRAY_LEN(bad_names));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_render);
	tcase_add_test(tc, test_crash);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(ledger_suite());
}
