/*
 * kubeadm.c — the parts of a kubeadm configuration that certificates need,
 * derived with kubeadm's defaults and validation rules (cmd/kubeadm's
 * SetInitDynamicDefaults, ValidateClusterConfiguration, GetAPIServerAltNames,
 * ParseHostPort, GetAPIServerVirtualIP).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pki/duration.h>
#include <pki/kubeadm.h>

#include "internal.h"

#define KUBEADM_GROUP	     "kubeadm.k8s.io/"
#define DEFAULT_API_VERSION  "kubeadm.k8s.io/v1beta4"
#define DEFAULT_SUBNET	     "10.96.0.0/12"
#define DEFAULT_DNS_DOMAIN   "cluster.local"
#define DEFAULT_CLUSTER_NAME "kubernetes"
#define DEFAULT_CERT_DIR     "/etc/kubernetes/pki"
#define DEFAULT_BIND_PORT    6443u
#define DEFAULT_CERT_VALID   (8760LL * 3600)
#define DEFAULT_CA_VALID     (87600LL * 3600)

/* caps on hostile input */
#define MAX_CERT_SANS	256	/* entries of one certSANs list */
#define MAX_SUBNETS	8	/* comma-separated service subnets */
#define MAX_WHERE	300

static const struct pki_ylimits kubeadm_ylimits = {
	.max_depth = 32,
	.max_nodes = 50000,
	.max_scalar = 64 * 1024,
	.max_docs = 32,
};

struct pki_kubeadm {
	char where[MAX_WHERE];	/* "kubeadm config 'x.yaml'", for messages */
	char api_version[64];
	char *node_name;
	char advertise[46];
	unsigned bind_port;
	char *cpe_host;		/* without brackets; "" when unset */
	unsigned cpe_port;	/* 0 when controlPlaneEndpoint has no port */
	char *service_subnet;
	char service_vip[46];
	char *dns_domain;
	char *cluster_name;
	char *cert_dir;
	struct pki_names apiserver_sans;
	struct pki_names etcd_server_sans;
	struct pki_names etcd_peer_sans;
	int external_etcd;
	enum pki_key_type key_type;
	int64_t cert_validity;
	int64_t ca_validity;
	int has_cluster;	/* a ClusterConfiguration document was given */
	int has_init;		/* an InitConfiguration document was given */
};

/* ---- names and addresses ------------------------------------------------- */

static int
dns_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int
pki_dns1123_subdomain(const char *s, int wildcard)
{
	size_t len, i;

	if (wildcard) {
		if (strncmp(s, "*.", 2) != 0)
			return 0;
		s += 2;
	}
	/* IsDNS1123Subdomain: total length, then the label regex; no per-label cap */
	len = strlen(s);
	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		int first = i == 0 || s[i - 1] == '.';
		int last = i + 1 == len || s[i + 1] == '.';

		if (s[i] == '.') {
			if (first) /* empty label */
				return 0;
			continue;
		}
		if (dns_label_char(s[i]))
			continue;
		if (s[i] == '-' && !first && !last)
			continue;
		return 0;
	}
	return s[len - 1] != '.';
}

int
pki_ip_canonical(const char *s, char out[46])
{
	unsigned char a[16];
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (inet_pton(AF_INET, s, a) == 1)
		return inet_ntop(AF_INET, a, out, 46) != NULL ? 0 : -1;
	if (inet_pton(AF_INET6, s, a) != 1)
		return -1;
	/* Go prints an IPv4-mapped address as IPv4 */
	if (memcmp(a, mapped, sizeof(mapped)) == 0)
		return inet_ntop(AF_INET, a + 12, out, 46) != NULL ? 0 : -1;
	return inet_ntop(AF_INET6, a, out, 46) != NULL ? 0 : -1;
}

/* "https://" + JoinHostPort(host, port) */
static int
https_url(const char *host, unsigned port, char **out, struct pki_err *err)
{
	struct pki_buf b = { 0 };
	int v6 = strchr(host, ':') != NULL;
	char *s;

	if (pki_buf_printf(&b, err, "https://%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
		    port) != 0) {
		pki_buf_free(&b);
		return -1;
	}
	s = pki_strndup((const char *)b.data, b.len, err);
	pki_buf_free(&b);
	if (s == NULL)
		return -1;
	*out = s;
	return 0;
}

/* ---- reading the YAML ---------------------------------------------------- */

/* What one parse needs to report errors. */
struct kctx {
	const char *where;
	struct pki_err *err;
};

