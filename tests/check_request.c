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
#include <pki/pkidir.h>
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

/* Every file and directory under root, root itself excepted, "d path" or
 * "f path", one a line, sorted: what a failed run must leave as it found. */
static struct pki_names *tree_lines;
static size_t tree_skip;
static int
tree_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct pki_err err;

	(void)ftw;
	if (strlen(path) <= tree_skip)
		return 0;
	pki_err_clear(&err);
	return pki_names_addf(tree_lines, &err, "%c %s\n",
		flag == FTW_D || S_ISDIR(st->st_mode) ? 'd' : 'f', path + tree_skip);
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
tree(const char *root, struct pki_buf *out)
{
	struct pki_names lines = { 0 };
	struct pki_err err;
	size_t i;

	pki_err_clear(&err);
	tree_lines = &lines;
	tree_skip = strlen(root);
	ck_assert_int_eq(nftw(root, tree_one, 16, FTW_PHYS), 0);
	if (lines.n > 1)
		qsort(lines.v, lines.n, sizeof(*lines.v), cmp_line);
	ck_assert_int_eq(pki_buf_append(out, "", 0, &err), 0);
	for (i = 0; i < lines.n; i++)
		ck_assert_int_eq(pki_buf_append(out, lines.v[i], strlen(lines.v[i]), &err), 0);
	pki_names_free(&lines);
}

/* Copies a fixture to path, mode 0600 (keys) or 0644. */
static void
put_fixture(const char *rel, const char *path, mode_t mode)
{
	struct pki_buf b = { 0 };
	struct pki_err err;

	pki_err_clear(&err);
	test_read(rel, &b);
	ck_assert_msg(pki_file_write(path, b.data, b.len, mode, PKI_WRITE_MKDIRS, &err) == 0,
		"%s", err.msg);
	pki_buf_free(&b);
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
	/* an InitConfiguration: this node runs kubeadm init, which needs it */
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
	assert_bundle(&e, b, "worker-1", "lab", want_worker, 1, "RSA");
	pki_bundle_free(b);
	/* the kubelet serving certificate only when named */
	ck_assert_int_eq(pki_names_add(&only, "kubelet.conf", &err), 0);
	ck_assert_int_eq(pki_names_add(&only, "kubelet", &err), 0);
	e.o.only = &only;
	b = run(&e);
	assert_bundle(&e, b, "worker-1", "lab", want_worker, 2, "RSA");
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

	pki_err_clear(&err);
	env_init(&e, "request/good/v1beta4-etcd-sans.yaml");
	ck_assert_int_eq(pki_names_add(&only, "etcd-server", &err), 0);
	e.o.only = &only;
	(void)snprintf(key, sizeof(key), "%s/etcd/server.key", e.cert_dir);
	(void)snprintf(crt, sizeof(crt), "%s/etcd/server.crt", e.cert_dir);
	(void)snprintf(staged, sizeof(staged), "%s/" PKI_STAGING_DIR "/etcd-server.key",
		e.cert_dir);
	put_fixture("request/good/etcd-server.key", key, 0600);
	put_fixture("request/good/etcd-server.crt", crt, 0644);
	read_file(key, &k1);
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

/* Executes r with a standard output that cannot be written: the bundle,
 * written last, fails. */
static void
execute_failing(struct pki_request *r)
{
	struct pki_err err;
	char fp[72];
	int ro, saved;

	pki_err_clear(&err);
	ro = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(ro, 0);
	saved = dup(STDOUT_FILENO);
	ck_assert_int_eq(dup2(ro, STDOUT_FILENO), STDOUT_FILENO);
	ck_assert_int_eq(pki_request_execute(r, "-", 1767225600, fp, &err), -1);
	ck_assert_int_eq(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	close(ro);
	ck_assert_int_eq(err.code, PKI_E_IO);
	ck_assert_str_eq(err.msg, "standard output: cannot write: Bad file descriptor");
	ck_assert_str_eq(fp, "");
}

/* When the bundle cannot be written, the keys and directories this run made
 * are removed and the keys that were there stay. */
START_TEST(test_rollback)
{
	struct pki_names only = { 0 };
	struct pki_request *r = NULL;
	struct pki_buf before = { 0 }, after = { 0 };
	struct pki_err err;
	struct env e;
	char key[400];

	pki_err_clear(&err);
	env_init(&e, "request/good/v1beta4-etcd-sans.yaml");
	/* nothing there: pki/, pki/etcd and the staging directory go again */
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), 0);
	execute_failing(r);
	pki_request_free(r);
	r = NULL;
	tree(e.root, &after);
	ck_assert_str_eq((const char *)after.data, "");
	pki_buf_free(&after);

	/* a pending key in a cert dir that exists: both stay */
	ck_assert_int_eq(pki_names_add(&only, "front-proxy-client", &err), 0);
	e.o.only = &only;
	pki_bundle_free(run(&e));
	pki_names_free(&only);
	e.o.only = NULL;
	tree(e.root, &before);
	ck_assert_str_eq((const char *)before.data,
		"d /pki\nf /bundle.yaml\nf /pki/front-proxy-client.key\n");
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), 0);
	execute_failing(r);
	pki_request_free(r);
	tree(e.root, &after);
	ck_assert_str_eq((const char *)after.data, (const char *)before.data);
	(void)snprintf(key, sizeof(key), "%s/front-proxy-client.key", e.cert_dir);
	assert_mode(key, 0600);
	pki_buf_free(&before);
	pki_buf_free(&after);
	env_free(&e);
}
END_TEST

