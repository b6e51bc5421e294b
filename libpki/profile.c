/*
 * profile.c — certificate profiles from YAML templates (kpki-profile(5)),
 * and their expansion for one kubeadm configuration.
 */
#define _GNU_SOURCE /* secure_getenv */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pki/duration.h>
#include <pki/profile.h>

#include "internal.h"

#define SET_FORMAT	"kpki-profiles/v1"
#define CAP_SET		(256u * 1024) /* bytes of one template file */
#define MAX_PROFILES	64
#define MAX_LIST	64	/* entries of sans, o, key-usage, ... */
#define MAX_TEXT	256	/* bytes of a name, path, CN or SAN source */
#define MAX_VAR		64	/* bytes of a variable name */
#define MAX_EXPANDED	4096	/* bytes of one expanded value */
#define MAX_SAN_VALUES	2048	/* values before de-duplication */
#define MAX_SET_FILES	64	/* templates scanned for the default set */

static const struct pki_ylimits profile_ylimits = {
	.max_depth = 8,
	.max_nodes = 20000,
	.max_scalar = 1024,
	.max_docs = 1,
};

struct pki_profile {
	char *name;
	enum pki_profile_kind kind;
	enum pki_profile_location loc;
	char *path;
	char *ca;		/* NULL for a CA */
	unsigned line, ca_line;
	char *cn;
	struct pki_names org;
	unsigned ku;
	struct pki_names eku;	/* dotted OIDs */
	struct pki_names sans;	/* sources, unexpanded */
	int64_t validity;
	int report, local_etcd, ed25519, optional;
	unsigned roles;
	enum pki_profile_server server;
};

struct pki_profile_set {
	char *name;
	char *description;
	unsigned min[2];	/* kubeadm major.minor this set starts at */
	unsigned max[2];	/* ... and ends at, when has_max */
	int has_max;
	struct pki_profile **v;
	size_t n;
};

/* What loading one file needs. */
struct lctx {
	const char *where;	/* "profile set 'x.yaml'" */
	struct pki_kubeadm *probe; /* every variable set, lists with two values */
	struct pki_err *err;
};

/*
 * A configuration in which every scalar variable has one value and every
 * list variable two, so that the loader can tell unknown variables and
 * list variables apart without a second table of names.
 */
static const char probe_yaml[] =
	"apiVersion: kubeadm.k8s.io/v1beta4\n"
	"kind: InitConfiguration\n"
	"nodeRegistration: {name: probe}\n"
	"localAPIEndpoint: {advertiseAddress: 192.0.2.1}\n"
	"---\n"
	"apiVersion: kubeadm.k8s.io/v1beta4\n"
	"kind: ClusterConfiguration\n"
	"controlPlaneEndpoint: probe.example\n"
	"apiServer: {certSANs: [a.example, b.example]}\n"
	"etcd: {local: {serverCertSANs: [a.example, b.example],"
	" peerCertSANs: [a.example, b.example]}}\n";

__attribute__((format(printf, 4, 5))) static int
perr(struct lctx *l, unsigned line, const char *profile, const char *fmt, ...)
{
	char msg[PKI_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (profile != NULL)
		return pki_err_set(l->err, PKI_E_INVALID, "%s: line %u: profile '%s': %s",
			l->where, line, profile, msg);
	return pki_err_set(l->err, PKI_E_INVALID, "%s: line %u: %s", l->where, line, msg);
}

static void
profile_free(struct pki_profile *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->path);
	free(p->ca);
	free(p->cn);
	pki_names_free(&p->org);
	pki_names_free(&p->eku);
	pki_names_free(&p->sans);
	free(p);
}

void
pki_profile_set_free(struct pki_profile_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		profile_free(set->v[i]);
	free(set->v);
	free(set->name);
	free(set->description);
	free(set);
}

/* ---- checks --------------------------------------------------------------- */

/* profile and set names: [a-z0-9][a-z0-9.-]* */
static int
name_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > MAX_VAR)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    (i > 0 && (c == '.' || c == '-'))))
			return 0;
	}
	return 1;
}

/* a relative path of [A-Za-z0-9._-] components, none "." or ".." */
static int
path_ok(const char *s)
{
	const char *p = s;

	if (*s == '\0' || strlen(s) > MAX_TEXT)
		return 0;
	for (;;) {
		size_t n = strcspn(p, "/");
		size_t i;

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		for (i = 0; i < n; i++) {
			char c = p[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
				return 0;
		}
		if (p[n] == '\0')
			return 1;
		p += n + 1;
	}
}

static int
var_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '.';
}

/*
 * Finds the next "${name}" at or after s: *start at '$', name copied into
 * var. Returns 1 when found, 0 at the end, -1 on a malformed reference.
 */
static int
next_var(const char *s, const char **start, const char **end, char var[MAX_VAR + 1])
{
	const char *d = strchr(s, '$'), *p;

	if (d == NULL)
		return 0;
	if (d[1] != '{')
		return -1;
	for (p = d + 2; var_char(*p); p++)
		;
	if (*p != '}' || p == d + 2 || (size_t)(p - d - 2) > MAX_VAR)
		return -1;
	memcpy(var, d + 2, (size_t)(p - d - 2));
	var[p - d - 2] = '\0';
	*start = d;
	*end = p + 1;
	return 1;
}

