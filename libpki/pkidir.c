/* pkidir.c — a kubeadm PKI directory held against its profiles. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pki/cert.h>
#include <pki/kubeconfig.h>
#include <pki/pkidir.h>
#include <pki/request.h>

#include "internal.h"

/* One verification run: what it reads from and where it writes findings. */
struct vctx {
	const struct pki_profile_set *set;
	const char *cert_dir, *kc_dir;
	const struct pki_kubeadm *cfg;
	time_t now;
	unsigned roles;
	struct pki_names *findings;
	struct pki_err *err;
	size_t checked;
};

static int
finding(struct vctx *v, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
finding(struct vctx *v, const char *file, const char *fmt, ...)
{
	char msg[PKI_ERR_MSG_MAX], qfile[PKI_QPATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pki_path_quote(file, qfile, sizeof(qfile));
	return pki_names_addf(v->findings, v->err, "%s: %s", qfile, msg);
}

/* A file the node's role needs is absent: a finding, unless the profile
 * says a node may lack it. */
static int
missing(struct vctx *v, const struct pki_profile *p, const char *file)
{
	if (pki_profile_optional(p))
		return 0;
	return finding(v, file, "missing (the profile '%s' needs it on this node)",
		pki_profile_name(p));
}

/* "digital-signature, key-encipherment" */
static void
ku_text(unsigned ku, char *out, size_t cap)
{
	unsigned bit;
	size_t o = 0;

	out[0] = '\0';
	for (bit = 1; bit <= PKI_KU_DECIPHER_ONLY; bit <<= 1) {
		int n;

		if (!(ku & bit))
			continue;
		n = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", pki_ku_name(bit));
		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
	if (o == 0)
		(void)snprintf(out, cap, "none");
}

static void
eku_text(const struct pki_names *eku, char *out, size_t cap)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < eku->n; i++) {
		const char *name = pki_eku_name(eku->v[i]);
		int n = snprintf(out + o, cap - o, "%s%s", o ? ", " : "",
			name ? name : eku->v[i]);

		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
	if (o == 0)
		(void)snprintf(out, cap, "none");
}

/*
 * Whether value fits the template: equal when the template has no
 * variable; with variables and no configuration, the literal text around
 * the variables must match and each variable must stand for something.
 */
static int
template_fits(const char *tmpl, const char *value)
{
	const char *var = strstr(tmpl, "${"), *end;
	size_t pre, post;

	if (var == NULL)
		return strcmp(tmpl, value) == 0;
	end = strchr(var, '}');
	if (end == NULL)
		return 0;
	pre = (size_t)(var - tmpl);
	post = strlen(end + 1);
	if (strlen(value) <= pre + post)
		return 0;
	return strncmp(value, tmpl, pre) == 0 &&
		strcmp(value + strlen(value) - post, end + 1) == 0;
}

static int
check_subject(struct vctx *v, const struct pki_profile *p, const char *file,
	const struct pki_x509info *info)
{
	struct pki_names org = { 0 };
	char *cn = NULL;
	int ret = -1, fits;
	size_t i;

	if (pki_profile_subject(p, v->cfg, &cn, &org, v->err) != 0)
		goto out;
	/* clients disagree on which of several CNs counts: never accept that */
	if (info->cn_count > 1 &&
	    finding(v, file, "subject has %zu CNs; kubeadm certificates have exactly one",
		    info->cn_count) != 0)
		goto out;
	if (info->other_attrs > 0 &&
	    finding(v, file, "subject '%s' has attributes other than CN and O", info->subject) != 0)
		goto out;
	fits = info->cn != NULL &&
		(v->cfg ? strcmp(cn, info->cn) == 0 : template_fits(cn, info->cn));
	if (!fits && finding(v, file, "subject CN is '%s', the profile '%s' wants '%s'",
			 info->cn ? info->cn : "", pki_profile_name(p), cn) != 0)
		goto out;
	if (!pki_names_equal_set(&org, &info->org)) {
		char want[512] = "", have[512] = "";
		size_t o = 0;

		for (i = 0; i < org.n && o < sizeof(want); i++)
			o += (size_t)snprintf(want + o, sizeof(want) - o, "%s'%s'",
				i ? ", " : "", org.v[i]);
		for (i = 0, o = 0; i < info->org.n && o < sizeof(have); i++)
			o += (size_t)snprintf(have + o, sizeof(have) - o, "%s'%s'",
				i ? ", " : "", info->org.v[i]);
		if (finding(v, file, "subject O is [%s], the profile '%s' wants [%s]", have,
			    pki_profile_name(p), want) != 0)
			goto out;
	}
	ret = 0;
out:
	free(cn);
	pki_names_free(&org);
	return ret;
}

static int
check_san_list(struct vctx *v, const char *file, const char *kind,
	const struct pki_names *want, const struct pki_names *have, int extras)
{
	size_t i;

	for (i = 0; i < want->n; i++)
		if (!pki_names_contains(have, want->v[i]) &&
		    finding(v, file, "missing %s SAN '%s'", kind, want->v[i]) != 0)
			return -1;
	if (!extras)
		return 0;
	for (i = 0; i < have->n; i++)
		if (!pki_names_contains(want, have->v[i]) &&
		    finding(v, file, "%s SAN '%s' is not in the profile for this configuration",
			    kind, have->v[i]) != 0)
			return -1;
	return 0;
}

static int
check_sans(struct vctx *v, const struct pki_profile *p, const char *file,
	const struct pki_x509info *info)
{
	struct pki_names dns = { 0 }, ip = { 0 };
	int ret = -1;

	if (!pki_profile_has_sans(p)) {
		if (info->dns.n + info->ip.n + info->other_san.n > 0 &&
		    finding(v, file, "carries SANs, the profile '%s' allows none",
			    pki_profile_name(p)) != 0)
			goto out;
		ret = 0;
		goto out;
	}
	if (info->other_san.n > 0 &&
	    finding(v, file, "carries a SAN that is neither DNS nor IP ('%s')",
		    info->other_san.v[0]) != 0)
		goto out;
	/* without a configuration only the SANs every cluster has are known */
	if (pki_profile_sans(p, v->cfg, &dns, &ip, v->err) != 0)
		goto out;
	if (v->cfg == NULL) {
		struct pki_names fixed_dns = { 0 }, fixed_ip = { 0 };
		size_t i;
		int r = 0;

		for (i = 0; i < dns.n && r == 0; i++)
			r = pki_names_add(&fixed_dns, dns.v[i], v->err);
		for (i = 0; i < ip.n && r == 0; i++)
			r = pki_names_add(&fixed_ip, ip.v[i], v->err);
		if (r == 0)
			r = check_san_list(v, file, "DNS", &fixed_dns, &info->dns, 0);
		if (r == 0)
			r = check_san_list(v, file, "IP", &fixed_ip, &info->ip, 0);
		pki_names_free(&fixed_dns);
		pki_names_free(&fixed_ip);
		if (r != 0)
			goto out;
	} else if (check_san_list(v, file, "DNS", &dns, &info->dns, 1) != 0 ||
		   check_san_list(v, file, "IP", &ip, &info->ip, 1) != 0) {
		goto out;
	}
	ret = 0;
out:
	pki_names_free(&dns);
	pki_names_free(&ip);
	return ret;
}

/* Usages, constraints, dates: what every certificate of a profile must say. */
static int
check_usages(struct vctx *v, const struct pki_profile *p, const char *file,
	const struct pki_x509info *info)
{
	const struct pki_names *eku = pki_profile_ext_key_usage(p);
	int is_ca = pki_profile_kind(p) == PKI_PROFILE_CA;
	char want[256], have[256];

	if (!info->has_ku || info->ku != pki_profile_key_usage(p)) {
		ku_text(pki_profile_key_usage(p), want, sizeof(want));
		ku_text(info->has_ku ? info->ku : 0, have, sizeof(have));
		if (finding(v, file, "key usage is [%s], the profile '%s' wants [%s]", have,
			    pki_profile_name(p), want) != 0)
			return -1;
	}
	if (!pki_names_equal_set(eku, &info->eku)) {
		eku_text(eku, want, sizeof(want));
		eku_text(&info->eku, have, sizeof(have));
		if (finding(v, file, "extended key usage is [%s], the profile '%s' wants [%s]",
			    have, pki_profile_name(p), want) != 0)
			return -1;
	}
	if (is_ca && !info->is_ca &&
	    finding(v, file, "is not a CA (basicConstraints CA:TRUE missing)") != 0)
		return -1;
	if (!is_ca && info->is_ca &&
	    finding(v, file, "is a CA certificate, the profile '%s' is for a leaf",
		    pki_profile_name(p)) != 0)
		return -1;
	if (info->not_after < v->now) {
		char t[32];

		pki_time_rfc3339(info->not_after, t);
		if (finding(v, file, "expired on %s", t) != 0)
			return -1;
	} else if (info->not_before > v->now) {
		char t[32];

		pki_time_rfc3339(info->not_before, t);
		if (finding(v, file, "not valid before %s", t) != 0)
			return -1;
	}
	return 0;
}

/* The key, the signature's hash and the serial: what no profile may relax. */
static int
check_crypto(struct vctx *v, const struct pki_profile *p, const char *file,
	const struct pki_x509info *info)
{
	struct pki_err e;
	int zero = info->serial[strspn(info->serial, "0")] == '\0';

	pki_err_clear(&e);
	if (!pki_keyinfo_acceptable(&info->key, pki_profile_allows_ed25519(p), &e) &&
	    finding(v, file, "%s", e.msg) != 0)
		return -1;
	if ((strstr(info->sig_algo, "SHA1") != NULL || strstr(info->sig_algo, "MD5") != NULL) &&
	    finding(v, file, "signed with %s, a broken hash", info->sig_algo) != 0)
		return -1;
	if ((info->serial[0] == '-' || zero) &&
	    finding(v, file, "serial %s is not a positive integer (RFC 5280 4.1.2.2)",
		    info->serial[0] ? info->serial : "(empty)") != 0)
		return -1;
	return 0;
}

/* Loads the CA certificate a profile is signed by; NULL (no error) when
 * it is absent, which is itself a finding. */
static int
load_ca(struct vctx *v, const struct pki_profile *p, const char *file,
	struct pki_cert **out)
{
	const struct pki_profile *ca = pki_profile_set_find(v->set, pki_profile_ca(p));
	char *rel = NULL, *path = NULL;
	struct pki_err e;
	int ret = -1;

	*out = NULL;
	if (ca == NULL)
		return pki_err_set(v->err, PKI_E_INVALID, "profile '%s': unknown CA '%s'",
			pki_profile_name(p), pki_profile_ca(p));
	if (asprintf(&rel, "%s.crt", pki_profile_path(ca)) < 0) {
		rel = NULL;
		pki_err_nomem(v->err);
		goto out;
	}
	if (pki_path_join(&path, v->cert_dir, rel, v->err) != 0)
		goto out;
	pki_err_clear(&e);
	if (pki_cert_load(path, out, &e) != 0) {
		if (finding(v, file, "cannot check the chain: %s", e.msg) != 0)
			goto out;
	}
	ret = 0;
out:
	free(rel);
	free(path);
	return ret;
}

/* Every check of one certificate against its profile; its issuer is
 * `issuer` when given, else (with load_issuer) the CA certificate in the
 * cert dir. A caller that already tried to load the CA, and reported its
 * absence, passes issuer NULL and load_issuer 0. */
static int
check_cert(struct vctx *v, const struct pki_profile *p, const char *file,
	const struct pki_cert *cert, const struct pki_cert *issuer, int load_issuer)
{
	struct pki_x509info info = { 0 };
	struct pki_cert *ca = NULL;
	struct pki_err e;
	int ret = -1;

	v->checked++;
	if (pki_cert_info(cert, &info, v->err) != 0)
		goto out;
	if (check_usages(v, p, file, &info) != 0 || check_subject(v, p, file, &info) != 0 ||
	    check_sans(v, p, file, &info) != 0 || check_crypto(v, p, file, &info) != 0)
		goto out;
	if (pki_profile_kind(p) == PKI_PROFILE_CA) {
		/* a self-issued CA must verify with its own key; an intermediate
		 * under an organisation's root has no root here to check against */
		pki_err_clear(&e);
		if (info.issuer != NULL && strcmp(info.issuer, info.subject) == 0 &&
		    pki_cert_verify_signed_by(cert, cert, &e) != 0 &&
		    finding(v, file, "self-signature does not verify: %s", e.msg) != 0)
			goto out;
	} else {
		if (issuer == NULL && load_issuer && load_ca(v, p, file, &ca) != 0)
			goto out;
		if (issuer == NULL)
			issuer = ca;
		pki_err_clear(&e);
		if (issuer != NULL && pki_cert_verify_signed_by(cert, issuer, &e) != 0 &&
		    finding(v, file, "does not chain to CA '%s': %s", pki_profile_ca(p),
			    e.msg) != 0)
			goto out;
	}
	ret = 0;
out:
	pki_cert_free(ca);
	pki_x509info_free(&info);
	return ret;
}

static int
check_key_match(struct vctx *v, const char *file, const struct pki_cert *cert,
	const struct pki_key *key)
{
	int m = pki_cert_matches_key(cert, key, v->err);

	if (m < 0)
		return -1;
	if (m == 0 && finding(v, file, "the private key does not match the certificate") != 0)
		return -1;
	return 0;
}

static int
verify_cert_file(struct vctx *v, const struct pki_profile *p)
{
	char *base = NULL, *crt = NULL, *key = NULL;
	struct pki_cert *cert = NULL;
	struct pki_key *k = NULL;
	struct pki_err e;
	int ret = -1, exists;

	if (pki_path_join(&base, v->cert_dir, pki_profile_path(p), v->err) != 0)
		goto out;
	if (asprintf(&crt, "%s.crt", base) < 0 || asprintf(&key, "%s.key", base) < 0) {
		crt = key = NULL;
		pki_err_nomem(v->err);
		goto out;
	}
	exists = pki_file_exists(crt, v->err);
	if (exists < 0)
		goto out;
	if (exists == 0) {
		ret = missing(v, p, crt);
		goto out;
	}
	pki_err_clear(&e);
	if (pki_cert_load(crt, &cert, &e) != 0) {
		ret = finding(v, crt, "%s", e.msg);
		goto out;
	}
	if (check_cert(v, p, crt, cert, NULL, 1) != 0)
		goto out;
	exists = pki_file_exists(key, v->err);
	if (exists < 0)
		goto out;
	if (exists == 0) {
		/* a CA without its key is external-CA mode; a leaf needs its key */
		if (pki_profile_kind(p) != PKI_PROFILE_CA &&
		    finding(v, key, "private key missing") != 0)
			goto out;
		ret = 0;
		goto out;
	}
	pki_err_clear(&e);
	if (pki_key_load(key, &k, &e) != 0) {
		ret = finding(v, key, "%s", e.msg);
		goto out;
	}
	ret = check_key_match(v, key, cert, k);
out:
	pki_key_free(k);
	pki_cert_free(cert);
	free(base);
	free(crt);
	free(key);
	return ret;
}

/* The kubeconfig's CA data must be the cert dir's ca.crt (`ca`, NULL when
 * it could not be loaded, already a finding). */
static int
check_kc_ca(struct vctx *v, const struct pki_profile *p, const char *file,
	const struct pki_kubeconfig *kc, const struct pki_cert *ca)
{
	const struct pki_buf *ca_data = pki_kubeconfig_ca_data(kc);
	struct pki_x509info a = { 0 }, b = { 0 };
	struct pki_cert *embedded = NULL;
	struct pki_err e;
	int ret = -1;

	if (ca_data == NULL || ca_data->len == 0) {
		ret = finding(v, file, "no certificate-authority-data");
		goto out;
	}
	if (ca == NULL) {
		ret = 0;
		goto out;
	}
	pki_err_clear(&e);
	if (pki_cert_parse(ca_data->data, ca_data->len, "certificate-authority-data", &embedded,
		    &e) != 0) {
		ret = finding(v, file, "%s", e.msg);
		goto out;
	}
	if (pki_cert_info(embedded, &a, v->err) != 0 || pki_cert_info(ca, &b, v->err) != 0)
		goto out;
	if (memcmp(a.sha256, b.sha256, sizeof(a.sha256)) != 0 &&
	    finding(v, file, "certificate-authority-data differs from the CA certificate '%s.crt'",
		    pki_profile_path(pki_profile_set_find(v->set, pki_profile_ca(p)))) != 0)
		goto out;
	ret = 0;
out:
	pki_x509info_free(&a);
	pki_x509info_free(&b);
	pki_cert_free(embedded);
	return ret;
}

static int
check_kc_server(struct vctx *v, const struct pki_profile *p, const char *file,
	const struct pki_kubeconfig *kc)
{
	char *want = NULL;
	const char *have = pki_kubeconfig_server(kc);
	int ret = -1;

	if (v->cfg == NULL || pki_profile_server(p) == PKI_SERVER_NONE)
		return 0;
	if ((pki_profile_server(p) == PKI_SERVER_LOCAL ?
			    pki_kubeadm_local_url(v->cfg, &want, v->err) :
			    pki_kubeadm_cpe_url(v->cfg, &want, v->err)) != 0)
		return -1;
	if ((have == NULL || strcmp(have, want) != 0) &&
	    finding(v, file, "server is '%s', the configuration gives '%s'", have ? have : "",
		    want) != 0)
		goto out;
	ret = 0;
out:
	free(want);
	return ret;
}

/* A kubeconfig that embeds a client key is as secret as a key file. */
static int
check_kc_mode(struct vctx *v, const char *path)
{
	char q[PKI_QPATH_MAX];
	struct stat st;

	if (lstat(path, &st) != 0)
		return 0; /* it was just read; a race is not this check's to report */
	if ((st.st_mode & 077) == 0)
		return 0;
	pki_path_quote(path, q, sizeof(q));
	return finding(v, path, "mode %04o lets group or others read the private key it "
		"embeds; fix with: chmod 600 '%s'", (unsigned)(st.st_mode & 07777), q);
}

static int
verify_kubeconfig(struct vctx *v, const struct pki_profile *p)
{
	struct pki_kubeconfig *kc = NULL;
	struct pki_cert *cert = NULL, *ca = NULL;
	struct pki_key *key = NULL;
	const struct pki_buf *cd, *kd;
	char *path = NULL;
	struct pki_err e;
	int ret = -1, exists;

	if (pki_path_join(&path, v->kc_dir, pki_profile_path(p), v->err) != 0)
		goto out;
	exists = pki_file_exists(path, v->err);
	if (exists <= 0) {
		ret = exists < 0 ? -1 : missing(v, p, path);
		goto out;
	}
	pki_err_clear(&e);
	if (pki_kubeconfig_load(path, &kc, &e) != 0) {
		ret = finding(v, path, "%s", e.msg);
		goto out;
	}
	/* the CA is loaded once: its absence is one finding, not one per check */
	if (load_ca(v, p, path, &ca) != 0 || check_kc_ca(v, p, path, kc, ca) != 0 ||
	    check_kc_server(v, p, path, kc) != 0)
		goto out;
	cd = pki_kubeconfig_client_cert_data(kc);
	kd = pki_kubeconfig_client_key_data(kc);
	if (cd == NULL || cd->len == 0) {
		/* file references (kubelet.conf after TLS bootstrap) live outside this tree */
		ret = pki_kubeconfig_client_cert_file(kc) != NULL ? 0 :
			finding(v, path, "no client certificate");
		goto out;
	}
	pki_err_clear(&e);
	if (pki_cert_parse(cd->data, cd->len, "client-certificate-data", &cert, &e) != 0) {
		ret = finding(v, path, "%s", e.msg);
		goto out;
	}
	if (check_cert(v, p, path, cert, ca, 0) != 0)
		goto out;
	if (kd == NULL || kd->len == 0) {
		ret = finding(v, path, "no client-key-data");
		goto out;
	}
	if (check_kc_mode(v, path) != 0)
		goto out;
	pki_err_clear(&e);
	if (pki_key_parse(kd->data, kd->len, "client-key-data", &key, &e) != 0) {
		ret = finding(v, path, "%s", e.msg);
		goto out;
	}
	ret = check_key_match(v, path, cert, key);
out:
	pki_key_free(key);
	pki_cert_free(cert);
	pki_cert_free(ca);
	pki_kubeconfig_free(kc);
	free(path);
	return ret;
}

/* ---- an interrupted install ------------------------------------------------ */

/*
 * lstat of the intent file through the staging directory, which is opened
 * without following a link: 1 (*st filled) when something is there, 0 when
 * nothing is, -1 with *eno the reason when it cannot tell.
 */
static int
intent_lstat(const char *staging, struct stat *st, int *eno)
{
	int fd, r;

	*eno = 0;
	fd = open(staging, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* no staging directory, or a link or file in its place: kpki-csr
		 * and kpki-kubeconfig refuse those themselves, and no intent
		 * file of theirs can be behind one */
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return 0;
		*eno = errno;
		return -1;
	}
	r = fstatat(fd, PKI_INSTALL_INTENT, st, AT_SYMLINK_NOFOLLOW);
	if (r != 0)
		*eno = errno;
	(void)close(fd);
	if (r == 0)
		return 1;
	return *eno == ENOENT ? 0 : -1;
}

/* What stands where a regular file belongs; NULL for a regular file. */
static const char *
intent_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return NULL;
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISDIR(mode))
		return "a directory";
	return "a special file";
}

