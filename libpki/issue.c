/* issue.c — kpki-sign's batch: check everything, then issue and record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pki/issue.h>
#include <pki/ledger.h>

#include "internal.h"

/* The CAs a batch signs with, each loaded once. */
#define MAX_CAS 8

struct cas {
	struct pki_ca *ca[MAX_CAS];
	size_t n;
};

static void
cas_free(struct cas *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		pki_ca_free(c->ca[i]);
	c->n = 0;
}

static int
cas_get(const struct pki_issue_opts *o, struct cas *c, const char *name, struct pki_ca **out,
	struct pki_err *err)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(pki_profile_name(pki_ca_profile(c->ca[i])), name) == 0) {
			*out = c->ca[i];
			return 0;
		}
	}
	if (c->n == MAX_CAS)
		return pki_err_set(err, PKI_E_LIMIT, "more than %d CAs in one batch", MAX_CAS);
	if (pki_ca_load(o->ca, name, &c->ca[c->n], err) != 0)
		return -1;
	*out = c->ca[c->n++];
	return 0;
}

/* Adds "<label>: <line>" for every line of from to to. */
static int
add_labelled(struct pki_names *to, const char *label, const struct pki_names *from,
	struct pki_err *err)
{
	size_t i;

	for (i = 0; i < from->n; i++) {
		char line[PKI_ERR_MSG_MAX + 128];

		if (snprintf(line, sizeof(line), "%s: %s", label, from->v[i]) < 0 ||
		    pki_names_add(to, line, err) != 0)
			return -1;
	}
	return 0;
}

static int
check_one(const struct pki_issue_opts *o, const struct pki_profile *p, const char *node,
	const struct pki_csr *csr, const char *label, struct pki_names *refusals,
	struct pki_names *notes, struct pki_err *err)
{
	struct pki_names r = { 0 }, n = { 0 };
	int ret = -1;

	if (pki_profile_kind(p) == PKI_PROFILE_CA) {
		char line[256];

		(void)snprintf(line, sizeof(line),
			"%s: profile '%s' is a CA; kpki-sign never issues CA certificates", label,
			pki_profile_name(p));
		return pki_names_add(refusals, line, err);
	}
	if (pki_sign_check(p, o->policy, node, csr, &r, &n, err) != 0)
		goto out;
	if (add_labelled(refusals, label, &r, err) != 0 || add_labelled(notes, label, &n, err) != 0)
		goto out;
	ret = 0;
out:
	pki_names_free(&r);
	pki_names_free(&n);
	return ret;
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Makes the certificate's ledger record durable. */
static int
record(struct pki_ledger *l, const struct pki_ca *ca, const struct pki_profile *p,
	const struct pki_cert *cert, const char *bundle_fp, time_t now, struct pki_err *err)
{
	struct pki_ledger_record rec;
	struct pki_x509info info = { 0 };
	size_t i;
	int ret = -1;

	memset(&rec, 0, sizeof(rec));
	if (pki_cert_info(cert, &info, err) != 0)
		goto out;
	(void)snprintf(rec.serial, sizeof(rec.serial), "%s", info.serial);
	rec.ca = (char *)pki_profile_name(pki_ca_profile(ca));
	rec.profile = (char *)pki_profile_name(p);
	rec.subject = info.subject;
	for (i = 0; i < info.dns.n; i++) {
		char s[300];

		if (snprintf(s, sizeof(s), "DNS:%s", info.dns.v[i]) >= (int)sizeof(s) ||
		    pki_names_add(&rec.sans, s, err) != 0)
			goto out;
	}
	for (i = 0; i < info.ip.n; i++) {
		char s[64];

		(void)snprintf(s, sizeof(s), "IP:%s", info.ip.v[i]);
		if (pki_names_add(&rec.sans, s, err) != 0)
			goto out;
	}
	rec.not_before = info.not_before;
	rec.not_after = info.not_after;
	hex(info.sha256, sizeof(info.sha256), rec.sha256);
	rec.issued = now;
	rec.bundle = (char *)(bundle_fp ? bundle_fp : "");
	ret = pki_ledger_append(l, &rec, err);
out:
	pki_names_free(&rec.sans);
	pki_x509info_free(&info);
	return ret;
}

/* Issues one certificate: a fresh serial, the certificate, its record. */
static int
issue(const struct pki_issue_opts *o, struct pki_ledger *l, struct pki_ca *ca,
	const struct pki_profile *p, const char *node, const struct pki_csr *csr,
	const char *bundle_fp, struct pki_cert **out, struct pki_err *err)
{
	unsigned char serial[20];
	size_t slen = 0;
	struct pki_cert *cert = NULL;

	*out = NULL;
	if (pki_ledger_new_serial(l, serial, &slen, err) != 0 ||
	    pki_sign_issue(ca, p, o->policy, node, csr, serial, slen, o->now, &cert, err) != 0)
		return -1;
	/* on disk before the certificate can leave */
	if (record(l, ca, p, cert, bundle_fp, o->now, err) != 0) {
		pki_cert_free(cert);
		return -1;
	}
	*out = cert;
	return 0;
}

static int
add_cas(struct pki_bundle *b, const struct pki_ca *ca, struct pki_err *err)
{
	size_t i;

	if (pki_bundle_add_ca(b, pki_ca_cert(ca), err) != 0)
		return -1;
	for (i = 0; i < pki_ca_chain_count(ca); i++)
		if (pki_bundle_add_ca(b, pki_ca_chain_at(ca, i), err) != 0)
			return -1;
	return 0;
}

/* What the bundle says of itself must fit the policy too. */
static int
check_bundle_head(const struct pki_issue_opts *o, const struct pki_bundle *in,
	struct pki_names *refusals, struct pki_err *err)
{
	const char *pname = pki_policy_name(o->policy);
	char line[PKI_ERR_MSG_MAX];