static int
get_str(struct kctx *k, const struct pki_ynode *map, const char *key, const char **out,
	const struct pki_ynode **node)
{
	const struct pki_ynode *n = pki_ymap_get(map, key);

	if (pki_yget_str(map, key, 0, k->where, out, k->err) != 0)
		return -1;
	if (node != NULL)
		*node = n;
	return 0;
}

static int
get_map(struct kctx *k, const struct pki_ynode *map, const char *key,
	const struct pki_ynode **out)
{
	*out = NULL;
	if (map == NULL)
		return 0;
	return pki_yget_map(map, key, 0, k->where, out, k->err);
}

static int bad_value(struct kctx *k, const struct pki_ynode *n, enum pki_errcode code,
	const char *field, const char *value, const char *why);

static int
get_list(struct kctx *k, const struct pki_ynode *map, const char *key, const char *field,
	struct pki_names *out)
{
	const struct pki_ynode *seq = NULL;
	char canon[46];
	size_t i;

	if (map == NULL)
		return 0;
	if (pki_yget_seq(map, key, 0, k->where, &seq, k->err) != 0)
		return -1;
	if (seq == NULL)
		return 0;
	if (seq->n > MAX_CERT_SANS)
		return pki_err_set(k->err, PKI_E_LIMIT, "%s: line %u: %s: more than %d entries",
			k->where, seq->line, field, MAX_CERT_SANS);
	for (i = 0; i < seq->n; i++) {
		const struct pki_ynode *it = seq->items[i];

		if (it->type != PKI_Y_SCALAR)
			return pki_err_set(k->err, PKI_E_PARSE,
				"%s: line %u: %s: entries must be values", k->where, it->line,
				field);
		if (!pki_text_is_clean(it->str, it->len, 0))
			return pki_err_set(k->err, PKI_E_PARSE,
				"%s: line %u: %s: an entry holds control characters or invalid UTF-8",
				k->where, it->line, field);
		/* kubeadm's ValidateCertSANs refuses the whole configuration */
		if (!pki_dns1123_subdomain(it->str, 0) && !pki_dns1123_subdomain(it->str, 1) &&
		    pki_ip_canonical(it->str, canon) != 0)
			return bad_value(k, it, PKI_E_INVALID, field, it->str,
				"is not an IP address, an RFC 1123 subdomain or a wildcard subdomain");
		if (pki_names_add(out, it->str, k->err) != 0)
			return -1;
	}
	return 0;
}

static int
bad_value(struct kctx *k, const struct pki_ynode *n, enum pki_errcode code, const char *field,
	const char *value, const char *why)
{
	char clean[160];

	pki_text_sanitize(value, clean, sizeof(clean));
	return pki_err_set(k->err, code, "%s: line %u: %s: '%s' %s", k->where,
		n ? n->line : 0, field, clean, why);
}

/* bindPort: a plain integer 0..65535; 0 keeps kubeadm's default */
static int
get_port(struct kctx *k, const struct pki_ynode *map, const char *field, unsigned *port)
{
	const struct pki_ynode *n = pki_ymap_get(map, "bindPort");
	uint64_t v;

	if (n == NULL || pki_ynode_is_null(n))
		return 0;
	if (n->type != PKI_Y_SCALAR || !n->plain || pki_parse_u64(n->str, 0, 65535, &v) != 0)
		return bad_value(k, n, PKI_E_INVALID, field, n->str ? n->str : "",
			"is not a port number from 1 to 65535");
	if (v != 0)
		*port = (unsigned)v;
	return 0;
}