int
pki_pkidir_intent(const char *cert_dir, char **path, const char **kind, struct pki_err *err)
{
	char *staging = NULL, *p = NULL, q[PKI_QPATH_MAX];
	struct stat st;
	int eno, r, ret = -1;

	*path = NULL;
	*kind = NULL;
	if (pki_path_join(&staging, cert_dir, PKI_STAGING_DIR, err) != 0)
		goto out;
	r = intent_lstat(staging, &st, &eno);
	if (r < 0) {
		pki_path_quote(staging, q, sizeof(q));
		pki_err_set(err, eno == EACCES ? PKI_E_PERM : PKI_E_IO,
			"staging directory '%s': cannot look for an interrupted install in it: %s",
			q, strerror(eno));
		goto out;
	}
	if (r == 0) {
		ret = 0;
		goto out;
	}
	if (pki_path_join(&p, staging, PKI_INSTALL_INTENT, err) != 0)
		goto out;
	*kind = intent_kind(st.st_mode);
	*path = p;
	p = NULL; /* transferred */
	ret = 1;
out:
	free(staging);
	free(p);
	return ret;
}

/*
 * An install kpki-kubeconfig did not finish leaves its intent file: until
 * the same command runs again, pairs may be half renewed and staged keys
 * half consumed, whatever the other checks say.
 */
