/* check_install.c — a signed bundle back into the PKI directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include <pki/bundle.h>
#include <pki/ca.h>
#include <pki/install.h>
#include <pki/issue.h>
#include <pki/kubeconfig.h>
#include <pki/pkidir.h>
#include <pki/policy.h>
#include <pki/request.h>

#include "internal.h"
#include "testutil.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define LATER (NOW + 3600)

/* Made once for every test: two CAs, a node's keys and its signed bundles. */
static char world[256];
static struct pki_profile_set *set;
static struct pki_kubeadm *cfg;

/* ---- scaffolding ----------------------------------------------------------- */

/* A hash of a whole tree: every path, type, mode, link target and content. */
static struct pki_buf walk;
static int
walk_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct pki_buf data = { 0 };
	struct pki_err err;
	unsigned char h[32] = { 0 };
	char link[512] = "";

	(void)flag;
	(void)ftw;
	if (S_ISREG(st->st_mode)) {
		ck_assert_int_eq(pki_file_read(path, "f", PKI_CAP_ANY, 0, &data, &err), 0);
		ck_assert_int_eq(gnutls_hash_fast(GNUTLS_DIG_SHA256, data.data, data.len, h), 0);
		pki_buf_free(&data);
	} else if (S_ISLNK(st->st_mode)) {
		ck_assert_int_ge(readlink(path, link, sizeof(link) - 1), 0);
	}
	ck_assert_int_eq(pki_buf_printf(&walk, &err, "%s %o %s %02x%02x%02x%02x\n", path,
				 (unsigned)st->st_mode, link, h[0], h[1], h[30], h[31]),
		0);
	return 0;
}

static void
tree_sum(const char *root, unsigned char out[32])
{
	memset(&walk, 0, sizeof(walk));
	ck_assert_int_eq(nftw(root, walk_one, 16, FTW_PHYS), 0);
	ck_assert_int_eq(gnutls_hash_fast(GNUTLS_DIG_SHA256, walk.data, walk.len, out), 0);
	pki_buf_free(&walk);
}

/* A scratch copy of world/<node> as <scratch>/node. */
static void
scratch(const char *node, char out[300])
{
	(void)snprintf(out, 300, "%s/t.XXXXXX", world);
	ck_assert_ptr_nonnull(mkdtemp(out));
	sh("cp -a '%s/%s' '%s/node'", world, node, out);
}

static struct pki_bundle *
load(const char *name)
{
	struct pki_bundle *b = NULL;
	struct pki_err err;
	char path[300];

	(void)snprintf(path, sizeof(path), "%s/%s", world, name);
	pki_err_clear(&err);
	ck_assert_msg(pki_bundle_load(path, set, &b, &err) == 0, "%s", err.msg);
	return b;
}

struct run {
	char dir[300], cert_dir[320], kc_dir[320], kubelet_dir[320];
	struct pki_install_opts o;
	struct pki_names report, refusals;
	struct pki_err err;
};

static void
run_init(struct run *r, const char *node)
{
	memset(r, 0, sizeof(*r));
	scratch(node, r->dir);
	(void)snprintf(r->cert_dir, sizeof(r->cert_dir), "%s/node/pki", r->dir);
	(void)snprintf(r->kc_dir, sizeof(r->kc_dir), "%s/node", r->dir);
	(void)snprintf(r->kubelet_dir, sizeof(r->kubelet_dir), "%s/node/kubelet", r->dir);
	r->o.set = set;
	r->o.cfg = cfg;
	r->o.cert_dir = r->cert_dir;
	r->o.kc_dir = r->kc_dir;
	r->o.kubelet_dir = r->kubelet_dir;
	r->o.embed = 1;
	r->o.now = LATER;
}

static int
run_install(struct run *r, const char *bundle)
{
	struct pki_bundle *b = load(bundle);
	int ret;

	pki_names_free(&r->report);
	pki_names_free(&r->refusals);
	pki_err_clear(&r->err);
	ret = pki_install_bundle(&r->o, b, &r->report, &r->refusals, &r->err);
	pki_bundle_free(b);
	return ret;
}

static void
run_free(struct run *r)
{
	pki_names_free(&r->report);
	pki_names_free(&r->refusals);
	sh("rm -rf '%s'", r->dir);
}

static int
has_line(const struct pki_names *n, const char *needle)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		if (strstr(n->v[i], needle) != NULL)
			return 1;
	return 0;
}

static void
verify_clean(struct run *r)
{
	struct pki_names findings = { 0 };
	struct pki_err err;
	size_t i;

	pki_err_clear(&err);
	ck_assert_msg(pki_pkidir_verify(set, r->cert_dir, r->kc_dir, cfg, 0, LATER, &findings,
			      &err) == 0, "%s", err.msg);
	for (i = 0; i < findings.n; i++)
		if (strstr(findings.v[i], "super-admin") == NULL)
			ck_abort_msg("finding: %s", findings.v[i]);
	pki_names_free(&findings);
}

/* ---- the world ---------------------------------------------------------------- */

static void
make_node(const char *name, unsigned flags)
{
	struct pki_request_opts ro = { 0 };
	struct pki_request *req = NULL;
	enum pki_key_type kt = PKI_KEY_ECDSA_P256;
	char cd[300], kd[300], bp[300], fp[72];
	struct pki_err err;

	(void)snprintf(cd, sizeof(cd), "%s/%s/pki", world, name);
	(void)snprintf(kd, sizeof(kd), "%s/%s", world, name);
	(void)snprintf(bp, sizeof(bp), "%s/%s.yaml", world, name);
	ro.set = set;
	ro.cfg = cfg;
	ro.cfg_name = "kubeadm.yaml";
	ro.cert_dir = cd;
	ro.kc_dir = kd;
	ro.key_type = &kt;
	ro.flags = flags;
	pki_err_clear(&err);
	ck_assert_msg(pki_request_plan(&ro, &req, &err) == 0, "%s", err.msg);
	ck_assert_msg(pki_request_execute(req, bp, NOW, fp, &err) == 0, "%s", err.msg);
	pki_request_free(req);
}

