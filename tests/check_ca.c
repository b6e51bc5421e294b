/* check_ca.c — the kubeadm CAs: creation, CSRs for intermediates, import,
 * loading, and keys in a PKCS#11 token (SoftHSM2). */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs11.h>

#include <pki/ca.h>
#include <pki/cert.h>
#include <pki/csr.h>
#include <pki/key.h>
#include <pki/profile.h>

#include "internal.h"
#include "testutil.h"

/* 2026-01-01T00:00:00Z */
#define NOW ((time_t)1767225600)
#define TEN_YEARS ((int64_t)87600 * 3600)

/* ---- scaffolding ---------------------------------------------------------- */

static char *
mk_tmpdir(void)
{
	static char dir[4096];
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = P_tmpdir;
	ck_assert_int_lt(snprintf(dir, sizeof(dir), "%s/check_ca.XXXXXX", base),
		(int)sizeof(dir));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_rf(const char *dir)
{
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A listing of a tree ("path mode" lines, sorted by nftw order of a
 * fresh tree), to show that nothing changed. */
static char tree_buf[8192];
static size_t tree_root_len;

static int
tree_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	size_t l = strlen(tree_buf);

	(void)flag;
	(void)ftw;
	(void)snprintf(tree_buf + l, sizeof(tree_buf) - l, "%s %o %lld\n",
		path + tree_root_len, (unsigned)(st->st_mode & 07777), (long long)st->st_size);
	return 0;
}

static char *
tree(const char *dir)
{
	tree_buf[0] = '\0';
	tree_root_len = strlen(dir);
	ck_assert_int_eq(nftw(dir, tree_one, 16, FTW_PHYS), 0);
	return strdup(tree_buf);
}

static char *
path2(const char *dir, const char *rel)
{
	char *p = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_path_join(&p, dir, rel, &err), 0);
	return p;
}

static struct pki_profile_set *
load_set(void)
{
	struct pki_profile_set *set = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_profile_set_load("kubeadm-v1.29", &set, &err) == 0, "%s", err.msg);
	return set;
}

/* Copies a fixture to dir/rel with mode. */
static void
put(const char *fixture, const char *dir, const char *rel, mode_t mode)
{
	struct pki_buf b = { 0 };
	struct pki_err err;
	char *p = path2(dir, rel);

	pki_err_clear(&err);
	test_read(fixture, &b);
	ck_assert_msg(pki_file_write(p, b.data, b.len, mode, PKI_WRITE_MKDIRS, &err) == 0, "%s",
		err.msg);
	pki_buf_free(&b);
	free(p);
}

static mode_t
mode_of(const char *dir, const char *rel)
{
	struct stat st;
	char *p = path2(dir, rel);

	ck_assert_msg(lstat(p, &st) == 0, "%s: %s", p, strerror(errno));
	free(p);
	return st.st_mode & 07777;
}

static int
exists(const char *dir, const char *rel)
{
	struct stat st;
	char *p = path2(dir, rel);
	int r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static struct pki_cert *
load_cert(const char *dir, const char *rel)
{
	struct pki_cert *c = NULL;
	struct pki_err err;
	char *p = path2(dir, rel);

	pki_err_clear(&err);
	ck_assert_msg(pki_cert_load(p, &c, &err) == 0, "%s", err.msg);
	free(p);
	return c;
}

/* Hex SHA-1 of the subjectPublicKey bits, computed here independently of
 * ca.c: the SPKI's BIT STRING is its last element. */
static void
expected_ski(const struct pki_cert *cert, char out[41])
{
	gnutls_pubkey_t pub;
	gnutls_datum_t der = { NULL, 0 };
	unsigned char md[20];
	unsigned tag;
	size_t hl, cl, off, i;

	ck_assert_int_eq(gnutls_pubkey_init(&pub), 0);
	ck_assert_int_eq(gnutls_pubkey_import_x509(pub, pki_cert_gnutls(cert), 0), 0);
	ck_assert_int_eq(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der), 0);
	ck_assert_int_eq(pki_der_tlv(der.data, der.size, &tag, &hl, &cl), 0);
	off = hl;
	ck_assert_int_eq(pki_der_tlv(der.data + off, der.size - off, &tag, &hl, &cl), 0);
	off += hl + cl;
	ck_assert_int_eq(pki_der_tlv(der.data + off, der.size - off, &tag, &hl, &cl), 0);
	ck_assert_uint_eq(tag, 0x03);
	ck_assert_int_eq(gnutls_hash_fast(GNUTLS_DIG_SHA1, der.data + off + hl + 1, cl - 1, md),
		0);
	for (i = 0; i < 20; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", md[i]);
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pub);
}

/* Signs data with the CA's key and verifies it with the certificate's. */
static void
sign_and_verify(const struct pki_ca *ca)
{
	static const unsigned char msg[] = "kpki";
	gnutls_datum_t data = { (unsigned char *)msg, sizeof(msg) }, sig = { NULL, 0 };
	gnutls_pubkey_t pub;
	int algo;

	ck_assert_ptr_nonnull(pki_ca_privkey(ca));
	ck_assert_int_eq(gnutls_pubkey_init(&pub), 0);
	ck_assert_int_eq(gnutls_pubkey_import_x509(pub, pki_cert_gnutls(pki_ca_cert(ca)), 0),
		0);
	ck_assert_int_eq(gnutls_privkey_sign_data(pki_ca_privkey(ca), GNUTLS_DIG_SHA256, 0,
				 &data, &sig),
		0);
	algo = gnutls_pk_to_sign(gnutls_pubkey_get_pk_algorithm(pub, NULL), GNUTLS_DIG_SHA256);
	ck_assert_int_eq(gnutls_pubkey_verify_data2(pub, (gnutls_sign_algorithm_t)algo, 0, &data,
				 &sig),
		0);
	/* a flipped bit does not verify */
	sig.data[sig.size / 2] ^= 1;
	ck_assert_int_lt(gnutls_pubkey_verify_data2(pub, (gnutls_sign_algorithm_t)algo, 0, &data,
				 &sig),
		0);
	gnutls_free(sig.data);
	gnutls_pubkey_deinit(pub);
}

