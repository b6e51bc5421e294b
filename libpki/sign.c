/*
 * sign.c — holding a CSR against its profile and the CA-side policy, and
 * issuing the certificate.
 *
 * The check reads the request as hostile: its SANs and subject values are
 * taken raw from GnuTLS, so that a NUL or a control byte is seen as such
 * and never mistaken for the escaped text pki_x509info shows. The
 * certificate is built from the profile and the policy alone; from the CSR
 * come only its public key and its checked DNS and IP SANs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include <pki/kubeadm.h>
#include <pki/sign.h>

#include "internal.h"

#define SIGN_MAX_SANS	 256	/* a sane request has a handful */
#define SIGN_MAX_ATTRS	 1024	/* subject attributes looked at */
#define SIGN_MAX_VALUE	 16384	/* one subject value, as cert.c reads it */
#define SIGN_MIN_RSA	 2048
#define SIGN_MAX_RSA	 8192
#define SIGN_BACKDATE	 300	/* notBefore = now - 5 min, as kubeadm */
#define SIGN_MAX_SERIAL	 20	/* octets, RFC 5280 4.1.2.2 */
#define SIGN_QUOTE	 160	/* room for a hostile value in a message */

/* a node name no configuration has, to see where a profile puts the node */
#define SIGN_NODE_PROBE	 "kpki-node-probe-5f1c"

#define OID_SAN		 "2.5.29.17"
#define OID_BC		 "2.5.29.19"

/* ---- the check ------------------------------------------------------------ */

struct chk {
	const struct pki_profile *p;
	const struct pki_policy *pol;
	const char *node;		/* "" when the bundle names none */
	struct pki_names *refusals;
	struct pki_names *notes;
	struct pki_err *err;
};

static int add_line(struct pki_names *to, struct pki_err *err, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static int
add_line(struct pki_names *to, struct pki_err *err, const char *fmt, va_list ap)
{
	char line[PKI_ERR_MSG_MAX];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return pki_err_set(err, PKI_E_INVALID, "cannot format a message");
	/* values are quoted at SIGN_QUOTE bytes, so a cut line is only long */
	return pki_names_add(to, line, err);
}

static int refuse(struct chk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note(struct chk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
refuse(struct chk *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = add_line(c->refusals, c->err, fmt, ap);
	va_end(ap);
	return r;
}

static int
note(struct chk *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = add_line(c->notes, c->err, fmt, ap);
	va_end(ap);
	return r;
}

/* Hostile bytes (NUL included) as a value to quote, escaped as
 * pki_text_sanitize() escapes text, and cut with "..." to fit. */
static void
quote(const void *data, size_t len, char out[SIGN_QUOTE])
{
	const unsigned char *p = data;
	size_t i, o = 0, tl;
	char tmp[5];

	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '\\' || p[i] == '\'') {
			(void)snprintf(tmp, sizeof(tmp), "\\x%02x", p[i]);
			tl = 4;
		} else {
			tmp[0] = (char)p[i];
			tl = 1;
		}
		if (o + tl + 4 > SIGN_QUOTE) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, tmp, tl);
		o += tl;
	}
	out[o] = '\0';
}

static int
check_key(struct chk *c, const struct pki_csr *csr)
{
	struct pki_keyinfo ki;

	pki_csr_keyinfo(csr, &ki);
	if (strcmp(ki.algo, "RSA") == 0) {
		if (ki.bits < SIGN_MIN_RSA)
			return refuse(c, "key: RSA of %u bits is too weak (at least %d bits)",
				ki.bits, SIGN_MIN_RSA);
		if (ki.bits > SIGN_MAX_RSA)
			return refuse(c, "key: RSA of %u bits is larger than %d bits", ki.bits,
				SIGN_MAX_RSA);
		return 0;
	}
	if (strcmp(ki.algo, "ECDSA") == 0) {
		if (strcmp(ki.curve, "P-256") != 0 && strcmp(ki.curve, "P-384") != 0)
			return refuse(c, "key: ECDSA on curve %s is not allowed (P-256 or P-384)",
				ki.curve);
		return 0;
	}
	if (strcmp(ki.algo, "Ed25519") == 0) {
		if (!pki_profile_allows_ed25519(c->p))
			return refuse(c, "key: Ed25519 is not allowed by profile '%s'",
				pki_profile_name(c->p));
		return 0;
	}
	return refuse(c,
		"key: %s keys are not allowed (RSA of %d bits or more, ECDSA P-256 or P-384)",
		ki.algo, SIGN_MIN_RSA);
}

/*
 * The subject the profile gives for this node: its templates with
 * ${nodeName} replaced. Any other variable needs a kubeadm configuration
 * the CA does not have: an error in the profile set, not in the request.
 * *uses_node says whether a template names the node.
 */
