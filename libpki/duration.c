/* duration.c — durations in and out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pki/duration.h>

#include "internal.h"

int
pki_duration_parse(const char *s, const char *what, int64_t *seconds, struct pki_err *err)
{
	int64_t total = 0;
	const char *p = s;

	if (s == NULL || *s == '\0')
		return pki_err_set(err, PKI_E_PARSE, "%s: empty duration", what);
	while (*p != '\0') {
		int64_t v = 0, mult;

		if (*p < '0' || *p > '9')
			return pki_err_set(err, PKI_E_PARSE,
				"%s: duration '%s' is not <number><unit>... (units y, w, d, h, m, s)",
				what, s);
		while (*p >= '0' && *p <= '9') {
			if (v > (INT64_MAX - (*p - '0')) / 10)
				return pki_err_set(err, PKI_E_PARSE, "%s: duration '%s' is too large",
					what, s);
			v = v * 10 + (*p++ - '0');
		}
		switch (*p) {
		case 'y': mult = 365 * 86400; break;
		case 'w': mult = 7 * 86400; break;
		case 'd': mult = 86400; break;
		case 'h': mult = 3600; break;
		case 'm': mult = 60; break;
		case 's': mult = 1; break;
		default:
			return pki_err_set(err, PKI_E_PARSE,
				"%s: duration '%s' needs a unit (y, w, d, h, m or s) after each number",
				what, s);
		}
		p++;
		if (v > (INT64_MAX - total) / mult)
			return pki_err_set(err, PKI_E_PARSE, "%s: duration '%s' is too large", what, s);
		total += v * mult;
	}
	*seconds = total;
	return 0;
}

void
pki_duration_short(int64_t s, char out[16])
{
	int64_t minutes, hours;

	if (s < -1) {
		(void)snprintf(out, 16, "<invalid>");
		return;
	}
	if (s < 0) {
		(void)snprintf(out, 16, "0s");
		return;
	}
	if (s < 60) {
		(void)snprintf(out, 16, "%llds", (long long)s);
		return;
	}
	minutes = s / 60;
	if (minutes < 60) {
		(void)snprintf(out, 16, "%lldm", (long long)minutes);
		return;
	}
	hours = s / 3600;
	if (hours < 24) {
		(void)snprintf(out, 16, "%lldh", (long long)hours);
		return;
	}
	if (hours < 24 * 365) {
		(void)snprintf(out, 16, "%lldd", (long long)(hours / 24));
		return;
	}
	(void)snprintf(out, 16, "%lldy", (long long)(hours / 24 / 365));
}

int
pki_now(int64_t *out, struct pki_err *err)
{
	const char *s = getenv("KPKI_NOW");
	uint64_t v;

	if (s == NULL || *s == '\0') {
		*out = (int64_t)time(NULL);
		return 0;
	}
	if (pki_parse_u64(s, 0, (uint64_t)INT64_MAX / 2, &v) != 0)
		return pki_err_set(err, PKI_E_USAGE,
			"KPKI_NOW '%.40s': not a number of seconds since 1970", s);
	*out = (int64_t)v;
	return 0;
}
