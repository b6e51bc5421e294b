/*
 * profile.h — certificate profiles, loaded from YAML templates.
 *
 * A profile set (templates/<name>.yaml) describes every certificate of one
 * kubeadm generation: the CAs, the leaf certificates and the kubeconfig
 * client certificates. The format is documented in kpki-profile(5).
 */
#ifndef PKI_PROFILE_H
#define PKI_PROFILE_H

#include <stdint.h>

#include <pki/cert.h>
#include <pki/error.h>
#include <pki/kubeadm.h>

enum pki_profile_kind {
	PKI_PROFILE_CA,		/* a CA certificate in the cert dir */
	PKI_PROFILE_CERT,	/* a leaf certificate in the cert dir */
	PKI_PROFILE_KUBECONFIG, /* a client certificate inside a kubeconfig */
};

enum pki_profile_server {
	PKI_SERVER_NONE,
	PKI_SERVER_CONTROL_PLANE, /* controlPlaneEndpoint, else the local endpoint */
	PKI_SERVER_LOCAL,	  /* the local API endpoint */
};

/* which nodes need a certificate */
#define PKI_ROLE_CONTROL_PLANE 0x1u
#define PKI_ROLE_WORKER	       0x2u

/* "control-plane" or "worker" to PKI_ROLE_*. */
int pki_role_parse(const char *s, unsigned *out, struct pki_err *err) PKI_WUR;

struct pki_profile_set;
struct pki_profile;

/*
 * Loads a profile set. `ref` is a path (it contains '/' or ends in ".yaml")
 * or a set name looked up in the templates directory ($KPKI_TEMPLATES_DIR,
 * else the installed one); NULL picks the set for the newest kubeadm.
 * Unknown keys, missing fields, unknown usage names and references to
 * unknown CAs are errors naming the file and line. Free with
 * pki_profile_set_free().
 */
int pki_profile_set_load(const char *ref, struct pki_profile_set **out,
	struct pki_err *err) PKI_WUR;
int pki_profile_set_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_profile_set **out, struct pki_err *err) PKI_WUR;
void pki_profile_set_free(struct pki_profile_set *set);

/* The directory templates are read from. */
const char *pki_templates_dir(void);

const char *pki_profile_set_name(const struct pki_profile_set *set);
const char *pki_profile_set_description(const struct pki_profile_set *set);
size_t pki_profile_set_count(const struct pki_profile_set *set);
/* Profiles in file order; borrowed from the set. */
const struct pki_profile *pki_profile_set_at(const struct pki_profile_set *set, size_t i);
/* By name ("apiserver", "etcd-server", "admin.conf", "ca"); NULL if none. */
const struct pki_profile *pki_profile_set_find(const struct pki_profile_set *set,
	const char *name);

const char *pki_profile_name(const struct pki_profile *p);
enum pki_profile_kind pki_profile_kind(const struct pki_profile *p);
/* CA and CERT: base path under the cert dir ("etcd/server"; files .crt and
 * .key). KUBECONFIG: file name under the kubeconfig dir ("admin.conf"). */
const char *pki_profile_path(const struct pki_profile *p);
enum pki_profile_location {
	PKI_LOC_CERT_DIR,	/* /etc/kubernetes/pki */
	PKI_LOC_KUBECONFIG_DIR, /* /etc/kubernetes */
	PKI_LOC_KUBELET_DIR,	/* /var/lib/kubelet/pki (the kubelet serving cert) */
};
enum pki_profile_location pki_profile_location(const struct pki_profile *p);
/* The signing CA's profile name; NULL for a CA. */
const char *pki_profile_ca(const struct pki_profile *p);
unsigned pki_profile_key_usage(const struct pki_profile *p);
/* Extended key usages as dotted OIDs. */
const struct pki_names *pki_profile_ext_key_usage(const struct pki_profile *p);
/* Default validity in seconds (the kubeadm configuration may override). */
int64_t pki_profile_validity(const struct pki_profile *p);
/* Shown by `kubeadm certs check-expiration`. */
int pki_profile_in_expiration_report(const struct pki_profile *p);
/* Needs a local etcd (left out with external etcd). */
int pki_profile_needs_local_etcd(const struct pki_profile *p);
/* PKI_ROLE_* bits. */
unsigned pki_profile_roles(const struct pki_profile *p);
enum pki_profile_server pki_profile_server(const struct pki_profile *p);
/* 1 when a node may lack the file (super-admin.conf exists only on the
 * node where kubeadm init ran). */
int pki_profile_optional(const struct pki_profile *p);
/* 1 when the profile allows Ed25519 keys. */
int pki_profile_allows_ed25519(const struct pki_profile *p);

/*
 * The concrete subject for a configuration: CN and the O values, with
 * variables (${nodeName}, ...) expanded. With cfg NULL the templates are
 * returned unexpanded (for display and for --verify without a config).
 */
int pki_profile_subject(const struct pki_profile *p, const struct pki_kubeadm *cfg,
	char **cn, struct pki_names *org, struct pki_err *err) PKI_WUR;

/*
 * The SANs kubeadm would put in the certificate for cfg: every source is
 * expanded (with cfg NULL only the sources without a variable, such as
 * "kubernetes" or "127.0.0.1"), each value is an IP if it parses as one, else a DNS name if it
 * is an RFC 1123 subdomain (or wildcard); DNS names are de-duplicated and
 * sorted, IPs de-duplicated keeping first-seen order (kubeadm's rules).
 */
int pki_profile_sans(const struct pki_profile *p, const struct pki_kubeadm *cfg,
	struct pki_names *dns, struct pki_names *ip, struct pki_err *err) PKI_WUR;

/* 1 when the profile carries SANs at all. */
int pki_profile_has_sans(const struct pki_profile *p);

#endif