static void
sign(const char *ca, const char *in, const char *out)
{
	struct pki_ca_opts cao = { 0 };
	struct pki_issue_opts io = { 0 };
	struct pki_policy *pol = NULL;
	struct pki_bundle *b = load(in), *sb = NULL;
	struct pki_names refusals = { 0 }, notes = { 0 };
	struct pki_buf text = { 0 };
	struct pki_err err;
	char cadir[300], path[300];

	(void)snprintf(cadir, sizeof(cadir), "%s/%s", world, ca);
	(void)snprintf(path, sizeof(path), "%s/%s", world, out);
	pki_err_clear(&err);
	ck_assert_msg(pki_policy_load(test_data("install/policy.yaml"), &pol, &err) == 0, "%s",
		err.msg);
	cao.ca_dir = cadir;
	cao.set = set;
	io.ca = &cao;
	io.policy = pol;
	io.now = NOW;
	ck_assert_msg(pki_issue_bundle(&io, b, &sb, &refusals, &notes, &err) == 0, "%s (%s)",
		err.msg, refusals.n ? refusals.v[0] : "");
	ck_assert_int_eq(pki_bundle_write(sb, &text, &err), 0);
	ck_assert_int_eq(pki_file_write(path, text.data, text.len, 0644, 0, &err), 0);
	pki_buf_free(&text);
	pki_names_free(&refusals);
	pki_names_free(&notes);
	pki_bundle_free(b);
	pki_bundle_free(sb);
	pki_policy_free(pol);
}

/*
 * A certificate the CA's policy would never give: the entry's CSR key and
 * subject, signed by the CA in ca_dir, with the extended key usage eku.
 */
