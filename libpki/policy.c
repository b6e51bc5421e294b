/*
 * policy.c — the CA-side policy (kpki-policy(5)): which nodes one cluster
 * has and which DNS names and addresses its certificates may carry.
 *
 * The file is read as hostile input all the same (a typo must not widen
 * it): one YAML document, strict keys, no aliases, every name checked and
 * stored in lower case, every CIDR canonical, counts capped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pki/duration.h>
#include <pki/policy.h>

#include "internal.h"

#define POLICY_VERSION	  "v1"
#define POLICY_MAX_BYTES  (1024u * 1024)
#define POLICY_MAX_TEXT	  253	/* name and cluster */
#define POLICY_MAX_SET	  64	/* profile set names, as profile.c */
#define POLICY_MAX_NODES  1024	/* control-plane nodes and workers: each */
#define POLICY_MAX_CERTS  256	/* profile names under certificates */
#define POLICY_MAX_PROF	  64	/* one profile name, as profile.c */
#define POLICY_MAX_LIST	  4096	/* names, suffixes, wildcards, ranges: each */
#define POLICY_MAX_DNS	  253	/* RFC 1035 2.3.4, as Kubernetes checks it */

static const struct pki_ylimits policy_ylimits = {
	.max_depth = 8,
	.max_nodes = 4 * POLICY_MAX_LIST + 2 * POLICY_MAX_NODES + POLICY_MAX_CERTS + 64,
	.max_scalar = 1024,
	.max_docs = 1,
};

struct cidr {
	int v6;
	unsigned char addr[16];
	unsigned plen;
};

struct pki_policy {
	char *name;
	char *cluster;
	char *profiles;
	int64_t max_validity;
	struct pki_names certificates;	/* profile names */
	struct pki_names nodes;		/* control-plane nodes, lower case */
	struct pki_names workers;	/* worker nodes, lower case */
	struct pki_names names;		/* lower case */
	struct pki_names suffixes;	/* lower case, with the leading dot */
	struct pki_names wildcards;	/* lower case, "*.x" */
	struct cidr *ip;
	size_t nip;
};

void
pki_policy_free(struct pki_policy *pol)
{
	if (pol == NULL)
		return;
	free(pol->name);
	free(pol->cluster);
	free(pol->profiles);
	pki_names_free(&pol->certificates);
	pki_names_free(&pol->nodes);
	pki_names_free(&pol->workers);
	pki_names_free(&pol->names);
	pki_names_free(&pol->suffixes);
	pki_names_free(&pol->wildcards);
	free(pol->ip);
	free(pol);
}

const char *pki_policy_name(const struct pki_policy *pol) { return pol->name; }
const char *pki_policy_cluster(const struct pki_policy *pol) { return pol->cluster; }
const char *pki_policy_profiles(const struct pki_policy *pol) { return pol->profiles; }
int64_t pki_policy_max_validity(const struct pki_policy *pol) { return pol->max_validity; }

/* ---- matching ------------------------------------------------------------ */

/*
 * A DNS name in lower case (RFC 4343: names compare case-insensitively) in
 * out; 0, or -1 when it holds anything but ASCII letters, digits, '-', '.'
 * and a leading "*." or is too long. The syntax proper is checked after.
 */
static int
dns_lower(const char *s, char out[POLICY_MAX_DNS + 1])
{
	size_t i, n = strlen(s);

	if (n == 0 || n > POLICY_MAX_DNS)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
				 c == '.' || (c == '*' && i == 0)))
			return -1;
		out[i] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

/* Node names as Kubernetes takes them: lower case, exactly as listed. */
int
pki_policy_node_allowed(const struct pki_policy *pol, const char *node)
{
	if (node == NULL || !pki_dns1123_subdomain(node, 0))
		return 0;
	return pki_names_contains(&pol->nodes, node) || pki_names_contains(&pol->workers, node);
}

int
pki_policy_node_is_worker(const struct pki_policy *pol, const char *node)
{
	if (node == NULL || !pki_dns1123_subdomain(node, 0))
		return 0;
	return pki_names_contains(&pol->workers, node);
}

int
pki_policy_profile_allowed(const struct pki_policy *pol, const char *profile)
{
	return profile != NULL && pki_names_contains(&pol->certificates, profile);
}

