/* check_sign.c — holding CSRs against profile and policy (a table of
 * hostile requests, each with its exact reasons), and issuing: every
 * kubeadm-v1.29 profile issued by openssl-made CAs and read back field by
 * field, then checked by openssl verify and python3-cryptography. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <pki/ca.h>
#include <pki/file.h>
#include <pki/issue.h>
#include <pki/ledger.h>
#include <pki/policy.h>
#include <pki/sign.h>

#include "internal.h"
#include "testutil.h"

#define DAY	 86400
#define YEAR	 (365 * DAY)

static struct pki_profile_set *set;
static struct pki_policy *pol, *pol30, *polstrict;
static char tmpdir[512];

static const char *const ca_files[] = { "ca.crt", "ca.key", "etcd/ca.crt", "etcd/ca.key",
	"front-proxy-ca.crt", "front-proxy-ca.key" };

static char *
tmp_path(const char *rel)
{
	static char path[1024];

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", tmpdir, rel), (int)sizeof(path));
	return path;
}

/* Copies a fixture into the temporary directory (keys 0600, as a CA keeps them). */
static void
copy_fixture(const char *rel, const char *to)
{
	struct pki_buf b = { 0 };
	struct pki_err err;
	size_t n = strlen(to);
	int key = n > 4 && strcmp(to + n - 4, ".key") == 0;

	test_read(rel, &b);
	pki_err_clear(&err);
	ck_assert_msg(pki_file_write(tmp_path(to), b.data, b.len, key ? 0600 : 0644,
			      PKI_WRITE_MKDIRS, &err) == 0,
		"%s", err.msg);
	pki_buf_free(&b);
}

static struct pki_policy *
load_policy(const char *rel)
{
	struct pki_policy *p = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_policy_load(test_data(rel), &p, &err) == 0, "%s", err.msg);
	return p;
}

/* policy-30d.yaml with another max-validity (free it). */
static struct pki_policy *
policy_max_validity(const char *max)
{
	struct pki_buf b = { 0 }, text = { 0 };
	struct pki_policy *p = NULL;
	struct pki_err err;
	const char *at;

	test_read("sign/policy-30d.yaml", &b);
	pki_err_clear(&err);
	at = strstr((const char *)b.data, "max-validity: 30d\n");
	ck_assert_ptr_nonnull(at);
	ck_assert_int_eq(pki_buf_printf(&text, &err, "%.*smax-validity: %s\n",
				 (int)(at - (const char *)b.data), (const char *)b.data, max),
		0);
	ck_assert_msg(pki_file_write(tmp_path("policy-max.yaml"), text.data, text.len, 0644, 0,
			      &err) == 0, "%s", err.msg);
	ck_assert_msg(pki_policy_load(tmp_path("policy-max.yaml"), &p, &err) == 0, "%s",
		err.msg);
	pki_buf_free(&b);
	pki_buf_free(&text);
	return p;
}

static void
setup(void)
{
	struct pki_err err;
	const char *base = getenv("TMPDIR");
	char rel[128];
	size_t i;

	pki_err_clear(&err);
	ck_assert_msg(pki_profile_set_load("kubeadm-v1.29", &set, &err) == 0, "%s", err.msg);
	pol = load_policy("sign/policy.yaml");
	pol30 = load_policy("sign/policy-30d.yaml");
	polstrict = load_policy("sign/policy-strict.yaml");
	if (base == NULL || base[0] == '\0')
		base = P_tmpdir;
	ck_assert_int_lt(snprintf(tmpdir, sizeof(tmpdir), "%s/check_sign.XXXXXX", base),
		(int)sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	for (i = 0; i < PKI_ARRAY_LEN(ca_files); i++) {
		(void)snprintf(rel, sizeof(rel), "sign/ca/%s", ca_files[i]);
		copy_fixture(rel, ca_files[i]);
	}
}

static void
teardown(void)
{
	char cmd[700];

	pki_profile_set_free(set);
	pki_policy_free(pol);
	pki_policy_free(pol30);
	pki_policy_free(polstrict);
	set = NULL;
	pol = pol30 = polstrict = NULL;
	/* tmpdir is ours (mkdtemp) and holds no space or quote */
	ck_assert_int_lt(snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir), (int)sizeof(cmd));
	ck_assert_int_eq(system(cmd), 0);
}

static struct pki_csr *
read_csr(const char *rel)
{
	struct pki_buf b = { 0 };
	struct pki_csr *csr = NULL;
	struct pki_err err;

	test_read(rel, &b);
	pki_err_clear(&err);
	ck_assert_msg(pki_csr_parse(b.data, b.len, rel, &csr, &err) == 0, "%s: %s", rel, err.msg);
	pki_buf_free(&b);
	return csr;
}

static struct pki_ca *
load_ca(const char *name, const struct pki_profile_set *s, const char *dir)
{
	struct pki_ca_opts o = { 0 };
	struct pki_ca *ca = NULL;
	struct pki_err err;

	o.ca_dir = dir != NULL ? dir : tmpdir;
	o.set = s;
	pki_err_clear(&err);
	ck_assert_msg(pki_ca_load(&o, name, &ca, &err) == 0, "%s", err.msg);
	return ca;
}

static const struct pki_profile *
profile(const char *name)
{
	const struct pki_profile *p = pki_profile_set_find(set, name);

	ck_assert_msg(p != NULL, "no profile '%s'", name);
	return p;
}

/* ---- the check: hostile requests ---------------------------------------- */

#define MAX_LINES 4

