/* check_kubeadm.c — kubeadm configuration: defaults, derived values, errors. */
#include <stdlib.h>
#include <string.h>

#include <pki/kubeadm.h>

#include "internal.h"
#include "testutil.h"

#define DAY  86400LL
#define HOUR 3600LL

/* Parses a fixture under tests/data/kubeadm/, named by its base name in messages. */
static int
parse_fixture(const char *rel, struct pki_kubeadm **cfg, struct pki_err *err)
{
	struct pki_buf b = { 0 };
	const char *base = strrchr(rel, '/') + 1;
	char path[256];
	int r;

	ck_assert_int_lt(snprintf(path, sizeof(path), "kubeadm/%s", rel), (int)sizeof(path));
	test_read(path, &b);
	pki_err_clear(err);
	r = pki_kubeadm_parse(b.data, b.len, base, cfg, err);
	pki_buf_free(&b);
	return r;
}

static struct pki_kubeadm *
must_parse(const char *rel)
{
	struct pki_kubeadm *cfg = NULL;
	struct pki_err err;

	ck_assert_msg(parse_fixture(rel, &cfg, &err) == 0, "%s: %s", rel, err.msg);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

/* ---- good configurations: every derived value, written by hand ---------- */

static const struct good_case {
	const char *file;
	const char *api_version;
	const char *node, *advertise;
	unsigned bind_port;
	const char *cpe_host;
	unsigned cpe_port;
	const char *subnet, *vip, *dns_domain, *cluster, *cert_dir;
	int external_etcd;
	enum pki_key_type key_type;
	int64_t cert_validity, ca_validity;
	const char *cpe_url, *local_url; /* NULL: an error naming advertiseAddress */
} good_cases[] = {
	{ "good/v1beta4-full.yaml", "kubeadm.k8s.io/v1beta4", "cp-1", "192.168.0.10", 6444,
		"k8s.example.com", 443, "10.100.0.0/16", "10.100.0.1", "corp.local", "prod",
		"/srv/pki", 0, PKI_KEY_ECDSA_P256, 90 * DAY, 43800 * HOUR,
		"https://k8s.example.com:443", "https://192.168.0.10:6444" },
	{ "good/v1beta3-dualstack.yaml", "kubeadm.k8s.io/v1beta3", "node-b", "10.0.0.10", 6443,
		"10.0.0.100", 6443, "10.96.0.0/12,fd00:10:96::/112", "10.96.0.1",
		"cluster.local", "kubernetes", "/etc/kubernetes/pki", 0, PKI_KEY_RSA2048,
		365 * DAY, 3650 * DAY, "https://10.0.0.100:6443", "https://10.0.0.10:6443" },
	{ "good/v1beta2-ipv6.yaml", "kubeadm.k8s.io/v1beta2", "node-c", "fd00::10", 6443,
		"fd00::100", 8443, "fd00:10:96::/112", "fd00:10:96::1", "example.internal",
		"kubernetes", "/etc/kubernetes/pki", 0, PKI_KEY_RSA2048, 365 * DAY, 3650 * DAY,
		"https://[fd00::100]:8443", "https://[fd00::10]:6443" },
	{ "good/join-v1beta3.yaml", "kubeadm.k8s.io/v1beta3", "cp-2", "10.0.0.11", 7443, "",
		7443, "10.96.0.0/12", "10.96.0.1", "cluster.local", "kubernetes",
		"/etc/kubernetes/pki", 0, PKI_KEY_RSA2048, 365 * DAY, 3650 * DAY,
		"https://10.0.0.11:7443", "https://10.0.0.11:7443" },
	/* v1beta3's PublicKeysECDSA feature gate means ECDSA P-256 keys */
	{ "good/v1beta3-ecdsa-gate.yaml", "kubeadm.k8s.io/v1beta3", "", "", 6443, "", 6443,
		"10.96.0.0/12", "10.96.0.1", "cluster.local", "kubernetes", "/etc/kubernetes/pki", 0,
		PKI_KEY_ECDSA_P256, 365 * DAY, 3650 * DAY, NULL, NULL },
	{ "good/cluster-v6first-external.yaml", "kubeadm.k8s.io/v1beta4", "", "", 6443, "", 6443,
		"fd00:10:96::/108,10.96.0.0/12", "fd00:10:96::1", "cluster.local", "kubernetes",
		"/etc/kubernetes/pki", 1, PKI_KEY_RSA2048, 365 * DAY, 3650 * DAY, NULL, NULL },
	{ "good/init-minimal.yaml", "kubeadm.k8s.io/v1beta3", "", "", 6443, "", 6443,
		"10.96.0.0/12", "10.96.0.1", "cluster.local", "kubernetes", "/etc/kubernetes/pki",
		0, PKI_KEY_RSA2048, 365 * DAY, 3650 * DAY, NULL, NULL },
};

static void
check_url(int r, char *url, const char *want, const struct pki_err *err, const char *file)
{
	if (want != NULL) {
		ck_assert_msg(r == 0, "%s: %s", file, err->msg);
		ck_assert_str_eq(url, want);
	} else {
		ck_assert_int_eq(r, -1);
		ck_assert_ptr_null(url);
		ck_assert_int_eq(err->code, PKI_E_INVALID);
		ck_assert_msg(strstr(err->msg, ": the local API endpoint needs "
						"localAPIEndpoint.advertiseAddress") != NULL,
			"%s", err->msg);
		ck_assert_msg(strncmp(err->msg, "kubeadm config '", 16) == 0, "%s", err->msg);
	}
	free(url);
}

START_TEST(test_good)
{
	const struct good_case *c = &good_cases[_i];
	struct pki_kubeadm *cfg = must_parse(c->file);
	struct pki_err err;
	char *url = NULL;
	int r;

	ck_assert_str_eq(pki_kubeadm_api_version(cfg), c->api_version);
	ck_assert_str_eq(pki_kubeadm_node_name(cfg), c->node);
	ck_assert_str_eq(pki_kubeadm_advertise_address(cfg), c->advertise);
	ck_assert_uint_eq(pki_kubeadm_bind_port(cfg), c->bind_port);
	ck_assert_str_eq(pki_kubeadm_cpe_host(cfg), c->cpe_host);
	ck_assert_uint_eq(pki_kubeadm_cpe_port(cfg), c->cpe_port);
	ck_assert_str_eq(pki_kubeadm_service_subnet(cfg), c->subnet);
	ck_assert_str_eq(pki_kubeadm_service_vip(cfg), c->vip);
	ck_assert_str_eq(pki_kubeadm_dns_domain(cfg), c->dns_domain);
	ck_assert_str_eq(pki_kubeadm_cluster_name(cfg), c->cluster);
	ck_assert_str_eq(pki_kubeadm_certificates_dir(cfg), c->cert_dir);
	ck_assert_int_eq(pki_kubeadm_external_etcd(cfg), c->external_etcd);
	ck_assert_int_eq(pki_kubeadm_key_type(cfg), c->key_type);
	ck_assert_int_eq(pki_kubeadm_cert_validity(cfg), c->cert_validity);
	ck_assert_int_eq(pki_kubeadm_ca_validity(cfg), c->ca_validity);
	pki_err_clear(&err);
	r = pki_kubeadm_cpe_url(cfg, &url, &err);
	check_url(r, url, c->cpe_url, &err, c->file);
	url = NULL;
	pki_err_clear(&err);
	r = pki_kubeadm_local_url(cfg, &url, &err);
	check_url(r, url, c->local_url, &err, c->file);
	pki_kubeadm_free(cfg);
}
END_TEST

START_TEST(test_cert_sans_lists)
{
	static const char *const api[] = { "k8s.example.com", "10.0.0.5", "*.apps.example.com",
		"10.0.0.5", "192.168.0.10", "api.example.com", "2001:DB8::1" };
	static const char *const server[] = { "etcd.example.com", "10.1.1.1", "cp-1" };
	static const char *const peer[] = { "peer.example.com", "::1", "fd00::9", "0:0::1" };
	struct pki_kubeadm *cfg = must_parse("good/v1beta4-full.yaml");

	/* raw, as written: classification and de-duplication belong to the profiles */
	assert_names(pki_kubeadm_apiserver_cert_sans(cfg), api, PKI_ARRAY_LEN(api));
	assert_names(pki_kubeadm_etcd_server_cert_sans(cfg), server, PKI_ARRAY_LEN(server));
	assert_names(pki_kubeadm_etcd_peer_cert_sans(cfg), peer, PKI_ARRAY_LEN(peer));
	pki_kubeadm_free(cfg);
}
END_TEST

START_TEST(test_defaults)
{
	struct pki_kubeadm *cfg = NULL;
	struct pki_err err;
	char *url = NULL;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_kubeadm_defaults(&cfg, &err), 0);
	ck_assert_str_eq(pki_kubeadm_api_version(cfg), "kubeadm.k8s.io/v1beta4");
	ck_assert_str_eq(pki_kubeadm_node_name(cfg), "");
	ck_assert_str_eq(pki_kubeadm_advertise_address(cfg), "");
	ck_assert_uint_eq(pki_kubeadm_bind_port(cfg), 6443);
	ck_assert_str_eq(pki_kubeadm_cpe_host(cfg), "");
	ck_assert_uint_eq(pki_kubeadm_cpe_port(cfg), 6443);
	ck_assert_str_eq(pki_kubeadm_service_subnet(cfg), "10.96.0.0/12");
	ck_assert_str_eq(pki_kubeadm_service_vip(cfg), "10.96.0.1");
	ck_assert_str_eq(pki_kubeadm_dns_domain(cfg), "cluster.local");
	ck_assert_str_eq(pki_kubeadm_cluster_name(cfg), "kubernetes");
	ck_assert_str_eq(pki_kubeadm_certificates_dir(cfg), "/etc/kubernetes/pki");
	ck_assert_int_eq(pki_kubeadm_external_etcd(cfg), 0);
	ck_assert_int_eq(pki_kubeadm_key_type(cfg), PKI_KEY_RSA2048);
	ck_assert_int_eq(pki_kubeadm_cert_validity(cfg), 8760 * HOUR);
	ck_assert_int_eq(pki_kubeadm_ca_validity(cfg), 87600 * HOUR);
	ck_assert_uint_eq(pki_kubeadm_apiserver_cert_sans(cfg)->n, 0);
	ck_assert_int_eq(pki_kubeadm_cpe_url(cfg, &url, &err), -1);
	ck_assert_ptr_null(url);
	ck_assert_str_eq(err.msg, "kubeadm defaults: the local API endpoint needs "
				  "localAPIEndpoint.advertiseAddress");
	pki_kubeadm_free(cfg);
	pki_kubeadm_free(NULL);
}
END_TEST