int
pki_policy_dns_allowed(const struct pki_policy *pol, const char *name)
{
	char lc[POLICY_MAX_DNS + 1];
	size_t i, n;

	if (name == NULL || dns_lower(name, lc) != 0)
		return 0;
	/* a wildcard only as itself: a suffix never allows one */
	if (lc[0] == '*')
		return pki_dns1123_subdomain(lc, 1) && pki_names_contains(&pol->wildcards, lc);
	if (!pki_dns1123_subdomain(lc, 0))
		return 0;
	if (pki_names_contains(&pol->names, lc) || pki_names_contains(&pol->nodes, lc) ||
	    pki_names_contains(&pol->workers, lc))
		return 1;
	n = strlen(lc);
	for (i = 0; i < pol->suffixes.n; i++) {
		size_t sl = strlen(pol->suffixes.v[i]);

		/* ".example.internal" takes "a.example.internal", never the bare domain
		 * (the suffix keeps its dot, so a label must come before it) */
		if (n > sl && strcmp(lc + n - sl, pol->suffixes.v[i]) == 0)
			return 1;
	}
	return 0;
}

/* An address as family and 16 octets; an IPv4-mapped IPv6 address counts
 * as the IPv4 address it maps, as Go and most clients treat it. */
static int
ip_parse(const char *s, int *v6, unsigned char a[16])
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1) {
		*v6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) != 1)
		return -1;
	if (memcmp(a, mapped, sizeof(mapped)) == 0) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		*v6 = 0;
		return 0;
	}
	*v6 = 1;
	return 0;
}

