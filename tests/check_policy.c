/* check_policy.c — the CA-side policy: reading (good, bad, limits) and
 * matching DNS names, node names and addresses. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <pki/policy.h>

#include "internal.h"
#include "testutil.h"

static struct pki_policy *full;

/* Parses a fixture under the name "<base>" (so messages hold no path). */
static int
parse_fixture(const char *rel, const char *base, struct pki_policy **out,
	struct pki_err *err)
{
	struct pki_buf b = { 0 };
	int r;

	test_read(rel, &b);
	pki_err_clear(err);
	r = pki_policy_parse(b.data, b.len, base, out, err);
	pki_buf_free(&b);
	return r;
}

static void
setup(void)
{
	struct pki_err err;

	ck_assert_msg(parse_fixture("policy/good/full.yaml", "full.yaml", &full, &err) == 0,
		"%s", err.msg);
}

static void
teardown(void)
{
	pki_policy_free(full);
	full = NULL;
}

START_TEST(test_accessors)
{
	struct pki_policy *pol = NULL;
	struct pki_err err;

	ck_assert_str_eq(pki_policy_name(full), "prod-1");
	ck_assert_str_eq(pki_policy_cluster(full), "prod");
	ck_assert_str_eq(pki_policy_profiles(full), "kubeadm-v1.29");
	ck_assert_int_eq(pki_policy_max_validity(full), 90 * 86400);
	/* certificates: exactly the listed profile names */
	ck_assert_int_eq(pki_policy_profile_allowed(full, "admin.conf"), 1);
	ck_assert_int_eq(pki_policy_profile_allowed(full, "super-admin.conf"), 1);
	ck_assert_int_eq(pki_policy_profile_allowed(full, "kubelet"), 1);
	ck_assert_int_eq(pki_policy_profile_allowed(full, "ca"), 0);
	ck_assert_int_eq(pki_policy_profile_allowed(full, "Admin.conf"), 0);
	ck_assert_int_eq(pki_policy_profile_allowed(full, "admin"), 0);
	ck_assert_int_eq(pki_policy_profile_allowed(full, ""), 0);
	ck_assert_int_eq(pki_policy_profile_allowed(full, NULL), 0);

	ck_assert_msg(parse_fixture("policy/good/minimal.yaml", "minimal.yaml", &pol, &err) == 0,
		"%s", err.msg);
	ck_assert_str_eq(pki_policy_name(pol), "min");
	ck_assert_str_eq(pki_policy_profiles(pol), "kubeadm-v1.22");
	ck_assert_int_eq(pki_policy_max_validity(pol), 0);
	/* an empty policy allows nothing at all */
	ck_assert_int_eq(pki_policy_node_allowed(pol, "cp-1"), 0);
	ck_assert_int_eq(pki_policy_dns_allowed(pol, "kubernetes"), 0);
	ck_assert_int_eq(pki_policy_ip_allowed(pol, "127.0.0.1"), 0);
	ck_assert_int_eq(pki_policy_ip_allowed(pol, "::1"), 0);
	ck_assert_int_eq(pki_policy_profile_allowed(pol, "admin.conf"), 0);
	ck_assert_int_eq(pki_policy_node_is_worker(pol, "cp-1"), 0);
	pki_policy_free(pol);

	/* by path, as the tool reads it */
	pol = NULL;
	pki_err_clear(&err);
	ck_assert_msg(pki_policy_load(test_data("policy/good/full.yaml"), &pol, &err) == 0, "%s",
		err.msg);
	ck_assert_str_eq(pki_policy_name(pol), "prod-1");
	pki_policy_free(pol);
	pol = NULL;
	ck_assert_int_ne(pki_policy_load(test_data("policy/good/none.yaml"), &pol, &err), 0);
	ck_assert_ptr_null(pol);
	ck_assert_int_eq(err.code, PKI_E_NOTFOUND);
}
END_TEST

