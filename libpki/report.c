/*
 * report.c — the expiration report (kubeadm certs check-expiration) and
 * readable summaries of single files (pki_dump).
 *
 * The report reproduces kubeadm's output byte for byte: its text printer
 * goes through Go's text/tabwriter (minwidth 10, tabwidth 4, padding 3,
 * padded with spaces), its JSON printer is json.MarshalIndent with four
 * spaces, and its YAML printer is sigs.k8s.io/yaml (keys sorted).
 *
 * pki_dump JSON schema (one object per input, followed by a newline; keys
 * always present unless marked "optional"; strings from the input are
 * sanitized: control bytes and invalid UTF-8 appear as \xHH):
 *
 *   { "name": string,              the input as the caller named it
 *     "objects": [ object, ... ] } what the input holds, in order
 *
 *   certificate:
 *   { "type": "certificate", "subject": string, "issuer": string,
 *     "serial": string (lower-case hex), "notBefore": RFC 3339,
 *     "notAfter": RFC 3339, "residualTime": int (seconds, negative when
 *     expired), "publicKey": pubkey, "signatureAlgorithm": string,
 *     "dnsNames": [string], "ipAddresses": [string], "otherNames": [string],
 *     "keyUsage": [string] or null (null: no extension),
 *     "keyUsageCritical": bool, "extKeyUsage": [string] or null (names such
 *     as "server-auth", else dotted OIDs), "basicConstraints": null or
 *     { "ca": bool, "pathLen": int or null, "critical": bool },
 *     "subjectKeyId": string or null, "authorityKeyId": string or null,
 *     "selfSigned": bool, "sha256Fingerprint": "AB:CD:..." }
 *
 *   certificate request:
 *   { "type": "csr", "subject", "publicKey", "signatureAlgorithm",
 *     "dnsNames", "ipAddresses", "otherNames", "keyUsage",
 *     "keyUsageCritical", "extKeyUsage", "basicConstraints" (as above),
 *     "requestedExtensions": [string] (names such as "subjectAltName", else
 *     dotted OIDs), "signatureValid": bool, "sha256Fingerprint": string }
 *
 *   private key (public facts only):
 *   { "type": "private-key", "publicKey": pubkey,
 *     "publicKeySha256": "AB:CD:..." (SHA-256 of the SubjectPublicKeyInfo) }
 *
 *   kubeconfig:
 *   { "type": "kubeconfig", "currentContext": string, "cluster": string,
 *     "user": string, "server": string or null,
 *     "certificateAuthority": [certificate] or null,
 *     "certificateAuthorityFile": string or null,
 *     "clientCertificate": [certificate] or null,
 *     "clientCertificateFile": string or null,
 *     "clientKey": private key object or null,
 *     "clientKeyFile": string or null,
 *     "clientKeyMatchesCertificate": bool or null }
 *
 *   CSR bundle or signed bundle (kpki-bundle(5)):
 *   { "type": "bundle", "format": "kpki-bundle v1", "profiles": string,
 *     "cluster": string, "node": string ("" when none), "created": RFC 3339,
 *     "fingerprint": "SHA256:<hex>" (over the requests only),
 *     "signed": bool, "entries": [ { "name": string,
 *     "location": "cert-dir"|"kubeconfig-dir"|"kubelet-dir", "path": string,
 *     "csr": certificate request (as above),
 *     "certificate": issued or null (null in a CSR bundle) } ],
 *     "caCertificates": [certificate] or null (null in a CSR bundle) }
 *
 *   issued (a signed bundle's certificate, in short):
 *   { "type": "certificate", "subject": string, "issuer": string,
 *     "serial": string, "notBefore": RFC 3339, "notAfter": RFC 3339,
 *     "residualTime": int, "sha256Fingerprint": string }
 *
 *   pubkey: { "algorithm": "RSA"|"ECDSA"|"Ed25519"|..., "bits": int,
 *             "curve": string or null }
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pki/bundle.h>
#include <pki/cert.h>
#include <pki/csr.h>
#include <pki/duration.h>
#include <pki/key.h>
#include <pki/kubeconfig.h>
#include <pki/pkidir.h>
#include <pki/report.h>

#include "internal.h"

/* ---- Go's text/tabwriter ----------------------------------------------- */

#define TW_MINWIDTH 10
#define TW_PADDING  3
#define TW_MAXCELLS 64	/* per line; bounds the recursion */

struct tw_cell {
	const char *s;
	size_t size;	/* bytes */
	size_t width;	/* runes, as Go counts them */
};

struct tw_line {
	struct tw_cell *cells;
	size_t n;
};

struct tw {
	struct tw_line *lines;
	size_t nlines;
	size_t widths[TW_MAXCELLS];
	size_t nwidths;
	struct pki_buf *out;
	struct pki_err *err;
};

static size_t
rune_count(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

static int
tw_pad(struct tw *tw, size_t textw, size_t cellw)
{
	static const char spaces[] = "                                ";
	size_t n = cellw - textw;

	while (n > 0) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		if (pki_buf_append(tw->out, spaces, k, tw->err) != 0)
			return -1;
		n -= k;
	}
	return 0;
}

static int
tw_write_lines(struct tw *tw, size_t line0, size_t line1)
{
	size_t i, j;

	for (i = line0; i < line1; i++) {
		const struct tw_line *l = &tw->lines[i];

		for (j = 0; j < l->n; j++) {
			const struct tw_cell *c = &l->cells[j];

			if (c->size > 0 && pki_buf_append(tw->out, c->s, c->size, tw->err) != 0)
				return -1;
			if (j < tw->nwidths && tw_pad(tw, c->width, tw->widths[j]) != 0)
				return -1;
		}
		/* the last line has no newline of its own */
		if (i + 1 < tw->nlines && pki_buf_append(tw->out, "\n", 1, tw->err) != 0)
			return -1;
	}
	return 0;
}

/* Go's Writer.format: a column block is a run of consecutive lines that
 * have a tab-terminated cell in this column. */
static int
tw_format(struct tw *tw, size_t line0, size_t line1)
{
	size_t column = tw->nwidths, cur;

	for (cur = line0; cur < line1; cur++) {
		size_t width = TW_MINWIDTH;

		if (column + 1 >= tw->lines[cur].n)
			continue;
		if (tw_write_lines(tw, line0, cur) != 0)
			return -1;
		line0 = cur;
		for (; cur < line1; cur++) {
			const struct tw_line *l = &tw->lines[cur];

			if (column + 1 >= l->n)
				break;
			if (l->cells[column].width + TW_PADDING > width)
				width = l->cells[column].width + TW_PADDING;
		}
		tw->widths[tw->nwidths++] = width;
		if (tw_format(tw, line0, cur) != 0)
			return -1;
		tw->nwidths--;
		line0 = cur;
		if (cur == line1)
			break;
	}
	return tw_write_lines(tw, line0, line1);
}

int
pki_tabwriter(const char *in, size_t len, struct pki_buf *out, struct pki_err *err)
{
	struct tw tw = { .out = out, .err = err };
	size_t i, start, nl = 1;
	int ret = -1;

	for (i = 0; i < len; i++)
		if (in[i] == '\n')
			nl++;
	tw.lines = pki_calloc(nl, sizeof(*tw.lines), err);
	if (tw.lines == NULL)
		return -1;
	start = 0;
	for (i = 0; i <= len; i++) {
		struct tw_line *l;
		size_t ccap = 0, c0 = start, k;

		if (i < len && in[i] != '\n')
			continue;
		l = &tw.lines[tw.nlines++];
		for (k = start; k <= i; k++) {
			if (k < i && in[k] != '\t')
				continue;
			if (l->n >= TW_MAXCELLS) {
				pki_err_set(err, PKI_E_LIMIT, "table line %zu: more than %d cells",
					tw.nlines, TW_MAXCELLS);
				goto out;
			}
			if (pki_grow((void **)&l->cells, &ccap, l->n + 1, sizeof(*l->cells),
				    err) != 0)
				goto out;
			l->cells[l->n].s = in + c0;
			l->cells[l->n].size = k - c0;
			l->cells[l->n].width = rune_count(in + c0, k - c0);
			l->n++;
			c0 = k + 1;
		}
		start = i + 1;
	}
	ret = tw_format(&tw, 0, tw.nlines);
out:
	for (i = 0; i < tw.nlines; i++)
		free(tw.lines[i].cells);
	free(tw.lines);
	return ret;
}