static int
prefix_match(const unsigned char *a, const unsigned char *net, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;
	unsigned char mask;

	if (memcmp(a, net, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xffu << (8 - rest));
	return (a[full] & mask) == (net[full] & mask);
}

int
pki_policy_ip_allowed(const struct pki_policy *pol, const char *ip)
{
	unsigned char a[16];
	size_t i;
	int v6;

	if (ip == NULL || ip_parse(ip, &v6, a) != 0)
		return 0;
	for (i = 0; i < pol->nip; i++)
		if (pol->ip[i].v6 == v6 && prefix_match(a, pol->ip[i].addr, pol->ip[i].plen))
			return 1;
	return 0;
}

/* ---- reading ------------------------------------------------------------- */

struct rd {
	const char *what;	/* "policy 'x.yaml'", sanitized */
	struct pki_err *err;
};

static int
bad_item(struct rd *r, const struct pki_ynode *n, const char *field, const char *why)
{
	char clean[160];

	pki_text_sanitize(n->str, clean, sizeof(clean));
	return pki_err_set(r->err, PKI_E_INVALID, "%s: line %u: %s: '%s' %s", r->what,
		n->line, field, clean, why);
}

/* A required scalar field as clean text of 1..max bytes. */
static int
get_text(struct rd *r, const struct pki_ynode *root, const char *key, size_t max,
	const char **out)
{
	const struct pki_ynode *n = pki_ymap_get(root, key);

	*out = NULL;
	if (pki_yget_str(root, key, 1, r->what, out, r->err) != 0)
		return -1;
	if (pki_ynode_is_null(n) || n->len == 0)
		return pki_err_set(r->err, PKI_E_PARSE, "%s: line %u: '%s' is empty", r->what,
			n->line, key);
	if (n->len > max)
		return pki_err_set(r->err, PKI_E_LIMIT, "%s: line %u: '%s' is longer than %zu bytes",
			r->what, n->line, key, max);
	return 0;
}

enum dns_kind { DNS_NODE, DNS_NAME, DNS_SUFFIX, DNS_WILDCARD };

/* Reads an optional list of DNS names of one kind, lower-cased, into out. */
static int
get_dns_list(struct rd *r, const struct pki_ynode *map, const char *key, const char *field,
	enum dns_kind kind, int required, size_t max, struct pki_names *out)
{
	const struct pki_ynode *seq = NULL, *it;
	char lc[POLICY_MAX_DNS + 2]; /* room for a suffix's dot */
	size_t i;

	if (pki_yget_seq(map, key, required, r->what, &seq, r->err) != 0)
		return -1;
	if (seq == NULL)
		return 0;
	if (seq->n > max)
		return pki_err_set(r->err, PKI_E_LIMIT, "%s: line %u: %s: more than %zu entries",
			r->what, seq->line, field, max);
	for (i = 0; i < seq->n; i++) {
		it = seq->items[i];
		if (it->type != PKI_Y_SCALAR)
			return pki_err_set(r->err, PKI_E_PARSE,
				"%s: line %u: %s: each entry must be a value", r->what, it->line,
				field);
		if (pki_ynode_is_null(it) || it->len == 0)
			return pki_err_set(r->err, PKI_E_PARSE, "%s: line %u: %s: an empty entry",
				r->what, it->line, field);
		if (dns_lower(it->str, lc) != 0 && kind != DNS_SUFFIX)
			return bad_item(r, it, field,
				kind == DNS_WILDCARD ? "is not a wildcard DNS name (RFC 1123)" :
				kind == DNS_NODE     ? "is not a node name (a lower-case RFC 1123 "
						       "subdomain)" :
						       "is not a DNS name (RFC 1123)");
		switch (kind) {
		case DNS_NODE:
			/* Kubernetes never lower-cases a node name: as it is, or not at all */
			if (!pki_dns1123_subdomain(it->str, 0))
				return bad_item(r, it, field,
					"is not a node name (a lower-case RFC 1123 subdomain)");
			break;
		case DNS_NAME:
			if (lc[0] == '*')
				return bad_item(r, it, field,
					"is a wildcard: list it under dns.wildcards");
			if (!pki_dns1123_subdomain(lc, 0))
				return bad_item(r, it, field, "is not a DNS name (RFC 1123)");
			break;
		case DNS_SUFFIX:
			if (it->str[0] != '.')
				return bad_item(r, it, field,
					"must start with '.' (\".example.internal\" allows "
					"\"a.example.internal\")");
			if (dns_lower(it->str + 1, lc) != 0 || !pki_dns1123_subdomain(lc, 0))
				return bad_item(r, it, field,
					"is not '.' followed by a DNS name (RFC 1123)");
			memmove(lc + 1, lc, strlen(lc) + 1);
			lc[0] = '.';
			break;
		case DNS_WILDCARD:
			if (!pki_dns1123_subdomain(lc, 1))
				return bad_item(r, it, field,
					"is not a wildcard DNS name (\"*.\" and an RFC 1123 "
					"subdomain)");
			break;
		}
		if (pki_names_contains(out, lc))
			return bad_item(r, it, field, "is listed twice");
		if (pki_names_add(out, lc, r->err) != 0)
			return -1;
	}
	return 0;
}

/* "10.0.0.0/8", "fd00::/64", or a bare address (/32, /128). */
static int
parse_cidr(struct rd *r, const struct pki_ynode *it, struct cidr *c)
{
	char addr[64];
	const char *slash = strchr(it->str, '/');
	size_t alen = slash ? (size_t)(slash - it->str) : it->len;
	unsigned max, i;
	uint64_t plen;
	unsigned char net[16];
	char want[INET6_ADDRSTRLEN + 8];

	if (alen == 0 || alen >= sizeof(addr))
		return bad_item(r, it, "ip", "is not an IP address or CIDR range");
	memcpy(addr, it->str, alen);
	addr[alen] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, addr, c->addr) == 1)
		c->v6 = 0;
	else if (inet_pton(AF_INET6, addr, c->addr) == 1)
		c->v6 = 1;
	else
		return bad_item(r, it, "ip", "is not an IP address or CIDR range");
	max = c->v6 ? 128 : 32;
	if (slash == NULL)
		plen = max;
	else if (pki_parse_u64(slash + 1, 0, max, &plen) != 0)
		return bad_item(r, it, "ip",
			c->v6 ? "has a prefix length that is not 0 to 128" :
				"has a prefix length that is not 0 to 32");
	c->plen = (unsigned)plen;
	/* a range with host bits set is most likely a typo: refuse it */
	memset(net, 0, sizeof(net));
	for (i = 0; i < max / 8; i++) {
		unsigned bits = c->plen > i * 8 ? c->plen - i * 8 : 0;

		net[i] = bits >= 8 ? c->addr[i] :
				     (unsigned char)(c->addr[i] & (0xffu << (8 - bits)));
	}
	if (memcmp(net, c->addr, max / 8) != 0) {
		char clean[160];

		if (inet_ntop(c->v6 ? AF_INET6 : AF_INET, net, want, INET6_ADDRSTRLEN) == NULL)
			want[0] = '\0';
		pki_text_sanitize(it->str, clean, sizeof(clean));
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s: line %u: ip: '%s' has host bits set (the range is %s/%u)", r->what,
			it->line, clean, want, c->plen);
	}
	return 0;
}