static int
expand_node(const struct pki_profile *p, const char *tmpl, const char *field,
	const char *node, struct pki_names *out, int *uses_node, struct pki_err *err)
{
	static const char var[] = "${nodeName}";
	struct pki_buf b = { 0 };
	const char *s, *hit;
	int ret = -1;

	for (s = tmpl; (hit = strstr(s, "${")) != NULL; s = hit + 2)
		if (strncmp(hit, var, sizeof(var) - 1) != 0)
			return pki_err_set(err, PKI_E_INVALID,
				"profile '%s': subject %s '%s' uses a variable other than "
				"${nodeName}, which the CA cannot know",
				pki_profile_name(p), field, tmpl);
	for (s = tmpl; (hit = strstr(s, var)) != NULL; s = hit + sizeof(var) - 1) {
		*uses_node = 1;
		if (pki_buf_append(&b, s, (size_t)(hit - s), err) != 0 ||
		    pki_buf_append(&b, node, strlen(node), err) != 0)
			goto out;
	}
	if (pki_buf_append(&b, s, strlen(s) + 1, err) != 0)
		goto out;
	ret = pki_names_add(out, (const char *)b.data, err);
out:
	pki_buf_free(&b);
	return ret;
}

static int
expected_subject(struct chk *c, char **cn, struct pki_names *org, int *uses_node)
{
	struct pki_names cnv = { 0 }, orgv = { 0 };
	char *tcn = NULL;
	size_t i;
	int ret = -1;

	*cn = NULL;
	*uses_node = 0;
	memset(org, 0, sizeof(*org));
	if (pki_profile_subject(c->p, NULL, &tcn, &orgv, c->err) != 0)
		goto out;
	if (expand_node(c->p, tcn, "cn", c->node, &cnv, uses_node, c->err) != 0)
		goto out;
	for (i = 0; i < orgv.n; i++)
		if (expand_node(c->p, orgv.v[i], "o", c->node, org, uses_node, c->err) != 0)
			goto out;
	*cn = cnv.v[0];
	cnv.v[0] = NULL; /* transferred */
	ret = 0;
out:
	if (ret != 0)
		pki_names_free(org);
	pki_names_free(&cnv);
	pki_names_free(&orgv);
	free(tcn);
	return ret;
}

/*
 * 1 in *out when the profile's SANs name the node (a source with
 * ${nodeName}): seen by expanding them for a configuration that sets
 * nothing but a node name no one has.
 */
static int
sans_name_node(const struct pki_profile *p, int *out, struct pki_err *err)
{
	static const char probe[] = "apiVersion: kubeadm.k8s.io/v1beta3\n"
				    "kind: InitConfiguration\n"
				    "nodeRegistration:\n"
				    "  name: " SIGN_NODE_PROBE "\n";
	struct pki_kubeadm *cfg = NULL;
	struct pki_names dns = { 0 }, ip = { 0 };
	size_t i;
	int ret = -1;

	*out = 0;
	if (!pki_profile_has_sans(p))
		return 0;
	if (pki_kubeadm_parse((const unsigned char *)probe, sizeof(probe) - 1, "node probe",
		    &cfg, err) != 0 ||
	    pki_profile_sans(p, cfg, &dns, &ip, err) != 0)
		goto out;
	for (i = 0; i < dns.n; i++)
		if (strstr(dns.v[i], SIGN_NODE_PROBE) != NULL)
			*out = 1;
	ret = 0;
out:
	pki_names_free(&dns);
	pki_names_free(&ip);
	pki_kubeadm_free(cfg);
	return ret;
}

/*
 * The node and the profile against the policy: the profile is one the
 * policy lists; a node is a lower-case RFC 1123 subdomain, a worker gets
 * only the profiles for workers, and a profile that names the node (in its
 * subject or its SANs) needs a node the policy lists exactly.
 */
static int
check_node(struct chk *c)
{
	const char *pn = pki_profile_name(c->p), *polname = pki_policy_name(c->pol);
	struct pki_names org = { 0 };
	char *cn = NULL, q[SIGN_QUOTE];
	int in_subject = 0, in_sans = 0, node_ok = 1, ret = -1;

	pki_text_sanitize(c->node, q, sizeof(q));
	if (!pki_policy_profile_allowed(c->pol, pn) &&
	    refuse(c, "profile '%s' is not allowed by policy '%s': list it under "
		    "'certificates:' to allow it", pn, polname) != 0)
		goto out;
	if (c->node[0] != '\0' && !pki_dns1123_subdomain(c->node, 0)) {
		node_ok = 0;
		if (refuse(c, "node '%s' is not a node name (a lower-case RFC 1123 subdomain)",
			    q) != 0)
			goto out;
	}
	if (pki_policy_node_is_worker(c->pol, c->node) &&
	    !(pki_profile_roles(c->p) & PKI_ROLE_WORKER) &&
	    refuse(c, "profile '%s' is not for workers, and policy '%s' lists node '%s' as a "
		      "worker",
		    pn, polname, q) != 0)
		goto out;
	if (expected_subject(c, &cn, &org, &in_subject) != 0 ||
	    sans_name_node(c->p, &in_sans, c->err) != 0)
		goto out;
	if (in_subject || in_sans) {
		if (c->node[0] == '\0') {
			if (refuse(c, "profile '%s' names the node in its %s, but no node is given",
				    pn, in_subject ? "subject" : "SANs") != 0)
				goto out;
		} else if (node_ok && !pki_policy_node_allowed(c->pol, c->node) &&
			   refuse(c, "node '%s' is not allowed by policy '%s'", q, polname) != 0) {
			goto out;
		}
	}
	ret = 0;
out:
	pki_names_free(&org);
	free(cn);
	return ret;
}