static int
check_intent(struct vctx *v)
{
	char *staging = NULL, *path = NULL;
	struct stat st;
	int eno, r, ret = -1;

	if (pki_path_join(&staging, v->cert_dir, PKI_STAGING_DIR, v->err) != 0 ||
	    pki_path_join(&path, staging, PKI_INSTALL_INTENT, v->err) != 0)
		goto out;
	r = intent_lstat(staging, &st, &eno);
	if (r == 0)
		ret = 0;
	else if (r < 0)
		ret = finding(v, path, "cannot tell whether an install was interrupted: %s",
			strerror(eno));
	else if (intent_kind(st.st_mode) == NULL)
		ret = finding(v, path,
			"install interrupted: rerun the same kpki-kubeconfig command to finish it");
	else
		ret = finding(v, path, "is %s where kpki-kubeconfig keeps its install intent: "
			"it cannot install until this is removed", intent_kind(st.st_mode));
out:
	free(staging);
	free(path);
	return ret;
}

int
pki_pkidir_verify(const struct pki_profile_set *set, const char *cert_dir,
	const char *kc_dir, const struct pki_kubeadm *cfg, unsigned roles, time_t now,
	struct pki_names *findings, struct pki_err *err)
{
	struct vctx v = { set, cert_dir, kc_dir, cfg, now, roles, findings, err, 0 };
	int external_etcd = cfg != NULL && pki_kubeadm_external_etcd(cfg);
	size_t i;

