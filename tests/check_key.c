/* check_key.c — private keys: generate, parse, export, save, load. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pki/key.h>

#include "testutil.h"

/* A fresh directory for files; removed by rm_tmpdir(). */
static char *
mk_tmpdir(void)
{
	static char dir[512];
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = P_tmpdir;
	ck_assert_int_lt(snprintf(dir, sizeof(dir), "%s/check_key.XXXXXX", base),
		(int)sizeof(dir));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static void
rm_tmpdir(const char *dir, const char *const *files)
{
	char path[1024];

	for (; *files != NULL; files++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, *files);
		(void)unlink(path);
	}
	ck_assert_int_eq(rmdir(dir), 0);
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static struct pki_key *
parse_fixture(const char *rel, struct pki_err *err)
{
	struct pki_buf b = { 0 };
	struct pki_key *k = NULL;

	test_read(rel, &b);
	pki_err_clear(err);
	if (pki_key_parse(b.data, b.len, rel, &k, err) != 0)
		k = NULL;
	pki_buf_free(&b);
	return k;
}

/* ---- type names ------------------------------------------------------------ */

static const struct {
	const char *s;
	enum pki_key_type type;
} type_names[] = {
	{ "rsa2048", PKI_KEY_RSA2048 },
	{ "rsa3072", PKI_KEY_RSA3072 },
	{ "rsa4096", PKI_KEY_RSA4096 },
	{ "ecdsa-p256", PKI_KEY_ECDSA_P256 },
	{ "ecdsa-p384", PKI_KEY_ECDSA_P384 },
	{ "ed25519", PKI_KEY_ED25519 },
	{ "RSA-2048", PKI_KEY_RSA2048 },
	{ "RSA-3072", PKI_KEY_RSA3072 },
	{ "RSA-4096", PKI_KEY_RSA4096 },
	{ "ECDSA-P256", PKI_KEY_ECDSA_P256 },
	{ "ECDSA-P384", PKI_KEY_ECDSA_P384 },
};

START_TEST(test_type_parse)
{
	enum pki_key_type t = PKI_KEY_ED25519;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_key_type_parse(type_names[_i].s, &t, &err), 0);
	ck_assert_int_eq(t, type_names[_i].type);
	/* the name maps back to our spelling, which parses to the same type */
	ck_assert_int_eq(pki_key_type_parse(pki_key_type_name(t), &t, &err), 0);
	ck_assert_int_eq(t, type_names[_i].type);
}
END_TEST

START_TEST(test_type_parse_bad)
{
	static const char *const bad[] = { "", "rsa", "RSA2048", "rsa1024", "ecdsa-p521",
		"ED25519", "rsa2048 ", "ecdsa-p256\n" };
	enum pki_key_type t = PKI_KEY_RSA3072;
	struct pki_err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pki_err_clear(&err);
		ck_assert_int_eq(pki_key_type_parse(bad[i], &t, &err), -1);
		ck_assert_int_eq(err.code, PKI_E_INVALID);
		ck_assert_ptr_nonnull(strstr(err.msg, "key type '"));
		ck_assert_int_eq(t, PKI_KEY_RSA3072);
	}
	/* control bytes are escaped in the message */
	ck_assert_int_eq(pki_key_type_parse("a\x1b[31m", &t, &err), -1);
	ck_assert_ptr_null(strchr(err.msg, '\x1b'));
	ck_assert_str_eq(pki_key_type_name((enum pki_key_type)99), "unknown");
}
END_TEST

/* ---- generate, export, parse ----------------------------------------------- */

static const struct {
	enum pki_key_type type;
	const char *algo;
	unsigned bits;
	const char *curve;
	const char *label;
} gen_cases[] = {
	{ PKI_KEY_RSA2048, "RSA", 2048, "", "RSA PRIVATE KEY" },
	{ PKI_KEY_RSA3072, "RSA", 3072, "", "RSA PRIVATE KEY" },
	{ PKI_KEY_RSA4096, "RSA", 4096, "", "RSA PRIVATE KEY" },
	{ PKI_KEY_ECDSA_P256, "ECDSA", 256, "P-256", "EC PRIVATE KEY" },
	{ PKI_KEY_ECDSA_P384, "ECDSA", 384, "P-384", "EC PRIVATE KEY" },
	{ PKI_KEY_ED25519, "Ed25519", 256, "", "PRIVATE KEY" },
};