static const char *
attr_name(const char *oid)
{
	static const struct {
		const char *oid, *name;
	} names[] = {
		{ "2.5.4.3", "CN" },
		{ "2.5.4.5", "serialNumber" },
		{ "2.5.4.6", "C" },
		{ "2.5.4.7", "L" },
		{ "2.5.4.8", "ST" },
		{ "2.5.4.9", "street" },
		{ "2.5.4.10", "O" },
		{ "2.5.4.11", "OU" },
		{ "2.5.4.12", "title" },
		{ "2.5.4.46", "dnQualifier" },
		{ "1.2.840.113549.1.9.1", "emailAddress" },
		{ "0.9.2342.19200300.100.1.1", "UID" },
		{ "0.9.2342.19200300.100.1.25", "DC" },
	};
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(names); i++)
		if (strcmp(names[i].oid, oid) == 0)
			return names[i].name;
	return NULL;
}

/*
 * The string inside one attribute value as DER (GnuTLS's raw form, which
 * never turns a NUL or a control byte into "#0c.." hex): UTF8String,
 * PrintableString or IA5String. The name of the type when it is another
 * one (BMPString, TeletexString, ...), else NULL.
 */
static const char *
der_string(const unsigned char *der, size_t len, const unsigned char **s, size_t *n)
{
	unsigned tag;
	size_t hl, cl;

	*s = NULL;
	*n = 0;
	if (pki_der_tlv(der, len, &tag, &hl, &cl) != 0 || hl + cl != len)
		return "malformed value";
	switch (tag) {
	case 0x0c: /* UTF8String */
	case 0x13: /* PrintableString */
	case 0x16: /* IA5String */
		*s = der + hl;
		*n = cl;
		return NULL;
	case 0x1e: return "BMPString";
	case 0x1c: return "UniversalString";
	case 0x14: return "TeletexString";
	default: return "value of another type";
	}
}

/*
 * Each value of one subject attribute, read raw: clean text is added to
 * *vals, anything else refused naming why; *n counts the values.
 */
static int
check_attr_clean(struct chk *c, gnutls_x509_crq_t crq, const char *oid, const char *aname,
	unsigned char *buf, size_t *n, size_t *dirty, struct pki_names *vals)
{
	const unsigned char *v;
	const char *bad;
	char q[SIGN_QUOTE], *str;
	unsigned idx;
	size_t sz, vl;
	int r;

	*n = 0;
	*dirty = 0;
	for (idx = 0; idx < SIGN_MAX_ATTRS; idx++) {
		sz = SIGN_MAX_VALUE;
		r = gnutls_x509_crq_get_dn_by_oid(crq, oid, idx, 1, buf, &sz);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		(*n)++;
		if (r < 0) {
			(*dirty)++;
			if (refuse(c, "subject %s %u cannot be read", aname, idx + 1) != 0)
				return -1;
			continue;
		}
		bad = der_string(buf, sz, &v, &vl);
		if (bad != NULL) {
			(*dirty)++;
			if (refuse(c,
				    "subject %s is a %s (only UTF8String, PrintableString or "
				    "IA5String, RFC 5280 4.1.2.4)",
				    aname, bad) != 0)
				return -1;
			continue;
		}
		if (!pki_text_is_clean((const char *)v, vl, 0)) {
			(*dirty)++;
			quote(v, vl, q);
			if (refuse(c, "subject %s '%s' holds control characters or NUL", aname,
				    q) != 0)
				return -1;
			continue;
		}
		str = pki_strndup((const char *)v, vl, c->err);
		if (str == NULL)
			return -1;
		r = pki_names_add(vals, str, c->err);
		free(str);
		if (r != 0)
			return -1;
	}
	return 0;
}

