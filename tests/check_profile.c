/* check_profile.c — profile sets: the shipped templates against kubeadm's
 * facts, SAN expansion, the loader's errors and the choice of set. */
#include <stdlib.h>
#include <string.h>

#include <pki/kubeadm.h>
#include <pki/profile.h>

#include "internal.h"
#include "testutil.h"

#define HOUR	3600LL
#define CA_KU	(PKI_KU_DIGITAL_SIGNATURE | PKI_KU_KEY_ENCIPHERMENT | PKI_KU_KEY_CERT_SIGN)
#define LEAF_KU (PKI_KU_DIGITAL_SIGNATURE | PKI_KU_KEY_ENCIPHERMENT)
#define SERVER	"1.3.6.1.5.5.7.3.1"
#define CLIENT	"1.3.6.1.5.5.7.3.2"
#define CP	PKI_ROLE_CONTROL_PLANE
#define BOTH	(PKI_ROLE_CONTROL_PLANE | PKI_ROLE_WORKER)

static const char *
templates_dir(void)
{
	const char *d = getenv("KPKI_TEMPLATES_DIR");

	return d != NULL && *d != '\0' ? d : "templates";
}

static struct pki_profile_set *
must_load(const char *ref)
{
	struct pki_profile_set *set = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(setenv("KPKI_TEMPLATES_DIR", templates_dir(), 1), 0);
	ck_assert_msg(pki_profile_set_load(ref, &set, &err) == 0, "%s: %s", ref, err.msg);
	return set;
}

static struct pki_kubeadm *
must_config(const char *rel)
{
	struct pki_kubeadm *cfg = NULL;
	struct pki_err err;

	if (rel == NULL)
		return NULL;
	pki_err_clear(&err);
	ck_assert_msg(pki_kubeadm_load(test_data(rel), &cfg, &err) == 0, "%s", err.msg);
	return cfg;
}

/* ---- the shipped sets, checked against the reference tables (§1–§3) ----- */

struct expect {
	const char *name;
	enum pki_profile_kind kind;
	enum pki_profile_location loc;
	const char *path, *ca, *cn, *o;
	unsigned ku;
	const char *eku[2];
	int64_t validity;
	int report, local_etcd;
	unsigned roles;
	enum pki_profile_server server;
	int has_sans;
};

static const struct expect v129[] = {
	{ "ca", PKI_PROFILE_CA, PKI_LOC_CERT_DIR, "ca", NULL, "kubernetes", NULL, CA_KU,
		{ NULL }, 87600 * HOUR, 1, 0, CP, PKI_SERVER_NONE, 1 },
	{ "etcd-ca", PKI_PROFILE_CA, PKI_LOC_CERT_DIR, "etcd/ca", NULL, "etcd-ca", NULL, CA_KU,
		{ NULL }, 87600 * HOUR, 1, 1, CP, PKI_SERVER_NONE, 1 },
	{ "front-proxy-ca", PKI_PROFILE_CA, PKI_LOC_CERT_DIR, "front-proxy-ca", NULL,
		"front-proxy-ca", NULL, CA_KU, { NULL }, 87600 * HOUR, 1, 0, CP, PKI_SERVER_NONE, 1 },
	{ "apiserver", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR, "apiserver", "ca", "kube-apiserver",
		NULL, LEAF_KU, { SERVER }, 8760 * HOUR, 1, 0, CP, PKI_SERVER_NONE, 1 },
	{ "apiserver-kubelet-client", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR,
		"apiserver-kubelet-client", "ca", "kube-apiserver-kubelet-client",
		"kubeadm:cluster-admins", LEAF_KU, { CLIENT }, 8760 * HOUR, 1, 0, CP,
		PKI_SERVER_NONE, 0 },
	{ "front-proxy-client", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR, "front-proxy-client",
		"front-proxy-ca", "front-proxy-client", NULL, LEAF_KU, { CLIENT }, 8760 * HOUR, 1, 0,
		CP, PKI_SERVER_NONE, 0 },
	{ "apiserver-etcd-client", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR, "apiserver-etcd-client",
		"etcd-ca", "kube-apiserver-etcd-client", NULL, LEAF_KU, { CLIENT }, 8760 * HOUR, 1,
		1, CP, PKI_SERVER_NONE, 0 },
	{ "etcd-server", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR, "etcd/server", "etcd-ca",
		"${nodeName}", NULL, LEAF_KU, { SERVER, CLIENT }, 8760 * HOUR, 1, 1, CP,
		PKI_SERVER_NONE, 1 },
	{ "etcd-peer", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR, "etcd/peer", "etcd-ca", "${nodeName}",
		NULL, LEAF_KU, { SERVER, CLIENT }, 8760 * HOUR, 1, 1, CP, PKI_SERVER_NONE, 1 },
	{ "etcd-healthcheck-client", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR,
		"etcd/healthcheck-client", "etcd-ca", "kube-etcd-healthcheck-client", NULL, LEAF_KU,
		{ CLIENT }, 8760 * HOUR, 1, 1, CP, PKI_SERVER_NONE, 0 },
	{ "admin.conf", PKI_PROFILE_KUBECONFIG, PKI_LOC_KUBECONFIG_DIR, "admin.conf", "ca",
		"kubernetes-admin", "kubeadm:cluster-admins", LEAF_KU, { CLIENT }, 8760 * HOUR, 1, 0,
		CP, PKI_SERVER_CONTROL_PLANE, 0 },
	{ "super-admin.conf", PKI_PROFILE_KUBECONFIG, PKI_LOC_KUBECONFIG_DIR, "super-admin.conf",
		"ca", "kubernetes-super-admin", "system:masters", LEAF_KU, { CLIENT }, 8760 * HOUR, 1,
		0, CP, PKI_SERVER_CONTROL_PLANE, 0 },
	{ "controller-manager.conf", PKI_PROFILE_KUBECONFIG, PKI_LOC_KUBECONFIG_DIR,
		"controller-manager.conf", "ca", "system:kube-controller-manager", NULL, LEAF_KU,
		{ CLIENT }, 8760 * HOUR, 1, 0, CP, PKI_SERVER_LOCAL, 0 },
	{ "scheduler.conf", PKI_PROFILE_KUBECONFIG, PKI_LOC_KUBECONFIG_DIR, "scheduler.conf", "ca",
		"system:kube-scheduler", NULL, LEAF_KU, { CLIENT }, 8760 * HOUR, 1, 0, CP,
		PKI_SERVER_LOCAL, 0 },
	{ "kubelet.conf", PKI_PROFILE_KUBECONFIG, PKI_LOC_KUBECONFIG_DIR, "kubelet.conf", "ca",
		"system:node:${nodeName}", "system:nodes", LEAF_KU, { CLIENT }, 8760 * HOUR, 0, 0,
		BOTH, PKI_SERVER_CONTROL_PLANE, 0 },
	{ "kubelet", PKI_PROFILE_CERT, PKI_LOC_KUBELET_DIR, "kubelet", "ca",
		"system:node:${nodeName}", "system:nodes", LEAF_KU, { SERVER }, 8760 * HOUR, 0, 0,
		BOTH, PKI_SERVER_NONE, 1 },
};

