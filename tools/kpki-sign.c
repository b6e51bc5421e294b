/*
 * kpki-sign — the air-gapped CA: creates the kubeadm CAs, and signs CSR
 * bundles (or single CSRs) with the usages of each certificate's profile,
 * within the CA-side policy, recording every issuance in the ledger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <popt.h>

#include <pki/bundle.h>
#include <pki/ca.h>
#include <pki/duration.h>
#include <pki/error.h>
#include <pki/file.h>
#include <pki/issue.h>
#include <pki/policy.h>
#include <pki/profile.h>

#define PROG "kpki-sign"

#include "tool.h"


struct opts {
	char *ca_dir, *policy, *bundle, *out, *expect_fp, *profile, *csr, *node;
	char *profiles, *key_type, *validity, *ca_key, *pin_file, *import_ca;
	int init, csr_only, dry_run, version;
};

/* Each CA certificate's SHA-256 fingerprint, for the CA team to read out
 * to the nodes (kpki-kubeconfig --expect-ca-fingerprint). */
static int
print_ca_fingerprints(const struct pki_ca_opts *cao, struct pki_err *err)
{
	size_t i;

	for (i = 0; i < pki_profile_set_count(cao->set); i++) {
		const struct pki_profile *p = pki_profile_set_at(cao->set, i);
		struct pki_x509info info = { 0 };
		struct pki_cert *cert = NULL;
		char rel[4096], *path = NULL, hex[65];
		size_t j;
		int r = -1;

		if (pki_profile_kind(p) != PKI_PROFILE_CA)
			continue;
		if (snprintf(rel, sizeof(rel), "%s.crt", pki_profile_path(p)) < (int)sizeof(rel) &&
		    pki_path_join(&path, cao->ca_dir, rel, err) == 0 &&
		    pki_cert_load(path, &cert, err) == 0 && pki_cert_info(cert, &info, err) == 0) {
			for (j = 0; j < sizeof(info.sha256); j++)
				(void)snprintf(hex + 2 * j, 3, "%02x", info.sha256[j]);
			fprintf(stderr, PROG ": CA '%s' fingerprint SHA256:%s\n", pki_profile_name(p),
				hex);
			r = 0;
		}
		pki_x509info_free(&info);
		pki_cert_free(cert);
		free(path);
		if (r != 0)
			return -1;
	}
	return 0;
}

/* --init, with or without --csr-only: the CAs themselves. */
static int
run_init(const struct opts *o, const struct pki_ca_opts *cao, time_t now)
{
	enum pki_key_type type = PKI_KEY_RSA2048;
	struct pki_names written = { 0 };
	int64_t validity = 0;
	struct pki_err err;
	int r;

	pki_err_clear(&err);
	if (o->key_type != NULL && pki_key_type_parse(o->key_type, &type, &err) != 0)
		return usage_error(err.msg);
	if (o->validity != NULL &&
	    pki_duration_parse(o->validity, "--validity", &validity, &err) != 0)
		return usage_error(err.msg);
	if (o->csr_only && o->validity != NULL)
		return usage_error("--validity is the signing root's to decide with --csr-only");
	r = o->csr_only ? pki_ca_init_csr(cao, type, now, &written, &err) :
			  pki_ca_init(cao, type, validity, now, &written, &err);
	print_lines("wrote ", &written);
	pki_names_free(&written);
	if (r == 0 && !o->csr_only)
		r = print_ca_fingerprints(cao, &err);
	return r == 0 ? EXIT_SUCCESS : fail(&err);
}

/* --import-ca NAME=FILE: an intermediate signed by the organisation's root. */
static int
run_import(const struct opts *o, const struct pki_ca_opts *cao)
{
	char *eq = strchr(o->import_ca, '=');
	struct pki_err err;

	pki_err_clear(&err);
	if (eq == NULL || eq == o->import_ca || eq[1] == '\0')
		return usage_error("--import-ca takes NAME=FILE (e.g. ca=ca-signed.pem)");
	*eq = '\0';
	if (pki_ca_import(cao, o->import_ca, eq + 1, &err) != 0)
		return fail(&err);
	fprintf(stderr, PROG ": installed CA '%s'\n", o->import_ca);
	return EXIT_SUCCESS;
}

static int
write_out(const char *path, const struct pki_buf *data, struct pki_err *err)
{
	if (path == NULL || strcmp(path, "-") == 0)
		return pki_write_all(STDOUT_FILENO, data->data, data->len, "standard output", err);
	return pki_file_write(path, data->data, data->len, 0644, 0, err);
}