	if (strcmp(pki_bundle_cluster(in), pki_policy_cluster(o->policy)) != 0) {
		(void)snprintf(line, sizeof(line),
			"bundle: cluster '%s' is not policy '%s''s cluster '%s'",
			pki_bundle_cluster(in), pname, pki_policy_cluster(o->policy));
		if (pki_names_add(refusals, line, err) != 0)
			return -1;
	}
	if (strcmp(pki_bundle_profiles(in), pki_profile_set_name(o->ca->set)) != 0) {
		(void)snprintf(line, sizeof(line),
			"bundle: profile set '%s' is not the CA's profile set '%s'",
			pki_bundle_profiles(in), pki_profile_set_name(o->ca->set));
		if (pki_names_add(refusals, line, err) != 0)
			return -1;
	}
	if (pki_bundle_node(in)[0] != '\0' &&
	    !pki_policy_node_allowed(o->policy, pki_bundle_node(in))) {
		(void)snprintf(line, sizeof(line), "bundle: node '%s' is not allowed by policy '%s'",
			pki_bundle_node(in), pname);
		if (pki_names_add(refusals, line, err) != 0)
			return -1;
	}
	return 0;
}

int
pki_issue_bundle(const struct pki_issue_opts *o, const struct pki_bundle *in,
	struct pki_bundle **out, struct pki_names *refusals, struct pki_names *notes,
	struct pki_err *err)
{
	struct pki_bundle *b = NULL;
	struct pki_ledger *l = NULL;
	struct cas cas = { { NULL }, 0 };
	struct pki_cert *cert = NULL;
	const char *node = pki_bundle_node(in);
	char fp[72];
	size_t i, n = pki_bundle_count(in);
	int ret = -1;