static int
check_subject(struct chk *c, const struct pki_csr *csr)
{
	gnutls_x509_crq_t crq = pki_csr_gnutls(csr);
	struct pki_names seen = { 0 }, others = { 0 }, cns = { 0 }, orgs = { 0 };
	char *cn = NULL, q[SIGN_QUOTE], q2[SIGN_QUOTE], oid[128];
	unsigned char *buf = NULL;
	struct pki_names org = { 0 };
	const char *pn = pki_profile_name(c->p), *an;
	size_t i, ncn, dirty_cn, no, dirty_o;
	unsigned idx;
	int uses_node, ret = -1;

	buf = malloc(SIGN_MAX_VALUE + 1);
	if (buf == NULL) {
		pki_err_nomem(c->err);
		goto out;
	}
	if (expected_subject(c, &cn, &org, &uses_node) != 0)
		goto out;
	/* no node to expand: check_node() has said so */
	if (uses_node && c->node[0] == '\0') {
		ret = 0;
		goto out;
	}

	if (check_attr_clean(c, crq, GNUTLS_OID_X520_COMMON_NAME, "CN", buf, &ncn, &dirty_cn,
		    &cns) != 0 ||
	    check_attr_clean(c, crq, GNUTLS_OID_X520_ORGANIZATION_NAME, "O", buf, &no, &dirty_o,
		    &orgs) != 0)
		goto out;
	pki_text_sanitize(cn, q2, sizeof(q2));
	if (ncn == 0) {
		if (refuse(c, "subject has no CN (profile '%s' gives CN '%s')", pn, q2) != 0)
			goto out;
	} else if (ncn > 1) {
		if (refuse(c, "subject has %zu CNs (exactly one allowed)", ncn) != 0)
			goto out;
	} else if (dirty_cn == 0 && strcmp(cns.v[0], cn) != 0) {
		pki_text_sanitize(cns.v[0], q, sizeof(q));
		if (refuse(c, "subject CN '%s' is not '%s', the CN profile '%s' gives", q, q2,
			    pn) != 0)
			goto out;
	}

	/* the exact set of O values: none missing, none extra, none twice */
	if (dirty_o == 0) {
		for (i = 0; i < orgs.n; i++) {
			const char *v = orgs.v[i];

			pki_text_sanitize(v, q, sizeof(q));
			if (pki_names_contains(&seen, v)) {
				if (refuse(c, "subject O '%s' appears twice", q) != 0)
					goto out;
				continue;
			}
			if (pki_names_add(&seen, v, c->err) != 0)
				goto out;
			if (!pki_names_contains(&org, v) &&
			    refuse(c, "subject O '%s' is not one profile '%s' gives", q, pn) != 0)
				goto out;
		}
		for (i = 0; i < org.n; i++) {
			pki_text_sanitize(org.v[i], q, sizeof(q));
			if (!pki_names_contains(&orgs, org.v[i]) &&
			    refuse(c, "subject lacks O '%s', which profile '%s' gives", q, pn) != 0)
				goto out;
		}
	}

	/* nothing but CN and O (each other attribute named once) */
	for (idx = 0; idx < SIGN_MAX_ATTRS; idx++) {
		size_t sz = sizeof(oid);
		int r = gnutls_x509_crq_get_dn_oid(crq, idx, oid, &sz);

		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0 || !pki_text_is_clean(oid, strnlen(oid, sz), 0)) {
			if (refuse(c, "subject: an attribute cannot be read") != 0)
				goto out;
			break;
		}
		oid[strnlen(oid, sizeof(oid) - 1)] = '\0';
		if (strcmp(oid, GNUTLS_OID_X520_COMMON_NAME) == 0 ||
		    strcmp(oid, GNUTLS_OID_X520_ORGANIZATION_NAME) == 0 ||
		    pki_names_contains(&others, oid))
			continue;
		if (pki_names_add(&others, oid, c->err) != 0)
			goto out;
		an = attr_name(oid);
		if (refuse(c, "subject attribute %s%s%s%s is not allowed (only CN and O)",
			    an ? an : oid, an ? " (" : "", an ? oid : "", an ? ")" : "") != 0)
			goto out;
	}
	ret = 0;
out:
	pki_names_free(&seen);
	pki_names_free(&others);
	pki_names_free(&cns);
	pki_names_free(&orgs);
	pki_names_free(&org);
	free(cn);
	free(buf);
	return ret;
}

/*
 * The CSR's subjectAltName, decoded once (GnuTLS's per-index getter decodes
 * the whole extension on every call). *sans is NULL when there is none;
 * 1 when the extension cannot be read.
 */
static int
csr_sans(const struct pki_csr *csr, gnutls_subject_alt_names_t *sans, unsigned *count,
	struct pki_err *err)
{
	gnutls_datum_t ext = { NULL, 0 }, san = { NULL, 0 }, oid = { NULL, 0 };
	gnutls_subject_alt_names_t s = NULL;
	unsigned crit = 0, type, i;
	int r, ret = -1;

	*sans = NULL;
	*count = 0;
	r = gnutls_x509_crq_get_extension_by_oid2(pki_csr_gnutls(csr), OID_SAN, 0, &ext, &crit);
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return 0;
	if (r < 0)
		return 1;
	if (gnutls_subject_alt_names_init(&s) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	if (gnutls_x509_ext_import_subject_alt_names(&ext, s, 0) < 0) {
		ret = 1;
		goto out;
	}
	for (i = 0;; i++) {
		r = gnutls_subject_alt_names_get(s, i, &type, &san, &oid);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0) {
			ret = 1;
			goto out;
		}
	}
	*count = i;
	*sans = s;
	s = NULL; /* transferred */
	ret = 0;
out:
	if (s != NULL)
		gnutls_subject_alt_names_deinit(s);
	gnutls_free(ext.data);
	return ret;
}

static const char *
san_type_name(unsigned type)
{
	switch (type) {
	case GNUTLS_SAN_DNSNAME: return "DNS";
	case GNUTLS_SAN_IPADDRESS: return "IP";
	case GNUTLS_SAN_RFC822NAME: return "email";
	case GNUTLS_SAN_URI: return "URI";
	case GNUTLS_SAN_DN: return "directoryName";
	case GNUTLS_SAN_OTHERNAME: return "otherName";
	case GNUTLS_SAN_REGISTERED_ID: return "registeredID";
	default: return "unknown";
	}
}