static const struct {
	const char *csr;
	const char *profile;
	const char *node;
	const char *refusals[MAX_LINES + 1];
	const char *notes[MAX_LINES + 1];
	int strict;	/* under policy-strict.yaml, else policy.yaml */
} hostile[] = {
	/* the policy's certificates: super-admin.conf only where listed */
	{ .csr = "good/super-admin.conf.csr", .profile = "super-admin.conf", .node = "", .strict = 1,
		.refusals = { "profile 'super-admin.conf' is not allowed by policy 'test-strict': "
			      "list it under 'certificates:' to allow it" } },
	{ .csr = "good/super-admin.conf.csr", .profile = "super-admin.conf", .node = "cp-1",
		.strict = 1,
		.refusals = { "profile 'super-admin.conf' is not allowed by policy 'test-strict': "
			      "list it under 'certificates:' to allow it" } },
	{ .csr = "good/kubelet.csr", .profile = "kubelet", .node = "cp-1", .strict = 1,
		.refusals = { "profile 'kubelet' is not allowed by policy 'test-strict': "
			      "list it under 'certificates:' to allow it" } },
	/* a worker gets the worker profiles only */
	{ .csr = "good/admin.conf-worker-1.csr", .profile = "admin.conf", .node = "worker-1",
		.refusals = { "profile 'admin.conf' is not for workers, and policy 'test-1' lists "
			      "node 'worker-1' as a worker" } },
	{ .csr = "good/super-admin.conf.csr", .profile = "super-admin.conf", .node = "worker-1",
		.refusals = { "profile 'super-admin.conf' is not for workers, and policy 'test-1' "
			      "lists node 'worker-1' as a worker" } },
	{ .csr = "good/kubelet.conf-worker-1.csr", .profile = "kubelet.conf", .node = "worker-2",
		.refusals = { "node 'worker-2' is not allowed by policy 'test-1'",
			"subject CN 'system:node:worker-1' is not 'system:node:worker-2', the CN "
			"profile 'kubelet.conf' gives" } },
	/* no node: only profiles that do not name it */
	{ .csr = "good/apiserver.csr", .profile = "apiserver", .node = "",
		.refusals = { "profile 'apiserver' names the node in its SANs, but no node is given" } },
	{ .csr = "good/etcd-server.csr", .profile = "etcd-server", .node = "",
		.refusals = { "profile 'etcd-server' names the node in its subject, but no node is "
			      "given" } },
	/* a node name exactly as Kubernetes has it: never lower-cased */
	{ .csr = "good/kubelet.conf.csr", .profile = "kubelet.conf", .node = "CP-1",
		.refusals = { "node 'CP-1' is not a node name (a lower-case RFC 1123 subdomain)",
			"subject CN 'system:node:cp-1' is not 'system:node:CP-1', the CN profile "
			"'kubelet.conf' gives" } },
	{ .csr = "good/front-proxy-client.csr", .profile = "front-proxy-client", .node = "cp-1\n",
		.refusals = { "node 'cp-1\\x0a' is not a node name (a lower-case RFC 1123 "
			      "subdomain)" } },
	/* subject values read raw: a NUL is named as such, not as hex */
	{ .csr = "bad/nul-cn.der", .profile = "apiserver", .node = "cp-1",
		.refusals = { "subject CN 'kube-apiserver\\x00.evil' holds control characters or NUL" } },
	{ .csr = "bad/bmp-cn.der", .profile = "apiserver", .node = "cp-1",
		.refusals = { "subject CN is a BMPString (only UTF8String, PrintableString or "
			      "IA5String, RFC 5280 4.1.2.4)" } },
	{ .csr = "bad/ipv4-mapped.csr", .profile = "apiserver", .node = "cp-1",
		.refusals = { "IP SAN '::ffff:10.0.0.5' is an IPv4-mapped IPv6 address (RFC 4291 "
			      "2.5.5.2); ask for the IPv4 address" } },
	{ .csr = "bad/tampered.der", .profile = "front-proxy-client", .node = "cp-1",
		.refusals = { "signature: does not verify with the request's own key (RFC 2986 3)" } },
	{ .csr = "bad/other-cn.csr", .profile = "front-proxy-client", .node = "cp-1",
		.refusals = { "subject CN 'kube-apiserver' is not 'front-proxy-client', the CN profile "
		  "'front-proxy-client' gives" } },
	{ .csr = "bad/masters.csr", .profile = "admin.conf", .node = "cp-1",
		.refusals = { "subject O 'system:masters' is not one profile 'admin.conf' gives" } },
	{ .csr = "bad/missing-o.csr", .profile = "kubelet.conf", .node = "cp-1",
		.refusals = { "subject lacks O 'system:nodes', which profile 'kubelet.conf' gives" } },
	{ .csr = "bad/twice-o.csr", .profile = "kubelet.conf", .node = "cp-1",
		.refusals = { "subject O 'system:nodes' appears twice" } },
	{ .csr = "bad/other-node-cn.csr", .profile = "kubelet.conf", .node = "cp-1",
		.refusals = { "subject CN 'system:node:cp-2' is not 'system:node:cp-1', the CN profile "
		  "'kubelet.conf' gives" } },
	/* a good request from another bundle's node */
	{ .csr = "good/kubelet.conf.csr", .profile = "kubelet.conf", .node = "cp-2",
		.refusals = { "node 'cp-2' is not allowed by policy 'test-1'",
			"subject CN 'system:node:cp-1' is not 'system:node:cp-2', the CN profile "
			"'kubelet.conf' gives" } },
	{ .csr = "good/kubelet.conf.csr", .profile = "kubelet.conf", .node = "",
		.refusals = { "profile 'kubelet.conf' names the node in its subject, but no node is given" } },
	{ .csr = "bad/node-not-allowed.csr", .profile = "etcd-server", .node = "cp-9",
		.refusals = { "node 'cp-9' is not allowed by policy 'test-1'",
			"DNS SAN 'cp-9' is not allowed by policy 'test-1' (node 'cp-9' is not one of "
			"its nodes)" } },
	{ .csr = "bad/san-outside.csr", .profile = "apiserver", .node = "cp-1",
		.refusals = { "DNS SAN 'evil.example.com' is not allowed by policy 'test-1'" } },
	{ .csr = "bad/ip-outside.csr", .profile = "apiserver", .node = "cp-1",
		.refusals = { "IP SAN '192.0.2.1' is not allowed by policy 'test-1'" } },
	{ .csr = "bad/email-san.csr", .profile = "apiserver", .node = "cp-1",
		.refusals = { "email SAN 'root@example.internal' is not allowed (only DNS and IP SANs)" } },
	{ .csr = "bad/uri-san.csr", .profile = "apiserver", .node = "cp-1",
		.refusals = { "URI SAN 'spiffe://example/ns/x' is not allowed (only DNS and IP SANs)" } },
	{ .csr = "bad/othername-san.csr", .profile = "apiserver", .node = "cp-1",
		.refusals = { "otherName SAN '1.3.6.1.4.1.311.20.2.3' is not allowed (only DNS and IP SANs)" } },
	{ .csr = "bad/wildcard.csr", .profile = "apiserver", .node = "cp-1",
		.refusals = { "wildcard DNS SAN '*.example.internal' is not one policy 'test-1' lists" } },
	{ .csr = "bad/nul-san.csr", .profile = "apiserver", .node = "cp-1",
		.refusals = { "DNS SAN 'cp-1\\x00.evil.example.com' holds control characters or NUL" } },
	{ .csr = "bad/ctrl-subject.csr", .profile = "apiserver", .node = "cp-1",
		.refusals = { "subject CN 'kube-apiserver\\x1b[2J' holds control characters or NUL" } },
	{ .csr = "bad/extra-attrs.csr", .profile = "front-proxy-client", .node = "cp-1",
		.refusals = { "subject attribute C (2.5.4.6) is not allowed (only CN and O)",
			"subject attribute OU (2.5.4.11) is not allowed (only CN and O)" } },
	{ .csr = "bad/two-cn.csr", .profile = "front-proxy-client", .node = "cp-1",
		.refusals = { "subject has 2 CNs (exactly one allowed)" } },
	{ .csr = "bad/client-san.csr", .profile = "admin.conf", .node = "cp-1",
		.refusals = { "DNS SAN 'kubernetes': profile 'admin.conf' carries no SANs" } },
	{ .csr = "bad/rsa1024.csr", .profile = "front-proxy-client", .node = "cp-1",
		.refusals = { "key: RSA of 1024 bits is too weak (at least 2048 bits)" } },
	{ .csr = "bad/dsa.csr", .profile = "front-proxy-client", .node = "cp-1",
		.refusals = { "key: DSA keys are not allowed (RSA of 2048 bits or more, ECDSA P-256 or P-384)" } },
	{ .csr = "bad/secp256k1.csr", .profile = "front-proxy-client", .node = "cp-1",
		.refusals = { "key: ECDSA on curve secp256k1 is not allowed (P-256 or P-384)" } },
	{ .csr = "bad/p521.csr", .profile = "front-proxy-client", .node = "cp-1",
		.refusals = { "key: ECDSA on curve P-521 is not allowed (P-256 or P-384)" } },
	{ .csr = "bad/ed25519.csr", .profile = "front-proxy-client", .node = "cp-1",
		.refusals = { "key: Ed25519 is not allowed by profile 'front-proxy-client'" } },
	{ .csr = "bad/sans-10000.csr", .profile = "apiserver", .node = "cp-1",
		.refusals = { "subjectAltName: 10000 names, more than 256" } },
	{ .csr = "good/front-proxy-client.csr", .profile = "ca", .node = "cp-1",
		.refusals = { "profile 'ca' is a CA: kpki-sign issues no CA certificate" } },
	/* passes, with what it asked for and does not get noted */
	{ .csr = "bad/ca-true.csr", .profile = "front-proxy-client", .node = "cp-1", .refusals = { NULL },
		.notes = { "requested basicConstraints CA:TRUE is never granted (the certificate says "
		  "CA:FALSE)",
			"requested extension keyUsage (2.5.29.15) is ignored",
			"requested extension extKeyUsage (2.5.29.37) is ignored" } },
};

