/*
 * ledger.c — the CA's record of every certificate it issued
 * (kpki-ledger(5)).
 *
 * The journal is the source of truth: one JSON object a line, appended with
 * one write() and made durable with fsync before the certificate leaves the
 * tool. index.txt (the format of `openssl ca`) is derived from it and is
 * completed from it on open when a crash left it behind, merging by serial:
 * lines `openssl ca` changed or added are never rewritten. A torn last
 * journal line (a crash inside write(), or a power loss) is moved to
 * journal.torn before the journal is cut back to its last whole line, so
 * that no byte of history is lost, and serials seen in journal.torn are
 * never handed out again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include <pki/ledger.h>

#include "internal.h"

#define LEDGER_JOURNAL "journal.jsonl"
#define LEDGER_INDEX   "index.txt"
#define LEDGER_ATTR    "index.txt.attr"
#define LEDGER_TORN    "journal.torn"
#define LEDGER_LOCK    "lock"

/* Caps on hostile or runaway ledgers (kpki-ledger(5) LIMITS). */
#define LEDGER_CAP_JOURNAL (64u * 1024 * 1024)
#define LEDGER_CAP_LINE	   (64u * 1024)
#define LEDGER_MAX_RECORDS 500000u
#define LEDGER_MAX_SANS	   1024u
#define LEDGER_SERIAL_MAX  40	/* hex digits: 20 octets, RFC 5280 4.1.2.2 */
#define LEDGER_SERIAL_OCTETS 16
#define LEDGER_SERIAL_TRIES 64
/* 1950-01-01T00:00:00Z .. 9999-12-31T23:59:59Z: what RFC 3339 and X.509
 * times can both say */
#define LEDGER_TIME_MIN ((time_t)-631152000LL)
#define LEDGER_TIME_MAX ((time_t)253402300799LL)

/* ---- a set of serials -------------------------------------------------- */

/* A serial's state; a state only ever rises. Serials are kept in their
 * canonical form (serial_canon), so that "0abc" and "abc" are one. */
enum { SER_EMPTY, SER_HANDED, SER_RECORDED, SER_TORN, SER_OUTSIDE };

struct sslot {
	char s[LEDGER_SERIAL_MAX + 1];
	unsigned char state;
	size_t rec;		/* 1 + the journal record's index, or 0 */
};

struct serial_set {
	struct sslot *v;
	size_t cap, n;		/* cap is 0 or a power of two */
};

static size_t
sset_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static struct sslot *
sset_find(const struct serial_set *set, const char *s)
{
	size_t i;

	if (set->cap == 0)
		return NULL;
	for (i = sset_hash(s) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		if (set->v[i].state == SER_EMPTY)
			return NULL;
		if (strcmp(set->v[i].s, s) == 0)
			return &set->v[i];
	}
}

static struct sslot *
sset_put(struct serial_set *set, const char *s, unsigned char state, size_t rec)
{
	size_t i;

	for (i = sset_hash(s) & (set->cap - 1); set->v[i].state != SER_EMPTY;
	     i = (i + 1) & (set->cap - 1))
		;
	memcpy(set->v[i].s, s, strlen(s) + 1);
	set->v[i].state = state;
	set->v[i].rec = rec;
	set->n++;
	return &set->v[i];
}

/* Adds s (canonical, at most LEDGER_SERIAL_MAX digits) with state, or
 * raises the state of a serial already there: its slot, or NULL with err. */
static struct sslot *
sset_add(struct serial_set *set, const char *s, unsigned char state, struct pki_err *err)
{
	struct sslot *slot = sset_find(set, s);

	if (slot != NULL) {
		if (state > slot->state)
			slot->state = state;
		return slot;
	}
	/* keep the load under one half */
	if ((set->n + 1) * 2 > set->cap) {
		struct serial_set bigger = { 0 };
		size_t i;

		bigger.cap = set->cap ? set->cap * 2 : 1024;
		bigger.v = pki_calloc(bigger.cap, sizeof(*bigger.v), err);
		if (bigger.v == NULL)
			return NULL;
		for (i = 0; i < set->cap; i++)
			if (set->v[i].state != SER_EMPTY)
				(void)sset_put(&bigger, set->v[i].s, set->v[i].state,
					set->v[i].rec);
		free(set->v);
		*set = bigger;
	}
	return sset_put(set, s, state, 0);
}

/* The canonical form of a serial in hex of either case, for the set: lower
 * case without leading zeros ("0" for zero). -1 when s is not 1 to
 * LEDGER_SERIAL_MAX hex digits after its leading zeros. */
static int
serial_canon(const char *s, size_t len, char out[LEDGER_SERIAL_MAX + 1])
{
	size_t i = 0, k = 0;

	if (len == 0)
		return -1;
	while (i + 1 < len && s[i] == '0')
		i++;
	if (len - i > LEDGER_SERIAL_MAX)
		return -1;
	for (; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		out[k++] = c;
	}
	out[k] = '\0';
	return 0;
}

/* ---- small checks -------------------------------------------------------- */

static int
is_lower_hex(const char *s, size_t min, size_t max)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n >= min && n <= max;
}

/* Text the journal and index.txt can hold: clean UTF-8, no control bytes
 * (tab included: index.txt is tab-separated). */
static int
is_clean_str(const char *s)
{
	return s != NULL && pki_text_is_clean(s, strlen(s), 0);
}

/* ---- records ------------------------------------------------------------- */

void
pki_ledger_record_free(struct pki_ledger_record *rec)
{
	if (rec == NULL)
		return;
	free(rec->ca);
	free(rec->profile);
	free(rec->subject);
	pki_names_free(&rec->sans);
	free(rec->bundle);
	memset(rec, 0, sizeof(*rec));
}

void
pki_ledger_records_free(struct pki_ledger_record *recs, size_t n)
{
	size_t i;

	if (recs == NULL)
		return;
	for (i = 0; i < n; i++)
		pki_ledger_record_free(&recs[i]);
	free(recs);
}

/* What append accepts: what the reader accepts back. */
static int
record_check(const struct pki_ledger_record *rec, struct pki_err *err)
{
	char qs[PKI_QPATH_MAX];
	size_t i;

	if (!is_lower_hex(rec->serial, 1, LEDGER_SERIAL_MAX) ||
	    (strlen(rec->serial) > 1 && rec->serial[0] == '0' && rec->serial[1] == '0')) {
		pki_text_sanitize(rec->serial, qs, sizeof(qs));
		return pki_err_set(err, PKI_E_INVALID,
			"ledger record: serial '%s': not 1 to %d lower-case hex digits "
			"without a zero octet in front",
			qs, LEDGER_SERIAL_MAX);
	}
	if (!is_clean_str(rec->ca) || rec->ca[0] == '\0' || !is_clean_str(rec->profile) ||
	    rec->profile[0] == '\0' || !is_clean_str(rec->subject) || rec->subject[0] == '\0')
		return pki_err_set(err, PKI_E_INVALID,
			"ledger record '%s': CA, profile and subject must be non-empty text "
			"without control characters",
			rec->serial);
	if (rec->bundle != NULL && !is_clean_str(rec->bundle))
		return pki_err_set(err, PKI_E_INVALID,
			"ledger record '%s': bundle fingerprint holds control characters",
			rec->serial);
	if (rec->sans.n > LEDGER_MAX_SANS)
		return pki_err_set(err, PKI_E_LIMIT, "ledger record '%s': more than %u SANs",
			rec->serial, LEDGER_MAX_SANS);
	for (i = 0; i < rec->sans.n; i++)
		if (!is_clean_str(rec->sans.v[i]) || rec->sans.v[i][0] == '\0')
			return pki_err_set(err, PKI_E_INVALID,
				"ledger record '%s': SAN %zu is empty or holds control characters",
				rec->serial, i + 1);
	if (!is_lower_hex(rec->sha256, 64, 64))
		return pki_err_set(err, PKI_E_INVALID,
			"ledger record '%s': sha256 is not 64 lower-case hex digits", rec->serial);
	if (rec->not_before < LEDGER_TIME_MIN || rec->not_before > LEDGER_TIME_MAX ||
	    rec->not_after < LEDGER_TIME_MIN || rec->not_after > LEDGER_TIME_MAX ||
	    rec->issued < LEDGER_TIME_MIN || rec->issued > LEDGER_TIME_MAX)
		return pki_err_set(err, PKI_E_INVALID,
			"ledger record '%s': a time is outside the years 1950 to 9999", rec->serial);
	return 0;
}