/*
 * Checks the variables of a template string: each must be known, and a list
 * variable must be the whole string, and only where lists are allowed.
 */
static int
check_vars(struct lctx *l, const char *s, unsigned line, const char *profile,
	const char *field, int list_ok)
{
	const char *p = s, *start, *end;
	char var[MAX_VAR + 1];
	struct pki_names tmp = { 0 };
	struct pki_err e2;
	int r;

	while ((r = next_var(p, &start, &end, var)) == 1) {
		pki_err_clear(&e2);
		if (pki_kubeadm_var(l->probe, var, &tmp, &e2) != 0) {
			pki_names_free(&tmp);
			if (e2.code == PKI_E_NOTFOUND)
				return perr(l, line, profile, "%s: unknown variable '${%s}'", field,
					var);
			*l->err = e2;
			return -1;
		}
		if (tmp.n > 1 && !list_ok) {
			pki_names_free(&tmp);
			return perr(l, line, profile, "%s: list variable '${%s}' is not allowed here",
				field, var);
		}
		if (tmp.n > 1 && (start != s || *end != '\0')) {
			pki_names_free(&tmp);
			return perr(l, line, profile,
				"%s: list variable '${%s}' must stand alone as a whole entry", field,
				var);
		}
		pki_names_free(&tmp);
		p = end;
	}
	if (r < 0) {
		char clean[MAX_TEXT + 16];

		pki_text_sanitize(s, clean, sizeof(clean));
		return perr(l, line, profile,
			"%s: '%s': '$' must start a variable written ${name}", field, clean);
	}
	return 0;
}

/* ---- reading one profile ------------------------------------------------- */

static int
need(struct lctx *l, const struct pki_ynode *map, const char *key, const char *profile)
{
	const struct pki_ynode *n = pki_ymap_get(map, key);

	if (n == NULL || pki_ynode_is_null(n))
		return perr(l, map->line, profile, "missing '%s'", key);
	return 0;
}

/* a non-empty string of at most MAX_TEXT bytes */
static int
get_text(struct lctx *l, const struct pki_ynode *map, const char *key, int required,
	const char *profile, const char **out, unsigned *line)
{
	const struct pki_ynode *n = pki_ymap_get(map, key);

	if (required && need(l, map, key, profile) != 0)
		return -1;
	if (pki_yget_str(map, key, 0, l->where, out, l->err) != 0)
		return -1;
	if (n == NULL || *out == NULL)
		return 0;
	if (**out == '\0' || n->len > MAX_TEXT)
		return perr(l, n->line, profile, "'%s' must be 1 to %d bytes", key, MAX_TEXT);
	if (line != NULL)
		*line = n->line;
	return 0;
}

/* a list of strings, each at most MAX_TEXT bytes, at most MAX_LIST of them */
static int
get_texts(struct lctx *l, const struct pki_ynode *map, const char *key, int required,
	const char *profile, const struct pki_ynode **out)
{
	const struct pki_ynode *seq = NULL;
	size_t i;

	*out = NULL;
	if (required && need(l, map, key, profile) != 0)
		return -1;
	if (pki_yget_seq(map, key, 0, l->where, &seq, l->err) != 0)
		return -1;
	if (seq == NULL)
		return 0;
	if (seq->n > MAX_LIST)
		return pki_err_set(l->err, PKI_E_LIMIT, "%s: line %u: profile '%s': more than %d entries in '%s'",
			l->where, seq->line, profile, MAX_LIST, key);
	for (i = 0; i < seq->n; i++) {
		const struct pki_ynode *it = seq->items[i];

		if (it->type != PKI_Y_SCALAR || it->len == 0 || it->len > MAX_TEXT)
			return perr(l, it->line, profile,
				"entries of '%s' must be values of 1 to %d bytes", key, MAX_TEXT);
		if (!pki_text_is_clean(it->str, it->len, 0))
			return perr(l, it->line, profile,
				"an entry of '%s' holds control characters or invalid UTF-8", key);
	}
	*out = seq;
	return 0;
}

static int
get_key_usage(struct lctx *l, const struct pki_ynode *map, struct pki_profile *p)
{
	const struct pki_ynode *seq;
	size_t i;

	if (get_texts(l, map, "key-usage", 1, p->name, &seq) != 0)
		return -1;
	for (i = 0; i < seq->n; i++) {
		unsigned bit;

		if (pki_ku_from_name(seq->items[i]->str, &bit) != 0)
			return perr(l, seq->items[i]->line, p->name,
				"unknown key usage '%s' in 'key-usage'", seq->items[i]->str);
		if (p->ku & bit)
			return perr(l, seq->items[i]->line, p->name,
				"key usage '%s' is listed twice", seq->items[i]->str);
		p->ku |= bit;
	}
	return 0;
}

