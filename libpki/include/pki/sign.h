/*
 * sign.h — issuing certificates: every field from the profile and the
 * policy, never from the CSR, and every issuance in the ledger first.
 */
#ifndef PKI_SIGN_H
#define PKI_SIGN_H

#include <time.h>

#include <pki/bundle.h>
#include <pki/ca.h>
#include <pki/csr.h>
#include <pki/error.h>
#include <pki/ledger.h>
#include <pki/policy.h>
#include <pki/profile.h>

/*
 * Holds a CSR against its profile and the policy for `node` (the bundle's
 * node name): the self-signature verifies; the key is RSA of 2048 bits or
 * more, ECDSA P-256 or P-384, or Ed25519 where the profile allows it; the
 * subject is exactly one CN and the exact set of O values the profile gives
 * for that node, nothing else; SANs are DNS and IP only, none for a
 * profile without SANs, each allowed by the policy (wildcards only when
 * the policy lists that wildcard), no control characters or NUL; the node
 * is one the policy allows when the profile's subject or SANs name the
 * node. Each reason for refusal is added to *refusals (one line each, in
 * our words); requested extensions other than subjectAltName are noted in
 * *notes (they are ignored, never copied). Returns -1 only when the check
 * cannot run.
 */
int pki_sign_check(const struct pki_profile *p, const struct pki_policy *pol,
	const char *node, const struct pki_csr *csr, struct pki_names *refusals,
	struct pki_names *notes, struct pki_err *err) PKI_WUR;

/*
 * Issues the certificate for a CSR that passed pki_sign_check(): subject
 * from the profile, SANs the CSR's (as checked), key usage (critical),
 * extended key usages and basicConstraints CA:FALSE (critical) from the
 * profile, subject and authority key identifiers, the given serial,
 * validity from now - 5 min to now + min(profile validity, policy maximum),
 * never past the CA's own notAfter, signed by the CA. Refused when now lies
 * outside the validity of the CA or of its chain (pki_ca_check_time()).
 * Free *out with pki_cert_free().
 */
int pki_sign_issue(const struct pki_ca *ca, const struct pki_profile *p,
	const struct pki_policy *pol, const char *node, const struct pki_csr *csr,
	const unsigned char *serial, size_t serial_len, time_t now, struct pki_cert **out,
	struct pki_err *err) PKI_WUR;

#endif