/* ---- the expiration report --------------------------------------------- */

struct row {
	char *name;
	char *ca_name;		/* NULL for CA rows */
	int missing;
	time_t not_after;
	int64_t residual;
	int external;
};

struct pki_report {
	struct row *certs, *cas;
	size_t ncerts, ncas, certs_cap, cas_cap;
	struct pki_names errors;
	struct pki_names warnings;
};

int
pki_format_parse(const char *s, enum pki_format *out, struct pki_err *err)
{
	char clean[64];

	if (strcmp(s, "text") == 0)
		*out = PKI_FMT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = PKI_FMT_JSON;
	else if (strcmp(s, "yaml") == 0)
		*out = PKI_FMT_YAML;
	else {
		pki_text_sanitize(s, clean, sizeof(clean));
		return pki_err_set(err, PKI_E_USAGE,
			"output format '%s': not text, json or yaml", clean);
	}
	return 0;
}

void
pki_report_free(struct pki_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ncerts; i++) {
		free(r->certs[i].name);
		free(r->certs[i].ca_name);
	}
	for (i = 0; i < r->ncas; i++)
		free(r->cas[i].name);
	free(r->certs);
	free(r->cas);
	pki_names_free(&r->errors);
	pki_names_free(&r->warnings);
	free(r);
}

const struct pki_names *
pki_report_errors(const struct pki_report *r)
{
	return &r->errors;
}

const struct pki_names *
pki_report_warnings(const struct pki_report *r)
{
	return &r->warnings;
}

int64_t
pki_report_min_residual(const struct pki_report *r, int *any)
{
	int64_t min = 0;
	size_t i;

	*any = 0;
	for (i = 0; i < r->ncerts + r->ncas; i++) {
		const struct row *w = i < r->ncerts ? &r->certs[i] : &r->cas[i - r->ncerts];

		if (w->missing)
			continue;
		if (!*any || w->residual < min)
			min = w->residual;
		*any = 1;
	}
	return min;
}

/* What one build needs to hand around. */
struct rctx {
	const struct pki_profile_set *set;
	const char *cert_dir, *kc_dir;
	time_t now;
	struct pki_report *r;
	struct pki_err *err;
};

/*
 * Loads the certificate a row describes. Returns 1 and sets *cert when
 * present, 0 when the file does not exist, -1 on a hard error (err). A file
 * that exists but cannot be read or parsed is recorded in the report's
 * errors and counted as missing.
 */
static int
load_cert_file(struct rctx *c, const char *path, struct pki_cert **cert)
{
	struct pki_err e;
	int ex;

	*cert = NULL;
	ex = pki_file_exists(path, c->err);
	if (ex <= 0)
		return ex;
	pki_err_clear(&e);
	if (pki_cert_load(path, cert, &e) != 0) {
		if (e.code == PKI_E_NOMEM)
			return pki_err_nomem(c->err);
		return pki_names_add(&c->r->errors, e.msg, c->err) != 0 ? -1 : 0;
	}
	return 1;
}

/* The client certificate of a kubeconfig: its embedded data, else the
 * file it names (relative to the kubeconfig's directory, as client-go). */
static int
load_kubeconfig_cert(struct rctx *c, const char *path, struct pki_cert **cert)
{
	struct pki_kubeconfig *kc = NULL;
	const struct pki_buf *data;
	const char *ref;
	char *ref_path = NULL, *resolved = NULL, what[PKI_ERR_MSG_MAX];
	struct pki_err e;
	int ex, ret = -1;

	*cert = NULL;
	ex = pki_file_exists(path, c->err);
	if (ex <= 0)
		return ex;
	pki_err_clear(&e);
	if (pki_kubeconfig_load(path, &kc, &e) != 0)
		goto soft;
	data = pki_kubeconfig_client_cert_data(kc);
	ref = pki_kubeconfig_client_cert_file(kc);
	if (data != NULL && data->len > 0) {
		(void)snprintf(what, sizeof(what), "%s: client-certificate-data", path);
		if (pki_cert_parse(data->data, data->len, what, cert, &e) != 0)
			goto soft;
	} else if (ref != NULL) {
		if (ref[0] == '/') {
			ref_path = pki_strdup(ref, c->err);
			if (ref_path == NULL)
				goto out;
		} else if (pki_path_join(&ref_path, c->kc_dir, ref, c->err) != 0) {
			goto out;
		}
		/* kubelet-client-current.pem is a symbolic link by design */
		resolved = realpath(ref_path, NULL);
		if (pki_cert_load(resolved ? resolved : ref_path, cert, &e) != 0) {
			pki_err_prefix(&e, "kubeconfig '%s': client-certificate", path);
			goto soft;
		}
	} else {
		pki_err_set(&e, PKI_E_INVALID, "kubeconfig '%s': user '%s' has no client certificate",
			path, pki_kubeconfig_user_name(kc));
		goto soft;
	}
	ret = 1;
	goto out;
soft:
	if (e.code == PKI_E_NOMEM)
		ret = pki_err_nomem(c->err);
	else
		ret = pki_names_add(&c->r->errors, e.msg, c->err) != 0 ? -1 : 0;
out:
	free(resolved);
	free(ref_path);
	pki_kubeconfig_free(kc);
	return ret;
}

/* <dir>/<rel><ext>, e.g. "pki/etcd/ca" + ".crt". */
static int
file_path(const char *dir, const char *rel, const char *ext, char **out,
	struct pki_err *err)
{
	char *base = NULL;
	int n;

	*out = NULL;
	if (pki_path_join(&base, dir, rel, err) != 0)
		return -1;
	n = asprintf(out, "%s%s", base, ext);
	free(base);
	if (n < 0) {
		*out = NULL;
		return pki_err_nomem(err);
	}
	return 0;
}

/* kubeadm's UsingExternalCA: the CA certificate loads and is a CA, and
 * its key is not there. */
static int
ca_is_external(struct rctx *c, const struct pki_profile *ca, int *ext)
{
	struct pki_cert *cert = NULL;
	char *crt = NULL, *key = NULL;
	struct pki_err e;
	int ret = -1, ex;

	*ext = 0;
	if (file_path(c->cert_dir, pki_profile_path(ca), ".crt", &crt, c->err) != 0 ||
	    file_path(c->cert_dir, pki_profile_path(ca), ".key", &key, c->err) != 0)
		goto out;
	pki_err_clear(&e);
	if (pki_cert_load(crt, &cert, &e) != 0 || !pki_cert_is_ca(cert)) {
		ret = 0;
		goto out;
	}
	ex = pki_file_exists(key, c->err);
	if (ex < 0)
		goto out;
	*ext = ex == 0;
	ret = 0;
out:
	pki_cert_free(cert);
	free(crt);
	free(key);
	return ret;
}

