/* yaml_tree: reads YAML text into small trees of scalars, sequences and
 * mappings, one per document, each node knowing its line and column.
 * Bounded for untrusted input: depth, node count, no aliases, no duplicate
 * keys; an error names line and column. A document refused for these
 * reasons is kept with its error and the next ones are still read; only a
 * YAML syntax error ends the reading. */
#ifndef KVMCHECK_YAML_TREE_H
#define KVMCHECK_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#define YAML_TREE_MAX_DEPTH 32
#define YAML_TREE_MAX_NODES 100000

enum ynode_kind { YNODE_SCALAR, YNODE_SEQUENCE, YNODE_MAPPING };

struct ynode {
	enum ynode_kind kind;
	int line;          /* 1-based */
	int column;        /* 1-based */
	/* scalars */
	char *value;       /* NUL-terminated, but may hold NULs: use len */
	size_t len;
	bool quoted;       /* written in quotes or as a block: always a string */
	bool block;        /* | or >: the text starts on the next line */
	/* sequences: items; mappings: keys and values alternate */
	struct ynode **items;
	size_t count;
};

struct ydoc {
	struct ynode *root;   /* NULL for an empty document, or one refused */
	int line;             /* where the document starts */
	char error[256];      /* set when the document was refused: the cause */
	int error_line;
	int error_column;
};

struct ydoc_list {
	struct ydoc *docs;
	size_t count;
	char error[256];      /* set when reading stopped early: the cause */
	int error_line;
	int error_column;
};

/* Reads every document of text into list. Documents before a syntax
 * error are kept. Returns 0 when the whole text was read, -1 when
 * list->error says why not. */
int yaml_tree_parse(const char *text, size_t len, struct ydoc_list *list);

void ydoc_list_free(struct ydoc_list *list);

/* For mappings: the value of key, or NULL. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);

#endif