/* ---- variables ------------------------------------------------------------ */

static const struct var_case {
	const char *var;
	const char *want[8];
} var_cases[] = {
	{ "nodeName", { "cp-1" } },
	{ "advertiseAddress", { "192.168.0.10" } },
	{ "serviceVIP", { "10.100.0.1" } },
	{ "dnsDomain", { "corp.local" } },
	{ "clusterName", { "prod" } },
	{ "controlPlaneEndpointHost", { "k8s.example.com" } },
	{ "apiServer.certSANs", { "k8s.example.com", "10.0.0.5", "*.apps.example.com",
		"10.0.0.5", "192.168.0.10", "api.example.com", "2001:DB8::1" } },
	{ "etcd.serverCertSANs", { "etcd.example.com", "10.1.1.1", "cp-1" } },
	{ "etcd.peerCertSANs", { "peer.example.com", "::1", "fd00::9", "0:0::1" } },
};

START_TEST(test_var)
{
	const struct var_case *c = &var_cases[_i];
	struct pki_kubeadm *cfg = must_parse("good/v1beta4-full.yaml");
	struct pki_names out = { 0 };
	struct pki_err err;
	size_t n;

	pki_err_clear(&err);
	/* values are appended to what out already holds */
	ck_assert_int_eq(pki_names_add(&out, "before", &err), 0);
	ck_assert_msg(pki_kubeadm_var(cfg, c->var, &out, &err) == 0, "%s", err.msg);
	for (n = 0; n < PKI_ARRAY_LEN(c->want) && c->want[n] != NULL; n++)
		;
	ck_assert_uint_eq(out.n, n + 1);
	ck_assert_str_eq(out.v[0], "before");
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(out.v[i + 1], c->want[i]);
	pki_names_free(&out);
	pki_kubeadm_free(cfg);
}
END_TEST

