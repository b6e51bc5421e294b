/*
 * issue.h — what kpki-sign does with a bundle or a single CSR: hold every
 * request against its profile and the policy, refuse the whole batch when
 * one entry does not fit, and otherwise issue each certificate with a fresh
 * serial, recording it in the ledger before anything leaves.
 */
#ifndef PKI_ISSUE_H
#define PKI_ISSUE_H

#include <time.h>

#include <pki/bundle.h>
#include <pki/ca.h>
#include <pki/policy.h>
#include <pki/sign.h>

struct pki_issue_opts {
	const struct pki_ca_opts *ca;	/* CA directory, profile set, key location */
	const struct pki_policy *policy;
	const char *expect_fingerprint; /* NULL, or the bundle's fingerprint in any
					 * form pki_fingerprint_parse() takes */
	int dry_run;			/* check everything, sign nothing, touch no ledger */
	time_t now;
};

/*
 * Signs every entry of a CSR bundle. First every entry is checked (the
 * bundle's cluster and profile set against the policy, its node, each CSR
 * with pki_sign_check); when any is refused, *refusals lists every refused
 * entry with its reason ("entry 'apiserver': ...") and the call returns -1
 * with PKI_E_INVALID, having signed nothing and used no serial. Otherwise
 * the ledger is opened (locked), each certificate issued and recorded
 * durably, and *out is the signed bundle (entries' certificates and the CA
 * certificates they chain to), not yet written anywhere. With dry_run,
 * *out stays NULL. Requested extensions that were ignored are in *notes.
 */
int pki_issue_bundle(const struct pki_issue_opts *o, const struct pki_bundle *in,
	struct pki_bundle **out, struct pki_names *refusals, struct pki_names *notes,
	struct pki_err *err) PKI_WUR;

/*
 * The same for one CSR and a named profile; `node` is the node name the
 * profile's ${nodeName} stands for ("" when the profile names no node).
 * *out is the issued certificate (NULL with dry_run).
 */
int pki_issue_one(const struct pki_issue_opts *o, const char *profile, const char *node,
	const struct pki_csr *csr, struct pki_cert **out, struct pki_names *refusals,
	struct pki_names *notes, struct pki_err *err) PKI_WUR;

#endif
