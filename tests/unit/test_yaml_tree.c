/* Unit tests for yaml_tree.c: YAML into bounded trees with positions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case/yaml_tree.h"

static struct ydoc_list docs;

static void docs_fini(void)
{
	ydoc_list_free(&docs);
}

static int parse(const char *text)
{
	return yaml_tree_parse(text, strlen(text), &docs);
}

static void assert_scalar(const struct ynode *n, const char *value, int line, int column)
{
	cr_assert_not_null(n);
	cr_assert_eq(n->kind, YNODE_SCALAR);
	cr_assert_eq(n->len, strlen(value), "len of '%s'", value);
	cr_assert_str_eq(n->value, value);
	cr_assert_eq(n->line, line, "line of '%s'", value);
	cr_assert_eq(n->column, column, "column of '%s'", value);
}

/* "[[[ ... ]]]" with depth brackets, after a "k: " prefix when mapped. */
static char *nested_lists(int depth, bool mapped)
{
	size_t len = (size_t)depth * 2 + 8;
	char *text = malloc(len);
	cr_assert_not_null(text);
	size_t at = 0;
	if (mapped)
		at += (size_t)sprintf(text, "k: ");
	memset(text + at, '[', (size_t)depth);
	memset(text + at + depth, ']', (size_t)depth);
	text[at + 2 * (size_t)depth] = '\n';
	text[at + 2 * (size_t)depth + 1] = '\0';
	return text;
}

TestSuite(yaml_tree, .fini = docs_fini);

Test(yaml_tree, nodes_know_their_line_and_column)
{
	cr_assert_eq(parse("a: 1\n"
			   "b:\n"
			   "  - x\n"
			   "  -   'y'\n"
			   "c: {d: [e, f]}\n"),
		     0);
	cr_assert_eq(docs.count, 1u);
	cr_assert_eq(docs.docs[0].line, 1);
	const struct ynode *root = docs.docs[0].root;
	cr_assert_eq(root->kind, YNODE_MAPPING);
	cr_assert_eq(root->line, 1);
	cr_assert_eq(root->column, 1);
	cr_assert_eq(root->count, 6u, "keys and values alternate");
	assert_scalar(root->items[0], "a", 1, 1);
	assert_scalar(root->items[1], "1", 1, 4);
	assert_scalar(root->items[2], "b", 2, 1);
	const struct ynode *seq = root->items[3];
	cr_assert_eq(seq->kind, YNODE_SEQUENCE);
	cr_assert_eq(seq->line, 3);
	cr_assert_eq(seq->column, 3);
	cr_assert_eq(seq->count, 2u);
	assert_scalar(seq->items[0], "x", 3, 5);
	assert_scalar(seq->items[1], "y", 4, 7);
	const struct ynode *flow = root->items[5];
	cr_assert_eq(flow->kind, YNODE_MAPPING);
	cr_assert_eq(flow->line, 5);
	cr_assert_eq(flow->column, 4);
	const struct ynode *inner = ynode_get(flow, "d");
	cr_assert_eq(inner->kind, YNODE_SEQUENCE);
	cr_assert_eq(inner->column, 8);
	assert_scalar(inner->items[1], "f", 5, 12);
}

Test(yaml_tree, quoted_and_block_flags)
{
	cr_assert_eq(parse("plain: 12\n"
			   "single: '12'\n"
			   "double: \"12\"\n"
			   "literal: |\n"
			   "  one\n"
			   "  two\n"
			   "folded: >\n"
			   "  one\n"
			   "  two\n"),
		     0);
	const struct ynode *root = docs.docs[0].root;
	const struct ynode *n = ynode_get(root, "plain");
	cr_assert_not(n->quoted);
	cr_assert_not(n->block);
	n = ynode_get(root, "single");
	cr_assert(n->quoted);
	cr_assert_not(n->block);
	cr_assert_str_eq(n->value, "12");
	n = ynode_get(root, "double");
	cr_assert(n->quoted);
	cr_assert_not(n->block);
	n = ynode_get(root, "literal");
	cr_assert(n->quoted, "a block is always a string");
	cr_assert(n->block);
	cr_assert_str_eq(n->value, "one\ntwo\n");
	cr_assert_eq(n->line, 4, "a block scalar starts at its indicator");
	n = ynode_get(root, "folded");
	cr_assert(n->quoted);
	cr_assert(n->block);
	cr_assert_str_eq(n->value, "one two\n");
}

