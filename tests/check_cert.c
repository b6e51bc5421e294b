/* check_cert.c — certificates: parsing, facts, signatures, names, usages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pki/cert.h>
#include <pki/key.h>

#include "testutil.h"

static struct pki_cert *
cert_fixture(const char *rel)
{
	struct pki_buf b = { 0 };
	struct pki_cert *c = NULL;
	struct pki_err err;

	test_read(rel, &b);
	pki_err_clear(&err);
	ck_assert_msg(pki_cert_parse(b.data, b.len, rel, &c, &err) == 0, "%s", err.msg);
	pki_buf_free(&b);
	return c;
}

static struct pki_key *
key_fixture(const char *rel)
{
	struct pki_buf b = { 0 };
	struct pki_key *k = NULL;
	struct pki_err err;

	test_read(rel, &b);
	pki_err_clear(&err);
	ck_assert_msg(pki_key_parse(b.data, b.len, rel, &k, &err) == 0, "%s", err.msg);
	pki_buf_free(&b);
	return k;
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)sprintf(out + 2 * i, "%02x", p[i]);
}

/* ---- names, usages ---------------------------------------------------------- */

START_TEST(test_names)
{
	struct pki_names a = { 0, NULL }, b = { 0, NULL };
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_names_contains(&a, "x"), 0);
	ck_assert_int_eq(pki_names_equal_set(&a, &b), 1);
	ck_assert_int_eq(pki_names_add(&a, "kubernetes", &err), 0);
	ck_assert_int_eq(pki_names_add(&a, "10.96.0.1", &err), 0);
	ck_assert_int_eq(pki_names_add(&a, "kubernetes", &err), 0);
	ck_assert_uint_eq(a.n, 3);
	ck_assert_str_eq(a.v[1], "10.96.0.1");
	ck_assert_int_eq(pki_names_contains(&a, "kubernetes"), 1);
	ck_assert_int_eq(pki_names_contains(&a, "Kubernetes"), 0);
	ck_assert_int_eq(pki_names_equal_set(&a, &b), 0);
	ck_assert_int_eq(pki_names_add(&b, "10.96.0.1", &err), 0);
	ck_assert_int_eq(pki_names_equal_set(&a, &b), 0);
	ck_assert_int_eq(pki_names_add(&b, "kubernetes", &err), 0);
	/* order and repeats do not matter */
	ck_assert_int_eq(pki_names_equal_set(&a, &b), 1);
	ck_assert_int_eq(pki_names_equal_set(&b, &a), 1);
	ck_assert_int_eq(pki_names_add(&b, "extra", &err), 0);
	ck_assert_int_eq(pki_names_equal_set(&a, &b), 0);
	ck_assert_int_eq(pki_names_equal_set(&b, &a), 0);
	pki_names_free(&a);
	ck_assert_uint_eq(a.n, 0);
	ck_assert_ptr_null(a.v);
	pki_names_free(&a);
	pki_names_free(&b);
	pki_names_free(NULL);
}
END_TEST

START_TEST(test_ku_names)
{
	static const struct {
		const char *name;
		unsigned bit;
	} t[] = {
		{ "digital-signature", PKI_KU_DIGITAL_SIGNATURE },
		{ "content-commitment", PKI_KU_CONTENT_COMMITMENT },
		{ "key-encipherment", PKI_KU_KEY_ENCIPHERMENT },
		{ "data-encipherment", PKI_KU_DATA_ENCIPHERMENT },
		{ "key-agreement", PKI_KU_KEY_AGREEMENT },
		{ "cert-sign", PKI_KU_KEY_CERT_SIGN },
		{ "crl-sign", PKI_KU_CRL_SIGN },
		{ "encipher-only", PKI_KU_ENCIPHER_ONLY },
		{ "decipher-only", PKI_KU_DECIPHER_ONLY },
	};
	unsigned bit = 0;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_int_eq(pki_ku_from_name(t[i].name, &bit), 0);
		ck_assert_uint_eq(bit, t[i].bit);
		ck_assert_uint_eq(bit, 1u << i);
		ck_assert_str_eq(pki_ku_name(t[i].bit), t[i].name);
	}
	bit = 77;
	ck_assert_int_eq(pki_ku_from_name("digitalSignature", &bit), -1);
	ck_assert_int_eq(pki_ku_from_name("", &bit), -1);
	ck_assert_uint_eq(bit, 77);
	ck_assert_ptr_null(pki_ku_name(1u << 9));
	ck_assert_ptr_null(pki_ku_name(0));
	ck_assert_ptr_null(pki_ku_name(PKI_KU_DIGITAL_SIGNATURE | PKI_KU_KEY_ENCIPHERMENT));
}
END_TEST