/* A SAN's value as text for messages and the policy ("" for the kinds
 * that have none to show). */
static void
san_text(unsigned type, const gnutls_datum_t *san, const gnutls_datum_t *oid,
	char out[SIGN_QUOTE])
{
	char ip[INET6_ADDRSTRLEN];

	out[0] = '\0';
	switch (type) {
	case GNUTLS_SAN_IPADDRESS:
		if ((san->size == 4 || san->size == 16) &&
		    inet_ntop(san->size == 4 ? AF_INET : AF_INET6, san->data, ip, sizeof(ip)))
			(void)snprintf(out, SIGN_QUOTE, "%s", ip);
		break;
	case GNUTLS_SAN_OTHERNAME:
	case GNUTLS_SAN_REGISTERED_ID:
		if (type == GNUTLS_SAN_OTHERNAME)
			san = oid;
		/* fall through */
	case GNUTLS_SAN_DNSNAME:
	case GNUTLS_SAN_RFC822NAME:
	case GNUTLS_SAN_URI:
		if (san->data != NULL)
			quote(san->data, san->size, out);
		break;
	default:
		break;
	}
}

static int
dns_valid(const char *s)
{
	char lc[256];
	size_t i, n = strlen(s);

	if (n == 0 || n >= sizeof(lc))
		return 0;
	for (i = 0; i <= n; i++)
		lc[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	return pki_dns1123_subdomain(lc, 0) || pki_dns1123_subdomain(lc, 1);
}

static int
check_dns(struct chk *c, const gnutls_datum_t *san, const char *v)
{
	const char *polname = pki_policy_name(c->pol);
	char *name = NULL, q[SIGN_QUOTE];
	int ret;

	if (san->size == 0)
		return refuse(c, "DNS SAN '': empty (RFC 5280 4.2.1.6)");
	if (!pki_text_is_clean((const char *)san->data, san->size, 0))
		return refuse(c, "DNS SAN '%s' holds control characters or NUL", v);
	name = pki_strndup((const char *)san->data, san->size, c->err);
	if (name == NULL)
		return -1;
	if (pki_policy_dns_allowed(c->pol, name)) {
		ret = 0;
	} else if (name[0] == '*' && dns_valid(name)) {
		ret = refuse(c, "wildcard DNS SAN '%s' is not one policy '%s' lists", v, polname);
	} else if (!dns_valid(name)) {
		ret = refuse(c, "DNS SAN '%s' is not a valid DNS name (RFC 1123)", v);
	} else if (c->node[0] != '\0' && strcasecmp(name, c->node) == 0) {
		pki_text_sanitize(c->node, q, sizeof(q));
		ret = refuse(c,
			"DNS SAN '%s' is not allowed by policy '%s' (node '%s' is not one of "
			"its nodes)",
			v, polname, q);
	} else {
		ret = refuse(c, "DNS SAN '%s' is not allowed by policy '%s'", v, polname);
	}
	free(name);
	return ret;
}

static int
check_one_san(struct chk *c, unsigned type, const gnutls_datum_t *san,
	const gnutls_datum_t *oid)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const char *pn = pki_profile_name(c->p), *polname = pki_policy_name(c->pol);
	const char *tn = san_type_name(type);
	char v[SIGN_QUOTE];

	san_text(type, san, oid, v);
	if (!pki_profile_has_sans(c->p))
		return refuse(c, "%s SAN%s%s%s: profile '%s' carries no SANs", tn,
			v[0] ? " '" : "", v, v[0] ? "'" : "", pn);
	switch (type) {
	case GNUTLS_SAN_DNSNAME:
		return check_dns(c, san, v);
	case GNUTLS_SAN_IPADDRESS:
		if (v[0] == '\0')
			return refuse(c,
				"IP SAN of %u bytes is malformed (RFC 5280 4.2.1.6 wants 4 or 16)",
				san->size);
		/* ::ffff:a.b.c.d: kubeadm never makes one, and clients read it as
		 * a.b.c.d or not at all */
		if (san->size == 16 && memcmp(san->data, v4mapped, sizeof(v4mapped)) == 0)
			return refuse(c,
				"IP SAN '%s' is an IPv4-mapped IPv6 address (RFC 4291 2.5.5.2); "
				"ask for the IPv4 address",
				v);
		if (pki_policy_ip_allowed(c->pol, v))
			return 0;
		return refuse(c, "IP SAN '%s' is not allowed by policy '%s'", v, polname);
	default:
		return refuse(c, "%s SAN%s%s%s is not allowed (only DNS and IP SANs)", tn,
			v[0] ? " '" : "", v, v[0] ? "'" : "");
	}
}

static int
check_sans(struct chk *c, gnutls_subject_alt_names_t sans, unsigned count)
{
	gnutls_datum_t san, oid;
	unsigned i, type;

	for (i = 0; i < count; i++) {
		if (gnutls_subject_alt_names_get(sans, i, &type, &san, &oid) < 0)
			return refuse(c, "subjectAltName: entry %u cannot be read", i + 1);
		/* the strings checked below are NUL-terminated by GnuTLS */
		if (check_one_san(c, type, &san, &oid) != 0)
			return -1;
	}
	return 0;
}