Test(yaml_tree, nul_in_double_quoted_string_is_kept_with_len)
{
	cr_assert_eq(parse("s: \"a\\0b\\x00\"\n"), 0);
	const struct ynode *n = ynode_get(docs.docs[0].root, "s");
	cr_assert_not_null(n);
	cr_assert_eq(n->len, 4u);
	cr_assert_eq(memcmp(n->value, "a\0b\0", 5), 0, "bytes and the terminator");
	cr_assert_eq(strlen(n->value), 1u, "C string view stops at the NUL: callers must use len");
}

Test(yaml_tree, utf8_scalars_keep_their_bytes)
{
	cr_assert_eq(parse("s: \"\\u00e9\"\n"), 0);
	const struct ynode *n = ynode_get(docs.docs[0].root, "s");
	cr_assert_eq(n->len, 2u);
	cr_assert_eq((unsigned char)n->value[0], 0xc3);
	cr_assert_eq((unsigned char)n->value[1], 0xa9);
}

Test(yaml_tree, ynode_get_finds_keys_only)
{
	cr_assert_eq(parse("name: value\nother: name\nempty: ''\n"), 0);
	const struct ynode *root = docs.docs[0].root;
	assert_scalar(ynode_get(root, "name"), "value", 1, 7);
	assert_scalar(ynode_get(root, "other"), "name", 2, 8);
	cr_assert_eq(ynode_get(root, "empty")->len, 0u);
	cr_assert_null(ynode_get(root, "value"), "values are not keys");
	cr_assert_null(ynode_get(root, "nam"));
	cr_assert_null(ynode_get(root, "names"));
	cr_assert_null(ynode_get(root, ""));
	cr_assert_null(ynode_get(ynode_get(root, "name"), "name"), "a scalar has no keys");
	cr_assert_null(ynode_get(NULL, "name"));
}

Test(yaml_tree, ynode_get_on_a_list_is_null)
{
	cr_assert_eq(parse("[a, b, c, d]\n"), 0);
	cr_assert_null(ynode_get(docs.docs[0].root, "a"));
}

Test(yaml_tree, several_documents_with_their_lines)
{
	cr_assert_eq(parse("a: 1\n"
			   "---\n"
			   "b: 2\n"
			   "...\n"
			   "# comment\n"
			   "---\n"
			   "- c\n"),
		     0);
	cr_assert_eq(docs.count, 3u);
	cr_assert_eq(docs.docs[0].line, 1);
	cr_assert_eq(docs.docs[1].line, 2);
	cr_assert_eq(docs.docs[2].line, 6);
	cr_assert_eq(docs.docs[1].root->line, 3);
	cr_assert_eq(docs.docs[2].root->kind, YNODE_SEQUENCE);
	assert_scalar(docs.docs[2].root->items[0], "c", 7, 3);
}

Test(yaml_tree, empty_text_has_no_documents)
{
	cr_assert_eq(parse(""), 0);
	cr_assert_eq(docs.count, 0u);
	cr_assert_eq(parse("# just a comment\n\n"), 0);
	cr_assert_eq(docs.count, 0u);
	cr_assert_str_eq(docs.error, "");
}

Test(yaml_tree, syntax_error_keeps_earlier_documents)
{
	cr_assert_eq(parse("a: 1\n"
			   "---\n"
			   "b: [1, 2\n"
			   "c: 3\n"),
		     -1);
	cr_assert_eq(docs.count, 1u, "the good document is kept");
	assert_scalar(docs.docs[0].root->items[0], "a", 1, 1);
	cr_assert_eq(strncmp(docs.error, "invalid YAML: ", 14), 0, "%s", docs.error);
	cr_assert_eq(docs.error_line, 4);
}