START_TEST(test_eku_names)
{
	static const char *const t[][2] = {
		{ "server-auth", "1.3.6.1.5.5.7.3.1" },
		{ "client-auth", "1.3.6.1.5.5.7.3.2" },
		{ "code-signing", "1.3.6.1.5.5.7.3.3" },
		{ "email-protection", "1.3.6.1.5.5.7.3.4" },
		{ "time-stamping", "1.3.6.1.5.5.7.3.8" },
		{ "ocsp-signing", "1.3.6.1.5.5.7.3.9" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_str_eq(pki_eku_oid(t[i][0]), t[i][1]);
		ck_assert_str_eq(pki_eku_name(t[i][1]), t[i][0]);
	}
	ck_assert_ptr_null(pki_eku_oid("serverAuth"));
	ck_assert_ptr_null(pki_eku_name("1.3.6.1.5.5.7.3.10"));
	ck_assert_ptr_null(pki_eku_name("2.5.29.37.0"));
}
END_TEST

/* ---- facts ------------------------------------------------------------------ */

/* cert/good/leaf.{pem,der}: see tests/data/cert/make-fixtures.py */
static void
assert_leaf_info(const struct pki_x509info *in)
{
	static const char *const org[] = { "org-a", "org-b" };
	static const char *const dns[] = { "kubernetes", "kubernetes.default.svc.cluster.local" };
	static const char *const ip[] = { "10.96.0.1", "2001:db8::1" };
	static const char *const other[] = { "email:admin@example.com", "uri:https://example.com/x" };
	static const char *const eku[] = { "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2" };
	static const char *const exts[] = { "2.5.29.15", "2.5.29.37", "2.5.29.19", "2.5.29.14",
		"2.5.29.35", "2.5.29.17" };
	char sha[65];

	ck_assert_str_eq(in->subject, "CN=kube-apiserver,O=org-b,O=org-a");
	ck_assert_str_eq(in->issuer, "CN=kubernetes");
	ck_assert_str_eq(in->cn, "kube-apiserver");
	assert_names(&in->org, org, 2);
	assert_names(&in->dns, dns, 2);
	assert_names(&in->ip, ip, 2);
	assert_names(&in->other_san, other, 2);
	ck_assert_str_eq(in->serial, "0123456789abcdef");
	ck_assert_int_eq((long long)in->not_before, 1735787045LL); /* 2025-01-02T03:04:05Z */
	ck_assert_int_eq((long long)in->not_after, 1767323045LL);  /* 2026-01-02T03:04:05Z */
	ck_assert_int_eq(in->has_ku, 1);
	ck_assert_int_eq(in->ku_critical, 1);
	ck_assert_uint_eq(in->ku, PKI_KU_DIGITAL_SIGNATURE | PKI_KU_KEY_ENCIPHERMENT);
	assert_names(&in->eku, eku, 2);
	ck_assert_int_eq(in->has_bc, 1);
	ck_assert_int_eq(in->bc_critical, 1);
	ck_assert_int_eq(in->is_ca, 0);
	ck_assert_int_eq(in->pathlen, -1);
	ck_assert_str_eq(in->ski, "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4");
	ck_assert_str_eq(in->aki, "0102030405060708090a0b0c0d0e0f1011121314");
	assert_names(&in->ext_oids, exts, 6);
	ck_assert_str_eq(in->key.algo, "ECDSA");
	ck_assert_uint_eq(in->key.bits, 384);
	ck_assert_str_eq(in->key.curve, "P-384");
	ck_assert_str_eq(in->sig_algo, "ECDSA-SHA256");
	hex(in->sha256, 32, sha);
	ck_assert_str_eq(sha, "39837d0b57fd0a31d6869a68774fae5972ff7f8d272404317c088cbbcec2cd00");
	ck_assert_int_eq(in->self_signature_ok, 0);
}

START_TEST(test_leaf_info)
{
	static const char *const files[] = { "cert/good/leaf.pem", "cert/good/leaf.der",
		"cert/good/chain.pem", "cert/good/chain3.pem" };
	struct pki_x509info in;
	struct pki_cert *c = cert_fixture(files[_i]);
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_cert_info(c, &in, &err) == 0, "%s", err.msg);
	assert_leaf_info(&in);
	ck_assert_int_eq((long long)pki_cert_not_before(c), 1735787045LL);
	ck_assert_int_eq((long long)pki_cert_not_after(c), 1767323045LL);
	ck_assert_int_eq(pki_cert_is_ca(c), 0);
	pki_x509info_free(&in);
	ck_assert_ptr_null(in.subject);
	pki_x509info_free(&in);
	pki_cert_free(c);
}
END_TEST