/* kubeadm v1.22–v1.28: system:masters on four certificates, no super-admin.conf */
static const struct expect v122[] = {
	{ "ca", PKI_PROFILE_CA, PKI_LOC_CERT_DIR, "ca", NULL, "kubernetes", NULL, CA_KU,
		{ NULL }, 87600 * HOUR, 1, 0, CP, PKI_SERVER_NONE, 1 },
	{ "etcd-ca", PKI_PROFILE_CA, PKI_LOC_CERT_DIR, "etcd/ca", NULL, "etcd-ca", NULL, CA_KU,
		{ NULL }, 87600 * HOUR, 1, 1, CP, PKI_SERVER_NONE, 1 },
	{ "front-proxy-ca", PKI_PROFILE_CA, PKI_LOC_CERT_DIR, "front-proxy-ca", NULL,
		"front-proxy-ca", NULL, CA_KU, { NULL }, 87600 * HOUR, 1, 0, CP, PKI_SERVER_NONE, 1 },
	{ "apiserver", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR, "apiserver", "ca", "kube-apiserver",
		NULL, LEAF_KU, { SERVER }, 8760 * HOUR, 1, 0, CP, PKI_SERVER_NONE, 1 },
	{ "apiserver-kubelet-client", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR,
		"apiserver-kubelet-client", "ca", "kube-apiserver-kubelet-client", "system:masters",
		LEAF_KU, { CLIENT }, 8760 * HOUR, 1, 0, CP, PKI_SERVER_NONE, 0 },
	{ "front-proxy-client", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR, "front-proxy-client",
		"front-proxy-ca", "front-proxy-client", NULL, LEAF_KU, { CLIENT }, 8760 * HOUR, 1, 0,
		CP, PKI_SERVER_NONE, 0 },
	{ "apiserver-etcd-client", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR, "apiserver-etcd-client",
		"etcd-ca", "kube-apiserver-etcd-client", "system:masters", LEAF_KU, { CLIENT },
		8760 * HOUR, 1, 1, CP, PKI_SERVER_NONE, 0 },
	{ "etcd-server", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR, "etcd/server", "etcd-ca",
		"${nodeName}", NULL, LEAF_KU, { SERVER, CLIENT }, 8760 * HOUR, 1, 1, CP,
		PKI_SERVER_NONE, 1 },
	{ "etcd-peer", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR, "etcd/peer", "etcd-ca", "${nodeName}",
		NULL, LEAF_KU, { SERVER, CLIENT }, 8760 * HOUR, 1, 1, CP, PKI_SERVER_NONE, 1 },
	{ "etcd-healthcheck-client", PKI_PROFILE_CERT, PKI_LOC_CERT_DIR,
		"etcd/healthcheck-client", "etcd-ca", "kube-etcd-healthcheck-client",
		"system:masters", LEAF_KU, { CLIENT }, 8760 * HOUR, 1, 1, CP, PKI_SERVER_NONE, 0 },
	{ "admin.conf", PKI_PROFILE_KUBECONFIG, PKI_LOC_KUBECONFIG_DIR, "admin.conf", "ca",
		"kubernetes-admin", "system:masters", LEAF_KU, { CLIENT }, 8760 * HOUR, 1, 0, CP,
		PKI_SERVER_CONTROL_PLANE, 0 },
	{ "controller-manager.conf", PKI_PROFILE_KUBECONFIG, PKI_LOC_KUBECONFIG_DIR,
		"controller-manager.conf", "ca", "system:kube-controller-manager", NULL, LEAF_KU,
		{ CLIENT }, 8760 * HOUR, 1, 0, CP, PKI_SERVER_LOCAL, 0 },
	{ "scheduler.conf", PKI_PROFILE_KUBECONFIG, PKI_LOC_KUBECONFIG_DIR, "scheduler.conf", "ca",
		"system:kube-scheduler", NULL, LEAF_KU, { CLIENT }, 8760 * HOUR, 1, 0, CP,
		PKI_SERVER_LOCAL, 0 },
	{ "kubelet.conf", PKI_PROFILE_KUBECONFIG, PKI_LOC_KUBECONFIG_DIR, "kubelet.conf", "ca",
		"system:node:${nodeName}", "system:nodes", LEAF_KU, { CLIENT }, 8760 * HOUR, 0, 0,
		BOTH, PKI_SERVER_CONTROL_PLANE, 0 },
	{ "kubelet", PKI_PROFILE_CERT, PKI_LOC_KUBELET_DIR, "kubelet", "ca",
		"system:node:${nodeName}", "system:nodes", LEAF_KU, { SERVER }, 8760 * HOUR, 0, 0,
		BOTH, PKI_SERVER_NONE, 1 },
};