static int
external_of(struct rctx *c, const char *ca_name, int *ext)
{
	const struct pki_profile *ca;

	*ext = 0;
	if (ca_name == NULL)
		return 0;
	ca = pki_profile_set_find(c->set, ca_name);
	if (ca == NULL || pki_profile_kind(ca) != PKI_PROFILE_CA)
		return 0;
	return ca_is_external(c, ca, ext);
}

static int
add_row(struct rctx *c, const struct pki_profile *p)
{
	enum pki_profile_kind kind = pki_profile_kind(p);
	struct pki_cert *cert = NULL;
	struct row *w;
	char *path = NULL;
	const char *ca_name = NULL;
	int ret = -1, found;

	if (kind == PKI_PROFILE_CA) {
		if (pki_grow((void **)&c->r->cas, &c->r->cas_cap, c->r->ncas + 1,
			    sizeof(*c->r->cas), c->err) != 0)
			return -1;
		w = &c->r->cas[c->r->ncas++];
	} else {
		if (pki_grow((void **)&c->r->certs, &c->r->certs_cap, c->r->ncerts + 1,
			    sizeof(*c->r->certs), c->err) != 0)
			return -1;
		w = &c->r->certs[c->r->ncerts++];
		/* kubeconfig rows name "ca" as kubeadm does since 1.20 */
		ca_name = pki_profile_ca(p) ? pki_profile_ca(p) : "ca";
		if ((w->ca_name = pki_strdup(ca_name, c->err)) == NULL)
			goto out;
	}
	if ((w->name = pki_strdup(pki_profile_name(p), c->err)) == NULL)
		goto out;
	if (kind == PKI_PROFILE_KUBECONFIG) {
		if (file_path(c->kc_dir, pki_profile_path(p), "", &path, c->err) != 0)
			goto out;
		found = load_kubeconfig_cert(c, path, &cert);
	} else {
		if (file_path(c->cert_dir, pki_profile_path(p), ".crt", &path, c->err) != 0)
			goto out;
		found = load_cert_file(c, path, &cert);
	}
	if (found < 0)
		goto out;
	w->missing = found == 0;
	if (found) {
		w->not_after = pki_cert_not_after(cert);
		w->residual = (int64_t)w->not_after - (int64_t)c->now;
		if (kind == PKI_PROFILE_CA) {
			if (ca_is_external(c, p, &w->external) != 0)
				goto out;
		} else if (external_of(c, ca_name, &w->external) != 0) {
			goto out;
		}
	}
	ret = 0;
out:
	pki_cert_free(cert);
	free(path);
	return ret;
}

static int
cmp_rows(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name, ((const struct row *)b)->name);
}

/*
 * An interrupted kpki-kubeconfig install leaves pairs half renewed until it
 * is run again: worth a warning, though kubeadm's report has no place for
 * it. A staging directory this user may not search (root's, mode 0700)
 * hides nothing the report could say, and is passed over in silence.
 */
static int
warn_intent(struct rctx *c)
{
	struct pki_err e;
	const char *kind = NULL;
	char *path = NULL, q[PKI_QPATH_MAX];
	int r;

	pki_err_clear(&e);
	r = pki_pkidir_intent(c->cert_dir, &path, &kind, &e);
	if (r < 0 && e.code == PKI_E_NOMEM) {
		*c->err = e;
		return -1;
	}
	if (r <= 0)
		return 0;
	pki_path_quote(path, q, sizeof(q));
	free(path);
	if (kind == NULL)
		return pki_names_addf(&c->r->warnings, c->err,
			"an install was interrupted: '%s' is there: rerun the same "
			"kpki-kubeconfig command to finish it", q);
	return pki_names_addf(&c->r->warnings, c->err,
		"'%s' is %s where kpki-kubeconfig keeps its install intent: it cannot "
		"install until this is removed", q, kind);
}

int
pki_report_build(const struct pki_profile_set *set, const char *cert_dir,
	const char *kc_dir, time_t now, unsigned flags, struct pki_report **out,
	struct pki_err *err)
{
	struct rctx c = { .set = set, .cert_dir = cert_dir, .kc_dir = kc_dir, .now = now,
		.err = err };
	size_t i, n = pki_profile_set_count(set);
	int ret = -1;

	*out = NULL;
	c.r = pki_calloc(1, sizeof(*c.r), err);
	if (c.r == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const struct pki_profile *p = pki_profile_set_at(set, i);
		int shown = pki_profile_in_expiration_report(p);

		if (!shown && (flags & PKI_REPORT_ALL) &&
		    pki_profile_kind(p) == PKI_PROFILE_KUBECONFIG)
			shown = 1;
		if (shown && (flags & PKI_REPORT_EXTERNAL_ETCD) && pki_profile_needs_local_etcd(p))
			shown = 0;
		if (shown && add_row(&c, p) != 0)
			goto out;
	}
	if (warn_intent(&c) != 0)
		goto out;
	if (c.r->ncerts > 1)
		qsort(c.r->certs, c.r->ncerts, sizeof(*c.r->certs), cmp_rows);
	if (c.r->ncas > 1)
		qsort(c.r->cas, c.r->ncas, sizeof(*c.r->cas), cmp_rows);
	*out = c.r;
	c.r = NULL; /* transferred */
	ret = 0;
out:
	pki_report_free(c.r);
	return ret;
}

/* Go's "Jan 02, 2006 15:04 MST" for a UTC time. */
static void
time_kubeadm(time_t t, char out[32])
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    snprintf(out, 32, "%s %02d, %04d %02d:%02d UTC", months[tm.tm_mon], tm.tm_mday,
		    tm.tm_year + 1900, tm.tm_hour, tm.tm_min) >= 32)
		(void)snprintf(out, 32, "invalid time");
}

static int
render_text(const struct pki_report *r, struct pki_buf *out, struct pki_err *err)
{
	struct pki_buf t = { 0 };
	char date[32], resid[16];
	size_t i;
	int ret = -1;

	if (pki_buf_printf(&t, err, "CERTIFICATE\tEXPIRES\tRESIDUAL TIME\t"
				    "CERTIFICATE AUTHORITY\tEXTERNALLY MANAGED\n") != 0)
		goto out;
	for (i = 0; i < r->ncerts; i++) {
		const struct row *w = &r->certs[i];

		if (w->missing) {
			if (pki_buf_printf(&t, err, "!MISSING! %s\t\t\t\t\n", w->name) != 0)
				goto out;
			continue;
		}
		time_kubeadm(w->not_after, date);
		pki_duration_short(w->residual, resid);
		if (pki_buf_printf(&t, err, "%s\t%s\t%s\t%s\t%-8s\n", w->name, date, resid,
			    w->ca_name, w->external ? "yes" : "no") != 0)
			goto out;
	}
	if (pki_buf_printf(&t, err, "\nCERTIFICATE AUTHORITY\tEXPIRES\tRESIDUAL TIME\t"
				    "EXTERNALLY MANAGED\n") != 0)
		goto out;
	for (i = 0; i < r->ncas; i++) {
		const struct row *w = &r->cas[i];

		if (w->missing) {
			if (pki_buf_printf(&t, err, "!MISSING! %s\t\t\t\n", w->name) != 0)
				goto out;
			continue;
		}
		time_kubeadm(w->not_after, date);
		pki_duration_short(w->residual, resid);
		if (pki_buf_printf(&t, err, "%s\t%s\t%s\t%-8s\n", w->name, date, resid,
			    w->external ? "yes" : "no") != 0)
			goto out;
	}
	ret = pki_tabwriter((const char *)t.data, t.len, out, err);
out:
	pki_buf_free(&t);
	return ret;
}

/* ---- a small JSON writer ------------------------------------------------ */

/*
 * Writes Go's json.MarshalIndent layout. Errors stick: after the first
 * failure every call does nothing, and jw_done() reports it.
 */
