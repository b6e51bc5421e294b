/* check_yaml.c — the YAML tree parser against hostile input, and the small
 * helpers beside it: durations, base64, numbers, text checks. */
#include <stdlib.h>
#include <string.h>

#include <pki/duration.h>

#include "internal.h"
#include "testutil.h"

static int
parse_fixture(const char *rel, const struct pki_ylimits *lim, struct pki_ynode ***docs,
	size_t *n, struct pki_err *err)
{
	struct pki_buf b = { 0 };
	const char *base = strrchr(rel, '/') + 1;
	char path[256];
	int r;

	ck_assert_int_lt(snprintf(path, sizeof(path), "yaml/%s", rel), (int)sizeof(path));
	test_read(path, &b);
	pki_err_clear(err);
	r = pki_yaml_parse(b.data, b.len, base, lim, docs, n, err);
	pki_buf_free(&b);
	return r;
}

/* ---- a good tree: shapes, lines, styles ---------------------------------- */

START_TEST(test_tree)
{
	static const char *const keys[] = { "name", "count", "empty", "tilde", "quoted", "flag",
		"list", "nested" };
	static const unsigned lines[] = { 2, 3, 4, 5, 6, 7, 8, 12 };
	struct pki_ynode **docs = NULL;
	const struct pki_ynode *root, *n, *list, *inner;
	struct pki_err err;
	size_t ndocs = 0, i;

	ck_assert_msg(parse_fixture("good/tree.yaml", NULL, &docs, &ndocs, &err) == 0, "%s",
		err.msg);
	ck_assert_uint_eq(ndocs, 2);
	root = docs[0];
	ck_assert_int_eq(root->type, PKI_Y_MAP);
	ck_assert_uint_eq(root->n, PKI_ARRAY_LEN(keys));
	for (i = 0; i < PKI_ARRAY_LEN(keys); i++) {
		ck_assert_str_eq(root->keys[i]->str, keys[i]);
		ck_assert_uint_eq(root->keys[i]->line, lines[i]);
	}
	n = pki_ymap_get(root, "count");
	ck_assert_int_eq(n->type, PKI_Y_SCALAR);
	ck_assert_str_eq(n->str, "3");
	ck_assert_uint_eq(n->len, 1);
	ck_assert_int_eq(n->plain, 1);
	ck_assert_int_eq(pki_ynode_is_null(pki_ymap_get(root, "empty")), 1);
	ck_assert_int_eq(pki_ynode_is_null(pki_ymap_get(root, "tilde")), 1);
	ck_assert_int_eq(pki_ynode_is_null(pki_ymap_get(root, "quoted")), 0);
	ck_assert_int_eq(pki_ynode_is_null(pki_ymap_get(root, "absent")), 1);
	ck_assert_ptr_null(pki_ymap_get(root, "absent"));
	ck_assert_ptr_null(pki_ymap_get(n, "count")); /* not a mapping */

	list = pki_ymap_get(root, "list");
	ck_assert_int_eq(list->type, PKI_Y_SEQ);
	ck_assert_uint_eq(list->n, 3);
	ck_assert_str_eq(list->items[0]->str, "a");
	ck_assert_str_eq(list->items[1]->str, "b c");
	ck_assert_int_eq(list->items[1]->plain, 0);
	ck_assert_uint_eq(list->items[1]->line, 10);
	ck_assert_int_eq(list->items[2]->type, PKI_Y_MAP);
	ck_assert_str_eq(pki_ymap_get(list->items[2], "k")->str, "v");

	inner = pki_ymap_get(pki_ymap_get(root, "nested"), "inner");
	ck_assert_int_eq(inner->type, PKI_Y_SEQ);
	ck_assert_uint_eq(inner->items[0]->n, 2);
	ck_assert_str_eq(inner->items[0]->items[1]->str, "2");

	ck_assert_str_eq(pki_ymap_get(docs[1], "second")->str, "doc");
	ck_assert_uint_eq(pki_ymap_get(docs[1], "second")->line, 16);
	pki_ydocs_free(docs, ndocs);
}
END_TEST