	if (cfg != NULL && pki_kubeadm_require_cluster(cfg, err) != 0)
		return -1;
	if (v.roles == 0)
		v.roles = PKI_ROLE_CONTROL_PLANE;
	if (check_intent(&v) != 0)
		return -1;
	for (i = 0; i < pki_profile_set_count(set); i++) {
		const struct pki_profile *p = pki_profile_set_at(set, i);
		int r = 0;

		if ((external_etcd && pki_profile_needs_local_etcd(p)) ||
		    !(pki_profile_roles(p) & v.roles))
			continue;
		switch (pki_profile_location(p)) {
		case PKI_LOC_CERT_DIR:
			r = verify_cert_file(&v, p);
			break;
		case PKI_LOC_KUBECONFIG_DIR:
			r = verify_kubeconfig(&v, p);
			break;
		case PKI_LOC_KUBELET_DIR:
			break; /* lives on the node outside the PKI tree */
		}
		if (r != 0)
			return -1;
	}
	if (v.checked == 0) {
		char qc[PKI_QPATH_MAX], qk[PKI_QPATH_MAX];

		pki_text_sanitize(cert_dir, qc, sizeof(qc));
		pki_text_sanitize(kc_dir, qk, sizeof(qk));
		return pki_err_set(err, PKI_E_NOTFOUND,
			"'%s': no certificate of profile set '%s' found (nor kubeconfigs in '%s')",
			qc, pki_profile_set_name(set), qk);
	}
	return 0;
}

