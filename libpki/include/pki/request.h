/*
 * request.h — a node's certificate requests, as kpki-csr makes them.
 *
 * Planning decides, before anything is written, which certificates and
 * kubeconfigs of a profile set this node needs, the subject and SANs of
 * each request and where each private key is (or will be). Execution then
 * makes the keys and CSRs, writes the keys and writes the CSR bundle
 * (bundle.h). Private keys never enter the bundle.
 *
 * Keys, in the cert dir and never overwritten:
 *   - a certificate whose key <cert-dir>/<path>.key does not exist gets a
 *     new key there (a new cluster);
 *   - a key whose certificate <path>.crt does not exist yet is a pending
 *     request: its key is reused;
 *   - a key and certificate both present (a second run, a renewal): the new
 *     key is staged in <cert-dir>/kpki-staging/<profile>.key, reused if it
 *     is already there; kpki-kubeconfig later swaps key and certificate
 *     together;
 *   - kubeconfig client keys are always staged there ("admin.conf.key").
 * The staging directory must be a directory (not a link) owned by the
 * effective user, mode 0700; staged keys are written through the directory
 * opened and checked. A reused key must be of a type kubeadm accepts, of
 * the type asked for (--key-type or the configuration's
 * encryptionAlgorithm; not with PKI_REQUEST_REUSE_KEY, which keeps the
 * current keys whatever their type), and a staged key must not be the key
 * of the certificate in place (renewing with it would replace nothing).
 *
 * Optional profiles (super-admin.conf, made by kubeadm only on the node
 * where `kubeadm init` runs, whose init needs it from 1.29 on) are
 * requested by default for a control-plane node whose configuration has an
 * InitConfiguration, otherwise only when `only` names them, or, renewing,
 * where their file exists. A configuration without a ClusterConfiguration
 * is refused (pki_kubeadm_require_cluster()).
 */
#ifndef PKI_REQUEST_H
#define PKI_REQUEST_H

#include <time.h>

#include <pki/cert.h>
#include <pki/error.h>
#include <pki/file.h>
#include <pki/key.h>
#include <pki/kubeadm.h>
#include <pki/profile.h>

/* The staging directory's name under the cert dir. */
#define PKI_STAGING_DIR "kpki-staging"

/* pki_request_opts flags */
#define PKI_REQUEST_RENEW	  0x1u /* subjects and SANs from the existing certificates */
#define PKI_REQUEST_REUSE_KEY	  0x2u /* renew with the current key (cert-dir profiles only) */
#define PKI_REQUEST_PREFER_CONFIG 0x4u /* renew: the configuration wins over the certificate */
#define PKI_REQUEST_PLAN_ONLY	  0x8u /* a dry run: no execute follows (a shared lock) */

struct pki_request_opts {
	const struct pki_profile_set *set;
	/* required without PKI_REQUEST_RENEW; with it, compared against */
	const struct pki_kubeadm *cfg;
	const char *cfg_name;	 /* the configuration's file name, for messages */
	const char *cert_dir;	 /* NULL: cfg's certificatesDir, else /etc/kubernetes/pki */
	const char *kc_dir;	 /* NULL: /etc/kubernetes */
	const char *kubelet_dir; /* NULL: /var/lib/kubelet/pki */
	unsigned role;		 /* PKI_ROLE_CONTROL_PLANE (also 0) or PKI_ROLE_WORKER */
	/* profile names; NULL or empty: every profile the node needs */
	const struct pki_names *only;
	/* NULL: the configuration's encryptionAlgorithm, else (renewing) the
	 * existing certificate's key type */
	const enum pki_key_type *key_type;
	unsigned flags;		 /* PKI_REQUEST_* */
};

struct pki_request;

/*
 * Plans the requests: checks the options and the configuration, reads the
 * existing certificates, kubeconfigs and keys it needs, and decides every
 * file to write. Nothing is written. Errors a user made on the command line
 * (an unknown profile name, options that do not go together) have code
 * PKI_E_USAGE. Free with pki_request_free().
 */
int pki_request_plan(const struct pki_request_opts *o, struct pki_request **out,
	struct pki_err *err) PKI_WUR;
void pki_request_free(struct pki_request *r);

/* Things the user should know, one line each: profiles skipped, differences
 * between an existing certificate and the configuration. */
const struct pki_names *pki_request_notes(const struct pki_request *r);

/* The number of requests planned. */
size_t pki_request_count(const struct pki_request *r);

/*
 * The plan as text for people: each key (new or reused, and where), each
 * request's subject and SANs, and the bundle (bundle_path, "-" for
 * standard output).
 */
int pki_request_describe(const struct pki_request *r, const char *bundle_path,
	struct pki_buf *out, struct pki_err *err) PKI_WUR;

/*
 * Carries the plan out: checks bundle_path, makes the new keys, makes and
 * checks every CSR, builds the bundle (made at `now`), writes the new keys
 * (0600 from the start, never replacing a file), then writes the bundle to
 * bundle_path (0644) or, for "-", to standard output. bundle_path must be
 * in an existing directory outside the cert, staging, kubeconfig and
 * kubelet directories (compared after resolving links; PKI_E_USAGE), and
 * an existing file there is replaced only when it is a CSR bundle (not a
 * signed one; PKI_E_EXISTS otherwise). When a write fails, the keys and the
 * directories this call made are removed again. Sets the bundle's
 * fingerprint ("SHA256:<hex>").
 */
int pki_request_execute(struct pki_request *r, const char *bundle_path, time_t now,
	char fingerprint[72], struct pki_err *err) PKI_WUR;

#endif
