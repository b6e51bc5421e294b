/* fuzz_ledger.c — the ledger journal reader (pki_ledger_parse) on hostile
 * input, and the listing of whatever it accepts. */
#include <stddef.h>
#include <stdint.h>

#include <pki/ledger.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_ledger_record *recs = NULL;
	struct pki_buf out = { 0 };
	struct pki_err err;
	size_t n = 0, good = 0;

	pki_err_clear(&err);
	if (pki_ledger_parse(data, size, "fuzz", &recs, &n, &good, &err) == 0) {
		if (pki_ledger_render(recs, n, 0, &out, &err) == 0)
			pki_buf_free(&out);
		if (pki_ledger_render(recs, n, 1, &out, &err) == 0)
			pki_buf_free(&out);
		pki_ledger_records_free(recs, n);
	}
	return 0;
}
