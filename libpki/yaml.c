/* yaml.c — YAML into small trees, with limits, for hostile input. */
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <yaml.h>

#include "internal.h"

#define PKI_YAML_MAX_ITEMS 10000

const struct pki_ylimits pki_ylimits_default = {
	.max_depth = 64,
	.max_nodes = 200000,
	.max_scalar = 1024 * 1024,
	.max_docs = 64,
};

struct yparse {
	yaml_parser_t parser;
	const char *name;
	const struct pki_ylimits *lim;
	size_t nodes;
	struct pki_err *err;
};

void
pki_ynode_free(struct pki_ynode *node)
{
	size_t i;

	if (node == NULL)
		return;
	for (i = 0; i < node->n; i++) {
		if (node->keys != NULL)
			pki_ynode_free(node->keys[i]);
		if (node->items != NULL)
			pki_ynode_free(node->items[i]);
	}
	free(node->keys);
	free(node->items);
	pki_freezero(node->str, node->len + 1);
	free(node);
}

void
pki_ydocs_free(struct pki_ynode **docs, size_t ndocs)
{
	size_t i;

	if (docs == NULL)
		return;
	for (i = 0; i < ndocs; i++)
		pki_ynode_free(docs[i]);
	free(docs);
}

static unsigned
ev_line(const yaml_event_t *ev)
{
	return (unsigned)ev->start_mark.line + 1;
}

static int
next_event(struct yparse *yp, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&yp->parser, ev)) {
		const char *problem = yp->parser.problem ? yp->parser.problem : "malformed YAML";

		return pki_err_set(yp->err, PKI_E_PARSE, "%s: line %zu: %s", yp->name,
			(size_t)yp->parser.problem_mark.line + 1, problem);
	}
	return 0;
}

static struct pki_ynode *
new_node(struct yparse *yp, enum pki_ytype type, unsigned line)
{
	struct pki_ynode *n;

	if (++yp->nodes > yp->lim->max_nodes) {
		pki_err_set(yp->err, PKI_E_LIMIT, "%s: line %u: more than %zu YAML nodes",
			yp->name, line, yp->lim->max_nodes);
		return NULL;
	}
	n = pki_calloc(1, sizeof(*n), yp->err);
	if (n == NULL)
		return NULL;
	n->type = type;
	n->line = line;
	return n;
}

static int parse_node(struct yparse *yp, yaml_event_t *ev, unsigned depth,
	struct pki_ynode **out);

/* Frees an event, wiping a scalar's text first: kubeconfigs carry keys. */
static void
wipe_event(yaml_event_t *ev)
{
	if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.value != NULL)
		gnutls_memset(ev->data.scalar.value, 0, ev->data.scalar.length);
	yaml_event_delete(ev);
}

/* Wipes libyaml's copies of the input before the parser frees them. */
static void
wipe_parser(yaml_parser_t *p)
{
	if (p->buffer.start != NULL)
		gnutls_memset(p->buffer.start, 0, (size_t)(p->buffer.end - p->buffer.start));
	if (p->raw_buffer.start != NULL)
		gnutls_memset(p->raw_buffer.start, 0,
			(size_t)(p->raw_buffer.end - p->raw_buffer.start));
	yaml_parser_delete(p);
}

static int
scalar_node(struct yparse *yp, yaml_event_t *ev, struct pki_ynode **out)
{
	struct pki_ynode *n;
	size_t len = ev->data.scalar.length;
	const char *v = (const char *)ev->data.scalar.value;

	if (len > yp->lim->max_scalar)
		return pki_err_set(yp->err, PKI_E_LIMIT,
			"%s: line %u: a value longer than %zu bytes", yp->name, ev_line(ev),
			yp->lim->max_scalar);
	if (memchr(v, '\0', len) != NULL)
		return pki_err_set(yp->err, PKI_E_PARSE, "%s: line %u: a value holds a NUL byte",
			yp->name, ev_line(ev));
	n = new_node(yp, PKI_Y_SCALAR, ev_line(ev));
	if (n == NULL)
		return -1;
	n->str = pki_strndup(v, len, yp->err);
	if (n->str == NULL) {
		free(n);
		return -1;
	}
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	*out = n;
	return 0;
}

static int
push_child(struct pki_ynode *parent, size_t *cap, struct pki_ynode *key,
	struct pki_ynode *item, struct pki_err *err)
{
	size_t kcap = *cap;

	if (pki_grow((void **)&parent->items, cap, parent->n + 1, sizeof(*parent->items),
		    err) != 0)
		return -1;
	if (parent->type == PKI_Y_MAP &&
	    pki_grow((void **)&parent->keys, &kcap, parent->n + 1, sizeof(*parent->keys),
		    err) != 0)
		return -1;
	if (parent->type == PKI_Y_MAP)
		parent->keys[parent->n] = key;
	parent->items[parent->n++] = item;
	return 0;
}