START_TEST(test_ca_info)
{
	static const char *const dns[] = { "kubernetes" };
	static const char *const exts[] = { "2.5.29.15", "2.5.29.19", "2.5.29.14", "2.5.29.17" };
	struct pki_x509info in;
	struct pki_cert *c = cert_fixture("cert/good/ca.pem");
	struct pki_err err;
	char sha[65];

	pki_err_clear(&err);
	ck_assert_int_eq(pki_cert_info(c, &in, &err), 0);
	ck_assert_str_eq(in.subject, "CN=kubernetes");
	ck_assert_str_eq(in.issuer, "CN=kubernetes");
	ck_assert_str_eq(in.cn, "kubernetes");
	ck_assert_uint_eq(in.org.n, 0);
	assert_names(&in.dns, dns, 1);
	ck_assert_uint_eq(in.ip.n, 0);
	ck_assert_uint_eq(in.other_san.n, 0);
	ck_assert_str_eq(in.serial, "01");
	ck_assert_int_eq((long long)in.not_before, 1704067200LL);
	ck_assert_int_eq((long long)in.not_after, 2019686400LL);
	ck_assert_uint_eq(in.ku, PKI_KU_DIGITAL_SIGNATURE | PKI_KU_KEY_ENCIPHERMENT |
		PKI_KU_KEY_CERT_SIGN);
	ck_assert_int_eq(in.ku_critical, 1);
	ck_assert_uint_eq(in.eku.n, 0);
	ck_assert_int_eq(in.has_bc, 1);
	ck_assert_int_eq(in.is_ca, 1);
	ck_assert_int_eq(in.pathlen, -1);
	ck_assert_str_eq(in.ski, "0102030405060708090a0b0c0d0e0f1011121314");
	ck_assert_str_eq(in.aki, "");
	assert_names(&in.ext_oids, exts, 4);
	ck_assert_str_eq(in.key.algo, "ECDSA");
	ck_assert_uint_eq(in.key.bits, 256);
	ck_assert_str_eq(in.key.curve, "P-256");
	hex(in.sha256, 32, sha);
	ck_assert_str_eq(sha, "25e4a76589ee2d5a819fa196e7399598e020049f4613435ae0d61e65cd39c39b");
	ck_assert_int_eq(in.self_signature_ok, 1);
	ck_assert_int_eq(pki_cert_is_ca(c), 1);
	pki_x509info_free(&in);
	pki_cert_free(c);
}
END_TEST

static const struct {
	const char *file;
	const char *cn, *algo, *curve, *sig;
	unsigned bits;
	int is_ca, pathlen, self_ok, n_ext;
	const char *serial;
} small[] = {
	{ "cert/good/rsa-ca.pem", "rsa-ca", "RSA", "", "RSA-SHA256", 2048, 1, 2, 1, 1, "7f" },
	{ "cert/good/ed25519.pem", "ed", "Ed25519", "", "EdDSA-Ed25519", 256, 0, -1, 1, 0, "05" },
	{ "cert/good/secp256k1.pem", "k1", "ECDSA", "secp256k1", "ECDSA-SHA256", 256, 0, -1, 0, 0,
		"0b" },
	{ "cert/good/v1-ca.pem", "v1-ca", "ECDSA", "P-256", "ECDSA-SHA256", 256, 0, -1, 1, 0, "03" },
	{ "cert/good/v1-leaf.pem", "v1-leaf", "Ed25519", "", "ECDSA-SHA256", 256, 0, -1, 0, 0,
		"0c" },
	{ "cert/bad/issued-by-leaf.pem", "victim", "RSA", "", "ECDSA-SHA256", 1024, 0, -1, 0, 0,
		"09" },
	{ "cert/bad/tampered-sig.pem", "kube-apiserver", "ECDSA", "P-384", "ECDSA-SHA256", 384, 0,
		-1, 0, 6, "0123456789abcdef" },
};

