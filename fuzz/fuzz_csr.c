/* fuzz_csr.c — pki_csr_parse on hostile input, then every reader. */
#include <stddef.h>
#include <stdint.h>

#include <pki/csr.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_csr *csr = NULL;
	struct pki_x509info info;
	struct pki_err err;
	int self_ok = 0;

	pki_err_clear(&err);
	if (pki_csr_parse(data, size, "fuzz", &csr, &err) != 0)
		return 0;
	if (pki_csr_info(csr, &info, &err) == 0) {
		self_ok = info.self_signature_ok;
		pki_x509info_free(&info);
	}
	/* the two ways of asking agree */
	if (pki_csr_verify(csr, &err) == 0 && !self_ok)
		__builtin_trap();
	pki_csr_free(csr);
	return 0;
}