static int
get_ext_key_usage(struct lctx *l, const struct pki_ynode *map, struct pki_profile *p)
{
	const struct pki_ynode *seq;
	size_t i;

	if (get_texts(l, map, "ext-key-usage", 0, p->name, &seq) != 0)
		return -1;
	for (i = 0; seq != NULL && i < seq->n; i++) {
		const char *oid = pki_eku_oid(seq->items[i]->str);

		if (oid == NULL)
			return perr(l, seq->items[i]->line, p->name,
				"unknown extended key usage '%s' in 'ext-key-usage'",
				seq->items[i]->str);
		if (pki_names_contains(&p->eku, oid))
			return perr(l, seq->items[i]->line, p->name,
				"extended key usage '%s' is listed twice", seq->items[i]->str);
		if (pki_names_add(&p->eku, oid, l->err) != 0)
			return -1;
	}
	return 0;
}

static int
get_subject(struct lctx *l, const struct pki_ynode *map, struct pki_profile *p)
{
	static const char *const keys[] = { "cn", "o", NULL };
	const struct pki_ynode *subj = NULL, *seq;
	const char *cn = NULL;
	unsigned line = 0;
	size_t i;
	char where[MAX_TEXT + 32];

	if (need(l, map, "subject", p->name) != 0 ||
	    pki_yget_map(map, "subject", 1, l->where, &subj, l->err) != 0)
		return -1;
	(void)snprintf(where, sizeof(where), "the subject of profile '%s'", p->name);
	if (pki_ymap_check_keys(subj, keys, l->where, where, l->err) != 0)
		return -1;
	if (get_text(l, subj, "cn", 1, p->name, &cn, &line) != 0 ||
	    check_vars(l, cn, line, p->name, "subject cn", 0) != 0)
		return -1;
	if ((p->cn = pki_strdup(cn, l->err)) == NULL)
		return -1;
	if (get_texts(l, subj, "o", 0, p->name, &seq) != 0)
		return -1;
	for (i = 0; seq != NULL && i < seq->n; i++) {
		if (check_vars(l, seq->items[i]->str, seq->items[i]->line, p->name, "subject o",
			    0) != 0 ||
		    pki_names_add(&p->org, seq->items[i]->str, l->err) != 0)
			return -1;
	}
	return 0;
}

static int
get_sans(struct lctx *l, const struct pki_ynode *map, struct pki_profile *p)
{
	const struct pki_ynode *seq;
	size_t i;

	if (get_texts(l, map, "sans", 0, p->name, &seq) != 0)
		return -1;
	for (i = 0; seq != NULL && i < seq->n; i++) {
		if (check_vars(l, seq->items[i]->str, seq->items[i]->line, p->name, "sans", 1) !=
			    0 ||
		    pki_names_add(&p->sans, seq->items[i]->str, l->err) != 0)
			return -1;
	}
	return 0;
}

int
pki_role_parse(const char *s, unsigned *out, struct pki_err *err)
{
	if (strcmp(s, "control-plane") == 0)
		*out = PKI_ROLE_CONTROL_PLANE;
	else if (strcmp(s, "worker") == 0)
		*out = PKI_ROLE_WORKER;
	else
		return pki_err_set(err, PKI_E_USAGE,
			"unknown node role '%.64s' (control-plane or worker)", s);
	return 0;
}

static int
get_roles(struct lctx *l, const struct pki_ynode *map, struct pki_profile *p)
{
	const struct pki_ynode *seq;
	size_t i;

	if (get_texts(l, map, "roles", 1, p->name, &seq) != 0)
		return -1;
	if (seq->n == 0)
		return perr(l, seq->line, p->name, "'roles' is empty");
	for (i = 0; i < seq->n; i++) {
		const char *r = seq->items[i]->str;
		struct pki_err e;
		unsigned bit;

		if (pki_role_parse(r, &bit, &e) != 0)
			return perr(l, seq->items[i]->line, p->name, "%s", e.msg);
		if (p->roles & bit)
			return perr(l, seq->items[i]->line, p->name, "role '%s' is listed twice",
				r);
		p->roles |= bit;
	}
	return 0;
}

/* Picks one of names[] (NULL-terminated) for key; *out unchanged when absent. */
static int
get_enum(struct lctx *l, const struct pki_ynode *map, const char *key, int required,
	const char *profile, const char *const *names, const char *hint, int *out)
{
	const char *v = NULL;
	unsigned line = 0;
	int i;

	if (get_text(l, map, key, required, profile, &v, &line) != 0)
		return -1;
	if (v == NULL)
		return 0;
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return perr(l, line, profile, "%s '%s' is not one of %s", key, v, hint);
}

static const char *const profile_keys[] = { "name", "kind", "location", "path", "ca",
	"subject", "key-usage", "ext-key-usage", "sans", "validity", "expiration-report",
	"local-etcd", "roles", "server", "allow-ed25519", "optional", NULL };
