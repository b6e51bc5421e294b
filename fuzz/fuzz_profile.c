/* fuzz_profile.c — pki_profile_set_parse on hostile input, then every
 * accessor and the expansion of each profile with and without a config. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <pki/kubeadm.h>
#include <pki/profile.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cfg_yaml[] =
	"apiVersion: kubeadm.k8s.io/v1beta4\n"
	"kind: InitConfiguration\n"
	"nodeRegistration: {name: node-1}\n"
	"localAPIEndpoint: {advertiseAddress: \"fd00::10\"}\n"
	"---\n"
	"apiVersion: kubeadm.k8s.io/v1beta4\n"
	"kind: ClusterConfiguration\n"
	"controlPlaneEndpoint: \"10.0.0.1:443\"\n"
	"apiServer: {certSANs: [a.example, \"*.b.example\", 10.0.0.2]}\n"
	"etcd: {local: {serverCertSANs: [\"::1\"], peerCertSANs: [p.example]}}\n";

static void
expand(const struct pki_profile *p, const struct pki_kubeadm *cfg)
{
	struct pki_names org = { 0 }, dns = { 0 }, ip = { 0 };
	struct pki_err err;
	char *cn = NULL;
	size_t i;

	pki_err_clear(&err);
	if (pki_profile_subject(p, cfg, &cn, &org, &err) == 0) {
		free(cn);
		pki_names_free(&org);
	}
	if (pki_profile_sans(p, cfg, &dns, &ip, &err) == 0) {
		/* DNS names come back sorted */
		for (i = 1; i < dns.n; i++)
			if (__builtin_strcmp(dns.v[i - 1], dns.v[i]) >= 0)
				__builtin_trap();
		pki_names_free(&dns);
		pki_names_free(&ip);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pki_kubeadm *cfg;
	struct pki_profile_set *set = NULL;
	struct pki_err err;
	size_t i;

	pki_err_clear(&err);
	if (cfg == NULL && pki_kubeadm_parse((const unsigned char *)cfg_yaml,
				   sizeof(cfg_yaml) - 1, "fuzz", &cfg, &err) != 0)
		__builtin_trap();
	if (pki_profile_set_parse(data, size, "fuzz", &set, &err) != 0) {
		if (set != NULL || err.msg[0] == '\0')
			__builtin_trap();
		return 0;
	}
	(void)pki_profile_set_name(set);
	(void)pki_profile_set_description(set);
	for (i = 0; i < pki_profile_set_count(set); i++) {
		const struct pki_profile *p = pki_profile_set_at(set, i);

		if (pki_profile_set_find(set, pki_profile_name(p)) != p)
			__builtin_trap();
		if (pki_profile_kind(p) != PKI_PROFILE_CA &&
		    pki_profile_set_find(set, pki_profile_ca(p)) == NULL)
			__builtin_trap();
		(void)pki_profile_path(p);
		(void)pki_profile_location(p);
		(void)pki_profile_key_usage(p);
		(void)pki_profile_ext_key_usage(p);
		(void)pki_profile_validity(p);
		(void)pki_profile_in_expiration_report(p);
		(void)pki_profile_needs_local_etcd(p);
		(void)pki_profile_roles(p);
		(void)pki_profile_server(p);
		(void)pki_profile_allows_ed25519(p);
		(void)pki_profile_has_sans(p);
		expand(p, NULL);
		expand(p, cfg);
	}
	pki_profile_set_free(set);
	return 0;
}
