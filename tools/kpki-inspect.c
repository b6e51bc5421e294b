/*
 * kpki-inspect — expiration report, verification of a PKI directory
 * against its profiles, and readable summaries of PKI files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <popt.h>

#include <pki/cert.h>
#include <pki/duration.h>
#include <pki/error.h>
#include <pki/file.h>
#include <pki/kubeadm.h>
#include <pki/ledger.h>
#include <pki/pkidir.h>
#include <pki/profile.h>
#include <pki/report.h>

#define PROG "kpki-inspect"

#include "tool.h"


struct opts {
	char *cert_dir;
	char *kc_dir;
	char *config;
	char *profiles;
	char *output;
	char *warn_within;
	char *node_role;
	char *ledger;
	int all;
	int verify;
	int version;
};

static int
emit(const struct pki_buf *out, struct pki_err *err)
{
	return pki_write_all(STDOUT_FILENO, out->data, out->len, "standard output", err);
}

/* kpki-inspect --ledger DIR: the issuances of a CA directory's ledger. */
static int
run_ledger(const char *ca_dir, enum pki_format fmt)
{
	struct pki_ledger_record *recs = NULL;
	struct pki_buf out = { 0 };
	struct pki_err err;
	size_t n = 0;
	int status = EXIT_FAILURE;

	pki_err_clear(&err);
	if (pki_ledger_read(ca_dir, &recs, &n, &err) != 0 ||
	    pki_ledger_render(recs, n, fmt == PKI_FMT_JSON, &out, &err) != 0 ||
	    emit(&out, &err) != 0)
		status = fail(&err);
	else
		status = EXIT_SUCCESS;
	pki_buf_free(&out);
	pki_ledger_records_free(recs, n);
	return status;
}

/* kpki-inspect FILE...: one summary per input. */
static int
run_dump(const char **files, enum pki_format fmt, time_t now)
{
	struct pki_buf out = { 0 };
	struct pki_err err;
	int status = EXIT_SUCCESS;
	size_t i;

	for (i = 0; files[i] != NULL; i++) {
		struct pki_buf in = { 0 };
		const char *name = strcmp(files[i], "-") == 0 ? "<stdin>" : files[i];

		pki_err_clear(&err);
		if (pki_file_read(files[i], "input", PKI_CAP_YAML, PKI_READ_STDIN, &in, &err) != 0 ||
		    pki_dump(in.data, in.len, name, now, fmt, &out, &err) != 0) {
			fprintf(stderr, PROG ": %s\n", err.msg);
			status = EXIT_FAILURE;
		}
		pki_buf_free(&in);
	}
	pki_err_clear(&err);
	if (out.len > 0 && emit(&out, &err) != 0)
		status = fail(&err);
	pki_buf_free(&out);
	return status;
}

