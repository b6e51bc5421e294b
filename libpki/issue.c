/* issue.c — kpki-sign's batch: check everything, then issue and record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pki/file.h>
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
	struct pki_ca *ca = NULL;
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(pki_profile_name(pki_ca_profile(c->ca[i])), name) == 0) {
			*out = c->ca[i];
			return 0;
		}
	}
	if (c->n == MAX_CAS)
		return pki_err_set(err, PKI_E_LIMIT, "more than %d CAs in one batch", MAX_CAS);
	if (pki_ca_load(o->ca, name, &ca, err) != 0)
		return -1;
	/* a clock outside the CA's validity signs nothing: found here, before
	 * the ledger is opened, no serial is drawn and nothing recorded */
	if (pki_ca_check_time(ca, o->now, err) != 0) {
		pki_ca_free(ca);
		return -1;
	}
	c->ca[c->n++] = ca;
	*out = ca;
	return 0;
}

/* Adds "<label>: <line>" for every line of from to to. */
static int
add_labelled(struct pki_names *to, const char *label, const struct pki_names *from,
	struct pki_err *err)
{
	size_t i;

	for (i = 0; i < from->n; i++)
		if (pki_names_addf(to, err, "%s: %s", label, from->v[i]) != 0)
			return -1;
	return 0;
}

/* "entry 'x'" or "profile 'x'", the name quoted sanitized. */
static void
make_label(const char *kind, const char *name, char out[PKI_QPATH_MAX])
{
	char clean[PKI_QPATH_MAX - 32];

	pki_text_sanitize(name, clean, sizeof(clean));
	/* clean is short enough that this never truncates */
	(void)snprintf(out, PKI_QPATH_MAX, "%s '%s'", kind, clean);
}

static int
check_one(const struct pki_issue_opts *o, const struct pki_profile *p, const char *node,
	const struct pki_csr *csr, const char *label, struct pki_names *refusals,
	struct pki_names *notes, struct pki_err *err)
{
	struct pki_names r = { 0 }, n = { 0 };
	int ret = -1;

	if (pki_profile_kind(p) == PKI_PROFILE_CA)
		return pki_names_addf(refusals, err,
			"%s: profile '%s' is a CA; kpki-sign never issues CA certificates", label,
			pki_profile_name(p));
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
	if (snprintf(rec.serial, sizeof(rec.serial), "%s", info.serial) >=
	    (int)sizeof(rec.serial)) {
		pki_err_set(err, PKI_E_LIMIT, "certificate serial '%.64s' is too long", info.serial);
		goto out;
	}
	rec.ca = (char *)pki_profile_name(pki_ca_profile(ca));
	rec.profile = (char *)pki_profile_name(p);
	rec.subject = info.subject;
	for (i = 0; i < info.dns.n; i++)
		if (pki_names_addf(&rec.sans, err, "DNS:%s", info.dns.v[i]) != 0)
			goto out;
	for (i = 0; i < info.ip.n; i++)
		if (pki_names_addf(&rec.sans, err, "IP:%s", info.ip.v[i]) != 0)
			goto out;
	rec.not_before = info.not_before;
	rec.not_after = info.not_after;
	pki_hex_lower(info.sha256, sizeof(info.sha256), rec.sha256);
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
	const char *pname = pki_policy_name(o->policy), *node = pki_bundle_node(in);
	char q[PKI_QPATH_MAX];

	if (strcmp(pki_bundle_cluster(in), pki_policy_cluster(o->policy)) != 0) {
		pki_text_sanitize(pki_bundle_cluster(in), q, sizeof(q));
		if (pki_names_addf(refusals, err,
			    "bundle: cluster '%s' is not policy '%s''s cluster '%s'", q, pname,
			    pki_policy_cluster(o->policy)) != 0)
			return -1;
	}
	if (strcmp(pki_bundle_profiles(in), pki_profile_set_name(o->ca->set)) != 0) {
		pki_text_sanitize(pki_bundle_profiles(in), q, sizeof(q));
		if (pki_names_addf(refusals, err,
			    "bundle: profile set '%s' is not the CA's profile set '%s'", q,
			    pki_profile_set_name(o->ca->set)) != 0)
			return -1;
	}
	/* exactly as listed: a node name is never lower-cased for it */
	if (node[0] != '\0' && !pki_policy_node_allowed(o->policy, node)) {
		pki_text_sanitize(node, q, sizeof(q));
		if (pki_names_addf(refusals, err, "bundle: node '%s' is not allowed by policy '%s'",
			    q, pname) != 0)
			return -1;
	}
	return 0;
}

/*
 * What a dry run checks past the requests, touching nothing: each CA loads
 * (its certificate, its key's mode, that the key is the certificate's) and
 * the ledger, if there is one yet, reads. No lock is taken, nothing written.
 */
