/*
 * duration.h — durations as people write them: "365d", "8760h", "1y",
 * "8760h0m0s" (Go's form, as in kubeadm configuration), "1y30d".
 */
#ifndef PKI_DURATION_H
#define PKI_DURATION_H

#include <stdint.h>

#include <pki/error.h>

/*
 * Parses a sequence of <digits><unit> with units y (365 days), w, d, h, m
 * and s into seconds. Empty input, a missing unit, a negative value or an
 * overflow is an error. `what` names the value in messages.
 */
int pki_duration_parse(const char *s, const char *what, int64_t *seconds,
	struct pki_err *err) PKI_WUR;

/*
 * Formats seconds the way kubeadm prints residual time
 * (apimachinery's ShortHumanDuration): "<invalid>", "0s", "45s", "12m",
 * "5h", "364d", "9y".
 */
void pki_duration_short(int64_t seconds, char out[16]);

/*
 * The current time, or the one in $KPKI_NOW (seconds since the epoch) so
 * that reports can be reproduced. A malformed $KPKI_NOW is an error.
 */
int pki_now(int64_t *out, struct pki_err *err) PKI_WUR;

#endif