static const char *const kind_names[] = { "ca", "cert", "kubeconfig", NULL };
static const char *const location_names[] = { "cert-dir", "kubeconfig-dir", "kubelet-dir",
	NULL };
/* in enum pki_profile_server order, after PKI_SERVER_NONE */
static const char *const server_names[] = { "control-plane-endpoint", "local-endpoint",
	NULL };

static int
parse_profile(struct lctx *l, const struct pki_ynode *map, struct pki_profile **out)
{
	struct pki_profile *p = NULL;
	const char *name = NULL, *path = NULL, *ca = NULL, *validity = NULL;
	char where[MAX_TEXT + 32], what[MAX_TEXT + 300];
	int kind = 0, loc = -1, server = -1;
	unsigned line = 0;
	int ret = -1;

	*out = NULL;
	if (map->type != PKI_Y_MAP)
		return perr(l, map->line, NULL, "a profile must be a mapping");
	if (get_text(l, map, "name", 1, NULL, &name, &line) != 0)
		goto out;
	if (!name_ok(name)) {
		char clean[MAX_TEXT + 16];

		pki_text_sanitize(name, clean, sizeof(clean));
		perr(l, line, NULL, "profile name '%s' is not lower-case letters, digits, '.' and '-'",
			clean);
		goto out;
	}
	if ((p = pki_calloc(1, sizeof(*p), l->err)) == NULL ||
	    (p->name = pki_strdup(name, l->err)) == NULL)
		goto out;
	p->line = map->line;
	(void)snprintf(where, sizeof(where), "profile '%s'", name);
	if (pki_ymap_check_keys(map, profile_keys, l->where, where, l->err) != 0)
		goto out;

	if (get_enum(l, map, "kind", 1, name, kind_names, "ca, cert or kubeconfig", &kind) != 0)
		goto out;
	p->kind = (enum pki_profile_kind)kind;
	if (get_enum(l, map, "location", 0, name, location_names,
		    "cert-dir, kubeconfig-dir or kubelet-dir", &loc) != 0)
		goto out;
	if (loc < 0)
		loc = p->kind == PKI_PROFILE_KUBECONFIG ? PKI_LOC_KUBECONFIG_DIR : PKI_LOC_CERT_DIR;
	p->loc = (enum pki_profile_location)loc;
	if ((p->kind == PKI_PROFILE_KUBECONFIG) != (p->loc == PKI_LOC_KUBECONFIG_DIR) ||
	    (p->kind == PKI_PROFILE_CA && p->loc != PKI_LOC_CERT_DIR)) {
		perr(l, map->line, name, "location '%s' does not suit kind '%s'",
			location_names[p->loc], kind_names[p->kind]);
		goto out;
	}

	if (get_text(l, map, "path", 1, name, &path, &line) != 0)
		goto out;
	if (!path_ok(path)) {
		perr(l, line, name, "path '%s' is not a relative path of plain names", path);
		goto out;
	}
	if ((p->path = pki_strdup(path, l->err)) == NULL)
		goto out;

	if (get_text(l, map, "ca", p->kind != PKI_PROFILE_CA, name, &ca, &p->ca_line) != 0)
		goto out;
	if (ca != NULL && p->kind == PKI_PROFILE_CA) {
		perr(l, p->ca_line, name, "a CA profile is self-signed and takes no 'ca'");
		goto out;
	}
	if (ca != NULL && (p->ca = pki_strdup(ca, l->err)) == NULL)
		goto out;

	if (get_subject(l, map, p) != 0 || get_key_usage(l, map, p) != 0 ||
	    get_ext_key_usage(l, map, p) != 0 || get_sans(l, map, p) != 0)
		goto out;
	if (p->kind == PKI_PROFILE_CA && !(p->ku & PKI_KU_KEY_CERT_SIGN)) {
		perr(l, map->line, name, "a CA profile needs key usage 'cert-sign'");
		goto out;
	}
	if (p->kind != PKI_PROFILE_CA && (p->ku & PKI_KU_KEY_CERT_SIGN)) {
		perr(l, map->line, name, "only a CA profile may have key usage 'cert-sign'");
		goto out;
	}
	/* kubeadm refuses to sign a leaf without an extended key usage */
	if (p->kind != PKI_PROFILE_CA && p->eku.n == 0) {
		perr(l, map->line, name, "missing 'ext-key-usage'");
		goto out;
	}
	if (p->kind == PKI_PROFILE_KUBECONFIG && p->sans.n > 0) {
		perr(l, map->line, name, "a kubeconfig client certificate takes no 'sans'");
		goto out;
	}

	if (get_text(l, map, "validity", 1, name, &validity, &line) != 0)
		goto out;
	(void)snprintf(what, sizeof(what), "%s: line %u: profile '%s': validity", l->where, line,
		name);
	if (pki_duration_parse(validity, what, &p->validity, l->err) != 0)
		goto out;
	if (p->validity <= 0) {
		perr(l, line, name, "validity must be longer than 0s");
		goto out;
	}

	if (pki_yget_bool(map, "expiration-report", 0, l->where, &p->report, l->err) != 0 ||
	    pki_yget_bool(map, "local-etcd", 0, l->where, &p->local_etcd, l->err) != 0 ||
	    pki_yget_bool(map, "allow-ed25519", 0, l->where, &p->ed25519, l->err) != 0 ||
	    pki_yget_bool(map, "optional", 0, l->where, &p->optional, l->err) != 0 ||
	    get_roles(l, map, p) != 0)
		goto out;

	if (get_enum(l, map, "server", p->kind == PKI_PROFILE_KUBECONFIG, name, server_names,
		    "control-plane-endpoint or local-endpoint", &server) != 0)
		goto out;
	p->server = server < 0 ? PKI_SERVER_NONE : (enum pki_profile_server)(server + 1);
	if ((p->kind == PKI_PROFILE_KUBECONFIG) != (p->server != PKI_SERVER_NONE)) {
		perr(l, map->line, name, p->kind == PKI_PROFILE_KUBECONFIG ?
				"a kubeconfig profile needs 'server'" :
				"only a kubeconfig profile takes 'server'");
		goto out;
	}
	*out = p;
	p = NULL; /* transferred */
	ret = 0;
out:
	profile_free(p);
	return ret;
}