struct jw {
	struct pki_buf *b;
	struct pki_err *err;
	const char *unit;	/* one level of indentation */
	unsigned depth;
	int first;		/* nothing written yet in the open container */
	int failed;
};

static void
jw_raw(struct jw *w, const char *s, size_t n)
{
	if (!w->failed && pki_buf_append(w->b, s, n, w->err) != 0)
		w->failed = 1;
}

static void
jw_rawstr(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

/* A string from the input: as is when it is clean UTF-8, else escaped. */
static int
clean_str(const char *s, char **out, struct pki_err *err)
{
	size_t len = strlen(s);

	*out = NULL;
	if (pki_text_is_clean(s, len, 0))
		return 0;
	if (len > SIZE_MAX / 4 - 8)
		return pki_err_nomem(err);
	*out = malloc(len * 4 + 8);
	if (*out == NULL)
		return pki_err_nomem(err);
	pki_text_sanitize(s, *out, len * 4 + 8);
	return 0;
}

static void
jw_string(struct jw *w, const char *s)
{
	char *c = NULL;

	if (w->failed)
		return;
	if (clean_str(s, &c, w->err) != 0 || pki_json_str(w->b, c ? c : s, w->err) != 0)
		w->failed = 1;
	free(c);
}

static void
jw_key(struct jw *w, const char *key)
{
	unsigned i;

	if (w->depth > 0) {
		if (!w->first)
			jw_raw(w, ",", 1);
		jw_raw(w, "\n", 1);
		for (i = 0; i < w->depth; i++)
			jw_rawstr(w, w->unit);
	}
	w->first = 0;
	if (key != NULL) {
		jw_string(w, key);
		jw_raw(w, ": ", 2);
	}
}

static void
jw_open(struct jw *w, const char *key, char c)
{
	jw_key(w, key);
	jw_raw(w, &c, 1);
	w->depth++;
	w->first = 1;
}

static void
jw_close(struct jw *w, char c)
{
	unsigned i;

	w->depth--;
	if (!w->first) {
		jw_raw(w, "\n", 1);
		for (i = 0; i < w->depth; i++)
			jw_rawstr(w, w->unit);
	}
	jw_raw(w, &c, 1);
	w->first = 0;
}

static void
jw_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	if (s == NULL)
		jw_rawstr(w, "null");
	else
		jw_string(w, s);
}

static void
jw_int(struct jw *w, const char *key, int64_t v)
{
	char num[32];

	jw_key(w, key);
	(void)snprintf(num, sizeof(num), "%lld", (long long)v);
	jw_rawstr(w, num);
}

static void
jw_bool(struct jw *w, const char *key, int v)
{
	jw_key(w, key);
	jw_rawstr(w, v ? "true" : "false");
}

static void
jw_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_rawstr(w, "null");
}

static int
jw_done(struct jw *w)
{
	return w->failed ? -1 : 0;
}

static void
json_rows(struct jw *w, const char *key, const struct row *rows, size_t n)
{
	char date[32];
	size_t i;

	jw_open(w, key, '[');
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		jw_open(w, NULL, '{');
		jw_str(w, "name", r->name);
		if (r->missing) {
			jw_null(w, "expirationDate");
			jw_int(w, "residualTime", 0);
			jw_bool(w, "externallyManaged", 0);
		} else {
			pki_time_rfc3339(r->not_after, date);
			jw_str(w, "expirationDate", date);
			jw_int(w, "residualTime", r->residual);
			jw_bool(w, "externallyManaged", r->external);
			if (r->ca_name != NULL)
				jw_str(w, "caName", r->ca_name);
		}
		jw_bool(w, "missing", r->missing);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static int
render_json(const struct pki_report *r, struct pki_buf *out, struct pki_err *err)
{
	struct jw w = { .b = out, .err = err, .unit = "    ", .first = 1 };

	jw_open(&w, NULL, '{');
	jw_str(&w, "kind", "CertificateExpirationInfo");
	jw_str(&w, "apiVersion", "output.kubeadm.k8s.io/v1alpha3");
	json_rows(&w, "certificates", r->certs, r->ncerts);
	json_rows(&w, "certificateAuthorities", r->cas, r->ncas);
	jw_close(&w, '}');
	jw_raw(&w, "\n", 1);
	return jw_done(&w);
}

/* sigs.k8s.io/yaml: keys sorted, list items at their key's indentation. */
static int
yaml_rows(struct pki_buf *b, const char *key, const struct row *rows, size_t n,
	struct pki_err *err)
{
	char date[32];
	size_t i;

	if (n == 0)
		return pki_buf_printf(b, err, "%s: []\n", key);
	if (pki_buf_printf(b, err, "%s:\n", key) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const char *lead = "- ";

		if (!r->missing && r->ca_name != NULL) {
			if (pki_buf_printf(b, err, "%scaName: ", lead) != 0 ||
			    pki_yaml_str(b, r->ca_name, err) != 0 ||
			    pki_buf_append(b, "\n", 1, err) != 0)
				return -1;
			lead = "  ";
		}
		if (r->missing) {
			if (pki_buf_printf(b, err, "%sexpirationDate: null\n", lead) != 0)
				return -1;
		} else {
			pki_time_rfc3339(r->not_after, date);
			if (pki_buf_printf(b, err, "%sexpirationDate: \"%s\"\n", lead, date) != 0)
				return -1;
		}
		if (pki_buf_printf(b, err,
			    "  externallyManaged: %s\n  missing: %s\n  name: ",
			    !r->missing && r->external ? "true" : "false",
			    r->missing ? "true" : "false") != 0 ||
		    pki_yaml_str(b, r->name, err) != 0 ||
		    pki_buf_printf(b, err, "\n  residualTime: %lld\n",
			    r->missing ? 0LL : (long long)r->residual) != 0)
			return -1;
	}
	return 0;
}

static int
render_yaml(const struct pki_report *r, struct pki_buf *out, struct pki_err *err)
{
	if (pki_buf_printf(out, err, "apiVersion: output.kubeadm.k8s.io/v1alpha3\n") != 0 ||
	    yaml_rows(out, "certificateAuthorities", r->cas, r->ncas, err) != 0 ||
	    yaml_rows(out, "certificates", r->certs, r->ncerts, err) != 0 ||
	    pki_buf_printf(out, err, "kind: CertificateExpirationInfo\n") != 0)
		return -1;
	return 0;
}

int
pki_report_render(const struct pki_report *r, enum pki_format fmt, struct pki_buf *out,
	struct pki_err *err)
{
	switch (fmt) {
	case PKI_FMT_TEXT:
		return render_text(r, out, err);
	case PKI_FMT_JSON:
		return render_json(r, out, err);
	case PKI_FMT_YAML:
		return render_yaml(r, out, err);
	}
	return pki_err_set(err, PKI_E_USAGE, "output format %d: unknown", (int)fmt);
}

/* ---- pki_dump ----------------------------------------------------------- */

#define DUMP_MAX_OBJECTS 64	/* PEM blocks in one input */

/*
 * One writer for both forms: text lines "<indent><label>: <value>" or JSON
 * members. Text labels are words for people, JSON keys are the schema's.
 */
struct dw {
	enum pki_format fmt;
	struct jw j;		/* JSON */
	struct pki_buf *b;	/* text */
	unsigned indent;	/* text: levels of two spaces */
	time_t now;
	const char *name;	/* the input, sanitized */
	struct pki_err *err;
	int failed;
};

static int
dw_ok(struct dw *d)
{
	return !(d->failed || d->j.failed);
}

static void
dw_textf(struct dw *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
dw_textf(struct dw *d, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (!dw_ok(d))
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0) {
		d->failed = 1;
		pki_err_set(d->err, PKI_E_INVALID, "cannot format output");
		return;
	}
	if (pki_buf_printf(d->b, d->err, "%*s", (int)(d->indent * 2), "") != 0 ||
	    pki_buf_append(d->b, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
		    d->err) != 0)
		d->failed = 1;
}

/* Text: "label: value" with value sanitized; JSON: "key": "value". */
static void
dw_str(struct dw *d, const char *label, const char *key, const char *value)
{
	char *c = NULL;

	if (d->fmt != PKI_FMT_TEXT) {
		jw_str(&d->j, key, value);
		return;
	}
	if (label == NULL || value == NULL || !dw_ok(d))
		return;
	if (clean_str(value, &c, d->err) != 0) {
		d->failed = 1;
		return;
	}
	if (pki_buf_printf(d->b, d->err, "%*s%s: %s\n", (int)(d->indent * 2), "", label,
		    c ? c : value) != 0)
		d->failed = 1;
	free(c);
}

/* A list: text joins it on one line (omitted when empty and omit_empty);
 * JSON writes an array, or null when absent. */
static void
dw_list(struct dw *d, const char *label, const char *key, const struct pki_names *v,
	const char *prefix, const char *suffix, int present)
{
	struct pki_buf line = { 0 };
	size_t i;

	if (d->fmt != PKI_FMT_TEXT) {
		if (!present) {
			jw_null(&d->j, key);
			return;
		}
		jw_open(&d->j, key, '[');
		for (i = 0; i < v->n; i++)
			jw_str(&d->j, NULL, v->v[i]);
		jw_close(&d->j, ']');
		return;
	}
	if (!present || v->n == 0 || !dw_ok(d))
		return;
	for (i = 0; i < v->n; i++) {
		if (pki_buf_printf(&line, d->err, "%s%s%s", i ? ", " : "", prefix ? prefix : "",
			    v->v[i]) != 0) {
			d->failed = 1;
			goto out;
		}
	}
	if (suffix != NULL && pki_buf_printf(&line, d->err, "%s", suffix) != 0) {
		d->failed = 1;
		goto out;
	}
	dw_str(d, label, key, (const char *)line.data);
out:
	pki_buf_free(&line);
}

static void
hex_colon(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		out[i * 3] = hex[p[i] >> 4];
		out[i * 3 + 1] = hex[p[i] & 15];
		out[i * 3 + 2] = i + 1 < n ? ':' : '\0';
	}
	if (n == 0)
		out[0] = '\0';
}