static const char *
ext_name(const char *oid)
{
	static const struct {
		const char *oid, *name;
	} names[] = {
		{ "2.5.29.14", "subjectKeyIdentifier" },
		{ "2.5.29.15", "keyUsage" },
		{ "2.5.29.17", "subjectAltName" },
		{ "2.5.29.18", "issuerAltName" },
		{ "2.5.29.19", "basicConstraints" },
		{ "2.5.29.30", "nameConstraints" },
		{ "2.5.29.31", "cRLDistributionPoints" },
		{ "2.5.29.32", "certificatePolicies" },
		{ "2.5.29.35", "authorityKeyIdentifier" },
		{ "2.5.29.37", "extKeyUsage" },
		{ "1.3.6.1.5.5.7.1.1", "authorityInfoAccess" },
		{ "1.3.6.1.5.5.7.1.24", "tlsFeature" },
	};
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(names); i++)
		if (strcmp(names[i].oid, oid) == 0)
			return names[i].name;
	return NULL;
}

static int
note_extensions(struct chk *c, const struct pki_x509info *info)
{
	const char *nm;
	size_t i;

	for (i = 0; i < info->ext_oids.n; i++) {
		const char *oid = info->ext_oids.v[i];

		if (strcmp(oid, OID_SAN) == 0)
			continue;
		if (strcmp(oid, OID_BC) == 0 && info->is_ca) {
			if (note(c, "requested basicConstraints CA:TRUE is never granted "
				    "(the certificate says CA:FALSE)") != 0)
				return -1;
			continue;
		}
		nm = ext_name(oid);
		if (note(c, "requested extension %s%s%s%s is ignored", nm ? nm : oid,
			    nm ? " (" : "", nm ? oid : "", nm ? ")" : "") != 0)
			return -1;
	}
	return 0;
}

/* The self-signature (RFC 2986 3); a key GnuTLS cannot use has none to
 * check, and check_key() has said why already. */
static int
check_signature(struct chk *c, const struct pki_csr *csr)
{
	gnutls_pubkey_t pub = NULL;
	int usable;

	if (gnutls_pubkey_init(&pub) < 0)
		return pki_err_nomem(c->err);
	usable = gnutls_pubkey_import_x509_crq(pub, pki_csr_gnutls(csr), 0) == 0;
	gnutls_pubkey_deinit(pub);
	if (!usable)
		return c->refusals->n > 0 ? 0 :
					    refuse(c, "signature: the request's key cannot be used "
						      "to verify it");
	if (gnutls_x509_crq_verify(pki_csr_gnutls(csr), 0) < 0)
		return refuse(c, "signature: does not verify with the request's own key "
				 "(RFC 2986 3)");
	return 0;
}

int
pki_sign_check(const struct pki_profile *p, const struct pki_policy *pol, const char *node,
	const struct pki_csr *csr, struct pki_names *refusals, struct pki_names *notes,
	struct pki_err *err)
{
	struct pki_x509info info;
	gnutls_subject_alt_names_t sans = NULL;
	struct pki_err e;
	struct chk c;
	unsigned count = 0;
	int r, ret = -1;

	memset(&info, 0, sizeof(info));
	c.p = p;
	c.pol = pol;
	c.node = node != NULL ? node : "";
	c.refusals = refusals;
	c.notes = notes;
	c.err = err;
	if (pki_profile_kind(p) == PKI_PROFILE_CA) {
		ret = refuse(&c, "profile '%s' is a CA: kpki-sign issues no CA certificate",
			pki_profile_name(p));
		goto out;
	}
	if (check_node(&c) != 0)
		goto out;
	if (check_key(&c, csr) != 0)
		goto out;
	if (check_signature(&c, csr) != 0)
		goto out;

	r = csr_sans(csr, &sans, &count, err);
	if (r < 0)
		goto out;
	if (r > 0) {
		ret = refuse(&c, "subjectAltName: malformed (RFC 5280 4.2.1.6)");
		goto out;
	}
	if (count > SIGN_MAX_SANS) {
		ret = refuse(&c, "subjectAltName: %u names, more than %d", count, SIGN_MAX_SANS);
		goto out;
	}

	pki_err_clear(&e);
	if (pki_csr_info(csr, &info, &e) != 0) {
		if (e.code == PKI_E_NOMEM) {
			pki_err_nomem(err);
			goto out;
		}
		ret = refuse(&c, "request cannot be read: %s", e.msg);
		goto out;
	}
	if (check_subject(&c, csr) != 0 || check_sans(&c, sans, count) != 0 ||
	    note_extensions(&c, &info) != 0)
		goto out;
	ret = 0;
out:
	if (sans != NULL)
		gnutls_subject_alt_names_deinit(sans);
	pki_x509info_free(&info);
	return ret;
}

/* ---- issuance -------------------------------------------------------------- */

/* A serial as DER INTEGER content: 1..20 octets, minimal, positive, not 0. */
static int
serial_ok(const unsigned char *s, size_t n)
{
	size_t i;

	if (s == NULL || n == 0 || n > SIGN_MAX_SERIAL || (s[0] & 0x80) != 0)
		return 0;
	if (n > 1 && s[0] == 0 && (s[1] & 0x80) == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] != 0)
			return 1;
	return 0;
}

