/* util.c — memory, text checks, number parsing, small encoders. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include <pki/cert.h>

#include "internal.h"

void
pki_freezero(void *p, size_t len)
{
	if (p == NULL)
		return;
	gnutls_memset(p, 0, len);
	free(p);
}

char *
pki_strndup(const char *s, size_t n, struct pki_err *err)
{
	char *d;

	d = malloc(n + 1);
	if (d == NULL) {
		pki_err_nomem(err);
		return NULL;
	}
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
pki_strdup(const char *s, struct pki_err *err)
{
	return pki_strndup(s, strlen(s), err);
}

void *
pki_calloc(size_t n, size_t size, struct pki_err *err)
{
	void *p;

	if (n == 0)
		n = 1;
	p = calloc(n, size);
	if (p == NULL)
		pki_err_nomem(err);
	return p;
}

int
pki_grow(void **v, size_t *cap, size_t need, size_t size, struct pki_err *err)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return pki_err_nomem(err);
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / size)
		return pki_err_nomem(err);
	nv = realloc(*v, ncap * size);
	if (nv == NULL)
		return pki_err_nomem(err);
	memset((char *)nv + *cap * size, 0, (ncap - *cap) * size);
	*v = nv;
	*cap = ncap;
	return 0;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

int
pki_text_is_clean(const char *s, size_t len, int allow_tab)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;

	while (i < len) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			if (!(allow_tab && p[i] == '\t'))
				return 0;
			i++;
			continue;
		}
		l = utf8_seq_len(p + i, len - i);
		if (l == 0)
			return 0;
		/* C1 controls U+0080..U+009F */
		if (l == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
			return 0;
		/* bidirectional controls (U+200E, U+200F, U+202A..U+202E,
		 * U+2066..U+2069) make text read as other text: "gpj.exe" */
		if (l == 3 && p[i] == 0xe2 &&
		    ((p[i + 1] == 0x80 && (p[i + 2] == 0x8e || p[i + 2] == 0x8f ||
					      (p[i + 2] >= 0xaa && p[i + 2] <= 0xae))) ||
			    (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)))
			return 0;
		i += l;
	}
	return 1;
}

void
pki_text_sanitize(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (cap == 0)
		return;
	for (; *p != '\0'; p++) {
		char tmp[5];
		size_t tl;

		if (*p < 0x20 || *p >= 0x7f || *p == '\\' || *p == '\'') {
			(void)snprintf(tmp, sizeof(tmp), "\\x%02x", *p);
			tl = 4;
		} else {
			tmp[0] = (char)*p;
			tl = 1;
		}
		if (o + tl + 4 > cap) {
			if (o + 4 <= cap) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(out + o, tmp, tl);
		o += tl;
	}
	out[o] = '\0';
}

int
pki_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (s == NULL || *s == '\0')
		return -1;
	if (s[0] == '0' && s[1] != '\0')
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
pki_json_str(struct pki_buf *b, const char *s, struct pki_err *err)
{
	const unsigned char *p;

	if (pki_buf_append(b, "\"", 1, err) != 0)
		return -1;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		int r;

		switch (*p) {
		case '"': r = pki_buf_append(b, "\\\"", 2, err); break;
		case '\\': r = pki_buf_append(b, "\\\\", 2, err); break;
		case '\n': r = pki_buf_append(b, "\\n", 2, err); break;
		case '\t': r = pki_buf_append(b, "\\t", 2, err); break;
		case '\r': r = pki_buf_append(b, "\\r", 2, err); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				r = pki_buf_printf(b, err, "\\u%04x", *p);
			else
				r = pki_buf_append(b, p, 1, err);
		}
		if (r != 0)
			return -1;
	}
	return pki_buf_append(b, "\"", 1, err);
}

/* Whether a plain YAML scalar would be read back as something else. */
static int
yaml_needs_quotes(const char *s)
{
	static const char *const special[] = { "null", "Null", "NULL", "~",
		"true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes",
		"YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
		"y", "Y", "n", "N" };
	const unsigned char *p;
	size_t i, len = strlen(s);
	int numeric = 1;

	if (len == 0)
		return 1;
	for (i = 0; i < PKI_ARRAY_LEN(special); i++)
		if (strcmp(s, special[i]) == 0)
			return 1;
	if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) != NULL)
		return 1;
	if (s[len - 1] == ' ' || s[len - 1] == ':')
		return 1;
	if (strstr(s, ": ") != NULL || strstr(s, " #") != NULL)
		return 1;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p >= 0x7f)
			return 1;
		if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
			    *p == '+' || *p == 'e' || *p == 'E' || *p == ':' ||
			    *p == 'T' || *p == 'Z' || *p == 'x' || *p == 'o' ||
			    *p == '_'))
			numeric = 0;
	}
	/* numbers, dates and timestamps would change type */
	if (numeric && s[0] != 'e' && s[0] != 'E' && s[0] != 'T' && s[0] != 'Z' &&
	    s[0] != 'x' && s[0] != 'o' && s[0] != '_')
		return 1;
	return 0;
}

