/* check_csr.c — PKCS#10 requests: parsing, facts, self-signatures. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pki/csr.h>
#include <pki/key.h>

#include "internal.h"
#include "testutil.h"

static struct pki_csr *
csr_fixture(const char *rel)
{
	struct pki_buf b = { 0 };
	struct pki_csr *c = NULL;
	struct pki_err err;

	test_read(rel, &b);
	pki_err_clear(&err);
	ck_assert_msg(pki_csr_parse(b.data, b.len, rel, &c, &err) == 0, "%s", err.msg);
	pki_buf_free(&b);
	return c;
}

START_TEST(test_node_info)
{
	static const char *const org[] = { "system:nodes" };
	static const char *const dns[] = { "worker-1" };
	static const char *const ip[] = { "192.168.1.10" };
	static const char *const eku[] = { "1.3.6.1.5.5.7.3.1" };
	/* the extensionRequest's extensions, in order */
	static const char *const exts[] = { "2.5.29.17", "2.5.29.15", "2.5.29.37", "2.5.29.19" };
	struct pki_csr *c = csr_fixture("csr/good/node.pem");
	struct pki_x509info in;
	struct pki_err err;
	char sha[65];
	size_t i;

	pki_err_clear(&err);
	ck_assert_msg(pki_csr_info(c, &in, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(in.subject, "CN=system:node:worker-1,O=system:nodes");
	ck_assert_ptr_null(in.issuer);
	ck_assert_str_eq(in.cn, "system:node:worker-1");
	assert_names(&in.org, org, 1);
	assert_names(&in.dns, dns, 1);
	assert_names(&in.ip, ip, 1);
	ck_assert_uint_eq(in.other_san.n, 0);
	ck_assert_str_eq(in.serial, "");
	ck_assert_int_eq((long long)in.not_before, 0);
	ck_assert_int_eq((long long)in.not_after, 0);
	ck_assert_int_eq(in.has_ku, 1);
	ck_assert_int_eq(in.ku_critical, 1);
	ck_assert_uint_eq(in.ku, PKI_KU_DIGITAL_SIGNATURE | PKI_KU_KEY_ENCIPHERMENT);
	assert_names(&in.eku, eku, 1);
	ck_assert_int_eq(in.has_bc, 1);
	ck_assert_int_eq(in.bc_critical, 1);
	ck_assert_int_eq(in.is_ca, 0);
	ck_assert_int_eq(in.pathlen, -1);
	ck_assert_str_eq(in.ski, "");
	ck_assert_str_eq(in.aki, "");
	assert_names(&in.ext_oids, exts, 4);
	ck_assert_str_eq(in.key.algo, "ECDSA");
	ck_assert_uint_eq(in.key.bits, 256);
	ck_assert_str_eq(in.key.curve, "P-256");
	ck_assert_str_eq(in.sig_algo, "ECDSA-SHA256");
	for (i = 0; i < 32; i++)
		(void)sprintf(sha + 2 * i, "%02x", in.sha256[i]);
	ck_assert_str_eq(sha, "92cf9ed35477cbf726270a4d203ef083acd5885465a783a6c02b8b0567c213c1");
	ck_assert_int_eq(in.self_signature_ok, 1);
	ck_assert_int_eq(pki_csr_verify(c, &err), 0);
	pki_x509info_free(&in);
	pki_csr_free(c);
}
END_TEST

/* The request's public key is the key it came with. */
START_TEST(test_public_id)
{
	struct pki_csr *c = csr_fixture("csr/good/node.pem");
	struct pki_csr *r = csr_fixture("csr/good/rsa.der");
	struct pki_buf b = { 0 };
	struct pki_key *k = NULL;
	struct pki_err err;
	unsigned char a[32], kid[32], rid[32];

	pki_err_clear(&err);
	test_read("csr/good/node.key", &b);
	ck_assert_int_eq(pki_key_parse(b.data, b.len, "node.key", &k, &err), 0);
	ck_assert_int_eq(pki_csr_public_id(c, a, &err), 0);
	ck_assert_int_eq(pki_key_public_id(k, kid, &err), 0);
	ck_assert_mem_eq(a, kid, 32);
	ck_assert_int_eq(pki_csr_public_id(r, rid, &err), 0);
	ck_assert_int_ne(memcmp(rid, kid, 32), 0);
	pki_key_free(k);
	pki_buf_free(&b);
	pki_csr_free(c);
	pki_csr_free(r);
}
END_TEST

static const struct {
	const char *file;
	const char *subject, *algo, *curve, *sig;
	unsigned bits;
	int self_ok;
	const char *verify_msg; /* NULL when it verifies */
} small[] = {
	{ "csr/good/rsa.der", "CN=rsa-client", "RSA", "", "RSA-SHA256", 2048, 1, NULL },
	{ "csr/good/new-label.pem", "CN=rsa-client", "RSA", "", "RSA-SHA256", 2048, 1, NULL },
	{ "csr/good/ed25519.pem", "CN=ed-client", "Ed25519", "", "EdDSA-Ed25519", 256, 1, NULL },
	{ "csr/good/rsa1024.pem", "CN=weak", "RSA", "", "RSA-SHA256", 1024, 1, NULL },
	/* GnuTLS cannot use secp256k1: the curve is named, the signature unchecked */
	{ "csr/good/secp256k1.pem", "CN=k1-client", "ECDSA", "secp256k1", "ECDSA-SHA256", 256, 0,
		"certificate request 'csr/good/secp256k1.pem': cannot verify its signature: ECDSA "
		"secp256k1 keys are not supported" },
	{ "csr/bad/tampered-sig.pem", "CN=system:node:worker-1,O=system:nodes", "ECDSA", "P-256",
		"ECDSA-SHA256", 256, 0,
		"certificate request 'csr/bad/tampered-sig.pem': its signature does not verify (RFC "
		"2986 3: the requester must sign it with the key it names)" },
	{ "csr/bad/tampered-subject.pem", "CN=system:node:worker-2,O=system:nodes", "ECDSA",
		"P-256", "ECDSA-SHA256", 256, 0,
		"certificate request 'csr/bad/tampered-subject.pem': its signature does not verify "
		"(RFC 2986 3: the requester must sign it with the key it names)" },
};

START_TEST(test_small)
{
	struct pki_csr *c = csr_fixture(small[_i].file);
	struct pki_x509info in;
	struct pki_keyinfo ki;
	struct pki_err err;
	int r;

	pki_err_clear(&err);
	ck_assert_msg(pki_csr_info(c, &in, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(in.subject, small[_i].subject);
	ck_assert_str_eq(in.key.algo, small[_i].algo);
	ck_assert_str_eq(in.key.curve, small[_i].curve);
	ck_assert_uint_eq(in.key.bits, small[_i].bits);
	ck_assert_str_eq(in.sig_algo, small[_i].sig);
	ck_assert_int_eq(in.self_signature_ok, small[_i].self_ok);
	ck_assert_uint_eq(in.ext_oids.n, small[_i].file[4] == 'g' ? 0 : 4);
	pki_csr_keyinfo(c, &ki);
	ck_assert_str_eq(ki.curve, small[_i].curve);
	r = pki_csr_verify(c, &err);
	if (small[_i].verify_msg == NULL) {
		ck_assert_msg(r == 0, "%s", err.msg);
	} else {
		ck_assert_int_eq(r, -1);
		ck_assert_int_eq(err.code, PKI_E_INVALID);
		ck_assert_str_eq(err.msg, small[_i].verify_msg);
	}
	pki_x509info_free(&in);
	pki_csr_free(c);
}
END_TEST

static const struct {
	const char *file;
	enum pki_errcode code;
	const char *msg;
} bad[] = {
	{ "csr/bad/bad-base64.pem", PKI_E_PARSE,
		"certificate request 'csr/bad/bad-base64.pem': CERTIFICATE REQUEST block: "
		"malformed base64 (length 458 is not a multiple of 4)" },
	{ "csr/bad/cert.der", PKI_E_INVALID,
		"certificate request 'csr/bad/cert.der': is a certificate, not a certificate request" },
	{ "csr/bad/cert.pem", PKI_E_INVALID,
		"certificate request 'csr/bad/cert.pem': is a certificate, not a certificate request" },
	{ "csr/bad/empty.pem", PKI_E_PARSE, "certificate request 'csr/bad/empty.pem': empty" },
	{ "csr/bad/garbage.txt", PKI_E_PARSE,
		"certificate request 'csr/bad/garbage.txt': not a PEM or DER certificate request" },
	{ "csr/bad/key.pem", PKI_E_INVALID,
		"certificate request 'csr/bad/key.pem': is a private key, not a certificate request" },
	{ "csr/bad/trailing.der", PKI_E_PARSE,
		"certificate request 'csr/bad/trailing.der': data after the end of the request" },
	{ "csr/bad/truncated.der", PKI_E_PARSE,
		"certificate request 'csr/bad/truncated.der': malformed certificate request (RFC "
		"2986 4)" },
	{ "csr/bad/truncated.pem", PKI_E_PARSE,
		"certificate request 'csr/bad/truncated.pem': PEM block 'CERTIFICATE REQUEST' has "
		"no END line" },
	{ "key/good/ec-p256-pkcs8.der", PKI_E_INVALID,
		"certificate request 'key/good/ec-p256-pkcs8.der': is a private key, not a "
		"certificate request" },
	{ "key/bad/pubkey.pem", PKI_E_INVALID,
		"certificate request 'key/bad/pubkey.pem': is a public key, not a certificate "
		"request" },
	{ "cert/bad/headers.pem", PKI_E_INVALID,
		"certificate request 'cert/bad/headers.pem': is a certificate, not a certificate "
		"request" },
};

START_TEST(test_bad)
{
	struct pki_buf b = { 0 };
	struct pki_csr *c = (struct pki_csr *)1;
	struct pki_err err;

	test_read(bad[_i].file, &b);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_csr_parse(b.data, b.len, bad[_i].file, &c, &err), -1);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err.msg, bad[_i].msg);
	ck_assert_int_eq(err.code, bad[_i].code);
	pki_buf_free(&b);
}
END_TEST

START_TEST(test_size_cap)
{
	unsigned char *big = calloc(1, PKI_CAP_CSR + 1);
	struct pki_csr *c = NULL;
	struct pki_err err;

	ck_assert_ptr_nonnull(big);
	memset(big, 'A', PKI_CAP_CSR + 1);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_csr_parse(big, PKI_CAP_CSR + 1, "big", &c, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "certificate request 'big': larger than 65536 bytes");
	free(big);
}
END_TEST

/* A NUL or an escape sequence in the input name does not reach the message raw. */
START_TEST(test_hostile_name)
{
	struct pki_csr *c = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_csr_parse((const unsigned char *)"x", 1, "a\x1b]0;b\n", &c, &err), -1);
	ck_assert_str_eq(err.msg,
		"certificate request 'a\\x1b]0;b\\x0a': not a PEM or DER certificate request");
}
END_TEST