START_TEST(test_var_unset_and_unknown)
{
	static const char *const unset[] = { "nodeName", "advertiseAddress",
		"controlPlaneEndpointHost", "apiServer.certSANs", "etcd.serverCertSANs",
		"etcd.peerCertSANs" };
	static const char *const unknown[] = { "nodename", "etcd.local.serverCertSANs", "",
		"certSANs", "nodeName " };
	struct pki_kubeadm *cfg = NULL;
	struct pki_names out = { 0 };
	struct pki_err err;
	size_t i;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_kubeadm_defaults(&cfg, &err), 0);
	for (i = 0; i < PKI_ARRAY_LEN(unset); i++) {
		ck_assert_int_eq(pki_kubeadm_var(cfg, unset[i], &out, &err), 0);
		ck_assert_uint_eq(out.n, 0);
	}
	for (i = 0; i < PKI_ARRAY_LEN(unknown); i++) {
		char want[128];

		pki_err_clear(&err);
		ck_assert_int_eq(pki_kubeadm_var(cfg, unknown[i], &out, &err), -1);
		ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
		(void)snprintf(want, sizeof(want), "unknown variable '${%s}'", unknown[i]);
		ck_assert_str_eq(err.msg, want);
		ck_assert_uint_eq(out.n, 0);
	}
	pki_kubeadm_free(cfg);
}
END_TEST