static void
init_files(const char *dir, const struct pki_profile_set *set, enum pki_key_type type)
{
	struct pki_ca_opts o = { dir, set, NULL, NULL };
	struct pki_names w = { 0 };
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_ca_init(&o, type, 0, NOW, &w, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(w.n, 6);
	pki_names_free(&w);
}

/* ---- creation ------------------------------------------------------------- */

static const struct {
	const char *name, *base, *cn;
} cas[] = {
	{ "ca", "ca", "kubernetes" },
	{ "etcd-ca", "etcd/ca", "etcd-ca" },
	{ "front-proxy-ca", "front-proxy-ca", "front-proxy-ca" },
};

START_TEST(test_init_files)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, NULL, NULL };
	struct pki_names w = { 0 };
	struct pki_err err;
	char *dir = mk_tmpdir(), *cadir = path2(dir, "pki"), rel[64];
	mode_t old;
	size_t i;

	pki_err_clear(&err);
	o.ca_dir = cadir;
	/* modes come from the library, not from a careless umask */
	old = umask(0);
	ck_assert_msg(pki_ca_init(&o, PKI_KEY_ECDSA_P256, 0, NOW, &w, &err) == 0, "%s",
		err.msg);
	umask(old);
	/* keys first, then the certificates, in the set's order */
	ck_assert_uint_eq(w.n, 6);
	for (i = 0; i < 3; i++) {
		char *k, *c;

		(void)snprintf(rel, sizeof(rel), "%s.key", cas[i].base);
		k = path2(cadir, rel);
		(void)snprintf(rel, sizeof(rel), "%s.crt", cas[i].base);
		c = path2(cadir, rel);
		ck_assert_str_eq(w.v[i], k);
		ck_assert_str_eq(w.v[3 + i], c);
		free(k);
		free(c);
		(void)snprintf(rel, sizeof(rel), "%s.key", cas[i].base);
		ck_assert_uint_eq(mode_of(cadir, rel), 0600);
		(void)snprintf(rel, sizeof(rel), "%s.crt", cas[i].base);
		ck_assert_uint_eq(mode_of(cadir, rel), 0644);
		(void)snprintf(rel, sizeof(rel), "%s.csr", cas[i].base);
		ck_assert(!exists(cadir, rel));
	}
	ck_assert_uint_eq(mode_of(cadir, "etcd"), 0755);
	/* no temporary files left behind */
	{
		char *t = tree(cadir);

		ck_assert_ptr_null(strstr(t, ".tmp-"));
		free(t);
	}
	pki_names_free(&w);
	pki_profile_set_free(set);
	rm_rf(dir);
	free(cadir);
}
END_TEST

/* kubeadm's NewSelfSignedCACert (reference section 2) plus an SKI, for each
 * key type a CA may have. */
static const struct {
	enum pki_key_type type;
	const char *algo, *curve, *sig;
	unsigned bits;
	int64_t validity; /* 0: the profile's */
} kinds[] = {
	{ PKI_KEY_RSA2048, "RSA", "", "RSA-SHA256", 2048, 0 },
	{ PKI_KEY_ECDSA_P256, "ECDSA", "P-256", "ECDSA-SHA256", 256, 0 },
	{ PKI_KEY_ECDSA_P384, "ECDSA", "P-384", "ECDSA-SHA384", 384, 0 },
	{ PKI_KEY_ECDSA_P256, "ECDSA", "P-256", "ECDSA-SHA256", 256, 3600 },
};