/* The journal line of rec, with its newline. */
static int
record_line(const struct pki_ledger_record *rec, struct pki_buf *b, struct pki_err *err)
{
	char nb[32], na[32], is[32];
	size_t i;

	pki_time_rfc3339(rec->not_before, nb);
	pki_time_rfc3339(rec->not_after, na);
	pki_time_rfc3339(rec->issued, is);
	if (pki_buf_printf(b, err, "{\"serial\":\"%s\",\"ca\":", rec->serial) != 0 ||
	    pki_json_str(b, rec->ca, err) != 0 ||
	    pki_buf_append(b, ",\"profile\":", 11, err) != 0 ||
	    pki_json_str(b, rec->profile, err) != 0 ||
	    pki_buf_append(b, ",\"subject\":", 11, err) != 0 ||
	    pki_json_str(b, rec->subject, err) != 0 ||
	    pki_buf_append(b, ",\"sans\":[", 9, err) != 0)
		return -1;
	for (i = 0; i < rec->sans.n; i++)
		if ((i > 0 && pki_buf_append(b, ",", 1, err) != 0) ||
		    pki_json_str(b, rec->sans.v[i], err) != 0)
			return -1;
	if (pki_buf_printf(b, err,
		    "],\"notBefore\":\"%s\",\"notAfter\":\"%s\",\"sha256\":\"%s\","
		    "\"issued\":\"%s\",\"bundle\":",
		    nb, na, rec->sha256, is) != 0 ||
	    pki_json_str(b, rec->bundle ? rec->bundle : "", err) != 0 ||
	    pki_buf_append(b, "}\n", 2, err) != 0)
		return -1;
	return 0;
}

/* ---- reading journal lines ------------------------------------------------ */

/*
 * A strict reader for the one JSON shape the journal holds: an object of
 * string members and one array of strings. Numbers, nesting, true/false and
 * null have no place in it and are refused. Reasons go into why.
 */
struct jp {
	const unsigned char *p, *end;
	char why[160];
};

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r'))
		j->p++;
}

static int
jp_fail(struct jp *j, const char *why)
{
	(void)snprintf(j->why, sizeof(j->why), "%s", why);
	return -1;
}

