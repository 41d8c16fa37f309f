#include "case/yaml_tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct builder {
	yaml_parser_t parser;
	struct ydoc_list *list;
	size_t nodes;
	/* the first problem of the current document */
	char error[256];
	int error_line;
	int error_column;
	bool fatal;           /* a syntax error, or a document too deep or large to read on */
};

static void tree_free(struct ynode *node)
{
	if (!node)
		return;
	for (size_t i = 0; i < node->count; i++)
		tree_free(node->items[i]);
	free(node->items);
	free(node->value);
	free(node);
}

static int builder_fail(struct builder *b, int line, int column, const char *cause)
{
	if (!b->error[0]) {
		snprintf(b->error, sizeof(b->error), "%s", cause);
		b->error_line = line;
		b->error_column = column;
	}
	return -1;
}

static int builder_fail_at(struct builder *b, yaml_mark_t mark, const char *cause)
{
	return builder_fail(b, (int)mark.line + 1, (int)mark.column + 1, cause);
}

static int builder_parser_error(struct builder *b)
{
	yaml_parser_t *p = &b->parser;
	yaml_mark_t mark = p->problem ? p->problem_mark : p->context_mark;
	char cause[200];
	snprintf(cause, sizeof(cause), "invalid YAML: %s%s%s", p->problem ? p->problem : "syntax error",
		 p->context ? " " : "", p->context ? p->context : "");
	b->fatal = true;
	b->error[0] = '\0'; /* the syntax error is what the user must see */
	return builder_fail_at(b, mark, cause);
}

static int builder_next(struct builder *b, yaml_event_t *event)
{
	if (!yaml_parser_parse(&b->parser, event))
		return builder_parser_error(b);
	return 0;
}

static struct ynode *node_new(struct builder *b, enum ynode_kind kind, yaml_mark_t mark)
{
	if (++b->nodes > YAML_TREE_MAX_NODES) {
		b->fatal = true;
		builder_fail_at(b, mark, "file too large (more than 100000 YAML nodes)");
		return NULL;
	}
	struct ynode *node = calloc(1, sizeof(*node));
	if (!node) {
		builder_fail_at(b, mark, "out of memory");
		return NULL;
	}
	node->kind = kind;
	node->line = (int)mark.line + 1;
	node->column = (int)mark.column + 1;
	return node;
}

static int node_add(struct builder *b, struct ynode *parent, struct ynode *child)
{
	struct ynode **items = realloc(parent->items, (parent->count + 1) * sizeof(*items));
	if (!items)
		return builder_fail(b, child->line, child->column, "out of memory");
	parent->items = items;
	items[parent->count++] = child;
	return 0;
}

static struct ynode *node_scalar(struct builder *b, const yaml_event_t *event)
{
	struct ynode *node = node_new(b, YNODE_SCALAR, event->start_mark);
	if (!node)
		return NULL;
	size_t len = event->data.scalar.length;
	node->value = malloc(len + 1);
	if (!node->value) {
		free(node);
		builder_fail_at(b, event->start_mark, "out of memory");
		return NULL;
	}
	memcpy(node->value, event->data.scalar.value, len);
	node->value[len] = '\0';
	node->len = len;
	yaml_scalar_style_t style = event->data.scalar.style;
	node->block = style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE;
	node->quoted = style != YAML_PLAIN_SCALAR_STYLE;
	return node;
}

static bool scalar_equal(const struct ynode *a, const struct ynode *b)
{
	return a->kind == YNODE_SCALAR && b->kind == YNODE_SCALAR && a->len == b->len &&
	       memcmp(a->value, b->value, a->len) == 0;
}

static int mapping_check_key(struct builder *b, const struct ynode *map, const struct ynode *key)
{
	if (key->kind != YNODE_SCALAR)
		return builder_fail(b, key->line, key->column, "mapping keys must be plain names");
	for (size_t i = 0; i < map->count; i += 2) {
		if (scalar_equal(map->items[i], key)) {
			char cause[160];
			snprintf(cause, sizeof(cause), "duplicate key '%.80s' (first at line %d)", key->value,
				 map->items[i]->line);
			return builder_fail(b, key->line, key->column, cause);
		}
	}
	return 0;
}

static struct ynode *node_parse(struct builder *b, yaml_event_t *event, int depth);

/* Reads the children of a sequence or mapping up to its end event. */
static int node_parse_children(struct builder *b, struct ynode *parent, int depth)
{
	yaml_event_type_t end = parent->kind == YNODE_MAPPING ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
	for (;;) {
		yaml_event_t event;
		if (builder_next(b, &event) < 0)
			return -1;
		if (event.type == end) {
			yaml_event_delete(&event);
			return 0;
		}
		struct ynode *child = node_parse(b, &event, depth + 1);
		yaml_event_delete(&event);
		if (!child)
			return -1;
		bool is_key = parent->kind == YNODE_MAPPING && parent->count % 2 == 0;
		if ((is_key && mapping_check_key(b, parent, child) < 0) || node_add(b, parent, child) < 0) {
			tree_free(child);
			return -1;
		}
	}
}