static int
set_node_name(struct kctx *k, struct pki_kubeadm *cfg, const struct pki_ynode *doc)
{
	const struct pki_ynode *nr = NULL, *n = NULL;
	const char *name = NULL;
	size_t b, e, i;
	char *s;

	if (get_map(k, doc, "nodeRegistration", &nr) != 0 ||
	    get_str(k, nr, "name", &name, &n) != 0)
		return -1;
	if (name == NULL || *name == '\0')
		return 0;
	/* GetHostname: trimmed and lower-cased before validation */
	for (b = 0; name[b] == ' '; b++)
		;
	for (e = strlen(name); e > b && name[e - 1] == ' '; e--)
		;
	s = pki_strndup(name + b, e - b, k->err);
	if (s == NULL)
		return -1;
	for (i = 0; s[i] != '\0'; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	if (!pki_dns1123_subdomain(s, 0)) {
		free(s);
		return bad_value(k, n, PKI_E_INVALID, "nodeRegistration.name", name,
			"is not a valid RFC 1123 subdomain");
	}
	free(cfg->node_name);
	cfg->node_name = s;
	return 0;
}

static int
set_endpoint(struct kctx *k, struct pki_kubeadm *cfg, const struct pki_ynode *ep,
	const char *field)
{
	const struct pki_ynode *n = NULL;
	const char *addr = NULL;
	char fname[96], canon[46];

	if (ep == NULL)
		return 0;
	if (snprintf(fname, sizeof(fname), "%s.advertiseAddress", field) >= (int)sizeof(fname))
		return pki_err_set(k->err, PKI_E_USAGE, "field name too long");
	if (get_str(k, ep, "advertiseAddress", &addr, &n) != 0)
		return -1;
	if (addr != NULL && *addr != '\0') {
		if (pki_ip_canonical(addr, canon) != 0)
			return bad_value(k, n, PKI_E_INVALID, fname, addr,
				"is not a valid IP address");
		/* the unspecified address asks kubeadm to detect one: no value here */
		if (strcmp(canon, "0.0.0.0") != 0 && strcmp(canon, "::") != 0)
			memcpy(cfg->advertise, canon, sizeof(canon));
	}
	if (snprintf(fname, sizeof(fname), "%s.bindPort", field) >= (int)sizeof(fname))
		return pki_err_set(k->err, PKI_E_USAGE, "field name too long");
	return get_port(k, ep, fname, &cfg->bind_port);
}

/* kubeadm's ParseHostPort: net.SplitHostPort, else the whole value is the host */
static int
set_cpe(struct kctx *k, struct pki_kubeadm *cfg, const struct pki_ynode *n, const char *v)
{
	char *host = NULL, canon[46];
	const char *port = NULL, *colon, *hstart = NULL;
	size_t hlen = 0;
	uint64_t pv;
	int ret = -1;

	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		if (close != NULL && close[1] == ':' && strchr(close + 2, ':') == NULL &&
		    memchr(v + 1, '[', (size_t)(close - v - 1)) == NULL) {
			hlen = (size_t)(close - v - 1);
			hstart = v + 1;
			port = close + 2;
		}
	} else if ((colon = strrchr(v, ':')) != NULL && memchr(v, ':', (size_t)(colon - v)) == NULL) {
		hlen = (size_t)(colon - v);
		hstart = v;
		port = colon + 1;
	}
	/* when SplitHostPort fails the whole value is the host */
	host = hstart != NULL ? pki_strndup(hstart, hlen, k->err) : pki_strdup(v, k->err);
	if (host == NULL)
		goto out;
	if (port != NULL && *port != '\0') {
		if (pki_parse_u64(port, 1, 65535, &pv) != 0) {
			bad_value(k, n, PKI_E_INVALID, "controlPlaneEndpoint", v,
				"has a port that is not a number from 1 to 65535");
			goto out;
		}
		cfg->cpe_port = (unsigned)pv;
	}
	if (pki_ip_canonical(host, canon) == 0) {
		free(host);
		host = pki_strdup(canon, k->err);
		if (host == NULL)
			goto out;
	} else if (!pki_dns1123_subdomain(host, 0)) {
		bad_value(k, n, PKI_E_INVALID, "controlPlaneEndpoint", v,
			"is not an IP address or RFC 1123 subdomain with an optional :port");
		goto out;
	}
	free(cfg->cpe_host);
	cfg->cpe_host = host;
	host = NULL;
	ret = 0;
out:
	free(host);
	return ret;
}

/* Parses "addr/prefix" strictly; writes the network address into net. */
static int
parse_cidr(const char *s, int *family, unsigned char net[16], unsigned *prefix)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t alen;
	uint64_t p;
	unsigned i, bits;

	if (slash == NULL || (alen = (size_t)(slash - s)) == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	memset(net, 0, 16);
	if (inet_pton(AF_INET, addr, net) == 1) {
		*family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, addr, net) == 1) {
		*family = AF_INET6;
		bits = 128;
	} else {
		return -1;
	}
	if (pki_parse_u64(slash + 1, 0, bits, &p) != 0)
		return -1;
	*prefix = (unsigned)p;
	for (i = 0; i < bits; i++)
		if (i >= *prefix)
			net[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
	return 0;
}