Test(yaml_tree, mapping_value_error_position)
{
	cr_assert_eq(parse("a: 1\nb: c: d\n"), -1);
	cr_assert_eq(docs.count, 0u);
	cr_assert_str_eq(docs.error, "invalid YAML: mapping values are not allowed in this context");
	cr_assert_eq(docs.error_line, 2);
	cr_assert_eq(docs.error_column, 5);
}

Test(yaml_tree, duplicate_keys_are_refused)
{
	cr_assert_eq(parse("a: 1\nb: 2\n  # x\na: 3\n"), 0, "refused documents are kept with their error");
	cr_assert_str_eq(docs.docs[0].error, "duplicate key 'a' (first at line 1)");
	cr_assert_eq(docs.docs[0].error_line, 4);
	cr_assert_eq(docs.docs[0].error_column, 1);
}

Test(yaml_tree, duplicate_keys_in_nested_flow_mapping)
{
	cr_assert_eq(parse("x:\n  y: {p: 1, q: 2, p: 3}\n"), 0, "refused documents are kept with their error");
	cr_assert_str_eq(docs.docs[0].error, "duplicate key 'p' (first at line 2)");
	cr_assert_eq(docs.docs[0].error_line, 2);
	cr_assert_eq(docs.docs[0].error_column, 19);
}

Test(yaml_tree, same_key_in_different_mappings_is_fine)
{
	cr_assert_eq(parse("a: {k: 1}\nb: {k: 2}\n"), 0);
}

Test(yaml_tree, quoted_key_equals_plain_key)
{
	cr_assert_eq(parse("a: 1\n'a': 2\n"), 0, "refused documents are kept with their error");
	cr_assert_eq(strncmp(docs.docs[0].error, "duplicate key 'a'", 17), 0);
}

Test(yaml_tree, aliases_are_refused)
{
	cr_assert_eq(parse("a: &x 1\nb: *x\n"), 0, "refused documents are kept with their error");
	cr_assert_str_eq(docs.docs[0].error, "aliases (*name) are not supported in case files");
	cr_assert_eq(docs.docs[0].error_line, 2);
	cr_assert_eq(docs.docs[0].error_column, 4);
}