/* Signing: a bundle, or one CSR. */
static int
run_sign(const struct opts *o, struct pki_ca_opts *cao, time_t now)
{
	struct pki_policy *pol = NULL;
	struct pki_profile_set *set = NULL;
	struct pki_bundle *in = NULL, *signedb = NULL;
	struct pki_csr *csr = NULL;
	struct pki_cert *cert = NULL;
	struct pki_names refusals = { 0 }, notes = { 0 };
	struct pki_buf data = { 0 }, out = { 0 };
	struct pki_issue_opts io = { 0 };
	struct pki_err err;
	int status = EXIT_FAILURE, r;

	pki_err_clear(&err);
	if (pki_policy_load(o->policy, &pol, &err) != 0 ||
	    pki_profile_set_load(o->profiles ? o->profiles : pki_policy_profiles(pol), &set,
		    &err) != 0)
		goto err_out;
	if (strcmp(pki_profile_set_name(set), pki_policy_profiles(pol)) != 0) {
		pki_err_set(&err, PKI_E_USAGE,
			"policy '%s' is for profile set '%s', not '%s'", o->policy,
			pki_policy_profiles(pol), pki_profile_set_name(set));
		goto err_out;
	}
	cao->set = set;
	io.ca = cao;
	io.policy = pol;
	io.expect_fingerprint = o->expect_fp;
	io.dry_run = o->dry_run;
	io.now = now;

	if (o->bundle != NULL) {
		char fp[72];

		if (pki_bundle_load(o->bundle, set, &in, &err) != 0)
			goto err_out;
		r = pki_issue_bundle(&io, in, &signedb, &refusals, &notes, &err);
		print_lines("note: ", &notes);
		print_lines("refused: ", &refusals);
		if (r != 0) {
			status = refusals.n > 0 ? EXIT_CHECK : fail(&err);
			if (refusals.n > 0)
				fprintf(stderr, PROG ": %s\n", err.msg);
			goto out;
		}
		if (pki_bundle_fingerprint(in, fp, &err) != 0)
			goto err_out;
		if (o->dry_run) {
			fprintf(stderr, PROG ": bundle %s: all %zu entries would be signed\n", fp,
				pki_bundle_count(in));
			status = EXIT_SUCCESS;
			goto out;
		}
		if (pki_bundle_write(signedb, &out, &err) != 0 || write_out(o->out, &out, &err) != 0)
			goto err_out;
		fprintf(stderr, PROG ": signed %zu certificates of bundle %s\n",
			pki_bundle_count(signedb), fp);
	} else {
		if (pki_file_read(o->csr, "CSR", PKI_CAP_CSR, PKI_READ_STDIN, &data, &err) != 0 ||
		    pki_csr_parse_one(data.data, data.len,
			    strcmp(o->csr, "-") == 0 ? "<stdin>" : o->csr, &csr, &err) != 0)
			goto err_out;
		r = pki_issue_one(&io, o->profile, o->node ? o->node : "", csr, &cert, &refusals,
			&notes, &err);
		print_lines("note: ", &notes);
		print_lines("refused: ", &refusals);
		if (r != 0) {
			status = refusals.n > 0 ? EXIT_CHECK : fail(&err);
			if (refusals.n > 0)
				fprintf(stderr, PROG ": %s\n", err.msg);
			goto out;
		}
		if (o->dry_run) {
			fprintf(stderr, PROG ": the CSR would be signed\n");
			status = EXIT_SUCCESS;
			goto out;
		}
		if (pki_cert_export_pem(cert, &out, &err) != 0 || write_out(o->out, &out, &err) != 0)
			goto err_out;
	}
	status = EXIT_SUCCESS;
	goto out;
err_out:
	status = fail(&err);
out:
	pki_buf_free(&data);
	pki_buf_free(&out);
	pki_names_free(&refusals);
	pki_names_free(&notes);
	pki_cert_free(cert);
	pki_csr_free(csr);
	pki_bundle_free(in);
	pki_bundle_free(signedb);
	pki_profile_set_free(set);
	pki_policy_free(pol);
	return status;
}

/* Which mode the options ask for, and whether they go together. */
static const char *
check_opts(const struct opts *o)
{
	int modes = !!o->init + !!o->import_ca + !!(o->bundle || o->csr);

	if (o->ca_dir == NULL)
		return "--ca-dir is required";
	if (modes != 1)
		return "give one of --init, --import-ca, --bundle or --csr";
	if (o->csr_only && !o->init)
		return "--csr-only goes with --init";
	if ((o->key_type || o->validity) && !o->init)
		return "--key-type and --validity go with --init";
	if (o->bundle && o->csr)
		return "--bundle and --csr cannot be combined";
	if ((o->bundle || o->csr) && o->policy == NULL)
		return "signing needs --policy";
	if (o->csr && o->profile == NULL)
		return "--csr needs --profile";
	if (!o->csr && (o->profile || o->node))
		return "--profile and --node go with --csr";
	if (!o->bundle && o->expect_fp)
		return "--expect-fingerprint goes with --bundle";
	if (o->expect_fp) {
		unsigned char md[32];
		struct pki_err err;

		if (pki_fingerprint_parse(o->expect_fp, md, &err) != 0)
			return "--expect-fingerprint takes SHA256: and 64 hex digits, 64 hex "
			       "digits, or colon-separated hex bytes";
	}
	if (o->dry_run && !(o->bundle || o->csr))
		return "--dry-run goes with --bundle or --csr";
	if (o->out && !(o->bundle || o->csr))
		return "--out goes with --bundle or --csr";
	if (o->policy && !(o->bundle || o->csr))
		return "--policy goes with --bundle or --csr";
	return NULL;
}