static int
set_service_subnet(struct kctx *k, struct pki_kubeadm *cfg, const struct pki_ynode *n,
	const char *v)
{
	const char *p = v;
	size_t count = 0;
	char one[128];

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		unsigned char net[16];
		unsigned prefix, bits;
		int family, i;

		if (++count > MAX_SUBNETS)
			return pki_err_set(k->err, PKI_E_LIMIT,
				"%s: line %u: networking.serviceSubnet: more than %d subnets",
				k->where, n ? n->line : 0, MAX_SUBNETS);
		if (len >= sizeof(one))
			len = sizeof(one) - 1; /* too long to be a CIDR; quoted truncated */
		memcpy(one, p, len);
		one[len] = '\0';
		if (parse_cidr(one, &family, net, &prefix) != 0)
			return bad_value(k, n, PKI_E_INVALID, "networking.serviceSubnet", one,
				"is not a valid CIDR");
		bits = family == AF_INET ? 32 : 128;
		if (count == 1) {
			/* GetIndexedIP(first subnet, 1) must stay inside the subnet */
			if (prefix >= bits)
				return bad_value(k, n, PKI_E_INVALID, "networking.serviceSubnet",
					one, "is too small to hold the API server's service address");
			for (i = (int)bits / 8 - 1; i >= 0; i--)
				if (++net[i] != 0)
					break;
			if (inet_ntop(family, net, cfg->service_vip, sizeof(cfg->service_vip)) ==
			    NULL)
				return pki_err_set(k->err, PKI_E_INVALID, "%s: service address",
					k->where);
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	free(cfg->service_subnet);
	cfg->service_subnet = pki_strdup(v, k->err);
	return cfg->service_subnet ? 0 : -1;
}

/* a Go duration with units h, m, s ("8760h0m0s"), positive */
static int
get_validity(struct kctx *k, const struct pki_ynode *cc, const char *key, int64_t *out)
{
	const struct pki_ynode *n = NULL;
	const char *v = NULL;
	struct pki_err tmp;
	int64_t secs;

	if (get_str(k, cc, key, &v, &n) != 0)
		return -1;
	if (v == NULL || *v == '\0')
		return 0;
	pki_err_clear(&tmp);
	if (strspn(v, "0123456789hms") != strlen(v) ||
	    pki_duration_parse(v, key, &secs, &tmp) != 0 || secs <= 0)
		return bad_value(k, n, PKI_E_INVALID, key, v,
			"is not a positive duration such as 8760h0m0s");
	*out = secs;
	return 0;
}

static const struct {
	const char *name;
	enum pki_key_type type;
} key_types[] = {
	{ "RSA-2048", PKI_KEY_RSA2048 },
	{ "RSA-3072", PKI_KEY_RSA3072 },
	{ "RSA-4096", PKI_KEY_RSA4096 },
	{ "ECDSA-P256", PKI_KEY_ECDSA_P256 },
	{ "ECDSA-P384", PKI_KEY_ECDSA_P384 },
};

static int
get_key_type(struct kctx *k, struct pki_kubeadm *cfg, const struct pki_ynode *cc, int v1beta4)
{
	const struct pki_ynode *n = NULL;
	const char *v = NULL;
	size_t i;

	if (get_str(k, cc, "encryptionAlgorithm", &v, &n) != 0)
		return -1;
	if (v == NULL && !v1beta4) {
		/* before v1beta4 the PublicKeysECDSA feature gate meant ECDSA P-256 */
		const struct pki_ynode *gates = NULL;
		int ecdsa = 0;

		if (get_map(k, cc, "featureGates", &gates) != 0 ||
		    (gates != NULL && pki_yget_bool(gates, "PublicKeysECDSA", 0, k->where, &ecdsa,
					      k->err) != 0))
			return -1;
		if (ecdsa)
			cfg->key_type = PKI_KEY_ECDSA_P256;
		return 0;
	}
	if (v == NULL)
		return 0;
	if (!v1beta4)
		return pki_err_set(k->err, PKI_E_INVALID,
			"%s: line %u: encryptionAlgorithm needs apiVersion %sv1beta4", k->where,
			n->line, KUBEADM_GROUP);
	if (*v == '\0')
		return 0;
	for (i = 0; i < PKI_ARRAY_LEN(key_types); i++) {
		if (strcmp(v, key_types[i].name) == 0) {
			cfg->key_type = key_types[i].type;
			return 0;
		}
	}
	return bad_value(k, n, PKI_E_INVALID, "encryptionAlgorithm", v,
		"is not one of RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384");
}

static int
read_cluster(struct kctx *k, struct pki_kubeadm *cfg, const struct pki_ynode *cc, int v1beta4)
{
	const struct pki_ynode *net = NULL, *api = NULL, *etcd = NULL, *local = NULL, *n = NULL;
	const char *v;

	if (cc == NULL)
		return 0;
	v = NULL;
	if (get_str(k, cc, "controlPlaneEndpoint", &v, &n) != 0)
		return -1;
	if (v != NULL && *v != '\0' && set_cpe(k, cfg, n, v) != 0)
		return -1;

	if (get_map(k, cc, "networking", &net) != 0)
		return -1;
	v = NULL;
	if (get_str(k, net, "serviceSubnet", &v, &n) != 0)
		return -1;
	if (v != NULL && *v != '\0' && set_service_subnet(k, cfg, n, v) != 0)
		return -1;
	v = NULL;
	if (get_str(k, net, "dnsDomain", &v, &n) != 0)
		return -1;
	if (v != NULL && *v != '\0') {
		if (!pki_dns1123_subdomain(v, 0))
			return bad_value(k, n, PKI_E_INVALID, "networking.dnsDomain", v,
				"is not a valid RFC 1123 subdomain");
		free(cfg->dns_domain);
		if ((cfg->dns_domain = pki_strdup(v, k->err)) == NULL)
			return -1;
	}

	if (get_map(k, cc, "apiServer", &api) != 0 ||
	    get_list(k, api, "certSANs", "apiServer.certSANs", &cfg->apiserver_sans) != 0)
		return -1;
	if (get_map(k, cc, "etcd", &etcd) != 0 || get_map(k, etcd, "local", &local) != 0 ||
	    get_list(k, local, "serverCertSANs", "etcd.local.serverCertSANs",
		    &cfg->etcd_server_sans) != 0 ||
	    get_list(k, local, "peerCertSANs", "etcd.local.peerCertSANs",
		    &cfg->etcd_peer_sans) != 0)
		return -1;
	n = pki_ymap_get(etcd, "external");
	if (n != NULL && !pki_ynode_is_null(n)) {
		if (n->type != PKI_Y_MAP)
			return pki_err_set(k->err, PKI_E_PARSE,
				"%s: line %u: etcd.external must be a mapping", k->where, n->line);
		if (local != NULL)
			return pki_err_set(k->err, PKI_E_INVALID,
				"%s: line %u: etcd: 'local' and 'external' are mutually exclusive",
				k->where, etcd->line);
		cfg->external_etcd = 1;
	}

	v = NULL;
	if (get_str(k, cc, "clusterName", &v, NULL) != 0)
		return -1;
	if (v != NULL && *v != '\0') {
		free(cfg->cluster_name);
		if ((cfg->cluster_name = pki_strdup(v, k->err)) == NULL)
			return -1;
	}
	v = NULL;
	if (get_str(k, cc, "certificatesDir", &v, NULL) != 0)
		return -1;
	if (v != NULL && *v != '\0') {
		free(cfg->cert_dir);
		if ((cfg->cert_dir = pki_strdup(v, k->err)) == NULL)
			return -1;
	}

	if (get_key_type(k, cfg, cc, v1beta4) != 0)
		return -1;
	if (!v1beta4) {
		static const char *const newer[] = { "certificateValidityPeriod",
			"caCertificateValidityPeriod" };
		size_t i;

		for (i = 0; i < PKI_ARRAY_LEN(newer); i++)
			if ((n = pki_ymap_get(cc, newer[i])) != NULL)
				return pki_err_set(k->err, PKI_E_INVALID,
					"%s: line %u: %s needs apiVersion %sv1beta4", k->where,
					n->line, newer[i], KUBEADM_GROUP);
		return 0;
	}
	if (get_validity(k, cc, "certificateValidityPeriod", &cfg->cert_validity) != 0 ||
	    get_validity(k, cc, "caCertificateValidityPeriod", &cfg->ca_validity) != 0)
		return -1;
	return 0;
}

static int
read_init(struct kctx *k, struct pki_kubeadm *cfg, const struct pki_ynode *doc)
{
	const struct pki_ynode *ep = NULL;

	if (set_node_name(k, cfg, doc) != 0 || get_map(k, doc, "localAPIEndpoint", &ep) != 0)
		return -1;
	return set_endpoint(k, cfg, ep, "localAPIEndpoint");
}

static int
read_join(struct kctx *k, struct pki_kubeadm *cfg, const struct pki_ynode *doc)
{
	const struct pki_ynode *cp = NULL, *ep = NULL;

	if (set_node_name(k, cfg, doc) != 0 || get_map(k, doc, "controlPlane", &cp) != 0 ||
	    get_map(k, cp, "localAPIEndpoint", &ep) != 0)
		return -1;
	return set_endpoint(k, cfg, ep, "controlPlane.localAPIEndpoint");
}

/* ---- construction -------------------------------------------------------- */

static struct pki_kubeadm *
kubeadm_new(const char *where, struct pki_err *err)
{
	struct pki_kubeadm *cfg = pki_calloc(1, sizeof(*cfg), err);

	if (cfg == NULL)
		return NULL;
	(void)snprintf(cfg->where, sizeof(cfg->where), "%s", where);
	(void)snprintf(cfg->api_version, sizeof(cfg->api_version), "%s", DEFAULT_API_VERSION);
	cfg->bind_port = DEFAULT_BIND_PORT;
	cfg->key_type = PKI_KEY_RSA2048;
	cfg->cert_validity = DEFAULT_CERT_VALID;
	cfg->ca_validity = DEFAULT_CA_VALID;
	(void)snprintf(cfg->service_vip, sizeof(cfg->service_vip), "10.96.0.1");
	if ((cfg->node_name = pki_strdup("", err)) == NULL ||
	    (cfg->cpe_host = pki_strdup("", err)) == NULL ||
	    (cfg->service_subnet = pki_strdup(DEFAULT_SUBNET, err)) == NULL ||
	    (cfg->dns_domain = pki_strdup(DEFAULT_DNS_DOMAIN, err)) == NULL ||
	    (cfg->cluster_name = pki_strdup(DEFAULT_CLUSTER_NAME, err)) == NULL ||
	    (cfg->cert_dir = pki_strdup(DEFAULT_CERT_DIR, err)) == NULL) {
		pki_kubeadm_free(cfg);
		return NULL;
	}
	return cfg;
}

void
pki_kubeadm_free(struct pki_kubeadm *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->node_name);
	free(cfg->cpe_host);
	free(cfg->service_subnet);
	free(cfg->dns_domain);
	free(cfg->cluster_name);
	free(cfg->cert_dir);
	pki_names_free(&cfg->apiserver_sans);
	pki_names_free(&cfg->etcd_server_sans);
	pki_names_free(&cfg->etcd_peer_sans);
	free(cfg);
}