static int
try_csr(const unsigned char *p, size_t n)
{
	struct pki_csr *c = NULL;
	struct pki_x509info in;
	struct pki_err err;
	int ok = 0;

	pki_err_clear(&err);
	if (pki_csr_parse(p, n, "mutant", &c, &err) != 0) {
		ck_assert_int_ne(err.code, PKI_OK);
		ck_assert_int_eq(strncmp(err.msg, "certificate request 'mutant'", 28), 0);
		ck_assert_ptr_null(c);
		return 0;
	}
	if (pki_csr_info(c, &in, &err) == 0) {
		ck_assert_ptr_nonnull(in.subject);
		ok = in.self_signature_ok;
		pki_x509info_free(&in);
	}
	if (pki_csr_verify(c, &err) == 0)
		ck_assert_int_eq(ok, 1);
	pki_csr_free(c);
	return ok;
}

START_TEST(test_mutations)
{
	static const char *const files[] = { "csr/good/node.pem", "csr/good/rsa.der" };
	struct pki_buf b = { 0 }, der = { 0 };
	struct pki_csr *c;
	struct pki_err err;
	unsigned char *m;
	size_t i, bit, n;

	test_read(files[_i], &b);
	c = csr_fixture(files[_i]);
	pki_csr_free(c);
	m = malloc(b.len);
	ck_assert_ptr_nonnull(m);
	for (i = 0; i < b.len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(m, b.data, b.len);
			m[i] ^= (unsigned char)(1u << bit);
			(void)try_csr(m, b.len);
		}
	}
	free(m);
	for (n = 0; n < b.len; n++) {
		m = malloc(n > 0 ? n : 1);
		ck_assert_ptr_nonnull(m);
		memcpy(m, b.data, n);
		/* short of the END line (PEM) or of the last byte (DER): no request */
		if (n < b.len - 30)
			ck_assert_int_eq(try_csr(m, n), 0);
		free(m);
	}
	pki_err_clear(&err);
	pki_buf_free(&der);
	pki_buf_free(&b);
}
END_TEST

