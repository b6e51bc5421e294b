/*
 * kpki-csr — private keys and certificate requests for a node's
 * certificates and kubeconfigs, in one CSR bundle for the CA team.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <popt.h>

#include <pki/cert.h>
#include <pki/duration.h>
#include <pki/error.h>
#include <pki/file.h>
#include <pki/key.h>
#include <pki/kubeadm.h>
#include <pki/profile.h>
#include <pki/request.h>

#define PROG "kpki-csr"

#include "tool.h"


#define USAGE                                                                      \
	"--config FILE {--bundle FILE|- | --dry-run} [OPTION...]\n"                \
	"   or: " PROG " --renew {--bundle FILE|- | --dry-run} [--config FILE] [OPTION...]"

struct opts {
	char *config;
	char *cert_dir;
	char *kc_dir;
	char *kubelet_dir;
	char *bundle;
	char *profiles;
	char *node_role;
	char *only;
	char *key_type;
	int renew;
	int reuse_key;
	int prefer_config;
	int dry_run;
	int version;
};

/* "a,b" into names; an empty name is a usage error. */
static int
split_only(const char *s, struct pki_names *out, struct pki_err *err)
{
	const char *p = s, *comma;
	char name[256];

	for (;;) {
		size_t n;

		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n >= sizeof(name))
			return pki_err_set(err, PKI_E_USAGE, "--only: '%s': empty or overlong name",
				s);
		memcpy(name, p, n);
		name[n] = '\0';
		if (!pki_names_contains(out, name) && pki_names_add(out, name, err) != 0)
			return -1;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* Fills the library's request from the options; which options go together
 * is the library's to check (pki_request_plan()), except --bundle, which
 * only the tool knows. */
static int
check_opts(const struct opts *o, struct pki_request_opts *ro, enum pki_key_type *kt,
	struct pki_names *only, struct pki_err *err)
{
	if (o->bundle == NULL && !o->dry_run)
		return pki_err_set(err, PKI_E_USAGE, "--bundle FILE (or - for standard output) "
			"is required, unless --dry-run");
	ro->role = PKI_ROLE_CONTROL_PLANE;
	if (o->node_role != NULL && pki_role_parse(o->node_role, &ro->role, err) != 0) {
		pki_err_prefix(err, "--node-role");
		err->code = PKI_E_USAGE;
		return -1;
	}
	if (o->key_type != NULL) {
		if (pki_key_type_parse(o->key_type, kt, err) != 0) {
			err->code = PKI_E_USAGE;
			return -1;
		}
		ro->key_type = kt;
	}
	if (o->only != NULL) {
		if (split_only(o->only, only, err) != 0)
			return -1;
		ro->only = only;
	}
	ro->cfg_name = o->config;
	ro->cert_dir = o->cert_dir;
	ro->kc_dir = o->kc_dir;
	ro->kubelet_dir = o->kubelet_dir;
	ro->flags = (o->renew ? PKI_REQUEST_RENEW : 0) |
		(o->reuse_key ? PKI_REQUEST_REUSE_KEY : 0) |
		(o->prefer_config ? PKI_REQUEST_PREFER_CONFIG : 0) |
		(o->dry_run ? PKI_REQUEST_PLAN_ONLY : 0);
	return 0;
}

int
main(int argc, const char **argv)
{
	struct opts o = { 0 };
	struct poptOption table[] = {
		{ "config", 0, POPT_ARG_STRING, &o.config, 0,
			"kubeadm configuration file (required unless --renew)", "FILE" },
		{ "cert-dir", 0, POPT_ARG_STRING, &o.cert_dir, 0,
			"certificate directory (default: the configuration's "
			"certificatesDir, else /etc/kubernetes/pki)", "DIR" },
		{ "kubeconfig-dir", 0, POPT_ARG_STRING, &o.kc_dir, 0,
			"kubeconfig directory (default /etc/kubernetes)", "DIR" },
		{ "kubelet-dir", 0, POPT_ARG_STRING, &o.kubelet_dir, 0,
			"kubelet certificate directory (default /var/lib/kubelet/pki)", "DIR" },
		{ "bundle", 0, POPT_ARG_STRING, &o.bundle, 0,
			"write the CSR bundle to FILE, or - for standard output", "FILE|-" },
		{ "profiles", 0, POPT_ARG_STRING, &o.profiles, 0,
			"profile set name or file (default: the newest kubeadm's)", "NAME|PATH" },
		{ "node-role", 0, POPT_ARG_STRING, &o.node_role, 0,
			"control-plane (default) or worker", "ROLE" },
		{ "only", 0, POPT_ARG_STRING, &o.only, 0,
			"request only these profiles (the kubelet serving certificate and "
			"super-admin.conf only when named)",
			"NAME[,NAME]" },
		{ "key-type", 0, POPT_ARG_STRING, &o.key_type, 0,
			"rsa2048, rsa3072, rsa4096, ecdsa-p256, ecdsa-p384 or ed25519 "
			"(default: the configuration's encryptionAlgorithm)", "TYPE" },
		{ "renew", 0, POPT_ARG_NONE, &o.renew, 0,
			"take subjects and SANs from the existing certificates", NULL },
		{ "reuse-key", 0, POPT_ARG_NONE, &o.reuse_key, 0,
			"with --renew: keep the current keys (not for kubeconfigs)", NULL },
		{ "prefer-config", 0, POPT_ARG_NONE, &o.prefer_config, 0,
			"with --renew --config: the configuration's names win", NULL },
		{ "dry-run", 'n', POPT_ARG_NONE, &o.dry_run, 0,
			"print the plan and write nothing", NULL },
		{ "version", 'V', POPT_ARG_NONE, &o.version, 0, "print the version", NULL },
		POPT_AUTOHELP POPT_TABLEEND
	};
	struct pki_request_opts ro = { 0 };
	struct pki_names only = { 0 };
	struct pki_profile_set *set = NULL;
	struct pki_kubeadm *cfg = NULL;
	struct pki_request *req = NULL;
	struct pki_buf plan = { 0 };
	const struct pki_names *notes;
	enum pki_key_type kt = PKI_KEY_RSA2048;
	char fp[72];
	int64_t now;
	struct pki_err err;
	poptContext pc;
	int rc, status = EXIT_FAILURE;
	size_t i;

	pki_err_clear(&err);
	if (pki_stdio_ensure(&err) != 0)
		return fail(&err);
	pc = poptGetContext(PROG, argc, argv, table, 0);
	/* the forms of the man page's SYNOPSIS */
	poptSetOtherOptionHelp(pc, USAGE);
	while ((rc = poptGetNextOpt(pc)) > 0)
		;
	if ((status = options_done(pc, rc, o.version, "no arguments are taken")) >= 0)
		goto out;
	status = EXIT_FAILURE;
	if (check_opts(&o, &ro, &kt, &only, &err) != 0) {
		status = usage_error(err.msg);
		goto out;
	}
	if (pki_now(&now, &err) != 0)
		goto err_out;
	if (o.config != NULL && pki_kubeadm_load(o.config, &cfg, &err) != 0)
		goto err_out;
	if (pki_profile_set_load(o.profiles, &set, &err) != 0)
		goto err_out;
	ro.set = set;
	ro.cfg = cfg;
	if (pki_request_plan(&ro, &req, &err) != 0) {
		if (err.code == PKI_E_USAGE) {
			status = usage_error(err.msg);
			goto out;
		}
		goto err_out;
	}
	notes = pki_request_notes(req);
	for (i = 0; i < notes->n; i++)
		fprintf(stderr, PROG ": %s\n", notes->v[i]);
	if (pki_request_describe(req, o.bundle ? o.bundle : "-", &plan, &err) != 0)
		goto err_out;
	fprintf(stderr, PROG ": plan%s:\n%.*s", o.dry_run ? " (dry run: nothing is written)" : "",
		(int)plan.len, (const char *)plan.data);
	if (o.dry_run) {
		status = EXIT_SUCCESS;
		goto out;
	}
	if (pki_request_execute(req, o.bundle, (time_t)now, fp, &err) != 0)
		goto err_out;
	if (strcmp(o.bundle, "-") == 0)
		fprintf(stderr, PROG ": %zu request(s) written to standard output\n",
			pki_request_count(req));
	else {
		char q[PKI_QPATH_MAX];

		pki_path_quote(o.bundle, q, sizeof(q));
		fprintf(stderr, PROG ": %zu request(s) written to '%s'\n", pki_request_count(req),
			q);
	}
	fprintf(stderr, PROG ": bundle fingerprint %s\n", fp);
	status = EXIT_SUCCESS;
	goto out;

err_out:
	status = fail(&err);
out:
	pki_buf_free(&plan);
	pki_request_free(req);
	pki_profile_set_free(set);
	pki_kubeadm_free(cfg);
	pki_names_free(&only);
	poptFreeContext(pc);
	/* popt hands out string arguments the caller owns */
	free(o.config);
	free(o.cert_dir);
	free(o.kc_dir);
	free(o.kubelet_dir);
	free(o.bundle);
	free(o.profiles);
	free(o.node_role);
	free(o.only);
	free(o.key_type);
	return status;
}
