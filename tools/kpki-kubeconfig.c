/*
 * kpki-kubeconfig — a signed bundle back into the node: certificates
 * swapped in with their keys (the old pair backed up first) and the
 * kubeconfig files written; or one kubeconfig to standard output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <popt.h>

#include <pki/bundle.h>
#include <pki/cert.h>
#include <pki/duration.h>
#include <pki/error.h>
#include <pki/file.h>
#include <pki/install.h>
#include <pki/key.h>
#include <pki/kubeadm.h>
#include <pki/kubeconfig.h>
#include <pki/profile.h>

#define PROG "kpki-kubeconfig"

#include "tool.h"

enum { OPT_FINGERPRINT = 1 };

struct opts {
	char *signed_path, *cert_dir, *kc_dir, *kubelet_dir, *config, *server, *cluster;
	char *embed, *cert, *key, *ca, *user, *context;
	struct pki_names fingerprints;
	int trust_bundle_ca, dry_run, in_place, version;
};

/* --signed: the whole bundle into the cert and kubeconfig directories. */
static int
run_install(const struct opts *o, int embed, time_t now)
{
	struct pki_install_opts io = { 0 };
	struct pki_profile_set *set = NULL;
	struct pki_kubeadm *cfg = NULL;
	struct pki_bundle *b = NULL;
	struct pki_names report = { 0 }, refusals = { 0 };
	struct pki_err err;
	int r, status;

	pki_err_clear(&err);
	if ((o->config != NULL && pki_kubeadm_load(o->config, &cfg, &err) != 0) ||
	    pki_bundle_load(o->signed_path, NULL, &b, &err) != 0 ||
	    pki_profile_set_load(pki_bundle_profiles(b), &set, &err) != 0) {
		status = fail(&err);
		goto out;
	}
	io.set = set;
	io.cfg = cfg;
	io.cert_dir = o->cert_dir;
	io.kc_dir = o->kc_dir;
	io.kubelet_dir = o->kubelet_dir;
	io.server = o->server;
	io.cluster_name = o->cluster;
	io.trust_bundle_ca = o->trust_bundle_ca;
	io.expect_ca_fingerprints = &o->fingerprints;
	io.embed = embed;
	io.dry_run = o->dry_run;
	io.in_place = o->in_place;
	io.now = now;
	r = pki_install_bundle(&io, b, &report, &refusals, &err);
	/* the report says what was done: only a run that succeeded has one */
	if (r == 0)
		print_lines("", &report);
	print_lines("refused: ", &refusals);
	if (r != 0)
		status = refusals.n > 0 ? (fprintf(stderr, PROG ": %s\n", err.msg), EXIT_CHECK) :
					  fail(&err);
	else
		status = EXIT_SUCCESS;
out:
	pki_names_free(&report);
	pki_names_free(&refusals);
	pki_bundle_free(b);
	pki_profile_set_free(set);
	pki_kubeadm_free(cfg);
	return status;
}

/* --cert --key --ca: one kubeconfig on standard output. */
static int
run_single(const struct opts *o)
{
	struct pki_kubeconfig_single spec = { 0 };
	struct pki_buf out = { 0 };
	struct pki_err err;
	int status;

	pki_err_clear(&err);
	spec.cert_path = o->cert;
	spec.key_path = o->key;
	spec.ca_path = o->ca;
	spec.server = o->server;
	spec.cluster = o->cluster;
	spec.user = o->user;
	spec.context = o->context;
	if (pki_kubeconfig_single(&spec, &out, &err) != 0 ||
	    pki_write_all(STDOUT_FILENO, out.data, out.len, "standard output", &err) != 0)
		status = err.code == PKI_E_INVALID ?
			(fprintf(stderr, PROG ": %s\n", err.msg), EXIT_CHECK) : fail(&err);
	else
		status = EXIT_SUCCESS;
	pki_buf_free(&out);
	return status;
}

/* Whether the options go together; NULL when they do. */
static const char *
check_opts(const struct opts *o, int *embed)
{
	int single = o->cert || o->key || o->ca;

	*embed = 1;
	if (o->embed != NULL) {
		if (strcmp(o->embed, "false") == 0)
			*embed = 0;
		else if (strcmp(o->embed, "true") != 0)
			return "--embed takes true or false";
	}
	if (single) {
		if (o->signed_path || o->cert_dir || o->kc_dir || o->kubelet_dir || o->config ||
		    o->embed || o->trust_bundle_ca || o->fingerprints.n || o->dry_run ||
		    o->in_place)
			return "--cert, --key and --ca write one kubeconfig to standard output: "
			       "they do not go with the options of an install";
		if (!o->cert || !o->key || !o->ca || !o->server)
			return "one kubeconfig needs --cert, --key, --ca and --server";
		return NULL;
	}
	if (o->user || o->context)
		return "--user and --context go with --cert";
	if (!o->signed_path || !o->cert_dir || !o->kc_dir)
		return "give --signed, --cert-dir and --kubeconfig-dir (or --cert, --key, --ca "
		       "and --server for one kubeconfig)";
	if (o->trust_bundle_ca && o->fingerprints.n == 0)
		return "--trust-bundle-ca needs --expect-ca-fingerprint for each CA";
	if (!o->trust_bundle_ca && o->fingerprints.n > 0)
		return "--expect-ca-fingerprint goes with --trust-bundle-ca";
	return NULL;
}