static int
get_ip(struct rd *r, const struct pki_ynode *root, struct pki_policy *pol)
{
	const struct pki_ynode *seq = NULL, *it;
	size_t i, j;

	if (pki_yget_seq(root, "ip", 0, r->what, &seq, r->err) != 0)
		return -1;
	if (seq == NULL || seq->n == 0)
		return 0;
	if (seq->n > POLICY_MAX_LIST)
		return pki_err_set(r->err, PKI_E_LIMIT, "%s: line %u: ip: more than %d entries",
			r->what, seq->line, POLICY_MAX_LIST);
	pol->ip = pki_calloc(seq->n, sizeof(*pol->ip), r->err);
	if (pol->ip == NULL)
		return -1;
	for (i = 0; i < seq->n; i++) {
		it = seq->items[i];
		if (it->type != PKI_Y_SCALAR || pki_ynode_is_null(it))
			return pki_err_set(r->err, PKI_E_PARSE,
				"%s: line %u: ip: each entry must be an address or CIDR range",
				r->what, it->line);
		if (parse_cidr(r, it, &pol->ip[i]) != 0)
			return -1;
		for (j = 0; j < i; j++)
			if (pol->ip[j].v6 == pol->ip[i].v6 && pol->ip[j].plen == pol->ip[i].plen &&
			    memcmp(pol->ip[j].addr, pol->ip[i].addr, 16) == 0)
				return bad_item(r, it, "ip", "is listed twice");
		pol->nip = i + 1;
	}
	return 0;
}

static int
get_dns(struct rd *r, const struct pki_ynode *root, struct pki_policy *pol)
{
	static const char *const keys[] = { "names", "suffixes", "wildcards", NULL };
	const struct pki_ynode *dns = NULL;

	if (pki_yget_map(root, "dns", 0, r->what, &dns, r->err) != 0)
		return -1;
	if (dns == NULL)
		return 0;
	if (pki_ymap_check_keys(dns, keys, r->what, "'dns'", r->err) != 0 ||
	    get_dns_list(r, dns, "names", "dns.names", DNS_NAME, 0, POLICY_MAX_LIST,
		    &pol->names) != 0 ||
	    get_dns_list(r, dns, "suffixes", "dns.suffixes", DNS_SUFFIX, 0, POLICY_MAX_LIST,
		    &pol->suffixes) != 0 ||
	    get_dns_list(r, dns, "wildcards", "dns.wildcards", DNS_WILDCARD, 0,
		    POLICY_MAX_LIST, &pol->wildcards) != 0)
		return -1;
	return 0;
}

/* The profiles this cluster's nodes may be issued: names, each once. */
static int
get_certificates(struct rd *r, const struct pki_ynode *root, struct pki_policy *pol)
{
	const struct pki_ynode *seq = NULL, *it;
	size_t i;

	if (pki_yget_seq(root, "certificates", 1, r->what, &seq, r->err) != 0)
		return -1;
	if (seq->n > POLICY_MAX_CERTS)
		return pki_err_set(r->err, PKI_E_LIMIT,
			"%s: line %u: certificates: more than %d entries", r->what, seq->line,
			POLICY_MAX_CERTS);
	for (i = 0; i < seq->n; i++) {
		it = seq->items[i];
		if (it->type != PKI_Y_SCALAR)
			return pki_err_set(r->err, PKI_E_PARSE,
				"%s: line %u: certificates: each entry must be a value", r->what,
				it->line);
		if (pki_ynode_is_null(it) || it->len == 0)
			return pki_err_set(r->err, PKI_E_PARSE,
				"%s: line %u: certificates: an empty entry", r->what, it->line);
		if (!pki_set_name_valid(it->str, POLICY_MAX_PROF))
			return bad_item(r, it, "certificates",
				"is not a profile name ([a-z0-9][a-z0-9.-]*)");
		if (pki_names_contains(&pol->certificates, it->str))
			return bad_item(r, it, "certificates", "is listed twice");
		if (pki_names_add(&pol->certificates, it->str, r->err) != 0)
			return -1;
	}
	return 0;
}

/* A node is a control-plane node or a worker, never both. */
static int
get_workers_apart(struct rd *r, const struct pki_ynode *root, const struct pki_policy *pol)
{
	const struct pki_ynode *seq = pki_ymap_get(root, "workers");
	size_t i;

	for (i = 0; seq != NULL && i < seq->n; i++)
		if (pki_names_contains(&pol->nodes, seq->items[i]->str))
			return bad_item(r, seq->items[i], "workers", "is listed under nodes too");
	return 0;
}

