/* fuzz_kubeadm.c — pki_kubeadm_parse on hostile input, then every derived
 * value and the expansion of a small profile set against it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pki/kubeadm.h>
#include <pki/profile.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* every variable, in subjects and SANs */
static const char set_yaml[] =
	"format: kpki-profiles/v1\n"
	"name: fuzz\n"
	"description: every variable\n"
	"kubeadm: {min: \"1.29\"}\n"
	"profiles:\n"
	"  - name: ca\n"
	"    kind: ca\n"
	"    path: ca\n"
	"    subject: {cn: \"${clusterName}\", o: [\"${dnsDomain}\"]}\n"
	"    key-usage: [cert-sign]\n"
	"    sans: [\"${clusterName}\"]\n"
	"    validity: 1d\n"
	"    roles: [control-plane]\n"
	"  - name: leaf\n"
	"    kind: cert\n"
	"    path: leaf\n"
	"    ca: ca\n"
	"    subject: {cn: \"system:node:${nodeName}\"}\n"
	"    key-usage: [digital-signature]\n"
	"    ext-key-usage: [server-auth]\n"
	"    sans:\n"
	"      - ${nodeName}\n"
	"      - x.${dnsDomain}\n"
	"      - ${serviceVIP}\n"
	"      - ${advertiseAddress}\n"
	"      - ${controlPlaneEndpointHost}\n"
	"      - ${apiServer.certSANs}\n"
	"      - ${etcd.serverCertSANs}\n"
	"      - ${etcd.peerCertSANs}\n"
	"    validity: 1d\n"
	"    roles: [worker]\n";

static const char *const vars[] = { "nodeName", "advertiseAddress", "serviceVIP",
	"dnsDomain", "clusterName", "controlPlaneEndpointHost", "apiServer.certSANs",
	"etcd.serverCertSANs", "etcd.peerCertSANs" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pki_profile_set *set;
	struct pki_kubeadm *cfg = NULL;
	struct pki_names names = { 0 }, dns = { 0 }, ip = { 0 };
	struct pki_err err;
	char *s = NULL;
	size_t i;

	pki_err_clear(&err);
	if (set == NULL && pki_profile_set_parse((const unsigned char *)set_yaml,
				   sizeof(set_yaml) - 1, "fuzz", &set, &err) != 0)
		__builtin_trap();
	if (pki_kubeadm_parse(data, size, "fuzz", &cfg, &err) != 0) {
		if (cfg != NULL || err.msg[0] == '\0')
			__builtin_trap();
		return 0;
	}
	(void)pki_kubeadm_api_version(cfg);
	(void)pki_kubeadm_bind_port(cfg);
	(void)pki_kubeadm_cpe_port(cfg);
	(void)pki_kubeadm_service_subnet(cfg);
	(void)pki_kubeadm_certificates_dir(cfg);
	(void)pki_kubeadm_external_etcd(cfg);
	(void)pki_kubeadm_key_type(cfg);
	if (pki_kubeadm_cert_validity(cfg) <= 0 || pki_kubeadm_ca_validity(cfg) <= 0)
		__builtin_trap();
	if (pki_kubeadm_cpe_url(cfg, &s, &err) == 0)
		free(s);
	if (pki_kubeadm_local_url(cfg, &s, &err) == 0)
		free(s);
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (pki_kubeadm_var(cfg, vars[i], &names, &err) != 0)
			__builtin_trap();
	pki_names_free(&names);
	for (i = 0; i < pki_profile_set_count(set); i++) {
		const struct pki_profile *p = pki_profile_set_at(set, i);

		if (pki_profile_subject(p, cfg, &s, &names, &err) == 0) {
			free(s);
			pki_names_free(&names);
		}
		if (pki_profile_sans(p, cfg, &dns, &ip, &err) == 0) {
			pki_names_free(&dns);
			pki_names_free(&ip);
		}
	}
	pki_kubeadm_free(cfg);
	return 0;
}