static int
collection_node(struct yparse *yp, yaml_event_t *ev, unsigned depth,
	struct pki_ynode **out)
{
	enum pki_ytype type = ev->type == YAML_SEQUENCE_START_EVENT ? PKI_Y_SEQ : PKI_Y_MAP;
	yaml_event_type_t end = type == PKI_Y_SEQ ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT;
	struct pki_ynode *n, *key = NULL, *item = NULL;
	size_t cap = 0;
	yaml_event_t cev;

	if (depth >= yp->lim->max_depth)
		return pki_err_set(yp->err, PKI_E_LIMIT, "%s: line %u: nested deeper than %u levels",
			yp->name, ev_line(ev), yp->lim->max_depth);
	n = new_node(yp, type, ev_line(ev));
	if (n == NULL)
		return -1;
	for (;;) {
		if (next_event(yp, &cev) != 0)
			goto fail;
		if (cev.type == end) {
			yaml_event_delete(&cev);
			break;
		}
		if (type == PKI_Y_MAP) {
			if (cev.type != YAML_SCALAR_EVENT) {
				pki_err_set(yp->err, PKI_E_PARSE,
					"%s: line %u: a mapping key must be a plain value",
					yp->name, ev_line(&cev));
				yaml_event_delete(&cev);
				goto fail;
			}
			if (parse_node(yp, &cev, depth + 1, &key) != 0)
				goto fail;
			if (pki_ymap_get(n, key->str) != NULL) {
				char clean[128];

				pki_text_sanitize(key->str, clean, sizeof(clean));
				pki_err_set(yp->err, PKI_E_PARSE, "%s: line %u: duplicate key '%s'",
					yp->name, key->line, clean);
				goto fail;
			}
			if (next_event(yp, &cev) != 0)
				goto fail;
		}
		if (parse_node(yp, &cev, depth + 1, &item) != 0)
			goto fail;
		/* duplicate keys are found by a linear scan: keep it cheap */
		if (n->n >= PKI_YAML_MAX_ITEMS) {
			pki_err_set(yp->err, PKI_E_LIMIT, "%s: line %u: more than %d entries in one %s",
				yp->name, item->line, PKI_YAML_MAX_ITEMS,
				type == PKI_Y_MAP ? "mapping" : "list");
			goto fail;
		}
		if (push_child(n, &cap, key, item, yp->err) != 0)
			goto fail;
		key = item = NULL;
	}
	*out = n;
	return 0;
fail:
	pki_ynode_free(key);
	pki_ynode_free(item);
	pki_ynode_free(n);
	return -1;
}

/* Consumes ev (already read) and whatever belongs to the node it starts. */
static int
parse_node(struct yparse *yp, yaml_event_t *ev, unsigned depth, struct pki_ynode **out)
{
	int r;

	*out = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		r = scalar_node(yp, ev, out);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		r = collection_node(yp, ev, depth, out);
		break;
	case YAML_ALIAS_EVENT:
		r = pki_err_set(yp->err, PKI_E_PARSE,
			"%s: line %u: YAML aliases are not allowed", yp->name, ev_line(ev));
		break;
	default:
		r = pki_err_set(yp->err, PKI_E_PARSE, "%s: line %u: unexpected YAML structure",
			yp->name, ev_line(ev));
	}
	wipe_event(ev);
	return r;
}

int
pki_yaml_parse(const unsigned char *data, size_t len, const char *name,
	const struct pki_ylimits *lim, struct pki_ynode ***docs, size_t *ndocs,
	struct pki_err *err)
{
	struct yparse yp;
	struct pki_ynode **v = NULL, *root = NULL;
	size_t n = 0, cap = 0;
	yaml_event_t ev;
	int ret = -1, done = 0;

	*docs = NULL;
	*ndocs = 0;
	memset(&yp, 0, sizeof(yp));
	yp.name = name;
	yp.lim = lim ? lim : &pki_ylimits_default;
	yp.err = err;
	if (!yaml_parser_initialize(&yp.parser))
		return pki_err_nomem(err);
	yaml_parser_set_input_string(&yp.parser, data, len);
	while (!done) {
		if (next_event(&yp, &ev) != 0)
			goto out;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			/* FALLTHROUGH */
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			yaml_event_delete(&ev);
			break;
		case YAML_DOCUMENT_START_EVENT:
			yaml_event_delete(&ev);
			if (n >= yp.lim->max_docs) {
				pki_err_set(err, PKI_E_LIMIT, "%s: more than %zu YAML documents",
					name, yp.lim->max_docs);
				goto out;
			}
			if (next_event(&yp, &ev) != 0)
				goto out;
			if (ev.type == YAML_DOCUMENT_END_EVENT) {
				/* an empty document is a null scalar */
				yaml_event_delete(&ev);
				root = new_node(&yp, PKI_Y_SCALAR, 1);
				if (root == NULL || (root->str = pki_strdup("", err)) == NULL)
					goto out;
				root->plain = 1;
			} else if (parse_node(&yp, &ev, 0, &root) != 0) {
				goto out;
			}
			if (pki_grow((void **)&v, &cap, n + 1, sizeof(*v), err) != 0)
				goto out;
			v[n++] = root;
			root = NULL;
			break;
		default:
			pki_err_set(err, PKI_E_PARSE, "%s: line %u: unexpected YAML structure",
				name, ev_line(&ev));
			yaml_event_delete(&ev);
			goto out;
		}
	}
	*docs = v;
	*ndocs = n;
	v = NULL;
	ret = 0;
