/* error.c — struct pki_err helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pki/error.h>

void
pki_err_clear(struct pki_err *err)
{
	if (err == NULL)
		return;
	err->code = PKI_OK;
	err->msg[0] = '\0';
}

int
pki_err_set(struct pki_err *err, enum pki_errcode code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	/* A truncated message is still a message; nothing to recover. */
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
pki_err_prefix(struct pki_err *err, const char *fmt, ...)
{
	char prefix[PKI_ERR_MSG_MAX], old[PKI_ERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	/* truncation keeps the start, which names the file: acceptable */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) < 0)
		err->msg[0] = '\0';
	return -1;
}

int
pki_err_nomem(struct pki_err *err)
{
	return pki_err_set(err, PKI_E_NOMEM, "out of memory");
}