static struct ynode *node_parse(struct builder *b, yaml_event_t *event, int depth)
{
	if (depth > YAML_TREE_MAX_DEPTH) {
		/* libyaml takes time quadratic in the depth to read on: stop here */
		b->fatal = true;
		builder_fail_at(b, event->start_mark, "nesting deeper than 32 levels");
		return NULL;
	}
	switch (event->type) {
	case YAML_SCALAR_EVENT:
		return node_scalar(b, event);
	case YAML_ALIAS_EVENT:
		builder_fail_at(b, event->start_mark, "aliases (*name) are not supported in case files");
		return NULL;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		enum ynode_kind kind = event->type == YAML_MAPPING_START_EVENT ? YNODE_MAPPING : YNODE_SEQUENCE;
		struct ynode *node = node_new(b, kind, event->start_mark);
		if (node && node_parse_children(b, node, depth) < 0) {
			tree_free(node);
			return NULL;
		}
		return node;
	}
	default:
		builder_fail_at(b, event->start_mark, "unexpected YAML event");
		return NULL;
	}
}

static int docs_add(struct builder *b, struct ynode *root, int line)
{
	struct ydoc_list *list = b->list;
	struct ydoc *docs = realloc(list->docs, (list->count + 1) * sizeof(*docs));
	if (!docs) {
		tree_free(root);
		b->fatal = true; /* nothing more can be kept either */
		return builder_fail(b, line, 1, "out of memory");
	}
	list->docs = docs;
	struct ydoc *doc = &docs[list->count++];
	*doc = (struct ydoc){ .root = root, .line = line };
	if (b->error[0]) {
		snprintf(doc->error, sizeof(doc->error), "%s", b->error);
		doc->error_line = b->error_line;
		doc->error_column = b->error_column;
		b->error[0] = '\0';
	}
	return 0;
}

/* After a refused node, the rest of its document is read and dropped: only
 * a document end is certain to stand at the top level. */
static int document_skip(struct builder *b)
{
	for (;;) {
		yaml_event_t event;
		if (builder_next(b, &event) < 0)
			return -1;
		yaml_event_type_t type = event.type;
		yaml_event_delete(&event);
		if (type == YAML_DOCUMENT_END_EVENT)
			return 0;
	}
}

/* Reads one document after its start event, up to and including its end. */
static int document_parse(struct builder *b, int line)
{
	struct ynode *root = NULL;
	for (;;) {
		yaml_event_t event;
		if (builder_next(b, &event) < 0) {
			tree_free(root);
			return -1;
		}
		if (event.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&event);
			return docs_add(b, root, line);
		}
		root = node_parse(b, &event, 1);
		yaml_event_delete(&event);
		if (!root)
			return b->fatal || document_skip(b) < 0 ? -1 : docs_add(b, NULL, line);
	}
}

static int stream_parse(struct builder *b)
{
	for (;;) {
		yaml_event_t event;
		if (builder_next(b, &event) < 0)
			return -1;
		yaml_event_type_t type = event.type;
		int line = (int)event.start_mark.line + 1;
		yaml_event_delete(&event);
		if (type == YAML_STREAM_END_EVENT)
			return 0;
		if (type == YAML_DOCUMENT_START_EVENT && document_parse(b, line) < 0)
			return -1;
	}
}

int yaml_tree_parse(const char *text, size_t len, struct ydoc_list *list)
{
	struct builder b = { .list = list };
	memset(list, 0, sizeof(*list));
	if (!yaml_parser_initialize(&b.parser)) {
		snprintf(list->error, sizeof(list->error), "out of memory");
		list->error_line = list->error_column = 1;
		return -1;
	}
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
	int rc = stream_parse(&b);
	yaml_parser_delete(&b.parser);
	if (rc < 0) {
		snprintf(list->error, sizeof(list->error), "%s", b.error);
		list->error_line = b.error_line;
		list->error_column = b.error_column;
	}
	return rc;
}

void ydoc_list_free(struct ydoc_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		tree_free(list->docs[i].root);
	free(list->docs);
	list->docs = NULL;
	list->count = 0;
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAPPING)
		return NULL;
	size_t key_len = strlen(key);
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		const struct ynode *k = map->items[i];
		if (k->len == key_len && memcmp(k->value, key, key_len) == 0)
			return map->items[i + 1];
	}
	return NULL;
}