START_TEST(test_init_extensions)
{
	static const char *const oids[] = { "2.5.29.17", "2.5.29.15", "2.5.29.19",
		"2.5.29.14" };
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, NULL, NULL };
	struct pki_names w = { 0 };
	struct pki_err err;
	char *dir = mk_tmpdir(), rel[64], subject[64], ski[41];
	int64_t validity = kinds[_i].validity ? kinds[_i].validity : TEN_YEARS;
	size_t i, j;

	pki_err_clear(&err);
	o.ca_dir = dir;
	ck_assert_msg(pki_ca_init(&o, kinds[_i].type, kinds[_i].validity, NOW, &w, &err) == 0,
		"%s", err.msg);
	for (i = 0; i < 3; i++) {
		struct pki_x509info info;
		struct pki_cert *c;
		struct pki_key *k = NULL;
		char *kp;

		(void)snprintf(rel, sizeof(rel), "%s.crt", cas[i].base);
		c = load_cert(dir, rel);
		ck_assert_msg(pki_cert_info(c, &info, &err) == 0, "%s", err.msg);
		(void)snprintf(subject, sizeof(subject), "CN=%s", cas[i].cn);
		ck_assert_str_eq(info.subject, subject);
		ck_assert_str_eq(info.issuer, subject);
		ck_assert_uint_eq(info.cn_count, 1);
		ck_assert_uint_eq(info.other_attrs, 0);
		ck_assert_uint_eq(info.org.n, 0);
		/* a DNS SAN equal to the CN, nothing else */
		ck_assert_uint_eq(info.dns.n, 1);
		ck_assert_str_eq(info.dns.v[0], cas[i].cn);
		ck_assert_uint_eq(info.ip.n, 0);
		ck_assert_uint_eq(info.other_san.n, 0);
		/* DER 02 A4, critical */
		ck_assert(info.has_ku && info.ku_critical);
		ck_assert_uint_eq(info.ku, PKI_KU_DIGITAL_SIGNATURE | PKI_KU_KEY_ENCIPHERMENT |
				PKI_KU_KEY_CERT_SIGN);
		ck_assert(info.has_bc && info.bc_critical && info.is_ca);
		ck_assert_int_eq(info.pathlen, -1);
		ck_assert_uint_eq(info.eku.n, 0);
		/* SKI by RFC 5280 method (1), as Go; no AKI on a self-signed CA */
		expected_ski(c, ski);
		ck_assert_str_eq(info.ski, ski);
		ck_assert_str_eq(info.aki, "");
		ck_assert_uint_eq(info.ext_oids.n, PKI_ARRAY_LEN(oids));
		for (j = 0; j < PKI_ARRAY_LEN(oids); j++)
			ck_assert_msg(pki_names_contains(&info.ext_oids, oids[j]), "no %s",
				oids[j]);
		/* 16 positive octets */
		ck_assert_uint_eq(strlen(info.serial), 32);
		ck_assert(strchr("01234567", info.serial[0]) != NULL);
		ck_assert_str_ne(info.serial, "00000000000000000000000000000000");
		ck_assert_int_eq((long long)info.not_before, (long long)NOW - 300);
		ck_assert_int_eq((long long)info.not_after, (long long)NOW + validity);
		ck_assert_str_eq(info.key.algo, kinds[_i].algo);
		ck_assert_str_eq(info.key.curve, kinds[_i].curve);
		ck_assert_uint_eq(info.key.bits, kinds[_i].bits);
		ck_assert_str_eq(info.sig_algo, kinds[_i].sig);
		ck_assert(info.self_signature_ok);
		/* the key file is the certificate's, in kubeadm's PEM form */
		(void)snprintf(rel, sizeof(rel), "%s.key", cas[i].base);
		kp = path2(dir, rel);
		ck_assert_msg(pki_key_load(kp, &k, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(pki_cert_matches_key(c, k, &err), 1);
		{
			struct pki_buf b = { 0 };

			ck_assert_int_eq(pki_file_read(kp, "key", PKI_CAP_KEY, PKI_READ_SECRET, &b,
						 &err),
				0);
			ck_assert_ptr_nonnull(strstr((char *)b.data,
				kinds[_i].type == PKI_KEY_RSA2048 ? "-----BEGIN RSA PRIVATE KEY-----" :
								    "-----BEGIN EC PRIVATE KEY-----"));
			pki_buf_free(&b);
		}
		free(kp);
		pki_key_free(k);
		pki_x509info_free(&info);
		pki_cert_free(c);
	}
	pki_names_free(&w);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

/* Serials differ between CAs and runs. */
START_TEST(test_init_serials)
{
	struct pki_profile_set *set = load_set();
	struct pki_x509info a, b;
	struct pki_cert *ca, *fp;
	struct pki_err err;
	char *dir = mk_tmpdir();

	pki_err_clear(&err);
	init_files(dir, set, PKI_KEY_ECDSA_P256);
	ca = load_cert(dir, "ca.crt");
	fp = load_cert(dir, "front-proxy-ca.crt");
	ck_assert_int_eq(pki_cert_info(ca, &a, &err), 0);
	ck_assert_int_eq(pki_cert_info(fp, &b, &err), 0);
	ck_assert_str_ne(a.serial, b.serial);
	ck_assert_str_ne(a.ski, b.ski);
	pki_x509info_free(&a);
	pki_x509info_free(&b);
	pki_cert_free(ca);
	pki_cert_free(fp);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

/* Any existing file of any CA: refused before anything is written. */
static const char *const existing[] = {
	"ca.crt", "ca.key", "ca.csr",
	"etcd/ca.crt", "etcd/ca.key", "etcd/ca.csr",
	"front-proxy-ca.crt", "front-proxy-ca.key", "front-proxy-ca.csr",
};

START_TEST(test_init_refuses_existing)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, NULL, NULL };
	struct pki_names w = { 0 };
	struct pki_err err;
	char *dir = mk_tmpdir(), *before, *after, want[128];
	int csr;

	pki_err_clear(&err);
	o.ca_dir = dir;
	put("ca/good/root.crt", dir, existing[_i], 0600);
	before = tree(dir);
	for (csr = 0; csr < 2; csr++) {
		int r = csr ? pki_ca_init_csr(&o, PKI_KEY_ECDSA_P256, NOW, &w, &err) :
			      pki_ca_init(&o, PKI_KEY_ECDSA_P256, 0, NOW, &w, &err);

		ck_assert_int_eq(r, -1);
		ck_assert_int_eq(err.code, PKI_E_EXISTS);
		(void)snprintf(want, sizeof(want), "%s/%s' already exists; an existing CA is never "
			"overwritten", dir, existing[_i]);
		ck_assert_msg(strstr(err.msg, want) != NULL, "%s", err.msg);
		ck_assert_uint_eq(w.n, 0);
		after = tree(dir);
		ck_assert_str_eq(after, before);
		free(after);
	}
	free(before);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

/* A failure half-way takes back what the call wrote: "etcd" is a dangling
 * symbolic link, which passes the up-front checks (etcd/ca.key does not
 * exist) but cannot be written through, after ca.key and ca.crt were. */
START_TEST(test_init_undo)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, NULL, NULL };
	struct pki_names w = { 0 };
	struct pki_err err;
	char *dir = mk_tmpdir(), *e = path2(dir, "etcd"), *before, *after;

	pki_err_clear(&err);
	o.ca_dir = dir;
	ck_assert_int_eq(symlink("missing", e), 0);
	before = tree(dir);
	ck_assert_int_eq(pki_ca_init(&o, PKI_KEY_ECDSA_P256, 0, NOW, &w, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_IO);
	ck_assert_msg(strncmp(err.msg, "CA 'etcd-ca': '", 15) == 0, "%s", err.msg);
	ck_assert_uint_eq(w.n, 0);
	/* ca.key and ca.crt, made first, are gone again */
	after = tree(dir);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	free(e);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

START_TEST(test_init_bad_args)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, NULL, NULL };
	struct pki_names w = { 0 };
	struct pki_err err;
	char *dir = mk_tmpdir(), *t, *before;

	pki_err_clear(&err);
	o.ca_dir = dir;
	before = tree(dir);
	ck_assert_int_eq(pki_ca_init(&o, PKI_KEY_ED25519, 0, NOW, &w, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_str_eq(err.msg, "key type 'ed25519': not allowed for a CA (rsa2048, rsa3072, "
				  "rsa4096, ecdsa-p256 or ecdsa-p384)");
	ck_assert_int_eq(pki_ca_init(&o, PKI_KEY_ECDSA_P256, -1, NOW, &w, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_USAGE);
	ck_assert_int_eq(pki_ca_init(&o, PKI_KEY_ECDSA_P256, INT64_MAX / 2, NOW, &w, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "past the year 9999"));
	o.key_uri = "file:token=kpki";
	ck_assert_int_eq(pki_ca_init(&o, PKI_KEY_ECDSA_P256, 0, NOW, &w, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_USAGE);
	ck_assert_str_eq(err.msg,
		"key URI 'file:token=kpki': not a PKCS#11 URI (RFC 7512: pkcs11:token=...)");
	o.key_uri = "pkcs11:token=kpki;object=ca";
	ck_assert_int_eq(pki_ca_init(&o, PKI_KEY_ECDSA_P256, 0, NOW, &w, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_USAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "names an object"));
	ck_assert_uint_eq(w.n, 0);
	t = tree(dir);
	ck_assert_str_eq(t, before);
	free(t);
	free(before);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

/* ---- CSRs for intermediates and their import ---------------------------- */

START_TEST(test_init_csr)
{
	static const char *const oids[] = { "2.5.29.17", "2.5.29.19", "2.5.29.15" };
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, NULL, NULL };
	struct pki_names w = { 0 };
	struct pki_err err;
	char *dir = mk_tmpdir(), rel[64], subject[64];
	size_t i, j;

	pki_err_clear(&err);
	o.ca_dir = dir;
	ck_assert_msg(pki_ca_init_csr(&o, PKI_KEY_ECDSA_P384, NOW, &w, &err) == 0, "%s",
		err.msg);
	ck_assert_uint_eq(w.n, 6);
	for (i = 0; i < 3; i++) {
		struct pki_x509info info;
		struct pki_buf b = { 0 };
		struct pki_csr *csr = NULL;
		struct pki_key *k = NULL;
		char *kp;

		(void)snprintf(rel, sizeof(rel), "%s.crt", cas[i].base);
		ck_assert(!exists(dir, rel));
		(void)snprintf(rel, sizeof(rel), "%s.key", cas[i].base);
		ck_assert_uint_eq(mode_of(dir, rel), 0600);
		kp = path2(dir, rel);
		ck_assert_int_eq(pki_key_load(kp, &k, &err), 0);
		(void)snprintf(rel, sizeof(rel), "%s.csr", cas[i].base);
		ck_assert_uint_eq(mode_of(dir, rel), 0644);
		free(kp);
		kp = path2(dir, rel);
		ck_assert_int_eq(pki_file_read(kp, "csr", PKI_CAP_CSR, 0, &b, &err), 0);
		ck_assert_msg(pki_csr_parse(b.data, b.len, kp, &csr, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(pki_csr_matches_key(csr, k, &err), 1);
		ck_assert_int_eq(pki_csr_info(csr, &info, &err), 0);
		(void)snprintf(subject, sizeof(subject), "CN=%s", cas[i].cn);
		ck_assert_str_eq(info.subject, subject);
		ck_assert(info.self_signature_ok);
		ck_assert(info.has_bc && info.bc_critical && info.is_ca);
		ck_assert_int_eq(info.pathlen, -1);
		ck_assert(info.has_ku && info.ku_critical);
		ck_assert_uint_eq(info.ku, PKI_KU_DIGITAL_SIGNATURE | PKI_KU_KEY_ENCIPHERMENT |
				PKI_KU_KEY_CERT_SIGN);
		ck_assert_uint_eq(info.dns.n, 1);
		ck_assert_str_eq(info.dns.v[0], cas[i].cn);
		ck_assert_uint_eq(info.ext_oids.n, PKI_ARRAY_LEN(oids));
		for (j = 0; j < PKI_ARRAY_LEN(oids); j++)
			ck_assert(pki_names_contains(&info.ext_oids, oids[j]));
		ck_assert_str_eq(info.sig_algo, "ECDSA-SHA384");
		pki_x509info_free(&info);
		pki_csr_free(csr);
		pki_key_free(k);
		pki_buf_free(&b);
		free(kp);
	}
	pki_names_free(&w);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

/* The whole flow with openssl as the organisation's root: init_csr, the
 * root signs the CSRs as intermediates, import, load. */
START_TEST(test_csr_openssl_import)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, NULL, NULL };
	struct pki_names w = { 0 };
	struct pki_err err;
	struct pki_ca *ca = NULL;
	char *dir = mk_tmpdir(), cmd[8192], rel[64], *ext;
	FILE *f;
	size_t i;

	pki_err_clear(&err);
	o.ca_dir = dir;
	ck_assert_msg(pki_ca_init_csr(&o, PKI_KEY_ECDSA_P256, NOW, &w, &err) == 0, "%s",
		err.msg);
	put("ca/good/root.key", dir, "root/root.key", 0600);
	put("ca/good/root.crt", dir, "root/root.crt", 0644);
	ext = path2(dir, "root/ext");
	f = fopen(ext, "w");
	ck_assert_ptr_nonnull(f);
	fputs("basicConstraints=critical,CA:TRUE\n"
	      "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign\n"
	      "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
		f);
	ck_assert_int_eq(fclose(f), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_lt(snprintf(cmd, sizeof(cmd),
					 "openssl x509 -req -in '%s/%s.csr' -CA '%s/root/root.crt' "
					 "-CAkey '%s/root/root.key' -set_serial 0x1234%zu -days 365 "
					 "-extfile '%s' -out '%s/root/%zu.crt' 2>/dev/null && "
					 "cat '%s/root/root.crt' >>'%s/root/%zu.crt'",
					 dir, cas[i].base, dir, dir, i, ext, dir, i, dir, dir, i),
			(int)sizeof(cmd));
		ck_assert_msg(system(cmd) == 0, "openssl failed: %s", cmd);
		(void)snprintf(rel, sizeof(rel), "root/%zu.crt", i);
		{
			char *in = path2(dir, rel);

			ck_assert_msg(pki_ca_import(&o, cas[i].name, in, &err) == 0, "%s",
				err.msg);
			/* never twice */
			ck_assert_int_eq(pki_ca_import(&o, cas[i].name, in, &err), -1);
			ck_assert_int_eq(err.code, PKI_E_EXISTS);
			free(in);
		}
		(void)snprintf(rel, sizeof(rel), "%s.csr", cas[i].base);
		ck_assert(!exists(dir, rel));
		(void)snprintf(rel, sizeof(rel), "%s.crt", cas[i].base);
		ck_assert_uint_eq(mode_of(dir, rel), 0644);
		ck_assert_msg(pki_ca_load(&o, cas[i].name, &ca, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(pki_ca_chain_count(ca), 1);
		ck_assert_ptr_nonnull(pki_ca_chain_at(ca, 0));
		ck_assert_ptr_null(pki_ca_chain_at(ca, 1));
		ck_assert_int_eq(pki_cert_verify_signed_by(pki_ca_cert(ca), pki_ca_chain_at(ca, 0),
					 &err),
			0);
		ck_assert_str_eq(pki_profile_name(pki_ca_profile(ca)), cas[i].name);
		sign_and_verify(ca);
		pki_ca_free(ca);
		ca = NULL;
	}
	free(ext);
	pki_names_free(&w);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

/* A staged key (as init_csr leaves it) and fixtures made by openssl. */
static const struct {
	const char *file;
	size_t chain; /* certificates after the CA's own */
} import_good[] = {
	{ "ca/good/chain1.pem", 1 },
	{ "ca/good/chain2.pem", 2 },
	{ "ca/good/chain2-noroot.pem", 1 },
};

START_TEST(test_import_good)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, NULL, NULL };
	struct pki_err err;
	struct pki_ca *ca = NULL;
	struct pki_buf in = { 0 }, out = { 0 };
	char *dir = mk_tmpdir(), *crt;

	pki_err_clear(&err);
	o.ca_dir = dir;
	put("ca/good/staged.key", dir, "ca.key", 0600);
	put("ca/good/root.crt", dir, "ca.csr", 0644); /* stands for the request */
	ck_assert_msg(pki_ca_import(&o, "ca", test_data(import_good[_i].file), &err) == 0, "%s",
		err.msg);
	ck_assert(!exists(dir, "ca.csr"));
	ck_assert_uint_eq(mode_of(dir, "ca.crt"), 0644);
	/* the file installed is the input, re-encoded the same way */
	test_read(import_good[_i].file, &in);
	crt = path2(dir, "ca.crt");
	ck_assert_int_eq(pki_file_read(crt, "x", PKI_CAP_CERT, 0, &out, &err), 0);
	ck_assert_uint_eq(out.len, in.len);
	ck_assert_mem_eq(out.data, in.data, in.len);
	ck_assert_msg(pki_ca_load(&o, "ca", &ca, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(pki_ca_chain_count(ca), import_good[_i].chain);
	sign_and_verify(ca);
	pki_ca_free(ca);
	pki_buf_free(&in);
	pki_buf_free(&out);
	free(crt);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

static const struct {
	const char *file, *name;
	enum pki_errcode code;
	const char *msg; /* after "CA '<name>': " */
} import_bad[] = {
	{ "ca/bad/wrong-key.pem", "ca", PKI_E_INVALID, "does not belong to the staged key" },
	{ "ca/bad/not-ca.pem", "ca", PKI_E_INVALID,
		"not a CA certificate (basicConstraints cA is not true, RFC 5280 4.2.1.9)" },
	{ "ca/bad/no-cert-sign.pem", "ca", PKI_E_INVALID,
		"key usage does not allow signing certificates (keyCertSign, RFC 5280 "
		"4.2.1.3)" },
	{ "ca/bad/wrong-cn.pem", "ca", PKI_E_INVALID,
		"subject 'CN=etcd-ca' is not the profile's (CN 'kubernetes')" },
	{ "ca/bad/broken-chain.pem", "ca", PKI_E_INVALID, "chain link 1:" },
	{ "ca/bad/missing-link.pem", "ca", PKI_E_INVALID, "chain link 1:" },
	{ "ca/bad/no-chain.pem", "ca", PKI_E_INVALID, "the chain is missing" },
	{ "ca/bad/reversed.pem", "ca", PKI_E_INVALID, "does not belong to the staged key" },
	{ "ca/bad/key-not-cert.pem", "ca", PKI_E_INVALID, "is a private key, not a certificate" },
	{ "ca/bad/truncated.pem", "ca", PKI_E_PARSE, "" },
	{ "ca/bad/garbage.pem", "ca", PKI_E_PARSE, "not a PEM or DER certificate" },
	{ "ca/bad/absent.pem", "ca", PKI_E_NOTFOUND, "cannot open" },
	/* the right certificate for the wrong CA: etcd-ca's staged key differs */
	{ "ca/good/chain1.pem", "etcd-ca", PKI_E_INVALID, "does not belong to the staged key" },
	{ "ca/good/chain1.pem", "apiserver", PKI_E_INVALID, "profile is not a CA (kind ca)" },
	{ "ca/good/chain1.pem", "nope", PKI_E_NOTFOUND, "no such profile" },
};

START_TEST(test_import_bad)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, NULL, NULL };
	struct pki_err err;
	char *dir = mk_tmpdir(), *before, *after, prefix[64];

	pki_err_clear(&err);
	o.ca_dir = dir;
	put("ca/good/staged.key", dir, "ca.key", 0600);
	put("ca/good/root.crt", dir, "ca.csr", 0644);
	put("ca/good/org-inter.key", dir, "etcd/ca.key", 0600);
	before = tree(dir);
	ck_assert_int_eq(pki_ca_import(&o, import_bad[_i].name, test_data(import_bad[_i].file),
				 &err),
		-1);
	ck_assert_msg(err.code == import_bad[_i].code, "%d: %s", err.code, err.msg);
	(void)snprintf(prefix, sizeof(prefix), "CA '%s': ", import_bad[_i].name);
	ck_assert_msg(strncmp(err.msg, prefix, strlen(prefix)) == 0, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, import_bad[_i].msg) != NULL, "%s", err.msg);
	/* nothing written, the request kept */
	after = tree(dir);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

START_TEST(test_import_no_staged_key)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, NULL, NULL };
	struct pki_err err;
	char *dir = mk_tmpdir();

	pki_err_clear(&err);
	o.ca_dir = dir;
	ck_assert_int_eq(pki_ca_import(&o, "ca", test_data("ca/good/chain1.pem"), &err), -1);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
	ck_assert(!exists(dir, "ca.crt"));
	/* a group-readable staged key is refused too */
	put("ca/good/staged.key", dir, "ca.key", 0640);
	ck_assert_int_eq(pki_ca_import(&o, "ca", test_data("ca/good/chain1.pem"), &err), -1);
	ck_assert_int_eq(err.code, PKI_E_PERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "chmod 600"));
	ck_assert(!exists(dir, "ca.crt"));
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

/* ---- loading -------------------------------------------------------------- */

START_TEST(test_load_good)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, NULL, NULL };
	struct pki_x509info info;
	struct pki_err err;
	struct pki_ca *ca = NULL;
	char *dir = mk_tmpdir();
	size_t i;

	pki_err_clear(&err);
	o.ca_dir = dir;
	init_files(dir, set, PKI_KEY_ECDSA_P256);
	for (i = 0; i < 3; i++) {
		ck_assert_msg(pki_ca_load(&o, cas[i].name, &ca, &err) == 0, "%s", err.msg);
		ck_assert_str_eq(pki_profile_name(pki_ca_profile(ca)), cas[i].name);
		ck_assert_uint_eq(pki_ca_chain_count(ca), 0);
		ck_assert_ptr_null(pki_ca_chain_at(ca, 0));
		ck_assert_int_eq(pki_cert_info(pki_ca_cert(ca), &info, &err), 0);
		ck_assert_str_eq(info.cn, cas[i].cn);
		pki_x509info_free(&info);
		sign_and_verify(ca);
		pki_ca_free(ca);
		ca = NULL;
	}
	pki_ca_free(NULL);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

/* What goes wrong in a CA directory, made from a good one. */
enum damage {
	D_SWAP_KEY,	/* etcd-ca's key where ca's goes */
	D_GROUP_READ,	/* ca.key 0640 */
	D_OTHER_READ,	/* ca.key 0604 */
	D_SYMLINK,	/* ca.key a symlink to the real key */
	D_NO_KEY,
	D_NO_CRT,
	D_CRT_NOT_CA,	/* a leaf certificate in ca.crt */
	D_CRT_GARBAGE,
	D_BAD_CHAIN,	/* ca.crt followed by an unrelated root */
	D_NOT_CA_NAME,
	D_UNKNOWN_NAME,
	D_PIN_NONE,	/* a token but no PIN anywhere */
};

static const struct {
	enum damage d;
	enum pki_errcode code;
	const char *msg;
} load_bad[] = {
	{ D_SWAP_KEY, PKI_E_INVALID, "ca.key' does not belong to certificate '" },
	{ D_GROUP_READ, PKI_E_PERM,
		"ca.key': mode 0640 lets group or others access a private key; fix with: "
		"chmod 600 '" },
	{ D_OTHER_READ, PKI_E_PERM, "mode 0604 lets group or others access a private key" },
	{ D_SYMLINK, PKI_E_IO, "ca.key': is a symbolic link (refused)" },
	{ D_NO_KEY, PKI_E_NOTFOUND, "ca.key': cannot open" },
	{ D_NO_CRT, PKI_E_NOTFOUND, "ca.crt': cannot open" },
	{ D_CRT_NOT_CA, PKI_E_INVALID, "not a CA certificate" },
	{ D_CRT_GARBAGE, PKI_E_PARSE, "not a PEM or DER certificate" },
	{ D_BAD_CHAIN, PKI_E_INVALID, "chain link 1:" },
	{ D_NOT_CA_NAME, PKI_E_INVALID, "CA 'apiserver': profile is not a CA (kind ca)" },
	{ D_UNKNOWN_NAME, PKI_E_NOTFOUND, "CA 'nope': no such profile in set 'kubeadm-v1.29'" },
	{ D_PIN_NONE, PKI_E_USAGE,
		"token: no PIN given (a PIN file, or the environment variable KPKI_PKCS11_PIN)" },
};

START_TEST(test_load_bad)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, NULL, NULL };
	struct pki_err err;
	struct pki_ca *ca = (struct pki_ca *)&err; /* set to NULL on entry */
	const char *name = "ca";
	char *dir = mk_tmpdir(), *k = NULL, *e = NULL;

	pki_err_clear(&err);
	o.ca_dir = dir;
	init_files(dir, set, PKI_KEY_ECDSA_P256);
	k = path2(dir, "ca.key");
	e = path2(dir, "etcd/ca.key");
	switch (load_bad[_i].d) {
	case D_SWAP_KEY: ck_assert_int_eq(rename(e, k), 0); break;
	case D_GROUP_READ: ck_assert_int_eq(chmod(k, 0640), 0); break;
	case D_OTHER_READ: ck_assert_int_eq(chmod(k, 0604), 0); break;
	case D_SYMLINK: {
		char *real = path2(dir, "real.key");

		ck_assert_int_eq(rename(k, real), 0);
		ck_assert_int_eq(symlink("real.key", k), 0);
		free(real);
		break;
	}
	case D_NO_KEY: ck_assert_int_eq(unlink(k), 0); break;
	case D_NO_CRT: {
		char *c = path2(dir, "ca.crt");

		ck_assert_int_eq(unlink(c), 0);
		free(c);
		break;
	}
	case D_CRT_NOT_CA:
		put("ca/bad/not-ca.pem", dir, "ca.crt", 0644);
		put("ca/good/staged.key", dir, "ca.key", 0600);
		break;
	case D_CRT_GARBAGE: put("ca/bad/garbage.pem", dir, "ca.crt", 0644); break;
	case D_BAD_CHAIN:
		put("ca/bad/broken-chain.pem", dir, "ca.crt", 0644);
		put("ca/good/staged.key", dir, "ca.key", 0600);
		break;
	case D_NOT_CA_NAME: name = "apiserver"; break;
	case D_UNKNOWN_NAME: name = "nope"; break;
	case D_PIN_NONE:
		unsetenv("KPKI_PKCS11_PIN");
		o.key_uri = "pkcs11:token=kpki-absent";
		break;
	}
	ck_assert_int_eq(pki_ca_load(&o, name, &ca, &err), -1);
	ck_assert_ptr_null(ca);
	ck_assert_msg(err.code == load_bad[_i].code, "%d: %s", err.code, err.msg);
	ck_assert_msg(strstr(err.msg, load_bad[_i].msg) != NULL, "%s", err.msg);
	free(k);
	free(e);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

/* ---- PKCS#11: SoftHSM2 as a real token ------------------------------------ */

#define SOFTHSM_MODULE "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"

/* A fresh token "kpki" (user PIN 1234) in dir; 0 when SoftHSM2 is missing. */
static int
token_setup(const char *dir)
{
	char conf[4096], cmd[8192];
	FILE *f;

	if (system("command -v softhsm2-util >/dev/null 2>&1") != 0)
		return 0;
	ck_assert_int_lt(snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir),
		(int)sizeof(conf));
	ck_assert_int_lt(snprintf(cmd, sizeof(cmd), "%s/tokens", dir), (int)sizeof(cmd));
	ck_assert_int_eq(mkdir(cmd, 0700), 0);
	f = fopen(conf, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
		   "log.level = ERROR\n", dir);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(setenv("SOFTHSM2_CONF", conf, 1), 0);
	ck_assert_int_eq(system("softhsm2-util --init-token --free --label kpki --pin 1234 "
				"--so-pin 5678 >/dev/null"),
		0);
	return 1;
}

static char *
pin_file(const char *dir, const char *pin, mode_t mode)
{
	struct pki_err err;
	char *p = path2(dir, "pin");

	pki_err_clear(&err);
	(void)unlink(p);
	ck_assert_int_eq(pki_file_write(p, pin, strlen(pin), mode, 0, &err), 0);
	return p;
}

static int
pin_1234(void *userdata, int attempt, const char *token_url, const char *token_label,
	unsigned flags, char *pin, size_t pin_max)
{
	(void)userdata;
	(void)token_url;
	(void)token_label;
	(void)flags;
	if (attempt > 0 || pin_max < 5)
		return -1;
	memcpy(pin, "1234", 5);
	return 0;
}

/* The token object's flags: sensitive, private, not extractable. */
static void
assert_not_extractable(const char *label)
{
	gnutls_pkcs11_obj_t obj;
	char url[256];
	unsigned flags = 0;

	(void)snprintf(url, sizeof(url), "pkcs11:token=kpki;object=%s;type=private", label);
	ck_assert_int_eq(gnutls_pkcs11_obj_init(&obj), 0);
	gnutls_pkcs11_obj_set_pin_function(obj, pin_1234, NULL);
	ck_assert_int_eq(gnutls_pkcs11_obj_import_url(obj, url, GNUTLS_PKCS11_OBJ_FLAG_LOGIN), 0);
	ck_assert_int_eq(gnutls_pkcs11_obj_get_flags(obj, &flags), 0);
	ck_assert_msg(flags & GNUTLS_PKCS11_OBJ_FLAG_MARK_SENSITIVE, "%s: not sensitive", label);
	ck_assert_msg(flags & GNUTLS_PKCS11_OBJ_FLAG_MARK_PRIVATE, "%s: not private", label);
	ck_assert_msg(!(flags & GNUTLS_PKCS11_OBJ_FLAG_MARK_EXTRACTABLE), "%s: extractable",
		label);
	gnutls_pkcs11_obj_deinit(obj);
}

START_TEST(test_token_ca)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, "pkcs11:token=kpki", NULL };
	struct pki_names w = { 0 };
	struct pki_err err;
	struct pki_ca *ca = NULL;
	gnutls_x509_privkey_t x = NULL;
	char *dir = mk_tmpdir(), *cadir = path2(dir, "pki"), *before, *after;
	size_t i;

	pki_err_clear(&err);
	if (!token_setup(dir)) {
		rm_rf(dir);
		free(cadir);
		pki_profile_set_free(set);
		return; /* SoftHSM2 is not installed: nothing to test against */
	}
	o.ca_dir = cadir;
	o.pin_file = pin_file(dir, "1234\n", 0600);
	ck_assert_msg(pki_ca_init(&o, PKI_KEY_RSA2048, 0, NOW, &w, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(w.n, 6);
	ck_assert_str_eq(w.v[0], "pkcs11:token=kpki;object=ca;type=private");
	ck_assert_str_eq(w.v[1], "pkcs11:token=kpki;object=etcd-ca;type=private");
	ck_assert_str_eq(w.v[2], "pkcs11:token=kpki;object=front-proxy-ca;type=private");
	/* no key files: the keys live in the token */
	ck_assert(!exists(cadir, "ca.key"));
	ck_assert(!exists(cadir, "etcd/ca.key"));
	ck_assert_uint_eq(mode_of(cadir, "ca.crt"), 0644);
	for (i = 0; i < 3; i++) {
		ck_assert_msg(pki_ca_load(&o, cas[i].name, &ca, &err) == 0, "%s", err.msg);
		sign_and_verify(ca);
		/* sensitive and not extractable: GnuTLS cannot export it */
		ck_assert_int_eq(gnutls_privkey_get_type(pki_ca_privkey(ca)),
			GNUTLS_PRIVKEY_PKCS11);
		ck_assert_int_lt(gnutls_privkey_export_x509(pki_ca_privkey(ca), &x), 0);
		assert_not_extractable(cas[i].name);
		pki_ca_free(ca);
		ca = NULL;
	}
	/* a second init finds the token objects and writes nothing */
	{
		char *c = path2(cadir, "ca.crt");

		ck_assert_int_eq(unlink(c), 0);
		free(c);
		c = path2(cadir, "etcd");
		rm_rf(c);
		free(c);
		c = path2(cadir, "front-proxy-ca.crt");
		ck_assert_int_eq(unlink(c), 0);
		free(c);
	}
	before = tree(dir);
	pki_names_free(&w);
	ck_assert_int_eq(pki_ca_init(&o, PKI_KEY_RSA2048, 0, NOW, &w, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	ck_assert_str_eq(err.msg, "CA 'ca': token object 'pkcs11:token=kpki;object=ca' already "
				  "exists; an existing CA is never overwritten");
	after = tree(dir);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	free((char *)o.pin_file);
	free(cadir);
	pki_names_free(&w);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

/* PIN handling and the token's errors. */
enum tok_case { T_WRONG_PIN, T_PIN_GROUP, T_PIN_ENV, T_PIN_EMPTY, T_NO_TOKEN, T_MODULE,
	T_BAD_MODULE };

START_TEST(test_token_errors)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, "pkcs11:token=kpki", NULL };
	struct pki_names w = { 0 };
	struct pki_err err;
	char *dir = mk_tmpdir(), *cadir = path2(dir, "pki"), *pin = NULL;
	int want = -1;
	enum pki_errcode code = PKI_OK;
	const char *msg = NULL;

	pki_err_clear(&err);
	if (!token_setup(dir)) {
		rm_rf(dir);
		free(cadir);
		pki_profile_set_free(set);
		return;
	}
	o.ca_dir = cadir;
	unsetenv("KPKI_PKCS11_PIN");
	switch ((enum tok_case)_i) {
	case T_WRONG_PIN:
		pin = pin_file(dir, "4321\n", 0600);
		code = PKI_E_PERM;
		msg = "the PIN was refused";
		break;
	case T_PIN_GROUP:
		pin = pin_file(dir, "1234\n", 0640);
		code = PKI_E_PERM;
		msg = "pin': mode 0640 lets group or others access";
		break;
	case T_PIN_ENV:
		ck_assert_int_eq(setenv("KPKI_PKCS11_PIN", "1234", 1), 0);
		want = 0;
		break;
	case T_PIN_EMPTY:
		pin = pin_file(dir, "\n", 0600);
		code = PKI_E_INVALID;
		msg = "empty PIN";
		break;
	case T_NO_TOKEN:
		pin = pin_file(dir, "1234\n", 0600);
		o.key_uri = "pkcs11:token=absent";
		code = PKI_E_NOTFOUND;
		msg = "token 'pkcs11:token=absent': not found";
		break;
	case T_MODULE:
		/* the module named directly, as for tokens p11-kit does not know */
		if (access(SOFTHSM_MODULE, R_OK) != 0)
			goto done;
		ck_assert_int_eq(setenv("KPKI_PKCS11_MODULE", SOFTHSM_MODULE, 1), 0);
		pin = pin_file(dir, "1234\r\n", 0600);
		want = 0;
		break;
	case T_BAD_MODULE:
		ck_assert_int_eq(setenv("KPKI_PKCS11_MODULE", "/nonexistent/module.so", 1), 0);
		pin = pin_file(dir, "1234\n", 0600);
		code = PKI_E_IO;
		msg = "PKCS#11 module '/nonexistent/module.so' (KPKI_PKCS11_MODULE): cannot load";
		break;
	}
	o.pin_file = pin;
	ck_assert_int_eq(pki_ca_init(&o, PKI_KEY_ECDSA_P256, 0, NOW, &w, &err), want);
	if (want == 0) {
		ck_assert_uint_eq(w.n, 6);
	} else {
		ck_assert_msg(err.code == code, "%d: %s", err.code, err.msg);
		ck_assert_msg(strstr(err.msg, msg) != NULL, "%s", err.msg);
		ck_assert_uint_eq(w.n, 0);
		ck_assert(!exists(cadir, "ca.crt"));
	}
done:
	unsetenv("KPKI_PKCS11_MODULE");
	unsetenv("KPKI_PKCS11_PIN");
	free(pin);
	free(cadir);
	pki_names_free(&w);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

/* init_csr with the key in the token, then import against the token key. */
START_TEST(test_token_csr_import)
{
	struct pki_profile_set *set = load_set();
	struct pki_ca_opts o = { NULL, set, "pkcs11:token=kpki", NULL };
	struct pki_names w = { 0 };
	struct pki_err err;
	struct pki_ca *ca = NULL;
	char *dir = mk_tmpdir(), *cadir = path2(dir, "pki"), cmd[8192], *in;

	pki_err_clear(&err);
	if (!token_setup(dir)) {
		rm_rf(dir);
		free(cadir);
		pki_profile_set_free(set);
		return;
	}
	o.ca_dir = cadir;
	o.pin_file = pin_file(dir, "1234", 0600);
	ck_assert_msg(pki_ca_init_csr(&o, PKI_KEY_ECDSA_P256, NOW, &w, &err) == 0, "%s",
		err.msg);
	put("ca/good/root.key", dir, "root.key", 0600);
	put("ca/good/root.crt", dir, "root.crt", 0644);
	ck_assert_int_lt(snprintf(cmd, sizeof(cmd),
				 "printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,"
				 "keyCertSign,digitalSignature\\n' >'%s/ext' && "
				 "openssl x509 -req -in '%s/front-proxy-ca.csr' -CA '%s/root.crt' "
				 "-CAkey '%s/root.key' -set_serial 7 -days 30 -extfile '%s/ext' "
				 "-out '%s/in.pem' 2>/dev/null && cat '%s/root.crt' >>'%s/in.pem'",
				 dir, cadir, dir, dir, dir, dir, dir, dir),
		(int)sizeof(cmd));
	ck_assert_int_eq(system(cmd), 0);
	in = path2(dir, "in.pem");
	/* against the wrong CA's token key first */
	ck_assert_int_eq(pki_ca_import(&o, "ca", in, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not belong to the staged key "
					      "'pkcs11:token=kpki;object=ca;type=private'"));
	ck_assert_msg(pki_ca_import(&o, "front-proxy-ca", in, &err) == 0, "%s", err.msg);
	ck_assert_msg(pki_ca_load(&o, "front-proxy-ca", &ca, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(pki_ca_chain_count(ca), 1);
	sign_and_verify(ca);
	pki_ca_free(ca);
	free(in);
	free((char *)o.pin_file);
	free(cadir);
	pki_names_free(&w);
	pki_profile_set_free(set);
	rm_rf(dir);
}
END_TEST

static Suite *
ca_suite(void)
{
	Suite *s = suite_create("ca");
	TCase *tc;

	tc = tcase_create("init");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_init_files);
	tcase_add_loop_test(tc, test_init_extensions, 0, (int)PKI_ARRAY_LEN(kinds));
	tcase_add_test(tc, test_init_serials);
	tcase_add_loop_test(tc, test_init_refuses_existing, 0, (int)PKI_ARRAY_LEN(existing));
	tcase_add_test(tc, test_init_undo);
	tcase_add_test(tc, test_init_bad_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("intermediate");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_init_csr);
	tcase_add_test(tc, test_csr_openssl_import);
	tcase_add_loop_test(tc, test_import_good, 0, (int)PKI_ARRAY_LEN(import_good));
	tcase_add_loop_test(tc, test_import_bad, 0, (int)PKI_ARRAY_LEN(import_bad));
	tcase_add_test(tc, test_import_no_staged_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, test_load_good);
	tcase_add_loop_test(tc, test_load_bad, 0, (int)PKI_ARRAY_LEN(load_bad));
	suite_add_tcase(s, tc);

	tc = tcase_create("pkcs11");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_token_ca);
	tcase_add_loop_test(tc, test_token_errors, 0, T_BAD_MODULE + 1);
	tcase_add_test(tc, test_token_csr_import);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(ca_suite());
}