/* ---- making requests ------------------------------------------------------ */

static void
names_of(struct pki_names *n, const char *const *v)
{
	struct pki_err err;

	pki_err_clear(&err);
	for (; v != NULL && *v != NULL; v++)
		ck_assert_int_eq(pki_names_add(n, *v, &err), 0);
}

static const struct {
	const char *type;
	const char *cn;
	const char *org[3];
	const char *dns[4];
	const char *ip[4];
	const char *subject; /* RFC 4514: the last RDN first */
	const char *algo, *curve, *sig;
	unsigned bits;
} made[] = {
	{ "rsa2048", "kube-apiserver", { NULL }, { "cp-1", "kubernetes", NULL },
		{ "10.96.0.1", "fd00::10", NULL }, "CN=kube-apiserver", "RSA", "", "RSA-SHA256",
		2048 },
	{ "ecdsa-p256", "system:node:cp-1", { "system:nodes", NULL }, { NULL }, { NULL },
		"CN=system:node:cp-1,O=system:nodes", "ECDSA", "P-256", "ECDSA-SHA256", 256 },
	{ "ecdsa-p384", "cp-1", { NULL }, { "localhost", NULL }, { "127.0.0.1", "::1", NULL },
		"CN=cp-1", "ECDSA", "P-384", "ECDSA-SHA384", 384 },
	{ "ed25519", "admin", { "b-team", "a-team", NULL }, { "*.apps.example.com", NULL },
		{ NULL }, "CN=admin,O=a-team,O=b-team", "Ed25519", "", "EdDSA-Ed25519", 256 },
};