static void
check_profile(const struct pki_profile_set *set, size_t i, const struct expect *e)
{
	const struct pki_profile *p = pki_profile_set_at(set, i);
	const struct pki_names *eku;
	struct pki_names org = { 0 };
	struct pki_err err;
	char *cn = NULL;
	size_t n;

	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(pki_profile_name(p), e->name);
	ck_assert_ptr_eq(pki_profile_set_find(set, e->name), p);
	ck_assert_int_eq(pki_profile_kind(p), e->kind);
	ck_assert_int_eq(pki_profile_location(p), e->loc);
	ck_assert_str_eq(pki_profile_path(p), e->path);
	if (e->ca == NULL)
		ck_assert_ptr_null(pki_profile_ca(p));
	else
		ck_assert_str_eq(pki_profile_ca(p), e->ca);
	ck_assert_msg(pki_profile_key_usage(p) == e->ku, "%s: key usage %#x", e->name,
		pki_profile_key_usage(p));
	eku = pki_profile_ext_key_usage(p);
	n = e->eku[0] == NULL ? 0 : e->eku[1] == NULL ? 1 : 2;
	ck_assert_uint_eq(eku->n, n);
	for (size_t k = 0; k < n; k++)
		ck_assert_str_eq(eku->v[k], e->eku[k]);
	ck_assert_int_eq(pki_profile_validity(p), e->validity);
	ck_assert_int_eq(pki_profile_in_expiration_report(p), e->report);
	ck_assert_int_eq(pki_profile_needs_local_etcd(p), e->local_etcd);
	ck_assert_uint_eq(pki_profile_roles(p), e->roles);
	ck_assert_int_eq(pki_profile_server(p), e->server);
	ck_assert_int_eq(pki_profile_allows_ed25519(p), 0);
	ck_assert_int_eq(pki_profile_has_sans(p), e->has_sans);

	/* without a configuration the subject comes back as written */
	pki_err_clear(&err);
	ck_assert_int_eq(pki_profile_subject(p, NULL, &cn, &org, &err), 0);
	ck_assert_str_eq(cn, e->cn);
	ck_assert_uint_eq(org.n, e->o != NULL);
	if (e->o != NULL)
		ck_assert_str_eq(org.v[0], e->o);
	free(cn);
	pki_names_free(&org);
}

START_TEST(test_v129)
{
	struct pki_profile_set *set = must_load("kubeadm-v1.29");

	ck_assert_str_eq(pki_profile_set_name(set), "kubeadm-v1.29");
	ck_assert_uint_eq(pki_profile_set_count(set), PKI_ARRAY_LEN(v129));
	check_profile(set, (size_t)_i, &v129[_i]);
	ck_assert_ptr_null(pki_profile_set_at(set, PKI_ARRAY_LEN(v129)));
	pki_profile_set_free(set);
}
END_TEST

START_TEST(test_v122)
{
	struct pki_profile_set *set = must_load("kubeadm-v1.22");

	ck_assert_str_eq(pki_profile_set_name(set), "kubeadm-v1.22");
	ck_assert_uint_eq(pki_profile_set_count(set), PKI_ARRAY_LEN(v122));
	check_profile(set, (size_t)_i, &v122[_i]);
	ck_assert_ptr_null(pki_profile_set_find(set, "super-admin.conf"));
	pki_profile_set_free(set);
}
END_TEST

/* The CAs' DNS SAN equals their CN (reference §2). */
START_TEST(test_ca_sans)
{
	static const char *const cas[] = { "ca", "etcd-ca", "front-proxy-ca" };
	static const char *const cns[] = { "kubernetes", "etcd-ca", "front-proxy-ca" };
	struct pki_profile_set *set = must_load("kubeadm-v1.29");
	struct pki_kubeadm *cfg = must_config("kubeadm/good/v1beta4-full.yaml");
	struct pki_names dns, ip;
	struct pki_err err;

	for (size_t i = 0; i < PKI_ARRAY_LEN(cas); i++) {
		pki_err_clear(&err);
		ck_assert_int_eq(pki_profile_sans(pki_profile_set_find(set, cas[i]), cfg, &dns, &ip,
					 &err),
			0);
		ck_assert_uint_eq(dns.n, 1);
		ck_assert_str_eq(dns.v[0], cns[i]);
		ck_assert_uint_eq(ip.n, 0);
		pki_names_free(&dns);
		pki_names_free(&ip);
	}
	pki_kubeadm_free(cfg);
	pki_profile_set_free(set);
}
END_TEST

/* ---- SAN expansion: expected lists written by hand ------------------------ */