int
main(int argc, const char **argv)
{
	struct opts o = { 0 };
	struct poptOption table[] = {
		{ "signed", 0, POPT_ARG_STRING, &o.signed_path, 0,
			"the signed bundle kpki-sign wrote", "FILE|-" },
		{ "cert-dir", 0, POPT_ARG_STRING, &o.cert_dir, 0,
			"the node's PKI directory (/etc/kubernetes/pki)", "DIR" },
		{ "kubeconfig-dir", 0, POPT_ARG_STRING, &o.kc_dir, 0,
			"where the kubeconfig files go (/etc/kubernetes)", "DIR" },
		{ "kubelet-dir", 0, POPT_ARG_STRING, &o.kubelet_dir, 0,
			"the kubelet's certificate directory (/var/lib/kubelet/pki)", "DIR" },
		{ "config", 0, POPT_ARG_STRING, &o.config, 0,
			"the node's kubeadm configuration: exact subjects, SANs and servers",
			"FILE" },
		{ "server", 0, POPT_ARG_STRING, &o.server, 0,
			"the control-plane endpoint (not for controller-manager.conf and "
			"scheduler.conf), or the one kubeconfig's server", "URL" },
		{ "cluster-name", 0, POPT_ARG_STRING, &o.cluster, 0,
			"the kubeconfigs' cluster name (default: the configuration's, else "
			"the bundle's)", "NAME" },
		{ "embed", 0, POPT_ARG_STRING, &o.embed, 0,
			"false: kubeconfigs name certificate and key files instead of holding them",
			"true|false" },
		{ "trust-bundle-ca", 0, POPT_ARG_NONE, &o.trust_bundle_ca, 0,
			"first install: take the CA certificates from the bundle", NULL },
		{ "expect-ca-fingerprint", 0, POPT_ARG_STRING, NULL, OPT_FINGERPRINT,
			"the SHA-256 of a CA certificate of the bundle (once per CA)",
			"SHA256:HEX|HEX|XX:XX:..." },
		{ "dry-run", 0, POPT_ARG_NONE, &o.dry_run, 0, "check everything, write nothing",
			NULL },
		{ "in-place", 0, POPT_ARG_NONE, &o.in_place, 0,
			"replace a renewed key and its certificate one after the other instead of "
			"swapping their directory whole (a mount point)", NULL },
		{ "cert", 0, POPT_ARG_STRING, &o.cert, 0, "one kubeconfig: the client certificate",
			"FILE" },
		{ "key", 0, POPT_ARG_STRING, &o.key, 0, "one kubeconfig: its private key", "FILE" },
		{ "ca", 0, POPT_ARG_STRING, &o.ca, 0, "one kubeconfig: the CA certificate",
			"FILE" },
		{ "user", 0, POPT_ARG_STRING, &o.user, 0,
			"one kubeconfig: the user name (default: the certificate's CN)", "NAME" },
		{ "context", 0, POPT_ARG_STRING, &o.context, 0,
			"one kubeconfig: the context name (default: USER@CLUSTER)", "NAME" },
		{ "version", 'V', POPT_ARG_NONE, &o.version, 0, "print the version", NULL },
		POPT_AUTOHELP POPT_TABLEEND
	};
	const char *problem;
	struct pki_err err;
	poptContext pc;
	int64_t now;
	int rc, embed, status = EXIT_FAILURE;

	pki_err_clear(&err);
	if (pki_stdio_ensure(&err) != 0)
		return fail(&err);
	pc = poptGetContext(PROG, argc, argv, table, 0);
	poptSetOtherOptionHelp(pc, "[OPTION...]");
	while ((rc = poptGetNextOpt(pc)) > 0) {
		char *arg = poptGetOptArg(pc);

		if (rc == OPT_FINGERPRINT && arg != NULL) {
			unsigned char fp[32];
			char hex[65];
			size_t i;

			/* kpki-inspect's colon form and bare hex too; the library
			 * compares the "SHA256:<hex>" form */
			if (pki_fingerprint_parse(arg, fp, &err) != 0) {
				free(arg);
				status = usage_error(err.msg);
				goto out;
			}
			for (i = 0; i < sizeof(fp); i++)
				(void)snprintf(hex + 2 * i, 3, "%02x", fp[i]);
			if (pki_names_addf(&o.fingerprints, &err, "SHA256:%s", hex) != 0) {
				free(arg);
				status = fail(&err);
				goto out;
			}
		}
		free(arg);
	}
	if ((status = options_done(pc, rc, o.version,
		     "unexpected argument; files are named with options")) >= 0)
		goto out;
	status = EXIT_FAILURE;
	if ((problem = check_opts(&o, &embed)) != NULL) {
		status = usage_error(problem);
		goto out;
	}
	if (o.cert != NULL) {
		status = run_single(&o);
		goto out;
	}
	if (pki_now(&now, &err) != 0) {
		status = fail(&err);
		goto out;
	}
	status = run_install(&o, embed, (time_t)now);
out:
	poptFreeContext(pc);
	free(o.signed_path);
	free(o.cert_dir);
	free(o.kc_dir);
	free(o.kubelet_dir);
	free(o.config);
	free(o.server);
	free(o.cluster);
	free(o.embed);
	free(o.cert);
	free(o.key);
	free(o.ca);
	free(o.user);
	free(o.context);
	pki_names_free(&o.fingerprints);
	return status;
}