/* A made request says exactly what it was given, asks for nothing but
 * subjectAltName, verifies and carries its key. */
START_TEST(test_create)
{
	struct pki_names org = { 0 }, dns = { 0 }, ip = { 0 };
	struct pki_key *key = NULL, *other = NULL;
	struct pki_csr *c = NULL, *back = NULL;
	struct pki_buf pem = { 0 };
	struct pki_x509info in, in2;
	enum pki_key_type type;
	struct pki_err err;
	size_t i, n;

	pki_err_clear(&err);
	names_of(&org, made[_i].org);
	names_of(&dns, made[_i].dns);
	names_of(&ip, made[_i].ip);
	ck_assert_int_eq(pki_key_type_parse(made[_i].type, &type, &err), 0);
	ck_assert_msg(pki_key_generate(type, &key, &err) == 0, "%s", err.msg);
	ck_assert_msg(pki_csr_create(key, made[_i].cn, &org, &dns, &ip, &c, &err) == 0, "%s",
		err.msg);
	ck_assert_msg(pki_csr_info(c, &in, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(in.subject, made[_i].subject);
	ck_assert_str_eq(in.cn, made[_i].cn);
	ck_assert_uint_eq(in.org.n, org.n);
	for (i = 0; i < org.n; i++)
		ck_assert_str_eq(in.org.v[i], org.v[i]);
	ck_assert_uint_eq(in.dns.n, dns.n);
	for (i = 0; i < dns.n; i++)
		ck_assert_str_eq(in.dns.v[i], dns.v[i]);
	ck_assert_uint_eq(in.ip.n, ip.n);
	for (i = 0; i < ip.n; i++)
		ck_assert_str_eq(in.ip.v[i], ip.v[i]);
	n = dns.n + ip.n > 0 ? 1 : 0;
	ck_assert_uint_eq(in.ext_oids.n, n);
	if (n)
		ck_assert_str_eq(in.ext_oids.v[0], "2.5.29.17");
	ck_assert_int_eq(in.has_ku, 0);
	ck_assert_int_eq(in.has_bc, 0);
	ck_assert_uint_eq(in.eku.n, 0);
	ck_assert_uint_eq(in.other_san.n, 0);
	ck_assert_str_eq(in.key.algo, made[_i].algo);
	ck_assert_str_eq(in.key.curve, made[_i].curve);
	ck_assert_uint_eq(in.key.bits, made[_i].bits);
	ck_assert_str_eq(in.sig_algo, made[_i].sig);
	ck_assert_int_eq(in.self_signature_ok, 1);
	ck_assert_int_eq(pki_csr_verify(c, &err), 0);
	ck_assert_int_eq(pki_csr_matches_key(c, key, &err), 1);
	ck_assert_int_eq(pki_key_generate(PKI_KEY_ECDSA_P256, &other, &err), 0);
	ck_assert_int_eq(pki_csr_matches_key(c, other, &err), 0);
	/* PEM out and back in: the same request */
	ck_assert_int_eq(pki_csr_export_pem(c, &pem, &err), 0);
	ck_assert_int_eq(memcmp(pem.data, "-----BEGIN CERTIFICATE REQUEST-----\n", 36), 0);
	ck_assert_ptr_null(memmem(pem.data, pem.len, "PRIVATE", 7));
	ck_assert_msg(pki_csr_parse(pem.data, pem.len, "exported", &back, &err) == 0, "%s",
		err.msg);
	ck_assert_int_eq(pki_csr_info(back, &in2, &err), 0);
	ck_assert_mem_eq(in.sha256, in2.sha256, 32);
	pki_x509info_free(&in);
	pki_x509info_free(&in2);
	pki_buf_free(&pem);
	pki_csr_free(c);
	pki_csr_free(back);
	pki_key_free(key);
	pki_key_free(other);
	pki_names_free(&org);
	pki_names_free(&dns);
	pki_names_free(&ip);
}
END_TEST

static const struct {
	const char *cn, *org, *dns, *ip;
	enum pki_errcode code;
	const char *msg;
} made_bad[] = {
	{ "", NULL, NULL, NULL, PKI_E_INVALID, "certificate request: empty CN" },
	{ "a\nb", NULL, NULL, NULL, PKI_E_INVALID,
		"certificate request: CN 'a\\x0ab': holds control characters" },
	{ "x", "", NULL, NULL, PKI_E_INVALID, "certificate request: empty O" },
	{ "x", NULL, "bad\x7fname", NULL, PKI_E_INVALID,
		"certificate request 'x': certificate request: DNS SAN 'bad\\x7fname': holds "
		"control characters" },
	{ "x", NULL, NULL, "10.0.0.256", PKI_E_INVALID,
		"certificate request 'x': certificate request: IP SAN '10.0.0.256': not an IP "
		"address" },
	{ "x", NULL, NULL, "example.com", PKI_E_INVALID,
		"certificate request 'x': certificate request: IP SAN 'example.com': not an IP "
		"address" },
};

START_TEST(test_create_bad)
{
	struct pki_names org = { 0 }, dns = { 0 }, ip = { 0 };
	struct pki_key *key = NULL;
	struct pki_csr *c = (struct pki_csr *)&org; /* must be reset to NULL */
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_key_generate(PKI_KEY_ECDSA_P256, &key, &err), 0);
	if (made_bad[_i].org)
		ck_assert_int_eq(pki_names_add(&org, made_bad[_i].org, &err), 0);
	if (made_bad[_i].dns)
		ck_assert_int_eq(pki_names_add(&dns, made_bad[_i].dns, &err), 0);
	if (made_bad[_i].ip)
		ck_assert_int_eq(pki_names_add(&ip, made_bad[_i].ip, &err), 0);
	ck_assert_int_eq(pki_csr_create(key, made_bad[_i].cn, &org, &dns, &ip, &c, &err), -1);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(err.code, made_bad[_i].code);
	ck_assert_str_eq(err.msg, made_bad[_i].msg);
	pki_key_free(key);
	pki_names_free(&org);
	pki_names_free(&dns);
	pki_names_free(&ip);
}
END_TEST

/* Counts are capped: 256 SANs at most. */
START_TEST(test_create_cap)
{
	struct pki_names dns = { 0 };
	struct pki_key *key = NULL;
	struct pki_csr *c = NULL;
	struct pki_err err;
	char name[32];
	int i;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_key_generate(PKI_KEY_ECDSA_P256, &key, &err), 0);
	for (i = 0; i < 256; i++) {
		(void)snprintf(name, sizeof(name), "n%d.example", i);
		ck_assert_int_eq(pki_names_add(&dns, name, &err), 0);
	}
	ck_assert_msg(pki_csr_create(key, "x", NULL, &dns, NULL, &c, &err) == 0, "%s", err.msg);
	pki_csr_free(c);
	c = NULL;
	ck_assert_int_eq(pki_names_add(&dns, "one-more.example", &err), 0);
	ck_assert_int_eq(pki_csr_create(key, "x", NULL, &dns, NULL, &c, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "certificate request 'x': more than 256 O values or SANs");
	pki_key_free(key);
	pki_names_free(&dns);
}
END_TEST

static Suite *
csr_suite(void)
{
	Suite *s = suite_create("csr");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_node_info);
	tcase_add_test(tc, test_public_id);
	tcase_add_loop_test(tc, test_small, 0, (int)(sizeof(small) / sizeof(small[0])));
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_size_cap);
	tcase_add_test(tc, test_hostile_name);
	tcase_add_loop_test(tc, test_mutations, 0, 2);
	tcase_add_loop_test(tc, test_create, 0, (int)(sizeof(made) / sizeof(made[0])));
	tcase_add_loop_test(tc, test_create_bad, 0, (int)(sizeof(made_bad) / sizeof(made_bad[0])));
	tcase_add_test(tc, test_create_cap);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(csr_suite());
}