static void
assert_lines(const char *what, const struct pki_names *got, const char *const *want)
{
	size_t i, n = 0;

	while (n < MAX_LINES && want[n] != NULL)
		n++;
	for (i = 0; i < got->n && i < n; i++)
		ck_assert_str_eq(got->v[i], want[i]);
	ck_assert_msg(got->n == n, "%s: %zu lines, want %zu (first extra: %s)", what, got->n, n,
		got->n > n ? got->v[n] : "-");
}

START_TEST(test_hostile)
{
	struct pki_names refusals = { 0 }, notes = { 0 };
	struct pki_csr *csr;
	struct pki_err err;
	char rel[128];

	(void)snprintf(rel, sizeof(rel), "sign/%s", hostile[_i].csr);
	csr = read_csr(rel);
	pki_err_clear(&err);
	ck_assert_msg(pki_sign_check(profile(hostile[_i].profile),
			      hostile[_i].strict ? polstrict : pol, hostile[_i].node, csr,
			      &refusals, &notes, &err) == 0,
		"%s", err.msg);
	assert_lines("refusals", &refusals, hostile[_i].refusals);
	assert_lines("notes", &notes, hostile[_i].notes);
	pki_names_free(&refusals);
	pki_names_free(&notes);
	pki_csr_free(csr);
}
END_TEST

/* Requests that never get as far as the check. */
START_TEST(test_unreadable)
{
	struct pki_buf b = { 0 };
	struct pki_csr *csr = NULL;
	struct pki_err err;

	test_read("sign/bad/truncated.der", &b);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_csr_parse(b.data, b.len, "truncated.der", &csr, &err), -1);
	ck_assert_ptr_null(csr);
	ck_assert_int_eq(err.code, PKI_E_PARSE);
	pki_buf_free(&b);
}
END_TEST

/* Every good request passes for its own profile, with no note. */
static const struct {
	const char *profile;
	const char *ca;
	const char *sig;	/* as the CA's key signs */
	int server, client;	/* extended key usages */
	const char *cn;
	const char *org;
	const char *dns[8];
	const char *ip[4];
} good[] = {
	{ .profile = "apiserver", .ca = "ca", .sig = "RSA-SHA256", .server = 1,
		.cn = "kube-apiserver",
		.dns = { "api.example.internal", "cp-1", "k8s.example.internal", "kubernetes",
			"kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local" },
		.ip = { "10.96.0.1", "10.0.0.10", "10.0.0.100" } },
	{ .profile = "apiserver-kubelet-client", .ca = "ca", .sig = "RSA-SHA256", .client = 1,
		.cn = "kube-apiserver-kubelet-client", .org = "kubeadm:cluster-admins" },
	{ .profile = "front-proxy-client", .ca = "front-proxy-ca", .sig = "ECDSA-SHA256",
		.client = 1, .cn = "front-proxy-client" },
	{ .profile = "apiserver-etcd-client", .ca = "etcd-ca", .sig = "ECDSA-SHA384",
		.client = 1, .cn = "kube-apiserver-etcd-client" },
	{ .profile = "etcd-server", .ca = "etcd-ca", .sig = "ECDSA-SHA384", .server = 1,
		.client = 1, .cn = "cp-1", .dns = { "cp-1", "localhost" },
		.ip = { "10.0.0.10", "127.0.0.1", "::1" } },
	{ .profile = "etcd-peer", .ca = "etcd-ca", .sig = "ECDSA-SHA384", .server = 1,
		.client = 1, .cn = "cp-1", .dns = { "cp-1", "localhost" },
		.ip = { "10.0.0.10", "127.0.0.1", "::1" } },
	{ .profile = "etcd-healthcheck-client", .ca = "etcd-ca", .sig = "ECDSA-SHA384",
		.client = 1, .cn = "kube-etcd-healthcheck-client" },
	{ .profile = "admin.conf", .ca = "ca", .sig = "RSA-SHA256", .client = 1,
		.cn = "kubernetes-admin", .org = "kubeadm:cluster-admins" },
	{ .profile = "super-admin.conf", .ca = "ca", .sig = "RSA-SHA256", .client = 1,
		.cn = "kubernetes-super-admin", .org = "system:masters" },
	{ .profile = "controller-manager.conf", .ca = "ca", .sig = "RSA-SHA256", .client = 1,
		.cn = "system:kube-controller-manager" },
	{ .profile = "scheduler.conf", .ca = "ca", .sig = "RSA-SHA256", .client = 1,
		.cn = "system:kube-scheduler" },
	{ .profile = "kubelet.conf", .ca = "ca", .sig = "RSA-SHA256", .client = 1,
		.cn = "system:node:cp-1", .org = "system:nodes" },
	{ .profile = "kubelet", .ca = "ca", .sig = "RSA-SHA256", .server = 1,
		.cn = "system:node:cp-1", .org = "system:nodes", .dns = { "cp-1" },
		.ip = { "10.0.0.10" } },
};

START_TEST(test_good_check)
{
	struct pki_names refusals = { 0 }, notes = { 0 };
	struct pki_csr *csr;
	struct pki_err err;
	char rel[128];

	(void)snprintf(rel, sizeof(rel), "sign/good/%s.csr", good[_i].profile);
	csr = read_csr(rel);
	pki_err_clear(&err);
	ck_assert_msg(pki_sign_check(profile(good[_i].profile), pol, "cp-1", csr, &refusals,
			      &notes, &err) == 0,
		"%s", err.msg);
	ck_assert_msg(refusals.n == 0, "%s: %s", good[_i].profile, refusals.v[0]);
	ck_assert_uint_eq(notes.n, 0);
	pki_names_free(&refusals);
	pki_names_free(&notes);
	pki_csr_free(csr);
}
END_TEST

/* ---- issuance ------------------------------------------------------------- */

