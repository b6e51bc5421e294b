/*
 * kubeconfig.h — reading kubeconfig files (clientcmd v1 YAML).
 */
#ifndef PKI_KUBECONFIG_H
#define PKI_KUBECONFIG_H

#include <pki/error.h>
#include <pki/file.h>
#include <pki/cert.h>
#include <pki/key.h>

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

/*
 * The certificate-authority-data of a kubeconfig made from a CA file's
 * text: each CERTIFICATE block parsed and exported again, as kubeadm's
 * EncodeCertPEM does, so nothing else the file holds reaches a kubeconfig.
 * A file holding any other PEM block (a private key beside the CA
 * certificate), or no certificate, is refused with PKI_E_INVALID. `name`
 * names the file in messages. *out is set only on success.
 */
int pki_kubeconfig_ca_pem(const unsigned char *data, size_t len, const char *name,
	struct pki_buf *out, struct pki_err *err) PKI_WUR;

/* One kubeconfig from a client certificate, its key and its CA's file. */
struct pki_kubeconfig_single {
	const char *cert_path, *key_path, *ca_path;
	const char *server;
	const char *cluster;	/* NULL: "kubernetes" */
	const char *user;	/* NULL: the certificate's CN */
	const char *context;	/* NULL: "<user>@<cluster>" */
};

/*
 * Reads the three files, checks that the key is the certificate's and that
 * the first certificate of the CA file issued it (PKI_E_INVALID when not),
 * and renders the kubeconfig with embedded data (the CA data as
 * pki_kubeconfig_ca_pem() makes it). A certificate without a CN and no
 * user is PKI_E_USAGE. *out holds the key: free it with pki_buf_free().
 */
int pki_kubeconfig_single(const struct pki_kubeconfig_single *s, struct pki_buf *out,
	struct pki_err *err) PKI_WUR;

#endif