/* ---- reading a set -------------------------------------------------------- */

static int
parse_version(const char *s, unsigned v[2])
{
	char major[8];
	const char *dot = strchr(s, '.');
	uint64_t a, b;

	if (dot == NULL || (size_t)(dot - s) >= sizeof(major))
		return -1;
	memcpy(major, s, (size_t)(dot - s));
	major[dot - s] = '\0';
	if (pki_parse_u64(major, 1, 99, &a) != 0 || pki_parse_u64(dot + 1, 0, 999, &b) != 0)
		return -1;
	v[0] = (unsigned)a;
	v[1] = (unsigned)b;
	return 0;
}

static int
vcmp(const unsigned a[2], const unsigned b[2])
{
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return a[1] < b[1] ? -1 : a[1] > b[1];
}

static int
get_versions(struct lctx *l, const struct pki_ynode *root, struct pki_profile_set *set)
{
	static const char *const keys[] = { "min", "max", NULL };
	const struct pki_ynode *kv = NULL;
	const char *min = NULL, *max = NULL;
	unsigned line = 0;

	if (need(l, root, "kubeadm", NULL) != 0 ||
	    pki_yget_map(root, "kubeadm", 1, l->where, &kv, l->err) != 0 ||
	    pki_ymap_check_keys(kv, keys, l->where, "'kubeadm'", l->err) != 0)
		return -1;
	if (get_text(l, kv, "min", 1, NULL, &min, &line) != 0)
		return -1;
	if (parse_version(min, set->min) != 0)
		return perr(l, line, NULL, "kubeadm min '%s' is not a version such as \"1.29\"",
			min);
	if (get_text(l, kv, "max", 0, NULL, &max, &line) != 0)
		return -1;
	if (max != NULL) {
		if (parse_version(max, set->max) != 0)
			return perr(l, line, NULL,
				"kubeadm max '%s' is not a version such as \"1.28\"", max);
		if (vcmp(set->max, set->min) < 0)
			return perr(l, line, NULL, "kubeadm max '%s' is below min '%s'", max, min);
		set->has_max = 1;
	}
	return 0;
}

/* Duplicate names, and every ca reference naming a CA of the set. */
static int
check_refs(struct lctx *l, struct pki_profile_set *set)
{
	size_t i, j;

	for (i = 0; i < set->n; i++) {
		struct pki_profile *p = set->v[i];
		const struct pki_profile *ca;

		for (j = 0; j < i; j++)
			if (strcmp(set->v[j]->name, p->name) == 0)
				return perr(l, p->line, p->name,
					"defined twice (first at line %u)", set->v[j]->line);
		if (p->ca == NULL)
			continue;
		ca = pki_profile_set_find(set, p->ca);
		if (ca == NULL)
			return perr(l, p->ca_line, p->name, "ca '%s' is not a profile of this set",
				p->ca);
		if (ca->kind != PKI_PROFILE_CA)
			return perr(l, p->ca_line, p->name, "ca '%s' is not a CA profile", p->ca);
		if (ca->local_etcd && !p->local_etcd)
			return perr(l, p->ca_line, p->name,
				"signed by '%s', which needs a local etcd, so it needs 'local-etcd: true'",
				p->ca);
	}
	return 0;
}