static void
read_line(const char *rel, char *out, size_t cap)
{
	struct pki_buf b = { 0 };

	test_read(rel, &b);
	ck_assert_uint_gt(b.len, 1);
	ck_assert_uint_lt(b.len, cap);
	memcpy(out, b.data, b.len - 1); /* without the newline */
	out[b.len - 1] = '\0';
	pki_buf_free(&b);
}

static void
write_pem(const struct pki_cert *cert, const char *rel)
{
	struct pki_buf pem = { 0 };
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_cert_export_pem(cert, &pem, &err), 0);
	ck_assert_int_eq(pki_file_write(tmp_path(rel), pem.data, pem.len, 0644, 0, &err), 0);
	pki_buf_free(&pem);
}

static int
run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_int_lt(n, (int)sizeof(cmd));
	return system(cmd);
}

START_TEST(test_issue)
{
	static const unsigned char serial[] = { 0x5a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	struct pki_x509info info, cainfo;
	struct pki_names want = { 0 };
	struct pki_cert *cert = NULL;
	struct pki_ca *ca;
	struct pki_csr *csr;
	struct pki_err err;
	char rel[128], ski[128], cafile[128];
	const char *castore;
	time_t now = time(NULL);
	size_t i;

	(void)snprintf(rel, sizeof(rel), "sign/good/%s.csr", good[_i].profile);
	csr = read_csr(rel);
	ca = load_ca(good[_i].ca, set, NULL);
	pki_err_clear(&err);
	ck_assert_msg(pki_sign_issue(ca, profile(good[_i].profile), pol, "cp-1", csr, serial,
			      sizeof(serial), now, &cert, &err) == 0,
		"%s", err.msg);
	ck_assert_int_eq(pki_cert_info(cert, &info, &err), 0);
	ck_assert_int_eq(pki_cert_info(pki_ca_cert(ca), &cainfo, &err), 0);

	ck_assert_int_eq(gnutls_x509_crt_get_version(pki_cert_gnutls(cert)), 3);
	ck_assert_str_eq(info.serial, "5a0102030405060708090a0b0c0d0e0f");
	/* the subject: exactly the profile's CN and O, nothing else */
	ck_assert_str_eq(info.cn, good[_i].cn);
	ck_assert_uint_eq(info.cn_count, 1);
	ck_assert_uint_eq(info.other_attrs, 0);
	ck_assert_uint_eq(info.org.n, good[_i].org ? 1 : 0);
	if (good[_i].org != NULL)
		ck_assert_str_eq(info.org.v[0], good[_i].org);
	ck_assert_str_eq(info.issuer, cainfo.subject);
	/* SANs: the request's, in its order */
	for (i = 0; i < 8 && good[_i].dns[i] != NULL; i++) {
		ck_assert_uint_gt(info.dns.n, i);
		ck_assert_str_eq(info.dns.v[i], good[_i].dns[i]);
	}
	ck_assert_uint_eq(info.dns.n, i);
	for (i = 0; i < 4 && good[_i].ip[i] != NULL; i++) {
		ck_assert_uint_gt(info.ip.n, i);
		ck_assert_str_eq(info.ip.v[i], good[_i].ip[i]);
	}
	ck_assert_uint_eq(info.ip.n, i);
	ck_assert_uint_eq(info.other_san.n, 0);
	/* usages */
	ck_assert_int_eq(info.has_ku, 1);
	ck_assert_int_eq(info.ku_critical, 1);
	ck_assert_uint_eq(info.ku, PKI_KU_DIGITAL_SIGNATURE | PKI_KU_KEY_ENCIPHERMENT);
	if (good[_i].server)
		ck_assert_int_eq(pki_names_add(&want, "1.3.6.1.5.5.7.3.1", &err), 0);
	if (good[_i].client)
		ck_assert_int_eq(pki_names_add(&want, "1.3.6.1.5.5.7.3.2", &err), 0);
	ck_assert_uint_eq(info.eku.n, want.n);
	ck_assert_int_eq(pki_names_equal_set(&info.eku, &want), 1);
	ck_assert_int_eq(info.has_bc, 1);
	ck_assert_int_eq(info.bc_critical, 1);
	ck_assert_int_eq(info.is_ca, 0);
	ck_assert_int_eq(info.pathlen, -1);
	/* key identifiers: method 1 as python3-cryptography computes it; the CA's */
	(void)snprintf(rel, sizeof(rel), "sign/good/%s.ski", good[_i].profile);
	read_line(rel, ski, sizeof(ski));
	ck_assert_str_eq(info.ski, ski);
	ck_assert_str_ne(cainfo.ski, "");
	ck_assert_str_eq(info.aki, cainfo.ski);
	/* exactly these extensions */
	ck_assert_uint_eq(info.ext_oids.n, info.dns.n + info.ip.n > 0 ? 6 : 5);
	ck_assert_int_eq(pki_names_contains(&info.ext_oids, "2.5.29.17"),
		info.dns.n + info.ip.n > 0);
	/* validity: from 5 minutes ago, for the profile's year */
	ck_assert_int_eq(info.not_before, now - 300);
	ck_assert_int_eq(info.not_after, now + YEAR);
	ck_assert_str_eq(info.sig_algo, good[_i].sig);
	ck_assert_int_eq(pki_cert_verify_signed_by(cert, pki_ca_cert(ca), &err), 0);

	/* the same through openssl and python3-cryptography */
	castore = strcmp(good[_i].ca, "ca") == 0 ? "ca.crt" :
		  strcmp(good[_i].ca, "etcd-ca") == 0 ? "etcd/ca.crt" : "front-proxy-ca.crt";
	(void)snprintf(cafile, sizeof(cafile), "%s", tmp_path(castore));
	write_pem(cert, "leaf.crt");
	ck_assert_int_eq(run("openssl verify -x509_strict -CAfile '%s' -purpose %s '%s' "
			     ">/dev/null",
				 cafile, good[_i].server ? "sslserver" : "sslclient",
				 tmp_path("leaf.crt")),
		0);
	if (good[_i].server && good[_i].client)
		ck_assert_int_eq(run("openssl verify -x509_strict -CAfile '%s' -purpose sslclient "
				     "'%s' >/dev/null",
					 cafile, tmp_path("leaf.crt")),
			0);
	/* and the usage it lacks fails: the test can fail */
	if (!good[_i].server)
		ck_assert_int_ne(run("openssl verify -CAfile '%s' -purpose sslserver '%s' "
				     ">/dev/null 2>&1",
					 cafile, tmp_path("leaf.crt")),
			0);
	ck_assert_int_eq(run("/usr/bin/python3 '%s' '%s' '%s' %s%s%s %s", test_data("sign/usages.py"),
				 tmp_path("leaf.crt"), cafile, good[_i].server ? "server" : "",
				 good[_i].server && good[_i].client ? "," : "",
				 good[_i].client ? "client" : "", info.dns.n ? "some" : "none"),
		0);

	pki_names_free(&want);
	pki_x509info_free(&info);
	pki_x509info_free(&cainfo);
	pki_cert_free(cert);
	pki_ca_free(ca);
	pki_csr_free(csr);
}
END_TEST

/* Issues csr for profile, or fails the test. */
static struct pki_cert *
issue(struct pki_ca *ca, const char *prof, const struct pki_policy *p, const char *csrrel,
	time_t now)
{
	static const unsigned char serial[] = { 0x01 };
	struct pki_cert *cert = NULL;
	struct pki_csr *csr = read_csr(csrrel);
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_sign_issue(ca, profile(prof), p, "cp-1", csr, serial, sizeof(serial),
			      now, &cert, &err) == 0,
		"%s", err.msg);
	pki_csr_free(csr);
	return cert;
}