START_TEST(test_empty_stream)
{
	struct pki_ynode **docs = (struct pki_ynode **)&docs;
	struct pki_err err;
	size_t n = 99;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_yaml_parse((const unsigned char *)"", 0, "e", NULL, &docs, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	pki_ydocs_free(docs, n);
	/* "---" alone is one empty document, a null */
	ck_assert_int_eq(pki_yaml_parse((const unsigned char *)"---\n", 4, "e", NULL, &docs, &n,
				 &err),
		0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(pki_ynode_is_null(docs[0]), 1);
	pki_ydocs_free(docs, n);
}
END_TEST

/* ---- typed getters -------------------------------------------------------- */

START_TEST(test_getters)
{
	static const char *const allowed[] = { "name", "count", "empty", "tilde", "quoted",
		"flag", "list", NULL };
	struct pki_ynode **docs = NULL;
	const struct pki_ynode *root, *seq = NULL, *map = NULL;
	const char *s = "unchanged";
	struct pki_err err;
	size_t ndocs = 0;
	int b = 7;

	ck_assert_int_eq(parse_fixture("good/tree.yaml", NULL, &docs, &ndocs, &err), 0);
	root = docs[0];

	ck_assert_int_eq(pki_yget_str(root, "name", 1, "t", &s, &err), 0);
	ck_assert_str_eq(s, "tree");
	s = "unchanged";
	ck_assert_int_eq(pki_yget_str(root, "absent", 0, "t", &s, &err), 0);
	ck_assert_str_eq(s, "unchanged");
	ck_assert_int_eq(pki_yget_str(root, "absent", 1, "t", &s, &err), -1);
	ck_assert_str_eq(err.msg, "t: line 2: missing 'absent'");
	ck_assert_int_eq(pki_yget_str(root, "list", 1, "t", &s, &err), -1);
	ck_assert_str_eq(err.msg, "t: line 9: 'list' must be a value, not a list");

	ck_assert_int_eq(pki_yget_bool(root, "flag", 1, "t", &b, &err), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(pki_yget_bool(root, "name", 1, "t", &b, &err), -1);
	ck_assert_str_eq(err.msg, "t: line 2: 'name' must be true or false");
	/* a quoted "true" is a string */
	ck_assert_int_eq(pki_yget_bool(root, "quoted", 1, "t", &b, &err), -1);

	ck_assert_int_eq(pki_yget_seq(root, "list", 1, "t", &seq, &err), 0);
	ck_assert_uint_eq(seq->n, 3);
	seq = NULL;
	/* null counts as absent for lists and mappings */
	ck_assert_int_eq(pki_yget_seq(root, "empty", 0, "t", &seq, &err), 0);
	ck_assert_ptr_null(seq);
	ck_assert_int_eq(pki_yget_seq(root, "empty", 1, "t", &seq, &err), -1);
	ck_assert_str_eq(err.msg, "t: line 2: missing 'empty'");
	ck_assert_int_eq(pki_yget_map(root, "nested", 1, "t", &map, &err), 0);
	ck_assert_int_eq(map->type, PKI_Y_MAP);
	ck_assert_int_eq(pki_yget_map(root, "list", 1, "t", &map, &err), -1);
	ck_assert_str_eq(err.msg, "t: line 9: 'list' must be a mapping, not a list");

	ck_assert_int_eq(pki_ymap_check_keys(root, allowed, "t", "the test", &err), -1);
	ck_assert_int_eq(err.code, PKI_E_PARSE);
	ck_assert_str_eq(err.msg, "t: line 12: unknown key 'nested' in the test");
	pki_ydocs_free(docs, ndocs);
}
END_TEST

/* ---- hostile input ---------------------------------------------------------- */

static const struct bad_case {
	const char *file;
	enum pki_errcode code;
	const char *msg; /* whole message, or a prefix ending in '*' */
} bad_cases[] = {
	{ "bad/alias-bomb.yaml", PKI_E_PARSE, "alias-bomb.yaml: line 2: YAML aliases are not allowed" },
	{ "bad/merge-key.yaml", PKI_E_PARSE, "merge-key.yaml: line 3: YAML aliases are not allowed" },
	{ "bad/deep-flow.yaml", PKI_E_LIMIT, "deep-flow.yaml: line 1: nested deeper than 64 levels" },
	{ "bad/deep-block.yaml", PKI_E_LIMIT,
		"deep-block.yaml: line 65: nested deeper than 64 levels" },
	{ "bad/dup-key.yaml", PKI_E_PARSE, "dup-key.yaml: line 4: duplicate key 'c'" },
	{ "bad/nul-escape.yaml", PKI_E_PARSE, "nul-escape.yaml: line 2: a value holds a NUL byte" },
	{ "bad/many-docs.yaml", PKI_E_LIMIT, "many-docs.yaml: more than 64 YAML documents" },
	{ "bad/truncated.yaml", PKI_E_PARSE,
		"truncated.yaml: line 3: did not find expected ',' or ']'" },
	{ "bad/unterminated.yaml", PKI_E_PARSE,
		"unterminated.yaml: line 3: found unexpected end of stream" },
	{ "bad/complex-key.yaml", PKI_E_PARSE,
		"complex-key.yaml: line 1: a mapping key must be a plain value" },
	{ "bad/bad-indent.yaml", PKI_E_PARSE, "bad-indent.yaml: line 3: did not find expected key" },
	/* libyaml's reader errors carry no line: only the start is checked */
	{ "bad/nul-byte.yaml", PKI_E_PARSE, "nul-byte.yaml: line *" },
	{ "bad/bad-utf8.yaml", PKI_E_PARSE, "bad-utf8.yaml: line *" },
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct pki_ynode **docs = (struct pki_ynode **)&docs;
	struct pki_err err;
	size_t n = 99, len = strlen(c->msg);

	ck_assert_int_eq(parse_fixture(c->file, NULL, &docs, &n, &err), -1);
	ck_assert_ptr_null(docs);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(err.code, c->code);
	if (c->msg[len - 1] == '*')
		ck_assert_msg(strncmp(err.msg, c->msg, len - 1) == 0, "%s", err.msg);
	else
		ck_assert_str_eq(err.msg, c->msg);
}
END_TEST

START_TEST(test_reader_errors)
{
	struct pki_ynode **docs = NULL;
	struct pki_err err;
	size_t n = 0;

	ck_assert_int_eq(parse_fixture("bad/nul-byte.yaml", NULL, &docs, &n, &err), -1);
	ck_assert_msg(strstr(err.msg, ": control characters are not allowed") != NULL, "%s",
		err.msg);
	ck_assert_int_eq(parse_fixture("bad/bad-utf8.yaml", NULL, &docs, &n, &err), -1);
	ck_assert_msg(strstr(err.msg, ": invalid leading UTF-8 octet") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_limits)
{
	struct pki_ynode **docs = NULL;
	struct pki_err err;
	size_t n = 0;
	struct pki_ylimits lim = pki_ylimits_default;

	lim.max_nodes = 10;
	ck_assert_int_eq(parse_fixture("good/tree.yaml", &lim, &docs, &n, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "tree.yaml: line 6: more than 10 YAML nodes");

	lim = pki_ylimits_default;
	lim.max_scalar = 3;
	ck_assert_int_eq(parse_fixture("good/tree.yaml", &lim, &docs, &n, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "tree.yaml: line 2: a value longer than 3 bytes");

	lim = pki_ylimits_default;
	lim.max_docs = 1;
	ck_assert_int_eq(parse_fixture("good/tree.yaml", &lim, &docs, &n, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "tree.yaml: more than 1 YAML documents");

	lim = pki_ylimits_default;
	lim.max_depth = 3;
	ck_assert_int_eq(parse_fixture("good/tree.yaml", &lim, &docs, &n, &err), -1);
	ck_assert_str_eq(err.msg, "tree.yaml: line 14: nested deeper than 3 levels");

	/* the defaults the parser documents */
	ck_assert_uint_eq(pki_ylimits_default.max_depth, 64);
	ck_assert_uint_eq(pki_ylimits_default.max_nodes, 200000);
	ck_assert_uint_eq(pki_ylimits_default.max_scalar, 1024 * 1024);
	ck_assert_uint_eq(pki_ylimits_default.max_docs, 64);
	ck_assert_ptr_null(docs);
}
END_TEST

/* a flat list over the node cap, built in memory */
START_TEST(test_node_cap)
{
	struct pki_buf b = { 0 };
	struct pki_ynode **docs = NULL;
	struct pki_err err;
	size_t n = 0;
	int i;

	pki_err_clear(&err);
	/* 40 lists of 5000: under the per-list cap, over the node cap on line 40 */
	for (i = 0; i < 40; i++) {
		int j;

		ck_assert_int_eq(pki_buf_append(&b, "- [x", 4, &err), 0);
		for (j = 1; j < 5000; j++)
			ck_assert_int_eq(pki_buf_append(&b, ",x", 2, &err), 0);
		ck_assert_int_eq(pki_buf_append(&b, "]\n", 2, &err), 0);
	}
	ck_assert_int_eq(pki_yaml_parse(b.data, b.len, "wide", NULL, &docs, &n, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "wide: line 40: more than 200000 YAML nodes");
	pki_buf_free(&b);
}
END_TEST

/* one list longer than a collection may be (duplicate checks stay cheap) */
START_TEST(test_items_cap)
{
	struct pki_buf b = { 0 };
	struct pki_ynode **docs = NULL;
	struct pki_err err;
	size_t n = 0;
	int i;

	pki_err_clear(&err);
	for (i = 0; i < 10001; i++)
		ck_assert_int_eq(pki_buf_append(&b, "- x\n", 4, &err), 0);
	ck_assert_int_eq(pki_yaml_parse(b.data, b.len, "long", NULL, &docs, &n, &err), -1);
	ck_assert_int_eq(err.code, PKI_E_LIMIT);
	ck_assert_str_eq(err.msg, "long: line 10001: more than 10000 entries in one list");
	pki_buf_free(&b);
	/* the same in a mapping */
	for (i = 0; i < 10001; i++)
		ck_assert_int_eq(pki_buf_printf(&b, &err, "k%d: v\n", i), 0);
	ck_assert_int_eq(pki_yaml_parse(b.data, b.len, "map", NULL, &docs, &n, &err), -1);
	ck_assert_str_eq(err.msg, "map: line 10001: more than 10000 entries in one mapping");
	pki_buf_free(&b);
}
END_TEST

/* every truncation of a good input: an error or trees, never a crash */
START_TEST(test_truncations)
{
	struct pki_buf b = { 0 };
	struct pki_ynode **docs;
	struct pki_err err;
	unsigned char *copy;
	size_t i, n;

	test_read("yaml/good/tree.yaml", &b);
	copy = malloc(b.len);
	ck_assert_ptr_nonnull(copy);
	for (i = 0; i < b.len; i++) {
		memcpy(copy, b.data, i);
		pki_err_clear(&err);
		if (pki_yaml_parse(copy, i, "t", NULL, &docs, &n, &err) == 0)
			pki_ydocs_free(docs, n);
		else
			ck_assert(docs == NULL && n == 0 && err.msg[0] != '\0');
	}
	free(copy);
	pki_buf_free(&b);
}
END_TEST

/* ---- durations -------------------------------------------------------------- */

static const struct dur_case {
	const char *s;
	int64_t want; /* -1: error */
	const char *msg;
} dur_cases[] = {
	{ "8760h", 31536000, NULL },
	{ "87600h", 315360000, NULL },
	{ "365d", 31536000, NULL },
	{ "1y", 31536000, NULL },
	{ "8760h0m0s", 31536000, NULL },
	{ "1y30d", 34128000, NULL },
	{ "2w", 1209600, NULL },
	{ "90m", 5400, NULL },
	{ "45s", 45, NULL },
	{ "0s", 0, NULL },
	{ "1h1h", 7200, NULL },
	{ "9223372036854775807s", INT64_MAX, NULL },
	{ "", -1, "v: empty duration" },
	{ "10", -1, "v: duration '10' needs a unit (y, w, d, h, m or s) after each number" },
	{ "1x", -1, "v: duration '1x' needs a unit (y, w, d, h, m or s) after each number" },
	{ "1.5h", -1, "v: duration '1.5h' needs a unit (y, w, d, h, m or s) after each number" },
	{ "h", -1, "v: duration 'h' is not <number><unit>... (units y, w, d, h, m, s)" },
	{ "-1h", -1, "v: duration '-1h' is not <number><unit>... (units y, w, d, h, m, s)" },
	{ "1h ", -1, "v: duration '1h ' is not <number><unit>... (units y, w, d, h, m, s)" },
	{ "1ms", -1, "v: duration '1ms' is not <number><unit>... (units y, w, d, h, m, s)" },
	{ "9223372036854775808s", -1, "v: duration '9223372036854775808s' is too large" },
	{ "9223372036854775807s1s", -1, "v: duration '9223372036854775807s1s' is too large" },
	{ "300000000000y", -1, "v: duration '300000000000y' is too large" },
};

START_TEST(test_duration_parse)
{
	const struct dur_case *c = &dur_cases[_i];
	struct pki_err err;
	int64_t v = -42;

	pki_err_clear(&err);
	if (c->want >= 0) {
		ck_assert_msg(pki_duration_parse(c->s, "v", &v, &err) == 0, "'%s': %s", c->s,
			err.msg);
		ck_assert_int_eq(v, c->want);
	} else {
		ck_assert_int_eq(pki_duration_parse(c->s, "v", &v, &err), -1);
		ck_assert_int_eq(v, -42);
		ck_assert_int_eq(err.code, PKI_E_PARSE);
		ck_assert_str_eq(err.msg, c->msg);
	}
}
END_TEST

static const struct short_case {
	int64_t s;
	const char *want;
} short_cases[] = {
	{ -86400, "<invalid>" },
	{ -2, "<invalid>" },
	{ -1, "0s" },
	{ 0, "0s" },
	{ 45, "45s" },
	{ 59, "59s" },
	{ 60, "1m" },
	{ 3599, "59m" },
	{ 3600, "1h" },
	{ 86399, "23h" },
	{ 86400, "1d" },
	{ 364 * 86400 + 23 * 3600, "364d" },
	{ 365 * 86400, "1y" },
	{ 3650 * 86400 - 300, "9y" },
	{ 3650 * 86400, "10y" },
	{ INT64_MAX, "292471208677y" },
};

START_TEST(test_duration_short)
{
	char out[16];

	pki_duration_short(short_cases[_i].s, out);
	ck_assert_str_eq(out, short_cases[_i].want);
}
END_TEST

/* ---- base64 ----------------------------------------------------------------- */

START_TEST(test_base64_vectors)
{
	/* RFC 4648 section 10 */
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
		"Zm9vYmFy" };
	struct pki_buf b;
	struct pki_err err;

	for (size_t i = 0; i < PKI_ARRAY_LEN(plain); i++) {
		pki_err_clear(&err);
		ck_assert_int_eq(pki_base64_encode((const unsigned char *)plain[i], strlen(plain[i]),
					 &b, &err),
			0);
		ck_assert_uint_eq(b.len, strlen(enc[i]));
		ck_assert_int_eq(memcmp(b.data, enc[i], b.len), 0);
		pki_buf_free(&b);
		ck_assert_int_eq(pki_base64_decode(enc[i], strlen(enc[i]), &b, "v", &err), 0);
		ck_assert_uint_eq(b.len, strlen(plain[i]));
		ck_assert_int_eq(memcmp(b.data, plain[i], b.len), 0);
		pki_buf_free(&b);
	}
}
END_TEST

START_TEST(test_base64_roundtrip)
{
	unsigned char data[300];
	struct pki_buf enc, dec;
	struct pki_err err;
	size_t len, i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131u + 7u);
	for (len = 0; len <= sizeof(data); len++) {
		pki_err_clear(&err);
		ck_assert_int_eq(pki_base64_encode(data, len, &enc, &err), 0);
		ck_assert_uint_eq(enc.len, (len + 2) / 3 * 4);
		ck_assert_int_eq(pki_base64_decode((const char *)enc.data, enc.len, &dec, "v", &err),
			0);
		ck_assert_uint_eq(dec.len, len);
		ck_assert_int_eq(memcmp(dec.data, data, len), 0);
		pki_buf_free(&enc);
		pki_buf_free(&dec);
	}
}
END_TEST

static const struct b64_bad {
	const char *s, *msg;
} b64_bad[] = {
	{ "Zg=", "v: malformed base64 (length 3 is not a multiple of 4)" },
	{ "Zm9vY", "v: malformed base64 (length 5 is not a multiple of 4)" },
	{ "Zg==Zg==", "v: malformed base64 at offset 2" },
	{ "Z===", "v: malformed base64 at offset 1" },
	{ "Zm=v", "v: malformed base64 at offset 3" },
	{ "====", "v: malformed base64 at offset 0" },
	{ "Zm9*", "v: malformed base64 at offset 3" },
	{ "Zm9v\nZm9", "v: malformed base64 at offset 4" },
	{ "Zm 9", "v: malformed base64 at offset 2" },
	{ "Zm-_", "v: malformed base64 at offset 2" },
};

START_TEST(test_base64_bad)
{
	const struct b64_bad *c = &b64_bad[_i];
	struct pki_buf b = { (unsigned char *)"x", 1, 1 };
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_base64_decode(c->s, strlen(c->s), &b, "v", &err), -1);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(err.code, PKI_E_PARSE);
	ck_assert_str_eq(err.msg, c->msg);
}
END_TEST

/* an embedded NUL is not base64 */
START_TEST(test_base64_nul)
{
	struct pki_buf b;
	struct pki_err err;

	pki_err_clear(&err);
	ck_assert_int_eq(pki_base64_decode("Zm\0v", 4, &b, "v", &err), -1);
	ck_assert_str_eq(err.msg, "v: malformed base64 at offset 2");
}
END_TEST

/* ---- numbers and text ----------------------------------------------------- */

static const struct u64_case {
	const char *s;
	uint64_t min, max, want;
	int ok;
} u64_cases[] = {
	{ "0", 0, 10, 0, 1 },
	{ "10", 0, 10, 10, 1 },
	{ "6443", 1, 65535, 6443, 1 },
	{ "18446744073709551615", 0, UINT64_MAX, UINT64_MAX, 1 },
	{ "18446744073709551616", 0, UINT64_MAX, 0, 0 },
	{ "11", 0, 10, 0, 0 },
	{ "0", 1, 10, 0, 0 },
	{ "00", 0, 10, 0, 0 },
	{ "01", 0, 10, 0, 0 },
	{ "", 0, 10, 0, 0 },
	{ "-1", 0, 10, 0, 0 },
	{ "+1", 0, 10, 0, 0 },
	{ " 1", 0, 10, 0, 0 },
	{ "1 ", 0, 10, 0, 0 },
	{ "0x1", 0, 10, 0, 0 },
	{ "1e3", 0, 10000, 0, 0 },
};

START_TEST(test_parse_u64)
{
	const struct u64_case *c = &u64_cases[_i];
	uint64_t v = 12345;

	if (c->ok) {
		ck_assert_msg(pki_parse_u64(c->s, c->min, c->max, &v) == 0, "'%s'", c->s);
		ck_assert_uint_eq(v, c->want);
	} else {
		ck_assert_msg(pki_parse_u64(c->s, c->min, c->max, &v) == -1, "'%s'", c->s);
		ck_assert_uint_eq(v, 12345);
	}
	ck_assert_int_eq(pki_parse_u64(NULL, 0, 1, &v), -1);
}
END_TEST

static const struct text_case {
	const char *s;
	size_t len;
	int tab_ok, clean;
} text_cases[] = {
	{ "plain text", 10, 0, 1 },
	{ "caf\xc3\xa9", 5, 0, 1 },
	{ "\xe2\x82\xac", 3, 0, 1 },	 /* euro sign */
	{ "\xf0\x9f\x94\x91", 4, 0, 1 }, /* key emoji */
	{ "a\tb", 3, 1, 1 },
	{ "a\tb", 3, 0, 0 },
	{ "a\nb", 3, 1, 0 },
	{ "a\0b", 3, 0, 0 },
	{ "\x1b[31m", 5, 0, 0 },
	{ "\x7f", 1, 0, 0 },
	{ "\xc2\x85", 2, 0, 0 },	 /* C1 control NEL */
	{ "\xc3", 1, 0, 0 },		 /* truncated sequence */
	{ "\xc0\xaf", 2, 0, 0 },	 /* overlong '/' */
	{ "\xe0\x80\xaf", 3, 0, 0 },	 /* overlong */
	{ "\xed\xa0\x80", 3, 0, 0 },	 /* surrogate */
	{ "\xf4\x90\x80\x80", 4, 0, 0 }, /* past U+10FFFF */
	{ "\xff", 1, 0, 0 },
	{ "", 0, 0, 1 },
};

START_TEST(test_text_is_clean)
{
	const struct text_case *c = &text_cases[_i];

	ck_assert_int_eq(pki_text_is_clean(c->s, c->len, c->tab_ok), c->clean);
}
END_TEST

START_TEST(test_text_sanitize)
{
	char out[16];

	pki_text_sanitize("a'b\n", out, sizeof(out));
	ck_assert_str_eq(out, "a\\x27b\\x0a");
	pki_text_sanitize("\x1b[2J", out, sizeof(out));
	ck_assert_str_eq(out, "\\x1b[2J");
	pki_text_sanitize("abcdefghijklmnopqrstuvwxyz", out, sizeof(out));
	ck_assert_str_eq(out, "abcdefghijkl...");
	pki_text_sanitize("caf\xc3\xa9", out, sizeof(out));
	ck_assert_str_eq(out, "caf\\xc3\\xa9");
}
END_TEST

START_TEST(test_string_writers)
{
	static const struct {
		const char *in, *json, *yaml;
	} cases[] = {
		{ "plain", "\"plain\"", "plain" },
		{ "", "\"\"", "\"\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"", "a\"b\\c" },
		{ "line\nnext", "\"line\\nnext\"", "\"line\\nnext\"" },
		{ "\x01", "\"\\u0001\"", "\"\\u0001\"" },
		{ "true", "\"true\"", "\"true\"" },
		{ "null", "\"null\"", "\"null\"" },
		{ "6443", "\"6443\"", "\"6443\"" },
		{ "1.29", "\"1.29\"", "\"1.29\"" },
		{ "key: value", "\"key: value\"", "\"key: value\"" },
		{ "- item", "\"- item\"", "\"- item\"" },
		{ "system:masters", "\"system:masters\"", "system:masters" },
		{ "https://10.0.0.1:6443", "\"https://10.0.0.1:6443\"", "https://10.0.0.1:6443" },
	};
	struct pki_buf b;
	struct pki_err err;

	for (size_t i = 0; i < PKI_ARRAY_LEN(cases); i++) {
		memset(&b, 0, sizeof(b));
		pki_err_clear(&err);
		ck_assert_int_eq(pki_json_str(&b, cases[i].in, &err), 0);
		ck_assert_int_eq(pki_buf_append(&b, "", 1, &err), 0);
		ck_assert_str_eq((const char *)b.data, cases[i].json);
		pki_buf_free(&b);
		ck_assert_int_eq(pki_yaml_str(&b, cases[i].in, &err), 0);
		ck_assert_int_eq(pki_buf_append(&b, "", 1, &err), 0);
		ck_assert_str_eq((const char *)b.data, cases[i].yaml);
		pki_buf_free(&b);
	}
}
END_TEST

static Suite *
yaml_suite(void)
{
	Suite *s = suite_create("yaml");
	TCase *tc;

	tc = tcase_create("yaml");
	tcase_add_test(tc, test_tree);
	tcase_add_test(tc, test_empty_stream);
	tcase_add_test(tc, test_getters);
	tcase_add_loop_test(tc, test_bad, 0, PKI_ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_reader_errors);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_node_cap);
	tcase_add_test(tc, test_items_cap);
	tcase_add_test(tc, test_truncations);
	suite_add_tcase(s, tc);

	tc = tcase_create("duration");
	tcase_add_loop_test(tc, test_duration_parse, 0, PKI_ARRAY_LEN(dur_cases));
	tcase_add_loop_test(tc, test_duration_short, 0, PKI_ARRAY_LEN(short_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("util");
	tcase_add_test(tc, test_base64_vectors);
	tcase_add_test(tc, test_base64_roundtrip);
	tcase_add_loop_test(tc, test_base64_bad, 0, PKI_ARRAY_LEN(b64_bad));
	tcase_add_test(tc, test_base64_nul);
	tcase_add_loop_test(tc, test_parse_u64, 0, PKI_ARRAY_LEN(u64_cases));
	tcase_add_loop_test(tc, test_text_is_clean, 0, PKI_ARRAY_LEN(text_cases));
	tcase_add_test(tc, test_text_sanitize);
	tcase_add_test(tc, test_string_writers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run(yaml_suite());
}