START_TEST(test_small_info)
{
	struct pki_x509info in;
	struct pki_cert *c = cert_fixture(small[_i].file);
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_cert_info(c, &in, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(in.cn, small[_i].cn);
	ck_assert_str_eq(in.key.algo, small[_i].algo);
	ck_assert_str_eq(in.key.curve, small[_i].curve);
	ck_assert_uint_eq(in.key.bits, small[_i].bits);
	ck_assert_str_eq(in.sig_algo, small[_i].sig);
	ck_assert_int_eq(in.is_ca, small[_i].is_ca);
	ck_assert_int_eq(pki_cert_is_ca(c), small[_i].is_ca);
	ck_assert_int_eq(in.pathlen, small[_i].pathlen);
	ck_assert_int_eq(in.self_signature_ok, small[_i].self_ok);
	ck_assert_uint_eq(in.ext_oids.n, (size_t)small[_i].n_ext);
	ck_assert_str_eq(in.serial, small[_i].serial);
	pki_x509info_free(&in);
	pki_cert_free(c);
}
END_TEST

/* A CN with a NUL byte cannot pass for the clean name. */
START_TEST(test_nul_cn)
{
	struct pki_x509info in;
	struct pki_cert *c = cert_fixture("cert/bad/nul-cn.der");
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_cert_info(c, &in, &err), 0);
	/* GnuTLS gives a string with a NUL as its DER in RFC 4514 hex form */
	ck_assert_str_eq(in.cn, "#0c0e6b75626500617069736572766572");
	ck_assert_str_eq(in.subject, "CN=#0c0e6b75626500617069736572766572,O=org-b,O=org-a");
	ck_assert_str_ne(in.cn, "kube-apiserver");
	pki_x509info_free(&in);
	pki_cert_free(c);
}
END_TEST

/* Well-formed enough to parse, refused when its facts are read. */
static const struct {
	const char *file;
	enum pki_errcode code;
	const char *msg;
} bad_info[] = {
	{ "cert/bad/ip-5-bytes.der", PKI_E_PARSE,
		"certificate 'cert/bad/ip-5-bytes.der': IP address SAN of 5 bytes (RFC 5280 "
		"4.2.1.6 wants 4 or 16)" },
	{ "cert/bad/many-sans.pem", PKI_E_LIMIT,
		"certificate 'cert/bad/many-sans.pem': more than 1024 subject alternative names" },
};

START_TEST(test_bad_info)
{
	struct pki_x509info in;
	struct pki_cert *c = cert_fixture(bad_info[_i].file);
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_cert_info(c, &in, &err), -1);
	ck_assert_str_eq(err.msg, bad_info[_i].msg);
	ck_assert_int_eq(err.code, bad_info[_i].code);
	/* nothing left to free */
	ck_assert_ptr_null(in.subject);
	ck_assert_uint_eq(in.dns.n, 0);
	pki_cert_free(c);
}
END_TEST

/* ---- parse errors -------------------------------------------------------------- */