int
pki_kubeadm_defaults(struct pki_kubeadm **out, struct pki_err *err)
{
	*out = kubeadm_new("kubeadm defaults", err);
	return *out != NULL ? 0 : -1;
}

enum { DOC_INIT, DOC_CLUSTER, DOC_JOIN, DOC_KINDS };
static const char *const doc_kinds[DOC_KINDS] = { "InitConfiguration",
	"ClusterConfiguration", "JoinConfiguration" };
static const char *const api_versions[] = { "v1beta2", "v1beta3", "v1beta4" };

static int
doc_field(struct kctx *k, const struct pki_ynode *doc, const char *key, const char **out)
{
	const struct pki_ynode *n = pki_ymap_get(doc, key);

	if (n == NULL || pki_ynode_is_null(n))
		return pki_err_set(k->err, PKI_E_PARSE, "%s: line %u: a document without '%s'",
			k->where, doc->line, key);
	return pki_yget_str(doc, key, 1, k->where, out, k->err);
}

int
pki_kubeadm_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_kubeadm **out, struct pki_err *err)
{
	struct pki_kubeadm *cfg = NULL;
	struct pki_ynode **docs = NULL;
	const struct pki_ynode *found[DOC_KINDS] = { NULL, NULL, NULL };
	const char *version = NULL;
	char clean[200], where[MAX_WHERE];
	struct kctx k;
	size_t ndocs = 0, i, j;
	int ret = -1;

	*out = NULL;
	pki_text_sanitize(name, clean, sizeof(clean));
	(void)snprintf(where, sizeof(where), "kubeadm config '%s'", clean);
	k.where = where;
	k.err = err;
	if (len > PKI_CAP_YAML) {
		pki_err_set(err, PKI_E_LIMIT, "%s: larger than %u bytes", where, PKI_CAP_YAML);
		goto out;
	}
	if (pki_yaml_parse(data, len, where, &kubeadm_ylimits, &docs, &ndocs, err) != 0)
		goto out;
	for (i = 0; i < ndocs; i++) {
		const struct pki_ynode *doc = docs[i];
		const char *api = NULL, *kind = NULL, *ver;

		if (pki_ynode_is_null(doc))
			continue; /* an empty document, as between two "---" */
		if (doc->type != PKI_Y_MAP) {
			pki_err_set(err, PKI_E_PARSE, "%s: line %u: a document must be a mapping",
				where, doc->line);
			goto out;
		}
		if (doc_field(&k, doc, "apiVersion", &api) != 0 ||
		    doc_field(&k, doc, "kind", &kind) != 0)
			goto out;
		if (strncmp(api, KUBEADM_GROUP, strlen(KUBEADM_GROUP)) != 0)
			continue; /* KubeletConfiguration, KubeProxyConfiguration, ... */
		ver = api + strlen(KUBEADM_GROUP);
		for (j = 0; j < PKI_ARRAY_LEN(api_versions); j++)
			if (strcmp(ver, api_versions[j]) == 0)
				break;
		if (j == PKI_ARRAY_LEN(api_versions)) {
			pki_text_sanitize(api, clean, sizeof(clean));
			pki_err_set(err, PKI_E_INVALID,
				"%s: line %u: apiVersion '%s' is not supported (use %sv1beta2, v1beta3 or v1beta4)",
				where, pki_ymap_get(doc, "apiVersion")->line, clean, KUBEADM_GROUP);
			goto out;
		}
		for (j = 0; j < DOC_KINDS; j++)
			if (strcmp(kind, doc_kinds[j]) == 0)
				break;
		if (j == DOC_KINDS)
			continue; /* UpgradeConfiguration, ResetConfiguration, ... */
		if (found[j] != NULL) {
			pki_err_set(err, PKI_E_INVALID,
				"%s: line %u: a second %s (the first is at line %u)", where,
				doc->line, doc_kinds[j], found[j]->line);
			goto out;
		}
		if (version != NULL && strcmp(version, api) != 0) {
			pki_text_sanitize(api, clean, sizeof(clean));
			pki_err_set(err, PKI_E_INVALID,
				"%s: line %u: apiVersion '%s' differs from '%s' of an earlier document",
				where, doc->line, clean, version);
			goto out;
		}
		version = api;
		found[j] = doc;
	}
	if (version == NULL) {
		pki_err_set(err, PKI_E_INVALID,
			"%s: no InitConfiguration, ClusterConfiguration or JoinConfiguration", where);
		goto out;
	}
	if ((cfg = kubeadm_new(where, err)) == NULL)
		goto out;
	(void)snprintf(cfg->api_version, sizeof(cfg->api_version), "%s", version);
	if (read_cluster(&k, cfg, found[DOC_CLUSTER], strcmp(version, DEFAULT_API_VERSION) == 0) !=
	    0)
		goto out;
	cfg->has_cluster = found[DOC_CLUSTER] != NULL;
	cfg->has_init = found[DOC_INIT] != NULL;
	/* kubeadm init reads InitConfiguration; a JoinConfiguration beside it is ignored */
	if (found[DOC_INIT] != NULL) {
		if (read_init(&k, cfg, found[DOC_INIT]) != 0)
			goto out;
	} else if (found[DOC_JOIN] != NULL) {
		if (read_join(&k, cfg, found[DOC_JOIN]) != 0)
			goto out;
	}
	*out = cfg;
	cfg = NULL; /* transferred */
	ret = 0;
out:
	pki_kubeadm_free(cfg);
	pki_ydocs_free(docs, ndocs);
	return ret;
}