int
pki_profile_set_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_profile_set **out, struct pki_err *err)
{
	static const char *const top_keys[] = { "format", "name", "description", "kubeadm",
		"profiles", NULL };
	struct pki_profile_set *set = NULL;
	struct pki_ynode **docs = NULL;
	const struct pki_ynode *root, *seq = NULL;
	const char *s = NULL;
	char clean[200], where[256];
	struct lctx l;
	size_t ndocs = 0, i;
	unsigned line = 0;
	int ret = -1;

	*out = NULL;
	pki_text_sanitize(name, clean, sizeof(clean));
	(void)snprintf(where, sizeof(where), "profile set '%s'", clean);
	l.where = where;
	l.err = err;
	l.probe = NULL;
	if (len > CAP_SET) {
		pki_err_set(err, PKI_E_LIMIT, "%s: larger than %u bytes", where, CAP_SET);
		goto out;
	}
	if (pki_yaml_parse(data, len, where, &profile_ylimits, &docs, &ndocs, err) != 0)
		goto out;
	if (ndocs != 1 || docs[0]->type != PKI_Y_MAP) {
		pki_err_set(err, PKI_E_PARSE, "%s: not one YAML mapping", where);
		goto out;
	}
	root = docs[0];
	if (pki_ymap_check_keys(root, top_keys, where, "the profile set", err) != 0)
		goto out;
	if (get_text(&l, root, "format", 1, NULL, &s, &line) != 0)
		goto out;
	if (strcmp(s, SET_FORMAT) != 0) {
		pki_text_sanitize(s, clean, sizeof(clean));
		perr(&l, line, NULL, "format '%s' is not " SET_FORMAT, clean);
		goto out;
	}
	if ((set = pki_calloc(1, sizeof(*set), err)) == NULL)
		goto out;
	if (get_text(&l, root, "name", 1, NULL, &s, &line) != 0)
		goto out;
	if (!name_ok(s)) {
		pki_text_sanitize(s, clean, sizeof(clean));
		perr(&l, line, NULL, "set name '%s' is not lower-case letters, digits, '.' and '-'",
			clean);
		goto out;
	}
	if ((set->name = pki_strdup(s, err)) == NULL)
		goto out;
	if (need(&l, root, "description", NULL) != 0 ||
	    pki_yget_str(root, "description", 1, where, &s, err) != 0 ||
	    (set->description = pki_strdup(s, err)) == NULL)
		goto out;
	if (get_versions(&l, root, set) != 0)
		goto out;

	if (need(&l, root, "profiles", NULL) != 0 ||
	    pki_yget_seq(root, "profiles", 1, where, &seq, err) != 0)
		goto out;
	if (seq->n == 0 || seq->n > MAX_PROFILES) {
		pki_err_set(err, seq->n == 0 ? PKI_E_INVALID : PKI_E_LIMIT,
			"%s: line %u: 'profiles' must hold 1 to %d profiles", where, seq->line,
			MAX_PROFILES);
		goto out;
	}
	if (pki_kubeadm_parse((const unsigned char *)probe_yaml, sizeof(probe_yaml) - 1,
		    "probe", &l.probe, err) != 0)
		goto out;
	if ((set->v = pki_calloc(seq->n, sizeof(*set->v), err)) == NULL)
		goto out;
	for (i = 0; i < seq->n; i++) {
		if (parse_profile(&l, seq->items[i], &set->v[set->n]) != 0)
			goto out;
		set->n++;
	}
	if (check_refs(&l, set) != 0)
		goto out;
	*out = set;
	set = NULL; /* transferred */
	ret = 0;
out:
	pki_kubeadm_free(l.probe);
	pki_profile_set_free(set);
	pki_ydocs_free(docs, ndocs);
	return ret;
}

const char *
pki_templates_dir(void)
{
	const char *d = secure_getenv("KPKI_TEMPLATES_DIR");

	return d != NULL && *d != '\0' ? d : PKI_TEMPLATES_DIR;
}

static int
load_path(const char *path, struct pki_profile_set **out, struct pki_err *err)
{
	struct pki_buf buf = { 0 };
	int ret;

	*out = NULL;
	if (pki_file_read(path, "profile set", CAP_SET, 0, &buf, err) != 0)
		return -1;
	ret = pki_profile_set_parse(buf.data, buf.len, path, out, err);
	pki_buf_free(&buf);
	return ret;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The set with the highest kubeadm min version in the templates directory. */
static int
load_newest(struct pki_profile_set **out, struct pki_err *err)
{
	const char *dir = pki_templates_dir();
	struct pki_names files = { 0 };
	struct pki_profile_set *best = NULL, *set = NULL;
	const char *best_file = NULL;
	struct dirent *de;
	char *path = NULL;
	DIR *d;
	size_t i;
	int ret = -1;

	d = opendir(dir);
	if (d == NULL)
		return pki_err_set(err, errno == ENOENT ? PKI_E_NOTFOUND : PKI_E_IO,
			"templates directory '%s': %s (set KPKI_TEMPLATES_DIR, or name a set file "
			"with --profiles)", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".yaml") != 0)
			continue;
		if (files.n >= MAX_SET_FILES) {
			pki_err_set(err, PKI_E_LIMIT, "templates directory '%s': more than %d sets",
				dir, MAX_SET_FILES);
			goto out;
		}
		if (pki_names_add(&files, de->d_name, err) != 0)
			goto out;
	}
	if (files.n == 0) {
		pki_err_set(err, PKI_E_NOTFOUND, "templates directory '%s': no profile set (*.yaml)",
			dir);
		goto out;
	}
	qsort(files.v, files.n, sizeof(*files.v), cmp_str);
	for (i = 0; i < files.n; i++) {
		free(path);
		path = NULL;
		if (pki_path_join(&path, dir, files.v[i], err) != 0 ||
		    load_path(path, &set, err) != 0)
			goto out;
		if (best != NULL && vcmp(set->min, best->min) == 0) {
			pki_err_set(err, PKI_E_INVALID,
				"templates directory '%s': sets '%s' and '%s' both start at kubeadm %u.%u",
				dir, best_file, files.v[i], set->min[0], set->min[1]);
			goto out;
		}
		if (best == NULL || vcmp(set->min, best->min) > 0) {
			pki_profile_set_free(best);
			best = set;
			best_file = files.v[i];
		} else {
			pki_profile_set_free(set);
		}
		set = NULL;
	}
	*out = best;
	best = NULL; /* transferred */
	ret = 0;
