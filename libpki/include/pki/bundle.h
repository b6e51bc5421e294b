/*
 * bundle.h — the CSR bundle: one self-describing YAML file that carries a
 * node's certificate requests to the CA team (and, signed, back). It never
 * holds a private key. The format is documented in kpki-bundle(5).
 */
#ifndef PKI_BUNDLE_H
#define PKI_BUNDLE_H

#include <time.h>

#include <pki/csr.h>
#include <pki/error.h>
#include <pki/file.h>
#include <pki/profile.h>

/* Bundles, entries and CSRs are capped when read. */
#define PKI_BUNDLE_MAX_ENTRIES 64

struct pki_bundle;
struct pki_bundle_entry;

/*
 * A new, empty bundle. `profiles` is the profile set's name (as
 * pki_profile_set_name() gives it), `cluster` the cluster name, `node` the
 * node name (may be ""), `created` the time it was made. Free with
 * pki_bundle_free().
 */
int pki_bundle_new(const char *profiles, const char *cluster, const char *node,
	time_t created, struct pki_bundle **out, struct pki_err *err) PKI_WUR;
void pki_bundle_free(struct pki_bundle *b);

/*
 * Adds a request for the profile p of the bundle's set. The entry's name is
 * the profile's name, its location and path the profile's certificate
 * target ("apiserver.crt", "etcd/server.crt" under the cert dir;
 * "admin.conf" under the kubeconfig dir). The CSR is copied. A second entry
 * for the same profile is refused.
 */
int pki_bundle_add(struct pki_bundle *b, const struct pki_profile *p,
	const struct pki_csr *csr, struct pki_err *err) PKI_WUR;

/*
 * Reads a bundle. Every entry is checked against the profile set: its name
 * must be a profile of the set, its location and path exactly that
 * profile's target (so no path can leave the PKI layout: no "..", no
 * absolute path, no NUL), and its CSR must parse. With set NULL the set
 * named by the bundle is loaded from the templates directory (by name
 * only: a bundle cannot point at a profile file). A signed bundle is read
 * whole or refused: every entry's certificate for its CSR's key, issued by
 * one of its `ca-certificates` (kpki-bundle(5), SIGNED BUNDLES). Free with
 * pki_bundle_free().
 */
int pki_bundle_parse(const unsigned char *data, size_t len, const char *name,
	const struct pki_profile_set *set, struct pki_bundle **out,
	struct pki_err *err) PKI_WUR;
int pki_bundle_load(const char *path, const struct pki_profile_set *set,
	struct pki_bundle **out, struct pki_err *err) PKI_WUR;

/* The bundle as YAML text. */
int pki_bundle_write(const struct pki_bundle *b, struct pki_buf *out,
	struct pki_err *err) PKI_WUR;

/*
 * "SHA256:<64 lower-case hex>" over the bundle's canonical content: the
 * same content gives the same fingerprint whatever the field order, entry
 * order, PEM line breaks or line endings of the file it was read from.
 */
int pki_bundle_fingerprint(const struct pki_bundle *b, char out[72],
	struct pki_err *err) PKI_WUR;

const char *pki_bundle_profiles(const struct pki_bundle *b);
const char *pki_bundle_cluster(const struct pki_bundle *b);
const char *pki_bundle_node(const struct pki_bundle *b);
time_t pki_bundle_created(const struct pki_bundle *b);
size_t pki_bundle_count(const struct pki_bundle *b);
/* Entries in file order; borrowed from the bundle. */
const struct pki_bundle_entry *pki_bundle_at(const struct pki_bundle *b, size_t i);

const char *pki_bundle_entry_name(const struct pki_bundle_entry *e);
enum pki_profile_location pki_bundle_entry_location(const struct pki_bundle_entry *e);
const char *pki_bundle_entry_path(const struct pki_bundle_entry *e);
const struct pki_csr *pki_bundle_entry_csr(const struct pki_bundle_entry *e);

/* ---- signed bundles: kpki-sign's answer ------------------------------- */

/*
 * Sets entry i's certificate (copied; a previous one is replaced). It must
 * certify the key of the entry's CSR and not be a CA certificate; a refused
 * certificate leaves the entry as it was. A bundle whose every entry has
 * its certificate is a signed bundle; it is written with each entry's
 * `certificate` and the top-level `ca-certificates`, and only whole: the
 * writer refuses a bundle with some certificates or CAs but not a
 * certificate for every entry and at least one CA. The fingerprint does
 * not change: it covers the request fields only.
 */
int pki_bundle_set_certificate(struct pki_bundle *b, size_t i, const struct pki_cert *cert,
	struct pki_err *err) PKI_WUR;
/* Adds a CA certificate the entries chain to (copied; a repeat is ignored).
 * It must be a CA (basicConstraints cA true); at most 16. */
int pki_bundle_add_ca(struct pki_bundle *b, const struct pki_cert *ca,
	struct pki_err *err) PKI_WUR;

/* 1 when every entry has its certificate. */
int pki_bundle_is_signed(const struct pki_bundle *b);
/* The entry's certificate; NULL in a CSR bundle. */
const struct pki_cert *pki_bundle_entry_certificate(const struct pki_bundle_entry *e);
size_t pki_bundle_ca_count(const struct pki_bundle *b);
const struct pki_cert *pki_bundle_ca_at(const struct pki_bundle *b, size_t i);

#endif