int
pki_kubeadm_load(const char *path, struct pki_kubeadm **out, struct pki_err *err)
{
	struct pki_buf buf = { 0 };
	int ret;

	*out = NULL;
	if (pki_file_read(path, "kubeadm config", PKI_CAP_YAML, PKI_READ_STDIN, &buf, err) != 0)
		return -1;
	ret = pki_kubeadm_parse(buf.data, buf.len, path, out, err);
	pki_buf_free(&buf);
	return ret;
}

/* ---- accessors ----------------------------------------------------------- */

const char *pki_kubeadm_api_version(const struct pki_kubeadm *cfg) { return cfg->api_version; }
const char *pki_kubeadm_node_name(const struct pki_kubeadm *cfg) { return cfg->node_name; }
const char *pki_kubeadm_advertise_address(const struct pki_kubeadm *cfg) { return cfg->advertise; }
unsigned pki_kubeadm_bind_port(const struct pki_kubeadm *cfg) { return cfg->bind_port; }
const char *pki_kubeadm_cpe_host(const struct pki_kubeadm *cfg) { return cfg->cpe_host; }
const char *pki_kubeadm_service_subnet(const struct pki_kubeadm *cfg) { return cfg->service_subnet; }
const char *pki_kubeadm_service_vip(const struct pki_kubeadm *cfg) { return cfg->service_vip; }
const char *pki_kubeadm_dns_domain(const struct pki_kubeadm *cfg) { return cfg->dns_domain; }
const char *pki_kubeadm_cluster_name(const struct pki_kubeadm *cfg) { return cfg->cluster_name; }
const char *pki_kubeadm_certificates_dir(const struct pki_kubeadm *cfg) { return cfg->cert_dir; }
int pki_kubeadm_external_etcd(const struct pki_kubeadm *cfg) { return cfg->external_etcd; }
enum pki_key_type pki_kubeadm_key_type(const struct pki_kubeadm *cfg) { return cfg->key_type; }
int64_t pki_kubeadm_cert_validity(const struct pki_kubeadm *cfg) { return cfg->cert_validity; }
int64_t pki_kubeadm_ca_validity(const struct pki_kubeadm *cfg) { return cfg->ca_validity; }

