/*
 * internal.h — libpki's private declarations. Never installed; tools and
 * callers see only the opaque types of include/pki/.
 */
#ifndef PKI_INTERNAL_H
#define PKI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <pki/error.h>
#include <pki/file.h>

#define PKI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- memory ---------------------------------------------------------- */

/* Wipes then frees; accepts NULL. */
void pki_freezero(void *p, size_t len);
/* strdup that reports into err. */
char *pki_strdup(const char *s, struct pki_err *err);
char *pki_strndup(const char *s, size_t n, struct pki_err *err);
/* calloc with overflow check that reports into err. */
void *pki_calloc(size_t n, size_t size, struct pki_err *err);
/* Grows *v (of *cap elements of size) to hold at least need elements. */
int pki_grow(void **v, size_t *cap, size_t need, size_t size,
	struct pki_err *err) PKI_WUR;

/* ---- text checks ------------------------------------------------------ */

/* 1 when s[0..len) has no NUL and no C0/DEL control bytes (tab allowed when
 * allow_tab) and is valid UTF-8. */
int pki_text_is_clean(const char *s, size_t len, int allow_tab);

/* Copies s into out (cap bytes) with control bytes escaped as \xHH, for
 * messages that quote hostile input; truncates with "...". */
void pki_text_sanitize(const char *s, char *out, size_t cap);

/* Range-checked decimal parser for unsigned values: no sign, no blanks,
 * no leading zeros beyond "0", value in [min, max]. */
int pki_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* ---- YAML -------------------------------------------------------------- */

enum pki_ytype { PKI_Y_SCALAR, PKI_Y_SEQ, PKI_Y_MAP };

struct pki_ynode {
	enum pki_ytype type;
	unsigned line;		/* 1-based */
	/* scalar */
	char *str;		/* NUL-terminated; NUL bytes inside are refused */
	size_t len;
	int plain;		/* unquoted: `null`, `~`, `true` have meaning */
	/* sequence: items; mapping: keys[i] -> items[i] */
	struct pki_ynode **keys;
	struct pki_ynode **items;
	size_t n;
};

struct pki_ylimits {
	unsigned max_depth;
	size_t max_nodes;
	size_t max_scalar;
	size_t max_docs;
};

/* Defaults: depth 64, 200000 nodes, 1 MiB per scalar, 64 documents. */
extern const struct pki_ylimits pki_ylimits_default;

/*
 * Parses every document of a YAML stream into trees. Aliases, anchors'
 * use, duplicate mapping keys, non-scalar keys and NUL bytes are refused;
 * limits are enforced while parsing. Messages read
 * "<name>: line N: <problem>". Free with pki_ydocs_free().
 */
int pki_yaml_parse(const unsigned char *data, size_t len, const char *name,
	const struct pki_ylimits *lim, struct pki_ynode ***docs, size_t *ndocs,
	struct pki_err *err) PKI_WUR;
void pki_ydocs_free(struct pki_ynode **docs, size_t ndocs);
void pki_ynode_free(struct pki_ynode *node);

/* Mapping lookup by key; NULL if absent or map is not a mapping. */
const struct pki_ynode *pki_ymap_get(const struct pki_ynode *map, const char *key);

/* 1 when the node is an unquoted null (`null`, `~`, empty). */
int pki_ynode_is_null(const struct pki_ynode *node);

/*
 * Refuses any key of map not in allowed (NULL-terminated):
 * "<name>: line N: unknown key 'k' in <where>".
 */
int pki_ymap_check_keys(const struct pki_ynode *map, const char *const *allowed,
	const char *name, const char *where, struct pki_err *err) PKI_WUR;

/*
 * Typed getters for required/optional mapping fields. Each reports
 * "<name>: line N: '<field>' ..." on a wrong type or a missing required
 * field. *out is left unchanged when an optional field is absent.
 */
int pki_yget_str(const struct pki_ynode *map, const char *key, int required,
	const char *name, const char **out, struct pki_err *err) PKI_WUR;
int pki_yget_bool(const struct pki_ynode *map, const char *key, int required,
	const char *name, int *out, struct pki_err *err) PKI_WUR;
int pki_yget_seq(const struct pki_ynode *map, const char *key, int required,
	const char *name, const struct pki_ynode **out, struct pki_err *err) PKI_WUR;
int pki_yget_map(const struct pki_ynode *map, const char *key, int required,
	const char *name, const struct pki_ynode **out, struct pki_err *err) PKI_WUR;

/* ---- output writers ---------------------------------------------------- */

/* Appends s as a JSON string literal (quotes, escapes, \u00XX controls). */
int pki_json_str(struct pki_buf *b, const char *s, struct pki_err *err) PKI_WUR;
/* Appends s as a YAML double-quoted scalar when it needs quoting, else plain. */
int pki_yaml_str(struct pki_buf *b, const char *s, struct pki_err *err) PKI_WUR;

/* RFC 3339 UTC, "2026-01-02T03:04:05Z". */
void pki_time_rfc3339(time_t t, char out[32]);

/* ---- base64 ------------------------------------------------------------ */

/* Standard alphabet with padding; whitespace is not allowed. */
int pki_base64_decode(const char *s, size_t len, struct pki_buf *out,
	const char *what, struct pki_err *err) PKI_WUR;
int pki_base64_encode(const unsigned char *data, size_t len, struct pki_buf *out,
	struct pki_err *err) PKI_WUR;

#endif