out:
	pki_ynode_free(root);
	pki_ydocs_free(v, n);
	wipe_parser(&yp.parser);
	return ret;
}

const struct pki_ynode *
pki_ymap_get(const struct pki_ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != PKI_Y_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->str, key) == 0)
			return map->items[i];
	return NULL;
}

int
pki_ynode_is_null(const struct pki_ynode *node)
{
	if (node == NULL)
		return 1;
	if (node->type != PKI_Y_SCALAR || !node->plain)
		return 0;
	return node->len == 0 || strcmp(node->str, "~") == 0 ||
		strcmp(node->str, "null") == 0 || strcmp(node->str, "Null") == 0 ||
		strcmp(node->str, "NULL") == 0;
}

int
pki_ymap_check_keys(const struct pki_ynode *map, const char *const *allowed,
	const char *name, const char *where, struct pki_err *err)
{
	size_t i, j;

	for (i = 0; i < map->n; i++) {
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(map->keys[i]->str, allowed[j]) == 0)
				break;
		if (allowed[j] == NULL) {
			char clean[128];

			pki_text_sanitize(map->keys[i]->str, clean, sizeof(clean));
			return pki_err_set(err, PKI_E_PARSE, "%s: line %u: unknown key '%s' in %s",
				name, map->keys[i]->line, clean, where);
		}
	}
	return 0;
}

static const char *
type_name(enum pki_ytype t)
{
	return t == PKI_Y_SCALAR ? "a value" : t == PKI_Y_SEQ ? "a list" : "a mapping";
}

static int
yget(const struct pki_ynode *map, const char *key, int required, const char *name,
	enum pki_ytype want, const struct pki_ynode **out, struct pki_err *err)
{
	const struct pki_ynode *n = pki_ymap_get(map, key);

	if (n == NULL || (want != PKI_Y_SCALAR && pki_ynode_is_null(n))) {
		if (required)
			return pki_err_set(err, PKI_E_PARSE, "%s: line %u: missing '%s'", name,
				map ? map->line : 0, key);
		return 0;
	}
	if (n->type != want)
		return pki_err_set(err, PKI_E_PARSE, "%s: line %u: '%s' must be %s, not %s",
			name, n->line, key, type_name(want), type_name(n->type));
	*out = n;
	return 0;
}

int
pki_yget_str(const struct pki_ynode *map, const char *key, int required,
	const char *name, const char **out, struct pki_err *err)
{
	const struct pki_ynode *n = NULL;

	if (yget(map, key, required, name, PKI_Y_SCALAR, &n, err) != 0)
		return -1;
	if (n != NULL) {
		if (!pki_text_is_clean(n->str, n->len, 0))
			return pki_err_set(err, PKI_E_PARSE,
				"%s: line %u: '%s' holds control characters or invalid UTF-8",
				name, n->line, key);
		*out = n->str;
	}
	return 0;
}

int
pki_yget_bool(const struct pki_ynode *map, const char *key, int required,
	const char *name, int *out, struct pki_err *err)
{
	const struct pki_ynode *n = NULL;

	if (yget(map, key, required, name, PKI_Y_SCALAR, &n, err) != 0)
		return -1;
	if (n == NULL)
		return 0;
	if (n->plain && strcmp(n->str, "true") == 0)
		*out = 1;
	else if (n->plain && strcmp(n->str, "false") == 0)
		*out = 0;
	else
		return pki_err_set(err, PKI_E_PARSE, "%s: line %u: '%s' must be true or false",
			name, n->line, key);
	return 0;
}

int
pki_yget_seq(const struct pki_ynode *map, const char *key, int required,
	const char *name, const struct pki_ynode **out, struct pki_err *err)
{
	return yget(map, key, required, name, PKI_Y_SEQ, out, err);
}

int
pki_yget_map(const struct pki_ynode *map, const char *key, int required,
	const char *name, const struct pki_ynode **out, struct pki_err *err)
{
	return yget(map, key, required, name, PKI_Y_MAP, out, err);
}
