/*
 * install.h — a signed bundle back into the node's PKI directory: each
 * certificate checked against its key, its CA and its profile, swapped in
 * with its key, the previous pair backed up first, and the kubeconfig
 * files written. All or nothing: a failure before the swap leaves the
 * directories exactly as they were; a crash during the swap is finished by
 * running the same install again.
 *
 * When a pair changes both its key and its certificate (a renewal with a
 * new key), the directory that holds it (the cert dir, or the kubelet's)
 * is copied beside itself, the new files are put in the copy, and the
 * two are exchanged at once (renameat2 RENAME_EXCHANGE): at every instant
 * each pair is wholly old or wholly new. The previous tree is kept whole
 * (running components may hold it open) in the backup folder, or beside
 * the directory when that is on another filesystem. in_place replaces the
 * files one by one instead (a mount point, a filesystem without
 * RENAME_EXCHANGE): a kill between a key and its certificate then leaves
 * the pair mixed until the install is run again.
 */
#ifndef PKI_INSTALL_H
#define PKI_INSTALL_H

#include <time.h>

#include <pki/bundle.h>
#include <pki/kubeadm.h>
#include <pki/profile.h>

struct pki_install_opts {
	const struct pki_profile_set *set;
	const struct pki_kubeadm *cfg;	/* NULL, or the node's configuration */
	const char *cert_dir;		/* e.g. /etc/kubernetes/pki */
	const char *kc_dir;		/* e.g. /etc/kubernetes */
	const char *kubelet_dir;	/* NULL: /var/lib/kubelet/pki */
	const char *server;		/* the control-plane endpoint; never for the kubeconfigs
				 * of the local endpoint. NULL: from cfg, else the
				 * existing kubeconfig's */
	const char *cluster_name;	/* NULL: cfg's clusterName, else the bundle's cluster,
				 * else "kubernetes" */
	/* first install only: take the CA certificates from the bundle, each of
	 * whose SHA-256 ("SHA256:<hex>") must be listed here */
	int trust_bundle_ca;
	const struct pki_names *expect_ca_fingerprints;
	int embed;			/* 1: embedded data; 0: file references */
	int dry_run;			/* check everything, write nothing */
	int in_place;			/* never swap a directory whole */
	time_t now;
};

/*
 * Installs every entry of a signed bundle. Each line of *report says what
 * was done to which file ("installed", "already installed", "backed up
 * to"); in a dry run, and when the call fails, what would have been done
 * ("would install"): a caller prints *report only on success. Refusals (a certificate that does not match its key, does not
 * chain to the cert dir's CA, does not fit its profile; a target path
 * that is a symlink) are listed in *refusals, one line each, and nothing
 * is written; the call then returns -1 with PKI_E_INVALID.
 */
int pki_install_bundle(const struct pki_install_opts *o, const struct pki_bundle *b,
	struct pki_names *report, struct pki_names *refusals, struct pki_err *err) PKI_WUR;

#endif