static void
dw_pubkey(struct dw *d, const struct pki_keyinfo *k)
{
	if (d->fmt != PKI_FMT_TEXT) {
		jw_open(&d->j, "publicKey", '{');
		jw_str(&d->j, "algorithm", k->algo);
		jw_int(&d->j, "bits", k->bits);
		jw_str(&d->j, "curve", k->curve[0] ? k->curve : NULL);
		jw_close(&d->j, '}');
		return;
	}
	if (k->curve[0] != '\0' && strcmp(k->algo, "Ed25519") != 0)
		dw_textf(d, "public key: %s %s\n", k->algo, k->curve);
	else if (k->bits > 0 && strcmp(k->algo, "Ed25519") != 0)
		dw_textf(d, "public key: %s %u\n", k->algo, k->bits);
	else
		dw_textf(d, "public key: %s\n", k->algo);
}

static const struct {
	const char *oid, *name;
} ext_names[] = {
	{ "2.5.29.14", "subjectKeyIdentifier" },
	{ "2.5.29.15", "keyUsage" },
	{ "2.5.29.17", "subjectAltName" },
	{ "2.5.29.19", "basicConstraints" },
	{ "2.5.29.35", "authorityKeyIdentifier" },
	{ "2.5.29.37", "extKeyUsage" },
};

static const char *
ext_name(const char *oid)
{
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(ext_names); i++)
		if (strcmp(ext_names[i].oid, oid) == 0)
			return ext_names[i].name;
	return oid;
}

/* The parts certificates and CSRs share: SANs, usages, constraints. */
static int
dw_extensions(struct dw *d, const struct pki_x509info *x)
{
	struct pki_names ku = { 0 }, eku = { 0 }, sans = { 0 };
	unsigned bit;
	size_t i;
	int ret = -1;

	for (bit = 1; bit <= PKI_KU_DECIPHER_ONLY; bit <<= 1)
		if ((x->ku & bit) && pki_names_add(&ku, pki_ku_name(bit), d->err) != 0)
			goto out;
	for (i = 0; i < x->eku.n; i++) {
		const char *nm = pki_eku_name(x->eku.v[i]);

		if (pki_names_add(&eku, nm ? nm : x->eku.v[i], d->err) != 0)
			goto out;
	}
	if (d->fmt != PKI_FMT_TEXT) {
		dw_list(d, NULL, "dnsNames", &x->dns, NULL, NULL, 1);
		dw_list(d, NULL, "ipAddresses", &x->ip, NULL, NULL, 1);
		dw_list(d, NULL, "otherNames", &x->other_san, NULL, NULL, 1);
		dw_list(d, NULL, "keyUsage", &ku, NULL, NULL, x->has_ku);
		jw_bool(&d->j, "keyUsageCritical", x->has_ku && x->ku_critical);
		dw_list(d, NULL, "extKeyUsage", &eku, NULL, NULL, x->eku.n > 0);
		if (x->has_bc) {
			jw_open(&d->j, "basicConstraints", '{');
			jw_bool(&d->j, "ca", x->is_ca);
			if (x->pathlen >= 0)
				jw_int(&d->j, "pathLen", x->pathlen);
			else
				jw_null(&d->j, "pathLen");
			jw_bool(&d->j, "critical", x->bc_critical);
			jw_close(&d->j, '}');
		} else {
			jw_null(&d->j, "basicConstraints");
		}
		ret = 0;
		goto out;
	}
	for (i = 0; i < x->dns.n; i++)
		if (pki_names_addf(&sans, d->err, "DNS:%.590s", x->dns.v[i]) != 0)
			goto out;
	for (i = 0; i < x->ip.n; i++)
		if (pki_names_addf(&sans, d->err, "IP:%.590s", x->ip.v[i]) != 0)
			goto out;
	for (i = 0; i < x->other_san.n; i++)
		if (pki_names_add(&sans, x->other_san.v[i], d->err) != 0)
			goto out;
	dw_list(d, "subject alternative names", NULL, &sans, NULL, NULL, 1);
	dw_list(d, "key usage", NULL, &ku, NULL, x->ku_critical ? " (critical)" : NULL,
		x->has_ku);
	dw_list(d, "extended key usage", NULL, &eku, NULL, NULL, 1);
	if (x->has_bc) {
		if (x->pathlen >= 0)
			dw_textf(d, "basic constraints: CA:%s, pathlen:%d%s\n",
				x->is_ca ? "TRUE" : "FALSE", x->pathlen,
				x->bc_critical ? " (critical)" : "");
		else
			dw_textf(d, "basic constraints: CA:%s%s\n", x->is_ca ? "TRUE" : "FALSE",
				x->bc_critical ? " (critical)" : "");
	}
	ret = 0;
out:
	if (ret != 0)
		d->failed = 1;
	pki_names_free(&ku);
	pki_names_free(&eku);
	pki_names_free(&sans);
	return ret;
}

static void
dw_begin(struct dw *d, const char *what)
{
	if (d->fmt != PKI_FMT_TEXT) {
		jw_open(&d->j, NULL, '{');
		return;
	}
	if (d->indent == 0)
		dw_textf(d, "%s: %s\n", d->name, what);
	else
		dw_textf(d, "%s\n", what);
	d->indent++;
}