/* "@" in s stands for the test root. */
static void
expand_root(const char *s, const char *root, char *out, size_t cap)
{
	size_t used = 0, rl = strlen(root);

	for (; *s != '\0'; s++) {
		if (*s == '@') {
			ck_assert_uint_lt(used + rl, cap);
			memcpy(out + used, root, rl);
			used += rl;
		} else {
			ck_assert_uint_lt(used + 1, cap);
			out[used++] = *s;
		}
	}
	out[used] = '\0';
}

/* The bundle never lands on a key, a certificate or a kubeconfig: not in
 * their directories (by any path), not over a file that is no CSR bundle. */
static const struct {
	const char *bundle;
	enum pki_errcode code;
	const char *msg;
} bad_target[] = {
	{ "@/pki/ca.key", PKI_E_USAGE,
		"bundle '@/pki/ca.key': lies in the certificate directory '@/pki'; a bundle "
		"travels to the CA team and goes elsewhere, where it cannot replace a key, "
		"certificate or kubeconfig" },
	{ "@/link/ca.key", PKI_E_USAGE,
		"bundle '@/link/ca.key': lies in the certificate directory '@/pki'; a bundle "
		"travels to the CA team and goes elsewhere, where it cannot replace a key, "
		"certificate or kubeconfig" },
	{ "@/kc/admin.conf", PKI_E_USAGE,
		"bundle '@/kc/admin.conf': lies in the kubeconfig directory '@/kc'; a bundle "
		"travels to the CA team and goes elsewhere, where it cannot replace a key, "
		"certificate or kubeconfig" },
	{ "@/kubelet/new.yaml", PKI_E_USAGE,
		"bundle '@/kubelet/new.yaml': lies in the kubelet directory '@/kubelet'; a bundle "
		"travels to the CA team and goes elsewhere, where it cannot replace a key, "
		"certificate or kubeconfig" },
	{ "@/other.key", PKI_E_EXISTS,
		"bundle '@/other.key': exists and holds a private key; refusing to replace it" },
	{ "@/notes.txt", PKI_E_EXISTS,
		"bundle '@/notes.txt': exists and is not a kpki CSR bundle, so it is not replaced "
		"(remove it or choose another file): " },
	{ "@/adir", PKI_E_EXISTS, "bundle '@/adir': exists and is not a regular file" },
	{ "@/none/b.yaml", PKI_E_IO, "bundle '@/none/b.yaml': directory '@/none' does not exist" },
};

