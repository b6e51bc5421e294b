/*
 * ca.h — the kubeadm CAs on the CA host: creating them, making CSRs for an
 * organisation's root to sign them as intermediates, importing those, and
 * loading one to sign with. The key is a file (0600) in the CA directory,
 * laid out as kubeadm lays out its cert dir (ca.key, etcd/ca.key,
 * front-proxy-ca.key), or an object in a PKCS#11 token (RFC 7512 URI).
 */
#ifndef PKI_CA_H
#define PKI_CA_H

#include <stdint.h>
#include <time.h>

#include <pki/cert.h>
#include <pki/error.h>
#include <pki/key.h>
#include <pki/profile.h>

struct pki_ca_opts {
	const char *ca_dir;
	const struct pki_profile_set *set;
	/*
	 * NULL: key files in ca_dir. Else a PKCS#11 URI ("pkcs11:token=kpki")
	 * naming the token; each CA's key is the private-key object whose label
	 * is the CA's profile name ("ca", "etcd-ca", "front-proxy-ca") unless
	 * the URI names an object itself.
	 */
	const char *key_uri;
	/* The token PIN: read from this file (first line), else from the
	 * environment variable KPKI_PKCS11_PIN; never from the command line. */
	const char *pin_file;
};

struct pki_ca;

/*
 * Loads the CA of the given profile name (kind ca) to sign with: its
 * certificate (<path>.crt: the CA certificate, then any chain up to an
 * organisation's root) and its key, which must match the certificate.
 * Free with pki_ca_free() (wipes a key file's material).
 */
int pki_ca_load(const struct pki_ca_opts *o, const char *name, struct pki_ca **out,
	struct pki_err *err) PKI_WUR;
void pki_ca_free(struct pki_ca *ca);

const struct pki_profile *pki_ca_profile(const struct pki_ca *ca);
const struct pki_cert *pki_ca_cert(const struct pki_ca *ca);
/* The chain above the CA certificate (empty for a self-signed CA). */
size_t pki_ca_chain_count(const struct pki_ca *ca);
const struct pki_cert *pki_ca_chain_at(const struct pki_ca *ca, size_t i);

/*
 * Whether `now` lies within the validity of the CA certificate and of each
 * certificate of its chain (notBefore and notAfter included, RFC 5280
 * 4.1.2.5). A CA is not signed with outside it: a CA made moments ago that
 * is "not yet valid" means this host's clock (or $KPKI_NOW) is behind, and
 * what it signed would be dated by that clock. PKI_E_INVALID, naming the
 * certificate, the time and the validity, otherwise.
 */
int pki_ca_check_time(const struct pki_ca *ca, time_t now, struct pki_err *err) PKI_WUR;

/*
 * Creates every CA of the set (as kubeadm makes them, plus a subject key
 * identifier): key (0600 file, or a non-extractable, sensitive key
 * generated in the token), self-signed certificate (0644) valid from
 * now - 5 min for `validity` seconds (0: the profile's). Refuses, before
 * writing anything, when any of the CAs' files (or token objects) exists:
 * an existing CA is never overwritten. Adds each path written to *written.
 */
int pki_ca_init(const struct pki_ca_opts *o, enum pki_key_type type, int64_t validity,
	time_t now, struct pki_names *written, struct pki_err *err) PKI_WUR;

/*
 * Instead of self-signing: makes each CA's key as pki_ca_init() does and a
 * CSR <path>.csr (0644) asking for a CA certificate with the profile's
 * subject, for an organisation's root to sign as an intermediate.
 */
int pki_ca_init_csr(const struct pki_ca_opts *o, enum pki_key_type type, time_t now,
	struct pki_names *written, struct pki_err *err) PKI_WUR;

/*
 * Installs the signed intermediate for CA `name` from a PEM file holding
 * the CA certificate first and then its chain: the certificate must match
 * the key made by pki_ca_init_csr(), be a CA allowed to sign certificates,
 * carry the profile's subject, and chain through the given certificates.
 * Writes <path>.crt (certificate then chain) and removes <path>.csr.
 */
int pki_ca_import(const struct pki_ca_opts *o, const char *name, const char *pem_path,
	struct pki_err *err) PKI_WUR;

#endif
