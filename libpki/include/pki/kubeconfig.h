/*
 * kubeconfig.h — reading kubeconfig files (clientcmd v1 YAML).
 */
#ifndef PKI_KUBECONFIG_H
#define PKI_KUBECONFIG_H

#include <pki/error.h>
#include <pki/file.h>

struct pki_kubeconfig;

/*
 * Parses a kubeconfig and resolves current-context to its cluster and
 * user. Embedded data (certificate-authority-data, client-certificate-data,
 * client-key-data) is base64-decoded; malformed base64 is an error naming
 * the file and field. Free with pki_kubeconfig_free() (wipes the key).
 */
int pki_kubeconfig_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_kubeconfig **out, struct pki_err *err) PKI_WUR;
int pki_kubeconfig_load(const char *path, struct pki_kubeconfig **out,
	struct pki_err *err) PKI_WUR;
void pki_kubeconfig_free(struct pki_kubeconfig *kc);

const char *pki_kubeconfig_current_context(const struct pki_kubeconfig *kc);
const char *pki_kubeconfig_cluster_name(const struct pki_kubeconfig *kc);
const char *pki_kubeconfig_user_name(const struct pki_kubeconfig *kc);
const char *pki_kubeconfig_server(const struct pki_kubeconfig *kc);

/* Embedded data, decoded (NULL/0 when absent); borrowed from kc. */
const struct pki_buf *pki_kubeconfig_ca_data(const struct pki_kubeconfig *kc);
const struct pki_buf *pki_kubeconfig_client_cert_data(const struct pki_kubeconfig *kc);
const struct pki_buf *pki_kubeconfig_client_key_data(const struct pki_kubeconfig *kc);
/* File references (NULL when absent). */
const char *pki_kubeconfig_ca_file(const struct pki_kubeconfig *kc);
const char *pki_kubeconfig_client_cert_file(const struct pki_kubeconfig *kc);
const char *pki_kubeconfig_client_key_file(const struct pki_kubeconfig *kc);

/* ---- writing -------------------------------------------------------------- */

/* What one kubeconfig says, for pki_kubeconfig_render(). */
struct pki_kubeconfig_spec {
	const char *cluster;	/* cluster entry name (kubeadm: clusterName) */
	const char *user;	/* user entry name (kubeadm: the client CN) */
	const char *context;	/* NULL: "<user>@<cluster>", as kubeadm names it */
	const char *server;	/* "https://host:port" */
	/* embedded data (PEM), or file references when the *_file is set */
	const struct pki_buf *ca_pem, *cert_pem, *key_pem;
	const char *ca_file, *cert_file, *key_file;
};

/* Renders a kubeconfig as kubeadm writes one (apiVersion v1, kind Config,
 * one cluster, context and user, current-context set). The output holds the
 * key when key_pem is given: wipe it (pki_buf_free). */
int pki_kubeconfig_render(const struct pki_kubeconfig_spec *s, struct pki_buf *out,
	struct pki_err *err) PKI_WUR;

#endif
