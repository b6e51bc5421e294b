/*
 * pkidir.h — a kubeadm PKI directory checked against its profiles.
 */
#ifndef PKI_PKIDIR_H
#define PKI_PKIDIR_H

#include <time.h>

#include <pki/cert.h>
#include <pki/error.h>
#include <pki/kubeadm.h>
#include <pki/profile.h>
#include <pki/report.h>

/*
 * Checks every certificate of the set found in cert_dir and kc_dir: it
 * chains to the right CA, its key usage and extended key usages are exactly
 * the profile's, subject and SANs fit (against cfg when given, else the
 * profile's fixed parts), the private key on disk matches, the kubeconfigs'
 * CA data equals ca.crt. Each problem is added to *findings as one line
 * "<file>: <problem>". `roles` (PKI_ROLE_*; 0 means a control-plane node)
 * selects the profiles the node needs: a file of theirs that is absent is a
 * finding unless the profile is optional. The intent file of an
 * interrupted kpki-kubeconfig install (pki_pkidir_intent()), or anything
 * else at its path, is the first finding: the files may be half renewed.
 * Returns -1 only when the check itself cannot run, or when no certificate
 * at all was found.
 */
int pki_pkidir_verify(const struct pki_profile_set *set, const char *cert_dir,
	const char *kc_dir, const struct pki_kubeadm *cfg, unsigned roles, time_t now,
	struct pki_names *findings, struct pki_err *err) PKI_WUR;

/*
 * Checks one certificate of profile p as pki_pkidir_verify() does: key
 * usage and extended key usages exactly the profile's, subject and SANs
 * (exactly those cfg derives when cfg is given), key strength, signature
 * hash, serial, dates against now, and the signature of its CA: `ca` when
 * not NULL, else the CA certificate found in cert_dir. Each problem is
 * added to *findings as "<file>: <problem>". Returns -1 only when the
 * check itself cannot run.
 */
int pki_pkidir_check_cert(const struct pki_profile_set *set, const char *cert_dir,
	const struct pki_kubeadm *cfg, const struct pki_profile *p, const char *file,
	const struct pki_cert *cert, const struct pki_cert *ca, time_t now,
	struct pki_names *findings, struct pki_err *err) PKI_WUR;

/*
 * The file kpki-kubeconfig keeps in <cert-dir>/kpki-staging/ while it
 * installs (kpki-kubeconfig(1)); one left behind means an install was
 * interrupted and is finished by running the same command again.
 */
#define PKI_INSTALL_INTENT "kpki-install.intent"

/*
 * Looks for the intent file of an interrupted install in cert_dir, never
 * following a link (neither the staging directory nor the file: a
 * staging directory that is a link or no directory holds no intent).
 * Returns 1 when something is there: *path names it (free it) and *kind is
 * NULL for a regular file, else what it is instead ("a symbolic link",
 * "a directory", "a special file"). Returns 0 when nothing is there, -1
 * when it cannot tell (a staging directory it may not search).
 */
int pki_pkidir_intent(const char *cert_dir, char **path, const char **kind,
	struct pki_err *err) PKI_WUR;

/* Renders findings: one line each, or {"problems": [...]} in JSON/YAML. */
int pki_pkidir_render_findings(const struct pki_names *findings, enum pki_format fmt,
	struct pki_buf *out, struct pki_err *err) PKI_WUR;

#endif