static const struct {
	const char *name;
	int allowed;
} dns_cases[] = {
	/* exact names, case-insensitive (RFC 4343) */
	{ "kubernetes", 1 },
	{ "KUBERNETES", 1 },
	{ "Kubernetes.Default.Svc", 1 },
	{ "kubernetes.default.svc.cluster.local", 1 },
	{ "api.example.com", 1 },
	{ "kubernetes.", 0 },		/* a trailing dot is not the listed name */
	{ "kubernetes.default.svc.cluster", 0 },
	{ "xkubernetes", 0 },
	/* suffixes: a label before the dot, never the bare domain */
	{ "a.example.internal", 1 },
	{ "A.EXAMPLE.INTERNAL", 1 },
	{ "x.y.example.internal", 1 },
	{ "example.internal", 0 },
	{ ".example.internal", 0 },
	{ "aexample.internal", 0 },
	{ "a.example.internal.evil.com", 0 },
	{ "a.corp.example", 1 },
	{ "corp.example", 0 },
	{ "-a.example.internal", 0 },
	{ "a..example.internal", 0 },
	{ "a_b.example.internal", 0 },
	{ "a b.example.internal", 0 },
	{ "\xc3\xa9.example.internal", 0 },
	/* wildcards only as listed, never through a suffix */
	{ "*.apps.example.com", 1 },
	{ "*.APPS.Example.com", 1 },
	{ "a.apps.example.com", 0 },
	{ "*.x.apps.example.com", 0 },
	{ "*.example.internal", 0 },
	{ "**.apps.example.com", 0 },
	{ "*", 0 },
	{ "*.", 0 },
	/* node names are DNS names too, workers' as well */
	{ "cp-1", 1 },
	{ "CP-2", 1 },
	{ "worker-1.example.internal", 1 },
	{ "Worker-2", 1 },
	{ "worker-3", 0 },
	{ "cp-3", 0 },
	{ "", 0 },
};

START_TEST(test_dns)
{
	ck_assert_msg(pki_policy_dns_allowed(full, dns_cases[_i].name) == dns_cases[_i].allowed,
		"'%s' should be %s", dns_cases[_i].name,
		dns_cases[_i].allowed ? "allowed" : "refused");
}
END_TEST

START_TEST(test_dns_long)
{
	char name[300] = "";
	int i;

	/* 253 bytes under an allowed suffix is a name; 254 is not */
	for (i = 0; i < 23; i++)
		strcat(name, "aaaaaaaaa.");
	strcat(name, "aaaaaa.example.internal");
	ck_assert_uint_eq(strlen(name), 253);
	ck_assert_int_eq(pki_policy_dns_allowed(full, name), 1);
	memmove(name + 1, name, strlen(name) + 1);
	name[0] = 'b';
	ck_assert_uint_eq(strlen(name), 254);
	ck_assert_int_eq(pki_policy_dns_allowed(full, name), 0);
	ck_assert_int_eq(pki_policy_dns_allowed(full, NULL), 0);
}
END_TEST

static const struct {
	const char *ip;
	int allowed;
} ip_cases[] = {
	/* 10.0.0.0/24: both edges in, one past each out */
	{ "10.0.0.0", 1 },
	{ "10.0.0.255", 1 },
	{ "10.0.1.0", 0 },
	{ "9.255.255.255", 0 },
	/* a bare address is /32 */
	{ "10.96.0.1", 1 },
	{ "10.96.0.0", 0 },
	{ "10.96.0.2", 0 },
	{ "127.0.0.1", 1 },
	{ "127.0.0.2", 0 },
	/* /31 */
	{ "192.168.0.0", 1 },
	{ "192.168.0.1", 1 },
	{ "192.168.0.2", 0 },
	{ "192.167.255.255", 0 },
	/* /12: a prefix not on an octet boundary */
	{ "172.16.0.0", 1 },
	{ "172.31.255.255", 1 },
	{ "172.32.0.0", 0 },
	{ "172.15.255.255", 0 },
	/* IPv6: a bare address is /128 */
	{ "::1", 1 },
	{ "0:0:0:0:0:0:0:1", 1 },
	{ "::2", 0 },
	{ "::", 0 },
	/* fd00:10::/64 */
	{ "fd00:10::", 1 },
	{ "FD00:10::1", 1 },
	{ "fd00:10::ffff:ffff:ffff:ffff", 1 },
	{ "fd00:10:0:1::", 0 },
	{ "fd00:f::ffff:ffff:ffff:ffff", 0 },
	/* an IPv4-mapped address is the IPv4 address */
	{ "::ffff:10.0.0.5", 1 },
	{ "::ffff:10.0.1.5", 0 },
	/* not addresses */
	{ "10.0.0.5/32", 0 },
	{ "010.0.0.1", 0 },
	{ "10.0.0", 0 },
	{ " 10.0.0.1", 0 },
	{ "fe80::1%eth0", 0 },
	{ "", 0 },
};