Test(yaml_tree, alias_bomb_is_refused)
{
	cr_assert_eq(parse("a: &a [x, x, x, x, x, x, x, x, x]\n"
			   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"),
		     0, "refused documents are kept with their error");
	cr_assert_eq(docs.docs[0].error_line, 2);
	cr_assert_eq(docs.docs[0].error_column, 8);
}

Test(yaml_tree, complex_keys_are_refused)
{
	cr_assert_eq(parse("? [a, b]\n: 1\n"), 0, "refused documents are kept with their error");
	cr_assert_str_eq(docs.docs[0].error, "mapping keys must be plain names");
	cr_assert_eq(docs.docs[0].error_line, 1);
	cr_assert_eq(docs.docs[0].error_column, 3);
}

Test(yaml_tree, nesting_up_to_the_limit_is_read)
{
	char *text = nested_lists(YAML_TREE_MAX_DEPTH, false);
	int rc = parse(text);
	free(text);
	cr_assert_eq(rc, 0, "%s", docs.error);
	const struct ynode *n = docs.docs[0].root;
	for (int depth = 1; depth < YAML_TREE_MAX_DEPTH; depth++) {
		cr_assert_eq(n->kind, YNODE_SEQUENCE);
		cr_assert_eq(n->column, depth);
		cr_assert_eq(n->count, 1u);
		n = n->items[0];
	}
	cr_assert_eq(n->count, 0u);
}

Test(yaml_tree, nesting_beyond_the_limit_is_refused)
{
	char *text = nested_lists(YAML_TREE_MAX_DEPTH + 1, false);
	int rc = parse(text);
	free(text);
	cr_assert_eq(rc, -1);
	cr_assert_str_eq(docs.error, "nesting deeper than 32 levels");
	cr_assert_eq(docs.error_line, 1);
	cr_assert_eq(docs.error_column, YAML_TREE_MAX_DEPTH + 1);
}

Test(yaml_tree, very_deep_nesting_is_refused_without_crash)
{
	char *text = nested_lists(100000, true);
	int rc = parse(text);
	free(text);
	cr_assert_eq(rc, -1);
	cr_assert_eq(docs.count, 0u);
	cr_assert_str_eq(docs.error, "nesting deeper than 32 levels");
	cr_assert_eq(docs.error_column, 4 + YAML_TREE_MAX_DEPTH - 1, "the 33rd level, under the mapping");
}

/* "[0,0,...]" with items zeros: items + 1 nodes. */
static char *flat_list(size_t items)
{
	char *text = malloc(items * 2 + 3);
	cr_assert_not_null(text);
	text[0] = '[';
	for (size_t i = 0; i < items; i++) {
		text[1 + 2 * i] = '0';
		text[2 + 2 * i] = ',';
	}
	text[items * 2] = ']'; /* replaces the last comma */
	text[items * 2 + 1] = '\n';
	text[items * 2 + 2] = '\0';
	return text;
}

Test(yaml_tree, node_count_is_bounded)
{
	char *text = flat_list(YAML_TREE_MAX_NODES - 1);
	int rc = parse(text);
	free(text);
	cr_assert_eq(rc, 0, "%s", docs.error);
	cr_assert_eq(docs.docs[0].root->count, (size_t)YAML_TREE_MAX_NODES - 1);
	ydoc_list_free(&docs);

	text = flat_list(YAML_TREE_MAX_NODES);
	rc = parse(text);
	free(text);
	cr_assert_eq(rc, -1);
	cr_assert_str_eq(docs.error, "file too large (more than 100000 YAML nodes)");
	cr_assert_eq(docs.count, 0u);
}

Test(yaml_tree, node_count_spans_documents)
{
	/* Half the limit in each of three documents: the third goes over. */
	size_t half = YAML_TREE_MAX_NODES / 2;
	char *list = flat_list(half - 1);
	size_t one = strlen(list);
	char *text = malloc(3 * (one + 4) + 1);
	cr_assert_not_null(text);
	text[0] = '\0';
	for (int i = 0; i < 3; i++) {
		strcat(text, "---\n");
		strcat(text, list);
	}
	free(list);
	int rc = parse(text);
	free(text);
	cr_assert_eq(rc, -1, "the bound is on the whole text, not each document");
	cr_assert_eq(docs.count, 2u);
	cr_assert_neq(docs.error[0], '\0');
}

Test(yaml_tree, invalid_utf8_is_an_error_not_a_crash)
{
	const char text[] = "a: \xff\xfe\n";
	cr_assert_eq(yaml_tree_parse(text, sizeof(text) - 1, &docs), -1);
	cr_assert_eq(strncmp(docs.error, "invalid YAML: ", 14), 0, "%s", docs.error);
}

Test(yaml_tree, text_is_read_up_to_len_only)
{
	const char text[] = "a: 1\nb: [";
	cr_assert_eq(yaml_tree_parse(text, 5, &docs), 0);
	cr_assert_eq(docs.count, 1u);
	cr_assert_eq(docs.docs[0].root->count, 2u);
}

Test(yaml_tree, documents_after_a_refused_one_are_read)
{
	cr_assert_eq(parse("a: 1\n---\nb: *x\n---\nc: 3\n"), 0);
	cr_assert_eq(docs.count, 3);
	cr_assert_eq(docs.docs[0].error[0], '\0');
	cr_assert_str_eq(docs.docs[1].error, "aliases (*name) are not supported in case files");
	cr_assert_null(docs.docs[1].root);
	cr_assert_eq(docs.docs[2].error[0], '\0');
	cr_assert_not_null(ynode_get(docs.docs[2].root, "c"));
}