int
main(int argc, const char **argv)
{
	struct opts o = { 0 };
	struct poptOption table[] = {
		{ "cert-dir", 0, POPT_ARG_STRING, &o.cert_dir, 0,
			"certificate directory (default: the configuration's "
			"certificatesDir, else /etc/kubernetes/pki)", "DIR" },
		{ "kubeconfig-dir", 0, POPT_ARG_STRING, &o.kc_dir, 0,
			"kubeconfig directory (default /etc/kubernetes)", "DIR" },
		{ "config", 0, POPT_ARG_STRING, &o.config, 0,
			"kubeadm configuration file", "FILE" },
		{ "profiles", 0, POPT_ARG_STRING, &o.profiles, 0,
			"profile set name or file (default: the newest kubeadm's)", "NAME|PATH" },
		{ "output", 'o', POPT_ARG_STRING, &o.output, 0,
			"output format: text, json or yaml", "FORMAT" },
		{ "node-role", 0, POPT_ARG_STRING, &o.node_role, 0,
			"with --verify: the node's role, control-plane (default) or worker",
			"ROLE" },
		{ "all", 0, POPT_ARG_NONE, &o.all, 0,
			"also report what kubeadm leaves out (kubelet.conf)", NULL },
		{ "warn-within", 0, POPT_ARG_STRING, &o.warn_within, 0,
			"exit 3 if a certificate expires within DURATION (e.g. 30d)",
			"DURATION" },
		{ "verify", 0, POPT_ARG_NONE, &o.verify, 0,
			"check every certificate against its profile; exit 3 on a problem",
			NULL },
		{ "ledger", 0, POPT_ARG_STRING, &o.ledger, 0,
			"list the certificates issued with the CA directory DIR", "DIR" },
		{ "version", 'V', POPT_ARG_NONE, &o.version, 0, "print the version", NULL },
		POPT_AUTOHELP POPT_TABLEEND
	};
	struct pki_profile_set *set = NULL;
	struct pki_kubeadm *cfg = NULL;
	struct pki_report *report = NULL;
	struct pki_names findings = { 0 };
	struct pki_buf out = { 0 };
	enum pki_format fmt = PKI_FMT_TEXT;
	const char **files, *cert_dir, *kc_dir;
	int64_t now, warn = 0;
	struct pki_err err;
	poptContext pc;
	int rc, status = EXIT_FAILURE;
	unsigned flags = 0, roles = 0;

	pki_err_clear(&err);
	if (pki_stdio_ensure(&err) != 0)
		return fail(&err);
	pc = poptGetContext(PROG, argc, argv, table, 0);
	poptSetOtherOptionHelp(pc, "[OPTION...] [FILE...]");
	while ((rc = poptGetNextOpt(pc)) > 0)
		;
	if ((status = options_done(pc, rc, o.version, NULL)) >= 0)
		goto out;
	status = EXIT_FAILURE;
	files = poptGetArgs(pc);
	if (o.output != NULL && pki_format_parse(o.output, &fmt, &err) != 0) {
		status = usage_error(err.msg);
		goto out;
	}
	if (files != NULL && (o.verify || o.warn_within || o.all || o.cert_dir ||
				     o.kc_dir || o.config || o.profiles || o.node_role)) {
		status = usage_error("FILE arguments cannot be combined with directory options");
		goto out;
	}
	if (o.ledger != NULL && (files != NULL || o.verify || o.warn_within || o.all ||
				    o.cert_dir || o.kc_dir || o.config || o.profiles ||
				    o.node_role)) {
		status = usage_error("--ledger cannot be combined with FILE arguments or "
				     "directory options");
		goto out;
	}
	if (o.ledger != NULL && fmt == PKI_FMT_YAML) {
		status = usage_error("the ledger is listed as text or json, not yaml");
		goto out;
	}
	if (o.ledger != NULL) {
		status = run_ledger(o.ledger, fmt);
		goto out;
	}
	if (files != NULL && fmt == PKI_FMT_YAML) {
		status = usage_error("summaries of files are text or json, not yaml");
		goto out;
	}
	if (o.verify && (o.warn_within || o.all)) {
		status = usage_error("--verify cannot be combined with --warn-within or --all");
		goto out;
	}
	if (o.node_role != NULL && !o.verify) {
		status = usage_error("--node-role goes with --verify");
		goto out;
	}
	if (o.node_role != NULL && pki_role_parse(o.node_role, &roles, &err) != 0) {
		status = usage_error(err.msg);
		goto out;
	}
	if (o.warn_within != NULL &&
	    pki_duration_parse(o.warn_within, "--warn-within", &warn, &err) != 0) {
		status = usage_error(err.msg);
		goto out;
	}
	if (pki_now(&now, &err) != 0) {
		status = fail(&err);
		goto out;
	}
	if (files != NULL) {
		status = run_dump(files, fmt, (time_t)now);
		goto out;
	}

	if (o.config != NULL && pki_kubeadm_load(o.config, &cfg, &err) != 0)
		goto err_out;
	if (pki_profile_set_load(o.profiles, &set, &err) != 0)
		goto err_out;
	cert_dir = o.cert_dir ? o.cert_dir :
		cfg ? pki_kubeadm_certificates_dir(cfg) : "/etc/kubernetes/pki";
	kc_dir = o.kc_dir ? o.kc_dir : "/etc/kubernetes";
	if (o.all)
		flags |= PKI_REPORT_ALL;
	if (cfg != NULL && pki_kubeadm_external_etcd(cfg))
		flags |= PKI_REPORT_EXTERNAL_ETCD;

	if (o.verify) {
		if (pki_pkidir_verify(set, cert_dir, kc_dir, cfg, roles, (time_t)now, &findings,
			    &err) != 0 ||
		    pki_pkidir_render_findings(&findings, fmt, &out, &err) != 0 || emit(&out, &err) != 0)
			goto err_out;
		if (findings.n > 0)
			fprintf(stderr, PROG ": %zu problem%s found\n", findings.n,
				findings.n == 1 ? "" : "s");
		else
			fprintf(stderr, PROG ": no problems found\n");
		status = findings.n > 0 ? EXIT_CHECK : EXIT_SUCCESS;
		goto out;
	}

	if (pki_report_build(set, cert_dir, kc_dir, (time_t)now, flags, &report, &err) != 0)
		goto err_out;
	{
		const struct pki_names *errors = pki_report_errors(report);
		int any = 0;
		size_t i;

		/* on standard error: standard output stays kubeadm's, byte for byte */
		print_lines("warning: ", pki_report_warnings(report));
		/* as kubeadm: a file that is there but unreadable fails the report,
		 * rather than passing for missing */
		for (i = 0; i < errors->n; i++)
			fprintf(stderr, PROG ": %s\n", errors->v[i]);
		if (errors->n > 0) {
			status = EXIT_FAILURE;
			goto out;
		}
		if (pki_report_render(report, fmt, &out, &err) != 0 || emit(&out, &err) != 0)
			goto err_out;
		status = EXIT_SUCCESS;
		if (o.warn_within != NULL &&
			 pki_report_min_residual(report, &any) <= warn && any)
			status = EXIT_CHECK;
		else if (o.warn_within != NULL && !any) {
			/* a monitoring check pointed at the wrong place must not stay green */
			char q[PKI_QPATH_MAX];

			pki_path_quote(cert_dir, q, sizeof(q));
			fprintf(stderr, PROG ": '%s': no certificate found to check\n", q);
			status = EXIT_FAILURE;
		}
	}
	goto out;

err_out:
	status = fail(&err);
out:
	pki_buf_free(&out);
	pki_names_free(&findings);
	pki_report_free(report);
	pki_profile_set_free(set);
	pki_kubeadm_free(cfg);
	poptFreeContext(pc);
	/* popt hands out string arguments the caller owns */
	free(o.cert_dir);
	free(o.kc_dir);
	free(o.config);
	free(o.profiles);
	free(o.output);
	free(o.warn_within);
	free(o.node_role);
	free(o.ledger);
	return status;
}