/* ---- bad configurations: exact messages ---------------------------------- */

static const struct bad_case {
	const char *file;
	enum pki_errcode code;
	const char *msg; /* the whole message, or its prefix when ending in '*' */
} bad_cases[] = {
	{ "bad/malformed.yaml", PKI_E_PARSE, "kubeadm config 'malformed.yaml': line 5: *" },
	{ "bad/truncated.yaml", PKI_E_PARSE, "kubeadm config 'truncated.yaml': line 5: *" },
	{ "bad/v1beta1.yaml", PKI_E_INVALID,
		"kubeadm config 'v1beta1.yaml': line 1: apiVersion 'kubeadm.k8s.io/v1beta1' is not "
		"supported (use kubeadm.k8s.io/v1beta2, v1beta3 or v1beta4)" },
	{ "bad/v1alpha3.yaml", PKI_E_INVALID,
		"kubeadm config 'v1alpha3.yaml': line 4: apiVersion 'kubeadm.k8s.io/v1alpha3' is not "
		"supported*" },
	{ "bad/no-kind.yaml", PKI_E_PARSE,
		"kubeadm config 'no-kind.yaml': line 1: a document without 'kind'" },
	{ "bad/no-apiversion.yaml", PKI_E_PARSE,
		"kubeadm config 'no-apiversion.yaml': line 4: a document without 'apiVersion'" },
	{ "bad/certsans-invalid.yaml", PKI_E_INVALID,
		"kubeadm config 'certsans-invalid.yaml': line 6: apiServer.certSANs: 'Bad_Name' is not "
		"an IP address, an RFC 1123 subdomain or a wildcard subdomain" },
	{ "bad/etcd-sans-invalid.yaml", PKI_E_INVALID,
		"kubeadm config 'etcd-sans-invalid.yaml': line 7: etcd.local.peerCertSANs: "
		"'LB.EXAMPLE.COM' is not an IP address, an RFC 1123 subdomain or a wildcard subdomain" },
	{ "bad/cidr-33.yaml", PKI_E_INVALID,
		"kubeadm config 'cidr-33.yaml': line 4: networking.serviceSubnet: '10.96.0.0/33' is "
		"not a valid CIDR" },
	{ "bad/cidr-second.yaml", PKI_E_INVALID,
		"kubeadm config 'cidr-second.yaml': line 5: networking.serviceSubnet: 'fd00::/129' "
		"is not a valid CIDR" },
	{ "bad/cidr-noprefix.yaml", PKI_E_INVALID,
		"kubeadm config 'cidr-noprefix.yaml': line 3: networking.serviceSubnet: '10.96.0.1' "
		"is not a valid CIDR" },
	{ "bad/cidr-32.yaml", PKI_E_INVALID,
		"kubeadm config 'cidr-32.yaml': line 3: networking.serviceSubnet: '10.96.0.7/32' is "
		"too small to hold the API server's service address" },
	{ "bad/advertise.yaml", PKI_E_INVALID,
		"kubeadm config 'advertise.yaml': line 4: localAPIEndpoint.advertiseAddress: "
		"'10.0.0.256' is not a valid IP address" },
	{ "bad/join-advertise.yaml", PKI_E_INVALID,
		"kubeadm config 'join-advertise.yaml': line 5: "
		"controlPlane.localAPIEndpoint.advertiseAddress: 'node1.example.com' is not a "
		"valid IP address" },
	{ "bad/bindport.yaml", PKI_E_INVALID,
		"kubeadm config 'bindport.yaml': line 5: localAPIEndpoint.bindPort: '70000' is not "
		"a port number from 1 to 65535" },
	{ "bad/cpe-port.yaml", PKI_E_INVALID,
		"kubeadm config 'cpe-port.yaml': line 3: controlPlaneEndpoint: "
		"'k8s.example.com:99999' has a port that is not a number from 1 to 65535" },
	{ "bad/cpe-host.yaml", PKI_E_INVALID,
		"kubeadm config 'cpe-host.yaml': line 3: controlPlaneEndpoint: "
		"'k8s_example.com:6443' is not an IP address or RFC 1123 subdomain with an "
		"optional :port" },
	{ "bad/cpe-brackets.yaml", PKI_E_INVALID,
		"kubeadm config 'cpe-brackets.yaml': line 3: controlPlaneEndpoint: '[fd00::1]' is "
		"not an IP address*" },
	{ "bad/encryption.yaml", PKI_E_INVALID,
		"kubeadm config 'encryption.yaml': line 3: encryptionAlgorithm: 'RSA-1024' is not "
		"one of RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384" },
	{ "bad/encryption-v1beta3.yaml", PKI_E_INVALID,
		"kubeadm config 'encryption-v1beta3.yaml': line 3: encryptionAlgorithm needs "
		"apiVersion kubeadm.k8s.io/v1beta4" },
	{ "bad/duration-unit.yaml", PKI_E_INVALID,
		"kubeadm config 'duration-unit.yaml': line 3: certificateValidityPeriod: '365d' is "
		"not a positive duration such as 8760h0m0s" },
	{ "bad/duration-zero.yaml", PKI_E_INVALID,
		"kubeadm config 'duration-zero.yaml': line 3: caCertificateValidityPeriod: "
		"'0h0m0s' is not a positive duration such as 8760h0m0s" },
	{ "bad/duration-v1beta3.yaml", PKI_E_INVALID,
		"kubeadm config 'duration-v1beta3.yaml': line 3: certificateValidityPeriod needs "
		"apiVersion kubeadm.k8s.io/v1beta4" },
	{ "bad/nodename.yaml", PKI_E_INVALID,
		"kubeadm config 'nodename.yaml': line 4: nodeRegistration.name: 'node_1' is not a "
		"valid RFC 1123 subdomain" },
	{ "bad/dnsdomain.yaml", PKI_E_INVALID,
		"kubeadm config 'dnsdomain.yaml': line 4: networking.dnsDomain: 'cluster..local' "
		"is not a valid RFC 1123 subdomain" },
	{ "bad/dup-cluster.yaml", PKI_E_INVALID,
		"kubeadm config 'dup-cluster.yaml': line 4: a second ClusterConfiguration (the "
		"first is at line 1)" },
	{ "bad/mixed-versions.yaml", PKI_E_INVALID,
		"kubeadm config 'mixed-versions.yaml': line 4: apiVersion 'kubeadm.k8s.io/v1beta4' "
		"differs from 'kubeadm.k8s.io/v1beta3' of an earlier document" },
	{ "bad/no-kubeadm.yaml", PKI_E_INVALID,
		"kubeadm config 'no-kubeadm.yaml': no InitConfiguration, ClusterConfiguration or "
		"JoinConfiguration" },
	{ "bad/empty.yaml", PKI_E_INVALID,
		"kubeadm config 'empty.yaml': no InitConfiguration, ClusterConfiguration or "
		"JoinConfiguration" },
	{ "bad/not-mapping.yaml", PKI_E_PARSE,
		"kubeadm config 'not-mapping.yaml': line 1: a document must be a mapping" },
	{ "bad/certsans-map.yaml", PKI_E_PARSE,
		"kubeadm config 'certsans-map.yaml': line 5: 'certSANs' must be a list, not a "
		"mapping" },
	{ "bad/certsans-nested.yaml", PKI_E_PARSE,
		"kubeadm config 'certsans-nested.yaml': line 6: apiServer.certSANs: entries must "
		"be values" },
	{ "bad/alias.yaml", PKI_E_PARSE,
		"kubeadm config 'alias.yaml': line 7: YAML aliases are not allowed" },
	{ "bad/dup-key.yaml", PKI_E_PARSE,
		"kubeadm config 'dup-key.yaml': line 4: duplicate key 'clusterName'" },
	{ "bad/nul.yaml", PKI_E_PARSE, "kubeadm config 'nul.yaml': line 3: a value holds a NUL byte" },
	{ "bad/external-and-local.yaml", PKI_E_INVALID,
		"kubeadm config 'external-and-local.yaml': line 4: etcd: 'local' and 'external' are "
		"mutually exclusive" },
};