unsigned
pki_kubeadm_cpe_port(const struct pki_kubeadm *cfg)
{
	return cfg->cpe_port != 0 ? cfg->cpe_port : cfg->bind_port;
}

const struct pki_names *
pki_kubeadm_apiserver_cert_sans(const struct pki_kubeadm *cfg)
{
	return &cfg->apiserver_sans;
}

const struct pki_names *
pki_kubeadm_etcd_server_cert_sans(const struct pki_kubeadm *cfg)
{
	return &cfg->etcd_server_sans;
}

const struct pki_names *
pki_kubeadm_etcd_peer_cert_sans(const struct pki_kubeadm *cfg)
{
	return &cfg->etcd_peer_sans;
}

int
pki_kubeadm_has_cluster_configuration(const struct pki_kubeadm *cfg)
{
	return cfg->has_cluster;
}

int
pki_kubeadm_has_init_configuration(const struct pki_kubeadm *cfg)
{
	return cfg->has_init;
}

int
pki_kubeadm_require_cluster(const struct pki_kubeadm *cfg, struct pki_err *err)
{
	if (cfg->has_cluster)
		return 0;
	return pki_err_set(err, PKI_E_INVALID,
		"%s: no ClusterConfiguration: a node joining a cluster needs the cluster's "
		"settings; append them (kubectl -n kube-system get cm kubeadm-config "
		"-o jsonpath='{.data.ClusterConfiguration}') as a second document", cfg->where);
}