static const struct {
	const char *file;
	enum pki_errcode code;
	const char *msg;
} bad[] = {
	{ "cert/bad/bad-base64.pem", PKI_E_PARSE,
		"certificate 'cert/bad/bad-base64.pem': CERTIFICATE block: malformed base64 "
		"(length 817 is not a multiple of 4)" },
	{ "cert/bad/bad-begin.pem", PKI_E_PARSE,
		"certificate 'cert/bad/bad-begin.pem': malformed PEM BEGIN line" },
	{ "cert/bad/dup-ext.der", PKI_E_PARSE,
		"certificate 'cert/bad/dup-ext.der': malformed certificate (RFC 5280 4.1)" },
	{ "cert/bad/empty.pem", PKI_E_PARSE, "certificate 'cert/bad/empty.pem': empty" },
	{ "cert/bad/garbage.txt", PKI_E_PARSE,
		"certificate 'cert/bad/garbage.txt': not a PEM or DER certificate" },
	{ "cert/bad/headers.pem", PKI_E_PARSE,
		"certificate 'cert/bad/headers.pem': unexpected headers in the PEM block" },
	{ "cert/bad/key.pem", PKI_E_INVALID,
		"certificate 'cert/bad/key.pem': is a private key, not a certificate" },
	{ "cert/bad/sigalg-mismatch.der", PKI_E_PARSE,
		"certificate 'cert/bad/sigalg-mismatch.der': the signature algorithm differs from "
		"the one in the signed part (RFC 5280 4.1.1.2)" },
	{ "cert/bad/trailing.der", PKI_E_PARSE,
		"certificate 'cert/bad/trailing.der': data after the end of the certificate" },
	{ "cert/bad/truncated.der", PKI_E_PARSE,
		"certificate 'cert/bad/truncated.der': malformed certificate (RFC 5280 4.1)" },
	{ "cert/bad/truncated.pem", PKI_E_PARSE,
		"certificate 'cert/bad/truncated.pem': PEM block 'CERTIFICATE' has no END line" },
	{ "cert/good/leaf.key", PKI_E_INVALID,
		"certificate 'cert/good/leaf.key': is a private key, not a certificate" },
	{ "key/good/ec-p256-pkcs8.der", PKI_E_INVALID,
		"certificate 'key/good/ec-p256-pkcs8.der': is a private key, not a certificate" },
	{ "key/bad/pubkey.pem", PKI_E_INVALID,
		"certificate 'key/bad/pubkey.pem': is a public key, not a certificate" },
	{ "csr/good/node.pem", PKI_E_INVALID,
		"certificate 'csr/good/node.pem': is a certificate request, not a certificate" },
	{ "csr/good/rsa.der", PKI_E_INVALID,
		"certificate 'csr/good/rsa.der': is a certificate request, not a certificate" },
};

START_TEST(test_bad_parse)
{
	struct pki_buf b = { 0 };
	struct pki_cert *c = (struct pki_cert *)1, **list = (struct pki_cert **)1;
	struct pki_err err;
	size_t n = 7;

	test_read(bad[_i].file, &b);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_cert_parse(b.data, b.len, bad[_i].file, &c, &err), -1);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err.msg, bad[_i].msg);
	ck_assert_int_eq(err.code, bad[_i].code);
	/* the list parser says the same */
	pki_err_clear(&err);
	ck_assert_int_eq(pki_cert_list_parse(b.data, b.len, bad[_i].file, 8, &list, &n, &err),
		-1);
	ck_assert_ptr_null(list);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(err.msg, bad[_i].msg);
	pki_buf_free(&b);
}
END_TEST