int
pki_yaml_str(struct pki_buf *b, const char *s, struct pki_err *err)
{
	if (!yaml_needs_quotes(s))
		return pki_buf_append(b, s, strlen(s), err);
	/* a JSON string is a valid YAML double-quoted scalar */
	return pki_json_str(b, s, err);
}

void
pki_time_rfc3339(time_t t, char out[32])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(out, 32, "invalid-time");
}

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64val(unsigned char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(b64chars, c);
	return p ? (int)(p - b64chars) : -1;
}

int
pki_base64_decode(const char *s, size_t len, struct pki_buf *out, const char *what,
	struct pki_err *err)
{
	struct pki_buf b = { 0 };
	size_t i, pad = 0;
	unsigned char q[3];

	memset(out, 0, sizeof(*out));
	if (len % 4 != 0)
		return pki_err_set(err, PKI_E_PARSE,
			"%s: malformed base64 (length %zu is not a multiple of 4)",
			what, len);
	for (i = 0; i < len; i += 4) {
		int v[4], k;

		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)s[i + k];

			if (c == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			v[k] = pad ? -1 : b64val(c);
			if (v[k] < 0) {
				pki_buf_free(&b);
				return pki_err_set(err, PKI_E_PARSE,
					"%s: malformed base64 at offset %zu", what,
					i + (size_t)k);
			}
		}
		if (pad == 1 && s[i + 3] != '=') {
			pki_buf_free(&b);
			return pki_err_set(err, PKI_E_PARSE, "%s: malformed base64 padding", what);
		}
		q[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		q[1] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		q[2] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
		if (pki_buf_append(&b, q, 3 - pad, err) != 0) {
			pki_buf_free(&b);
			return -1;
		}
	}
	gnutls_memset(q, 0, sizeof(q));
	if (b.data == NULL && pki_buf_append(&b, "", 0, err) != 0)
		return -1;
	*out = b;
	return 0;
}

int
pki_base64_encode(const unsigned char *data, size_t len, struct pki_buf *out,
	struct pki_err *err)
{
	struct pki_buf b = { 0 };
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < len; i += 3) {
		unsigned v = (unsigned)data[i] << 16;
		char q[4];
		size_t rem = len - i;

		if (rem > 1)
			v |= (unsigned)data[i + 1] << 8;
		if (rem > 2)
			v |= data[i + 2];
		q[0] = b64chars[(v >> 18) & 63];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = rem > 1 ? b64chars[(v >> 6) & 63] : '=';
		q[3] = rem > 2 ? b64chars[v & 63] : '=';
		if (pki_buf_append(&b, q, 4, err) != 0) {
			pki_buf_free(&b);
			return -1;
		}
	}
	if (b.data == NULL && pki_buf_append(&b, "", 0, err) != 0)
		return -1;
	*out = b;
	return 0;
}

void
pki_hex_lower(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
pki_fingerprint_parse(const char *s, unsigned char out[32], struct pki_err *err)
{
	char shown[96];
	const char *p;
	size_t n = 0;
	int colons = -1;	/* -1: not known yet, 0: bare, 1: colon-separated */

	memset(out, 0, 32);
	pki_text_sanitize(s, shown, sizeof(shown));
	p = s;
	if (strncasecmp(p, "SHA256:", 7) == 0)
		p += 7;
	while (n < 32) {
		int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);

		if (hi < 0 || lo < 0)
			goto bad;
		out[n++] = (unsigned char)(hi << 4 | lo);
		p += 2;
		if (n == 32)
			break;
		if (colons < 0)
			colons = *p == ':';
		if (colons) {
			if (*p != ':')
				goto bad;
			p++;
		}
	}
	if (*p != '\0')
		goto bad;
	return 0;
bad:
	memset(out, 0, 32);
	return pki_err_set(err, PKI_E_PARSE, "fingerprint '%s': not a SHA-256 fingerprint: "
		"give SHA256: and 64 hex digits, 64 hex digits, or 32 colon-separated hex bytes",
		shown);
}