static struct pki_cert *
mint(const char *ca_dir, const struct pki_csr *csr, const char *eku)
{
	struct pki_key *cakey = NULL;
	struct pki_cert *cacert = NULL, *out = NULL;
	gnutls_x509_crt_t crt;
	unsigned char serial[8] = { 0x42, 1, 2, 3, 4, 5, 6, 7 }, der[8192];
	size_t len = sizeof(der);
	struct pki_err err;
	char path[400];

	(void)snprintf(path, sizeof(path), "%s/ca.key", ca_dir);
	ck_assert_int_eq(pki_key_load(path, &cakey, &err), 0);
	(void)snprintf(path, sizeof(path), "%s/ca.crt", ca_dir);
	ck_assert_int_eq(pki_cert_load(path, &cacert, &err), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_crq(crt, pki_csr_gnutls(csr)), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_version(crt, 3), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_activation_time(crt, NOW - 300), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_expiration_time(crt, NOW + 86400 * 300), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_basic_constraints(crt, 0, -1), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
			GNUTLS_KEY_KEY_ENCIPHERMENT), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_key_purpose_oid(crt, eku, 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_sign2(crt, pki_cert_gnutls(cacert),
				 pki_key_gnutls(cakey), GNUTLS_DIG_SHA256, 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_export(crt, GNUTLS_X509_FMT_DER, der, &len), 0);
	ck_assert_int_eq(pki_cert_parse(der, len, "minted", &out, &err), 0);
	gnutls_x509_crt_deinit(crt);
	pki_cert_free(cacert);
	pki_key_free(cakey);
	return out;
}

/* s.yaml with entry `victim`'s certificate replaced by a minted one. */
static void
tamper(const char *out, const char *victim, const char *ca, const char *eku)
{
	struct pki_bundle *b = load("s.yaml");
	struct pki_buf text = { 0 };
	struct pki_err err;
	char cadir[300], path[300];
	size_t i;

	(void)snprintf(cadir, sizeof(cadir), "%s/%s", world, ca);
	for (i = 0; i < pki_bundle_count(b); i++) {
		const struct pki_bundle_entry *e = pki_bundle_at(b, i);
		struct pki_cert *c;

		if (strcmp(pki_bundle_entry_name(e), victim) != 0)
			continue;
		c = mint(cadir, pki_bundle_entry_csr(e), eku);
		ck_assert_int_eq(pki_bundle_set_certificate(b, i, c, &err), 0);
		pki_cert_free(c);
	}
	if (strcmp(ca, "ca2") == 0) {
		struct pki_cert *c2 = NULL;

		(void)snprintf(path, sizeof(path), "%s/ca2/ca.crt", world);
		ck_assert_int_eq(pki_cert_load(path, &c2, &err), 0);
		ck_assert_int_eq(pki_bundle_add_ca(b, c2, &err), 0);
		pki_cert_free(c2);
	}
	(void)snprintf(path, sizeof(path), "%s/%s", world, out);
	ck_assert_msg(pki_bundle_write(b, &text, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(pki_file_write(path, text.data, text.len, 0644, 0, &err), 0);
	pki_buf_free(&text);
	pki_bundle_free(b);
}

static void
make_world(void)
{
	struct pki_ca_opts cao = { 0 };
	struct pki_names w = { 0 };
	struct pki_err err;
	const char *tmp = getenv("TMPDIR");
	char dir[300];

	(void)snprintf(world, sizeof(world), "%s/check_install.XXXXXX", tmp ? tmp : P_tmpdir);
	ck_assert_ptr_nonnull(mkdtemp(world));
	pki_err_clear(&err);
	ck_assert_msg(pki_profile_set_load("kubeadm-v1.29", &set, &err) == 0, "%s", err.msg);
	ck_assert_msg(pki_kubeadm_load(test_data("install/kubeadm.yaml"), &cfg, &err) == 0, "%s",
		err.msg);
	cao.set = set;
	cao.ca_dir = dir;
	(void)snprintf(dir, sizeof(dir), "%s/ca", world);
	ck_assert_msg(pki_ca_init(&cao, PKI_KEY_ECDSA_P256, 0, NOW - 86400, &w, &err) == 0, "%s",
		err.msg);
	(void)snprintf(dir, sizeof(dir), "%s/ca2", world);
	ck_assert_msg(pki_ca_init(&cao, PKI_KEY_ECDSA_P256, 0, NOW - 86400, &w, &err) == 0, "%s",
		err.msg);
	pki_names_free(&w);
	/* a node (with the CA certificates, external-CA mode) and a stranger */
	make_node("node", 0);
	make_node("other", 0);
	sign("ca", "node.yaml", "s.yaml");
	sign("ca2", "node.yaml", "s-ca2.yaml");
	sh("mkdir -p '%s/bare' && cp -a '%s/node/.' '%s/bare/'", world, world, world);
	sh("cd '%s' && mkdir -p node/pki/etcd node/kubelet && cp ca/ca.crt ca/front-proxy-ca.crt "
	   "node/pki/ && cp ca/etcd/ca.crt node/pki/etcd/ && mkdir -p other/pki/etcd && "
	   "cp ca/ca.crt ca/front-proxy-ca.crt other/pki/ && cp ca/etcd/ca.crt other/pki/etcd/",
		world);
	tamper("s-eku.yaml", "apiserver", "ca", "1.3.6.1.5.5.7.3.2");
	tamper("s-foreign.yaml", "etcd-peer", "ca2", "1.3.6.1.5.5.7.3.1");
	tamper("s-kc-eku.yaml", "admin.conf", "ca", "1.3.6.1.5.5.7.3.1");
}

static void
unmake_world(void)
{
	char cmd[400];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", world);
	if (world[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "cannot remove '%s'\n", world);
	pki_profile_set_free(set);
	pki_kubeadm_free(cfg);
	set = NULL;
	cfg = NULL;
}

/* ---- tests ---------------------------------------------------------------- */

START_TEST(test_install_and_rerun)
{
	struct run r;
	unsigned char a[32], b[32];
	struct stat st;
	char path[400];

	run_init(&r, "node");
	ck_assert_msg(run_install(&r, "s.yaml") == 0, "%s", r.err.msg);
	ck_assert_uint_eq(r.refusals.n, 0);
	ck_assert_uint_eq(r.report.n, 12); /* 7 pairs, 5 kubeconfigs */
	ck_assert(has_line(&r.report, "installed '"));
	ck_assert(has_line(&r.report, "/node/admin.conf' (user 'kubernetes-admin', cluster "
				      "'kubernetes', server 'https://k8s.example.internal:6443')"));
	verify_clean(&r);
	(void)snprintf(path, sizeof(path), "%s/kpki-staging", r.cert_dir);
	ck_assert_int_ne(lstat(path, &st), 0);
	(void)snprintf(path, sizeof(path), "%s/etcd/peer.crt", r.cert_dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	(void)snprintf(path, sizeof(path), "%s/admin.conf", r.kc_dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	/* again: nothing to do, nothing changes */
	tree_sum(r.dir, a);
	ck_assert_msg(run_install(&r, "s.yaml") == 0, "%s", r.err.msg);
	tree_sum(r.dir, b);
	ck_assert_mem_eq(a, b, 32);
	ck_assert_uint_eq(r.report.n, 12); /* 7 pairs, 5 kubeconfigs */
	ck_assert_int_eq(strncmp(r.report.v[0], "already installed '", 19), 0);
	run_free(&r);
}
END_TEST

START_TEST(test_dry_run)
{
	struct run r;
	unsigned char a[32], b[32];

	run_init(&r, "node");
	r.o.dry_run = 1;
	tree_sum(r.dir, a);
	ck_assert_msg(run_install(&r, "s.yaml") == 0, "%s", r.err.msg);
	tree_sum(r.dir, b);
	ck_assert_mem_eq(a, b, 32);
	ck_assert(has_line(&r.report, "would install '"));
	run_free(&r);
}
END_TEST

/* Hostile bundles and planted links: refused, and the tree as it was. */
static const struct {
	const char *node, *bundle, *setup;
	const char *want; /* in a refusal line */
	enum pki_errcode code;
} hostile[] = {
	{ "other", "s.yaml", NULL,
		"entry 'apiserver': the certificate is not for the key '", PKI_E_INVALID },
	{ "other", "s.yaml", NULL,
		"entry 'admin.conf': the certificate is not for the staged key '", PKI_E_INVALID },
	{ "node", "s-ca2.yaml", NULL,
		"entry 'apiserver': certificate: does not chain to CA 'ca'", PKI_E_INVALID },
	{ "node", "s-foreign.yaml", NULL,
		"entry 'etcd-peer': certificate: does not chain to CA 'etcd-ca'", PKI_E_INVALID },
	{ "node", "s-eku.yaml", NULL,
		"entry 'apiserver': certificate: extended key usage is [client-auth], the profile "
		"'apiserver' wants [server-auth]", PKI_E_INVALID },
	{ "node", "s-kc-eku.yaml", NULL,
		"entry 'admin.conf': certificate: extended key usage is [server-auth]",
		PKI_E_INVALID },
	{ "bare", "s.yaml", NULL,
		"entry 'apiserver': CA certificate '", PKI_E_INVALID },
	{ "node", "s.yaml", "ln -s ../../planted node/pki/apiserver.crt",
		"entry 'apiserver': '", PKI_E_INVALID },
	{ "node", "s.yaml", "ln -s ../planted node/admin.conf",
		"/node/admin.conf': is a symbolic link; refusing to write through or replace it",
		PKI_E_INVALID },
	{ "node", "s.yaml", "mv node/pki/etcd node/etcd-real && ln -s ../etcd-real node/pki/etcd",
		"entry 'etcd-server': directory '", PKI_E_INVALID },
	{ "node", "s.yaml", "rm node/pki/kpki-staging/scheduler.conf.key",
		"entry 'scheduler.conf': no staged key '", PKI_E_INVALID },
	{ "node", "s.yaml", "chmod 644 node/pki/kpki-staging/kubelet.conf.key",
		"entry 'kubelet.conf': key '", PKI_E_INVALID },
	/* a CA file with the CA's key in it never reaches a kubeconfig */
	{ "node", "s.yaml", "cat ../ca/ca.key >>node/pki/ca.crt",
		"entry 'admin.conf': CA file '", PKI_E_INVALID },
	{ "node", "s.yaml", "cat ../ca/ca.key >>node/pki/ca.crt",
		"PRIVATE KEY' block: a CA file for a kubeconfig must hold certificates only",
		PKI_E_INVALID },
};

START_TEST(test_hostile)
{
	struct run r;
	unsigned char a[32], b[32];

	run_init(&r, hostile[_i].node);
	if (hostile[_i].setup != NULL)
		sh("cd '%s' && %s", r.dir, hostile[_i].setup);
	tree_sum(r.dir, a);
	ck_assert_int_eq(run_install(&r, hostile[_i].bundle), -1);
	ck_assert_int_eq(r.err.code, hostile[_i].code);
	ck_assert_msg(has_line(&r.refusals, hostile[_i].want), "case %d: no refusal '%s' (%s)", _i,
		hostile[_i].want, r.refusals.n ? r.refusals.v[0] : r.err.msg);
	/* a refused run installed nothing and does not say it did */
	ck_assert_msg(!has_line(&r.report, "installed '"), "case %d: report says installed", _i);
	tree_sum(r.dir, b);
	ck_assert_mem_eq(a, b, 32);
	run_free(&r);
}
END_TEST

/* What the bundle reader refuses never reaches the install. */
START_TEST(test_bad_bundles)
{
	struct pki_bundle *b = NULL;
	struct pki_buf text = { 0 };
	struct pki_err err;
	char path[300], *p;

	(void)snprintf(path, sizeof(path), "%s/s.yaml", world);
	ck_assert_int_eq(pki_file_read(path, "b", PKI_CAP_ANY, 0, &text, &err), 0);
	p = strstr((char *)text.data, "path: apiserver.crt");
	ck_assert_ptr_nonnull(p);
	memcpy(p, "path: ../server.crt", 19);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_bundle_parse(text.data, text.len, "evil.yaml", set, &b, &err), -1);
	ck_assert_str_eq(err.msg, "bundle 'evil.yaml': entry 'apiserver': path '../server.crt' "
				  "is not the profile's target 'apiserver.crt'");
	ck_assert_int_eq(pki_bundle_parse(text.data, text.len / 2, "cut.yaml", set, &b, &err), -1);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(strncmp(err.msg, "bundle 'cut.yaml': ", 19), 0);
	pki_buf_free(&text);
	/* a CSR bundle is not installed */
	b = load("node.yaml");
	{
		struct run r;

		run_init(&r, "node");
		pki_err_clear(&r.err);
		ck_assert_int_eq(pki_install_bundle(&r.o, b, &r.report, &r.refusals, &r.err), -1);
		ck_assert_str_eq(r.err.msg, "bundle: not signed (a CSR bundle: have it signed with "
					    "kpki-sign first)");
		run_free(&r);
	}
	pki_bundle_free(b);
}
END_TEST

/*
 * A first install of s.yaml in a scratch node, a copy of it as <dir>/old,
 * then next year's requests from the certificates in place (new keys
 * staged), signed as rs.yaml.
 */
static void
installed_and_renewed(struct run *r)
{
	struct pki_request_opts ro = { 0 };
	struct pki_request *req = NULL;
	struct pki_err err;
	char bp[400], fp[72];

	run_init(r, "node");
	ck_assert_msg(run_install(r, "s.yaml") == 0, "%s", r->err.msg);
	sh("cp -a '%s/node' '%s/old'", r->dir, r->dir);
	ro.set = set;
	ro.cert_dir = r->cert_dir;
	ro.kc_dir = r->kc_dir;
	ro.flags = PKI_REQUEST_RENEW;
	(void)snprintf(bp, sizeof(bp), "%s/r.yaml", world);
	pki_err_clear(&err);
	ck_assert_msg(pki_request_plan(&ro, &req, &err) == 0, "%s", err.msg);
	ck_assert_msg(pki_request_execute(req, bp, LATER, fp, &err) == 0, "%s", err.msg);
	pki_request_free(req);
	sign("ca", "r.yaml", "rs.yaml");
	r->o.now = LATER + 60;
}

/* Whether two files hold the same bytes. */
static int
same_bytes(const char *a, const char *b)
{
	struct pki_buf x = { 0 }, y = { 0 };
	struct pki_err err;
	int same;

	ck_assert_msg(pki_file_read(a, "f", PKI_CAP_ANY, 0, &x, &err) == 0, "%s", err.msg);
	ck_assert_msg(pki_file_read(b, "f", PKI_CAP_ANY, 0, &y, &err) == 0, "%s", err.msg);
	same = x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
	pki_buf_free(&x);
	pki_buf_free(&y);
	return same;
}

START_TEST(test_renewal_backup)
{
	struct run r;
	char old[400], bk[400], cur[600];
	struct pki_buf x = { 0 }, y = { 0 };
	struct pki_err err;
	struct stat st, before;

	installed_and_renewed(&r);
	ck_assert_int_eq(stat(r.cert_dir, &before), 0);
	/* a backup directory the commit would refuse: the dry run says so */
	sh("mkdir -m 755 '%s/node/tmp'", r.dir);
	r.o.dry_run = 1;
	ck_assert_int_eq(run_install(&r, "rs.yaml"), -1);
	ck_assert_int_eq(r.err.code, PKI_E_INVALID);
	ck_assert_uint_eq(r.refusals.n, 1);
	ck_assert_msg(strstr(r.refusals.v[0], "the backup folder's directory: directory '") ==
			      r.refusals.v[0] &&
			      strstr(r.refusals.v[0], "/node/tmp': mode 0755, not 0700") != NULL,
		"%s", r.refusals.v[0]);
	r.o.dry_run = 0;
	ck_assert_int_eq(run_install(&r, "rs.yaml"), -1);
	ck_assert_uint_eq(r.refusals.n, 1);
	sh("chmod 700 '%s/node/tmp'", r.dir);
	/* a killed run's half-made backup is swept; ours is built aside, then named */
	sh("mkdir -p '%s/node/tmp/.kpki-backup-2025-01-01-00-00-00.partial/pki/etcd' && "
	   "echo x >'%s/node/tmp/.kpki-backup-2025-01-01-00-00-00.partial/pki/etcd/peer.key'",
		r.dir, r.dir);
	ck_assert_msg(run_install(&r, "rs.yaml") == 0, "%s", r.err.msg);
	(void)snprintf(bk, sizeof(bk), "%s/node/tmp/.kpki-backup-2025-01-01-00-00-00.partial",
		r.dir);
	ck_assert_int_ne(lstat(bk, &st), 0);
	(void)snprintf(bk, sizeof(bk), "%s/node/tmp/.kpki-backup-2026-01-01-01-01-00.partial",
		r.dir);
	ck_assert_int_ne(lstat(bk, &st), 0);
	verify_clean(&r);
	(void)snprintf(bk, sizeof(bk), "%s/node/tmp/kpki-backup-2026-01-01-01-01-00", r.dir);
	ck_assert_int_eq(stat(bk, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	/* new keys: the cert dir was swapped whole, the previous tree kept whole
	 * in the backup, without the staged keys it held (the live ones now) */
	ck_assert(has_line(&r.report, "swapped '"));
	ck_assert(has_line(&r.report, "/node/pki' whole (each key with its certificate)"));
	ck_assert(!has_line(&r.report, "/node/pki/etcd/server.key' to '"));
	ck_assert_int_eq(stat(r.cert_dir, &st), 0);
	ck_assert(st.st_ino != before.st_ino);
	ck_assert_uint_eq(st.st_mode & 07777, before.st_mode & 07777);
	(void)snprintf(cur, sizeof(cur), "%s/node/.pki.kpki-next", r.dir);
	ck_assert_int_ne(lstat(cur, &st), 0);
	(void)snprintf(cur, sizeof(cur), "%s/kpki-staging", r.cert_dir);
	ck_assert_int_ne(lstat(cur, &st), 0);
	(void)snprintf(cur, sizeof(cur), "%s/pki/kpki-staging", bk);
	ck_assert_int_ne(lstat(cur, &st), 0);
	(void)snprintf(cur, sizeof(cur), "%s/pki", bk);
	ck_assert_int_eq(stat(cur, &st), 0);
	ck_assert_uint_eq(st.st_ino, before.st_ino);
	/* the unchanged CA certificate kept its mode and content in the copy */
	(void)snprintf(old, sizeof(old), "%s/old/pki/ca.crt", r.dir);
	(void)snprintf(cur, sizeof(cur), "%s/ca.crt", r.cert_dir);
	ck_assert(same_bytes(old, cur));
	ck_assert_int_eq(stat(cur, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	(void)snprintf(cur, sizeof(cur), "%s/etcd/server.key", r.cert_dir);
	ck_assert_int_eq(stat(cur, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	/* the old pair, byte for byte, and it was replaced */
	(void)snprintf(old, sizeof(old), "%s/old/pki/etcd/server.key", r.dir);
	(void)snprintf(bk, sizeof(bk), "%s/node/tmp/kpki-backup-2026-01-01-01-01-00/pki/etcd/"
				       "server.key", r.dir);
	(void)snprintf(cur, sizeof(cur), "%s/etcd/server.key", r.cert_dir);
	ck_assert_int_eq(pki_file_read(old, "k", PKI_CAP_ANY, 0, &x, &err), 0);
	ck_assert_int_eq(pki_file_read(bk, "k", PKI_CAP_ANY, 0, &y, &err), 0);
	ck_assert_uint_eq(x.len, y.len);
	ck_assert_mem_eq(x.data, y.data, x.len);
	pki_buf_free(&y);
	ck_assert_int_eq(pki_file_read(cur, "k", PKI_CAP_ANY, 0, &y, &err), 0);
	ck_assert(x.len != y.len || memcmp(x.data, y.data, x.len) != 0);
	pki_buf_free(&x);
	pki_buf_free(&y);
	(void)snprintf(bk, sizeof(bk), "%s/node/tmp/kpki-backup-2026-01-01-01-01-00/admin.conf",
		r.dir);
	(void)snprintf(old, sizeof(old), "%s/old/admin.conf", r.dir);
	ck_assert_int_eq(pki_file_read(old, "k", PKI_CAP_ANY, 0, &x, &err), 0);
	ck_assert_int_eq(pki_file_read(bk, "k", PKI_CAP_ANY, 0, &y, &err), 0);
	ck_assert_mem_eq(x.data, y.data, x.len);
	pki_buf_free(&x);
	pki_buf_free(&y);
	run_free(&r);
}
END_TEST

/* --in-place: the same renewal file by file, the cert dir the same
 * directory, each replaced file copied into the backup. */
START_TEST(test_renewal_in_place)
{
	struct run r;
	char old[400], bk[400];
	struct stat st, before;

	installed_and_renewed(&r);
	ck_assert_int_eq(stat(r.cert_dir, &before), 0);
	r.o.in_place = 1;
	ck_assert_msg(run_install(&r, "rs.yaml") == 0, "%s", r.err.msg);
	ck_assert(!has_line(&r.report, "swapped '"));
	ck_assert(has_line(&r.report, "/node/pki/etcd/server.key' to '"));
	ck_assert_int_eq(stat(r.cert_dir, &st), 0);
	ck_assert_uint_eq(st.st_ino, before.st_ino);
	verify_clean(&r);
	(void)snprintf(old, sizeof(old), "%s/old/pki/apiserver.key", r.dir);
	(void)snprintf(bk, sizeof(bk), "%s/node/tmp/kpki-backup-2026-01-01-01-01-00/pki/"
				       "apiserver.key", r.dir);
	ck_assert(same_bytes(old, bk));
	run_free(&r);
}
END_TEST

/* A cert dir that holds another directory the install writes in cannot be
 * swapped whole: refused (nothing written) unless --in-place. */
START_TEST(test_swap_nested_refused)
{
	struct run r;
	unsigned char a[32], b[32];
	char kd[400];

	installed_and_renewed(&r);
	(void)snprintf(kd, sizeof(kd), "%s/kubelet-pki", r.cert_dir);
	sh("mkdir '%s'", kd);
	r.o.kubelet_dir = kd;
	tree_sum(r.dir, a);
	ck_assert_int_eq(run_install(&r, "rs.yaml"), -1);
	ck_assert_int_eq(r.err.code, PKI_E_INVALID);
	ck_assert_uint_eq(r.refusals.n, 1);
	ck_assert_msg(strstr(r.refusals.v[0], "/node/pki/kubelet-pki', which the install writes "
					      "in too, so it cannot be swapped whole") != NULL &&
			      strstr(r.refusals.v[0], "rerun with --in-place") != NULL,
		"%s", r.refusals.v[0]);
	tree_sum(r.dir, b);
	ck_assert_mem_eq(a, b, 32);
	r.o.in_place = 1;
	ck_assert_msg(run_install(&r, "rs.yaml") == 0, "%s", r.err.msg);
	verify_clean(&r);
	run_free(&r);
}
END_TEST

/* The id an install gives a signed bundle (as install.c makes it). */
static void
bundle_id_hex(const char *name, char out[65])
{
	struct pki_bundle *b = load(name);
	struct pki_buf all = { 0 };
	struct pki_err err;
	unsigned char h[32];
	size_t i, len;

	for (i = 0; i < pki_bundle_count(b); i++) {
		const struct pki_bundle_entry *e = pki_bundle_at(b, i);
		const unsigned char *der = pki_cert_der(pki_bundle_entry_certificate(e), &len);

		ck_assert_int_eq(pki_buf_printf(&all, &err, "%s\n%zu\n", pki_bundle_entry_name(e),
					 len), 0);
		ck_assert_int_eq(pki_buf_append(&all, der, len, &err), 0);
	}
	ck_assert_int_eq(gnutls_hash_fast(GNUTLS_DIG_SHA256, all.data, all.len, h), 0);
	for (i = 0; i < 32; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", h[i]);
	pki_buf_free(&all);
	pki_bundle_free(b);
}

static void
file_sha256_hex(const char *path, char out[65])
{
	struct pki_buf x = { 0 };
	struct pki_err err;
	unsigned char h[32];
	size_t i;

	ck_assert_msg(pki_file_read(path, "f", PKI_CAP_ANY, 0, &x, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(gnutls_hash_fast(GNUTLS_DIG_SHA256, x.data, x.len, h), 0);
	for (i = 0; i < 32; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", h[i]);
	pki_buf_free(&x);
}

#define STAMP "0000000000000000000000000000000000000000000000000000000000000000"

/*
 * An intent file of this bundle whose steps no longer fit what is on disk
 * is not carried out, and nothing changes: a staged key that is not the
 * key the interrupted run checked, a swap whose next tree is not there,
 * a swap of another directory.
 */
static const struct {
	const char *step; /* "SHA": the staged key's SHA-256 */
	const char *why;
} bad_steps[] = {
	{ "rename staging etcd-server.key cert-dir/etcd server.key SHA "
	  "00000000000000000000000000000000000000000000000000000000000000aa",
		"is not the key the interrupted install checked; refusing to move it" },
	{ "unlink staging etcd-server.key SHA "
	  "00000000000000000000000000000000000000000000000000000000000000aa "
	  "cert-dir/etcd server.key",
		"is not the key the interrupted install checked; refusing to remove it" },
	{ "swap cert-dir cert-dir-parent pki .pki.kpki-next 1 2 3 4 " STAMP " "
	  "kubeconfig-dir/tmp/.kpki-backup-2026-01-01-00-00-00.partial pki",
		"is the tree the interrupted install built, or '" },
	{ "swap cert-dir cert-dir-parent elsewhere .elsewhere.kpki-next 1 2 3 4 " STAMP " "
	  "kubeconfig-dir/tmp/.kpki-backup-2026-01-01-00-00-00.partial pki",
		"the swap of another directory than 'cert-dir'" },
	{ "swap cert-dir kubelet-dir-parent pki .pki.kpki-next 1 2 3 4 " STAMP " "
	  "kubeconfig-dir/tmp/.kpki-backup-2026-01-01-00-00-00.partial pki",
		"malformed" },
	/* the previous tree only where an install puts it */
	{ "swap cert-dir cert-dir-parent pki .pki.kpki-next 1 2 3 4 " STAMP " "
	  "kubeconfig-dir admin.conf",
		"malformed" },
	{ "swap cert-dir cert-dir-parent pki .pki.kpki-next 1 2 3 4 " STAMP " "
	  "cert-dir-parent admin.conf",
		"malformed" },
	/* a step never names a directory's parent */
	{ "rename staging etcd-server.key cert-dir-parent admin.conf SHA",
		"malformed" },
	/* a directory checked by its path alone needs its swap */
	{ "dir cert-dir - - REAL\nrename staging etcd-server.key cert-dir/etcd server.key SHA",
		"a directory without its swap" },
};

/* The first "what" in s becomes "with". */
static void
replace(char *s, size_t cap, const char *what, const char *with)
{
	char *at = strstr(s, what), rest[2048];

	if (at == NULL)
		return;
	(void)snprintf(rest, sizeof(rest), "%s", at + strlen(what));
	ck_assert_uint_lt((size_t)(at - s) + strlen(with) + strlen(rest), cap);
	(void)snprintf(at, cap - (size_t)(at - s), "%s%s", with, rest);
}

START_TEST(test_replay_refusals)
{
	struct run r;
	unsigned char a[32], b[32];
	char id[65], sha[65], path[4096], step[2048], real[1024];
	const char *at;
	FILE *f;

	installed_and_renewed(&r);
	bundle_id_hex("rs.yaml", id);
	(void)snprintf(path, sizeof(path), "%s/kpki-staging/etcd-server.key", r.cert_dir);
	file_sha256_hex(path, sha);
	ck_assert_ptr_nonnull(realpath(r.cert_dir, path));
	for (at = path, real[0] = '\0'; *at != '\0'; at++)
		(void)snprintf(real + strlen(real), 3, "%02x", (unsigned char)*at);
	(void)snprintf(step, sizeof(step), "%s", bad_steps[_i].step);
	replace(step, sizeof(step), "SHA", sha);
	replace(step, sizeof(step), "REAL", real);
	(void)snprintf(path, sizeof(path), "%s/kpki-staging/kpki-install.intent", r.cert_dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "kpki-install-intent v3\nid %s\n%s\n", id, step);
	ck_assert_int_eq(fclose(f), 0);
	tree_sum(r.dir, a);
	ck_assert_int_eq(run_install(&r, "rs.yaml"), -1);
	ck_assert_msg(strstr(r.err.msg, bad_steps[_i].why) != NULL, "%s", r.err.msg);
	tree_sum(r.dir, b);
	ck_assert_mem_eq(a, b, 32);
	run_free(&r);
}
END_TEST

/* A self-signed certificate for CN cn, PEM, at path. */
static void
self_signed(const char *cn, const char *path)
{
	gnutls_x509_privkey_t k;
	gnutls_x509_crt_t crt;
	unsigned char serial[1] = { 7 }, pem[8192];
	size_t len = sizeof(pem);
	struct pki_err err;
	char dn[100];

	(void)snprintf(dn, sizeof(dn), "CN=%s", cn);
	ck_assert_int_eq(gnutls_x509_privkey_init(&k), 0);
	ck_assert_int_eq(gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
				 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_dn(crt, dn, NULL), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_issuer_dn(crt, dn, NULL), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_key(crt, k), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_version(crt, 3), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_activation_time(crt, NOW - 300), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_expiration_time(crt, NOW + 86400), 0);
	ck_assert_int_eq(gnutls_x509_crt_sign2(crt, crt, k, GNUTLS_DIG_SHA256, 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_export(crt, GNUTLS_X509_FMT_PEM, pem, &len), 0);
	ck_assert_int_eq(pki_file_write(path, pem, len, 0644, 0, &err), 0);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(k);
}

/* A bundle made for another node is refused, whether the configuration or
 * the files in place say so; nothing changes. */
START_TEST(test_other_node)
{
	struct pki_kubeadm *other = NULL;
	struct pki_err err;
	struct run r;
	unsigned char a[32], b[32];
	char path[400];

	/* the configuration names another node */
	run_init(&r, "node");
	(void)snprintf(path, sizeof(path), "%s/cp-2.yaml", r.dir);
	sh("sed 's/name: cp-1/name: cp-2/' '%s' >'%s'", test_data("install/kubeadm.yaml"), path);
	pki_err_clear(&err);
	ck_assert_msg(pki_kubeadm_load(path, &other, &err) == 0, "%s", err.msg);
	r.o.cfg = other;
	tree_sum(r.dir, a);
	ck_assert_int_eq(run_install(&r, "s.yaml"), -1);
	ck_assert_int_eq(r.err.code, PKI_E_INVALID);
	ck_assert(has_line(&r.refusals, "bundle: made for node 'cp-1', but the configuration is "
					"for node 'cp-2'"));
	tree_sum(r.dir, b);
	ck_assert_mem_eq(a, b, 32);
	pki_kubeadm_free(other);
	run_free(&r);

	/* the etcd server certificate in place is another node's */
	run_init(&r, "node");
	ck_assert_msg(run_install(&r, "s.yaml") == 0, "%s", r.err.msg);
	(void)snprintf(path, sizeof(path), "%s/etcd/server.crt", r.cert_dir);
	self_signed("cp-2", path);
	r.o.cfg = NULL;
	tree_sum(r.dir, a);
	ck_assert_int_eq(run_install(&r, "s.yaml"), -1);
	ck_assert(has_line(&r.refusals, "bundle: made for node 'cp-1', but "));
	ck_assert(has_line(&r.refusals, "in place belongs to node 'cp-2'"));
	tree_sum(r.dir, b);
	ck_assert_mem_eq(a, b, 32);
	run_free(&r);
}
END_TEST

/* A renewal pointed at the wrong kubeconfig dir (none of the bundle's
 * kubeconfigs there) is refused: it would consume the staged keys while the
 * real kubeconfigs stay old. */
START_TEST(test_wrong_kubeconfig_dir)
{
	struct run r;
	unsigned char a[32], b[32];
	char kd[400];

	installed_and_renewed(&r);
	(void)snprintf(kd, sizeof(kd), "%s/elsewhere", r.dir);
	sh("mkdir '%s'", kd);
	r.o.kc_dir = kd;
	tree_sum(r.dir, a);
	ck_assert_int_eq(run_install(&r, "rs.yaml"), -1);
	ck_assert(has_line(&r.refusals, "/elsewhere': holds none of the bundle's kubeconfigs, "
					"yet the certificates in '"));
	ck_assert(has_line(&r.refusals, "is --kubeconfig-dir right?"));
	tree_sum(r.dir, b);
	ck_assert_mem_eq(a, b, 32);
	run_free(&r);
}
END_TEST

/* The bundle's cluster must be the configuration's and that of the
 * kubeconfigs in place; --cluster-name decides otherwise. A renewal keeps
 * the cluster name of the kubeconfig in place. */
START_TEST(test_cluster_name)
{
	struct pki_kubeadm *other = NULL;
	struct pki_kubeconfig *kc = NULL;
	struct pki_buf data = { 0 };
	struct pki_err err;
	struct run r;
	unsigned char a[32], b[32];
	char path[400];

	/* the configuration names another cluster */
	run_init(&r, "node");
	(void)snprintf(path, sizeof(path), "%s/other.yaml", r.dir);
	sh("sed 's/^clusterName: .*/clusterName: other/' '%s' >'%s' && grep -q 'clusterName: other' "
	   "'%s' || printf 'clusterName: other\\n' >>'%s'", test_data("install/kubeadm.yaml"), path,
		path, path);
	pki_err_clear(&err);
	ck_assert_msg(pki_kubeadm_load(path, &other, &err) == 0, "%s", err.msg);
	r.o.cfg = other;
	tree_sum(r.dir, a);
	ck_assert_int_eq(run_install(&r, "s.yaml"), -1);
	ck_assert(has_line(&r.refusals, "bundle: made for cluster 'kubernetes', but the "
					"configuration is for cluster 'other'"));
	tree_sum(r.dir, b);
	ck_assert_mem_eq(a, b, 32);
	pki_kubeadm_free(other);
	run_free(&r);

	/* a kubeconfig in place of another cluster */
	installed_and_renewed(&r);
	r.o.cfg = NULL;
	sh("cd '%s' && sed -i 's/kubernetes$/other/; s/@kubernetes$/@other/' admin.conf", r.kc_dir);
	tree_sum(r.dir, a);
	ck_assert_int_eq(run_install(&r, "rs.yaml"), -1);
	ck_assert(has_line(&r.refusals, "entry 'admin.conf': the bundle was made for cluster "
					"'kubernetes', but the kubeconfig in place is of cluster 'other'"));
	tree_sum(r.dir, b);
	ck_assert_mem_eq(a, b, 32);
	/* said otherwise: the name given wins */
	r.o.cluster_name = "other";
	ck_assert_msg(run_install(&r, "rs.yaml") == 0, "%s", r.err.msg);
	(void)snprintf(path, sizeof(path), "%s/admin.conf", r.kc_dir);
	ck_assert_int_eq(pki_file_read(path, "k", PKI_CAP_ANY, 0, &data, &err), 0);
	ck_assert_int_eq(pki_kubeconfig_parse(data.data, data.len, path, &kc, &err), 0);
	ck_assert_str_eq(pki_kubeconfig_cluster_name(kc), "other");
	pki_kubeconfig_free(kc);
	pki_buf_free(&data);
	run_free(&r);
}
END_TEST

/* A staged key the bundle has no certificate for stays, and is said so. */
START_TEST(test_unused_staged)
{
	struct run r;
	struct stat st;
	char path[400];

	installed_and_renewed(&r);
	sh("cd '%s/kpki-staging' && cp apiserver.key spare.key", r.cert_dir);
	ck_assert_msg(run_install(&r, "rs.yaml") == 0, "%s", r.err.msg);
	ck_assert(has_line(&r.report, "/kpki-staging/spare.key' is not for this bundle: it "
				      "stays for the bundle with its certificate"));
	(void)snprintf(path, sizeof(path), "%s/kpki-staging/spare.key", r.cert_dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	run_free(&r);
}
END_TEST

/* A half-made backup folder is swept, unless the cert dir it names has an
 * interrupted install that will finish it. */
START_TEST(test_partial_owned)
{
	struct run r;
	struct stat st;
	char p1[600], p2[600], other[400], real[4096];

	run_init(&r, "node");
	(void)snprintf(other, sizeof(other), "%s/other-pki", r.dir);
	sh("mkdir -p '%s/kpki-staging' && touch '%s/kpki-staging/kpki-install.intent'", other,
		other);
	ck_assert_ptr_nonnull(realpath(other, real));
	(void)snprintf(p1, sizeof(p1), "%s/tmp/.kpki-backup-2000-01-01-00-00-00.partial", r.kc_dir);
	(void)snprintf(p2, sizeof(p2), "%s/tmp/.kpki-backup-2000-01-01-00-00-01.partial", r.kc_dir);
	sh("mkdir -p -m 700 '%s/tmp' '%s/pki' '%s/pki' && printf '%%s\\n' '%s' >'%s/.kpki-owner' && "
	   "printf '/nowhere\\n' >'%s/.kpki-owner'", r.kc_dir, p1, p2, real, p1, p2);
	ck_assert_msg(run_install(&r, "s.yaml") == 0, "%s", r.err.msg);
	ck_assert_int_eq(stat(p1, &st), 0);
	ck_assert_int_ne(lstat(p2, &st), 0);
	run_free(&r);
}
END_TEST

/* A pair caught between its key and its certificate rename, with no intent
 * file to say so: the final key is the new certificate's, so the rerun
 * finishes it. An intent file of another bundle is never carried out. */
START_TEST(test_half_swapped)
{
	struct run r;
	unsigned char a[32], b[32];

	/* a renewal --in-place killed between them: the old certificate in
	 * place, the new key already moved there */
	installed_and_renewed(&r);
	sh("cd '%s/node/pki' && mv kpki-staging/apiserver.key apiserver.key", r.dir);
	r.o.in_place = 1;
	ck_assert_msg(run_install(&r, "rs.yaml") == 0, "%s", r.err.msg);
	ck_assert(has_line(&r.report, "/node/pki/apiserver.crt'"));
	ck_assert(!has_line(&r.report, "/node/pki/apiserver.crt' with its staged key"));
	ck_assert(has_line(&r.report, "/node/pki/apiserver-kubelet-client.crt' with its staged key"));
	ck_assert(has_line(&r.report, "backed up '"));
	verify_clean(&r);
	run_free(&r);

	run_init(&r, "node");
	sh("cd '%s/node/pki' && printf 'kpki-install-intent v2\\nid %%064d\\nunlink cert-dir "
	   "ca.crt\\n' 0 > kpki-staging/kpki-install.intent", r.dir);
	tree_sum(r.dir, a);
	ck_assert_int_eq(run_install(&r, "s.yaml"), -1);
	ck_assert_int_eq(r.err.code, PKI_E_EXISTS);
	ck_assert(strstr(r.err.msg, "an install of another signed bundle was interrupted") != NULL);
	tree_sum(r.dir, b);
	ck_assert_mem_eq(a, b, 32);
	run_free(&r);
}
END_TEST

START_TEST(test_embed_false_kubelet)
{
	struct run r;
	char link[400], target[600], want[400];
	struct pki_kubeconfig *kc = NULL;
	struct pki_buf pem = { 0 };
	struct pki_err err;
	struct stat st;
	ssize_t n;

	run_init(&r, "node");
	r.o.embed = 0;
	ck_assert_msg(run_install(&r, "s.yaml") == 0, "%s", r.err.msg);
	(void)snprintf(link, sizeof(link), "%s/kubelet-client-current.pem", r.kubelet_dir);
	n = readlink(link, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = '\0';
	(void)snprintf(want, sizeof(want), "%s/kubelet-client-2026-01-01-01-00-00.pem",
		r.kubelet_dir);
	ck_assert_str_eq(target, want);
	ck_assert_int_eq(stat(target, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(pki_file_read(target, "pem", PKI_CAP_ANY, 0, &pem, &err), 0);
	ck_assert_ptr_nonnull(strstr((char *)pem.data, "-----BEGIN CERTIFICATE-----"));
	ck_assert_ptr_nonnull(strstr((char *)pem.data, "PRIVATE KEY-----"));
	pki_buf_free(&pem);
	(void)snprintf(want, sizeof(want), "%s/kubelet.conf", r.kc_dir);
	ck_assert_int_eq(pki_kubeconfig_load(want, &kc, &err), 0);
	ck_assert_str_eq(pki_kubeconfig_client_cert_file(kc), link);
	ck_assert_str_eq(pki_kubeconfig_client_key_file(kc), link);
	ck_assert_ptr_nonnull(pki_kubeconfig_ca_data(kc));
	ck_assert_ptr_null(pki_kubeconfig_client_key_data(kc));
	ck_assert_str_eq(pki_kubeconfig_user_name(kc), "system:node:cp-1");
	pki_kubeconfig_free(kc);
	verify_clean(&r);
	run_free(&r);
}
END_TEST

START_TEST(test_trust_bundle_ca)
{
	struct pki_names fps = { 0 };
	struct pki_bundle *b = load("s.yaml");
	struct pki_x509info info = { 0 };
	unsigned char a[32], c[32];
	struct pki_err err;
	struct run r;
	size_t i, j;

	run_init(&r, "bare");
	r.o.trust_bundle_ca = 1;
	r.o.expect_ca_fingerprints = &fps;
	ck_assert_int_eq(run_install(&r, "s.yaml"), -1);
	ck_assert_int_eq(r.err.code, PKI_E_USAGE);
	for (i = 0; i < pki_bundle_ca_count(b); i++) {
		char fp[80] = "SHA256:";

		ck_assert_int_eq(pki_cert_info(pki_bundle_ca_at(b, i), &info, &err), 0);
		for (j = 0; j < 32; j++)
			(void)snprintf(fp + 7 + 2 * j, 3, "%02X", info.sha256[j]);
		pki_x509info_free(&info);
		/* the last one is left out at first */
		if (i + 1 < pki_bundle_ca_count(b))
			ck_assert_int_eq(pki_names_add(&fps, fp, &err), 0);
		else
			ck_assert_int_eq(pki_names_add(&fps, "SHA256:00", &err), 0);
	}
	tree_sum(r.dir, a);
	ck_assert_int_eq(run_install(&r, "s.yaml"), -1);
	ck_assert(has_line(&r.refusals, "(CN 'etcd-ca'): its fingerprint SHA256:"));
	ck_assert(has_line(&r.refusals, "is none of those given with --expect-ca-fingerprint"));
	tree_sum(r.dir, c);
	ck_assert_mem_eq(a, c, 32);
	/* all three (upper-case hex is the same fingerprint) */
	pki_names_free(&fps);
	for (i = 0; i < pki_bundle_ca_count(b); i++) {
		char fp[80] = "SHA256:";

		ck_assert_int_eq(pki_cert_info(pki_bundle_ca_at(b, i), &info, &err), 0);
		for (j = 0; j < 32; j++)
			(void)snprintf(fp + 7 + 2 * j, 3, "%02X", info.sha256[j]);
		pki_x509info_free(&info);
		ck_assert_int_eq(pki_names_add(&fps, fp, &err), 0);
	}
	ck_assert_msg(run_install(&r, "s.yaml") == 0, "%s", r.err.msg);
	ck_assert(has_line(&r.report, "/pki/etcd/ca.crt' (CA certificate from the bundle"));
	verify_clean(&r);
	pki_names_free(&fps);
	pki_bundle_free(b);
	run_free(&r);
}
END_TEST

static Suite *
install_suite(void)
{
	Suite *s = suite_create("install");
	TCase *tc = tcase_create("install");

	tcase_set_timeout(tc, 120);
	/* made once, in the runner, before the tests fork */
	tcase_add_unchecked_fixture(tc, make_world, unmake_world);
	tcase_add_test(tc, test_install_and_rerun);
	tcase_add_test(tc, test_dry_run);
	tcase_add_loop_test(tc, test_hostile, 0, (int)(sizeof(hostile) / sizeof(hostile[0])));
	tcase_add_test(tc, test_bad_bundles);
	tcase_add_test(tc, test_renewal_backup);
	tcase_add_test(tc, test_renewal_in_place);
	tcase_add_test(tc, test_swap_nested_refused);
	tcase_add_loop_test(tc, test_replay_refusals, 0,
		(int)(sizeof(bad_steps) / sizeof(bad_steps[0])));
	tcase_add_test(tc, test_other_node);
	tcase_add_test(tc, test_wrong_kubeconfig_dir);
	tcase_add_test(tc, test_cluster_name);
	tcase_add_test(tc, test_unused_staged);
	tcase_add_test(tc, test_partial_owned);
	tcase_add_test(tc, test_half_swapped);
	tcase_add_test(tc, test_embed_false_kubelet);
	tcase_add_test(tc, test_trust_bundle_ca);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	umask(022);
	return test_run(install_suite());
}