START_TEST(test_size_cap)
{
	unsigned char *big = calloc(1, PKI_CAP_CERT + 1);
	struct pki_cert *c = NULL;
	struct pki_err err;

	ck_assert_ptr_nonnull(big);
	big[0] = 0x30;
	pki_err_clear(&err);
	ck_assert_int_eq(pki_cert_parse(big, PKI_CAP_CERT + 1, "big", &c, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "certificate 'big': larger than 262144 bytes");
	free(big);
}
END_TEST

/* ---- lists ------------------------------------------------------------------------ */

START_TEST(test_list)
{
	struct pki_buf b = { 0 };
	struct pki_cert **list = NULL, *first = NULL;
	struct pki_x509info a, c;
	struct pki_err err;
	size_t n = 0;

	pki_err_clear(&err);
	test_read("cert/good/chain.pem", &b);
	ck_assert_int_eq(pki_cert_list_parse(b.data, b.len, "chain", 2, &list, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(pki_cert_info(list[0], &a, &err), 0);
	ck_assert_int_eq(pki_cert_info(list[1], &c, &err), 0);
	ck_assert_str_eq(a.cn, "kube-apiserver");
	ck_assert_str_eq(c.cn, "kubernetes");
	ck_assert_int_eq(pki_cert_verify_signed_by(list[0], list[1], &err), 0);
	pki_x509info_free(&a);
	pki_x509info_free(&c);
	pki_cert_list_free(list, n);
	list = NULL;

	/* one fewer than there are */
	ck_assert_int_eq(pki_cert_list_parse(b.data, b.len, "chain", 1, &list, &n, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "certificate 'chain': more than 1 certificate");
	ck_assert_ptr_null(list);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(pki_cert_list_parse(b.data, b.len, "chain", 0, &list, &n, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_USAGE);

	/* the single parser takes the first */
	ck_assert_int_eq(pki_cert_parse(b.data, b.len, "chain", &first, &err), 0);
	ck_assert_int_eq(pki_cert_info(first, &a, &err), 0);
	ck_assert_str_eq(a.cn, "kube-apiserver");
	pki_x509info_free(&a);
	pki_cert_free(first);
	pki_buf_free(&b);

	test_read("cert/good/chain3.pem", &b);
	ck_assert_int_eq(pki_cert_list_parse(b.data, b.len, "chain3", 2, &list, &n, &err), -1);
	ck_assert_str_eq(err.msg, "certificate 'chain3': more than 2 certificates");
	ck_assert_int_eq(pki_cert_list_parse(b.data, b.len, "chain3", 3, &list, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(pki_cert_info(list[2], &a, &err), 0);
	ck_assert_str_eq(a.cn, "rsa-ca");
	pki_x509info_free(&a);
	pki_cert_list_free(list, n);
	pki_buf_free(&b);

	/* DER is one certificate */
	test_read("cert/good/leaf.der", &b);
	ck_assert_int_eq(pki_cert_list_parse(b.data, b.len, "der", 5, &list, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	pki_cert_list_free(list, n);
	pki_buf_free(&b);

	/* a key then a certificate: the certificate */
	test_read("cert/good/key-then-cert.pem", &b);
	ck_assert_int_eq(pki_cert_list_parse(b.data, b.len, "mixed", 5, &list, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(pki_cert_info(list[0], &a, &err), 0);
	ck_assert_str_eq(a.cn, "kubernetes");
	pki_x509info_free(&a);
	pki_cert_list_free(list, n);
	pki_buf_free(&b);
	pki_cert_list_free(NULL, 0);
}
END_TEST

/* A bad second certificate names its place. */
START_TEST(test_list_bad_second)
{
	static const char tail[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	struct pki_buf a = { 0 };
	struct pki_cert **list = NULL;
	struct pki_err err;
	size_t n = 0;

	pki_err_clear(&err);
	test_read("cert/good/leaf.pem", &a);
	/* a truncated body after a good block */
	ck_assert_int_eq(pki_buf_append(&a, tail, strlen(tail), &err), 0);
	ck_assert_int_eq(pki_cert_list_parse(a.data, a.len, "two", 4, &list, &n, &err), -1);
	ck_assert_str_eq(err.msg,
		"certificate 'two': certificate 2: malformed certificate (RFC 5280 4.1)");
	ck_assert_ptr_null(list);
	pki_buf_free(&a);
}
END_TEST

/* ---- signatures and keys ------------------------------------------------------------ */

static const struct {
	const char *cert, *issuer;
	const char *msg; /* NULL when it verifies */
} sigs[] = {
	{ "cert/good/leaf.pem", "cert/good/ca.pem", NULL },
	{ "cert/good/ca.pem", "cert/good/ca.pem", NULL },
	{ "cert/good/rsa-ca.pem", "cert/good/rsa-ca.pem", NULL },
	/* self-signed, but version 3 without basicConstraints: no CA */
	{ "cert/good/ed25519.pem", "cert/good/ed25519.pem",
		"certificate 'cert/good/ed25519.pem' is not signed by 'ed': 'ed' is not a CA "
		"(basicConstraints cA is not true, RFC 5280 4.2.1.9)" },
	{ "cert/good/v1-leaf.pem", "cert/good/v1-ca.pem", NULL },
	{ "cert/good/secp256k1.pem", "cert/good/ca.pem", NULL },
	{ "cert/bad/tampered-sig.pem", "cert/good/ca.pem",
		"certificate 'cert/bad/tampered-sig.pem' is not signed by 'kubernetes': the "
		"signature does not verify" },
	{ "cert/good/leaf.pem", "cert/good/rsa-ca.pem",
		"certificate 'cert/good/leaf.pem' is not signed by 'rsa-ca': its issuer "
		"'CN=kubernetes' is not the CA's subject 'CN=rsa-ca'" },
	{ "cert/good/ca.pem", "cert/good/leaf.pem",
		"certificate 'cert/good/ca.pem' is not signed by 'kube-apiserver': its issuer "
		"'CN=kubernetes' is not the CA's subject 'CN=kube-apiserver,O=org-b,O=org-a'" },
	{ "cert/bad/issued-by-leaf.pem", "cert/good/leaf.pem",
		"certificate 'cert/bad/issued-by-leaf.pem' is not signed by 'kube-apiserver': "
		"'kube-apiserver' is not a CA (basicConstraints cA is not true, RFC 5280 4.2.1.9)" },
	{ "cert/good/v1-ca.pem", "cert/good/v1-ca.pem", NULL },
	{ "cert/bad/ca-without-cert-sign.pem", "cert/bad/ca-without-cert-sign.pem",
		"certificate 'cert/bad/ca-without-cert-sign.pem' is not signed by 'no-cert-sign': "
		"the key usage of 'no-cert-sign' does not allow signing certificates (RFC 5280 "
		"4.2.1.3)" },
};

START_TEST(test_verify_signed_by)
{
	struct pki_cert *c = cert_fixture(sigs[_i].cert), *i = cert_fixture(sigs[_i].issuer);
	struct pki_err err;
	int r;

	pki_err_clear(&err);
	r = pki_cert_verify_signed_by(c, i, &err);
	if (sigs[_i].msg == NULL) {
		ck_assert_msg(r == 0, "%s", err.msg);
	} else {
		ck_assert_int_eq(r, -1);
		ck_assert_str_eq(err.msg, sigs[_i].msg);
		ck_assert_int_eq(err.code, PKI_E_INVALID);
	}
	pki_cert_free(c);
	pki_cert_free(i);
}
END_TEST

START_TEST(test_matches_key)
{
	struct pki_cert *leaf = cert_fixture("cert/good/leaf.pem");
	struct pki_cert *ca = cert_fixture("cert/good/ca.pem");
	struct pki_key *lk = key_fixture("cert/good/leaf.key");
	struct pki_key *ck = key_fixture("cert/good/key-then-cert.pem");
	struct pki_key *other = key_fixture("key/good/rsa2048.pem");
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_cert_matches_key(leaf, lk, &err), 1);
	ck_assert_int_eq(pki_cert_matches_key(leaf, ck, &err), 0);
	ck_assert_int_eq(pki_cert_matches_key(ca, ck, &err), 1);
	ck_assert_int_eq(pki_cert_matches_key(ca, lk, &err), 0);
	ck_assert_int_eq(pki_cert_matches_key(ca, other, &err), 0);
	pki_key_free(lk);
	pki_key_free(ck);
	pki_key_free(other);
	pki_cert_free(leaf);
	pki_cert_free(ca);
}
END_TEST

START_TEST(test_export_pem)
{
	struct pki_buf orig = { 0 }, pem = { 0 };
	struct pki_cert *c = cert_fixture("cert/good/leaf.der"), *c2 = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	test_read("cert/good/leaf.pem", &orig);
	ck_assert_int_eq(pki_cert_export_pem(c, &pem, &err), 0);
	/* the same bytes as the PEM that openssl-compatible tools write */
	ck_assert_uint_eq(pem.len, orig.len);
	ck_assert_mem_eq(pem.data, orig.data, pem.len);
	ck_assert_int_eq(pki_cert_parse(pem.data, pem.len, "again", &c2, &err), 0);
	pki_cert_free(c2);
	pki_buf_free(&pem);
	pki_buf_free(&orig);
	pki_cert_free(c);
}
END_TEST

START_TEST(test_load)
{
	struct pki_cert *c = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_cert_load(test_data("cert/good/ca.pem"), &c, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(pki_cert_is_ca(c), 1);
	pki_cert_free(c);
	c = NULL;
	ck_assert_int_eq(pki_cert_load(test_data("cert/good/absent.pem"), &c, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(pki_cert_load(test_data("cert/good"), &c, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_IO);
}
END_TEST

/* ---- mutations ------------------------------------------------------------------------ */

/* Parses and reads the facts of one input: either may fail, neither may crash. */
static int
try_cert(const unsigned char *p, size_t n)
{
	struct pki_cert **list = NULL;
	struct pki_x509info in;
	struct pki_buf pem = { 0 };
	struct pki_err err;
	size_t cnt = 0, i;
	int ok = 0;

	pki_err_clear(&err);
	if (pki_cert_list_parse(p, n, "mutant", 4, &list, &cnt, &err) != 0) {
		ck_assert_int_ne(err.code, PKI_OK);
		ck_assert_int_eq(strncmp(err.msg, "certificate 'mutant'", 20), 0);
		ck_assert_ptr_null(list);
		return 0;
	}
	for (i = 0; i < cnt; i++) {
		if (pki_cert_info(list[i], &in, &err) == 0) {
			ck_assert_ptr_nonnull(in.subject);
			ck_assert_ptr_nonnull(in.issuer);
			pki_x509info_free(&in);
			ok = 1;
		}
		if (pki_cert_export_pem(list[i], &pem, &err) == 0)
			pki_buf_free(&pem);
		if (pki_cert_verify_signed_by(list[i], list[0], &err) != 0)
			ck_assert_int_ne(err.code, PKI_OK);
	}
	pki_cert_list_free(list, cnt);
	return ok;
}

static const char *const mutant_files[] = { "cert/good/leaf.der", "cert/good/ed25519.pem",
	"cert/good/v1-ca.pem" };

START_TEST(test_bit_flips)
{
	struct pki_buf b = { 0 };
	unsigned char *m;
	size_t i, bit, ok = 0, total = 0;

	test_read(mutant_files[_i], &b);
	m = malloc(b.len);
	ck_assert_ptr_nonnull(m);
	for (i = 0; i < b.len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(m, b.data, b.len);
			m[i] ^= (unsigned char)(1u << bit);
			ok += (size_t)try_cert(m, b.len);
			total++;
		}
	}
	/* many flips break the parse; those in the signature do not */
	ck_assert_uint_lt(ok, total);
	ck_assert_uint_gt(ok, 0);
	free(m);
	pki_buf_free(&b);
}
END_TEST

START_TEST(test_truncations)
{
	struct pki_buf b = { 0 };
	unsigned char *m;
	size_t n;

	test_read(mutant_files[_i], &b);
	for (n = 0; n < b.len; n++) {
		/* exactly n bytes, so that a read past the end shows under ASan */
		m = malloc(n > 0 ? n : 1);
		ck_assert_ptr_nonnull(m);
		memcpy(m, b.data, n);
		/* a PEM cut inside its END line still holds the whole DER */
		if (n < b.len - 30)
			ck_assert_int_eq(try_cert(m, n), 0);
		else
			(void)try_cert(m, n);
		free(m);
	}
	pki_buf_free(&b);
}
END_TEST

static Suite *
cert_suite(void)
{
	Suite *s = suite_create("cert");
	TCase *tc = tcase_create("core");
	TCase *tm = tcase_create("mutations");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_ku_names);
	tcase_add_test(tc, test_eku_names);
	tcase_add_loop_test(tc, test_leaf_info, 0, 4);
	tcase_add_test(tc, test_ca_info);
	tcase_add_loop_test(tc, test_small_info, 0, (int)(sizeof(small) / sizeof(small[0])));
	tcase_add_test(tc, test_nul_cn);
	tcase_add_loop_test(tc, test_bad_info, 0, (int)(sizeof(bad_info) / sizeof(bad_info[0])));
	tcase_add_loop_test(tc, test_bad_parse, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_size_cap);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_list_bad_second);
	tcase_add_loop_test(tc, test_verify_signed_by, 0, (int)(sizeof(sigs) / sizeof(sigs[0])));
	tcase_add_test(tc, test_matches_key);
	tcase_add_test(tc, test_export_pem);
	tcase_add_test(tc, test_load);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tm, 300);
	tcase_add_loop_test(tm, test_bit_flips, 0, 3);
	tcase_add_loop_test(tm, test_truncations, 0, 3);
	suite_add_tcase(s, tm);
	return s;
}

int
main(void)
{
	return test_run(cert_suite());
}