START_TEST(test_generate_roundtrip)
{
	struct pki_key *k = NULL, *k2 = NULL, *k3 = NULL;
	struct pki_buf pem = { 0 }, pub = { 0 };
	struct pki_keyinfo ki;
	struct pki_err err;
	unsigned char id[32], id2[32], id3[32];
	char begin[64], end[64], path[1024], *dir;
	struct stat st;
	mode_t old;
	static const char *const files[] = { "k.key", NULL };

	pki_err_clear(&err);
	ck_assert_msg(pki_key_generate(gen_cases[_i].type, &k, &err) == 0, "%s", err.msg);
	pki_key_info(k, &ki);
	ck_assert_str_eq(ki.algo, gen_cases[_i].algo);
	ck_assert_uint_eq(ki.bits, gen_cases[_i].bits);
	ck_assert_str_eq(ki.curve, gen_cases[_i].curve);

	/* kubeadm's PEM: the block's label, alone */
	ck_assert_int_eq(pki_key_export_pem(k, &pem, &err), 0);
	(void)snprintf(begin, sizeof(begin), "-----BEGIN %s-----\n", gen_cases[_i].label);
	(void)snprintf(end, sizeof(end), "-----END %s-----\n", gen_cases[_i].label);
	ck_assert_int_eq(strncmp((char *)pem.data, begin, strlen(begin)), 0);
	ck_assert_ptr_nonnull(strstr((char *)pem.data, end));
	ck_assert_uint_eq(pem.len, strlen((char *)pem.data));

	ck_assert_msg(pki_key_parse(pem.data, pem.len, "exported", &k2, &err) == 0, "%s",
		err.msg);
	ck_assert_int_eq(pki_key_public_id(k, id, &err), 0);
	ck_assert_int_eq(pki_key_public_id(k2, id2, &err), 0);
	ck_assert_mem_eq(id, id2, 32);

	ck_assert_int_eq(pki_key_export_public_pem(k, &pub, &err), 0);
	ck_assert_int_eq(strncmp((char *)pub.data, "-----BEGIN PUBLIC KEY-----\n", 27), 0);
	ck_assert_ptr_null(strstr((char *)pub.data, "PRIVATE"));

	/* saved 0600 even with a umask that would allow everything */
	dir = mk_tmpdir();
	(void)snprintf(path, sizeof(path), "%s/k.key", dir);
	old = umask(0);
	ck_assert_msg(pki_key_save(k, path, 0, &err) == 0, "%s", err.msg);
	umask(old);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_msg(pki_key_load(path, &k3, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(pki_key_public_id(k3, id3, &err), 0);
	ck_assert_mem_eq(id, id3, 32);
	/* NOREPLACE refuses the existing file */
	ck_assert_int_eq(pki_key_save(k, path, PKI_WRITE_NOREPLACE, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	rm_tmpdir(dir, files);

	/* two generated keys differ */
	pki_key_free(k2);
	k2 = NULL;
	if (gen_cases[_i].type != PKI_KEY_RSA4096) {
		ck_assert_int_eq(pki_key_generate(gen_cases[_i].type, &k2, &err), 0);
		ck_assert_int_eq(pki_key_public_id(k2, id2, &err), 0);
		ck_assert_int_ne(memcmp(id, id2, 32), 0);
	}
	pki_buf_free(&pem);
	pki_buf_free(&pub);
	pki_key_free(k);
	pki_key_free(k2);
	pki_key_free(k3);
}
END_TEST

START_TEST(test_generate_bad_type)
{
	struct pki_key *k = (struct pki_key *)1;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_key_generate((enum pki_key_type)42, &k, &err), -1);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(err.code, PKI_E_USAGE);
}
END_TEST

/* ---- fixtures ---------------------------------------------------------------- */

static const struct {
	const char *file;
	const char *algo;
	unsigned bits;
	const char *curve;
	const char *label; /* of the export */
} good[] = {
	{ "key/good/rsa2048.pem", "RSA", 2048, "", "RSA PRIVATE KEY" },
	{ "key/good/rsa2048-pkcs8.pem", "RSA", 2048, "", "RSA PRIVATE KEY" },
	{ "key/good/rsa2048.der", "RSA", 2048, "", "RSA PRIVATE KEY" },
	{ "key/good/rsa1024.pem", "RSA", 1024, "", "RSA PRIVATE KEY" },
	{ "key/good/ec-p256.pem", "ECDSA", 256, "P-256", "EC PRIVATE KEY" },
	{ "key/good/ec-p256-pkcs8.pem", "ECDSA", 256, "P-256", "EC PRIVATE KEY" },
	{ "key/good/ec-p256-pkcs8.der", "ECDSA", 256, "P-256", "EC PRIVATE KEY" },
	{ "key/good/ec-p384.pem", "ECDSA", 384, "P-384", "EC PRIVATE KEY" },
	{ "key/good/ed25519.pem", "Ed25519", 256, "", "PRIVATE KEY" },
	/* a certificate before the key in one file */
	{ "cert/good/key-then-cert.pem", "ECDSA", 256, "P-256", "EC PRIVATE KEY" },
};

START_TEST(test_good_fixture)
{
	struct pki_key *k, *k2 = NULL;
	struct pki_buf pem = { 0 };
	struct pki_keyinfo ki;
	struct pki_err err;
	unsigned char id[32], id2[32];
	char begin[64];

	k = parse_fixture(good[_i].file, &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	pki_key_info(k, &ki);
	ck_assert_str_eq(ki.algo, good[_i].algo);
	ck_assert_uint_eq(ki.bits, good[_i].bits);
	ck_assert_str_eq(ki.curve, good[_i].curve);
	ck_assert_int_eq(pki_key_export_pem(k, &pem, &err), 0);
	(void)snprintf(begin, sizeof(begin), "-----BEGIN %s-----\n", good[_i].label);
	ck_assert_int_eq(strncmp((char *)pem.data, begin, strlen(begin)), 0);
	ck_assert_int_eq(pki_key_parse(pem.data, pem.len, "again", &k2, &err), 0);
	ck_assert_int_eq(pki_key_public_id(k, id, &err), 0);
	ck_assert_int_eq(pki_key_public_id(k2, id2, &err), 0);
	ck_assert_mem_eq(id, id2, 32);
	pki_buf_free(&pem);
	pki_key_free(k);
	pki_key_free(k2);
}
END_TEST

/* PKCS#8 and PKCS#1/SEC1 forms of one key are one key, exported the same. */
START_TEST(test_pkcs8_same_key)
{
	static const char *const pairs[][2] = {
		{ "key/good/rsa2048.pem", "key/good/rsa2048-pkcs8.pem" },
		{ "key/good/rsa2048.pem", "key/good/rsa2048.der" },
		{ "key/good/ec-p256.pem", "key/good/ec-p256-pkcs8.pem" },
		{ "key/good/ec-p256.pem", "key/good/ec-p256-pkcs8.der" },
	};
	struct pki_buf a = { 0 }, b = { 0 }, orig = { 0 };
	struct pki_key *ka, *kb;
	struct pki_err err;
	unsigned char ia[32], ib[32];
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		ka = parse_fixture(pairs[i][0], &err);
		ck_assert_msg(ka != NULL, "%s", err.msg);
		kb = parse_fixture(pairs[i][1], &err);
		ck_assert_msg(kb != NULL, "%s", err.msg);
		ck_assert_int_eq(pki_key_public_id(ka, ia, &err), 0);
		ck_assert_int_eq(pki_key_public_id(kb, ib, &err), 0);
		ck_assert_mem_eq(ia, ib, 32);
		ck_assert_int_eq(pki_key_export_pem(ka, &a, &err), 0);
		ck_assert_int_eq(pki_key_export_pem(kb, &b, &err), 0);
		ck_assert_uint_eq(a.len, b.len);
		ck_assert_mem_eq(a.data, b.data, a.len);
		pki_buf_free(&a);
		pki_buf_free(&b);
		pki_key_free(ka);
		pki_key_free(kb);
	}
	/* the PKCS#1 export of a PKCS#1 input is byte for byte the input */
	test_read("key/good/rsa2048.pem", &orig);
	ka = parse_fixture("key/good/rsa2048.pem", &err);
	ck_assert_int_eq(pki_key_export_pem(ka, &a, &err), 0);
	ck_assert_uint_eq(a.len, orig.len);
	ck_assert_mem_eq(a.data, orig.data, a.len);
	pki_buf_free(&a);
	pki_buf_free(&orig);
	pki_key_free(ka);
}
END_TEST

static const struct {
	const char *file;
	enum pki_errcode code;
	const char *msg;
} bad[] = {
	{ "key/bad/bad-base64.pem", PKI_E_PARSE,
		"key 'key/bad/bad-base64.pem': EC PRIVATE KEY block: malformed base64 at offset 9" },
	{ "key/bad/dsa.pem", PKI_E_INVALID,
		"key 'key/bad/dsa.pem': 'DSA PRIVATE KEY' PEM blocks are not supported "
		"(RSA PRIVATE KEY, EC PRIVATE KEY and PRIVATE KEY are)" },
	{ "key/bad/empty.pem", PKI_E_PARSE, "key 'key/bad/empty.pem': empty" },
	{ "key/bad/encrypted-legacy.pem", PKI_E_INVALID,
		"key 'key/bad/encrypted-legacy.pem': is an encrypted key; encrypted keys are "
		"not supported (decrypt it first, e.g. openssl pkey -in KEY -out KEY.plain)" },
	{ "key/bad/encrypted-pkcs8.der", PKI_E_INVALID,
		"key 'key/bad/encrypted-pkcs8.der': is an encrypted PKCS#8 key; encrypted keys "
		"are not supported (decrypt it first, e.g. openssl pkey -in KEY -out KEY.plain)" },
	{ "key/bad/encrypted-pkcs8.pem", PKI_E_INVALID,
		"key 'key/bad/encrypted-pkcs8.pem': is an encrypted PKCS#8 key; encrypted keys "
		"are not supported (decrypt it first, e.g. openssl pkey -in KEY -out KEY.plain)" },
	{ "key/bad/garbage.txt", PKI_E_PARSE,
		"key 'key/bad/garbage.txt': not a PEM or DER private key" },
	{ "key/bad/label-mismatch.pem", PKI_E_PARSE,
		"key 'key/bad/label-mismatch.pem': the PEM label says RSA but the key is EC/ECDSA" },
	{ "key/bad/no-end.pem", PKI_E_PARSE,
		"key 'key/bad/no-end.pem': PEM block 'EC PRIVATE KEY' has no END line" },
	{ "key/bad/openssh.pem", PKI_E_INVALID,
		"key 'key/bad/openssh.pem': 'OPENSSH PRIVATE KEY' PEM blocks are not supported "
		"(RSA PRIVATE KEY, EC PRIVATE KEY and PRIVATE KEY are)" },
	{ "key/bad/pubkey.pem", PKI_E_INVALID,
		"key 'key/bad/pubkey.pem': is a public key, not a private key" },
	{ "key/bad/rsa-inconsistent.pem", PKI_E_INVALID,
		"key 'key/bad/rsa-inconsistent.pem': inconsistent key parameters (the private "
		"and public parts do not belong together)" },
	{ "key/bad/secp256k1.pem", PKI_E_INVALID,
		"key 'key/bad/secp256k1.pem': EC key on curve secp256k1, which is not supported" },
	{ "key/bad/truncated-body.pem", PKI_E_PARSE,
		"key 'key/bad/truncated-body.pem': malformed private key" },
	{ "key/bad/truncated.der", PKI_E_PARSE,
		"key 'key/bad/truncated.der': malformed private key" },
	{ "cert/good/leaf.pem", PKI_E_INVALID,
		"key 'cert/good/leaf.pem': is a certificate, not a private key" },
	{ "cert/good/leaf.der", PKI_E_INVALID,
		"key 'cert/good/leaf.der': is a certificate, not a private key" },
	{ "csr/good/node.pem", PKI_E_INVALID,
		"key 'csr/good/node.pem': is a certificate request, not a private key" },
	{ "csr/good/rsa.der", PKI_E_INVALID,
		"key 'csr/good/rsa.der': is a certificate request, not a private key" },
};

START_TEST(test_bad_fixture)
{
	struct pki_buf b = { 0 };
	struct pki_key *k = (struct pki_key *)1;
	struct pki_err err;

	test_read(bad[_i].file, &b);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_key_parse(b.data, b.len, bad[_i].file, &k, &err), -1);
	ck_assert_ptr_null(k);
	ck_assert_str_eq(err.msg, bad[_i].msg);
	ck_assert_int_eq(err.code, bad[_i].code);
	pki_buf_free(&b);
}
END_TEST

START_TEST(test_size_cap)
{
	unsigned char *big = calloc(1, PKI_CAP_KEY + 1);
	struct pki_key *k = NULL;
	struct pki_err err;

	ck_assert_ptr_nonnull(big);
	memcpy(big, "-----BEGIN PRIVATE KEY-----\n", 28);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_key_parse(big, PKI_CAP_KEY + 1, "big", &k, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "key 'big': larger than 65536 bytes");
	free(big);
}
END_TEST

/* Flipped bits and truncations of good keys: an error or a key, no crash. */
START_TEST(test_mutations)
{
	static const char *const files[] = { "key/good/ec-p256-pkcs8.der",
		"key/good/ed25519.pem", "key/good/ec-p256.pem" };
	struct pki_buf b = { 0 };
	struct pki_key *k;
	struct pki_err err;
	unsigned char *m;
	size_t i, bit, n, parsed = 0, failed = 0;

	test_read(files[_i], &b);
	m = malloc(b.len);
	ck_assert_ptr_nonnull(m);
	for (i = 0; i < b.len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(m, b.data, b.len);
			m[i] ^= (unsigned char)(1u << bit);
			pki_err_clear(&err);
			k = NULL;
			if (pki_key_parse(m, b.len, "mutant", &k, &err) == 0) {
				ck_assert_ptr_nonnull(k);
				parsed++;
			} else {
				ck_assert_ptr_null(k);
				ck_assert_int_ne(err.code, PKI_OK);
				ck_assert_int_eq(strncmp(err.msg, "key 'mutant': ", 14), 0);
				failed++;
			}
			pki_key_free(k);
		}
	}
	for (n = 0; n < b.len; n++) {
		k = NULL;
		pki_err_clear(&err);
		/* a copy of exactly n bytes, so that a read past the end shows */
		memcpy(m, b.data, n);
		if (pki_key_parse(m, n, "cut", &k, &err) == 0)
			parsed++;
		else
			ck_assert_int_ne(err.code, PKI_OK);
		pki_key_free(k);
	}
	ck_assert_uint_gt(failed, 0);
	(void)parsed;
	free(m);
	pki_buf_free(&b);
}
END_TEST

/* ---- files ------------------------------------------------------------------ */

START_TEST(test_load_refuses_open_mode)
{
	struct pki_buf b = { 0 };
	struct pki_key *k = NULL;
	struct pki_err err;
	char path[1024], link[1024], *dir;
	static const char *const files[] = { "k.key", "link.key", NULL };

	test_read("key/good/ec-p256.pem", &b);
	dir = mk_tmpdir();
	(void)snprintf(path, sizeof(path), "%s/k.key", dir);
	write_file(path, b.data, b.len, 0644);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_key_load(path, &k, &err), -1);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(err.code, PKI_E_PERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "mode 0644"));
	ck_assert_ptr_nonnull(strstr(err.msg, "chmod 600"));

	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_msg(pki_key_load(path, &k, &err) == 0, "%s", err.msg);
	pki_key_free(k);
	k = NULL;

	/* a symbolic link to a good key is refused */
	(void)snprintf(link, sizeof(link), "%s/link.key", dir);
	ck_assert_int_eq(symlink("k.key", link), 0);
	ck_assert_int_eq(pki_key_load(link, &k, &err), -1);
	ck_assert_ptr_null(k);
	ck_assert_ptr_nonnull(strstr(err.msg, "symbolic link"));
	/* and saving over one too */
	k = parse_fixture("key/good/ec-p256.pem", &err);
	ck_assert_int_eq(pki_key_save(k, link, 0, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "symbolic link"));
	pki_key_free(k);
	rm_tmpdir(dir, files);
	pki_buf_free(&b);
}
END_TEST

START_TEST(test_load_missing)
{
	struct pki_key *k = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_key_load(test_data("key/good/absent.pem"), &k, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
	ck_assert_ptr_null(k);
}
END_TEST

static Suite *
key_suite(void)
{
	Suite *s = suite_create("key");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_type_parse, 0, (int)(sizeof(type_names) / sizeof(type_names[0])));
	tcase_add_test(tc, test_type_parse_bad);
	tcase_add_loop_test(tc, test_generate_roundtrip, 0, (int)(sizeof(gen_cases) / sizeof(gen_cases[0])));
	tcase_add_test(tc, test_generate_bad_type);
	tcase_add_loop_test(tc, test_good_fixture, 0, (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_test(tc, test_pkcs8_same_key);
	tcase_add_loop_test(tc, test_bad_fixture, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_size_cap);
	tcase_add_loop_test(tc, test_mutations, 0, 3);
	tcase_add_test(tc, test_load_refuses_open_mode);
	tcase_add_test(tc, test_load_missing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(key_suite());
}