static int
set_sans(gnutls_x509_crt_t crt, gnutls_subject_alt_names_t sans, unsigned count,
	const char *what, struct pki_err *err)
{
	gnutls_datum_t san, oid;
	unsigned i, type, flags = 0;
	int r;

	for (i = 0; i < count; i++) {
		if (gnutls_subject_alt_names_get(sans, i, &type, &san, &oid) < 0)
			return pki_err_set(err, PKI_E_CRYPTO, "%s: cannot read SAN %u", what, i + 1);
		/* pki_sign_check let nothing else through; copy nothing else */
		if (type != GNUTLS_SAN_DNSNAME && type != GNUTLS_SAN_IPADDRESS)
			return pki_err_set(err, PKI_E_INVALID, "%s: a %s SAN is not allowed", what,
				san_type_name(type));
		r = gnutls_x509_crt_set_subject_alt_name(crt, (gnutls_x509_subject_alt_name_t)type,
			san.data, san.size, flags);
		if (r < 0)
			return pki_err_set(err, PKI_E_CRYPTO, "%s: cannot set a %s SAN: %s", what,
				san_type_name(type), gnutls_strerror(r));
		flags = GNUTLS_FSAN_APPEND;
	}
	return 0;
}

/*
 * notAfter: now + min(profile, policy), never past the CA's own notAfter nor
 * that of any certificate of its chain (a leaf outliving the root above its
 * CA would not verify for its last days). notBefore: now - 5 min, never
 * before the CA's own notBefore. Nothing when now is outside the CA's or
 * its chain's validity: the clock that would date the certificate is wrong.
 */
static int
validity(const struct pki_ca *ca, const struct pki_profile *p, const struct pki_policy *pol,
	time_t now, time_t *nb, time_t *na, const char *what, struct pki_err *err)
{
	int64_t v = pki_profile_validity(p), max = pki_policy_max_validity(pol);
	const char *caname = pki_profile_name(pki_ca_profile(ca));
	time_t cap = pki_cert_not_after(pki_ca_cert(ca));
	time_t ca_nb = pki_cert_not_before(pki_ca_cert(ca));
	size_t i, capper = 0; /* 0: the CA itself, else chain certificate i */
	char t[32];

	if (max > 0 && max < v)
		v = max;
	if (v <= 0)
		return pki_err_set(err, PKI_E_INVALID, "%s: profile '%s' gives no validity", what,
			pki_profile_name(p));
	if (pki_ca_check_time(ca, now, err) != 0)
		return pki_err_prefix(err, "%s", what);
	for (i = 0; i < pki_ca_chain_count(ca); i++) {
		time_t cna = pki_cert_not_after(pki_ca_chain_at(ca, i));

		if (cna < cap) {
			cap = cna;
			capper = i + 1;
		}
	}
	if (cap <= now) {
		pki_time_rfc3339(cap, t);
		if (capper == 0)
			return pki_err_set(err, PKI_E_INVALID, "%s: CA '%s' expired at %s", what,
				caname, t);
		return pki_err_set(err, PKI_E_INVALID,
			"%s: CA '%s': certificate %zu of its chain expired at %s", what, caname,
			capper, t);
	}
	*nb = now - SIGN_BACKDATE;
	if (*nb < ca_nb)
		*nb = ca_nb;
	*na = (int64_t)now > INT64_MAX - v ? cap : (time_t)((int64_t)now + v);
	if (*na > cap)
		*na = cap;
	if (*na <= *nb) {
		pki_time_rfc3339(ca_nb, t);
		return pki_err_set(err, PKI_E_INVALID, "%s: CA '%s' is not valid before %s", what,
			caname, t);
	}
	return 0;
}

int
pki_sign_issue(const struct pki_ca *ca, const struct pki_profile *p,
	const struct pki_policy *pol, const char *node, const struct pki_csr *csr,
	const unsigned char *serial, size_t serial_len, time_t now, struct pki_cert **out,
	struct pki_err *err)
{
	struct pki_names refusals = { 0 }, notes = { 0 }, org = { 0 };
	gnutls_subject_alt_names_t sans = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL, capub = NULL;
	gnutls_datum_t der = { NULL, 0 };
	gnutls_x509_crt_t cacrt = pki_cert_gnutls(pki_ca_cert(ca));
	const struct pki_names *eku = pki_profile_ext_key_usage(p);
	const char *pn = pki_profile_name(p);
	unsigned char ski[20], aki[64];
	size_t aki_len = sizeof(aki), i;
	unsigned count = 0, crit = 0;
	char *cn = NULL, what[128];
	time_t nb = 0, na = 0;
	struct chk c;
	int uses_node, r, ret = -1;