static int
two_digits(const char *s, int *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

int
pki_time_parse_rfc3339(const char *s, int min_year, time_t *out)
{
	struct tm tm;
	int c, y, mo, d, h, mi, se;
	char back[32];
	time_t t;

	if (s == NULL || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	if (two_digits(s, &c) != 0 || two_digits(s + 2, &y) != 0 ||
	    two_digits(s + 5, &mo) != 0 || two_digits(s + 8, &d) != 0 ||
	    two_digits(s + 11, &h) != 0 || two_digits(s + 14, &mi) != 0 ||
	    two_digits(s + 17, &se) != 0)
		return -1;
	if (c * 100 + y < min_year || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = c * 100 + y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	/* timegm's -1 is also 1969-12-31T23:59:59Z: the round trip tells them apart */
	t = timegm(&tm);
	pki_time_rfc3339(t, back);
	if (strcmp(back, s) != 0)
		return -1;
	*out = t;
	return 0;
}

int
pki_set_name_valid(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max || (n >= 5 && strcmp(s + n - 5, ".yaml") == 0))
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    (i > 0 && (c == '.' || c == '-'))))
			return 0;
	}
	return 1;
}

unsigned
pki_ku_to_gnutls(unsigned ku)
{
	static const struct {
		unsigned ours, gnutls;
	} map[] = {
		{ PKI_KU_DIGITAL_SIGNATURE, GNUTLS_KEY_DIGITAL_SIGNATURE },
		{ PKI_KU_CONTENT_COMMITMENT, GNUTLS_KEY_NON_REPUDIATION },
		{ PKI_KU_KEY_ENCIPHERMENT, GNUTLS_KEY_KEY_ENCIPHERMENT },
		{ PKI_KU_DATA_ENCIPHERMENT, GNUTLS_KEY_DATA_ENCIPHERMENT },
		{ PKI_KU_KEY_AGREEMENT, GNUTLS_KEY_KEY_AGREEMENT },
		{ PKI_KU_KEY_CERT_SIGN, GNUTLS_KEY_KEY_CERT_SIGN },
		{ PKI_KU_CRL_SIGN, GNUTLS_KEY_CRL_SIGN },
		{ PKI_KU_ENCIPHER_ONLY, GNUTLS_KEY_ENCIPHER_ONLY },
		{ PKI_KU_DECIPHER_ONLY, GNUTLS_KEY_DECIPHER_ONLY },
	};
	unsigned g = 0;
	size_t i;

	for (i = 0; i < PKI_ARRAY_LEN(map); i++)
		if (ku & map[i].ours)
			g |= map[i].gnutls;
	return g;
}

int
pki_pubkey_key_id(gnutls_pubkey_t pub, unsigned char out[20], struct pki_err *err)
{
	gnutls_datum_t der = { NULL, 0 };
	unsigned tag;
	size_t hl, cl, off, end;
	int ret = -1;

	if (gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "cannot encode the public key");
		goto out;
	}
	/* SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING },
	 * and nothing after the BIT STRING */
	if (pki_der_tlv(der.data, der.size, &tag, &hl, &cl) != 0 || tag != 0x30)
		goto bad;
	off = hl;
	end = hl + cl;
	if (pki_der_tlv(der.data + off, end - off, &tag, &hl, &cl) != 0 || tag != 0x30)
		goto bad;
	off += hl + cl;
	if (pki_der_tlv(der.data + off, end - off, &tag, &hl, &cl) != 0 || tag != 0x03 ||
	    cl < 1 || off + hl + cl != end)
		goto bad;
	/* past the unused-bits octet */
	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, der.data + off + hl + 1, cl - 1, out) < 0) {
		pki_err_set(err, PKI_E_CRYPTO, "cannot hash the public key");
		goto out;
	}
	ret = 0;
	goto out;
bad:
	pki_err_set(err, PKI_E_CRYPTO, "cannot read the encoded public key");
out:
	gnutls_free(der.data);
	return ret;
}

gnutls_digest_algorithm_t
pki_pubkey_sign_digest(gnutls_pubkey_t pub)
{
	unsigned bits = 0;
	int pk = gnutls_pubkey_get_pk_algorithm(pub, &bits);

	if (pk == GNUTLS_PK_EDDSA_ED25519 || pk == GNUTLS_PK_EDDSA_ED448)
		return GNUTLS_DIG_UNKNOWN;
	if (pk == GNUTLS_PK_ECDSA && bits > 384)
		return GNUTLS_DIG_SHA512;
	if (pk == GNUTLS_PK_ECDSA && bits > 256)
		return GNUTLS_DIG_SHA384;
	return GNUTLS_DIG_SHA256;
}