static void
assert_msg(const char *got, const char *want)
{
	size_t n = strlen(want);

	if (n > 0 && want[n - 1] == '*')
		ck_assert_msg(strncmp(got, want, n - 1) == 0, "got '%s', want '%s'", got, want);
	else
		ck_assert_str_eq(got, want);
}

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct pki_kubeadm *cfg = (struct pki_kubeadm *)&cfg; /* must be reset to NULL */
	struct pki_err err;

	ck_assert_int_eq(parse_fixture(c->file, &cfg, &err), -1);
	ck_assert_ptr_null(cfg);
	assert_msg(err.msg, c->msg);
	ck_assert_int_eq(err.code, c->code);
}
END_TEST

/* Which documents a configuration had: a JoinConfiguration alone parses,
 * but pki_kubeadm_require_cluster() refuses it, saying what to do. */
static const struct {
	const char *file;
	int cluster, init;
} docs_cases[] = {
	{ "kubeadm/good/join-v1beta3.yaml", 0, 0 },
	{ "kubeadm/good/init-minimal.yaml", 0, 1 },
	{ "kubeadm/good/v1beta4-full.yaml", 1, 1 },
	{ "request/good/join-cp.yaml", 1, 0 },
};

START_TEST(test_documents)
{
	struct pki_kubeadm *cfg = NULL;
	struct pki_err err;
	char want[4600];

	pki_err_clear(&err);
	ck_assert_msg(pki_kubeadm_load(test_data(docs_cases[_i].file), &cfg, &err) == 0, "%s",
		err.msg);
	ck_assert_int_eq(pki_kubeadm_has_cluster_configuration(cfg), docs_cases[_i].cluster);
	ck_assert_int_eq(pki_kubeadm_has_init_configuration(cfg), docs_cases[_i].init);
	if (docs_cases[_i].cluster) {
		ck_assert_int_eq(pki_kubeadm_require_cluster(cfg, &err), 0);
	} else {
		(void)snprintf(want, sizeof(want), "kubeadm config '%s': no ClusterConfiguration: "
			"a node joining a cluster needs the cluster's settings; append them (kubectl "
			"-n kube-system get cm kubeadm-config -o jsonpath='{.data.ClusterConfiguration}') "
			"as a second document", test_data(docs_cases[_i].file));
		ck_assert_int_eq(pki_kubeadm_require_cluster(cfg, &err), -1);
		ck_assert_int_eq(err.code, PKI_E_INVALID);
		ck_assert_str_eq(err.msg, want);
	}
	pki_kubeadm_free(cfg);
}
END_TEST