static void
dw_end(struct dw *d)
{
	if (d->fmt != PKI_FMT_TEXT)
		jw_close(&d->j, '}');
	else
		d->indent--;
}

/* What every view of a certificate starts with: its subject, issuer,
 * serial and validity (in text, with how long is left). */
static void
dw_cert_head(struct dw *d, const struct pki_x509info *x)
{
	char nb[32], na[32], resid[16];
	int64_t left = (int64_t)x->not_after - (int64_t)d->now;

	pki_time_rfc3339(x->not_before, nb);
	pki_time_rfc3339(x->not_after, na);
	dw_str(d, NULL, "type", "certificate");
	dw_str(d, "subject", "subject", x->subject);
	dw_str(d, "issuer", "issuer", x->issuer);
	dw_str(d, "serial", "serial", x->serial);
	dw_str(d, "not before", "notBefore", nb);
	if (d->fmt == PKI_FMT_TEXT) {
		pki_duration_short(left, resid);
		if (left < 0)
			dw_textf(d, "not after: %s (expired)\n", na);
		else
			dw_textf(d, "not after: %s (%s left)\n", na, resid);
	} else {
		jw_str(&d->j, "notAfter", na);
		jw_int(&d->j, "residualTime", left);
	}
}

static int
dump_cert(struct dw *d, const struct pki_cert *cert, const char *what)
{
	struct pki_x509info x = { 0 };
	char fp[32 * 3];

	if (pki_cert_info(cert, &x, d->err) != 0) {
		d->failed = 1;
		return -1;
	}
	hex_colon(x.sha256, sizeof(x.sha256), fp);
	dw_begin(d, what);
	dw_cert_head(d, &x);
	dw_pubkey(d, &x.key);
	dw_str(d, "signature algorithm", "signatureAlgorithm", x.sig_algo);
	dw_extensions(d, &x);
	if (d->fmt == PKI_FMT_TEXT) {
		if (x.ski[0] != '\0')
			dw_str(d, "subject key id", NULL, x.ski);
		if (x.aki[0] != '\0')
			dw_str(d, "authority key id", NULL, x.aki);
		dw_textf(d, "self-signed: %s\n", x.self_signature_ok ? "yes" : "no");
	} else {
		jw_str(&d->j, "subjectKeyId", x.ski[0] ? x.ski : NULL);
		jw_str(&d->j, "authorityKeyId", x.aki[0] ? x.aki : NULL);
		jw_bool(&d->j, "selfSigned", x.self_signature_ok);
	}
	dw_str(d, "SHA-256 fingerprint", "sha256Fingerprint", fp);
	dw_end(d);
	pki_x509info_free(&x);
	return dw_ok(d) ? 0 : -1;
}

/* json_key: nested under that key (a bundle entry's "csr") */
static int
dump_csr(struct dw *d, const struct pki_csr *csr, const char *json_key)
{
	struct pki_x509info x = { 0 };
	struct pki_names exts = { 0 };
	char fp[32 * 3];
	size_t i;
	int ret = -1;

	if (pki_csr_info(csr, &x, d->err) != 0)
		goto out;
	for (i = 0; i < x.ext_oids.n; i++)
		if (pki_names_add(&exts, ext_name(x.ext_oids.v[i]), d->err) != 0)
			goto out;
	hex_colon(x.sha256, sizeof(x.sha256), fp);
	if (json_key != NULL && d->fmt != PKI_FMT_TEXT)
		jw_open(&d->j, json_key, '{');
	else
		dw_begin(d, "certificate request");
	dw_str(d, NULL, "type", "csr");
	dw_str(d, "subject", "subject", x.subject);
	dw_pubkey(d, &x.key);
	dw_str(d, "signature algorithm", "signatureAlgorithm", x.sig_algo);
	if (d->fmt == PKI_FMT_TEXT)
		dw_textf(d, "signature: %s\n",
			x.self_signature_ok ? "valid" : "INVALID (does not verify)");
	dw_extensions(d, &x);
	if (d->fmt == PKI_FMT_TEXT && exts.n == 0)
		dw_textf(d, "requested extensions: none\n");
	else
		dw_list(d, "requested extensions", "requestedExtensions", &exts, NULL, NULL, 1);
	if (d->fmt != PKI_FMT_TEXT)
		jw_bool(&d->j, "signatureValid", x.self_signature_ok);
	dw_str(d, "SHA-256 fingerprint", "sha256Fingerprint", fp);
	dw_end(d);
	ret = dw_ok(d) ? 0 : -1;
out:
	if (ret != 0)
		d->failed = 1;
	pki_names_free(&exts);
	pki_x509info_free(&x);
	return ret;
}

/* Only public facts: the key's kind and the hash of its public half.
 * Nested (in a kubeconfig) under JSON key `key` and text label `label`. */
static int
dump_key(struct dw *d, const struct pki_key *key, const char *json_key, const char *label)
{
	struct pki_keyinfo k;
	unsigned char id[32];
	char fp[32 * 3];

	if (pki_key_public_id(key, id, d->err) != 0) {
		d->failed = 1;
		return -1;
	}
	pki_key_info(key, &k);
	hex_colon(id, sizeof(id), fp);
	if (json_key == NULL)
		dw_begin(d, "private key");
	else if (d->fmt != PKI_FMT_TEXT)
		jw_open(&d->j, json_key, '{');
	else {
		dw_textf(d, "%s:\n", label);
		d->indent++;
	}
	dw_str(d, NULL, "type", "private-key");
	dw_pubkey(d, &k);
	dw_str(d, "public key SHA-256", "publicKeySha256", fp);
	dw_end(d);
	return dw_ok(d) ? 0 : -1;
}

/* The certificates of an embedded PEM blob, as a JSON array or a text list. */
static int
dump_cert_list(struct dw *d, const struct pki_buf *data, const char *label, const char *key,
	const char *name)
{
	struct pki_cert **list = NULL;
	size_t n = 0, i;
	char what[64];
	int ret = -1;

	if (data == NULL || data->len == 0) {
		if (d->fmt != PKI_FMT_TEXT)
			jw_null(&d->j, key);
		return 0;
	}
	if (pki_cert_list_parse(data->data, data->len, name, DUMP_MAX_OBJECTS, &list, &n,
		    d->err) != 0)
		return -1;
	if (d->fmt != PKI_FMT_TEXT)
		jw_open(&d->j, key, '[');
	for (i = 0; i < n; i++) {
		if (n > 1)
			(void)snprintf(what, sizeof(what), "%s %zu of %zu:", label, i + 1, n);
		else
			(void)snprintf(what, sizeof(what), "%s:", label);
		if (dump_cert(d, list[i], what) != 0)
			goto out;
	}
	if (d->fmt != PKI_FMT_TEXT)
		jw_close(&d->j, ']');
	ret = dw_ok(d) ? 0 : -1;
out:
	pki_cert_list_free(list, n);
	return ret;
}

