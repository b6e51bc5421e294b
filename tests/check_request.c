/* check_request.c — kpki-csr's plan and its execution: which requests, what
 * they say, where the keys go, and that nothing is written on an error. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pki/bundle.h>
#include <pki/csr.h>
#include <pki/key.h>
#include <pki/kubeadm.h>
#include <pki/profile.h>
#include <pki/request.h>

#include "testutil.h"

#define PKI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- scaffolding ---------------------------------------------------------- */

struct env {
	char root[256];
	char cert_dir[300], kc_dir[300], kubelet_dir[300], bundle[300];
	struct pki_profile_set *set;
	struct pki_kubeadm *cfg;
	struct pki_request_opts o;
};

static void
env_init(struct env *e, const char *cfg_rel)
{
	const char *tmp = getenv("TMPDIR");
	struct pki_err err;

	memset(e, 0, sizeof(*e));
	pki_err_clear(&err);
	(void)snprintf(e->root, sizeof(e->root), "%s/check_request.XXXXXX",
		tmp != NULL ? tmp : P_tmpdir);
	ck_assert_ptr_nonnull(mkdtemp(e->root));
	(void)snprintf(e->cert_dir, sizeof(e->cert_dir), "%s/pki", e->root);
	(void)snprintf(e->kc_dir, sizeof(e->kc_dir), "%s/kc", e->root);
	(void)snprintf(e->kubelet_dir, sizeof(e->kubelet_dir), "%s/kubelet", e->root);
	(void)snprintf(e->bundle, sizeof(e->bundle), "%s/bundle.yaml", e->root);
	ck_assert_msg(pki_profile_set_load(NULL, &e->set, &err) == 0, "%s", err.msg);
	if (cfg_rel != NULL)
		ck_assert_msg(pki_kubeadm_load(test_data(cfg_rel), &e->cfg, &err) == 0, "%s",
			err.msg);
	e->o.set = e->set;
	e->o.cfg = e->cfg;
	e->o.cfg_name = cfg_rel;
	e->o.cert_dir = e->cert_dir;
	e->o.kc_dir = e->kc_dir;
	e->o.kubelet_dir = e->kubelet_dir;
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
env_free(struct env *e)
{
	(void)nftw(e->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	pki_profile_set_free(e->set);
	pki_kubeadm_free(e->cfg);
}

/* Plans and executes; returns the bundle read back. */
static struct pki_bundle *
run(struct env *e)
{
	struct pki_request *r = NULL;
	struct pki_bundle *b = NULL;
	struct pki_err err;
	char fp[72], fp2[72];

	pki_err_clear(&err);
	ck_assert_msg(pki_request_plan(&e->o, &r, &err) == 0, "%s", err.msg);
	ck_assert_msg(pki_request_execute(r, e->bundle, 1767225600, fp, &err) == 0, "%s",
		err.msg);
	pki_request_free(r);
	ck_assert_msg(pki_bundle_load(e->bundle, e->set, &b, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(pki_bundle_fingerprint(b, fp2, &err), 0);
	ck_assert_str_eq(fp, fp2);
	ck_assert_int_eq(strncmp(fp, "SHA256:", 7), 0);
	return b;
}

/* The number of files under dir (0 when it does not exist). */
static int files_seen;
static int
count_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F || S_ISLNK(st->st_mode))
		files_seen++;
	return 0;
}

static int
count_files(const char *dir)
{
	files_seen = 0;
	(void)nftw(dir, count_one, 16, FTW_PHYS);
	return files_seen;
}

static void
read_file(const char *path, struct pki_buf *out)
{
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_file_read(path, "file", PKI_CAP_ANY, 0, out, &err) == 0, "%s", err.msg);
}

static void
assert_mode(const char *path, unsigned mode)
{
	struct stat st;

	ck_assert_msg(lstat(path, &st) == 0, "%s missing", path);
	ck_assert_msg((st.st_mode & 07777) == mode, "%s: mode %o, expected %o", path,
		st.st_mode & 07777, mode);
}

/* ---- what the requests say ------------------------------------------------ */

#define MAXN 10
struct want {
	const char *name, *path;
	enum pki_profile_location loc;
	const char *cn;
	const char *org[2];
	const char *dns[MAXN];
	const char *ip[MAXN];
	const char *key_rel; /* the key file, under the test root */
};

static void
assert_list(const struct pki_names *got, const char *const *want, const char *what)
{
	size_t i, n = 0;

	while (n < MAXN && want[n] != NULL)
		n++;
	ck_assert_msg(got->n == n, "%s: %zu values, expected %zu", what, got->n, n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(got->v[i], want[i]);
}

static void
assert_bundle(const struct env *e, const struct pki_bundle *b, const char *node,
	const char *cluster, const struct want *w, size_t n, const char *algo)
{
	struct pki_err err;
	size_t i;

	pki_err_clear(&err);
	ck_assert_str_eq(pki_bundle_profiles(b), "kubeadm-v1.29");
	ck_assert_str_eq(pki_bundle_node(b), node);
	ck_assert_str_eq(pki_bundle_cluster(b), cluster);
	ck_assert_int_eq((long long)pki_bundle_created(b), 1767225600LL);
	ck_assert_uint_eq(pki_bundle_count(b), n);
	for (i = 0; i < n; i++) {
		const struct pki_bundle_entry *en = pki_bundle_at(b, i);
		const struct pki_csr *csr = pki_bundle_entry_csr(en);
		struct pki_x509info in;
		struct pki_key *key = NULL;
		char kp[600];

		ck_assert_str_eq(pki_bundle_entry_name(en), w[i].name);
		ck_assert_str_eq(pki_bundle_entry_path(en), w[i].path);
		ck_assert_int_eq(pki_bundle_entry_location(en), w[i].loc);
		ck_assert_msg(pki_csr_info(csr, &in, &err) == 0, "%s", err.msg);
		ck_assert_str_eq(in.cn, w[i].cn);
		assert_list(&in.org, w[i].org, "O");
		assert_list(&in.dns, w[i].dns, "DNS");
		assert_list(&in.ip, w[i].ip, "IP");
		/* nothing but subjectAltName is requested */
		ck_assert_uint_eq(in.ext_oids.n, in.dns.n + in.ip.n > 0 ? 1 : 0);
		ck_assert_int_eq(in.has_ku, 0);
		ck_assert_int_eq(in.has_bc, 0);
		ck_assert_uint_eq(in.eku.n, 0);
		ck_assert_int_eq(in.self_signature_ok, 1);
		ck_assert_str_eq(in.key.algo, algo);
		/* its key is on disk, 0600, and is the request's */
		(void)snprintf(kp, sizeof(kp), "%s/%s", e->root, w[i].key_rel);
		assert_mode(kp, 0600);
		ck_assert_msg(pki_key_load(kp, &key, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(pki_csr_matches_key(csr, key, &err), 1);
		pki_key_free(key);
		pki_x509info_free(&in);
	}
}

#define CD PKI_LOC_CERT_DIR
#define KD PKI_LOC_KUBECONFIG_DIR
#define LD PKI_LOC_KUBELET_DIR

/* Written by hand from kubeadm's rules (certlist.go, pki_helpers.go):
 * DNS names sorted, IPs in first-seen order. */
static const struct want want_etcd_sans[] = {
	{ "apiserver", "apiserver.crt", CD, "kube-apiserver", { NULL },
		{ "*.apps.example.com", "api.example.com", "cp-1", "k8s.example.com", "kubernetes",
			"kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.corp.local", NULL },
		{ "10.100.0.1", "192.168.0.10", "10.0.0.5", "2001:db8::1", NULL },
		"pki/apiserver.key" },
	{ "apiserver-kubelet-client", "apiserver-kubelet-client.crt", CD,
		"kube-apiserver-kubelet-client", { "kubeadm:cluster-admins", NULL }, { NULL },
		{ NULL }, "pki/apiserver-kubelet-client.key" },
	{ "front-proxy-client", "front-proxy-client.crt", CD, "front-proxy-client", { NULL },
		{ NULL }, { NULL }, "pki/front-proxy-client.key" },
	{ "apiserver-etcd-client", "apiserver-etcd-client.crt", CD, "kube-apiserver-etcd-client",
		{ NULL }, { NULL }, { NULL }, "pki/apiserver-etcd-client.key" },
	{ "etcd-server", "etcd/server.crt", CD, "cp-1", { NULL },
		{ "cp-1", "etcd.example.com", "localhost", NULL },
		{ "192.168.0.10", "127.0.0.1", "::1", "10.1.1.1", NULL }, "pki/etcd/server.key" },
	{ "etcd-peer", "etcd/peer.crt", CD, "cp-1", { NULL },
		{ "cp-1", "localhost", "peer.example.com", NULL },
		{ "192.168.0.10", "127.0.0.1", "::1", "fd00::9", NULL }, "pki/etcd/peer.key" },
	{ "etcd-healthcheck-client", "etcd/healthcheck-client.crt", CD,
		"kube-etcd-healthcheck-client", { NULL }, { NULL }, { NULL },
		"pki/etcd/healthcheck-client.key" },
	{ "admin.conf", "admin.conf", KD, "kubernetes-admin", { "kubeadm:cluster-admins", NULL },
		{ NULL }, { NULL }, "pki/kpki-staging/admin.conf.key" },
	{ "super-admin.conf", "super-admin.conf", KD, "kubernetes-super-admin",
		{ "system:masters", NULL }, { NULL }, { NULL },
		"pki/kpki-staging/super-admin.conf.key" },
	{ "controller-manager.conf", "controller-manager.conf", KD,
		"system:kube-controller-manager", { NULL }, { NULL }, { NULL },
		"pki/kpki-staging/controller-manager.conf.key" },
	{ "scheduler.conf", "scheduler.conf", KD, "system:kube-scheduler", { NULL }, { NULL },
		{ NULL }, "pki/kpki-staging/scheduler.conf.key" },
	{ "kubelet.conf", "kubelet.conf", KD, "system:node:cp-1", { "system:nodes", NULL },
		{ NULL }, { NULL }, "pki/kpki-staging/kubelet.conf.key" },
};

START_TEST(test_control_plane)
{
	struct env e;
	struct pki_bundle *b;
	struct pki_buf text = { 0 };

	env_init(&e, "request/good/v1beta4-etcd-sans.yaml");
	b = run(&e);
	assert_bundle(&e, b, "cp-1", "prod", want_etcd_sans, PKI_ARRAY_LEN(want_etcd_sans),
		"ECDSA");
	assert_mode(e.bundle, 0644 & ~(unsigned)umask(022));
	/* the staging directory is the owner's alone */
	{
		char st[400];

		(void)snprintf(st, sizeof(st), "%s/" PKI_STAGING_DIR, e.cert_dir);
		assert_mode(st, 0700);
	}
	read_file(e.bundle, &text);
	ck_assert_ptr_null(memmem(text.data, text.len, "PRIVATE KEY", 11));
	pki_buf_free(&text);
	/* 12 keys, nothing else (no temporary files left) */
	ck_assert_int_eq(count_files(e.cert_dir), 12);
	ck_assert_int_eq(count_files(e.kc_dir), 0);
	pki_bundle_free(b);
	env_free(&e);
}
END_TEST

static const struct want want_worker[] = {
	{ "kubelet.conf", "kubelet.conf", KD, "system:node:worker-1", { "system:nodes", NULL },
		{ NULL }, { NULL }, "pki/kpki-staging/kubelet.conf.key" },
	{ "kubelet", "kubelet.crt", LD, "system:node:worker-1", { "system:nodes", NULL },
		{ "worker-1", NULL }, { NULL }, "kubelet/kubelet.key" },
};

START_TEST(test_worker)
{
	struct pki_names only = { 0 };
	struct pki_bundle *b;
	struct pki_err err;
	struct env e;

	pki_err_clear(&err);
	env_init(&e, "request/good/worker.yaml");
	e.o.role = PKI_ROLE_WORKER;
	b = run(&e);
	assert_bundle(&e, b, "worker-1", "kubernetes", want_worker, 1, "RSA");
	pki_bundle_free(b);
	/* the kubelet serving certificate only when named */
	ck_assert_int_eq(pki_names_add(&only, "kubelet.conf", &err), 0);
	ck_assert_int_eq(pki_names_add(&only, "kubelet", &err), 0);
	e.o.only = &only;
	b = run(&e);
	assert_bundle(&e, b, "worker-1", "kubernetes", want_worker, 2, "RSA");
	pki_bundle_free(b);
	pki_names_free(&only);
	env_free(&e);
}
END_TEST

/* Reads every file under the cert dir, in a fixed order, for comparison. */
static void
snapshot(const struct env *e, const struct want *w, size_t n, struct pki_buf *out)
{
	struct pki_err err;
	size_t i;

	pki_err_clear(&err);
	for (i = 0; i < n; i++) {
		struct pki_buf one = { 0 };
		char kp[600];

		(void)snprintf(kp, sizeof(kp), "%s/%s", e->root, w[i].key_rel);
		read_file(kp, &one);
		ck_assert_int_eq(pki_buf_append(out, one.data, one.len, &err), 0);
		pki_buf_free(&one);
	}
}

/* A second run changes no key: pending ones and staged ones are reused. */
START_TEST(test_second_run)
{
	struct pki_buf before = { 0 }, after = { 0 };
	struct pki_bundle *b;
	struct env e;

	env_init(&e, "request/good/v1beta4-etcd-sans.yaml");
	pki_bundle_free(run(&e));
	snapshot(&e, want_etcd_sans, PKI_ARRAY_LEN(want_etcd_sans), &before);
	b = run(&e);
	assert_bundle(&e, b, "cp-1", "prod", want_etcd_sans, PKI_ARRAY_LEN(want_etcd_sans),
		"ECDSA");
	snapshot(&e, want_etcd_sans, PKI_ARRAY_LEN(want_etcd_sans), &after);
	ck_assert_uint_eq(before.len, after.len);
	ck_assert_mem_eq(before.data, after.data, before.len);
	ck_assert_int_eq(count_files(e.cert_dir), 12);
	pki_bundle_free(b);
	pki_buf_free(&before);
	pki_buf_free(&after);
	env_free(&e);
}
END_TEST

/* A key with its certificate beside it is never touched: the new key is
 * staged, and a staged key is reused. */
START_TEST(test_staging)
{
	struct pki_names only = { 0 };
	struct pki_buf k1 = { 0 }, k2 = { 0 }, s1 = { 0 }, s2 = { 0 };
	struct pki_bundle *b;
	struct pki_err err;
	struct want w = want_etcd_sans[4]; /* etcd-server */
	char crt[400], key[400], staged[400];
	struct env e;
	int fd;

	pki_err_clear(&err);
	env_init(&e, "request/good/v1beta4-etcd-sans.yaml");
	ck_assert_int_eq(pki_names_add(&only, "etcd-server", &err), 0);
	e.o.only = &only;
	pki_bundle_free(run(&e));
	(void)snprintf(key, sizeof(key), "%s/etcd/server.key", e.cert_dir);
	(void)snprintf(crt, sizeof(crt), "%s/etcd/server.crt", e.cert_dir);
	(void)snprintf(staged, sizeof(staged), "%s/" PKI_STAGING_DIR "/etcd-server.key",
		e.cert_dir);
	read_file(key, &k1);
	/* the certificate arrives */
	fd = open(crt, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	w.key_rel = "pki/" PKI_STAGING_DIR "/etcd-server.key";
	b = run(&e);
	assert_bundle(&e, b, "cp-1", "prod", &w, 1, "ECDSA");
	pki_bundle_free(b);
	read_file(key, &k2);
	ck_assert_uint_eq(k1.len, k2.len);
	ck_assert_mem_eq(k1.data, k2.data, k1.len);
	read_file(staged, &s1);
	ck_assert_int_ne(memcmp(k1.data, s1.data, k1.len < s1.len ? k1.len : s1.len), 0);
	b = run(&e);
	pki_bundle_free(b);
	read_file(staged, &s2);
	ck_assert_uint_eq(s1.len, s2.len);
	ck_assert_mem_eq(s1.data, s2.data, s1.len);
	pki_buf_free(&k1);
	pki_buf_free(&k2);
	pki_buf_free(&s1);
	pki_buf_free(&s2);
	pki_names_free(&only);
	env_free(&e);
}
END_TEST

/* With external etcd the etcd certificates are not this node's. */
START_TEST(test_external_etcd)
{
	static const char *const names[] = { "apiserver", "apiserver-kubelet-client",
		"front-proxy-client", "admin.conf", "super-admin.conf", "controller-manager.conf",
		"scheduler.conf", "kubelet.conf" };
	static const char *const dns[] = { "ext-1", "kubernetes", "kubernetes.default",
		"kubernetes.default.svc", "kubernetes.default.svc.cluster.local", NULL };
	/* the first subnet is IPv6: its first address is the service VIP */
	static const char *const ip[] = { "fd00:10:96::1", "10.0.0.20", NULL };
	struct pki_x509info in;
	struct pki_bundle *b;
	struct pki_err err;
	struct env e;
	size_t i;

	pki_err_clear(&err);
	env_init(&e, "request/good/external-etcd.yaml");
	b = run(&e);
	ck_assert_uint_eq(pki_bundle_count(b), PKI_ARRAY_LEN(names));
	for (i = 0; i < PKI_ARRAY_LEN(names); i++)
		ck_assert_str_eq(pki_bundle_entry_name(pki_bundle_at(b, i)), names[i]);
	ck_assert_int_eq(pki_csr_info(pki_bundle_entry_csr(pki_bundle_at(b, 0)), &in, &err), 0);
	assert_list(&in.dns, dns, "DNS");
	assert_list(&in.ip, ip, "IP");
	pki_x509info_free(&in);
	pki_bundle_free(b);
	env_free(&e);
}
END_TEST

/* When the bundle cannot be written, the keys this run made are removed
 * and the keys that were there stay. */
START_TEST(test_rollback)
{
	struct pki_names only = { 0 };
	struct pki_request *r = NULL;
	struct pki_err err;
	struct env e;
	char fp[72], key[400];
	int ro, saved;

	pki_err_clear(&err);
	env_init(&e, "request/good/v1beta4-etcd-sans.yaml");
	ck_assert_int_eq(pki_names_add(&only, "front-proxy-client", &err), 0);
	e.o.only = &only;
	pki_bundle_free(run(&e)); /* a pending key, kept below */
	pki_names_free(&only);
	e.o.only = NULL;
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), 0);
	/* standard output that cannot be written */
	ro = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(ro, 0);
	saved = dup(STDOUT_FILENO);
	ck_assert_int_eq(dup2(ro, STDOUT_FILENO), STDOUT_FILENO);
	ck_assert_int_eq(pki_request_execute(r, "-", 1767225600, fp, &err), -1);
	ck_assert_int_eq(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	close(ro);
	ck_assert_int_eq(err.code, PKI_E_IO);
	ck_assert_str_eq(fp, "");
	pki_request_free(r);
	(void)snprintf(key, sizeof(key), "%s/front-proxy-client.key", e.cert_dir);
	assert_mode(key, 0600);
	ck_assert_int_eq(count_files(e.cert_dir), 1);
	env_free(&e);
}
END_TEST

/* Bad configurations: a message naming the file and field, nothing written. */
static const struct {
	const char *cfg;
	const char *msg;
} bad_cfg[] = {
	{ "request/bad/no-node-name.yaml",
		"kubeadm config 'request/bad/no-node-name.yaml': nodeRegistration.name: not set "
		"(kubeadm would take the host name; kpki-csr needs it written down)" },
	{ "request/bad/no-advertise.yaml",
		"kubeadm config 'request/bad/no-advertise.yaml': localAPIEndpoint.advertiseAddress: "
		"not set, and 'apiserver' needs it (kubeadm would guess it from the default route; "
		"kpki-csr needs it written down)" },
};

START_TEST(test_bad_cfg)
{
	struct pki_request *r = (struct pki_request *)&r;
	struct pki_err err;
	struct env e;

	pki_err_clear(&err);
	env_init(&e, bad_cfg[_i].cfg);
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_str_eq(err.msg, bad_cfg[_i].msg);
	ck_assert_int_eq(count_files(e.root), 0);
	env_free(&e);
}
END_TEST

/* What the command line asks that cannot be: PKI_E_USAGE. */
static const struct {
	const char *cfg; /* NULL: none */
	unsigned flags, role;
	const char *only;
	int key_type;
	const char *msg;
} usage[] = {
	{ "request/good/worker.yaml", 0, 0, "apiserver,nope", 0,
		"profile 'nope': not in profile set 'kubeadm-v1.29'" },
	{ "request/good/worker.yaml", 0, 0, "ca", 0,
		"profile 'ca': is a CA; CA certificates are never requested" },
	{ "request/good/worker.yaml", 0, PKI_ROLE_WORKER, "apiserver", 0,
		"profile 'apiserver': not for a worker node" },
	{ "request/good/external-etcd.yaml", 0, 0, "etcd-server", 0,
		"profile 'etcd-server': needs a local etcd, but the configuration names an external "
		"one (etcd.external)" },
	{ NULL, 0, 0, NULL, 0,
		"a kubeadm configuration is needed (the node name, addresses and SANs come from it); "
		"or renew from the existing certificates" },
	{ "request/good/worker.yaml", PKI_REQUEST_REUSE_KEY, 0, NULL, 0,
		"--reuse-key and --prefer-config need --renew" },
	{ NULL, PKI_REQUEST_RENEW | PKI_REQUEST_PREFER_CONFIG, 0, NULL, 0,
		"--prefer-config needs a configuration" },
	{ NULL, PKI_REQUEST_RENEW | PKI_REQUEST_REUSE_KEY, 0, NULL, 1,
		"a key type cannot be chosen when the current keys are reused" },
	{ NULL, PKI_REQUEST_RENEW | PKI_REQUEST_REUSE_KEY, 0, NULL, 0,
		"profile 'admin.conf': --reuse-key does not apply to kubeconfigs, whose key is "
		"embedded in a file that gets copied around; leave it out with --only or renew "
		"without --reuse-key" },
};

START_TEST(test_usage)
{
	struct pki_request *r = NULL;
	struct pki_names only = { 0 };
	enum pki_key_type kt = PKI_KEY_ECDSA_P256;
	struct pki_err err;
	struct env e;

	pki_err_clear(&err);
	env_init(&e, usage[_i].cfg);
	if (usage[_i].only != NULL) {
		char buf[128], *save = NULL, *tok;

		(void)snprintf(buf, sizeof(buf), "%s", usage[_i].only);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			ck_assert_int_eq(pki_names_add(&only, tok, &err), 0);
		e.o.only = &only;
	}
	e.o.flags = usage[_i].flags;
	e.o.role = usage[_i].role;
	if (usage[_i].key_type)
		e.o.key_type = &kt;
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(err.code, PKI_E_USAGE);
	ck_assert_str_eq(err.msg, usage[_i].msg);
	ck_assert_int_eq(count_files(e.root), 0);
	pki_names_free(&only);
	env_free(&e);
}
END_TEST

/* Renewing an empty directory: nothing to renew, each skip noted. */
START_TEST(test_renew_nothing)
{
	struct pki_request *r = NULL;
	struct pki_err err;
	struct env e;
	char want[700];

	pki_err_clear(&err);
	env_init(&e, NULL);
	e.o.flags = PKI_REQUEST_RENEW;
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
	(void)snprintf(want, sizeof(want),
		"nothing to renew: no certificate of this node was found in '%s' or '%s'",
		e.cert_dir, e.kc_dir);
	ck_assert_str_eq(err.msg, want);
	env_free(&e);
}
END_TEST

/* Ed25519 only where the profile allows it (no kubeadm profile does). */
START_TEST(test_ed25519_refused)
{
	struct pki_request *r = NULL;
	enum pki_key_type kt = PKI_KEY_ED25519;
	struct pki_err err;
	struct env e;

	pki_err_clear(&err);
	env_init(&e, "request/good/worker.yaml");
	e.o.role = PKI_ROLE_WORKER;
	e.o.key_type = &kt;
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
	ck_assert_str_eq(err.msg, "profile 'kubelet.conf': the key type is Ed25519, which the "
				  "profile does not allow (kubeadm does not use Ed25519)");
	ck_assert_int_eq(count_files(e.root), 0);
	env_free(&e);
}
END_TEST

/* The plan names every file and every name. */
START_TEST(test_describe)
{
	static const char want[] =
		"profile set 'kubeadm-v1.29', cluster 'kubernetes', node 'worker-1'\n"
		"kubelet.conf:\n"
		"  key: '%s/pki/kpki-staging/kubelet.conf.key' (new key, staged, ecdsa-p384)\n"
		"  subject: CN 'system:node:worker-1', O 'system:nodes'\n"
		"kubelet:\n"
		"  key: '%s/kubelet/kubelet.key' (new key, ecdsa-p384)\n"
		"  subject: CN 'system:node:worker-1', O 'system:nodes'\n"
		"  DNS SANs: worker-1\n"
		"bundle: standard output\n";
	struct pki_names only = { 0 };
	struct pki_request *r = NULL;
	enum pki_key_type kt = PKI_KEY_ECDSA_P384;
	struct pki_buf out = { 0 };
	struct pki_err err;
	struct env e;
	char exp[2048];

	pki_err_clear(&err);
	env_init(&e, "request/good/worker.yaml");
	e.o.role = PKI_ROLE_WORKER;
	e.o.key_type = &kt;
	ck_assert_int_eq(pki_names_add(&only, "kubelet", &err), 0);
	ck_assert_int_eq(pki_names_add(&only, "kubelet.conf", &err), 0);
	e.o.only = &only;
	ck_assert_msg(pki_request_plan(&e.o, &r, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(pki_request_count(r), 2);
	ck_assert_uint_eq(pki_request_notes(r)->n, 0);
	ck_assert_int_eq(pki_request_describe(r, "-", &out, &err), 0);
	(void)snprintf(exp, sizeof(exp), want, e.root, e.root);
	ck_assert_int_eq(pki_buf_append(&out, "", 1, &err), 0);
	ck_assert_str_eq((const char *)out.data, exp);
	ck_assert_int_eq(count_files(e.root), 0);
	pki_buf_free(&out);
	pki_request_free(r);
	pki_names_free(&only);
	env_free(&e);
}
END_TEST

static Suite *
request_suite(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_control_plane);
	tcase_add_test(tc, test_worker);
	tcase_add_test(tc, test_second_run);
	tcase_add_test(tc, test_staging);
	tcase_add_test(tc, test_external_etcd);
	tcase_add_test(tc, test_rollback);
	tcase_add_loop_test(tc, test_bad_cfg, 0, (int)PKI_ARRAY_LEN(bad_cfg));
	tcase_add_loop_test(tc, test_usage, 0, (int)PKI_ARRAY_LEN(usage));
	tcase_add_test(tc, test_renew_nothing);
	tcase_add_test(tc, test_ed25519_refused);
	tcase_add_test(tc, test_describe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(request_suite());
}