out:
	closedir(d);
	free(path);
	pki_profile_set_free(set);
	pki_profile_set_free(best);
	pki_names_free(&files);
	return ret;
}

int
pki_profile_set_load(const char *ref, struct pki_profile_set **out, struct pki_err *err)
{
	size_t n;
	char *path = NULL, file[MAX_VAR + 8];
	int ret;

	*out = NULL;
	if (ref == NULL)
		return load_newest(out, err);
	n = strlen(ref);
	if (strchr(ref, '/') != NULL || (n >= 5 && strcmp(ref + n - 5, ".yaml") == 0))
		return load_path(ref, out, err);
	if (!name_ok(ref)) {
		char clean[128];

		pki_text_sanitize(ref, clean, sizeof(clean));
		return pki_err_set(err, PKI_E_USAGE,
			"profile set '%s': neither a set name nor a path to a .yaml file", clean);
	}
	(void)snprintf(file, sizeof(file), "%s.yaml", ref);
	if (pki_path_join(&path, pki_templates_dir(), file, err) != 0)
		return -1;
	ret = load_path(path, out, err);
	free(path);
	return ret;
}

/* ---- accessors ------------------------------------------------------------ */

const char *pki_profile_set_name(const struct pki_profile_set *set) { return set->name; }
const char *pki_profile_set_description(const struct pki_profile_set *set) { return set->description; }
size_t pki_profile_set_count(const struct pki_profile_set *set) { return set->n; }

const struct pki_profile *
pki_profile_set_at(const struct pki_profile_set *set, size_t i)
{
	return i < set->n ? set->v[i] : NULL;
}

const struct pki_profile *
pki_profile_set_find(const struct pki_profile_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i]->name, name) == 0)
			return set->v[i];
	return NULL;
}

const char *pki_profile_name(const struct pki_profile *p) { return p->name; }
enum pki_profile_kind pki_profile_kind(const struct pki_profile *p) { return p->kind; }
const char *pki_profile_path(const struct pki_profile *p) { return p->path; }
enum pki_profile_location pki_profile_location(const struct pki_profile *p) { return p->loc; }
const char *pki_profile_ca(const struct pki_profile *p) { return p->ca; }
unsigned pki_profile_key_usage(const struct pki_profile *p) { return p->ku; }
const struct pki_names *pki_profile_ext_key_usage(const struct pki_profile *p) { return &p->eku; }
int64_t pki_profile_validity(const struct pki_profile *p) { return p->validity; }
int pki_profile_in_expiration_report(const struct pki_profile *p) { return p->report; }
int pki_profile_needs_local_etcd(const struct pki_profile *p) { return p->local_etcd; }
unsigned pki_profile_roles(const struct pki_profile *p) { return p->roles; }
enum pki_profile_server pki_profile_server(const struct pki_profile *p) { return p->server; }
int pki_profile_allows_ed25519(const struct pki_profile *p) { return p->ed25519; }
int pki_profile_has_sans(const struct pki_profile *p) { return p->sans.n > 0; }
int pki_profile_optional(const struct pki_profile *p) { return p->optional; }

/* ---- expansion ------------------------------------------------------------ */

/*
 * Expands the variables of tmpl for cfg and adds the result to out: a
 * template that is one list variable adds each of its values; otherwise one
 * string. When a variable has no value nothing is added and *unset is set.
 */
static int
expand(const char *tmpl, const struct pki_kubeadm *cfg, struct pki_names *out, int *unset,
	struct pki_err *err)
{
	struct pki_buf b = { 0 };
	struct pki_names vals = { 0 };
	const char *p = tmpl, *start, *end;
	char var[MAX_VAR + 1];
	int r, ret = -1;