START_TEST(test_bundle_target)
{
	static const char key_text[] =
		"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
	struct pki_names only = { 0 };
	struct pki_request *r = NULL;
	struct pki_buf before = { 0 }, after = { 0 };
	struct pki_err err;
	struct env e;
	char path[600], bundle[600], want[1400], fp[72];

	pki_err_clear(&err);
	env_init(&e, "request/good/v1beta4-etcd-sans.yaml");
	ck_assert_int_eq(pki_names_add(&only, "front-proxy-client", &err), 0);
	e.o.only = &only;
	(void)snprintf(path, sizeof(path), "%s/ca.key", e.cert_dir);
	ck_assert_int_eq(pki_file_write(path, key_text, strlen(key_text), 0600, PKI_WRITE_MKDIRS,
				 &err), 0);
	(void)snprintf(path, sizeof(path), "%s/admin.conf", e.kc_dir);
	ck_assert_int_eq(pki_file_write(path, "apiVersion: v1\n", 15, 0600, PKI_WRITE_MKDIRS,
				 &err), 0);
	ck_assert_int_eq(mkdir(e.kubelet_dir, 0755), 0);
	(void)snprintf(path, sizeof(path), "%s/other.key", e.root);
	ck_assert_int_eq(pki_file_write(path, key_text, strlen(key_text), 0600, 0, &err), 0);
	(void)snprintf(path, sizeof(path), "%s/notes.txt", e.root);
	ck_assert_int_eq(pki_file_write(path, "[1, 2]\n", 7, 0644, 0, &err), 0);
	(void)snprintf(path, sizeof(path), "%s/adir", e.root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	(void)snprintf(path, sizeof(path), "%s/link", e.root);
	ck_assert_int_eq(symlink(e.cert_dir, path), 0);
	tree(e.root, &before);

	expand_root(bad_target[_i].bundle, e.root, bundle, sizeof(bundle));
	expand_root(bad_target[_i].msg, e.root, want, sizeof(want));
	ck_assert_msg(pki_request_plan(&e.o, &r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(pki_request_execute(r, bundle, 1767225600, fp, &err), -1);
	ck_assert_int_eq(err.code, bad_target[_i].code);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "got '%s'\nwant '%s'", err.msg,
		want);
	pki_request_free(r);
	/* nothing written, nothing replaced */
	tree(e.root, &after);
	ck_assert_str_eq((const char *)after.data, (const char *)before.data);
	(void)snprintf(path, sizeof(path), "%s/ca.key", e.cert_dir);
	pki_buf_free(&after);
	read_file(path, &after);
	ck_assert_str_eq((const char *)after.data, key_text);
	pki_buf_free(&before);
	pki_buf_free(&after);
	pki_names_free(&only);
	env_free(&e);
}
END_TEST

/* An older CSR bundle is replaced; a signed one is not. */
START_TEST(test_bundle_replace)
{
	struct pki_bundle *b;
	struct env e;

	env_init(&e, "request/good/worker.yaml");
	e.o.role = PKI_ROLE_WORKER;
	pki_bundle_free(run(&e));
	b = run(&e);
	ck_assert_uint_eq(pki_bundle_count(b), 1);
	pki_bundle_free(b);
	env_free(&e);
}
END_TEST

/* A reused key must be of the type asked for, and a staged key must not be
 * the key of the certificate it renews. */
START_TEST(test_reused_key)
{
	struct pki_names only = { 0 };
	struct pki_request *r = NULL;
	struct pki_key *k = NULL;
	enum pki_key_type kt;
	struct pki_buf plan = { 0 };
	struct pki_err err;
	struct env e;
	char key[400], crt[400], staged[400], want[1400];

	pki_err_clear(&err);
	env_init(&e, "request/good/v1beta4-etcd-sans.yaml");
	ck_assert_int_eq(pki_names_add(&only, "etcd-server", &err), 0);
	e.o.only = &only;
	(void)snprintf(key, sizeof(key), "%s/etcd/server.key", e.cert_dir);
	(void)snprintf(crt, sizeof(crt), "%s/etcd/server.crt", e.cert_dir);
	(void)snprintf(staged, sizeof(staged), "%s/" PKI_STAGING_DIR "/etcd-server.key",
		e.cert_dir);
	put_fixture("request/good/etcd-server.key", key, 0600);
	put_fixture("request/good/etcd-server.crt", crt, 0644);
	(void)snprintf(want, sizeof(want), "%s/" PKI_STAGING_DIR, e.cert_dir);
	ck_assert_int_eq(mkdir(want, 0700), 0);

	/* a staged RSA key, a configuration that asks for ECDSA P-256 */
	ck_assert_int_eq(pki_key_generate(PKI_KEY_RSA2048, &k, &err), 0);
	ck_assert_int_eq(pki_key_save(k, staged, PKI_WRITE_NOREPLACE, &err), 0);
	pki_key_free(k);
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	(void)snprintf(want, sizeof(want),
		"profile 'etcd-server': key '%s' is rsa2048, not the ecdsa-p256 asked for by the "
		"encryptionAlgorithm of kubeadm config 'request/good/v1beta4-etcd-sans.yaml'; "
		"remove it for a new key: rm '%s'",
		staged, staged);
	ck_assert_str_eq(err.msg, want);
	/* and --key-type */
	kt = PKI_KEY_RSA4096;
	e.o.key_type = &kt;
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
	(void)snprintf(want, sizeof(want),
		"profile 'etcd-server': key '%s' is rsa2048, not the rsa4096 asked for by "
		"--key-type; remove it for a new key: rm '%s'",
		staged, staged);
	ck_assert_str_eq(err.msg, want);
	/* the type asked for: reused */
	kt = PKI_KEY_RSA2048;
	ck_assert_msg(pki_request_plan(&e.o, &r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(pki_request_describe(r, "-", &plan, &err), 0);
	ck_assert_ptr_nonnull(strstr((const char *)plan.data, "(staged key, reused, rsa2048)"));
	pki_buf_free(&plan);
	pki_request_free(r);
	r = NULL;
	e.o.key_type = NULL;
	ck_assert_int_eq(unlink(staged), 0);

	/* the certificate's own key, staged: a renewal that renews nothing */
	put_fixture("request/good/etcd-server.key", staged, 0600);
	(void)snprintf(want, sizeof(want),
		"profile 'etcd-server': staged key '%s' is the key of the certificate in place, "
		"so a renewal with it would replace nothing; remove it for a new key: rm '%s'",
		staged, staged);
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_str_eq(err.msg, want);
	e.o.flags = PKI_REQUEST_RENEW;
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
	ck_assert_str_eq(err.msg, want);
	e.o.cfg = NULL;
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
	ck_assert_str_eq(err.msg, want);
	ck_assert_ptr_null(r);

	/* a key someone else owns is not ours to use */
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(staged, 65534, 65534), 0);
		ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
		ck_assert_int_eq(err.code, PKI_E_PERM);
		(void)snprintf(want, sizeof(want),
			"key '%s': owned by uid 65534, not by uid 0 who reads it; fix with: chown 0 "
			"'%s'",
			staged, staged);
		ck_assert_str_eq(err.msg, want);
	}
	pki_names_free(&only);
	env_free(&e);
}
END_TEST

/* The staging directory must be a directory of ours, 0700. */
START_TEST(test_staging_dir)
{
	struct pki_request *r = NULL;
	struct pki_err err;
	struct env e;
	char st[400], other[400], want[1400];

	pki_err_clear(&err);
	env_init(&e, "request/good/worker.yaml");
	e.o.role = PKI_ROLE_WORKER;
	ck_assert_int_eq(mkdir(e.cert_dir, 0755), 0);
	(void)snprintf(st, sizeof(st), "%s/" PKI_STAGING_DIR, e.cert_dir);
	switch (_i) {
	case 0:
		(void)snprintf(other, sizeof(other), "%s/elsewhere", e.root);
		ck_assert_int_eq(mkdir(other, 0700), 0);
		ck_assert_int_eq(symlink(other, st), 0);
		(void)snprintf(want, sizeof(want),
			"staging directory '%s': not a directory (a symbolic link)", st);
		break;
	case 1:
		ck_assert_int_eq(mkdir(st, 0700), 0);
		ck_assert_int_eq(chmod(st, 0750), 0);
		(void)snprintf(want, sizeof(want),
			"staging directory '%s': mode 0750, not 0700; fix with: chmod 700 '%s'", st,
			st);
		break;
	default:
		if (geteuid() != 0) {
			env_free(&e);
			return;
		}
		ck_assert_int_eq(mkdir(st, 0700), 0);
		ck_assert_int_eq(chown(st, 65534, 65534), 0);
		(void)snprintf(want, sizeof(want),
			"staging directory '%s': owned by uid 65534, not by uid 0 who runs this; "
			"fix with: chown 0 '%s'",
			st, st);
		break;
	}
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_PERM);
	ck_assert_str_eq(err.msg, want);
	env_free(&e);
}
END_TEST

/* Renewing: the certificate's SANs as kubeadm passes them on, DNS names
 * sorted and de-duplicated, IPs de-duplicated (as Go prints them) in
 * first-seen order. The fixture holds DNS zz.example.com, cp-1, localhost,
 * cp-1, aa.example.com and IP 192.168.0.10, 127.0.0.1, 192.168.0.10, ::1,
 * 0:0:0:0:0:0:0:1, ::ffff:127.0.0.1. */
START_TEST(test_renew_sans)
{
	static const struct want w = { "etcd-server", "etcd/server.crt", CD, "cp-1", { NULL },
		{ "aa.example.com", "cp-1", "localhost", "zz.example.com", NULL },
		{ "192.168.0.10", "127.0.0.1", "::1", NULL }, "pki/kpki-staging/etcd-server.key" };
	struct pki_names only = { 0 };
	struct pki_bundle *b;
	struct pki_err err;
	struct env e;
	char path[400];

	pki_err_clear(&err);
	env_init(&e, NULL);
	e.o.flags = PKI_REQUEST_RENEW;
	ck_assert_int_eq(pki_names_add(&only, "etcd-server", &err), 0);
	e.o.only = &only;
	(void)snprintf(path, sizeof(path), "%s/etcd/server.key", e.cert_dir);
	put_fixture("request/good/etcd-server.key", path, 0600);
	(void)snprintf(path, sizeof(path), "%s/etcd/server.crt", e.cert_dir);
	put_fixture("request/good/etcd-server.crt", path, 0644);
	b = run(&e);
	assert_bundle(&e, b, "cp-1", "kubernetes", &w, 1, "ECDSA");
	pki_bundle_free(b);
	pki_names_free(&only);
	env_free(&e);
}
END_TEST

/* super-admin.conf where kubeadm init runs (an InitConfiguration), and the
 * plan says why; on a joining control-plane node only when named, and the
 * plan says it was left out. */
START_TEST(test_optional)
{
	struct pki_names only = { 0 };
	struct pki_request *r = NULL;
	struct pki_buf plan = { 0 };
	struct pki_bundle *b;
	struct pki_err err;
	struct env e;
	size_t i;

	pki_err_clear(&err);
	env_init(&e, "request/good/v1beta4-etcd-sans.yaml");
	ck_assert_msg(pki_request_plan(&e.o, &r, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(pki_request_count(r), PKI_ARRAY_LEN(want_etcd_sans));
	ck_assert_int_eq(pki_request_describe(r, "-", &plan, &err), 0);
	ck_assert_ptr_nonnull(strstr((const char *)plan.data,
		"\nsuper-admin.conf: requested: this node runs 'kubeadm init' (the configuration "
		"has an InitConfiguration), which needs it\nbundle: standard output\n"));
	ck_assert_ptr_null(strstr((const char *)plan.data, "not requested"));
	pki_buf_free(&plan);
	pki_request_free(r);
	r = NULL;
	env_free(&e);

	/* a JoinConfiguration node: never by default */
	env_init(&e, "request/good/join-cp.yaml");
	ck_assert_msg(pki_request_plan(&e.o, &r, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(pki_request_count(r), PKI_ARRAY_LEN(want_etcd_sans) - 1);
	ck_assert_int_eq(pki_request_describe(r, "-", &plan, &err), 0);
	ck_assert_ptr_nonnull(strstr((const char *)plan.data,
		"profile set 'kubeadm-v1.29', cluster 'lab', node 'cp-2'\n"));
	ck_assert_ptr_nonnull(strstr((const char *)plan.data,
		"\nsuper-admin.conf: not requested: optional, kubeadm makes it only on the node "
		"where 'kubeadm init' runs (name it with --only to request it)\nbundle: "
		"standard output\n"));
	ck_assert_ptr_null(strstr((const char *)plan.data, "requested: this node runs"));
	pki_buf_free(&plan);
	pki_request_free(r);
	b = run(&e);
	ck_assert_str_eq(pki_bundle_cluster(b), "lab");
	for (i = 0; i < pki_bundle_count(b); i++)
		ck_assert_str_ne(pki_bundle_entry_name(pki_bundle_at(b, i)), "super-admin.conf");
	pki_bundle_free(b);
	/* ... and asked for by name */
	ck_assert_int_eq(pki_names_add(&only, "super-admin.conf", &err), 0);
	e.o.only = &only;
	b = run(&e);
	ck_assert_uint_eq(pki_bundle_count(b), 1);
	ck_assert_str_eq(pki_bundle_entry_name(pki_bundle_at(b, 0)), "super-admin.conf");
	pki_bundle_free(b);
	pki_names_free(&only);
	env_free(&e);
}
END_TEST

/* A JoinConfiguration alone lacks the cluster's settings (endpoint,
 * certSANs, clusterName): refused, saying how to add them, nothing written. */
START_TEST(test_join_only)
{
	struct pki_request *r = (struct pki_request *)&r;
	struct pki_err err;
	struct env e;
	char want[5000];

	pki_err_clear(&err);
	env_init(&e, "request/bad/join-only.yaml");
	(void)snprintf(want, sizeof(want),
		"kubeadm config '%s': no ClusterConfiguration: a node joining a cluster needs the "
		"cluster's settings; append them (kubectl -n kube-system get cm kubeadm-config "
		"-o jsonpath='{.data.ClusterConfiguration}') as a second document",
		test_data("request/bad/join-only.yaml"));
	e.o.role = PKI_ROLE_WORKER;
	ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(count_files(e.root), 0);
	env_free(&e);
}
END_TEST

/* The file helpers kpki-csr uses: directories made are recorded, and a
 * write at a directory takes one name. */
START_TEST(test_file_helpers)
{
	struct pki_names made = { 0 };
	struct pki_err err;
	struct env e;
	char dir[400], want[500];
	int fd;

	pki_err_clear(&err);
	env_init(&e, NULL);
	(void)snprintf(dir, sizeof(dir), "%s/a/b", e.root);
	ck_assert_int_eq(pki_mkdirs(dir, 0755, &made, &err), 0);
	ck_assert_int_eq(pki_mkdirs(dir, 0755, &made, &err), 0);
	ck_assert_uint_eq(made.n, 2);
	(void)snprintf(want, sizeof(want), "%s/a", e.root);
	ck_assert_str_eq(made.v[0], want);
	ck_assert_str_eq(made.v[1], dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pki_file_writeat(fd, dir, "k", "x", 1, 0600, PKI_WRITE_NOREPLACE, &err),
		0);
	(void)snprintf(want, sizeof(want), "%s/k", dir);
	assert_mode(want, 0600);
	ck_assert_int_eq(pki_file_writeat(fd, dir, "k", "y", 1, 0600, PKI_WRITE_NOREPLACE, &err),
		-1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	ck_assert_int_eq(pki_file_writeat(fd, dir, "../k", "y", 1, 0600, 0, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_USAGE);
	ck_assert_str_eq(err.msg, "'../k': not a file name");
	close(fd);
	pki_names_free(&made);
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
		"profile set 'kubeadm-v1.29', cluster 'lab', node 'worker-1'\n"
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

/*
 * An install kpki-kubeconfig did not finish (its intent file in the staging
 * directory) stops kpki-csr before it writes anything: found when planning
 * (0: the intent file; 1: a link in its place), or, when the install was
 * killed after the plan, when executing (2).
 */
START_TEST(test_interrupted_install)
{
	struct pki_buf before = { 0 }, after = { 0 };
	struct pki_request *r = NULL;
	struct pki_err err;
	struct env e;
	char st[400], intent[500], want[1400], fp[72] = "x";

	pki_err_clear(&err);
	env_init(&e, "request/good/v1beta4-etcd-sans.yaml");
	ck_assert_int_eq(mkdir(e.cert_dir, 0755), 0);
	(void)snprintf(st, sizeof(st), "%s/" PKI_STAGING_DIR, e.cert_dir);
	(void)snprintf(intent, sizeof(intent), "%s/" PKI_INSTALL_INTENT, st);
	ck_assert_int_eq(mkdir(st, 0700), 0);
	ck_assert_int_eq(chmod(st, 0700), 0);
	(void)snprintf(want, sizeof(want), "install intent '%s': an install was interrupted and "
		"is unfinished: rerun the interrupted kpki-kubeconfig command first, then this one",
		intent);
	if (_i == 1) {
		ck_assert_int_eq(symlink("/dev/null", intent), 0);
		(void)snprintf(want, sizeof(want), "'%s': is a symbolic link where kpki-kubeconfig "
			"keeps its install intent: no key is staged until it is removed", intent);
	}
	if (_i == 0)
		put_fixture("request/good/etcd-server.crt", intent, 0600);
	if (_i == 2)
		ck_assert_msg(pki_request_plan(&e.o, &r, &err) == 0, "%s", err.msg);
	if (_i == 2)
		put_fixture("request/good/etcd-server.crt", intent, 0600);
	tree(e.root, &before);
	if (_i < 2)
		ck_assert_int_eq(pki_request_plan(&e.o, &r, &err), -1);
	else
		ck_assert_int_eq(pki_request_execute(r, e.bundle, 1767225600, fp, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_EXISTS);
	ck_assert_str_eq(err.msg, want);
	ck_assert_str_eq(fp, _i == 2 ? "" : "x");
	/* no key, no directory, no bundle */
	tree(e.root, &after);
	ck_assert_uint_eq(before.len, after.len);
	ck_assert_mem_eq(before.data, after.data, before.len);
	ck_assert_int_eq(access(e.bundle, F_OK), -1);
	/* the install finished (its intent file gone), kpki-csr goes ahead */
	ck_assert_int_eq(unlink(intent), 0);
	pki_request_free(r);
	pki_bundle_free(run(&e));
	pki_buf_free(&before);
	pki_buf_free(&after);
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
	tcase_add_loop_test(tc, test_bundle_target, 0, (int)PKI_ARRAY_LEN(bad_target));
	tcase_add_test(tc, test_bundle_replace);
	tcase_add_test(tc, test_reused_key);
	tcase_add_loop_test(tc, test_staging_dir, 0, 3);
	tcase_add_loop_test(tc, test_interrupted_install, 0, 3);
	tcase_add_test(tc, test_renew_sans);
	tcase_add_test(tc, test_optional);
	tcase_add_test(tc, test_join_only);
	tcase_add_test(tc, test_file_helpers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(request_suite());
}