	*out = NULL;
	(void)snprintf(what, sizeof(what), "certificate for '%s'", pn);
	if (pki_profile_ca(p) == NULL ||
	    strcmp(pki_profile_ca(p), pki_profile_name(pki_ca_profile(ca))) != 0) {
		pki_err_set(err, PKI_E_USAGE, "%s: profile '%s' is signed by CA '%s', not '%s'",
			what, pn, pki_profile_ca(p) ? pki_profile_ca(p) : "(none)",
			pki_profile_name(pki_ca_profile(ca)));
		goto out;
	}
	if (!serial_ok(serial, serial_len)) {
		pki_err_set(err, PKI_E_USAGE,
			"%s: the serial is not a positive DER integer of at most %d octets "
			"(RFC 5280 4.1.2.2)",
			what, SIGN_MAX_SERIAL);
		goto out;
	}
	/* the check again: nothing that fails it is ever signed */
	if (pki_sign_check(p, pol, node, csr, &refusals, &notes, err) != 0)
		goto out;
	if (refusals.n > 0) {
		pki_err_set(err, PKI_E_INVALID, "%s: request refused: %s", what, refusals.v[0]);
		goto out;
	}
	c.p = p;
	c.pol = pol;
	c.node = node != NULL ? node : "";
	c.refusals = &refusals;
	c.notes = &notes;
	c.err = err;
	if (expected_subject(&c, &cn, &org, &uses_node) != 0)
		goto out;
	r = csr_sans(csr, &sans, &count, err);
	if (r != 0) {
		if (r > 0)
			pki_err_set(err, PKI_E_INVALID, "%s: malformed subjectAltName", what);
		goto out;
	}
	if (validity(ca, p, pol, now, &nb, &na, what, err) != 0)
		goto out;

	if (gnutls_x509_crt_init(&crt) < 0 || gnutls_pubkey_init(&pub) < 0 ||
	    gnutls_pubkey_init(&capub) < 0) {
		pki_err_nomem(err);
		goto out;
	}
	if (gnutls_pubkey_import_x509(capub, cacrt, 0) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot read the CA's key", what);
		goto out;
	}
	if (gnutls_pubkey_import_x509_crq(pub, pki_csr_gnutls(csr), 0) < 0 ||
	    gnutls_x509_crt_set_pubkey(crt, pub) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot use the request's public key", what);
		goto out;
	}
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, serial_len) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, nb) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, na) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot set version, serial or validity", what);
		goto out;
	}
	/* a fresh subject, in Go's pkix.Name order: the O values, then CN */
	for (i = 0; i < org.n; i++) {
		r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
			org.v[i], (unsigned)strlen(org.v[i]));
		if (r < 0) {
			pki_err_set(err, PKI_E_CRYPTO, "%s: cannot set O: %s", what,
				gnutls_strerror(r));
			goto out;
		}
	}
	r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
		(unsigned)strlen(cn));
	if (r < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot set CN: %s", what, gnutls_strerror(r));
		goto out;
	}
	if (set_sans(crt, sans, count, what, err) != 0)
		goto out;
	/* GnuTLS marks keyUsage and basicConstraints critical (RFC 5280 4.2.1.3, 4.2.1.9) */
	if (gnutls_x509_crt_set_key_usage(crt, pki_ku_to_gnutls(pki_profile_key_usage(p))) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot set key usage or basic constraints",
			what);
		goto out;
	}
	for (i = 0; i < eku->n; i++) {
		if (gnutls_x509_crt_set_key_purpose_oid(crt, eku->v[i], 0) < 0) {
			pki_err_set(err, PKI_E_CRYPTO, "%s: cannot set extended key usage %s", what,
				eku->v[i]);
			goto out;
		}
	}
	if (pki_pubkey_key_id(pub, ski, err) != 0 ||
	    gnutls_x509_crt_set_subject_key_id(crt, ski, sizeof(ski)) < 0) {
		if (err->code == PKI_OK)
			pki_err_set(err, PKI_E_CRYPTO, "%s: cannot set the subject key identifier",
				what);
		goto out;
	}
	/* the CA's own identifier; computed the same way when it has none */
	r = gnutls_x509_crt_get_subject_key_id(cacrt, aki, &aki_len, &crit);
	if (r < 0 || aki_len == 0) {
		if (pki_pubkey_key_id(capub, aki, err) != 0) {
			if (err->code == PKI_OK)
				pki_err_set(err, PKI_E_CRYPTO, "%s: cannot read the CA's key", what);
			goto out;
		}
		aki_len = 20;
	}
	if (gnutls_x509_crt_set_authority_key_id(crt, aki, aki_len) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot set the authority key identifier", what);
		goto out;
	}
	r = gnutls_x509_crt_privkey_sign(crt, cacrt, pki_ca_privkey(ca),
		pki_pubkey_sign_digest(capub), 0);
	if (r < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: the CA cannot sign: %s", what,
			gnutls_strerror(r));
		goto out;
	}
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "%s: cannot encode", what);
		goto out;
	}
	/* read back as any certificate is, so the caller holds a normal one */
	ret = pki_cert_parse(der.data, der.size, what, out, err);
out:
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pub);
	gnutls_pubkey_deinit(capub);
	gnutls_x509_crt_deinit(crt);
	if (sans != NULL)
		gnutls_subject_alt_names_deinit(sans);
	pki_names_free(&refusals);
	pki_names_free(&notes);
	pki_names_free(&org);
	free(cn);
	return ret;
}
