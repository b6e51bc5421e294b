/*
 * policy.h — the CA-side policy: what names and addresses one cluster's
 * certificates may carry. It lives on the CA host; nothing in a bundle can
 * widen it. The format is documented in kpki-policy(5).
 */
#ifndef PKI_POLICY_H
#define PKI_POLICY_H

#include <stdint.h>

#include <pki/cert.h>
#include <pki/error.h>

struct pki_policy;

/* Reads a policy file; unknown keys, bad CIDRs and bad names are errors
 * naming the file and line. Free with pki_policy_free(). */
int pki_policy_load(const char *path, struct pki_policy **out, struct pki_err *err) PKI_WUR;
int pki_policy_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_policy **out, struct pki_err *err) PKI_WUR;
void pki_policy_free(struct pki_policy *pol);

const char *pki_policy_name(const struct pki_policy *pol);
/* The cluster name a bundle must carry. */
const char *pki_policy_cluster(const struct pki_policy *pol);
/* The profile set name the CA signs with. */
const char *pki_policy_profiles(const struct pki_policy *pol);
/* Longest validity the CA grants, in seconds (0: the profile's). */
int64_t pki_policy_max_validity(const struct pki_policy *pol);

/* 1 when node may be issued certificates: a lower-case name listed exactly
 * under nodes (the control plane) or workers; else 0. */
int pki_policy_node_allowed(const struct pki_policy *pol, const char *node);
/* 1 when node is listed under workers: it may be issued only the profiles
 * whose roles include worker. */
int pki_policy_node_is_worker(const struct pki_policy *pol, const char *node);
/* 1 when the profile is listed under certificates (the profiles this
 * cluster's nodes may be issued), else 0. */
int pki_policy_profile_allowed(const struct pki_policy *pol, const char *profile);

/*
 * 1 when the DNS name is allowed: listed exactly, under an allowed suffix
 * (".example.internal" allows "a.example.internal", not
 * "example.internal"), or, for a wildcard ("*.apps.example.com"), listed
 * as that exact wildcard. The node names (workers too) are allowed DNS names.
 * Comparison is case-insensitive (RFC 4343). 0 when not allowed.
 */
int pki_policy_dns_allowed(const struct pki_policy *pol, const char *name);

/* 1 when the IP (text, IPv4 or IPv6) lies in an allowed range. */
int pki_policy_ip_allowed(const struct pki_policy *pol, const char *ip);

#endif