START_TEST(test_validity)
{
	struct pki_ca *ca = load_ca("front-proxy-ca", set, NULL);
	time_t ca_na = pki_cert_not_after(pki_ca_cert(ca));
	time_t now = pki_cert_not_before(pki_ca_cert(ca)) + 10 * DAY;
	struct pki_cert *cert;
	struct pki_csr *csr;
	struct pki_err err;

	/* the policy's maximum, when shorter than the profile's */
	cert = issue(ca, "front-proxy-client", pol30, "sign/good/front-proxy-client.csr", now);
	ck_assert_int_eq(pki_cert_not_before(cert), now - 300);
	ck_assert_int_eq(pki_cert_not_after(cert), now + 30 * DAY);
	pki_cert_free(cert);
	/* never past the CA */
	cert = issue(ca, "front-proxy-client", pol, "sign/good/front-proxy-client.csr",
		ca_na - 100 * DAY);
	ck_assert_int_eq(pki_cert_not_after(cert), ca_na);
	pki_cert_free(cert);
	cert = issue(ca, "front-proxy-client", pol, "sign/good/front-proxy-client.csr",
		ca_na - YEAR);
	ck_assert_int_eq(pki_cert_not_after(cert), ca_na);
	pki_cert_free(cert);
	cert = issue(ca, "front-proxy-client", pol, "sign/good/front-proxy-client.csr",
		ca_na - YEAR - 1);
	ck_assert_int_eq(pki_cert_not_after(cert), ca_na - 1);
	pki_cert_free(cert);
	/* an expired CA signs nothing */
	csr = read_csr("sign/good/front-proxy-client.csr");
	cert = NULL;
	pki_err_clear(&err);
	ck_assert_int_eq(pki_sign_issue(ca, profile("front-proxy-client"), pol, "cp-1", csr,
				 (const unsigned char *)"\x01", 1, ca_na, &cert, &err),
		-1);
	ck_assert_ptr_null(cert);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_msg(strncmp(err.msg,
			      "certificate for 'front-proxy-client': CA 'front-proxy-ca' expired at ",
			      69) == 0,
		"%s", err.msg);
	pki_csr_free(csr);
	pki_ca_free(ca);
}
END_TEST

static const struct {
	const char *hex;
	int ok;
	const char *shown; /* as pki_x509info shows it */
} serials[] = {
	{ "01", 1, "01" },
	{ "7f", 1, "7f" },
	{ "0080", 1, "80" },
	{ "7fffffffffffffffffffffffffffffffffffffff", 1,
		"7fffffffffffffffffffffffffffffffffffffff" },
	{ "", 0, NULL },
	{ "00", 0, NULL },
	{ "0000", 0, NULL },
	{ "80", 0, NULL },	/* negative */
	{ "ff01", 0, NULL },
	{ "0001", 0, NULL },	/* not minimal */
	{ "7fffffffffffffffffffffffffffffffffffffff01", 0, NULL }, /* 21 octets */
};

START_TEST(test_serial)
{
	unsigned char s[32];
	struct pki_x509info info;
	struct pki_cert *cert = NULL;
	struct pki_ca *ca = load_ca("front-proxy-ca", set, NULL);
	struct pki_csr *csr = read_csr("sign/good/front-proxy-client.csr");
	struct pki_err err;
	size_t n = strlen(serials[_i].hex) / 2, i;
	unsigned v;
	int r;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(serials[_i].hex + 2 * i, "%2x", &v), 1);
		s[i] = (unsigned char)v;
	}
	pki_err_clear(&err);
	r = pki_sign_issue(ca, profile("front-proxy-client"), pol, "cp-1", csr, n ? s : NULL, n,
		time(NULL), &cert, &err);
	if (serials[_i].ok) {
		ck_assert_msg(r == 0, "%s", err.msg);
		ck_assert_int_eq(pki_cert_info(cert, &info, &err), 0);
		ck_assert_str_eq(info.serial, serials[_i].shown);
		pki_x509info_free(&info);
	} else {
		ck_assert_int_eq(r, -1);
		ck_assert_ptr_null(cert);
		ck_assert_int_eq(err.code, PKI_E_USAGE);
		ck_assert_str_eq(err.msg,
			"certificate for 'front-proxy-client': the serial is not a positive DER "
			"integer of at most 20 octets (RFC 5280 4.1.2.2)");
	}
	pki_cert_free(cert);
	pki_csr_free(csr);
	pki_ca_free(ca);
}
END_TEST

/* pki_sign_issue holds the request again: a refused one is never signed. */
START_TEST(test_issue_refused)
{
	struct pki_cert *cert = NULL;
	struct pki_ca *ca = load_ca("ca", set, NULL), *etcd = load_ca("etcd-ca", set, NULL);
	struct pki_csr *csr = read_csr("sign/bad/san-outside.csr");
	struct pki_csr *good_csr = read_csr("sign/good/apiserver.csr");
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_sign_issue(ca, profile("apiserver"), pol, "cp-1", csr,
				 (const unsigned char *)"\x01", 1, time(NULL), &cert, &err),
		-1);
	ck_assert_ptr_null(cert);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_str_eq(err.msg, "certificate for 'apiserver': request refused: DNS SAN "
				  "'evil.example.com' is not allowed by policy 'test-1'");
	/* the profile's own CA only */
	pki_err_clear(&err);
	ck_assert_int_eq(pki_sign_issue(etcd, profile("apiserver"), pol, "cp-1", good_csr,
				 (const unsigned char *)"\x01", 1, time(NULL), &cert, &err),
		-1);
	ck_assert_ptr_null(cert);
	ck_assert_int_eq(err.code, PKI_E_USAGE);
	ck_assert_str_eq(err.msg, "certificate for 'apiserver': profile 'apiserver' is signed by "
				  "CA 'ca', not 'etcd-ca'");
	pki_csr_free(csr);
	pki_csr_free(good_csr);
	pki_ca_free(ca);
	pki_ca_free(etcd);
}
END_TEST

/* A CSR asking for CA:TRUE and cert-sign gets the profile's usages only. */
START_TEST(test_issue_ca_true)
{
	struct pki_ca *ca = load_ca("front-proxy-ca", set, NULL);
	struct pki_x509info info;
	struct pki_cert *cert;
	struct pki_err err;

	cert = issue(ca, "front-proxy-client", pol, "sign/bad/ca-true.csr", time(NULL));
	pki_err_clear(&err);
	ck_assert_int_eq(pki_cert_info(cert, &info, &err), 0);
	ck_assert_int_eq(info.has_bc, 1);
	ck_assert_int_eq(info.is_ca, 0);
	ck_assert_uint_eq(info.ku, PKI_KU_DIGITAL_SIGNATURE | PKI_KU_KEY_ENCIPHERMENT);
	ck_assert_uint_eq(info.eku.n, 1);
	ck_assert_str_eq(info.eku.v[0], "1.3.6.1.5.5.7.3.2");
	ck_assert_uint_eq(info.ext_oids.n, 5);
	pki_x509info_free(&info);
	pki_cert_free(cert);
	pki_ca_free(ca);
}
END_TEST