#define MAXN 10
static const struct san_case {
	const char *config; /* NULL: kubeadm's defaults */
	const char *set, *profile;
	const char *dns[MAXN], *ip[MAXN];
} san_cases[] = {
	/* v1beta4: CPE by name, extra certSANs with a duplicate, an IP, a wildcard,
	 * an invalid entry (dropped), the advertise address again, IPv6 upper case */
	{ "kubeadm/good/v1beta4-full.yaml", "kubeadm-v1.29", "apiserver",
		{ "*.apps.example.com", "api.example.com", "cp-1", "k8s.example.com", "kubernetes",
			"kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.corp.local" },
		{ "10.100.0.1", "192.168.0.10", "10.0.0.5", "2001:db8::1" } },
	{ "kubeadm/good/v1beta4-full.yaml", "kubeadm-v1.29", "etcd-server",
		{ "cp-1", "etcd.example.com", "localhost" },
		{ "192.168.0.10", "127.0.0.1", "::1", "10.1.1.1" } },
	/* "0:0::1" is ::1 again */
	{ "kubeadm/good/v1beta4-full.yaml", "kubeadm-v1.29", "etcd-peer",
		{ "cp-1", "localhost", "peer.example.com" },
		{ "192.168.0.10", "127.0.0.1", "::1", "fd00::9" } },
	{ "kubeadm/good/v1beta4-full.yaml", "kubeadm-v1.29", "kubelet", { "cp-1" },
		{ "192.168.0.10" } },
	{ "kubeadm/good/v1beta4-full.yaml", "kubeadm-v1.29", "admin.conf", { NULL }, { NULL } },
	{ "kubeadm/good/v1beta4-full.yaml", "kubeadm-v1.29", "front-proxy-client", { NULL },
		{ NULL } },
	/* v1beta3 dual-stack: the VIP comes from the first (IPv4) subnet; the CPE is
	 * an IP */
	{ "kubeadm/good/v1beta3-dualstack.yaml", "kubeadm-v1.22", "apiserver",
		{ "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local", "lb.example.com", "node-b" },
		{ "10.96.0.1", "10.0.0.10", "10.0.0.100" } },
	{ "kubeadm/good/v1beta3-dualstack.yaml", "kubeadm-v1.22", "etcd-server",
		{ "localhost", "node-b" }, { "10.0.0.10", "127.0.0.1", "::1" } },
	/* v1beta2 IPv6 only, bracketed CPE, custom dnsDomain */
	{ "kubeadm/good/v1beta2-ipv6.yaml", "kubeadm-v1.22", "apiserver",
		{ "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.example.internal", "node-c" },
		{ "fd00:10:96::1", "fd00::10", "fd00::100" } },
	{ "kubeadm/good/v1beta2-ipv6.yaml", "kubeadm-v1.22", "etcd-peer", { "localhost", "node-c" },
		{ "fd00::10", "127.0.0.1", "::1" } },
	/* join --control-plane: node name trimmed and lower-cased */
	{ "kubeadm/good/join-v1beta3.yaml", "kubeadm-v1.29", "apiserver",
		{ "cp-2", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local" },
		{ "10.96.0.1", "10.0.0.11" } },
	/* dual-stack with IPv6 first; no node name, no advertise address */
	{ "kubeadm/good/cluster-v6first-external.yaml", "kubeadm-v1.29", "apiserver",
		{ "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local" },
		{ "fd00:10:96::1" } },
	{ "kubeadm/good/cluster-v6first-external.yaml", "kubeadm-v1.29", "kubelet", { NULL },
		{ NULL } },
	/* no configuration: only the sources without a variable */
	{ NULL, "kubeadm-v1.29", "apiserver",
		{ "kubernetes", "kubernetes.default", "kubernetes.default.svc" }, { NULL } },
	{ NULL, "kubeadm-v1.29", "etcd-server", { "localhost" }, { "127.0.0.1", "::1" } },
	{ NULL, "kubeadm-v1.22", "etcd-ca", { "etcd-ca" }, { NULL } },
};

static void
assert_list(const struct pki_names *got, const char *const *want, const char *what)
{
	size_t n;

	for (n = 0; n < MAXN && want[n] != NULL; n++)
		;
	ck_assert_msg(got->n == n, "%s: %zu entries, want %zu", what, got->n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(strcmp(got->v[i], want[i]) == 0, "%s[%zu]: '%s', want '%s'", what, i,
			got->v[i], want[i]);
}

START_TEST(test_sans)
{
	const struct san_case *c = &san_cases[_i];
	struct pki_profile_set *set = must_load(c->set);
	struct pki_kubeadm *cfg = must_config(c->config);
	const struct pki_profile *p = pki_profile_set_find(set, c->profile);
	struct pki_names dns = { 0 }, ip = { 0 };
	struct pki_err err;

	ck_assert_ptr_nonnull(p);
	pki_err_clear(&err);
	ck_assert_msg(pki_profile_sans(p, cfg, &dns, &ip, &err) == 0, "%s", err.msg);
	assert_list(&dns, c->dns, "dns");
	assert_list(&ip, c->ip, "ip");
	pki_names_free(&dns);
	pki_names_free(&ip);
	pki_kubeadm_free(cfg);
	pki_profile_set_free(set);
}
END_TEST

/* ---- subjects ------------------------------------------------------------- */

START_TEST(test_subject_expanded)
{
	static const struct {
		const char *profile, *cn, *o;
	} cases[] = {
		{ "etcd-server", "cp-1", NULL },
		{ "etcd-peer", "cp-1", NULL },
		{ "kubelet.conf", "system:node:cp-1", "system:nodes" },
		{ "kubelet", "system:node:cp-1", "system:nodes" },
		{ "admin.conf", "kubernetes-admin", "kubeadm:cluster-admins" },
		{ "apiserver", "kube-apiserver", NULL },
	};
	struct pki_profile_set *set = must_load("kubeadm-v1.29");
	struct pki_kubeadm *cfg = must_config("kubeadm/good/v1beta4-full.yaml");
	struct pki_names org;
	struct pki_err err;
	char *cn;

	for (size_t i = 0; i < PKI_ARRAY_LEN(cases); i++) {
		pki_err_clear(&err);
		ck_assert_int_eq(pki_profile_subject(pki_profile_set_find(set, cases[i].profile), cfg,
					 &cn, &org, &err),
			0);
		ck_assert_str_eq(cn, cases[i].cn);
		ck_assert_uint_eq(org.n, cases[i].o != NULL);
		if (cases[i].o != NULL)
			ck_assert_str_eq(org.v[0], cases[i].o);
		free(cn);
		pki_names_free(&org);
	}
	pki_kubeadm_free(cfg);
	pki_profile_set_free(set);
}
END_TEST

START_TEST(test_subject_unset)
{
	struct pki_profile_set *set = must_load("kubeadm-v1.29");
	struct pki_kubeadm *cfg = NULL;
	struct pki_names org = { 0 };
	struct pki_err err;
	char *cn = (char *)&cn;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_kubeadm_defaults(&cfg, &err), 0);
	ck_assert_int_eq(pki_profile_subject(pki_profile_set_find(set, "kubelet.conf"), cfg, &cn,
				 &org, &err),
		-1);
	ck_assert_ptr_null(cn);
	ck_assert_uint_eq(org.n, 0);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_str_eq(err.msg, "profile 'kubelet.conf': subject cn 'system:node:${nodeName}' "
				  "uses a variable the kubeadm configuration does not set");
	pki_kubeadm_free(cfg);
	pki_profile_set_free(set);
}
END_TEST

/* ---- a small set of our own: every key, defaults ----------------------- */

START_TEST(test_mini)
{
	struct pki_profile_set *set = NULL;
	struct pki_kubeadm *cfg = must_config("kubeadm/good/v1beta4-full.yaml");
	const struct pki_profile *leaf, *user;
	struct pki_names dns, ip, org;
	struct pki_err err;
	char *cn;

	pki_err_clear(&err);
	ck_assert_msg(pki_profile_set_load(test_data("profile/good/mini.yaml"), &set, &err) == 0,
		"%s", err.msg);
	ck_assert_str_eq(pki_profile_set_name(set), "mini");
	ck_assert_str_eq(pki_profile_set_description(set), "a test set");
	ck_assert_uint_eq(pki_profile_set_count(set), 3);
	ck_assert_ptr_null(pki_profile_set_find(set, "apiserver"));

	leaf = pki_profile_set_find(set, "leaf");
	ck_assert_int_eq(pki_profile_location(leaf), PKI_LOC_KUBELET_DIR);
	ck_assert_str_eq(pki_profile_path(leaf), "sub/leaf");
	ck_assert_uint_eq(pki_profile_key_usage(leaf), PKI_KU_DIGITAL_SIGNATURE);
	ck_assert_uint_eq(pki_profile_ext_key_usage(leaf)->n, 2);
	ck_assert_str_eq(pki_profile_ext_key_usage(leaf)->v[0], CLIENT);
	ck_assert_str_eq(pki_profile_ext_key_usage(leaf)->v[1], SERVER);
	ck_assert_int_eq(pki_profile_validity(leaf), 395 * 86400LL);
	ck_assert_int_eq(pki_profile_allows_ed25519(leaf), 1);
	ck_assert_int_eq(pki_profile_in_expiration_report(leaf), 0);
	ck_assert_uint_eq(pki_profile_roles(leaf), BOTH);

	user = pki_profile_set_find(set, "user.conf");
	ck_assert_int_eq(pki_profile_location(user), PKI_LOC_KUBECONFIG_DIR);
	ck_assert_int_eq(pki_profile_validity(user), 12 * HOUR + 30 * 60);
	ck_assert_uint_eq(pki_profile_roles(user), PKI_ROLE_WORKER);
	ck_assert_int_eq(pki_profile_server(user), PKI_SERVER_LOCAL);
	ck_assert_int_eq(pki_profile_has_sans(user), 0);

	/* variables inside longer values */
	ck_assert_int_eq(pki_profile_subject(leaf, cfg, &cn, &org, &err), 0);
	ck_assert_str_eq(cn, "node:cp-1");
	ck_assert_uint_eq(org.n, 2);
	ck_assert_str_eq(org.v[0], "g1");
	ck_assert_str_eq(org.v[1], "prod-admins");
	free(cn);
	pki_names_free(&org);
	ck_assert_int_eq(pki_profile_subject(leaf, NULL, &cn, &org, &err), 0);
	ck_assert_str_eq(cn, "node:${nodeName}");
	ck_assert_str_eq(org.v[1], "${clusterName}-admins");
	free(cn);
	pki_names_free(&org);

	/* a literal IP after the list, the advertise address again at the end */
	ck_assert_int_eq(pki_profile_sans(leaf, cfg, &dns, &ip, &err), 0);
	{
		static const char *const wd[] = { "*.apps.example.com", "api.example.com", "cp-1",
			"k8s.example.com", "web.corp.local", NULL };
		static const char *const wi[] = { "10.0.0.5", "192.168.0.10", "2001:db8::1",
			"192.0.2.7", NULL };

		assert_list(&dns, wd, "dns");
		assert_list(&ip, wi, "ip");
	}
	pki_names_free(&dns);
	pki_names_free(&ip);
	/* no configuration: only the fixed sources remain */
	ck_assert_int_eq(pki_profile_sans(leaf, NULL, &dns, &ip, &err), 0);
	{
		static const char *const wd[] = { NULL };
		static const char *const wi[] = { "192.0.2.7", NULL };

		assert_list(&dns, wd, "dns");
		assert_list(&ip, wi, "ip");
	}
	pki_names_free(&dns);
	pki_names_free(&ip);
	pki_kubeadm_free(cfg);
	pki_profile_set_free(set);
	pki_profile_set_free(NULL);
}
END_TEST

/* ---- bad sets: exact messages with file and line --------------------------- */

static const struct bad_case {
	const char *file;
	enum pki_errcode code;
	const char *msg;
} bad_cases[] = {
	{ "unknown-top-key", PKI_E_PARSE, "line 4: unknown key 'author' in the profile set" },
	{ "unknown-profile-key", PKI_E_PARSE, "line 32: unknown key 'colour' in profile 'leaf'" },
	{ "unknown-subject-key", PKI_E_PARSE,
		"line 38: unknown key 'ou' in the subject of profile 'user.conf'" },
	{ "unknown-ku", PKI_E_INVALID,
		"line 22: profile 'leaf': unknown key usage 'signing' in 'key-usage'" },
	{ "unknown-eku", PKI_E_INVALID,
		"line 23: profile 'leaf': unknown extended key usage 'serverAuth' in 'ext-key-usage'" },
	{ "dup-ku", PKI_E_INVALID,
		"line 22: profile 'leaf': key usage 'digital-signature' is listed twice" },
	{ "missing-path", PKI_E_INVALID, "line 16: profile 'leaf': missing 'path'" },
	{ "missing-subject", PKI_E_INVALID, "line 34: profile 'user.conf': missing 'subject'" },
	{ "missing-cn", PKI_E_INVALID, "line 38: profile 'user.conf': missing 'cn'" },
	{ "missing-validity", PKI_E_INVALID, "line 34: profile 'user.conf': missing 'validity'" },
	{ "missing-name", PKI_E_INVALID, "line 34: missing 'name'" },
	{ "missing-format", PKI_E_INVALID, "line 1: missing 'format'" },
	{ "missing-profiles", PKI_E_INVALID, "line 1: missing 'profiles'" },
	{ "kubeconfig-no-server", PKI_E_INVALID, "line 34: profile 'user.conf': missing 'server'" },
	{ "leaf-no-eku", PKI_E_INVALID, "line 16: profile 'leaf': missing 'ext-key-usage'" },
	{ "unknown-var", PKI_E_INVALID,
		"line 26: profile 'leaf': sans: unknown variable '${dnsdomain}'" },
	{ "unknown-var-cn", PKI_E_INVALID,
		"line 21: profile 'leaf': subject cn: unknown variable '${node}'" },
	{ "list-var-embedded", PKI_E_INVALID,
		"line 27: profile 'leaf': sans: list variable '${apiServer.certSANs}' must stand "
		"alone as a whole entry" },
	{ "list-var-cn", PKI_E_INVALID,
		"line 38: profile 'user.conf': subject cn: list variable '${etcd.peerCertSANs}' is "
		"not allowed here" },
	{ "bad-dollar", PKI_E_INVALID,
		"line 26: profile 'leaf': sans: 'web.$dnsDomain': '$' must start a variable written "
		"${name}" },
	{ "unclosed-var", PKI_E_INVALID,
		"line 26: profile 'leaf': sans: 'web.${dnsDomain': '$' must start a variable "
		"written ${name}" },
	{ "ca-unknown", PKI_E_INVALID,
		"line 37: profile 'user.conf': ca 'root' is not a profile of this set" },
	{ "ca-not-ca", PKI_E_INVALID, "line 37: profile 'user.conf': ca 'leaf' is not a CA profile" },
	{ "ca-on-ca", PKI_E_INVALID,
		"line 10: profile 'ca': a CA profile is self-signed and takes no 'ca'" },
	{ "dup-name", PKI_E_INVALID, "line 34: profile 'leaf': defined twice (first at line 16)" },
	{ "bad-format", PKI_E_INVALID, "line 1: format 'kpki-profiles/v2' is not kpki-profiles/v1" },
	{ "bad-kind", PKI_E_INVALID,
		"line 35: profile 'user.conf': kind 'client' is not one of ca, cert or kubeconfig" },
	{ "bad-location", PKI_E_INVALID,
		"line 16: profile 'leaf': location 'kubeconfig-dir' does not suit kind 'cert'" },
	{ "ca-no-cert-sign", PKI_E_INVALID,
		"line 7: profile 'ca': a CA profile needs key usage 'cert-sign'" },
	{ "leaf-cert-sign", PKI_E_INVALID,
		"line 16: profile 'leaf': only a CA profile may have key usage 'cert-sign'" },
	{ "server-on-cert", PKI_E_INVALID,
		"line 16: profile 'leaf': only a kubeconfig profile takes 'server'" },
	{ "bad-server", PKI_E_INVALID,
		"line 43: profile 'user.conf': server 'localhost' is not one of "
		"control-plane-endpoint or local-endpoint" },
	{ "kubeconfig-sans", PKI_E_INVALID,
		"line 34: profile 'user.conf': a kubeconfig client certificate takes no 'sans'" },
	{ "bad-validity", PKI_E_PARSE,
		"line 41: profile 'user.conf': validity: duration '12 hours' needs a unit (y, w, d, "
		"h, m or s) after each number" },
	{ "zero-validity", PKI_E_INVALID,
		"line 41: profile 'user.conf': validity must be longer than 0s" },
	{ "bad-version", PKI_E_INVALID,
		"line 5: kubeadm min '1.x' is not a version such as \"1.29\"" },
	{ "max-below-min", PKI_E_INVALID, "line 6: kubeadm max '1.29' is below min '1.30'" },
	{ "bad-path", PKI_E_INVALID,
		"line 19: profile 'leaf': path '../leaf' is not a relative path of plain names" },
	{ "abs-path", PKI_E_INVALID,
		"line 19: profile 'leaf': path '/etc/leaf' is not a relative path of plain names" },
	{ "bad-role", PKI_E_INVALID,
		"line 42: profile 'user.conf': unknown node role 'node' (control-plane or worker)" },
	{ "dup-role", PKI_E_INVALID, "line 42: profile 'user.conf': role 'worker' is listed twice" },
	{ "empty-roles", PKI_E_INVALID, "line 42: profile 'user.conf': 'roles' is empty" },
	{ "bad-bool", PKI_E_PARSE, "line 32: 'allow-ed25519' must be true or false" },
	{ "bad-name", PKI_E_INVALID,
		"line 34: profile name 'User.conf' is not lower-case letters, digits, '.' and '-'" },
	{ "empty-profiles", PKI_E_INVALID, "line 6: 'profiles' must hold 1 to 64 profiles" },
	{ "profile-not-map", PKI_E_INVALID, "line 7: a profile must be a mapping" },
	{ "local-etcd-missing", PKI_E_INVALID,
		"line 21: profile 'leaf': signed by 'ca', which needs a local etcd, so it needs "
		"'local-etcd: true'" },
	{ "wrong-type", PKI_E_PARSE, "line 12: 'sans' must be a list, not a value" },
	{ "alias", PKI_E_PARSE, "line 42: YAML aliases are not allowed" },
	{ "dup-key", PKI_E_PARSE, "line 9: duplicate key 'kind'" },
	{ "truncated", PKI_E_PARSE, "line 23: did not find expected ',' or ']'" },
	{ "two-docs", PKI_E_LIMIT, "more than 1 YAML documents" },
	{ "not-mapping", PKI_E_PARSE, "not one YAML mapping" },
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct pki_profile_set *set = (struct pki_profile_set *)&set;
	struct pki_buf b = { 0 };
	struct pki_err err;
	char rel[128], name[128], want[8192];

	ck_assert_int_lt(snprintf(rel, sizeof(rel), "profile/bad/%s.yaml", c->file),
		(int)sizeof(rel));
	ck_assert_int_lt(snprintf(name, sizeof(name), "%s.yaml", c->file), (int)sizeof(name));
	test_read(rel, &b);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_profile_set_parse(b.data, b.len, name, &set, &err), -1);
	ck_assert_ptr_null(set);
	(void)snprintf(want, sizeof(want), "profile set '%s': %s", name, c->msg);
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(err.code, c->code);
	pki_buf_free(&b);

	/* through pki_profile_set_load the message names the path */
	ck_assert_int_eq(pki_profile_set_load(test_data(rel), &set, &err), -1);
	(void)snprintf(want, sizeof(want), "profile set '%s': %s", test_data(rel), c->msg);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_limits)
{
	struct pki_buf b = { 0 };
	struct pki_profile_set *set = NULL;
	struct pki_err err;
	int i;

	pki_err_clear(&err);
	/* 65 profiles */
	ck_assert_int_eq(pki_buf_printf(&b, &err, "format: kpki-profiles/v1\nname: big\n"
						  "description: d\nkubeadm: {min: \"1.30\"}\nprofiles:\n"),
		0);
	for (i = 0; i < 65; i++)
		ck_assert_int_eq(pki_buf_printf(&b, &err,
					 "  - {name: ca%d, kind: ca, path: ca%d, subject: {cn: c},"
					 " key-usage: [cert-sign], validity: 1d, roles: [worker]}\n",
					 i, i),
			0);
	ck_assert_int_eq(pki_profile_set_parse(b.data, b.len, "big.yaml", &set, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "profile set 'big.yaml': line 6: 'profiles' must hold 1 to 64 "
				  "profiles");
	pki_buf_free(&b);

	/* 65 SAN sources */
	ck_assert_int_eq(pki_buf_printf(&b, &err,
				 "format: kpki-profiles/v1\nname: big\ndescription: d\n"
				 "kubeadm: {min: \"1.30\"}\nprofiles:\n"
				 "  - name: ca\n    kind: ca\n    path: ca\n    subject: {cn: c}\n"
				 "    key-usage: [cert-sign]\n    validity: 1d\n    roles: [worker]\n"
				 "    sans:\n"),
		0);
	for (i = 0; i < 65; i++)
		ck_assert_int_eq(pki_buf_printf(&b, &err, "      - n%d\n", i), 0);
	ck_assert_int_eq(pki_profile_set_parse(b.data, b.len, "sans.yaml", &set, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "profile set 'sans.yaml': line 14: profile 'ca': more than 64 "
				  "entries in 'sans'");
	pki_buf_free(&b);

	/* a value over 256 bytes */
	ck_assert_int_eq(pki_buf_printf(&b, &err,
				 "format: kpki-profiles/v1\nname: big\ndescription: d\n"
				 "kubeadm: {min: \"1.30\"}\nprofiles:\n"
				 "  - name: ca\n    kind: ca\n    path: ca\n    subject: {cn: %0300d}\n",
				 0),
		0);
	ck_assert_int_eq(pki_profile_set_parse(b.data, b.len, "long.yaml", &set, &err), -1);
	ck_assert_str_eq(err.msg, "profile set 'long.yaml': line 9: profile 'ca': 'cn' must be 1 "
				  "to 256 bytes");
	pki_buf_free(&b);

	ck_assert_int_eq(pki_profile_set_parse((const unsigned char *)"", 256 * 1024 + 1, "huge.yaml",
				 &set, &err),
		-1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_ptr_null(set);
}
END_TEST

/* Truncations and bit flips of the shipped template: never a crash. */
START_TEST(test_mutations)
{
	struct pki_buf b = { 0 };
	struct pki_profile_set *set;
	struct pki_err err;
	unsigned char *copy;
	char path[4096];
	size_t i;
	int r;

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/kubeadm-v1.29.yaml", templates_dir()),
		(int)sizeof(path));
	pki_err_clear(&err);
	ck_assert_int_eq(pki_file_read(path, "template", PKI_CAP_ANY, 0, &b, &err), 0);
	copy = malloc(b.len);
	ck_assert_ptr_nonnull(copy);
	for (i = 0; i < b.len; i += 17) {
		memcpy(copy, b.data, i);
		r = pki_profile_set_parse(copy, i, "t.yaml", &set, &err);
		ck_assert(r == 0 || (r == -1 && set == NULL && err.msg[0] != '\0'));
		pki_profile_set_free(set);
	}
	for (i = 0; i < b.len * 8; i += 37) {
		memcpy(copy, b.data, b.len);
		copy[i / 8] ^= (unsigned char)(1u << (i % 8));
		r = pki_profile_set_parse(copy, b.len, "f.yaml", &set, &err);
		ck_assert(r == 0 || (r == -1 && set == NULL && err.msg[0] != '\0'));
		pki_profile_set_free(set);
	}
	free(copy);
	pki_buf_free(&b);
}
END_TEST

/* ---- finding sets ---------------------------------------------------------- */

START_TEST(test_default_set)
{
	struct pki_profile_set *set = must_load(NULL);

	/* the shipped default is the set for the newest kubeadm */
	ck_assert_str_eq(pki_profile_set_name(set), "kubeadm-v1.29");
	pki_profile_set_free(set);
}
END_TEST

/* A new kubeadm version is a new template: the highest min wins. */
START_TEST(test_default_newest)
{
	struct pki_profile_set *set = NULL;
	struct pki_err err;
	char dir[4096];

	(void)snprintf(dir, sizeof(dir), "%s", test_data("profile/dirs/newest"));
	ck_assert_int_eq(setenv("KPKI_TEMPLATES_DIR", dir, 1), 0);
	ck_assert_str_eq(pki_templates_dir(), dir);
	pki_err_clear(&err);
	ck_assert_msg(pki_profile_set_load(NULL, &set, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(pki_profile_set_name(set), "future");
	pki_profile_set_free(set);
	/* by name, in the same directory */
	ck_assert_int_eq(pki_profile_set_load("old", &set, &err), 0);
	ck_assert_str_eq(pki_profile_set_name(set), "old");
	pki_profile_set_free(set);
}
END_TEST

START_TEST(test_default_errors)
{
	struct pki_profile_set *set = NULL;
	struct pki_err err;
	char dir[4096], want[8192];

	(void)snprintf(dir, sizeof(dir), "%s", test_data("profile/dirs/tie"));
	ck_assert_int_eq(setenv("KPKI_TEMPLATES_DIR", dir, 1), 0);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_profile_set_load(NULL, &set, &err), -1);
	ck_assert_ptr_null(set);
	(void)snprintf(want, sizeof(want),
		"templates directory '%s': sets 'a.yaml' and 'b.yaml' both start at kubeadm 1.30", dir);
	ck_assert_str_eq(err.msg, want);

	(void)snprintf(dir, sizeof(dir), "%s", test_data("profile/dirs/broken"));
	ck_assert_int_eq(setenv("KPKI_TEMPLATES_DIR", dir, 1), 0);
	ck_assert_int_eq(pki_profile_set_load(NULL, &set, &err), -1);
	(void)snprintf(want, sizeof(want), "profile set '%s/bad.yaml': line 22: ", dir);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);

	(void)snprintf(dir, sizeof(dir), "%s", test_data("profile/dirs/empty"));
	ck_assert_int_eq(setenv("KPKI_TEMPLATES_DIR", dir, 1), 0);
	ck_assert_int_eq(pki_profile_set_load(NULL, &set, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
	(void)snprintf(want, sizeof(want), "templates directory '%s': no profile set (*.yaml)", dir);
	ck_assert_str_eq(err.msg, want);

	(void)snprintf(dir, sizeof(dir), "%s", test_data("profile/dirs/none"));
	ck_assert_int_eq(setenv("KPKI_TEMPLATES_DIR", dir, 1), 0);
	ck_assert_int_eq(pki_profile_set_load(NULL, &set, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
	ck_assert_int_eq(pki_profile_set_load("kubeadm-v1.29", &set, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
}
END_TEST

START_TEST(test_load_refs)
{
	struct pki_profile_set *set = NULL;
	struct pki_err err;

	ck_assert_int_eq(setenv("KPKI_TEMPLATES_DIR", templates_dir(), 1), 0);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_profile_set_load("kubeadm-v1.99", &set, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
	ck_assert_int_eq(pki_profile_set_load("Bad Name", &set, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_USAGE);
	ck_assert_str_eq(err.msg, "profile set 'Bad Name': neither a set name nor a path to a "
				  ".yaml file");
	/* a name ending in .yaml is a path, relative to the working directory */
	ck_assert_int_eq(pki_profile_set_load("no-such-set.yaml", &set, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
	ck_assert_ptr_null(set);

	/* an empty $KPKI_TEMPLATES_DIR is ignored */
	ck_assert_int_eq(setenv("KPKI_TEMPLATES_DIR", "", 1), 0);
	ck_assert_str_eq(pki_templates_dir(), PKI_TEMPLATES_DIR);
	ck_assert_int_eq(unsetenv("KPKI_TEMPLATES_DIR"), 0);
	ck_assert_str_eq(pki_templates_dir(), PKI_TEMPLATES_DIR);
}
END_TEST

static Suite *
profile_suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tc;

	tc = tcase_create("templates");
	tcase_add_loop_test(tc, test_v129, 0, PKI_ARRAY_LEN(v129));
	tcase_add_loop_test(tc, test_v122, 0, PKI_ARRAY_LEN(v122));
	tcase_add_test(tc, test_ca_sans);
	suite_add_tcase(s, tc);

	tc = tcase_create("expansion");
	tcase_add_loop_test(tc, test_sans, 0, PKI_ARRAY_LEN(san_cases));
	tcase_add_test(tc, test_subject_expanded);
	tcase_add_test(tc, test_subject_unset);
	tcase_add_test(tc, test_mini);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad");
	tcase_add_loop_test(tc, test_bad, 0, PKI_ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_mutations);
	tcase_set_timeout(tc, 60); /* the mutations, under the sanitizers */
	suite_add_tcase(s, tc);

	tc = tcase_create("sets");
	tcase_add_test(tc, test_default_set);
	tcase_add_test(tc, test_default_newest);
	tcase_add_test(tc, test_default_errors);
	tcase_add_test(tc, test_load_refs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(profile_suite());
}