static int
dry_run_check(const struct pki_issue_opts *o, const struct pki_profile *const *profiles,
	size_t n, struct pki_err *err)
{
	struct cas cas = { { NULL }, 0 };
	struct pki_ledger_record *recs = NULL;
	struct pki_ca *ca;
	size_t i, nrec = 0;
	int ret = -1;

	for (i = 0; i < n; i++)
		if (cas_get(o, &cas, pki_profile_ca(profiles[i]), &ca, err) != 0)
			goto out;
	if (pki_ledger_read(o->ca->ca_dir, &recs, &nrec, err) != 0) {
		/* a CA that has issued nothing has no ledger yet */
		if (err->code != PKI_E_NOTFOUND)
			goto out;
		pki_err_clear(err);
	}
	ret = 0;
out:
	pki_ledger_records_free(recs, nrec);
	cas_free(&cas);
	return ret;
}

int
pki_issue_bundle(const struct pki_issue_opts *o, const struct pki_bundle *in,
	struct pki_bundle **out, struct pki_names *refusals, struct pki_names *notes,
	struct pki_err *err)
{
	const struct pki_profile **profiles = NULL;
	struct pki_bundle *b = NULL;
	struct pki_ledger *l = NULL;
	struct cas cas = { { NULL }, 0 };
	struct pki_cert *cert = NULL;
	const char *node = pki_bundle_node(in);
	char fp[72], label[PKI_QPATH_MAX];
	size_t i, n = pki_bundle_count(in);
	int ret = -1;

	*out = NULL;
	if (pki_bundle_fingerprint(in, fp, err) != 0)
		return -1;
	if (o->expect_fingerprint != NULL) {
		unsigned char want[32], have[32];
		char shown[96];

		if (pki_fingerprint_parse(o->expect_fingerprint, want, err) != 0 ||
		    pki_fingerprint_parse(fp, have, err) != 0)
			return -1;
		if (memcmp(want, have, sizeof(want)) != 0) {
			pki_text_sanitize(o->expect_fingerprint, shown, sizeof(shown));
			return pki_err_set(err, PKI_E_INVALID,
				"bundle fingerprint is %s, not the expected %s: refusing it", fp,
				shown);
		}
	}
	profiles = pki_calloc(n, sizeof(*profiles), err);
	if (profiles == NULL)
		return -1;
	if (check_bundle_head(o, in, refusals, err) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct pki_bundle_entry *e = pki_bundle_at(in, i);

		profiles[i] = pki_profile_set_find(o->ca->set, pki_bundle_entry_name(e));
		make_label("entry", pki_bundle_entry_name(e), label);
		if (profiles[i] == NULL) {
			if (pki_names_addf(refusals, err, "%s: no such profile in set '%s'", label,
				    pki_profile_set_name(o->ca->set)) != 0)
				goto out;
			continue;
		}
		if (check_one(o, profiles[i], node, pki_bundle_entry_csr(e), label, refusals,
			    notes, err) != 0)
			goto out;
	}
	/* all or nothing: one refusal stops the batch before any serial is used */
	if (refusals->n > 0) {
		pki_err_set(err, PKI_E_INVALID, "bundle %s: %zu refusal%s; nothing was signed", fp,
			refusals->n, refusals->n == 1 ? "" : "s");
		goto out;
	}
	if (o->dry_run) {
		ret = dry_run_check(o, profiles, n, err);
		goto out;
	}

	/* every CA before the ledger: a CA that cannot sign stops us early */
	for (i = 0; i < n; i++) {
		struct pki_ca *ca;

		if (cas_get(o, &cas, pki_profile_ca(profiles[i]), &ca, err) != 0)
			goto out;
	}
	if (pki_ledger_open(o->ca->ca_dir, &l, err) != 0)
		goto out;
	if (pki_bundle_new(pki_bundle_profiles(in), pki_bundle_cluster(in), node,
		    pki_bundle_created(in), &b, err) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct pki_bundle_entry *e = pki_bundle_at(in, i);
		const struct pki_profile *p = profiles[i];
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
	free(profiles);
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
	char label[PKI_QPATH_MAX];
	int ret = -1;

	*out = NULL;
	make_label("profile", profile, label);
	if (p == NULL)
		return pki_err_set(err, PKI_E_USAGE, "%s: not in profile set '%s'", label,
			pki_profile_set_name(o->ca->set));
	if (check_one(o, p, node, csr, label, refusals, notes, err) != 0)
		return -1;
	if (refusals->n > 0)
		return pki_err_set(err, PKI_E_INVALID, "%s: refused; nothing was signed", label);
	if (o->dry_run)
		return dry_run_check(o, &p, 1, err);
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