/* An Ed25519 CA signs pure Ed25519; a profile that allows Ed25519 keys takes one. */
static const char ed_set[] = "format: kpki-profiles/v1\n"
			     "name: ed-test\n"
			     "description: an Ed25519 CA and client\n"
			     "kubeadm: {min: \"1.29\"}\n"
			     "profiles:\n"
			     "  - name: ca\n"
			     "    kind: ca\n"
			     "    path: ca\n"
			     "    subject: {cn: kubernetes}\n"
			     "    key-usage: [digital-signature, key-encipherment, cert-sign]\n"
			     "    validity: 87600h\n"
			     "    roles: [control-plane]\n"
			     "  - name: edge-client\n"
			     "    kind: cert\n"
			     "    path: edge-client\n"
			     "    ca: ca\n"
			     "    subject: {cn: front-proxy-client}\n"
			     "    key-usage: [digital-signature, key-encipherment]\n"
			     "    ext-key-usage: [client-auth]\n"
			     "    validity: 24h\n"
			     "    roles: [control-plane]\n"
			     "    allow-ed25519: true\n";

START_TEST(test_issue_ed25519)
{
	static const unsigned char serial[] = { 0x42 };
	struct pki_names refusals = { 0 }, notes = { 0 };
	struct pki_profile_set *eset = NULL;
	struct pki_x509info info;
	struct pki_cert *cert = NULL;
	struct pki_csr *csr = read_csr("sign/good/ed25519.csr");
	struct pki_ca *ca;
	struct pki_err err;
	char dir[600];
	time_t now = time(NULL);

	pki_err_clear(&err);
	ck_assert_msg(pki_profile_set_parse((const unsigned char *)ed_set, sizeof(ed_set) - 1,
			      "ed.yaml", &eset, &err) == 0,
		"%s", err.msg);
	copy_fixture("sign/ca-ed25519/ca.crt", "ed/ca.crt");
	copy_fixture("sign/ca-ed25519/ca.key", "ed/ca.key");
	(void)snprintf(dir, sizeof(dir), "%s", tmp_path("ed"));
	ca = load_ca("ca", eset, dir);
	ck_assert_int_eq(pki_sign_check(pki_profile_set_find(eset, "edge-client"), pol, "cp-1",
				 csr, &refusals, &notes, &err),
		0);
	ck_assert_uint_eq(refusals.n, 0);
	ck_assert_msg(pki_sign_issue(ca, pki_profile_set_find(eset, "edge-client"), pol, "cp-1",
			      csr, serial, sizeof(serial), now, &cert, &err) == 0,
		"%s", err.msg);
	ck_assert_int_eq(pki_cert_info(cert, &info, &err), 0);
	ck_assert_str_eq(info.sig_algo, "EdDSA-Ed25519");
	ck_assert_str_eq(info.key.algo, "Ed25519");
	ck_assert_int_eq(info.not_after, now + DAY);
	write_pem(cert, "ed/leaf.crt");
	ck_assert_int_eq(run("openssl verify -x509_strict -CAfile '%s/ca.crt' -purpose sslclient "
			     "'%s/leaf.crt' >/dev/null",
				 dir, dir),
		0);
	pki_x509info_free(&info);
	pki_cert_free(cert);
	pki_ca_free(ca);
	pki_csr_free(csr);
	pki_profile_set_free(eset);
}
END_TEST

/* What may pass: a worker's own certificates, and a profile that does not
 * name the node without a node. */
static const struct {
	const char *csr, *profile, *node;
	int strict;
} passes[] = {
	{ "good/kubelet.conf-worker-1.csr", "kubelet.conf", "worker-1", 0 },
	{ "good/kubelet-worker-1.csr", "kubelet", "worker-1", 0 },
	{ "good/admin.conf.csr", "admin.conf", "", 1 },
	{ "good/front-proxy-client.csr", "front-proxy-client", "", 1 },
	{ "good/kubelet.conf.csr", "kubelet.conf", "cp-1", 1 },
};

START_TEST(test_passes)
{
	struct pki_names refusals = { 0 }, notes = { 0 };
	struct pki_csr *csr;
	struct pki_err err;
	char rel[128];

	(void)snprintf(rel, sizeof(rel), "sign/%s", passes[_i].csr);
	csr = read_csr(rel);
	pki_err_clear(&err);
	ck_assert_msg(pki_sign_check(profile(passes[_i].profile), passes[_i].strict ? polstrict : pol,
			      passes[_i].node, csr, &refusals, &notes, &err) == 0,
		"%s", err.msg);
	ck_assert_msg(refusals.n == 0, "%s: %s", passes[_i].csr, refusals.v[0]);
	ck_assert_uint_eq(notes.n, 0);
	pki_names_free(&refusals);
	pki_names_free(&notes);
	pki_csr_free(csr);
}
END_TEST

/* A worker's kubelet.conf: the worker's node name in its CN. */
START_TEST(test_issue_worker)
{
	static const unsigned char serial[] = { 0x07 };
	struct pki_ca *ca = load_ca("ca", set, NULL);
	struct pki_csr *csr = read_csr("sign/good/kubelet.conf-worker-1.csr");
	struct pki_x509info info;
	struct pki_cert *cert = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_msg(pki_sign_issue(ca, profile("kubelet.conf"), pol, "worker-1", csr, serial,
			      sizeof(serial), time(NULL), &cert, &err) == 0,
		"%s", err.msg);
	ck_assert_int_eq(pki_cert_info(cert, &info, &err), 0);
	ck_assert_str_eq(info.subject, "CN=system:node:worker-1,O=system:nodes");
	pki_x509info_free(&info);
	pki_cert_free(cert);
	/* and never admin.conf for it, even at issuance */
	pki_csr_free(csr);
	csr = read_csr("sign/good/admin.conf-worker-1.csr");
	ck_assert_int_eq(pki_sign_issue(ca, profile("admin.conf"), pol, "worker-1", csr, serial,
				 sizeof(serial), time(NULL), &cert, &err),
		-1);
	ck_assert_ptr_null(cert);
	ck_assert_str_eq(err.msg, "certificate for 'admin.conf': request refused: profile "
				  "'admin.conf' is not for workers, and policy 'test-1' lists node "
				  "'worker-1' as a worker");
	pki_csr_free(csr);
	pki_ca_free(ca);
}
END_TEST

/* An intermediate (valid 2026-01-10 to 2036-01-01) under a root that ends
 * 2026-01-31: no leaf outlives the root, none starts before the CA. */
#define CHAIN_CA_NB   1768003200 /* 2026-01-10T00:00:00Z */
#define CHAIN_ROOT_NA 1769817600 /* 2026-01-31T00:00:00Z */

