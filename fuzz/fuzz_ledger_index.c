/* fuzz_ledger_index.c — the ledger's recovery (pki_ledger_open) on a hostile
 * index.txt beside a good journal: it never crashes, and whenever it opens,
 * every whole line of the index.txt it was given is still there, first and
 * unchanged (kpki-ledger(5): lines are never rewritten). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pki/ledger.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* two records: the index.txt lines kpki would write for them are
 * V	270304050607Z		5A1B2C3D4E5F60718293A4B5C6D7E8F9	unknown	/CN=kube-apiserver
 * V	270304050607Z		1F00000000000000000000000000ABCD	unknown	/CN=cp1 */
static const char journal[] =
	"{\"serial\":\"5a1b2c3d4e5f60718293a4b5c6d7e8f9\",\"ca\":\"ca\",\"profile\":"
	"\"apiserver\",\"subject\":\"CN=kube-apiserver\",\"sans\":[\"DNS:cp1\"],"
	"\"notBefore\":\"2026-03-04T05:01:07Z\",\"notAfter\":\"2027-03-04T05:06:07Z\","
	"\"sha256\":\"abababababababababababababababababababababababababababababababab\","
	"\"issued\":\"2026-03-04T05:06:07Z\",\"bundle\":\"\"}\n"
	"{\"serial\":\"1f00000000000000000000000000abcd\",\"ca\":\"etcd-ca\",\"profile\":"
	"\"etcd-server\",\"subject\":\"CN=cp1\",\"sans\":[],"
	"\"notBefore\":\"2026-03-04T05:01:07Z\",\"notAfter\":\"2027-03-04T05:06:07Z\","
	"\"sha256\":\"0101010101010101010101010101010101010101010101010101010101010101\","
	"\"issued\":\"2026-03-04T05:06:08Z\",\"bundle\":\"\"}\n";

static char ca[512], led[600], jpath[700], ipath[700];

static void
cleanup(void)
{
	DIR *d = opendir(led);
	struct dirent *e;

	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				(void)unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	(void)rmdir(led);
	(void)rmdir(ca);
}

static int
put(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ok = fd >= 0 && write(fd, p, n) == (ssize_t)n;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_ledger *l = NULL;
	struct pki_buf after = { 0 };
	struct pki_err err;
	size_t whole = size;

	if (ca[0] == '\0') {
		const char *t = getenv("TMPDIR");

		(void)snprintf(ca, sizeof(ca), "%s/fuzz_ledger_index.XXXXXX", t ? t : P_tmpdir);
		if (mkdtemp(ca) == NULL)
			abort();
		atexit(cleanup);
		(void)snprintf(led, sizeof(led), "%s/" PKI_LEDGER_DIR, ca);
		(void)snprintf(jpath, sizeof(jpath), "%s/journal.jsonl", led);
		(void)snprintf(ipath, sizeof(ipath), "%s/index.txt", led);
		if (mkdir(led, 0700) != 0)
			abort();
	}
	(void)unlink(jpath);
	if (put(jpath, journal, sizeof(journal) - 1) != 0 || put(ipath, data, size) != 0)
		abort();
	pki_err_clear(&err);
	if (pki_ledger_open(ca, &l, &err) != 0)
		return 0;
	pki_ledger_close(l);
	while (whole > 0 && data[whole - 1] != '\n')
		whole--;
	if (pki_file_read(ipath, "index", PKI_CAP_ANY, 0, &after, &err) != 0 ||
	    after.len < whole || memcmp(after.data, data, whole) != 0)
		abort();
	pki_buf_free(&after);
	return 0;
}