int
pki_kubeadm_local_url(const struct pki_kubeadm *cfg, char **out, struct pki_err *err)
{
	*out = NULL;
	if (cfg->advertise[0] == '\0')
		return pki_err_set(err, PKI_E_INVALID,
			"%s: the local API endpoint needs localAPIEndpoint.advertiseAddress",
			cfg->where);
	return https_url(cfg->advertise, cfg->bind_port, out, err);
}

int
pki_kubeadm_cpe_url(const struct pki_kubeadm *cfg, char **out, struct pki_err *err)
{
	*out = NULL;
	if (cfg->cpe_host[0] == '\0')
		return pki_kubeadm_local_url(cfg, out, err);
	return https_url(cfg->cpe_host, pki_kubeadm_cpe_port(cfg), out, err);
}

int
pki_kubeadm_var(const struct pki_kubeadm *cfg, const char *var, struct pki_names *out,
	struct pki_err *err)
{
	const char *scalar = NULL;
	const struct pki_names *list = NULL;
	size_t i;

	if (strcmp(var, "nodeName") == 0)
		scalar = cfg->node_name;
	else if (strcmp(var, "advertiseAddress") == 0)
		scalar = cfg->advertise;
	else if (strcmp(var, "serviceVIP") == 0)
		scalar = cfg->service_vip;
	else if (strcmp(var, "dnsDomain") == 0)
		scalar = cfg->dns_domain;
	else if (strcmp(var, "clusterName") == 0)
		scalar = cfg->cluster_name;
	else if (strcmp(var, "controlPlaneEndpointHost") == 0)
		scalar = cfg->cpe_host;
	else if (strcmp(var, "apiServer.certSANs") == 0)
		list = &cfg->apiserver_sans;
	else if (strcmp(var, "etcd.serverCertSANs") == 0)
		list = &cfg->etcd_server_sans;
	else if (strcmp(var, "etcd.peerCertSANs") == 0)
		list = &cfg->etcd_peer_sans;
	else {
		char clean[80];

		pki_text_sanitize(var, clean, sizeof(clean));
		return pki_err_set(err, PKI_E_NOTFOUND, "unknown variable '${%s}'", clean);
	}
	if (scalar != NULL)
		return scalar[0] != '\0' ? pki_names_add(out, scalar, err) : 0;
	for (i = 0; i < list->n; i++)
		if (pki_names_add(out, list->v[i], err) != 0)
			return -1;
	return 0;
}