int
main(int argc, const char **argv)
{
	struct opts o = { 0 };
	struct poptOption table[] = {
		{ "ca-dir", 0, POPT_ARG_STRING, &o.ca_dir, 0,
			"the CA directory (kubeadm layout: ca.crt, etcd/ca.crt, ...)", "DIR" },
		{ "init", 0, POPT_ARG_NONE, &o.init, 0, "create the kubeadm CAs", NULL },
		{ "csr-only", 0, POPT_ARG_NONE, &o.csr_only, 0,
			"with --init: CSRs for an organisation's root instead of self-signed CAs",
			NULL },
		{ "import-ca", 0, POPT_ARG_STRING, &o.import_ca, 0,
			"install a CA signed by the organisation's root (PEM: CA then chain)",
			"NAME=FILE" },
		{ "key-type", 0, POPT_ARG_STRING, &o.key_type, 0,
			"with --init: rsa2048 (default), rsa3072, rsa4096, ecdsa-p256, ecdsa-p384",
			"TYPE" },
		{ "validity", 0, POPT_ARG_STRING, &o.validity, 0,
			"with --init: CA validity (default: the profile's, 87600h)", "DURATION" },
		{ "ca-key", 0, POPT_ARG_STRING, &o.ca_key, 0,
			"the CA keys in a PKCS#11 token (RFC 7512 URI)", "URI" },
		{ "pin-file", 0, POPT_ARG_STRING, &o.pin_file, 0,
			"the token PIN (else $KPKI_PKCS11_PIN)", "FILE" },
		{ "policy", 0, POPT_ARG_STRING, &o.policy, 0, "the CA-side policy", "FILE" },
		{ "profiles", 0, POPT_ARG_STRING, &o.profiles, 0,
			"profile set (default: the policy's; with --init the newest kubeadm's)",
			"NAME|PATH" },
		{ "bundle", 0, POPT_ARG_STRING, &o.bundle, 0, "the CSR bundle to sign", "FILE|-" },
		{ "out", 0, POPT_ARG_STRING, &o.out, 0,
			"where the signed bundle or certificate goes (default: standard output)",
			"FILE|-" },
		{ "expect-fingerprint", 0, POPT_ARG_STRING, &o.expect_fp, 0,
			"refuse a bundle whose fingerprint differs", "SHA256:HEX" },
		{ "csr", 0, POPT_ARG_STRING, &o.csr, 0, "sign one CSR", "FILE|-" },
		{ "profile", 0, POPT_ARG_STRING, &o.profile, 0, "with --csr: its profile", "NAME" },
		{ "node", 0, POPT_ARG_STRING, &o.node, 0,
			"with --csr: the node name the profile's ${nodeName} stands for", "NAME" },
		{ "dry-run", 0, POPT_ARG_NONE, &o.dry_run, 0,
			"check everything, sign nothing", NULL },
		{ "version", 'V', POPT_ARG_NONE, &o.version, 0, "print the version", NULL },
		POPT_AUTOHELP POPT_TABLEEND
	};
	struct pki_ca_opts cao = { 0 };
	struct pki_profile_set *set = NULL;
	const char *problem;
	struct pki_err err;
	poptContext pc;
	int64_t now;
	int rc, status = EXIT_FAILURE;

	pki_err_clear(&err);
	if (pki_stdio_ensure(&err) != 0)
		return fail(&err);
	pc = poptGetContext(PROG, argc, argv, table, 0);
	poptSetOtherOptionHelp(pc, "[OPTION...]");
	while ((rc = poptGetNextOpt(pc)) > 0)
		;
	if ((status = options_done(pc, rc, o.version,
		     "unexpected argument; files are named with options")) >= 0)
		goto out;
	status = EXIT_FAILURE;
	if ((problem = check_opts(&o)) != NULL) {
		status = usage_error(problem);
		goto out;
	}
	if (pki_now(&now, &err) != 0) {
		status = fail(&err);
		goto out;
	}
	cao.ca_dir = o.ca_dir;
	cao.key_uri = o.ca_key;
	cao.pin_file = o.pin_file;
	if (o.bundle || o.csr) {
		status = run_sign(&o, &cao, (time_t)now);
		goto out;
	}
	if (pki_profile_set_load(o.profiles, &set, &err) != 0) {
		status = fail(&err);
		goto out;
	}
	cao.set = set;
	status = o.init ? run_init(&o, &cao, (time_t)now) : run_import(&o, &cao);
out:
	pki_profile_set_free(set);
	poptFreeContext(pc);
	free(o.ca_dir);
	free(o.policy);
	free(o.bundle);
	free(o.out);
	free(o.expect_fp);
	free(o.profile);
	free(o.csr);
	free(o.node);
	free(o.profiles);
	free(o.key_type);
	free(o.validity);
	free(o.ca_key);
	free(o.pin_file);
	free(o.import_ca);
	return status;
}