static int
hex4(const unsigned char *p, unsigned *v)
{
	unsigned i, c, r = 0;

	for (i = 0; i < 4; i++) {
		c = p[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			c = c - 'A' + 10;
		else
			return -1;
		r = r << 4 | c;
	}
	*v = r;
	return 0;
}

/* A string literal into a new NUL-terminated string. -1 with j->why, or
 * -2 when out of memory. The result is clean text (pki_text_is_clean). */
static int
jp_string(struct jp *j, char **out)
{
	struct pki_buf b = { 0 };
	struct pki_err err;
	int ret = -1;

	*out = NULL;
	if (j->p >= j->end || *j->p != '"')
		return jp_fail(j, "a string was expected");
	j->p++;
	for (;;) {
		unsigned char c, u8[4];
		unsigned cp, lo;
		size_t n;

		if (j->p >= j->end) {
			jp_fail(j, "unterminated string");
			goto out;
		}
		c = *j->p++;
		if (c == '"')
			break;
		if (c < 0x20) {
			jp_fail(j, "control character in a string");
			goto out;
		}
		if (c != '\\') {
			if (pki_buf_append(&b, &c, 1, &err) != 0)
				goto nomem;
			continue;
		}
		if (j->p >= j->end) {
			jp_fail(j, "unterminated string");
			goto out;
		}
		c = *j->p++;
		switch (c) {
		case '"': case '\\': case '/': u8[0] = c; n = 1; break;
		case 'b': u8[0] = '\b'; n = 1; break;
		case 'f': u8[0] = '\f'; n = 1; break;
		case 'n': u8[0] = '\n'; n = 1; break;
		case 'r': u8[0] = '\r'; n = 1; break;
		case 't': u8[0] = '\t'; n = 1; break;
		case 'u':
			if (j->end - j->p < 4 || hex4(j->p, &cp) != 0) {
				jp_fail(j, "malformed \\u escape");
				goto out;
			}
			j->p += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				jp_fail(j, "lone surrogate in a \\u escape");
				goto out;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
				    hex4(j->p + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
					jp_fail(j, "lone surrogate in a \\u escape");
					goto out;
				}
				j->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp < 0x80) {
				u8[0] = (unsigned char)cp;
				n = 1;
			} else if (cp < 0x800) {
				u8[0] = (unsigned char)(0xc0 | cp >> 6);
				u8[1] = (unsigned char)(0x80 | (cp & 0x3f));
				n = 2;
			} else if (cp < 0x10000) {
				u8[0] = (unsigned char)(0xe0 | cp >> 12);
				u8[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
				u8[2] = (unsigned char)(0x80 | (cp & 0x3f));
				n = 3;
			} else {
				u8[0] = (unsigned char)(0xf0 | cp >> 18);
				u8[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
				u8[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
				u8[3] = (unsigned char)(0x80 | (cp & 0x3f));
				n = 4;
			}
			break;
		default:
			jp_fail(j, "unknown escape in a string");
			goto out;
		}
		if (pki_buf_append(&b, u8, n, &err) != 0)
			goto nomem;
	}
	if (b.data == NULL && pki_buf_append(&b, "", 0, &err) != 0)
		goto nomem;
	/* NUL (from \u0000), control characters and broken UTF-8 */
	if (!pki_text_is_clean((const char *)b.data, b.len, 0)) {
		jp_fail(j, "a string holds a NUL, a control character or invalid UTF-8");
		goto out;
	}
	*out = (char *)b.data;
	b.data = NULL; /* transferred */
	ret = 0;
	goto out;
nomem:
	ret = -2;
out:
	pki_buf_free(&b);
	return ret;
}

enum {
	F_SERIAL, F_CA, F_PROFILE, F_SUBJECT, F_SANS, F_NOT_BEFORE, F_NOT_AFTER,
	F_SHA256, F_ISSUED, F_BUNDLE, F_COUNT
};

static const char *const field_names[F_COUNT] = { "serial", "ca", "profile", "subject",
	"sans", "notBefore", "notAfter", "sha256", "issued", "bundle" };

/* Sets one scalar field from its string value s (consumed). */
static int
set_field(struct jp *j, int f, char *s, struct pki_ledger_record *rec)
{
	time_t *t = NULL;

	switch (f) {
	case F_SERIAL:
		if (!is_lower_hex(s, 1, LEDGER_SERIAL_MAX)) {
			free(s);
			return jp_fail(j, "'serial': not 1 to 40 lower-case hex digits");
		}
		memcpy(rec->serial, s, strlen(s) + 1);
		free(s);
		return 0;
	case F_SHA256:
		if (!is_lower_hex(s, 64, 64)) {
			free(s);
			return jp_fail(j, "'sha256': not 64 lower-case hex digits");
		}
		memcpy(rec->sha256, s, 65);
		free(s);
		return 0;
	case F_CA: rec->ca = s; break;
	case F_PROFILE: rec->profile = s; break;
	case F_SUBJECT: rec->subject = s; break;
	case F_BUNDLE: rec->bundle = s; break;
	case F_NOT_BEFORE: t = &rec->not_before; break;
	case F_NOT_AFTER: t = &rec->not_after; break;
	case F_ISSUED: t = &rec->issued; break;
	default: free(s); return jp_fail(j, "internal: unknown field");
	}
	if (t != NULL) {
		int bad = pki_time_parse_rfc3339(s, 1950, t) != 0;

		free(s);
		if (bad) {
			(void)snprintf(j->why, sizeof(j->why),
				"'%s': not an RFC 3339 time of the form 2006-01-02T15:04:05Z",
				field_names[f]);
			return -1;
		}
		return 0;
	}
	if ((f == F_CA || f == F_PROFILE || f == F_SUBJECT) && s[0] == '\0') {
		(void)snprintf(j->why, sizeof(j->why), "'%s': empty", field_names[f]);
		return -1;
	}
	return 0;
}

/* One journal line (without its newline) into *rec. -1 with j->why, -2 on
 * no memory. */
static int
parse_record(const unsigned char *s, size_t len, struct pki_ledger_record *rec,
	struct jp *j)
{
	unsigned seen = 0;
	int f, r;

	memset(rec, 0, sizeof(*rec));
	j->p = s;
	j->end = s + len;
	j->why[0] = '\0';
	jp_ws(j);
	if (j->p >= j->end || *j->p != '{')
		return jp_fail(j, "not a JSON object");
	j->p++;
	jp_ws(j);
	for (;;) {
		char *key = NULL, *val = NULL;

		if (j->p >= j->end || *j->p != '"')
			return jp_fail(j, "a member name was expected");
		r = jp_string(j, &key);
		if (r != 0)
			return r;
		for (f = 0; f < F_COUNT; f++)
			if (strcmp(key, field_names[f]) == 0)
				break;
		if (f == F_COUNT) {
			char qk[64];

			pki_text_sanitize(key, qk, sizeof(qk));
			(void)snprintf(j->why, sizeof(j->why), "unknown member '%s'", qk);
			free(key);
			return -1;
		}
		free(key);
		if (seen & (1u << f)) {
			(void)snprintf(j->why, sizeof(j->why), "'%s' appears twice", field_names[f]);
			return -1;
		}
		seen |= 1u << f;
		jp_ws(j);
		if (j->p >= j->end || *j->p != ':')
			return jp_fail(j, "':' was expected after a member name");
		j->p++;
		jp_ws(j);
		if (f == F_SANS) {
			if (j->p >= j->end || *j->p != '[')
				return jp_fail(j, "'sans': not an array of strings");
			j->p++;
			jp_ws(j);
			if (j->p < j->end && *j->p == ']') {
				j->p++;
			} else {
				for (;;) {
					struct pki_err err;

					if (rec->sans.n >= LEDGER_MAX_SANS)
						return jp_fail(j, "'sans': more than 1024 names");
					if (j->p >= j->end || *j->p != '"')
						return jp_fail(j, "'sans': not an array of strings");
					r = jp_string(j, &val);
					if (r != 0)
						return r;
					if (val[0] == '\0') {
						free(val);
						return jp_fail(j, "'sans': an empty name");
					}
					r = pki_names_add(&rec->sans, val, &err);
					free(val);
					if (r != 0)
						return -2;
					jp_ws(j);
					if (j->p < j->end && *j->p == ',') {
						j->p++;
						jp_ws(j);
						continue;
					}
					if (j->p < j->end && *j->p == ']') {
						j->p++;
						break;
					}
					return jp_fail(j, "'sans': ',' or ']' was expected");
				}
			}
		} else {
			r = jp_string(j, &val);
			if (r == -2)
				return -2;
			if (r != 0) {
				char why[sizeof(j->why)];

				memcpy(why, j->why, sizeof(why));
				/* the reasons are short: the cut never happens */
				if (snprintf(j->why, sizeof(j->why), "'%s': %.120s", field_names[f],
					    why) >= (int)sizeof(j->why))
					j->why[sizeof(j->why) - 1] = '\0';
				return -1;
			}
			if (set_field(j, f, val, rec) != 0)
				return -1;
		}
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			jp_ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			break;
		}
		return jp_fail(j, "',' or '}' was expected");
	}
	jp_ws(j);
	if (j->p != j->end)
		return jp_fail(j, "text after the object");
	for (f = 0; f < F_COUNT; f++)
		if (!(seen & (1u << f))) {
			(void)snprintf(j->why, sizeof(j->why), "'%s' is missing", field_names[f]);
			return -1;
		}
	return 0;
}

int
pki_ledger_parse(const unsigned char *data, size_t len, const char *name,
	struct pki_ledger_record **out, size_t *n, size_t *good_len, struct pki_err *err)
{
	struct pki_ledger_record *recs = NULL;
	char qname[PKI_QPATH_MAX];
	size_t nrec = 0, cap = 0, pos = 0, line = 0;
	struct jp *j = NULL;
	int ret = -1;

	*out = NULL;
	*n = 0;
	*good_len = 0;
	pki_text_sanitize(name, qname, sizeof(qname));
	if (len > LEDGER_CAP_JOURNAL)
		return pki_err_set(err, PKI_E_LIMIT, "ledger journal '%s': larger than %u bytes",
			qname, LEDGER_CAP_JOURNAL);
	j = pki_calloc(1, sizeof(*j), err);
	if (j == NULL)
		return -1;
	while (pos < len) {
		const unsigned char *nl = memchr(data + pos, '\n', len - pos);
		size_t llen, next;
		int r;

		line++;
		if (nl == NULL)
			break; /* a torn tail: no newline */
		llen = (size_t)(nl - (data + pos));
		next = pos + llen + 1;
		if (nrec >= LEDGER_MAX_RECORDS) {
			pki_err_set(err, PKI_E_LIMIT, "ledger journal '%s': more than %u records",
				qname, LEDGER_MAX_RECORDS);
			goto out;
		}
		if (pki_grow((void **)&recs, &cap, nrec + 1, sizeof(*recs), err) != 0)
			goto out;
		if (llen > LEDGER_CAP_LINE) {
			r = -1;
			(void)snprintf(j->why, sizeof(j->why), "longer than %u bytes",
				LEDGER_CAP_LINE);
		} else if (llen == 0) {
			r = -1;
			(void)snprintf(j->why, sizeof(j->why), "empty line");
		} else {
			r = parse_record(data + pos, llen, &recs[nrec], j);
		}
		if (r == -2) {
			pki_ledger_record_free(&recs[nrec]);
			pki_err_nomem(err);
			goto out;
		}
		if (r != 0) {
			pki_ledger_record_free(&recs[nrec]);
			/* the last line, if it does not parse, is torn too */
			if (next == len)
				break;
			pki_err_set(err, PKI_E_PARSE, "ledger journal '%s': line %zu: %s", qname,
				line, j->why);
			goto out;
		}
		nrec++;
		pos = next;
	}
	*good_len = pos;
	*out = recs;
	recs = NULL; /* transferred */
	*n = nrec;
	nrec = 0;
	ret = 0;
out:
	pki_ledger_records_free(recs, nrec);
	free(j);
	return ret;
}

/* ---- files ---------------------------------------------------------------- */

/* Reads a regular file through fd whole, refusing anything over cap. */
static int
read_fd_all(int fd, const char *qpath, const char *what, size_t cap, struct pki_buf *out,
	struct pki_err *err)
{
	unsigned char chunk[65536];
	struct stat st;
	off_t off = 0;

	memset(out, 0, sizeof(*out));
	if (fstat(fd, &st) != 0)
		return pki_err_set(err, PKI_E_IO, "%s '%s': cannot stat: %s", what, qpath,
			strerror(errno));
	if (!S_ISREG(st.st_mode))
		return pki_err_set(err, PKI_E_IO, "%s '%s': not a regular file", what, qpath);
	if ((uintmax_t)st.st_size > cap)
		return pki_err_set(err, PKI_E_LIMIT, "%s '%s': %jd bytes, larger than the %zu allowed",
			what, qpath, (intmax_t)st.st_size, cap);
	for (;;) {
		ssize_t r = pread(fd, chunk, sizeof(chunk), off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			pki_err_set(err, PKI_E_IO, "%s '%s': cannot read: %s", what, qpath,
				strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		if ((size_t)r > cap - out->len) {
			pki_err_set(err, PKI_E_LIMIT, "%s '%s': larger than %zu bytes", what, qpath,
				cap);
			goto fail;
		}
		if (pki_buf_append(out, chunk, (size_t)r, err) != 0)
			goto fail;
		off += r;
	}
	if (out->data == NULL && pki_buf_append(out, "", 0, err) != 0)
		return -1;
	return 0;
fail:
	pki_buf_free(out);
	return -1;
}

/*
 * Who may touch the ledger (kpki-ledger(5) FILES): its files are regular
 * files, owned by the user running kpki (own), that group and others cannot
 * write to; the journal (journal) is the owner's alone. A reader that only
 * lists (own == 0) accepts any owner. Messages name the command that fixes
 * the file.
 */
static int
stat_check(const struct stat *st, const char *qpath, const char *what, int own, int journal,
	struct pki_err *err)
{
	unsigned long euid = (unsigned long)geteuid();

	if (S_ISLNK(st->st_mode))
		return pki_err_set(err, PKI_E_PERM, "%s '%s': is a symbolic link (refused)", what,
			qpath);
	if (!S_ISREG(st->st_mode))
		return pki_err_set(err, PKI_E_PERM, "%s '%s': not a regular file", what, qpath);
	if (own && (unsigned long)st->st_uid != euid)
		return pki_err_set(err, PKI_E_PERM,
			"%s '%s': owned by uid %lu, not by the user running kpki (uid %lu); fix "
			"with: chown %lu '%s'",
			what, qpath, (unsigned long)st->st_uid, euid, euid, qpath);
	if (own && journal && (st->st_mode & 077))
		return pki_err_set(err, PKI_E_PERM,
			"%s '%s': mode %04o lets group or others read or write it; fix with: "
			"chmod 600 '%s'",
			what, qpath, (unsigned)(st->st_mode & 07777), qpath);
	if (st->st_mode & 022)
		return pki_err_set(err, PKI_E_PERM,
			"%s '%s': mode %04o lets group or others write to it; fix with: "
			"chmod go-w '%s'",
			what, qpath, (unsigned)(st->st_mode & 07777), qpath);
	return 0;
}

static int
fd_check(int fd, const char *qpath, const char *what, int own, int journal,
	struct pki_err *err)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return pki_err_set(err, PKI_E_IO, "%s '%s': cannot stat: %s", what, qpath,
			strerror(errno));
	return stat_check(&st, qpath, what, own, journal, err);
}

/* The ledger directory, open at fd: a directory of the user running kpki
 * that only its owner can enter (own), or at least one that group and
 * others cannot write to (a reader). */
static int
dir_check(int fd, const char *qdir, int own, struct pki_err *err)
{
	unsigned long euid = (unsigned long)geteuid();
	struct stat st;

	if (fstat(fd, &st) != 0)
		return pki_err_set(err, PKI_E_IO, "ledger '%s': cannot stat: %s", qdir,
			strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return pki_err_set(err, PKI_E_PERM, "ledger '%s': not a directory", qdir);
	if (own && (unsigned long)st.st_uid != euid)
		return pki_err_set(err, PKI_E_PERM,
			"ledger '%s': owned by uid %lu, not by the user running kpki (uid %lu); "
			"fix with: chown %lu '%s'",
			qdir, (unsigned long)st.st_uid, euid, euid, qdir);
	if (st.st_mode & (own ? 077 : 022))
		return pki_err_set(err, PKI_E_PERM,
			"ledger '%s': mode %04o lets group or others %s it; fix with: chmod 700 "
			"'%s'",
			qdir, (unsigned)(st.st_mode & 07777), own ? "into" : "write to", qdir);
	return 0;
}

/*
 * Opens the CA directory and checks it: one that group or others can write
 * to would let them put a kpki-ledger of their own in place of the CA's
 * (world-writable /tmp style directories included, sticky or not). When
 * own, it must belong to the user running kpki or to root.
 */
static int
ca_dir_open(const char *ca_dir, const char *qca, int own, struct pki_err *err)
{
	unsigned long euid = (unsigned long)geteuid();
	struct stat st;
	int fd = open(ca_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOTDIR)
			return pki_err_set(err, PKI_E_IO, "CA directory '%s': not a directory", qca);
		return pki_err_set(err, errno == ENOENT ? PKI_E_NOTFOUND : PKI_E_IO,
			"CA directory '%s': %s", qca, strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		pki_err_set(err, PKI_E_IO, "CA directory '%s': cannot stat: %s", qca,
			strerror(errno));
		goto fail;
	}
	if (own && (unsigned long)st.st_uid != euid && st.st_uid != 0) {
		pki_err_set(err, PKI_E_PERM,
			"CA directory '%s': owned by uid %lu, neither the user running kpki (uid "
			"%lu) nor root; fix with: chown %lu '%s'",
			qca, (unsigned long)st.st_uid, euid, euid, qca);
		goto fail;
	}
	if (st.st_mode & 022) {
		pki_err_set(err, PKI_E_PERM,
			"CA directory '%s': mode %04o lets group or others write to it, and so "
			"replace its ledger; fix with: chmod go-w '%s'",
			qca, (unsigned)(st.st_mode & 07777), qca);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Opens name in the ledger directory dfd, never through a symlink, and
 * checks it (stat_check): a descriptor, -1 with err, or -2 when the file
 * does not exist and missing_ok. */
static int
open_at(int dfd, const char *name, int flags, const char *qpath, const char *what,
	int own, int journal, int missing_ok, struct pki_err *err)
{
	int fd = openat(dfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0) {
		if (errno == ENOENT && missing_ok)
			return -2;
		if (errno == ELOOP)
			return pki_err_set(err, PKI_E_PERM, "%s '%s': is a symbolic link (refused)",
				what, qpath);
		if (errno == EISDIR)
			return pki_err_set(err, PKI_E_PERM, "%s '%s': not a regular file", what,
				qpath);
		return pki_err_set(err, errno == ENOENT ? PKI_E_NOTFOUND : PKI_E_IO,
			"%s '%s': cannot open: %s", what, qpath, strerror(errno));
	}
	if (fd_check(fd, qpath, what, own, journal, err) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Opens (or, with create, makes) the ledger directory in the CA directory
 * cafd, never through a symlink, and checks it (dir_check). Sets *created. */
static int
ledger_dir_open(int cafd, const char *qdir, int create, int own, int *created,
	struct pki_err *err)
{
	int fd;

	if (created != NULL)
		*created = 0;
	if (create) {
		if (mkdirat(cafd, PKI_LEDGER_DIR, 0700) == 0) {
			if (created != NULL)
				*created = 1;
		}
		else if (errno != EEXIST)
			return pki_err_set(err, PKI_E_IO, "ledger '%s': cannot create: %s", qdir,
				strerror(errno));
	}
	fd = openat(cafd, PKI_LEDGER_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			return pki_err_set(err, PKI_E_PERM, "ledger '%s': not a directory (a "
				"symbolic link or a file is refused)", qdir);
		return pki_err_set(err, errno == ENOENT ? PKI_E_NOTFOUND : PKI_E_IO,
			"ledger '%s': %s", qdir,
			errno == ENOENT ? "not found (no certificate was issued with this CA "
					  "directory)" : strerror(errno));
	}
	if (dir_check(fd, qdir, own, err) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
fsync_fd(int fd, const char *qdir, struct pki_err *err)
{
	if (fsync(fd) != 0)
		return pki_err_set(err, PKI_E_IO, "directory '%s': cannot sync: %s", qdir,
			strerror(errno));
	return 0;
}

/* ---- the handle ----------------------------------------------------------- */

struct pki_ledger {
	char *dir, *journal;		/* <ca-dir>/kpki-ledger, its journal */
	char qdir[PKI_QPATH_MAX];	/* for messages */
	char qjournal[PKI_QPATH_MAX], qindex[PKI_QPATH_MAX], qtorn[PKI_QPATH_MAX];
	int dfd;			/* the ledger directory, as checked */
	int lock_fd, jfd, ifd;
	size_t jsize, nrec;
	struct serial_set set;
	int broken;			/* a write failed half-way: reopen to recover */
};

void
pki_ledger_close(struct pki_ledger *l)
{
	if (l == NULL)
		return;
	if (l->ifd >= 0)
		close(l->ifd);
	if (l->jfd >= 0)
		close(l->jfd);
	/* closing the last descriptor releases the flock; the lock file stays,
	 * as removing it would let two openers lock two different files */
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	if (l->dfd >= 0)
		close(l->dfd);
	free(l->dir);
	free(l->journal);
	free(l->set.v);
	free(l);
}

static int
lock_ledger(struct pki_ledger *l, struct pki_err *err)
{
	char *path = NULL, pid[32], qlock[PKI_QPATH_MAX];
	int ret = -1, n;

	if (pki_path_join(&path, l->dir, LEDGER_LOCK, err) != 0)
		return -1;
	pki_text_sanitize(path, qlock, sizeof(qlock));
	l->lock_fd = open_at(l->dfd, LEDGER_LOCK, O_RDWR | O_CREAT, qlock, "ledger lock", 1, 0, 0,
		err);
	if (l->lock_fd < 0) {
		l->lock_fd = -1;
		goto out;
	}
	while (flock(l->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			char held[32] = "";
			uint64_t v;
			ssize_t r = pread(l->lock_fd, pid, sizeof(pid) - 1, 0);

			/* the holder's pid, if it wrote a sane one: only a hint */
			if (r > 1 && pid[r - 1] == '\n') {
				pid[r - 1] = '\0';
				if (pki_parse_u64(pid, 1, INT_MAX, &v) == 0)
					(void)snprintf(held, sizeof(held), " (pid %llu)",
						(unsigned long long)v);
			}
			pki_err_set(err, PKI_E_EXISTS,
				"ledger '%s' is in use by another kpki-sign%s", l->qdir, held);
			goto out;
		}
		pki_err_set(err, PKI_E_IO, "ledger lock '%s': cannot lock: %s", qlock,
			strerror(errno));
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(l->lock_fd, 0) != 0 || pwrite(l->lock_fd, pid, (size_t)n, 0) != n) {
		pki_err_set(err, PKI_E_IO, "ledger lock '%s': cannot write: %s", qlock,
			strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(path);
	return ret;
}

/* Collects every serial named in text as `"serial":"<hex>` (whole or cut
 * short by the tear) so that it is never handed out. */
static int
reserve_serials(struct pki_ledger *l, const unsigned char *text, size_t len,
	struct pki_err *err)
{
	static const char key[] = "\"serial\":\"";
	const size_t klen = sizeof(key) - 1;
	size_t i = 0;

	while (i + klen <= len) {
		const unsigned char *hit = memmem(text + i, len - i, key, klen);
		char s[LEDGER_SERIAL_MAX + 1], canon[LEDGER_SERIAL_MAX + 1];
		size_t k = 0;

		if (hit == NULL)
			break;
		i = (size_t)(hit - text) + klen;
		while (i < len && k < LEDGER_SERIAL_MAX &&
		       ((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			s[k++] = (char)text[i++];
		if (k > 0 && serial_canon(s, k, canon) == 0 &&
		    sset_add(&l->set, canon, SER_TORN, err) == NULL)
			return -1;
	}
	return 0;
}

/* Moves the torn tail journal[good..len) into journal.torn (appended,
 * synced) and only then cuts the journal back to its last whole line. */
static int
set_aside(struct pki_ledger *l, const unsigned char *tail, size_t tlen, size_t good,
	struct pki_err *err)
{
	struct pki_buf b = { 0 };
	char now[32];
	int fd = -1, ret = -1;

	pki_time_rfc3339(time(NULL), now);
	if (pki_buf_printf(&b, err,
		    "# kpki-ledger: torn tail of " LEDGER_JOURNAL " at offset %zu, %zu bytes, "
		    "set aside %s\n",
		    good, tlen, now) != 0 ||
	    pki_buf_append(&b, tail, tlen, err) != 0 ||
	    (tail[tlen - 1] != '\n' && pki_buf_append(&b, "\n", 1, err) != 0))
		goto out;
	fd = open_at(l->dfd, LEDGER_TORN, O_WRONLY | O_APPEND | O_CREAT, l->qtorn, "ledger file",
		1, 0, 0, err);
	if (fd < 0) {
		fd = -1;
		goto out;
	}
	if (pki_write_all(fd, b.data, b.len, l->qtorn, err) != 0)
		goto out;
	if (fsync(fd) != 0) {
		pki_err_set(err, PKI_E_IO, "ledger file '%s': cannot sync: %s", l->qtorn,
			strerror(errno));
		goto out;
	}
	if (fsync_fd(l->dfd, l->qdir, err) != 0)
		goto out;
	if (ftruncate(l->jfd, (off_t)good) != 0 || fsync(l->jfd) != 0) {
		pki_err_set(err, PKI_E_IO, "ledger journal '%s': cannot cut off its torn tail: %s",
			l->qjournal, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	pki_buf_free(&b);
	return ret;
}

/* index.txt's serial: upper-case hex of whole octets, as `openssl ca`. */
static void
index_serial(const char *serial, char out[LEDGER_SERIAL_MAX + 2])
{
	size_t i = 0, n = strlen(serial);

	if (n % 2 == 1)
		out[i++] = '0';
	for (; *serial != '\0'; serial++)
		out[i++] = (char)(*serial >= 'a' ? *serial - 'a' + 'A' : *serial);
	out[i] = '\0';
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

/*
 * An RFC 4514 name ("CN=x,O=y", last RDN first) in the one-line form
 * `openssl ca` keeps in index.txt ("/O=y/CN=x", first RDN first), with
 * escapes undone and bytes outside printable ASCII as \xHH, as
 * X509_NAME_oneline writes them.
 */
static int
subject_oneline(const char *dn, struct pki_buf *b, struct pki_err *err)
{
	size_t end = strlen(dn), start, i;
	int esc;

	if (end == 0)
		return pki_buf_append(b, "/", 1, err);
	/* the RDNs from the last to the first */
	for (;;) {
		/* this RDN starts after the last unescaped ',' before end;
		 * escapes are only known reading from the left */
		for (start = 0, esc = 0, i = 0; i < end; i++) {
			if (esc)
				esc = 0;
			else if (dn[i] == '\\')
				esc = 1;
			else if (dn[i] == ',')
				start = i + 1;
		}
		if (pki_buf_append(b, "/", 1, err) != 0)
			return -1;
		for (i = start; i < end; i++) {
			unsigned char c = (unsigned char)dn[i];
			int h, lo;

			if (c == '\\' && i + 1 < end) {
				h = hexval(dn[i + 1]);
				lo = i + 2 < end ? hexval(dn[i + 2]) : -1;
				if (h >= 0 && lo >= 0) {
					c = (unsigned char)(h << 4 | lo);
					i += 2;
				} else {
					c = (unsigned char)dn[++i];
				}
			}
			if (c < 0x20 || c >= 0x7f) {
				if (pki_buf_printf(b, err, "\\x%02X", c) != 0)
					return -1;
			} else if (pki_buf_append(b, &c, 1, err) != 0) {
				return -1;
			}
		}
		if (start == 0)
			return 0;
		end = start - 1;
	}
}

/* The index.txt line of rec: status V, expiry (UTCTime until 2049,
 * GeneralizedTime from 2050, as RFC 5280 4.1.2.5 and `openssl ca`), no
 * revocation date, serial, file name "unknown", subject. */
static int
index_line(const struct pki_ledger_record *rec, struct pki_buf *b, struct pki_err *err)
{
	char serial[LEDGER_SERIAL_MAX + 2];
	struct tm tm;
	int year;

	if (gmtime_r(&rec->not_after, &tm) == NULL)
		return pki_err_set(err, PKI_E_INVALID, "ledger record '%s': bad expiry",
			rec->serial);
	year = tm.tm_year + 1900;
	index_serial(rec->serial, serial);
	if (year >= 1950 && year <= 2049) {
		if (pki_buf_printf(b, err, "V\t%02d%02d%02d%02d%02d%02dZ\t\t%s\tunknown\t",
			    year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			    tm.tm_sec, serial) != 0)
			return -1;
	} else if (pki_buf_printf(b, err, "V\t%04d%02d%02d%02d%02d%02dZ\t\t%s\tunknown\t", year,
			   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			   serial) != 0) {
		return -1;
	}
	if (subject_oneline(rec->subject, b, err) != 0)
		return -1;
	return pki_buf_append(b, "\n", 1, err);
}
/* One field of an index.txt line. */
struct ifield {
	const unsigned char *p;
	size_t len;
};

/* Splits the index.txt line [s, s+len) at tabs into at most 6 fields (the
 * sixth, the subject, takes the rest of the line); the count. */
static size_t
index_fields(const unsigned char *s, size_t len, struct ifield f[6])
{
	size_t n = 0, start = 0, i;

	for (i = 0; i <= len && n < 6; i++) {
		if (i < len && (s[i] != '\t' || n == 5))
			continue;
		f[n].p = s + start;
		f[n].len = i - start;
		n++;
		start = i + 1;
	}
	return n;
}

static int
field_eq(const struct ifield *a, const struct ifield *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* A field, cut and with control bytes escaped, for a message. */
static void
field_quote(const struct ifield *f, char *out, size_t cap)
{
	char raw[160];
	size_t n = f->len < sizeof(raw) - 1 ? f->len : sizeof(raw) - 1;

	memcpy(raw, f->p, n);
	raw[n] = '\0';
	pki_text_sanitize(raw, out, cap);
}

/*
 * Takes in one line of index.txt (line number lineno). A line of a journal
 * record must say what the journal says of its expiry and subject (its
 * status, revocation date and file name are `openssl ca`'s to change); it
 * marks the record seen. A line of a serial the journal does not hold
 * (`openssl ca` issued it, or someone added it) is kept as it is and its
 * serial is never handed out. A line without a readable serial is kept.
 */
static int
index_take_line(struct pki_ledger *l, const struct pki_ledger_record *recs,
	unsigned char *seen, const unsigned char *s, size_t len, size_t lineno,
	struct pki_buf *tmp, struct pki_err *err)
{
	struct ifield f[6], w[6];
	char canon[LEDGER_SERIAL_MAX + 1], qa[200], qb[200];
	const struct pki_ledger_record *r;
	struct sslot *slot;
	size_t nf = index_fields(s, len, f);

	if (nf < 4 || serial_canon((const char *)f[3].p, f[3].len, canon) != 0)
		return 0;
	slot = sset_find(&l->set, canon);
	if (slot == NULL || slot->rec == 0) {
		if (slot == NULL && sset_add(&l->set, canon, SER_OUTSIDE, err) == NULL)
			return -1;
		return 0;
	}
	r = &recs[slot->rec - 1];
	tmp->len = 0;
	if (index_line(r, tmp, err) != 0)
		return -1;
	(void)index_fields(tmp->data, tmp->len - 1, w);
	if (nf != 6)
		return pki_err_set(err, PKI_E_INVALID,
			"ledger index '%s': line %zu: serial %s: %zu fields, not the 6 of "
			"`openssl ca`; correct the line, or delete it and kpki adds the journal's",
			l->qindex, lineno, r->serial, nf);
	if (!field_eq(&f[1], &w[1])) {
		field_quote(&f[1], qa, sizeof(qa));
		field_quote(&w[1], qb, sizeof(qb));
		return pki_err_set(err, PKI_E_INVALID,
			"ledger index '%s': line %zu: serial %s expires '%s', but '%s' in the "
			"journal; correct the line, or delete it and kpki adds the journal's",
			l->qindex, lineno, r->serial, qa, qb);
	}
	if (!field_eq(&f[5], &w[5])) {
		field_quote(&f[5], qa, sizeof(qa));
		field_quote(&w[5], qb, sizeof(qb));
		return pki_err_set(err, PKI_E_INVALID,
			"ledger index '%s': line %zu: serial %s has subject '%s', but '%s' in the "
			"journal; correct the line, or delete it and kpki adds the journal's",
			l->qindex, lineno, r->serial, qa, qb);
	}
	seen[slot->rec - 1] = 1;
	return 0;
}

/* 1 when the last line of index.txt, cut short [s, s+len), is the start of a
 * journal record's line: a write of kpki's that a crash interrupted, which
 * the journal holds whole. 0 when it is not, -1 on error. */
static int
index_tail_is_ours(const struct pki_ledger_record *recs, size_t n, const unsigned char *s,
	size_t len, struct pki_buf *tmp, struct pki_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		tmp->len = 0;
		if (index_line(&recs[i], tmp, err) != 0)
			return -1;
		if (len < tmp->len && memcmp(tmp->data, s, len) == 0)
			return 1;
	}
	return 0;
}

/*
 * Completes index.txt from the journal, merging by serial: every line of
 * index.txt stays as it is (statuses and revocations `openssl ca` made,
 * lines of certificates kpki did not issue), and the journal's records it
 * lacks are added after them, in the journal's order. Only a last line cut
 * short by a crash of kpki's own write is dropped (the journal holds it
 * whole). A line that contradicts the journal is an error: nothing is
 * changed until someone looks at it. A new file replaces the old one
 * atomically; nothing is ever set aside.
 */
static int
index_reconcile(struct pki_ledger *l, const struct pki_ledger_record *recs, size_t n,
	struct pki_err *err)
{
	struct pki_buf old = { 0 }, neu = { 0 }, tmp = { 0 };
	unsigned char *seen = NULL;
	size_t pos = 0, keep = 0, lineno = 0, i;
	mode_t mode = 0600;
	int fd, ret = -1, changed = 0;

	if (n > 0 && (seen = pki_calloc(n, 1, err)) == NULL)
		return -1;
	fd = open_at(l->dfd, LEDGER_INDEX, O_RDONLY, l->qindex, "ledger index", 1, 0, 1, err);
	if (fd == -1)
		goto out;
	if (fd == -2) {
		changed = 1; /* none yet */
	} else {
		struct stat st;
		int r = read_fd_all(fd, l->qindex, "ledger index", LEDGER_CAP_JOURNAL, &old, err);

		/* a mode someone chose (0644 for readers of openssl ca) is kept */
		if (r == 0 && fstat(fd, &st) == 0)
			mode = (st.st_mode & 0644) | 0600;
		close(fd);
		if (r != 0)
			goto out;
		while (pos < old.len) {
			const unsigned char *nl = memchr(old.data + pos, '\n', old.len - pos);
			size_t llen;

			lineno++;
			if (nl == NULL)
				break;
			llen = (size_t)(nl - (old.data + pos));
			if (index_take_line(l, recs, seen, old.data + pos, llen, lineno, &tmp,
				    err) != 0)
				goto out;
			pos += llen + 1;
		}
		keep = pos;
		if (pos < old.len) {
			int ours = index_tail_is_ours(recs, n, old.data + pos, old.len - pos, &tmp,
				err);

			if (ours < 0)
				goto out;
			changed = 1;
			if (!ours) {
				/* someone else's line, without its newline: kept */
				if (index_take_line(l, recs, seen, old.data + pos, old.len - pos,
					    lineno, &tmp, err) != 0)
					goto out;
				keep = old.len;
			}
		}
	}
	if (pki_buf_append(&neu, old.data ? old.data : (const unsigned char *)"", keep, err) != 0)
		goto out;
	if (keep > 0 && neu.data[keep - 1] != '\n' && pki_buf_append(&neu, "\n", 1, err) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (seen[i])
			continue;
		changed = 1;
		if (index_line(&recs[i], &neu, err) != 0)
			goto out;
	}
	if (changed &&
	    pki_file_writeat(l->dfd, l->dir, LEDGER_INDEX, neu.data, neu.len, mode, 0, err) != 0)
		goto out;
	ret = 0;
out:
	free(seen);
	pki_buf_free(&old);
	pki_buf_free(&neu);
	pki_buf_free(&tmp);
	return ret;
}

/* index.txt.attr: `openssl ca` refuses an index.txt with two valid
 * certificates of one subject unless told otherwise, and kpki issues one
 * subject many times (every control-plane node's kube-apiserver). */
static int
attr_ensure(struct pki_ledger *l, struct pki_err *err)
{
	static const char attr[] = "unique_subject = no\n";
	char *path = NULL, qattr[PKI_QPATH_MAX];
	struct stat st;
	int ret = -1;

	if (pki_path_join(&path, l->dir, LEDGER_ATTR, err) != 0)
		return -1;
	pki_text_sanitize(path, qattr, sizeof(qattr));
	if (fstatat(l->dfd, LEDGER_ATTR, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (stat_check(&st, qattr, "ledger file", 1, 0, err) != 0)
			goto out;
	} else if (errno != ENOENT) {
		pki_err_set(err, PKI_E_IO, "ledger file '%s': cannot stat: %s", qattr,
			strerror(errno));
		goto out;
	} else if (pki_file_writeat(l->dfd, l->dir, LEDGER_ATTR, attr, sizeof(attr) - 1, 0600,
			   PKI_WRITE_NOREPLACE, err) != 0) {
		goto out;
	}
	ret = 0;
out:
	free(path);
	return ret;
}

/* Reads the journal (under the lock), sets a torn tail aside, loads the
 * serials, and completes index.txt. */
static int
recover(struct pki_ledger *l, struct pki_err *err)
{
	struct pki_ledger_record *recs = NULL;
	struct pki_buf data = { 0 }, torn = { 0 };
	size_t n = 0, good = 0, i;
	int fd = -1, ret = -1;

	if (read_fd_all(l->jfd, l->qjournal, "ledger journal", LEDGER_CAP_JOURNAL, &data, err) != 0)
		goto out;
	if (pki_ledger_parse(data.data, data.len, l->journal, &recs, &n, &good, err) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		char canon[LEDGER_SERIAL_MAX + 1];
		struct sslot *slot;

		if (serial_canon(recs[i].serial, strlen(recs[i].serial), canon) != 0) {
			pki_err_set(err, PKI_E_INVALID, "ledger journal '%s': line %zu: bad serial",
				l->qjournal, i + 1);
			goto out;
		}
		slot = sset_find(&l->set, canon);
		if (slot != NULL && slot->rec != 0) {
			pki_err_set(err, PKI_E_INVALID,
				"ledger journal '%s': line %zu: serial %s is recorded twice",
				l->qjournal, i + 1, recs[i].serial);
			goto out;
		}
		slot = sset_add(&l->set, canon, SER_RECORDED, err);
		if (slot == NULL)
			goto out;
		slot->rec = i + 1;
	}
	if (good < data.len) {
		if (reserve_serials(l, data.data + good, data.len - good, err) != 0 ||
		    set_aside(l, data.data + good, data.len - good, good, err) != 0)
			goto out;
	}
	l->jsize = good;
	l->nrec = n;
	/* serials of earlier torn tails */
	fd = open_at(l->dfd, LEDGER_TORN, O_RDONLY, l->qtorn, "ledger file", 1, 0, 1, err);
	if (fd == -1)
		goto out;
	if (fd >= 0) {
		int r = read_fd_all(fd, l->qtorn, "ledger file", LEDGER_CAP_JOURNAL, &torn, err);

		close(fd);
		if (r != 0 || reserve_serials(l, torn.data, torn.len, err) != 0)
			goto out;
	}
	if (index_reconcile(l, recs, n, err) != 0 || attr_ensure(l, err) != 0)
		goto out;
	ret = 0;
out:
	pki_ledger_records_free(recs, n);
	pki_buf_free(&data);
	pki_buf_free(&torn);
	return ret;
}

/* dir/name for a message. */
static int
quote_in(const char *dir, const char *name, char *out, size_t cap, struct pki_err *err)
{
	char *path = NULL;

	if (pki_path_join(&path, dir, name, err) != 0)
		return -1;
	pki_text_sanitize(path, out, cap);
	free(path);
	return 0;
}

int
pki_ledger_open(const char *ca_dir, struct pki_ledger **out, struct pki_err *err)
{
	struct pki_ledger *l = NULL;
	char qca[PKI_QPATH_MAX];
	int ret = -1, created = 0, cafd = -1;

	*out = NULL;
	pki_text_sanitize(ca_dir, qca, sizeof(qca));
	l = pki_calloc(1, sizeof(*l), err);
	if (l == NULL)
		return -1;
	l->lock_fd = l->jfd = l->ifd = l->dfd = -1;
	if (pki_path_join(&l->dir, ca_dir, PKI_LEDGER_DIR, err) != 0 ||
	    pki_path_join(&l->journal, l->dir, LEDGER_JOURNAL, err) != 0 ||
	    quote_in(l->dir, LEDGER_INDEX, l->qindex, sizeof(l->qindex), err) != 0 ||
	    quote_in(l->dir, LEDGER_TORN, l->qtorn, sizeof(l->qtorn), err) != 0)
		goto out;
	pki_text_sanitize(l->dir, l->qdir, sizeof(l->qdir));
	pki_text_sanitize(l->journal, l->qjournal, sizeof(l->qjournal));
	cafd = ca_dir_open(ca_dir, qca, 1, err);
	if (cafd < 0) {
		cafd = -1;
		goto out;
	}
	l->dfd = ledger_dir_open(cafd, l->qdir, 1, 1, &created, err);
	if (l->dfd < 0) {
		l->dfd = -1;
		goto out;
	}
	if (created && fsync_fd(cafd, qca, err) != 0)
		goto out;
	if (lock_ledger(l, err) != 0)
		goto out;
	l->jfd = open_at(l->dfd, LEDGER_JOURNAL, O_RDWR | O_APPEND | O_CREAT, l->qjournal,
		"ledger journal", 1, 1, 0, err);
	if (l->jfd < 0) {
		l->jfd = -1;
		goto out;
	}
	if (fsync_fd(l->dfd, l->qdir, err) != 0)
		goto out;
	if (recover(l, err) != 0)
		goto out;
	l->ifd = open_at(l->dfd, LEDGER_INDEX, O_WRONLY | O_APPEND, l->qindex, "ledger index", 1, 0,
		0, err);
	if (l->ifd < 0) {
		l->ifd = -1;
		goto out;
	}
	*out = l;
	l = NULL; /* transferred */
	ret = 0;
out:
	if (cafd >= 0)
		close(cafd);
	pki_ledger_close(l);
	return ret;
}

int
pki_ledger_new_serial(struct pki_ledger *l, unsigned char out[20], size_t *len,
	struct pki_err *err)
{
	unsigned char s[LEDGER_SERIAL_OCTETS];
	char hex[2 * LEDGER_SERIAL_OCTETS + 1], canon[LEDGER_SERIAL_MAX + 1];
	int tries;

	*len = 0;
	for (tries = 0; tries < LEDGER_SERIAL_TRIES; tries++) {
		if (gnutls_rnd(GNUTLS_RND_RANDOM, s, sizeof(s)) != 0)
			return pki_err_set(err, PKI_E_CRYPTO, "ledger '%s': no randomness for a serial",
				l->qdir);
		/* positive, and a first octet that is not zero, so that the DER
		 * INTEGER is these 16 octets exactly */
		s[0] &= 0x7f;
		if (s[0] == 0)
			continue;
		pki_hex_lower(s, sizeof(s), hex);
		if (serial_canon(hex, strlen(hex), canon) != 0 ||
		    sset_find(&l->set, canon) != NULL)
			continue;
		if (sset_add(&l->set, canon, SER_HANDED, err) == NULL)
			return -1;
		memcpy(out, s, sizeof(s));
		*len = sizeof(s);
		return 0;
	}
	return pki_err_set(err, PKI_E_CRYPTO,
		"ledger '%s': no fresh serial in %d draws: the random generator is broken",
		l->qdir, LEDGER_SERIAL_TRIES);
}

/* One write() of the whole line: a crash leaves all of it or a torn tail
 * that the next open sets aside, never two records interleaved. */
static int
write_once(int fd, const struct pki_buf *b, const char *what, const char *qdir,
	struct pki_err *err)
{
	ssize_t w;

	do
		w = write(fd, b->data, b->len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return pki_err_set(err, PKI_E_IO, "ledger '%s': %s: cannot write: %s", qdir, what,
			strerror(errno));
	if ((size_t)w != b->len)
		return pki_err_set(err, PKI_E_IO, "ledger '%s': %s: short write (disk full?)",
			qdir, what);
	if (fsync(fd) != 0)
		return pki_err_set(err, PKI_E_IO, "ledger '%s': %s: cannot sync: %s", qdir, what,
			strerror(errno));
	return 0;
}

int
pki_ledger_append(struct pki_ledger *l, const struct pki_ledger_record *rec,
	struct pki_err *err)
{
	struct pki_buf line = { 0 }, idx = { 0 };
	char canon[LEDGER_SERIAL_MAX + 1];
	struct sslot *slot;
	int ret = -1;

	if (l->broken)
		return pki_err_set(err, PKI_E_IO,
			"ledger '%s': an earlier write failed; close and reopen the ledger to "
			"recover it", l->qdir);
	if (record_check(rec, err) != 0)
		return -1;
	if (serial_canon(rec->serial, strlen(rec->serial), canon) != 0)
		return pki_err_set(err, PKI_E_INVALID, "ledger record '%s': not a serial",
			rec->serial);
	slot = sset_find(&l->set, canon);
	if (slot != NULL && slot->state == SER_RECORDED)
		return pki_err_set(err, PKI_E_EXISTS, "ledger '%s': serial %s is already recorded",
			l->qdir, rec->serial);
	if (slot != NULL && slot->state == SER_TORN)
		return pki_err_set(err, PKI_E_EXISTS,
			"ledger '%s': serial %s appears in a torn record and is never reused",
			l->qdir, rec->serial);
	if (slot != NULL && slot->state == SER_OUTSIDE)
		return pki_err_set(err, PKI_E_EXISTS,
			"ledger '%s': serial %s is in " LEDGER_INDEX " for a certificate kpki did not "
			"issue, and is never used", l->qdir, rec->serial);
	if (l->nrec >= LEDGER_MAX_RECORDS)
		return pki_err_set(err, PKI_E_LIMIT, "ledger '%s': full (%u records)", l->qdir,
			LEDGER_MAX_RECORDS);
	if (record_line(rec, &line, err) != 0 || index_line(rec, &idx, err) != 0)
		goto out;
	if (line.len > LEDGER_CAP_LINE + 1) {
		pki_err_set(err, PKI_E_LIMIT, "ledger record '%s': longer than %u bytes",
			rec->serial, LEDGER_CAP_LINE);
		goto out;
	}
	if (line.len > LEDGER_CAP_JOURNAL - l->jsize) {
		pki_err_set(err, PKI_E_LIMIT, "ledger '%s': the journal would exceed %u bytes",
			l->qdir, LEDGER_CAP_JOURNAL);
		goto out;
	}
	/* the serial is spent from here on, whatever happens */
	if (sset_add(&l->set, canon, SER_RECORDED, err) == NULL)
		goto out;
	if (write_once(l->jfd, &line, LEDGER_JOURNAL, l->qdir, err) != 0) {
		l->broken = 1;
		goto out;
	}
	l->jsize += line.len;
	l->nrec++;
	if (write_once(l->ifd, &idx, LEDGER_INDEX, l->qdir, err) != 0) {
		/* the journal has the record; the next open completes index.txt */
		l->broken = 1;
		goto out;
	}
	ret = 0;
out:
	pki_buf_free(&line);
	pki_buf_free(&idx);
	return ret;
}

int
pki_ledger_read(const char *ca_dir, struct pki_ledger_record **out, size_t *n,
	struct pki_err *err)
{
	struct pki_buf data = { 0 };
	char *dir = NULL, *journal = NULL, qca[PKI_QPATH_MAX], qdir[PKI_QPATH_MAX],
	     qj[PKI_QPATH_MAX];
	size_t good;
	int cafd = -1, dfd = -1, fd = -1, ret = -1;

	*out = NULL;
	*n = 0;
	if (pki_path_join(&dir, ca_dir, PKI_LEDGER_DIR, err) != 0 ||
	    pki_path_join(&journal, dir, LEDGER_JOURNAL, err) != 0)
		goto out;
	pki_text_sanitize(ca_dir, qca, sizeof(qca));
	pki_text_sanitize(dir, qdir, sizeof(qdir));
	pki_text_sanitize(journal, qj, sizeof(qj));
	/* a listing may be anyone's (an auditor's), but never of a ledger that
	 * others could have rewritten */
	cafd = ca_dir_open(ca_dir, qca, 0, err);
	if (cafd < 0) {
		cafd = -1;
		goto out;
	}
	dfd = ledger_dir_open(cafd, qdir, 0, 0, NULL, err);
	if (dfd < 0) {
		dfd = -1;
		goto out;
	}
	fd = open_at(dfd, LEDGER_JOURNAL, O_RDONLY, qj, "ledger journal", 0, 1, 1, err);
	if (fd < 0) {
		/* a ledger directory without a journal has no record yet */
		ret = fd == -2 ? 0 : -1;
		fd = -1;
		goto out;
	}
	if (read_fd_all(fd, qj, "ledger journal", LEDGER_CAP_JOURNAL, &data, err) != 0)
		goto out;
	/* a torn last line is skipped: it is a write in progress, or a crash
	 * that the next pki_ledger_open sets aside */
	if (pki_ledger_parse(data.data, data.len, journal, out, n, &good, err) != 0)
		goto out;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (cafd >= 0)
		close(cafd);
	pki_buf_free(&data);
	free(dir);
	free(journal);
	return ret;
}

/* ---- rendering ------------------------------------------------------------- */

/* A table cell: the text, or its sanitized form when it could break the
 * table or a terminal. */
static int
cell(struct pki_buf *b, const char *s, struct pki_err *err)
{
	char clean[PKI_QPATH_MAX];

	if (s == NULL || s[0] == '\0')
		return pki_buf_append(b, "-", 1, err);
	if (is_clean_str(s))
		return pki_buf_append(b, s, strlen(s), err);
	pki_text_sanitize(s, clean, sizeof(clean));
	return pki_buf_append(b, clean, strlen(clean), err);
}

static int
render_text(const struct pki_ledger_record *recs, size_t n, struct pki_buf *out,
	struct pki_err *err)
{
	struct pki_buf t = { 0 };
	char na[32], is[32];
	size_t i, k;
	int ret = -1;

	if (pki_buf_printf(&t, err, "SERIAL\tCA\tPROFILE\tSUBJECT\tNOT AFTER\tISSUED\tSANS\n") != 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct pki_ledger_record *r = &recs[i];

		pki_time_rfc3339(r->not_after, na);
		pki_time_rfc3339(r->issued, is);
		if (cell(&t, r->serial, err) != 0 || pki_buf_append(&t, "\t", 1, err) != 0 ||
		    cell(&t, r->ca, err) != 0 || pki_buf_append(&t, "\t", 1, err) != 0 ||
		    cell(&t, r->profile, err) != 0 || pki_buf_append(&t, "\t", 1, err) != 0 ||
		    cell(&t, r->subject, err) != 0 ||
		    pki_buf_printf(&t, err, "\t%s\t%s\t", na, is) != 0)
			goto out;
		for (k = 0; k < r->sans.n; k++)
			if ((k > 0 && pki_buf_append(&t, ",", 1, err) != 0) ||
			    cell(&t, r->sans.v[k], err) != 0)
				goto out;
		if (r->sans.n == 0 && pki_buf_append(&t, "-", 1, err) != 0)
			goto out;
		if (pki_buf_append(&t, "\n", 1, err) != 0)
			goto out;
	}
	ret = pki_tabwriter((const char *)t.data, t.len, out, err);
out:
	pki_buf_free(&t);
	return ret;
}

static int
json_member(struct pki_buf *b, const char *key, const char *val, int last,
	struct pki_err *err)
{
	if (pki_buf_printf(b, err, "            \"%s\": ", key) != 0 ||
	    pki_json_str(b, val ? val : "", err) != 0)
		return -1;
	return pki_buf_append(b, last ? "\n" : ",\n", last ? 1 : 2, err);
}

/* json.MarshalIndent's layout with four spaces, as the other -o json. */
static int
render_json(const struct pki_ledger_record *recs, size_t n, struct pki_buf *out,
	struct pki_err *err)
{
	char nb[32], na[32], is[32];
	size_t i, k;

	if (pki_buf_printf(out, err, "{\n    \"issuances\": [%s", n ? "\n" : "]\n}\n") != 0)
		return -1;
	for (i = 0; i < n; i++) {
		const struct pki_ledger_record *r = &recs[i];

		pki_time_rfc3339(r->not_before, nb);
		pki_time_rfc3339(r->not_after, na);
		pki_time_rfc3339(r->issued, is);
		if (pki_buf_append(out, "        {\n", 10, err) != 0 ||
		    json_member(out, "serial", r->serial, 0, err) != 0 ||
		    json_member(out, "ca", r->ca, 0, err) != 0 ||
		    json_member(out, "profile", r->profile, 0, err) != 0 ||
		    json_member(out, "subject", r->subject, 0, err) != 0 ||
		    pki_buf_printf(out, err, "            \"sans\": [%s", r->sans.n ? "\n" : "],\n") != 0)
			return -1;
		for (k = 0; k < r->sans.n; k++)
			if (pki_buf_append(out, "                ", 16, err) != 0 ||
			    pki_json_str(out, r->sans.v[k], err) != 0 ||
			    pki_buf_append(out, k + 1 < r->sans.n ? ",\n" : "\n",
				    k + 1 < r->sans.n ? 2 : 1, err) != 0)
				return -1;
		if ((r->sans.n && pki_buf_append(out, "            ],\n", 15, err) != 0) ||
		    json_member(out, "notBefore", nb, 0, err) != 0 ||
		    json_member(out, "notAfter", na, 0, err) != 0 ||
		    json_member(out, "sha256", r->sha256, 0, err) != 0 ||
		    json_member(out, "issued", is, 0, err) != 0 ||
		    json_member(out, "bundle", r->bundle, 1, err) != 0 ||
		    pki_buf_append(out, i + 1 < n ? "        },\n" : "        }\n",
			    i + 1 < n ? 11 : 10, err) != 0)
			return -1;
	}
	if (n > 0 && pki_buf_append(out, "    ]\n}\n", 8, err) != 0)
		return -1;
	return 0;
}

int
pki_ledger_render(const struct pki_ledger_record *recs, size_t n, int json,
	struct pki_buf *out, struct pki_err *err)
{
	return json ? render_json(recs, n, out, err) : render_text(recs, n, out, err);
}
