/* fuzz_kubeconfig.c — pki_kubeconfig_parse on hostile input. */
#include <stddef.h>
#include <stdint.h>

#include <pki/kubeconfig.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_kubeconfig *kc = NULL;
	struct pki_err err;

	pki_err_clear(&err);
	if (pki_kubeconfig_parse(data, size, "fuzz", &kc, &err) == 0) {
		/* touch what the accessors hand out */
		const struct pki_buf *b = pki_kubeconfig_client_key_data(kc);
		volatile unsigned char sink = 0;

		if (b != NULL && b->len > 0)
			sink ^= b->data[b->len - 1];
		(void)sink;
		pki_kubeconfig_free(kc);
	}
	return 0;
}
