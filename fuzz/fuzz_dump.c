/* fuzz_dump.c — pki_dump (every parser behind it) on hostile input. */
#include <stddef.h>
#include <stdint.h>

#include <pki/report.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_buf out = { 0 };
	struct pki_err err;

	pki_err_clear(&err);
	/* a fixed time: the same input must give the same output */
	if (pki_dump(data, size, "fuzz", (time_t)3786912000LL, PKI_FMT_TEXT, &out, &err) == 0) {
		pki_buf_free(&out);
		/* what parsed as text must parse as JSON too */
		if (pki_dump(data, size, "fuzz", (time_t)3786912000LL, PKI_FMT_JSON, &out,
			    &err) != 0)
			__builtin_trap();
	}
	pki_buf_free(&out);
	return 0;
}
