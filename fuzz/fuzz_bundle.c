/* fuzz_bundle.c — pki_bundle_parse on hostile input, CSR and signed
 * bundles; what it accepts must write, read back and fingerprint the same,
 * and be signed wholly or not at all. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pki/bundle.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small set of its own, so that the target needs no templates
 * directory: a CA, and one profile of each location. */
static const char set_yaml[] =
	"format: kpki-profiles/v1\n"
	"name: kubeadm-v1.29\n"
	"description: fuzz\n"
	"kubeadm: {min: \"1.29\"}\n"
	"profiles:\n"
	"  - {name: ca, kind: ca, path: ca, subject: {cn: kubernetes}, validity: 87600h,\n"
	"     key-usage: [digital-signature, cert-sign], roles: [control-plane]}\n"
	"  - {name: apiserver, kind: cert, path: apiserver, ca: ca,\n"
	"     subject: {cn: kube-apiserver}, key-usage: [digital-signature],\n"
	"     ext-key-usage: [server-auth], validity: 8760h, roles: [control-plane]}\n"
	"  - {name: etcd-server, kind: cert, path: etcd/server, ca: ca,\n"
	"     subject: {cn: \"${nodeName}\"}, key-usage: [digital-signature],\n"
	"     ext-key-usage: [server-auth], validity: 8760h, roles: [control-plane]}\n"
	"  - {name: admin.conf, kind: kubeconfig, path: admin.conf, ca: ca,\n"
	"     subject: {cn: kubernetes-admin}, key-usage: [digital-signature],\n"
	"     ext-key-usage: [client-auth], validity: 8760h, roles: [control-plane],\n"
	"     server: control-plane-endpoint}\n"
	"  - {name: kubelet, kind: cert, location: kubelet-dir, path: kubelet, ca: ca,\n"
	"     subject: {cn: \"system:node:${nodeName}\"}, key-usage: [digital-signature],\n"
	"     ext-key-usage: [server-auth], validity: 8760h, roles: [control-plane, worker]}\n";

static struct pki_profile_set *set;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_bundle *b = NULL, *b2 = NULL;
	struct pki_buf out = { 0 };
	struct pki_err err;
	char fp[72], fp2[72];

	pki_err_clear(&err);
	/* the set is loaded once; a bundle naming another set is refused */
	if (set == NULL && pki_profile_set_parse((const unsigned char *)set_yaml,
				   sizeof(set_yaml) - 1, "fuzz-set", &set, &err) != 0)
		__builtin_trap();
	if (pki_bundle_parse(data, size, "fuzz", set, &b, &err) != 0) {
		if (b != NULL || err.code == PKI_OK || err.msg[0] == '\0')
			__builtin_trap();
		return 0;
	}
	if (pki_bundle_fingerprint(b, fp, &err) != 0 || pki_bundle_write(b, &out, &err) != 0)
		__builtin_trap();
	if (memmem(out.data, out.len, "PRIVATE KEY-----", 16) != NULL)
		__builtin_trap();
	/* what was accepted reads back as the same content */
	if (pki_bundle_parse(out.data, out.len, "fuzz-rewritten", set, &b2, &err) != 0 ||
	    pki_bundle_fingerprint(b2, fp2, &err) != 0 || strcmp(fp, fp2) != 0)
		__builtin_trap();
	/* signed wholly or not at all, and so again once written */
	if (pki_bundle_is_signed(b) != pki_bundle_is_signed(b2) ||
	    pki_bundle_ca_count(b) != pki_bundle_ca_count(b2) ||
	    (pki_bundle_is_signed(b) == 0) != (pki_bundle_ca_count(b) == 0) ||
	    (pki_bundle_is_signed(b) == 0 &&
		pki_bundle_entry_certificate(pki_bundle_at(b, 0)) != NULL))
		__builtin_trap();
	pki_bundle_free(b2);
	pki_bundle_free(b);
	pki_buf_free(&out);
	return 0;
}