static int
dump_kubeconfig(struct dw *d, const unsigned char *data, size_t len, const char *name)
{
	struct pki_kubeconfig *kc = NULL;
	struct pki_cert *cert = NULL;
	struct pki_key *key = NULL;
	const struct pki_buf *cd, *kd;
	char what[PKI_ERR_MSG_MAX];
	int ret = -1, match = -1;

	if (pki_kubeconfig_parse(data, len, name, &kc, d->err) != 0)
		goto out;
	cd = pki_kubeconfig_client_cert_data(kc);
	kd = pki_kubeconfig_client_key_data(kc);
	if (kd != NULL && kd->len > 0) {
		(void)snprintf(what, sizeof(what), "kubeconfig '%s': client-key-data", name);
		if (pki_key_parse(kd->data, kd->len, what, &key, d->err) != 0)
			goto out;
	}
	if (key != NULL && cd != NULL && cd->len > 0) {
		(void)snprintf(what, sizeof(what), "kubeconfig '%s': client-certificate-data",
			name);
		if (pki_cert_parse(cd->data, cd->len, what, &cert, d->err) != 0)
			goto out;
		match = pki_cert_matches_key(cert, key, d->err);
		if (match < 0)
			goto out;
	}
	dw_begin(d, "kubeconfig");
	dw_str(d, NULL, "type", "kubeconfig");
	dw_str(d, "current context", "currentContext", pki_kubeconfig_current_context(kc));
	dw_str(d, "cluster", "cluster", pki_kubeconfig_cluster_name(kc));
	dw_str(d, "server", "server", pki_kubeconfig_server(kc));
	dw_str(d, "user", "user", pki_kubeconfig_user_name(kc));
	(void)snprintf(what, sizeof(what), "kubeconfig '%s': certificate-authority-data", name);
	if (dump_cert_list(d, pki_kubeconfig_ca_data(kc), "certificate authority",
		    "certificateAuthority", what) != 0)
		goto out;
	dw_str(d, "certificate authority file", "certificateAuthorityFile",
		pki_kubeconfig_ca_file(kc));
	(void)snprintf(what, sizeof(what), "kubeconfig '%s': client-certificate-data", name);
	if (dump_cert_list(d, cd, "client certificate", "clientCertificate", what) != 0)
		goto out;
	dw_str(d, "client certificate file", "clientCertificateFile",
		pki_kubeconfig_client_cert_file(kc));
	if (key != NULL) {
		if (dump_key(d, key, "clientKey", "client key (embedded)") != 0)
			goto out;
	} else if (d->fmt != PKI_FMT_TEXT) {
		jw_null(&d->j, "clientKey");
	}
	dw_str(d, "client key file", "clientKeyFile", pki_kubeconfig_client_key_file(kc));
	if (d->fmt != PKI_FMT_TEXT) {
		if (match < 0)
			jw_null(&d->j, "clientKeyMatchesCertificate");
		else
			jw_bool(&d->j, "clientKeyMatchesCertificate", match);
	} else if (match >= 0) {
		dw_textf(d, "client key matches the client certificate: %s\n",
			match ? "yes" : "NO");
	}
	dw_end(d);
	ret = dw_ok(d) ? 0 : -1;
out:
	pki_key_free(key);
	pki_cert_free(cert);
	pki_kubeconfig_free(kc);
	return ret;
}

/* A certificate, CSR or private key in DER (decided by its shape) or one
 * PEM block (decided by its label). */
static int
dump_der(struct dw *d, const unsigned char *der, size_t len, const char *label,
	const char *name, size_t idx, size_t total, int *recognised)
{
	struct pki_cert *cert = NULL;
	struct pki_csr *csr = NULL;
	struct pki_key *key = NULL;
	const char *kind = NULL;
	char what[64];
	int ret = -1;

	*recognised = 1;
	if (label != NULL)
		kind = pki_pem_label_kind(label);
	else
		kind = pki_der_kind(der, len);
	if (kind == NULL || strcmp(kind, "a public key") == 0) {
		*recognised = 0;
		return 0;
	}
	if (strcmp(kind, "a certificate") == 0) {
		if (pki_cert_parse(der, len, name, &cert, d->err) != 0)
			goto out;
		if (total > 1)
			(void)snprintf(what, sizeof(what), "certificate %zu of %zu", idx, total);
		else
			(void)snprintf(what, sizeof(what), "certificate");
		ret = dump_cert(d, cert, what);
	} else if (strcmp(kind, "a certificate request") == 0) {
		if (pki_csr_parse(der, len, name, &csr, d->err) != 0)
			goto out;
		ret = dump_csr(d, csr, NULL);
	} else if (strcmp(kind, "a private key") == 0) {
		if (pki_key_parse(der, len, name, &key, d->err) != 0)
			goto out;
		ret = dump_key(d, key, NULL, NULL);
	} else {
		*recognised = 0;
		ret = 0;
	}
out:
	pki_cert_free(cert);
	pki_csr_free(csr);
	pki_key_free(key);
	return ret;
}

/*
 * Each PEM block in turn, handed whole to its parser (so that the parsers
 * judge headers and encryption in their own words); blocks of other kinds
 * (public keys, parameters) are skipped.
 */
