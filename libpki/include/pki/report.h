/*
 * report.h — what kpki-inspect prints: the expiration report (the same as
 * `kubeadm certs check-expiration`) and readable summaries of single files.
 */
#ifndef PKI_REPORT_H
#define PKI_REPORT_H

#include <stdint.h>
#include <time.h>

#include <pki/error.h>
#include <pki/file.h>
#include <pki/profile.h>

enum pki_format { PKI_FMT_TEXT, PKI_FMT_JSON, PKI_FMT_YAML };

/* "text", "json", "yaml" */
int pki_format_parse(const char *s, enum pki_format *out, struct pki_err *err) PKI_WUR;

struct pki_report;

#define PKI_REPORT_ALL		 0x1u /* also rows kubeadm leaves out (kubelet.conf) */
#define PKI_REPORT_EXTERNAL_ETCD 0x2u /* leave out the etcd CA and its leaves */

/*
 * Builds the expiration report for the profile set over cert_dir and
 * kc_dir at time `now`: one row per profile shown by check-expiration, in
 * kubeadm's order, with missing files marked missing. A file that exists
 * but cannot be read or parsed does not stop the report: its row carries
 * the error (see pki_report_errors()). Free with pki_report_free().
 */
int pki_report_build(const struct pki_profile_set *set, const char *cert_dir,
	const char *kc_dir, time_t now, unsigned flags, struct pki_report **out,
	struct pki_err *err) PKI_WUR;
void pki_report_free(struct pki_report *r);

/* Messages for the files that could not be read or parsed. */
const struct pki_names *pki_report_errors(const struct pki_report *r);

/* Things the reader should know that kubeadm's output has no place for,
 * one line each: an interrupted kpki-kubeconfig install (its intent file,
 * pki_pkidir_intent(), is in cert_dir). They change neither the rows nor
 * the rendering. */
const struct pki_names *pki_report_warnings(const struct pki_report *r);

/* Smallest residual time in seconds among present certificates; 0 and
 * *any = 0 when none is present. */
int64_t pki_report_min_residual(const struct pki_report *r, int *any);

/* Renders the report: kubeadm's two tables, or its structured output
 * (output.kubeadm.k8s.io/v1alpha3 CertificateExpirationInfo). */
int pki_report_render(const struct pki_report *r, enum pki_format fmt,
	struct pki_buf *out, struct pki_err *err) PKI_WUR;

/*
 * Recognises a certificate (or several), CSR, private key (only public
 * facts are printed), kubeconfig or CSR bundle in data and appends a
 * readable summary (or a JSON object) to out. `name` names the input.
 */
int pki_dump(const unsigned char *data, size_t len, const char *name, time_t now,
	enum pki_format fmt, struct pki_buf *out, struct pki_err *err) PKI_WUR;

#endif