int
pki_pkidir_check_cert(const struct pki_profile_set *set, const char *cert_dir,
	const struct pki_kubeadm *cfg, const struct pki_profile *p, const char *file,
	const struct pki_cert *cert, const struct pki_cert *ca, time_t now,
	struct pki_names *findings, struct pki_err *err)
{
	struct vctx v = { set, cert_dir, NULL, cfg, now, 0, findings, err, 0 };

	if (cfg != NULL && pki_kubeadm_require_cluster(cfg, err) != 0)
		return -1;
	return check_cert(&v, p, file, cert, ca, 1);
}

int
pki_pkidir_render_findings(const struct pki_names *f, enum pki_format fmt,
	struct pki_buf *out, struct pki_err *err)
{
	size_t i;

	if (fmt == PKI_FMT_TEXT) {
		for (i = 0; i < f->n; i++)
			if (pki_buf_printf(out, err, "%s\n", f->v[i]) != 0)
				return -1;
		return 0;
	}
	if (pki_buf_printf(out, err, fmt == PKI_FMT_JSON ? "{\n    \"problems\": [" :
							    "problems:") != 0)
		return -1;
	for (i = 0; i < f->n; i++) {
		if (pki_buf_printf(out, err, fmt == PKI_FMT_JSON ? "%s\n        " : "\n- ",
			    fmt == PKI_FMT_JSON && i ? "," : "") != 0)
			return -1;
		if ((fmt == PKI_FMT_JSON ? pki_json_str(out, f->v[i], err) :
					   pki_yaml_str(out, f->v[i], err)) != 0)
			return -1;
	}
	if (fmt == PKI_FMT_JSON)
		return pki_buf_printf(out, err, "%s]\n}\n", f->n ? "\n    " : "");
	return pki_buf_printf(out, err, "%s\n", f->n ? "" : " []");
}