	*unset = 0;
	r = next_var(tmpl, &start, &end, var);
	if (r == 1 && start == tmpl && *end == '\0') {
		size_t before = out->n;

		if (pki_kubeadm_var(cfg, var, out, err) != 0)
			return -1;
		*unset = out->n == before;
		return 0;
	}
	while ((r = next_var(p, &start, &end, var)) == 1) {
		if (pki_buf_append(&b, p, (size_t)(start - p), err) != 0 ||
		    pki_kubeadm_var(cfg, var, &vals, err) != 0)
			goto out;
		if (vals.n == 0) {
			*unset = 1;
			ret = 0;
			goto out;
		}
		if (vals.n > 1) {
			pki_err_set(err, PKI_E_INVALID, "variable '${%s}' holds a list", var);
			goto out;
		}
		if (pki_buf_append(&b, vals.v[0], strlen(vals.v[0]), err) != 0)
			goto out;
		pki_names_free(&vals);
		p = end;
	}
	if (r < 0) {
		pki_err_set(err, PKI_E_INVALID, "a malformed ${variable}");
		goto out;
	}
	if (pki_buf_append(&b, p, strlen(p), err) != 0 || pki_buf_append(&b, "", 1, err) != 0)
		goto out;
	if (b.len > MAX_EXPANDED) {
		pki_err_set(err, PKI_E_LIMIT, "an expanded value is longer than %d bytes",
			MAX_EXPANDED);
		goto out;
	}
	ret = pki_names_add(out, (const char *)b.data, err);
out:
	pki_names_free(&vals);
	pki_buf_free(&b);
	return ret;
}

/* One subject value: the template, or its expansion which must exist. */
static int
subject_value(const struct pki_profile *p, const char *tmpl, const char *field,
	const struct pki_kubeadm *cfg, struct pki_names *out, struct pki_err *err)
{
	int unset;

	if (cfg == NULL)
		return pki_names_add(out, tmpl, err);
	if (expand(tmpl, cfg, out, &unset, err) != 0)
		return pki_err_prefix(err, "profile '%s': subject %s", p->name, field);
	if (unset)
		return pki_err_set(err, PKI_E_INVALID,
			"profile '%s': subject %s '%s' uses a variable the kubeadm configuration does not set",
			p->name, field, tmpl);
	return 0;
}

int
pki_profile_subject(const struct pki_profile *p, const struct pki_kubeadm *cfg, char **cn,
	struct pki_names *org, struct pki_err *err)
{
	struct pki_names cnv = { 0 }, orgv = { 0 };
	size_t i;
	int ret = -1;

	*cn = NULL;
	memset(org, 0, sizeof(*org));
	if (subject_value(p, p->cn, "cn", cfg, &cnv, err) != 0)
		goto out;
	for (i = 0; i < p->org.n; i++)
		if (subject_value(p, p->org.v[i], "o", cfg, &orgv, err) != 0)
			goto out;
	if ((*cn = pki_strdup(cnv.v[0], err)) == NULL)
		goto out;
	*org = orgv;
	memset(&orgv, 0, sizeof(orgv));
	ret = 0;
out:
	pki_names_free(&cnv);
	pki_names_free(&orgv);
	return ret;
}

int
pki_profile_sans(const struct pki_profile *p, const struct pki_kubeadm *cfg,
	struct pki_names *dns, struct pki_names *ip, struct pki_err *err)
{
	struct pki_kubeadm *defaults = NULL;
	struct pki_names vals = { 0 }, d = { 0 }, a = { 0 };
	char canon[46];
	size_t i;
	int unset, ret = -1;

	memset(dns, 0, sizeof(*dns));
	memset(ip, 0, sizeof(*ip));
	/* fixed names expand to themselves whatever the configuration */
	if (cfg == NULL && pki_kubeadm_defaults(&defaults, err) != 0)
		goto out;
	for (i = 0; i < p->sans.n; i++) {
		/* without a configuration only the fixed names are known */
		if (cfg == NULL && strstr(p->sans.v[i], "${") != NULL)
			continue;
		if (expand(p->sans.v[i], cfg ? cfg : defaults, &vals, &unset, err) != 0) {
			pki_err_prefix(err, "profile '%s': sans", p->name);
			goto out;
		}
		if (vals.n > MAX_SAN_VALUES) {
			pki_err_set(err, PKI_E_LIMIT, "profile '%s': more than %d SANs", p->name,
				MAX_SAN_VALUES);
			goto out;
		}
	}
	/* kubeadm: IPs de-duplicated in first-seen order; DNS names a sorted set;
	 * anything else dropped */
	for (i = 0; i < vals.n; i++) {
		const char *v = vals.v[i];

		if (pki_ip_canonical(v, canon) == 0) {
			if (!pki_names_contains(&a, canon) && pki_names_add(&a, canon, err) != 0)
				goto out;
		} else if (pki_dns1123_subdomain(v, 0) || pki_dns1123_subdomain(v, 1)) {
			if (!pki_names_contains(&d, v) && pki_names_add(&d, v, err) != 0)
				goto out;
		}
	}
	if (d.n > 1)
		qsort(d.v, d.n, sizeof(*d.v), cmp_str);
	*dns = d;
	*ip = a;
	memset(&d, 0, sizeof(d));
	memset(&a, 0, sizeof(a));
	ret = 0;
out:
	pki_names_free(&vals);
	pki_names_free(&d);
	pki_names_free(&a);
	pki_kubeadm_free(defaults);
	return ret;
}
