/* fuzz_key.c — pki_key_parse on hostile input, then every reader of a key. */
#include <stddef.h>
#include <stdint.h>

#include <pki/key.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pki_key *key = NULL, *again = NULL;
	struct pki_buf pem = { 0 }, pub = { 0 };
	struct pki_keyinfo info;
	struct pki_err err;
	unsigned char id[32];

	pki_err_clear(&err);
	if (pki_key_parse(data, size, "fuzz", &key, &err) != 0)
		return 0;
	pki_key_info(key, &info);
	if (pki_key_public_id(key, id, &err) != 0 ||
	    pki_key_export_public_pem(key, &pub, &err) != 0)
		goto out;
	/* what we export, we read back */
	if (pki_key_export_pem(key, &pem, &err) != 0 ||
	    pki_key_parse(pem.data, pem.len, "export", &again, &err) != 0)
		__builtin_trap();
out:
	pki_buf_free(&pem);
	pki_buf_free(&pub);
	pki_key_free(again);
	pki_key_free(key);
	return 0;
}