START_TEST(test_validity_chain)
{
	struct pki_ca *ca;
	struct pki_cert *cert;
	struct pki_csr *csr;
	struct pki_policy *pol7;
	struct pki_err err;
	char dir[600], want[PKI_ERR_MSG_MAX];

	copy_fixture("sign/ca-chain/front-proxy-ca.crt", "chain/front-proxy-ca.crt");
	copy_fixture("sign/ca-chain/front-proxy-ca.key", "chain/front-proxy-ca.key");
	(void)snprintf(dir, sizeof(dir), "%s", tmp_path("chain"));
	ca = load_ca("front-proxy-ca", set, dir);
	ck_assert_uint_eq(pki_ca_chain_count(ca), 1);
	ck_assert_int_eq(pki_cert_not_before(pki_ca_cert(ca)), CHAIN_CA_NB);
	ck_assert_int_eq(pki_cert_not_after(pki_ca_chain_at(ca, 0)), CHAIN_ROOT_NA);

	/* a minute after the CA begins: from the CA's notBefore, to the root's end */
	cert = issue(ca, "front-proxy-client", pol, "sign/good/front-proxy-client.csr",
		CHAIN_CA_NB + 60);
	ck_assert_int_eq(pki_cert_not_before(cert), CHAIN_CA_NB);
	ck_assert_int_eq(pki_cert_not_after(cert), CHAIN_ROOT_NA);
	pki_cert_free(cert);
	/* a day in: now - 5 min; the policy's 30 days are cut at the root too */
	cert = issue(ca, "front-proxy-client", pol30, "sign/good/front-proxy-client.csr",
		CHAIN_CA_NB + DAY);
	ck_assert_int_eq(pki_cert_not_before(cert), CHAIN_CA_NB + DAY - 300);
	ck_assert_int_eq(pki_cert_not_after(cert), CHAIN_ROOT_NA);
	pki_cert_free(cert);
	/* short enough to end before the root: the policy's own 7 days */
	pol7 = policy_max_validity("7d");
	cert = issue(ca, "front-proxy-client", pol7, "sign/good/front-proxy-client.csr",
		CHAIN_CA_NB + DAY);
	ck_assert_int_eq(pki_cert_not_after(cert), CHAIN_CA_NB + 8 * DAY);
	pki_cert_free(cert);
	pki_policy_free(pol7);
	/* before the CA begins (this host's clock is behind): nothing is signed */
	csr = read_csr("sign/good/front-proxy-client.csr");
	cert = NULL;
	pki_err_clear(&err);
	ck_assert_int_eq(pki_sign_issue(ca, profile("front-proxy-client"), pol, "cp-1", csr,
				 (const unsigned char *)"\x01", 1, CHAIN_CA_NB - 1, &cert, &err),
		-1);
	ck_assert_ptr_null(cert);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	(void)snprintf(want, sizeof(want), "certificate for 'front-proxy-client': CA "
		"'front-proxy-ca' ('%s/front-proxy-ca.crt'): not valid at 2026-01-09T23:59:59Z "
		"(valid from 2026-01-10T00:00:00Z to 2036-01-01T00:00:00Z): check this host's clock",
		dir);
	ck_assert_str_eq(err.msg, want);
	pki_csr_free(csr);
	/* the root has expired: nothing is signed */
	csr = read_csr("sign/good/front-proxy-client.csr");
	cert = NULL;
	pki_err_clear(&err);
	ck_assert_int_eq(pki_sign_issue(ca, profile("front-proxy-client"), pol, "cp-1", csr,
				 (const unsigned char *)"\x01", 1, CHAIN_ROOT_NA, &cert, &err),
		-1);
	ck_assert_ptr_null(cert);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_str_eq(err.msg, "certificate for 'front-proxy-client': CA 'front-proxy-ca': "
				  "certificate 1 of its chain expired at 2026-01-31T00:00:00Z");
	pki_csr_free(csr);
	/* a second later the root is past its notAfter: the clock message */
	pki_err_clear(&err);
	ck_assert_int_eq(pki_ca_check_time(ca, CHAIN_ROOT_NA + 1, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	(void)snprintf(want, sizeof(want), "CA 'front-proxy-ca' ('%s/front-proxy-ca.crt'): "
		"certificate 1 of its chain: not valid at 2026-01-31T00:00:01Z (valid from "
		"2026-01-01T00:00:00Z to 2026-01-31T00:00:00Z): check this host's clock", dir);
	ck_assert_str_eq(err.msg, want);
	/* both ends belong to the validity (RFC 5280 4.1.2.5) */
	ck_assert_int_eq(pki_ca_check_time(ca, CHAIN_CA_NB, &err), 0);
	ck_assert_int_eq(pki_ca_check_time(ca, CHAIN_ROOT_NA, &err), 0);
	pki_ca_free(ca);
}
END_TEST

/*
 * kpki-sign with a clock outside the CA's validity: before its notBefore
 * (a host whose clock is behind, or a KPKI_NOW from the past) and after its
 * notAfter, nothing is issued, no ledger is made, and a dry run says the
 * same; inside it, one issuance is recorded.
 */
static const struct {
	int64_t offset; /* from the CA's notBefore (< 0) or notAfter (> 0) */
	int dry_run;
} clocks[] = {
	{ -1, 0 }, { -DAY, 0 }, { -10 * YEAR, 0 }, { 1, 0 }, { YEAR, 0 }, { -1, 1 }, { 1, 1 },
};

START_TEST(test_issue_clock)
{
	struct pki_ca_opts cao = { 0 };
	struct pki_issue_opts io = { 0 };
	struct pki_names refusals = { 0 }, notes = { 0 };
	struct pki_ledger_record *recs = NULL;
	struct pki_ca *ca = load_ca("front-proxy-ca", set, NULL);
	struct pki_csr *csr = read_csr("sign/good/front-proxy-client.csr");
	struct pki_cert *cert = NULL;
	time_t nb = pki_cert_not_before(pki_ca_cert(ca));
	time_t na = pki_cert_not_after(pki_ca_cert(ca));
	char tnow[32], tnb[32], tna[32], want[PKI_ERR_MSG_MAX];
	struct pki_err err;
	struct stat st;
	size_t n = 0;

	pki_ca_free(ca);
	cao.ca_dir = tmpdir;
	cao.set = set;
	io.ca = &cao;
	io.policy = pol;
	io.dry_run = clocks[_i].dry_run;
	io.now = clocks[_i].offset < 0 ? nb + clocks[_i].offset : na + clocks[_i].offset;
	pki_time_rfc3339(io.now, tnow);
	pki_time_rfc3339(nb, tnb);
	pki_time_rfc3339(na, tna);
	(void)snprintf(want, sizeof(want), "CA 'front-proxy-ca' ('%s/front-proxy-ca.crt'): not "
		"valid at %s (valid from %s to %s): check this host's clock", tmpdir, tnow, tnb,
		tna);
	pki_err_clear(&err);
	ck_assert_int_eq(pki_issue_one(&io, "front-proxy-client", "cp-1", csr, &cert, &refusals,
				 &notes, &err),
		-1);
	ck_assert_ptr_null(cert);
	ck_assert_int_eq(err.code, PKI_E_INVALID);
	ck_assert_str_eq(err.msg, want);
	/* not a refusal of the request: the CA's clock, so exit 1, not 3 */
	ck_assert_uint_eq(refusals.n, 0);
	ck_assert_int_eq(lstat(tmp_path(PKI_LEDGER_DIR), &st), -1);

	/* the clock put right: issued and recorded once */
	io.dry_run = 0;
	io.now = nb + DAY;
	pki_err_clear(&err);
	ck_assert_msg(pki_issue_one(&io, "front-proxy-client", "cp-1", csr, &cert, &refusals,
			      &notes, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(cert);
	ck_assert_msg(pki_ledger_read(tmpdir, &recs, &n, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(n, 1);
	pki_ledger_records_free(recs, n);
	pki_cert_free(cert);
	pki_csr_free(csr);
	pki_names_free(&refusals);
	pki_names_free(&notes);
}
END_TEST

/* Flipped bits and truncations of a good request: refused or checked, never a
 * crash; a request that still passes the check issues. */
START_TEST(test_mutations)
{
	struct pki_names refusals = { 0 }, notes = { 0 };
	struct pki_buf b = { 0 };
	struct pki_csr *csr = NULL;
	struct pki_err err;
	size_t i;
	int passed = 0;

	test_read("sign/good/etcd-server.csr", &b);
	{
		struct pki_csr *tmp = NULL;
		const unsigned char *der;
		size_t len;

		ck_assert_int_eq(pki_csr_parse(b.data, b.len, "x", &tmp, &err), 0);
		der = pki_csr_der(tmp, &len);
		pki_buf_free(&b);
		ck_assert_int_eq(pki_buf_append(&b, der, len, &err), 0);
		pki_csr_free(tmp);
	}
	for (i = 0; i < b.len * 8; i += 3) {
		b.data[i / 8] ^= (unsigned char)(1u << (i % 8));
		pki_err_clear(&err);
		if (pki_csr_parse(b.data, b.len, "m", &csr, &err) == 0) {
			ck_assert_int_eq(pki_sign_check(profile("etcd-server"), pol, "cp-1", csr,
						 &refusals, &notes, &err),
				0);
			/* every octet is covered by the signature or is part of it */
			passed += refusals.n == 0;
			pki_names_free(&refusals);
			pki_names_free(&notes);
			pki_csr_free(csr);
			csr = NULL;
		}
		b.data[i / 8] ^= (unsigned char)(1u << (i % 8));
	}
	for (i = 0; i < b.len; i++) {
		if (pki_csr_parse(b.data, i, "t", &csr, &err) == 0) {
			ck_assert_int_eq(pki_sign_check(profile("etcd-server"), pol, "cp-1", csr,
						 &refusals, &notes, &err),
				0);
			ck_assert_uint_gt(refusals.n, 0);
			pki_names_free(&refusals);
			pki_names_free(&notes);
			pki_csr_free(csr);
			csr = NULL;
		}
	}
	ck_assert_int_eq(passed, 0);
	pki_buf_free(&b);
}
END_TEST

/* Fingerprints as the tools take them: SHA256:<hex>, bare hex, openssl's
 * colon form, any case; anything else refused. */
#define FP_HEX "f8f00765629e02eb25df7414e3333aa4ad5dca514c69225df7b183b782cb68ea"
#define FP_COLON "F8:F0:07:65:62:9E:02:EB:25:DF:74:14:E3:33:3A:A4:AD:5D:CA:51:4C:69:22:5D:" \
	"F7:B1:83:B7:82:CB:68:EA"
static const struct {
	const char *in;
	int ok;
} fps[] = {
	{ "SHA256:" FP_HEX, 1 },
	{ "sha256:" FP_HEX, 1 },
	{ FP_HEX, 1 },
	{ FP_COLON, 1 },
	{ "SHA256:" FP_COLON, 1 },
	{ "", 0 },
	{ "SHA256:", 0 },
	{ "SHA256:" FP_HEX "00", 0 },				/* too long */
	{ "SHA256:f8f00765629e02eb25df7414e3333aa4ad5dca514c69225df7b183b782cb68e", 0 },
	{ "SHA256:g8f00765629e02eb25df7414e3333aa4ad5dca514c69225df7b183b782cb68ea", 0 },
	{ "SHA1:" FP_HEX, 0 },
	{ "F8:F0:07:65:62:9E:02:EB:25:DF:74:14:E3:33:3A:A4:AD:5D:CA:51:4C:69:22:5D:F7:B1:83:B7:82:CB:68EA",
		0 },							/* colon missing */
	{ FP_COLON ":", 0 },
	{ " " FP_HEX, 0 },
	{ "SHA256:f8f0\n", 0 },
};

START_TEST(test_fingerprint_parse)
{
	static const unsigned char want[32] = { 0xf8, 0xf0, 0x07, 0x65, 0x62, 0x9e, 0x02, 0xeb,
		0x25, 0xdf, 0x74, 0x14, 0xe3, 0x33, 0x3a, 0xa4, 0xad, 0x5d, 0xca, 0x51, 0x4c, 0x69,
		0x22, 0x5d, 0xf7, 0xb1, 0x83, 0xb7, 0x82, 0xcb, 0x68, 0xea };
	static const unsigned char zero[32] = { 0 };
	unsigned char out[32];
	struct pki_err err;

	pki_err_clear(&err);
	memset(out, 0xaa, sizeof(out));
	if (fps[_i].ok) {
		ck_assert_msg(pki_fingerprint_parse(fps[_i].in, out, &err) == 0, "%s", err.msg);
		ck_assert_mem_eq(out, want, sizeof(want));
	} else {
		ck_assert_int_eq(pki_fingerprint_parse(fps[_i].in, out, &err), -1);
		ck_assert_int_eq(err.code, PKI_E_PARSE);
		ck_assert_msg(strncmp(err.msg, "fingerprint '", 13) == 0, "%s", err.msg);
		ck_assert_ptr_nonnull(strstr(err.msg, "': not a SHA-256 fingerprint: give SHA256: and "
			"64 hex digits, 64 hex digits, or 32 colon-separated hex bytes"));
		ck_assert_ptr_null(strchr(err.msg, '\n'));
		ck_assert_mem_eq(out, zero, sizeof(zero));
	}
}
END_TEST

static Suite *
sign_suite(void)
{
	Suite *s = suite_create("sign");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_hostile, 0, (int)PKI_ARRAY_LEN(hostile));
	tcase_add_test(tc, test_unreadable);
	tcase_add_loop_test(tc, test_good_check, 0, (int)PKI_ARRAY_LEN(good));
	tcase_add_loop_test(tc, test_issue, 0, (int)PKI_ARRAY_LEN(good));
	tcase_add_test(tc, test_validity);
	tcase_add_test(tc, test_validity_chain);
	tcase_add_loop_test(tc, test_issue_clock, 0, (int)PKI_ARRAY_LEN(clocks));
	tcase_add_loop_test(tc, test_passes, 0, (int)PKI_ARRAY_LEN(passes));
	tcase_add_test(tc, test_issue_worker);
	tcase_add_loop_test(tc, test_serial, 0, (int)PKI_ARRAY_LEN(serials));
	tcase_add_test(tc, test_issue_refused);
	tcase_add_test(tc, test_issue_ca_true);
	tcase_add_test(tc, test_issue_ed25519);
	tcase_add_test(tc, test_mutations);
	tcase_add_loop_test(tc, test_fingerprint_parse, 0, (int)PKI_ARRAY_LEN(fps));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(sign_suite());
}
