/*
 * kubeadm.h — what the profiles need from a kubeadm configuration file.
 *
 * Reads the multi-document YAML kubeadm takes (InitConfiguration,
 * ClusterConfiguration, JoinConfiguration; kubeadm.k8s.io/v1beta2, v1beta3,
 * v1beta4), applies kubeadm's defaults, and derives the values certificate
 * profiles use. Other kinds (KubeletConfiguration, ...) are skipped, as
 * kubeadm does.
 */
#ifndef PKI_KUBEADM_H
#define PKI_KUBEADM_H

#include <stdint.h>

#include <pki/cert.h>
#include <pki/error.h>
#include <pki/key.h>

struct pki_kubeadm;

/* Parses a configuration; free with pki_kubeadm_free(). */
int pki_kubeadm_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_kubeadm **out, struct pki_err *err) PKI_WUR;
int pki_kubeadm_load(const char *path, struct pki_kubeadm **out,
	struct pki_err *err) PKI_WUR;

/* kubeadm's defaults alone (no node name, no advertise address). */
int pki_kubeadm_defaults(struct pki_kubeadm **out, struct pki_err *err) PKI_WUR;

void pki_kubeadm_free(struct pki_kubeadm *cfg);

/* Values as kubeadm derives them; strings are "" when unset. */
const char *pki_kubeadm_api_version(const struct pki_kubeadm *cfg);
const char *pki_kubeadm_node_name(const struct pki_kubeadm *cfg);
const char *pki_kubeadm_advertise_address(const struct pki_kubeadm *cfg);
unsigned pki_kubeadm_bind_port(const struct pki_kubeadm *cfg);
/* host part of controlPlaneEndpoint ("" when unset) and its port (bindPort when absent) */
const char *pki_kubeadm_cpe_host(const struct pki_kubeadm *cfg);
unsigned pki_kubeadm_cpe_port(const struct pki_kubeadm *cfg);
const char *pki_kubeadm_service_subnet(const struct pki_kubeadm *cfg);
/* the first address of the first service subnet (10.96.0.0/12 -> 10.96.0.1) */
const char *pki_kubeadm_service_vip(const struct pki_kubeadm *cfg);
const char *pki_kubeadm_dns_domain(const struct pki_kubeadm *cfg);
const char *pki_kubeadm_cluster_name(const struct pki_kubeadm *cfg);
const char *pki_kubeadm_certificates_dir(const struct pki_kubeadm *cfg);
const struct pki_names *pki_kubeadm_apiserver_cert_sans(const struct pki_kubeadm *cfg);
const struct pki_names *pki_kubeadm_etcd_server_cert_sans(const struct pki_kubeadm *cfg);
const struct pki_names *pki_kubeadm_etcd_peer_cert_sans(const struct pki_kubeadm *cfg);
int pki_kubeadm_external_etcd(const struct pki_kubeadm *cfg);
enum pki_key_type pki_kubeadm_key_type(const struct pki_kubeadm *cfg);
int64_t pki_kubeadm_cert_validity(const struct pki_kubeadm *cfg);	/* seconds */
int64_t pki_kubeadm_ca_validity(const struct pki_kubeadm *cfg);	/* seconds */

/*
 * Which documents the configuration had. A JoinConfiguration alone parses,
 * but lacks the cluster's settings (controlPlaneEndpoint, certSANs,
 * clusterName, ...): kubeadm join fetches them from the cluster.
 * pki_kubeadm_defaults() has neither.
 */
int pki_kubeadm_has_cluster_configuration(const struct pki_kubeadm *cfg);
int pki_kubeadm_has_init_configuration(const struct pki_kubeadm *cfg);

/*
 * For everything that derives certificates or kubeconfigs from a
 * configuration: fails (PKI_E_INVALID) with a message saying how to add the
 * cluster's settings when there is no ClusterConfiguration document.
 */
int pki_kubeadm_require_cluster(const struct pki_kubeadm *cfg,
	struct pki_err *err) PKI_WUR;

/* The server URLs kubeadm writes into kubeconfigs: the control-plane
 * endpoint and the local API endpoint ("https://host:port", IPv6 bracketed). */
int pki_kubeadm_cpe_url(const struct pki_kubeadm *cfg, char **out,
	struct pki_err *err) PKI_WUR;
int pki_kubeadm_local_url(const struct pki_kubeadm *cfg, char **out,
	struct pki_err *err) PKI_WUR;

/*
 * Looks up a profile variable by name: nodeName, advertiseAddress,
 * serviceVIP, dnsDomain, clusterName, controlPlaneEndpointHost (scalars)
 * and apiServer.certSANs, etcd.serverCertSANs, etcd.peerCertSANs (lists).
 * Adds the value(s) to *out; an unset scalar adds nothing. Returns -1 for
 * an unknown variable name.
 */
int pki_kubeadm_var(const struct pki_kubeadm *cfg, const char *var,
	struct pki_names *out, struct pki_err *err) PKI_WUR;

#endif