START_TEST(test_load)
{
	struct pki_kubeadm *cfg = NULL;
	struct pki_err err;
	char want[4200];

	pki_err_clear(&err);
	ck_assert_int_eq(pki_kubeadm_load(test_data("kubeadm/good/v1beta2-ipv6.yaml"), &cfg,
				 &err), 0);
	ck_assert_str_eq(pki_kubeadm_service_vip(cfg), "fd00:10:96::1");
	pki_kubeadm_free(cfg);

	/* through a file, messages name the path as given */
	ck_assert_int_eq(pki_kubeadm_load(test_data("kubeadm/bad/cidr-33.yaml"), &cfg, &err), -1);
	(void)snprintf(want, sizeof(want), "kubeadm config '%s': line 4: ",
		test_data("kubeadm/bad/cidr-33.yaml"));
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);

	ck_assert_int_eq(pki_kubeadm_load(test_data("kubeadm/none.yaml"), &cfg, &err), -1);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
	ck_assert_msg(strncmp(err.msg, "kubeadm config '", 16) == 0, "%s", err.msg);
}
END_TEST

/* ---- limits ---------------------------------------------------------------- */

START_TEST(test_limits)
{
	struct pki_buf b = { 0 };
	struct pki_kubeadm *cfg = NULL;
	struct pki_err err;
	int i;

	pki_err_clear(&err);
	/* 257 certSANs */
	ck_assert_int_eq(pki_buf_printf(&b, &err, "apiVersion: kubeadm.k8s.io/v1beta4\n"
						  "kind: ClusterConfiguration\n"
						  "apiServer:\n  certSANs:\n"),
		0);
	for (i = 0; i < 257; i++)
		ck_assert_int_eq(pki_buf_printf(&b, &err, "  - n%d.example.com\n", i), 0);
	ck_assert_int_eq(pki_kubeadm_parse(b.data, b.len, "many.yaml", &cfg, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg,
		"kubeadm config 'many.yaml': line 5: apiServer.certSANs: more than 256 entries");
	pki_buf_free(&b);

	/* nine service subnets */
	ck_assert_int_eq(pki_buf_printf(&b, &err,
				 "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
				 "networking: {serviceSubnet: \"%s\"}\n",
				 "10.0.0.0/8,10.0.0.0/8,10.0.0.0/8,10.0.0.0/8,10.0.0.0/8,"
				 "10.0.0.0/8,10.0.0.0/8,10.0.0.0/8,10.0.0.0/8"),
		0);
	ck_assert_int_eq(pki_kubeadm_parse(b.data, b.len, "nets.yaml", &cfg, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg,
		"kubeadm config 'nets.yaml': line 3: networking.serviceSubnet: more than 8 subnets");
	pki_buf_free(&b);

	/* deeper than kubeadm configurations go */
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(pki_buf_printf(&b, &err, "%*sk%d:\n", i * 2, "", i), 0);
	ck_assert_int_eq(pki_kubeadm_parse(b.data, b.len, "deep.yaml", &cfg, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "kubeadm config 'deep.yaml': line 33: nested deeper than 32 levels");
	pki_buf_free(&b);

	/* over the size cap, refused before parsing */
	ck_assert_int_eq(pki_kubeadm_parse((const unsigned char *)"", PKI_CAP_YAML + 1u, "big.yaml",
				 &cfg, &err),
		-1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_ptr_null(cfg);
}
END_TEST

/* Every truncation and many bit flips of a good input: an error or a
 * configuration, never a crash, and an error always has a message. */
START_TEST(test_mutations)
{
	struct pki_buf b = { 0 };
	struct pki_kubeadm *cfg;
	struct pki_err err;
	unsigned char *copy;
	size_t i;
	int r;

	test_read("kubeadm/good/v1beta4-full.yaml", &b);
	copy = malloc(b.len);
	ck_assert_ptr_nonnull(copy);
	for (i = 0; i < b.len; i++) {
		memcpy(copy, b.data, i);
		pki_err_clear(&err);
		r = pki_kubeadm_parse(copy, i, "t.yaml", &cfg, &err);
		ck_assert(r == 0 || (r == -1 && cfg == NULL && err.msg[0] != '\0'));
		pki_kubeadm_free(cfg);
	}
	for (i = 0; i < b.len * 8; i += 3) {
		memcpy(copy, b.data, b.len);
		copy[i / 8] ^= (unsigned char)(1u << (i % 8));
		pki_err_clear(&err);
		r = pki_kubeadm_parse(copy, b.len, "f.yaml", &cfg, &err);
		ck_assert(r == 0 || (r == -1 && cfg == NULL && err.msg[0] != '\0'));
		pki_kubeadm_free(cfg);
	}
	free(copy);
	pki_buf_free(&b);
}
END_TEST

/* ---- the name and address helpers ---------------------------------------- */

static const struct dns_case {
	const char *s;
	int plain, wildcard;
} dns_cases[] = {
	{ "kubernetes", 1, 0 },
	{ "kubernetes.default.svc.cluster.local", 1, 0 },
	{ "a", 1, 0 },
	{ "0", 1, 0 },
	{ "a-b.c-d", 1, 0 },
	{ "10.0.0.1", 1, 0 },	/* also a subdomain; callers try IPs first */
	{ "*.apps.example.com", 0, 1 },
	{ "*.a", 0, 1 },
	{ "", 0, 0 },
	{ "*", 0, 0 },
	{ "*.", 0, 0 },
	{ "a.*.b", 0, 0 },
	{ "**.a", 0, 0 },
	{ "Upper.example", 0, 0 },
	{ "under_score", 0, 0 },
	{ "-lead", 0, 0 },
	{ "trail-", 0, 0 },
	{ "a.-b", 0, 0 },
	{ "a..b", 0, 0 },
	{ ".a", 0, 0 },
	{ "a.", 0, 0 },
	{ "sp ace", 0, 0 },
	{ "caf\xc3\xa9", 0, 0 },
	/* 64-character label: Kubernetes checks no per-label length */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b", 1, 0 },
};

START_TEST(test_dns1123)
{
	const struct dns_case *c = &dns_cases[_i];

	ck_assert_msg(pki_dns1123_subdomain(c->s, 0) == c->plain, "'%s'", c->s);
	ck_assert_msg(pki_dns1123_subdomain(c->s, 1) == c->wildcard, "'%s' wildcard", c->s);
}
END_TEST

START_TEST(test_dns1123_length)
{
	char s[300];

	/* 253 bytes is the most: 126 "a." pairs and one "a" */
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 126; i++)
		memcpy(s + 2 * i, "a.", 2);
	s[252] = 'a';
	ck_assert_uint_eq(strlen(s), 253);
	ck_assert_int_eq(pki_dns1123_subdomain(s, 0), 1);
	s[253] = 'a';
	ck_assert_int_eq(pki_dns1123_subdomain(s, 0), 0);
}
END_TEST

static const struct ip_case {
	const char *s, *want; /* want NULL: not an address */
} ip_cases[] = {
	{ "10.96.0.1", "10.96.0.1" },
	{ "0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", "255.255.255.255" },
	{ "::1", "::1" },
	{ "0:0:0:0:0:0:0:1", "::1" },
	{ "2001:DB8::1", "2001:db8::1" },
	{ "fd00:0:0:0::10", "fd00::10" },
	{ "::ffff:10.0.0.1", "10.0.0.1" },
	{ "10.0.0.256", NULL },
	{ "10.0.0", NULL },
	{ "010.0.0.1", NULL },
	{ "[::1]", NULL },
	{ "fd00::1%eth0", NULL },
	{ "1.2.3.4 ", NULL },
	{ "", NULL },
	{ "kubernetes", NULL },
};

START_TEST(test_ip_canonical)
{
	const struct ip_case *c = &ip_cases[_i];
	char out[46];

	if (c->want == NULL) {
		ck_assert_msg(pki_ip_canonical(c->s, out) == -1, "'%s'", c->s);
	} else {
		ck_assert_msg(pki_ip_canonical(c->s, out) == 0, "'%s'", c->s);
		ck_assert_str_eq(out, c->want);
	}
}
END_TEST

static Suite *
kubeadm_suite(void)
{
	Suite *s = suite_create("kubeadm");
	TCase *tc;

	tc = tcase_create("good");
	tcase_add_loop_test(tc, test_good, 0, PKI_ARRAY_LEN(good_cases));
	tcase_add_test(tc, test_cert_sans_lists);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_load);
	tcase_add_loop_test(tc, test_documents, 0, PKI_ARRAY_LEN(docs_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("vars");
	tcase_add_loop_test(tc, test_var, 0, PKI_ARRAY_LEN(var_cases));
	tcase_add_test(tc, test_var_unset_and_unknown);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad");
	tcase_add_loop_test(tc, test_bad, 0, PKI_ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_mutations);
	tcase_set_timeout(tc, 60); /* the mutations, under the sanitizers */
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_dns1123, 0, PKI_ARRAY_LEN(dns_cases));
	tcase_add_test(tc, test_dns1123_length);
	tcase_add_loop_test(tc, test_ip_canonical, 0, PKI_ARRAY_LEN(ip_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(kubeadm_suite());
}