static int
read_policy(struct rd *r, const struct pki_ynode *root, struct pki_policy *pol)
{
	static const char *const keys[] = { "kpki-policy", "name", "cluster", "profiles",
		"certificates", "nodes", "workers", "dns", "ip", "max-validity", NULL };
	const struct pki_ynode *n;
	const char *s;
	char clean[128];

	if (pki_ymap_check_keys(root, keys, r->what, "the policy", r->err) != 0)
		return -1;
	if (get_text(r, root, "kpki-policy", 16, &s) != 0)
		return -1;
	if (strcmp(s, POLICY_VERSION) != 0) {
		n = pki_ymap_get(root, "kpki-policy");
		pki_text_sanitize(s, clean, sizeof(clean));
		return pki_err_set(r->err, PKI_E_INVALID,
			"%s: line %u: kpki-policy: version '%s' is not supported (only %s)", r->what,
			n->line, clean, POLICY_VERSION);
	}
	if (get_text(r, root, "name", POLICY_MAX_TEXT, &s) != 0 ||
	    (pol->name = pki_strdup(s, r->err)) == NULL ||
	    get_text(r, root, "cluster", POLICY_MAX_TEXT, &s) != 0 ||
	    (pol->cluster = pki_strdup(s, r->err)) == NULL ||
	    get_text(r, root, "profiles", POLICY_MAX_SET, &s) != 0)
		return -1;
	if (!pki_set_name_valid(s, POLICY_MAX_SET))
		return bad_item(r, pki_ymap_get(root, "profiles"), "profiles",
			"is not a profile set name ([a-z0-9][a-z0-9.-]*, not a path)");
	if ((pol->profiles = pki_strdup(s, r->err)) == NULL)
		return -1;
	if (get_certificates(r, root, pol) != 0 ||
	    get_dns_list(r, root, "nodes", "nodes", DNS_NODE, 1, POLICY_MAX_NODES,
		    &pol->nodes) != 0 ||
	    get_dns_list(r, root, "workers", "workers", DNS_NODE, 0, POLICY_MAX_NODES,
		    &pol->workers) != 0 ||
	    get_workers_apart(r, root, pol) != 0 || get_dns(r, root, pol) != 0 ||
	    get_ip(r, root, pol) != 0)
		return -1;
	s = NULL;
	if (pki_yget_str(root, "max-validity", 0, r->what, &s, r->err) != 0)
		return -1;
	if (s != NULL) {
		n = pki_ymap_get(root, "max-validity");
		if (pki_duration_parse(s, "max-validity", &pol->max_validity, r->err) != 0)
			return pki_err_prefix(r->err, "%s: line %u", r->what, n->line);
		if (pol->max_validity <= 0)
			return bad_item(r, n, "max-validity", "is not a positive duration");
	}
	return 0;
}

int
pki_policy_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_policy **out, struct pki_err *err)
{
	struct pki_ynode **docs = NULL;
	struct pki_policy *pol = NULL;
	char clean[256], what[300];
	struct rd r;
	size_t ndocs = 0;
	int ret = -1;

	*out = NULL;
	pki_text_sanitize(name != NULL ? name : "", clean, sizeof(clean));
	(void)snprintf(what, sizeof(what), "policy '%s'", clean);
	r.what = what;
	r.err = err;
	if (len > POLICY_MAX_BYTES)
		return pki_err_set(err, PKI_E_LIMIT, "%s: larger than %u bytes", what,
			POLICY_MAX_BYTES);
	if (pki_yaml_parse(data, len, what, &policy_ylimits, &docs, &ndocs, err) != 0)
		goto out;
	if (ndocs != 1 || docs[0]->type != PKI_Y_MAP) {
		pki_err_set(err, PKI_E_PARSE, "%s: not one YAML mapping (kpki-policy(5))", what);
		goto out;
	}
	pol = pki_calloc(1, sizeof(*pol), err);
	if (pol == NULL || read_policy(&r, docs[0], pol) != 0)
		goto out;
	*out = pol;
	pol = NULL; /* transferred */
	ret = 0;
out:
	pki_policy_free(pol);
	pki_ydocs_free(docs, ndocs);
	return ret;
}

int
pki_policy_load(const char *path, struct pki_policy **out, struct pki_err *err)
{
	struct pki_buf b = { 0 };
	int ret;

	*out = NULL;
	if (pki_file_read(path, "policy", POLICY_MAX_BYTES, 0, &b, err) != 0)
		return -1;
	ret = pki_policy_parse(b.data, b.len, path, out, err);
	pki_buf_free(&b);
	return ret;
}