	*out = NULL;
	if (pki_bundle_fingerprint(in, fp, err) != 0)
		return -1;
	if (o->expect_fingerprint != NULL && strcmp(fp, o->expect_fingerprint) != 0)
		return pki_err_set(err, PKI_E_INVALID,
			"bundle fingerprint is %s, not the expected %.80s: refusing it", fp,
			o->expect_fingerprint);
	if (check_bundle_head(o, in, refusals, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		const struct pki_bundle_entry *e = pki_bundle_at(in, i);
		const struct pki_profile *p = pki_profile_set_find(o->ca->set,
			pki_bundle_entry_name(e));
		char label[128];

		(void)snprintf(label, sizeof(label), "entry '%s'", pki_bundle_entry_name(e));
		if (p == NULL) {
			char line[256];

			(void)snprintf(line, sizeof(line), "%s: no such profile in set '%s'", label,
				pki_profile_set_name(o->ca->set));
			if (pki_names_add(refusals, line, err) != 0)
				return -1;
			continue;
		}
		if (check_one(o, p, node, pki_bundle_entry_csr(e), label, refusals, notes, err) != 0)
			return -1;
	}
	/* all or nothing: one refusal stops the batch before any serial is used */
	if (refusals->n > 0)
		return pki_err_set(err, PKI_E_INVALID, "bundle %s: %zu refusal%s; nothing was signed",
			fp, refusals->n, refusals->n == 1 ? "" : "s");
	if (o->dry_run)
		return 0;

	/* every CA before the ledger: a CA that cannot sign stops us early */
	for (i = 0; i < n; i++) {
		const struct pki_profile *p = pki_profile_set_find(o->ca->set,
			pki_bundle_entry_name(pki_bundle_at(in, i)));
		struct pki_ca *ca;

		if (cas_get(o, &cas, pki_profile_ca(p), &ca, err) != 0)
			goto out;
	}
	if (pki_ledger_open(o->ca->ca_dir, &l, err) != 0)
		goto out;
	if (pki_bundle_new(pki_bundle_profiles(in), pki_bundle_cluster(in), node,
		    pki_bundle_created(in), &b, err) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct pki_bundle_entry *e = pki_bundle_at(in, i);
		const struct pki_profile *p = pki_profile_set_find(o->ca->set,
			pki_bundle_entry_name(e));
		struct pki_ca *ca;

		if (cas_get(o, &cas, pki_profile_ca(p), &ca, err) != 0 ||
		    pki_bundle_add(b, p, pki_bundle_entry_csr(e), err) != 0 ||
		    issue(o, l, ca, p, node, pki_bundle_entry_csr(e), fp, &cert, err) != 0 ||
		    pki_bundle_set_certificate(b, i, cert, err) != 0 || add_cas(b, ca, err) != 0)
			goto out;
		pki_cert_free(cert);
		cert = NULL;
	}
	*out = b;
	b = NULL; /* transferred */
	ret = 0;
out:
	pki_cert_free(cert);
	pki_bundle_free(b);
	pki_ledger_close(l);
	cas_free(&cas);
	return ret;
}

int
pki_issue_one(const struct pki_issue_opts *o, const char *profile, const char *node,
	const struct pki_csr *csr, struct pki_cert **out, struct pki_names *refusals,
	struct pki_names *notes, struct pki_err *err)
{
	const struct pki_profile *p = pki_profile_set_find(o->ca->set, profile);
	struct pki_ledger *l = NULL;
	struct cas cas = { { NULL }, 0 };
	struct pki_ca *ca = NULL;
	char label[128];
	int ret = -1;

	*out = NULL;
	if (p == NULL)
		return pki_err_set(err, PKI_E_USAGE, "profile '%.64s': not in profile set '%s'",
			profile, pki_profile_set_name(o->ca->set));
	(void)snprintf(label, sizeof(label), "profile '%s'", profile);
	if (check_one(o, p, node, csr, label, refusals, notes, err) != 0)
		return -1;
	if (refusals->n > 0)
		return pki_err_set(err, PKI_E_INVALID, "%s: refused; nothing was signed", label);
	if (o->dry_run)
		return 0;
	if (cas_get(o, &cas, pki_profile_ca(p), &ca, err) != 0 ||
	    pki_ledger_open(o->ca->ca_dir, &l, err) != 0 ||
	    issue(o, l, ca, p, node, csr, NULL, out, err) != 0)
		goto out;
	ret = 0;
out:
	pki_ledger_close(l);
	cas_free(&cas);
	return ret;
}