START_TEST(test_ip)
{
	ck_assert_msg(pki_policy_ip_allowed(full, ip_cases[_i].ip) == ip_cases[_i].allowed,
		"'%s' should be %s", ip_cases[_i].ip, ip_cases[_i].allowed ? "allowed" : "refused");
}
END_TEST

START_TEST(test_ip_all_v6)
{
	struct pki_policy *pol = NULL;
	struct pki_err err;

	ck_assert_msg(parse_fixture("policy/good/all-v6.yaml", "all-v6.yaml", &pol, &err) == 0,
		"%s", err.msg);
	/* ::/0 holds every IPv6 address and no IPv4 one, mapped or not */
	ck_assert_int_eq(pki_policy_ip_allowed(pol, "::"), 1);
	ck_assert_int_eq(pki_policy_ip_allowed(pol, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 1);
	ck_assert_int_eq(pki_policy_ip_allowed(pol, "10.0.0.1"), 0);
	ck_assert_int_eq(pki_policy_ip_allowed(pol, "::ffff:10.0.0.1"), 0);
	ck_assert_int_eq(pki_policy_dns_allowed(pol, "cp-1"), 1);
	ck_assert_int_eq(pki_policy_ip_allowed(full, NULL), 0);
	pki_policy_free(pol);
}
END_TEST

static const struct {
	const char *node;
	int allowed, worker;
} node_cases[] = {
	{ "cp-1", 1, 0 },
	{ "cp-2", 1, 0 },
	{ "worker-1.example.internal", 1, 1 },
	{ "worker-2", 1, 1 },
	/* exactly as listed: Kubernetes never lower-cases a node name */
	{ "CP-1", 0, 0 },
	{ "Worker-2", 0, 0 },
	{ "cp-3", 0, 0 },
	{ "cp", 0, 0 },
	{ "worker-1", 0, 0 },
	{ "kubernetes", 0, 0 },	/* an allowed DNS name, not a node */
	{ "a.example.internal", 0, 0 },
	{ "", 0, 0 },
	{ "cp-1\n", 0, 0 },
	{ "cp-1.", 0, 0 },
};

START_TEST(test_node)
{
	ck_assert_msg(pki_policy_node_allowed(full, node_cases[_i].node) == node_cases[_i].allowed,
		"node '%s'", node_cases[_i].node);
	ck_assert_msg(pki_policy_node_is_worker(full, node_cases[_i].node) == node_cases[_i].worker,
		"worker '%s'", node_cases[_i].node);
	ck_assert_int_eq(pki_policy_node_allowed(full, NULL), 0);
	ck_assert_int_eq(pki_policy_node_is_worker(full, NULL), 0);
}
END_TEST

static const struct {
	const char *file;
	enum pki_errcode code;
	const char *msg;
} bad[] = {
	{ "unknown-key", PKI_E_PARSE, "policy 'b.yaml': line 6: unknown key 'node' in the policy" },
	{ "unknown-dns-key", PKI_E_PARSE, "policy 'b.yaml': line 8: unknown key 'prefixes' in 'dns'" },
	{ "dup-key", PKI_E_PARSE, "policy 'b.yaml': line 7: duplicate key 'max-validity'" },
	{ "version", PKI_E_INVALID,
		"policy 'b.yaml': line 1: kpki-policy: version 'v2' is not supported (only v1)" },
	{ "missing-name", PKI_E_PARSE, "policy 'b.yaml': line 1: missing 'name'" },
	{ "empty-name", PKI_E_PARSE, "policy 'b.yaml': line 2: 'name' is empty" },
	{ "missing-nodes", PKI_E_PARSE, "policy 'b.yaml': line 1: missing 'nodes'" },
	{ "bad-node", PKI_E_INVALID,
		"policy 'b.yaml': line 5: nodes: 'cp_2' is not a node name (a lower-case RFC 1123 "
		"subdomain)" },
	{ "node-upper", PKI_E_INVALID,
		"policy 'b.yaml': line 5: nodes: 'CP-2' is not a node name (a lower-case RFC 1123 "
		"subdomain)" },
	{ "dup-node", PKI_E_INVALID, "policy 'b.yaml': line 5: nodes: 'cp-1' is listed twice" },
	{ "missing-certificates", PKI_E_PARSE, "policy 'b.yaml': line 1: missing 'certificates'" },
	{ "certificates-path", PKI_E_INVALID,
		"policy 'b.yaml': line 5: certificates: '../ca.key' is not a profile name "
		"([a-z0-9][a-z0-9.-]*)" },
	{ "certificates-upper", PKI_E_INVALID,
		"policy 'b.yaml': line 6: certificates: 'Admin.conf' is not a profile name "
		"([a-z0-9][a-z0-9.-]*)" },
	{ "certificates-dup", PKI_E_INVALID,
		"policy 'b.yaml': line 5: certificates: 'admin.conf' is listed twice" },
	{ "certificates-map", PKI_E_PARSE,
		"policy 'b.yaml': line 5: 'certificates' must be a list, not a mapping" },
	{ "certificates-empty-entry", PKI_E_PARSE,
		"policy 'b.yaml': line 5: certificates: an empty entry" },
	{ "worker-and-node", PKI_E_INVALID,
		"policy 'b.yaml': line 9: workers: 'cp-1' is listed under nodes too" },
	{ "worker-bad", PKI_E_INVALID,
		"policy 'b.yaml': line 7: workers: 'w_1' is not a node name (a lower-case RFC 1123 "
		"subdomain)" },
	{ "worker-dup", PKI_E_INVALID, "policy 'b.yaml': line 7: workers: 'w-1' is listed twice" },
	{ "workers-map", PKI_E_PARSE, "policy 'b.yaml': line 7: 'workers' must be a list, not a mapping" },
	{ "name-wildcard", PKI_E_INVALID,
		"policy 'b.yaml': line 7: dns.names: '*.a.example' is a wildcard: list it under "
		"dns.wildcards" },
	{ "bad-name", PKI_E_INVALID,
		"policy 'b.yaml': line 7: dns.names: '-bad.example' is not a DNS name (RFC 1123)" },
	{ "name-trailing-dot", PKI_E_INVALID,
		"policy 'b.yaml': line 7: dns.names: 'a.example.' is not a DNS name (RFC 1123)" },
	{ "dup-name", PKI_E_INVALID, "policy 'b.yaml': line 7: dns.names: 'A.EXAMPLE' is listed twice" },
	{ "suffix-nodot", PKI_E_INVALID,
		"policy 'b.yaml': line 7: dns.suffixes: 'example.internal' must start with '.' "
		"(\".example.internal\" allows \"a.example.internal\")" },
	{ "suffix-bad", PKI_E_INVALID,
		"policy 'b.yaml': line 7: dns.suffixes: '..' is not '.' followed by a DNS name (RFC 1123)" },
	{ "wildcard-bad", PKI_E_INVALID,
		"policy 'b.yaml': line 7: dns.wildcards: 'a.*.example' is not a wildcard DNS name "
		"(RFC 1123)" },
	{ "wildcard-plain", PKI_E_INVALID,
		"policy 'b.yaml': line 7: dns.wildcards: 'a.example' is not a wildcard DNS name "
		"(\"*.\" and an RFC 1123 subdomain)" },
	{ "names-map", PKI_E_PARSE, "policy 'b.yaml': line 7: 'names' must be a list, not a mapping" },
	{ "name-list", PKI_E_PARSE, "policy 'b.yaml': line 7: dns.names: each entry must be a value" },
	{ "cidr-hostbits", PKI_E_INVALID,
		"policy 'b.yaml': line 6: ip: '10.0.0.1/8' has host bits set (the range is 10.0.0.0/8)" },
	{ "cidr-v6-hostbits", PKI_E_INVALID,
		"policy 'b.yaml': line 6: ip: 'fd00::1/64' has host bits set (the range is fd00::/64)" },
	{ "cidr-prefix", PKI_E_INVALID,
		"policy 'b.yaml': line 6: ip: '10.0.0.0/33' has a prefix length that is not 0 to 32" },
	{ "cidr-v6-prefix", PKI_E_INVALID,
		"policy 'b.yaml': line 6: ip: 'fd00::/129' has a prefix length that is not 0 to 128" },
	{ "cidr-prefix-zero", PKI_E_INVALID,
		"policy 'b.yaml': line 6: ip: '10.0.0.0/08' has a prefix length that is not 0 to 32" },
	{ "cidr-bad", PKI_E_INVALID,
		"policy 'b.yaml': line 6: ip: '10.0.0.256' is not an IP address or CIDR range" },
	{ "cidr-empty-prefix", PKI_E_INVALID,
		"policy 'b.yaml': line 6: ip: '10.0.0.0/' has a prefix length that is not 0 to 32" },
	{ "cidr-name", PKI_E_INVALID,
		"policy 'b.yaml': line 6: ip: 'localhost' is not an IP address or CIDR range" },
	{ "cidr-dup", PKI_E_INVALID, "policy 'b.yaml': line 6: ip: '10.0.0.0/8' is listed twice" },
	{ "ip-map", PKI_E_PARSE, "policy 'b.yaml': line 6: 'ip' must be a list, not a mapping" },
	{ "max-validity-bad", PKI_E_PARSE,
		"policy 'b.yaml': line 6: max-validity: duration '10x' needs a unit (y, w, d, h, m "
		"or s) after each number" },
	{ "max-validity-zero", PKI_E_INVALID,
		"policy 'b.yaml': line 6: max-validity: '0s' is not a positive duration" },
	{ "profiles-path", PKI_E_INVALID,
		"policy 'b.yaml': line 4: profiles: '../evil.yaml' is not a profile set name "
		"([a-z0-9][a-z0-9.-]*, not a path)" },
	{ "ctrl", PKI_E_PARSE,
		"policy 'b.yaml': line 2: 'name' holds control characters or invalid UTF-8" },
	{ "alias", PKI_E_PARSE, "policy 'b.yaml': line 3: YAML aliases are not allowed" },
	{ "two-docs", PKI_E_LIMIT, "policy 'b.yaml': more than 1 YAML documents" },
	{ "list-root", PKI_E_PARSE, "policy 'b.yaml': not one YAML mapping (kpki-policy(5))" },
	{ "empty", PKI_E_PARSE, "policy 'b.yaml': not one YAML mapping (kpki-policy(5))" },
	{ "truncated", PKI_E_PARSE, NULL },
	{ "deep", PKI_E_LIMIT, NULL },
};

START_TEST(test_bad)
{
	struct pki_policy *pol = NULL;
	struct pki_err err;
	char rel[128];

	(void)snprintf(rel, sizeof(rel), "policy/bad/%s.yaml", bad[_i].file);
	ck_assert_int_ne(parse_fixture(rel, "b.yaml", &pol, &err), 0);
	ck_assert_ptr_null(pol);
	ck_assert_msg(err.code == bad[_i].code, "%s: code %d: %s", bad[_i].file, err.code,
		err.msg);
	if (bad[_i].msg != NULL)
		ck_assert_str_eq(err.msg, bad[_i].msg);
	else
		ck_assert_msg(strncmp(err.msg, "policy 'b.yaml': line ", 22) == 0, "%s", err.msg);
}
END_TEST

enum gen { GEN_NODE, GEN_CIDR, GEN_LONG, GEN_PROFILE };

/* Parses a policy whose list `key` holds n generated entries. */
static int
parse_generated(const char *key, size_t n, enum gen kind, struct pki_err *err)
{
	struct pki_policy *pol = NULL;
	struct pki_buf b = { 0 };
	char v[400];
	size_t i;
	int r;

	pki_err_clear(err);
	ck_assert_int_eq(pki_buf_printf(&b, err, "kpki-policy: v1\nname: p\ncluster: c\n"
						 "profiles: kubeadm-v1.29\n%s\n%s: [",
				 strcmp(key, "nodes") == 0 ? "certificates: []" :
				 strcmp(key, "certificates") == 0 ? "nodes: []" :
								  "nodes: []\ncertificates: []",
				 key),
		0);
	for (i = 0; i < n; i++) {
		if (kind == GEN_NODE)
			(void)snprintf(v, sizeof(v), "n%zu-%zu", i / 256, i % 256);
		else if (kind == GEN_PROFILE)
			(void)snprintf(v, sizeof(v), "p%zu.conf", i);
		else if (kind == GEN_CIDR)
			(void)snprintf(v, sizeof(v), "10.%zu.%zu.0/24", i / 256, i % 256);
		else
			(void)snprintf(v, sizeof(v), "%0300d", 0);
		ck_assert_int_eq(pki_buf_printf(&b, err, "%s%s", i ? ", " : "", v), 0);
	}
	ck_assert_int_eq(pki_buf_printf(&b, err, "]\n"), 0);
	r = pki_policy_parse(b.data, b.len, "g.yaml", &pol, err);
	ck_assert_int_eq(r == 0, pol != NULL);
	pki_policy_free(pol);
	pki_buf_free(&b);
	return r;
}

START_TEST(test_limits)
{
	struct pki_policy *pol = NULL;
	struct pki_err err;
	unsigned char *big;

	/* at the caps, then one past */
	ck_assert_msg(parse_generated("nodes", 1024, GEN_NODE, &err) == 0, "%s", err.msg);
	ck_assert_int_ne(parse_generated("nodes", 1025, GEN_NODE, &err), 0);
	ck_assert_str_eq(err.msg, "policy 'g.yaml': line 6: nodes: more than 1024 entries");
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_msg(parse_generated("workers", 1024, GEN_NODE, &err) == 0, "%s", err.msg);
	ck_assert_int_ne(parse_generated("workers", 1025, GEN_NODE, &err), 0);
	ck_assert_str_eq(err.msg, "policy 'g.yaml': line 7: workers: more than 1024 entries");
	ck_assert_msg(parse_generated("certificates", 256, GEN_PROFILE, &err) == 0, "%s",
		err.msg);
	ck_assert_int_ne(parse_generated("certificates", 257, GEN_PROFILE, &err), 0);
	ck_assert_str_eq(err.msg, "policy 'g.yaml': line 6: certificates: more than 256 entries");
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_msg(parse_generated("ip", 4096, GEN_CIDR, &err) == 0, "%s", err.msg);
	ck_assert_int_ne(parse_generated("ip", 4097, GEN_CIDR, &err), 0);
	ck_assert_str_eq(err.msg, "policy 'g.yaml': line 7: ip: more than 4096 entries");

	/* over the size cap, refused before parsing */
	big = calloc(1, 1024 * 1024 + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '#', 1024 * 1024 + 1);
	pki_err_clear(&err);
	ck_assert_int_ne(pki_policy_parse(big, 1024 * 1024 + 1, "big.yaml", &pol, &err), 0);
	ck_assert_str_eq(err.msg, "policy 'big.yaml': larger than 1048576 bytes");
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	free(big);

	/* a name too long to be one */
	ck_assert_int_ne(parse_generated("nodes", 1, GEN_LONG, &err), 0);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_msg(strstr(err.msg, "is not a node name") != NULL, "%s", err.msg);

	/* hostile names are quoted sanitized */
	ck_assert_int_ne(pki_policy_parse((const unsigned char *)"x", 1, "a\nb", &pol, &err), 0);
	ck_assert_msg(strstr(err.msg, "policy 'a\\x0ab'") == err.msg, "%s", err.msg);
}
END_TEST

/* Every prefix of a good policy is refused or parsed, never crashes. */
START_TEST(test_truncations)
{
	struct pki_policy *pol = NULL;
	struct pki_buf b = { 0 };
	struct pki_err err;
	size_t n;

	test_read("policy/good/full.yaml", &b);
	for (n = 0; n < b.len; n++) {
		pki_err_clear(&err);
		if (pki_policy_parse(b.data, n, "t.yaml", &pol, &err) == 0) {
			pki_policy_free(pol);
			pol = NULL;
		} else {
			ck_assert_ptr_null(pol);
			ck_assert_msg(err.msg[0] != '\0', "no message at %zu", n);
		}
	}
	pki_buf_free(&b);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_accessors);
	tcase_add_loop_test(tc, test_dns, 0, (int)PKI_ARRAY_LEN(dns_cases));
	tcase_add_test(tc, test_dns_long);
	tcase_add_loop_test(tc, test_ip, 0, (int)PKI_ARRAY_LEN(ip_cases));
	tcase_add_test(tc, test_ip_all_v6);
	tcase_add_loop_test(tc, test_node, 0, (int)PKI_ARRAY_LEN(node_cases));
	tcase_add_loop_test(tc, test_bad, 0, (int)PKI_ARRAY_LEN(bad));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_truncations);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(policy_suite());
}