static int
dump_pem(struct dw *d, const unsigned char *data, size_t len, const char *name,
	int *recognised)
{
	struct pki_pem blk;
	size_t pos = 0, prev, total = 0, ncert = 0, idx = 0;
	const char *k;
	char what[420];
	int r, rec;

	*recognised = 0;
	(void)snprintf(what, sizeof(what), "'%s'", name);
	/* count the certificates first, to number them */
	for (;;) {
		r = pki_pem_next(data, len, &pos, &blk, what, d->err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (++total > DUMP_MAX_OBJECTS)
			return pki_err_set(d->err, PKI_E_LIMIT, "'%s': more than %d PEM blocks",
				name, DUMP_MAX_OBJECTS);
		k = pki_pem_label_kind(blk.label);
		if (k != NULL && strcmp(k, "a certificate") == 0)
			ncert++;
	}
	pos = 0;
	for (;;) {
		prev = pos;
		r = pki_pem_next(data, len, &pos, &blk, what, d->err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		k = pki_pem_label_kind(blk.label);
		if (k != NULL && strcmp(k, "a certificate") == 0)
			idx++;
		/* data[prev..pos) holds this block and nothing of another */
		if (dump_der(d, data + prev, pos - prev, blk.label, name, idx, ncert, &rec) != 0)
			return -1;
		if (rec)
			*recognised = 1;
	}
	return 0;
}

/* A signed bundle's certificate for an entry, in short: who issued it, its
 * serial and validity (the full view is kpki-inspect on the file). */
static int
dump_issued(struct dw *d, const struct pki_cert *cert)
{
	struct pki_x509info x = { 0 };
	char fp[32 * 3];

	if (pki_cert_info(cert, &x, d->err) != 0) {
		d->failed = 1;
		return -1;
	}
	hex_colon(x.sha256, sizeof(x.sha256), fp);
	if (d->fmt != PKI_FMT_TEXT)
		jw_open(&d->j, "certificate", '{');
	else
		dw_begin(d, "certificate");
	dw_cert_head(d, &x);
	dw_str(d, "SHA-256 fingerprint", "sha256Fingerprint", fp);
	dw_end(d);
	pki_x509info_free(&x);
	return dw_ok(d) ? 0 : -1;
}

/* A kpki bundle (kpki-bundle(5)): its header, its fingerprint, and each
 * entry's target and request; signed, each entry's certificate and the CA
 * certificates in full (their SHA-256 is what an installer confirms). It
 * never holds a key. */
static int
dump_bundle(struct dw *d, const unsigned char *data, size_t len, const char *name)
{
	static const char *const locs[] = { [PKI_LOC_CERT_DIR] = "cert-dir",
		[PKI_LOC_KUBECONFIG_DIR] = "kubeconfig-dir",
		[PKI_LOC_KUBELET_DIR] = "kubelet-dir" };
	struct pki_bundle *b = NULL;
	const struct pki_bundle_entry *e;
	char fp[72], created[32], what[64];
	size_t i, n, nca;
	int ret = -1, is_signed;

	if (pki_bundle_parse(data, len, name, NULL, &b, d->err) != 0 ||
	    pki_bundle_fingerprint(b, fp, d->err) != 0)
		goto out;
	n = pki_bundle_count(b);
	nca = pki_bundle_ca_count(b);
	is_signed = pki_bundle_is_signed(b);
	pki_time_rfc3339(pki_bundle_created(b), created);
	dw_begin(d, is_signed ? "signed bundle" : "CSR bundle");
	dw_str(d, NULL, "type", "bundle");
	dw_str(d, "format", "format", "kpki-bundle v1");
	dw_str(d, "profile set", "profiles", pki_bundle_profiles(b));
	dw_str(d, "cluster", "cluster", pki_bundle_cluster(b));
	if (d->fmt == PKI_FMT_TEXT && pki_bundle_node(b)[0] == '\0')
		dw_str(d, "node", NULL, "(none)");
	else
		dw_str(d, "node", "node", pki_bundle_node(b));
	dw_str(d, "created", "created", created);
	if (d->fmt == PKI_FMT_TEXT && is_signed)
		dw_textf(d, "fingerprint: %s (of the requests)\n", fp);
	else
		dw_str(d, "fingerprint", "fingerprint", fp);
	if (d->fmt != PKI_FMT_TEXT) {
		jw_bool(&d->j, "signed", is_signed);
		jw_open(&d->j, "entries", '[');
	}
	for (i = 0; i < n; i++) {
		e = pki_bundle_at(b, i);
		if (d->fmt != PKI_FMT_TEXT) {
			jw_open(&d->j, NULL, '{');
		} else {
			dw_textf(d, "entry %zu of %zu: %s\n", i + 1, n, pki_bundle_entry_name(e));
			d->indent++;
		}
		dw_str(d, NULL, "name", pki_bundle_entry_name(e));
		dw_str(d, "location", "location", locs[pki_bundle_entry_location(e)]);
		dw_str(d, "path", "path", pki_bundle_entry_path(e));
		if (dump_csr(d, pki_bundle_entry_csr(e), "csr") != 0)
			goto out;
		if (pki_bundle_entry_certificate(e) != NULL) {
			if (dump_issued(d, pki_bundle_entry_certificate(e)) != 0)
				goto out;
		} else if (d->fmt != PKI_FMT_TEXT) {
			jw_null(&d->j, "certificate");
		}
		dw_end(d);
	}
	if (d->fmt != PKI_FMT_TEXT) {
		jw_close(&d->j, ']');
		if (nca == 0)
			jw_null(&d->j, "caCertificates");
		else
			jw_open(&d->j, "caCertificates", '[');
	}
	for (i = 0; i < nca; i++) {
		(void)snprintf(what, sizeof(what), "CA certificate %zu of %zu", i + 1, nca);
		if (dump_cert(d, pki_bundle_ca_at(b, i), what) != 0)
			goto out;
	}
	if (d->fmt != PKI_FMT_TEXT && nca > 0)
		jw_close(&d->j, ']');
	dw_end(d);
	ret = dw_ok(d) ? 0 : -1;
out:
	if (ret != 0)
		d->failed = 1;
	pki_bundle_free(b);
	return ret;
}

/* A bundle is YAML that carries PEM: recognised by its version key on a
 * line of its own, before the PEM blocks would be taken one by one. */
static int
looks_like_bundle(const unsigned char *data, size_t len)
{
	static const char key[] = "kpki-bundle:";

	return (len >= sizeof(key) - 1 && memcmp(data, key, sizeof(key) - 1) == 0) ||
		memmem(data, len, "\nkpki-bundle:", sizeof(key)) != NULL;
}

/* A YAML mapping: a kubeconfig, or a kpki CSR bundle. Returns 0
 * with *recognised = 0 when the input is no such thing. */
static int
dump_yaml(struct dw *d, const unsigned char *data, size_t len, const char *name,
	int *recognised)
{
	static const char *const kc_keys[] = { "current-context", "contexts", "clusters",
		"users" };
	struct pki_ynode **docs = NULL;
	struct pki_err e;
	size_t ndocs = 0, i;
	const struct pki_ynode *kind;
	int ret = 0, is_kc = 0, is_bundle = 0;

	*recognised = 0;
	pki_err_clear(&e);
	if (pki_yaml_parse(data, len, name, NULL, &docs, &ndocs, &e) != 0) {
		/* say why the YAML was refused: an alias bomb should read as one */
		*recognised = 1;
		return pki_err_set(d->err, e.code,
			"'%s': not a certificate, CSR, private key or kubeconfig; as YAML: %s",
			name, e.msg);
	}
	if (ndocs == 0 || docs[0]->type != PKI_Y_MAP)
		goto out;
	is_bundle = pki_ymap_get(docs[0], "kpki-bundle") != NULL;
	for (i = 0; i < PKI_ARRAY_LEN(kc_keys); i++)
		if (pki_ymap_get(docs[0], kc_keys[i]) != NULL)
			is_kc = 1;
	kind = pki_ymap_get(docs[0], "kind");
	if (kind != NULL && kind->type == PKI_Y_SCALAR && strcmp(kind->str, "Config") == 0)
		is_kc = 1;
out:
	pki_ydocs_free(docs, ndocs);
	if (is_bundle) {
		*recognised = 1;
		return dump_bundle(d, data, len, name);
	}
	if (is_kc) {
		*recognised = 1;
		ret = dump_kubeconfig(d, data, len, name);
	}
	return ret;
}

static int
has_pem(const unsigned char *data, size_t len)
{
	static const char begin[] = "-----BEGIN ";

	return len >= sizeof(begin) - 1 && memmem(data, len, begin, sizeof(begin) - 1) != NULL;
}

int
pki_dump(const unsigned char *data, size_t len, const char *name, time_t now,
	enum pki_format fmt, struct pki_buf *out, struct pki_err *err)
{
	struct dw d = { .fmt = fmt, .b = out, .now = now, .err = err };
	struct pki_buf tmp = { 0 };
	char cname[400];
	int rec = 0, ret = -1;

	pki_text_sanitize(name, cname, sizeof(cname));
	if (len > PKI_CAP_ANY)
		return pki_err_set(err, PKI_E_LIMIT, "'%s': larger than %u bytes", cname,
			PKI_CAP_ANY);
	if (fmt == PKI_FMT_YAML)
		return pki_err_set(err, PKI_E_USAGE, "'%s': summaries are text or json, not yaml",
			cname);
	/* build into a scratch buffer: a failed dump appends nothing */
	d.b = &tmp;
	d.j = (struct jw){ .b = &tmp, .err = err, .unit = "  ", .first = 1 };
	if (fmt == PKI_FMT_JSON) {
		jw_open(&d.j, NULL, '{');
		jw_str(&d.j, "name", name);
		jw_open(&d.j, "objects", '[');
	}
	d.name = cname;
	if (len > 0 && data[0] == 0x30) {
		if (dump_der(&d, data, len, NULL, cname, 1, 1, &rec) != 0)
			goto out;
	} else if (looks_like_bundle(data, len)) {
		rec = 1;
		if (dump_bundle(&d, data, len, cname) != 0)
			goto out;
	} else if (has_pem(data, len)) {
		if (dump_pem(&d, data, len, cname, &rec) != 0)
			goto out;
	} else if (len > 0 && memchr(data, '\0', len) == NULL) {
		if (dump_yaml(&d, data, len, cname, &rec) != 0)
			goto out;
	}
	if (!rec) {
		pki_err_set(err, PKI_E_PARSE, "'%s': not a certificate, CSR, private key or kubeconfig",
			cname);
		goto out;
	}
	if (fmt == PKI_FMT_JSON) {
		jw_close(&d.j, ']');
		jw_close(&d.j, '}');
		jw_raw(&d.j, "\n", 1);
	}
	if (!dw_ok(&d))
		goto out;
	ret = pki_buf_append(out, tmp.data, tmp.len, err);
out:
	pki_buf_free(&tmp);
	return ret;
}
