/* fuzz_cert.c — pki_cert_list_parse on hostile input, then every reader. */
#include <stddef.h>
#include <stdint.h>

#include <pki/cert.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_cert **list = NULL, *again = NULL;
	struct pki_x509info info;
	struct pki_buf pem = { 0 };
	struct pki_err err;
	size_t n = 0, i;

	pki_err_clear(&err);
	if (pki_cert_list_parse(data, size, "fuzz", 8, &list, &n, &err) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (pki_cert_info(list[i], &info, &err) == 0)
			pki_x509info_free(&info);
		(void)pki_cert_is_ca(list[i]);
		(void)pki_cert_not_after(list[i]);
		if (pki_cert_verify_signed_by(list[0], list[i], &err) != 0)
			pki_err_clear(&err);
		/* what we export, we read back */
		if (pki_cert_export_pem(list[i], &pem, &err) == 0) {
			if (pki_cert_parse(pem.data, pem.len, "export", &again, &err) != 0)
				__builtin_trap();
			pki_cert_free(again);
			again = NULL;
		}
		pki_buf_free(&pem);
	}
	pki_cert_list_free(list, n);
	return 0;
}
