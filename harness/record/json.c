/* The results record as JSON, through jansson. Bytes from outside (output,
 * names, messages) are a JSON string when they are valid UTF-8, else
 * {"base64": "..."}; either way they read back exactly. */
#include "record/record.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/base64.h"
#include "core/strfmt.h"
#define RECORD_FORMAT "kvmcheck-results"
#define RECORD_FORMAT_VERSION 1

/* ---- base64 (RFC 4648, padded) ---- */

static int b64_value(char c)
{
	const char *at = c ? strchr(base64_alphabet, c) : NULL;
	return at ? (int)(at - base64_alphabet) : -1;
}

/* Decodes text into out; -1 when it is not padded base64. */
static int b64_decode(const char *text, size_t len, struct bytes *out)
{
	if (len % 4)
		return -1;
	uint8_t *data = malloc(len / 4 * 3 + 1);
	if (!data)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < len; i += 4) {
		int pad = (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=');
		int v[4];
		for (int k = 0; k < 4; k++)
			v[k] = k >= 4 - pad ? 0 : b64_value(text[i + k]);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 || (pad && i + 4 != len)) {
			free(data);
			return -1;
		}
		uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		data[n++] = (uint8_t)(bits >> 16);
		if (pad < 2)
			data[n++] = (uint8_t)(bits >> 8);
		if (pad < 1)
			data[n++] = (uint8_t)bits;
	}
	data[n] = '\0';
	bytes_free(out);
	*out = (struct bytes){ .data = data, .len = n, .cap = len / 4 * 3 + 1 };
	return 0;
}

/* ---- writing ---- */

static json_t *json_bytes(const void *data, size_t len)
{
	json_t *s = json_stringn(len ? data : "", len);
	if (s)
		return s;
	/* Not UTF-8: base64 keeps every byte. */
	char *encoded = base64_encode(data, len);
	json_t *o = encoded ? json_pack("{s:s}", "base64", encoded) : NULL;
	free(encoded);
	return o;
}

static json_t *json_text(const char *s)
{
	return s ? json_bytes(s, strlen(s)) : json_null();
}

static json_t *json_u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* json_object_set_new takes the value even when it fails. */
static int put(json_t *obj, const char *key, json_t *value)
{
	return value && json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

static json_t *check_to_json(const struct check *c)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	const struct check_kind_info *info = check_kind_info(c->kind);
	if (put(o, "kind", json_string(info ? info->name : "?")) < 0 || put(o, "label", json_text(c->label)) < 0 ||
	    put(o, "expected", json_bytes(c->expected.data, c->expected.len)) < 0 ||
	    put(o, "actual", json_bytes(c->actual.data, c->actual.len)) < 0 ||
	    put(o, "actual_known", json_boolean(c->actual_known)) < 0 || put(o, "passed", json_boolean(c->passed)) < 0 ||
	    put(o, "first_difference", json_integer(c->first_difference)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *checks_to_json(const struct record_case *c)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < c->check_count; i++) {
		if (json_array_append_new(a, check_to_json(&c->checks[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *regs_to_json(const struct record_case *c)
{
	if (!c->regs_valid)
		return json_null();
	json_t *a = json_array();
	for (size_t i = 0; a && i < c->reg_count; i++) {
		const struct record_reg *r = &c->regs[i];
		if (json_array_append_new(a, json_pack("{s:s, s:i, s:I}", "name", r->name, "width", r->width,
						       "value", (json_int_t)r->value)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *times_to_json(const struct stage_times *t)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "assemble", (json_int_t)t->assemble_ns, "create",
			 (json_int_t)t->create_ns, "run", (json_int_t)t->run_ns, "teardown", (json_int_t)t->teardown_ns);
}

static json_t *tags_to_json(const struct record_case *c)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < c->tag_count; i++) {
		if (json_array_append_new(a, json_text(c->tags[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static int grading_to_json(json_t *o, const struct record_case *c)
{
	if (put(o, "points_max", json_real(c->points_max)) < 0 ||
	    put(o, "points_earned", json_real(c->points_earned)) < 0 || put(o, "hidden", json_boolean(c->hidden)) < 0 ||
	    put(o, "visibility", json_text(c->visibility)) < 0 || put(o, "tags", tags_to_json(c)) < 0)
		return -1;
	return 0;
}

/* Where the run stopped and the likely bug: only when known, so records
 * of passing runs read as before. */
static int feedback_to_json(json_t *o, const struct record_case *c)
{
	if (c->stopped_at && put(o, "stopped_at", json_text(c->stopped_at)) < 0)
		return -1;
	if (c->hint && put(o, "hint", json_text(c->hint)) < 0)
		return -1;
	if (c->stop_listing && put(o, "stop_listing", json_text(c->stop_listing)) < 0)
		return -1;
	if (c->last_instructions && put(o, "last_instructions", json_text(c->last_instructions)) < 0)
		return -1;
	return 0;
}

/* The case's metrics (README "Metrics"): the instruction count only when
 * it was counted. */
static int metrics_to_json(json_t *o, const struct record_case *c)
{
	if (put(o, "binary_size", json_u64(c->binary_size)) < 0 ||
	    put(o, "instructions_counted", json_boolean(c->instructions_counted)) < 0)
		return -1;
	if (c->leaderboard && put(o, "leaderboard", json_true()) < 0)
		return -1;
	return c->instructions_counted ? put(o, "instructions", json_u64(c->instructions)) : 0;
}

static json_t *case_to_json(const struct record_case *c)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (put(o, "file", json_text(c->file)) < 0 || put(o, "index", json_integer(c->index)) < 0 ||
	    put(o, "line", json_integer(c->line)) < 0 || put(o, "name", json_text(c->name)) < 0 ||
	    put(o, "outcome", json_string(outcome_name(c->outcome))) < 0 ||
	    put(o, "status", json_string(verdict_status_name(c->status))) < 0 ||
	    put(o, "reason", json_text(c->reason)) < 0 || put(o, "checks", checks_to_json(c)) < 0 ||
	    put(o, "exits", json_u64(c->exits)) < 0 || put(o, "backend", json_text(c->backend)) < 0 ||
	    put(o, "host_fault", json_boolean(c->host_fault)) < 0 || put(o, "message", json_text(c->message)) < 0 ||
	    put(o, "output", json_bytes(c->output.data, c->output.len)) < 0 ||
	    put(o, "exit_code", json_integer(c->exit_code)) < 0 ||
	    put(o, "console", json_bytes(c->console.data, c->console.len)) < 0 ||
	    put(o, "screen", json_bytes(c->screen.data, c->screen.len)) < 0 ||
	    put(o, "registers", regs_to_json(c)) < 0 || put(o, "times_ns", times_to_json(&c->times)) < 0 ||
	    grading_to_json(o, c) < 0 || metrics_to_json(o, c) < 0 || feedback_to_json(o, c) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *record_to_json(const struct record *rec)
{
	json_t *root = json_object();
	json_t *cases = json_array();
	if (!root || !cases || put(root, "format", json_string(RECORD_FORMAT)) < 0 ||
	    put(root, "format_version", json_integer(RECORD_FORMAT_VERSION)) < 0 ||
	    put(root, "kvmcheck", json_text(rec->version)) < 0 || put(root, "backend", json_text(rec->backend)) < 0 ||
	    put(root, "elapsed_ns", json_u64(rec->elapsed_ns)) < 0 ||
	    (rec->name && put(root, "name", json_text(rec->name)) < 0))
		goto fail;
	for (size_t i = 0; i < rec->count; i++) {
		if (json_array_append_new(cases, case_to_json(&rec->cases[i])) < 0)
			goto fail;
	}
	json_t *taken = cases;
	cases = NULL;
	if (put(root, "cases", taken) < 0)
		goto fail;
	return root;
fail:
	json_decref(cases);
	json_decref(root);
	return NULL;
}

/* jansson hands over the text a token at a time: gathered here, it
 * reaches the FILE in large writes instead of one locked fwrite each. */
struct json_out {
	FILE *file;
	size_t len;
	char buf[1 << 16];
};

static int json_out_flush(struct json_out *o)
{
	size_t len = o->len;
	o->len = 0;
	return fwrite(o->buf, 1, len, o->file) == len ? 0 : -1;
}

static int json_out_put(const char *text, size_t len, void *data)
{
	struct json_out *o = data;
	if (o->len + len > sizeof(o->buf) && json_out_flush(o) < 0)
		return -1;
	if (len > sizeof(o->buf))
		return fwrite(text, 1, len, o->file) == len ? 0 : -1;
	memcpy(o->buf + o->len, text, len);
	o->len += len;
	return 0;
}

int record_json_write(const struct record *rec, FILE *out, char *err, size_t err_len)
{
	json_t *root = record_to_json(rec);
	if (!root) {
		strfmt_err(err, err_len, "results record: cannot build the JSON (out of memory?)");
		return -1;
	}
	struct json_out o = { .file = out };
	int rc = json_dump_callback(root, json_out_put, &o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (rc == 0 && json_out_put("\n", 1, &o) == 0 && json_out_flush(&o) == 0 && fflush(out) == 0 && !ferror(out))
		return 0;
	strfmt_err(err, err_len, "results record: cannot write: %s", strerror(errno));
	return -1;
}

/* ---- reading ---- */

/* Where reading is, for messages: "FILE: case 3: 'outcome' ...". */
struct reader {
	const char *path;
	size_t case_no;    /* 1-based; 0 outside the cases */
	char *err;
	size_t err_len;
};

static int bad(struct reader *r, const char *key, const char *what)
{
	if (r->case_no)
		strfmt_err(r->err, r->err_len, "%s: case %zu: '%s' %s", r->path, r->case_no, key, what);
	else
		strfmt_err(r->err, r->err_len, "%s: '%s' %s", r->path, key, what);
	return -1;
}

static int get_bytes(struct reader *r, json_t *obj, const char *key, struct bytes *out)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_string(v))
		return bytes_assign(out, json_string_value(v), json_string_length(v)) == 0 ? 0 : bad(r, key, "is too large");
	json_t *b64 = json_is_object(v) ? json_object_get(v, "base64") : NULL;
	if (json_is_string(b64) && b64_decode(json_string_value(b64), json_string_length(b64), out) == 0)
		return 0;
	return bad(r, key, "is missing or not a string or {\"base64\": ...}");
}

/* A string without NUL bytes, or NULL when the value is null and may be. */
static int get_text(struct reader *r, json_t *obj, const char *key, bool nullable, char **out)
{
	*out = NULL;
	if (nullable && json_is_null(json_object_get(obj, key)))
		return 0;
	struct bytes b = {0};
	if (get_bytes(r, obj, key, &b) < 0)
		return -1;
	if (memchr(b.data, '\0', b.len)) {
		bytes_free(&b);
		return bad(r, key, "holds a NUL byte");
	}
	*out = (char *)b.data;
	return 0;
}

static int get_int(struct reader *r, json_t *obj, const char *key, json_int_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return bad(r, key, "is missing or not a whole number");
	*out = json_integer_value(v);
	return 0;
}

static int get_u64(struct reader *r, json_t *obj, const char *key, uint64_t *out)
{
	json_int_t v = 0;
	if (get_int(r, obj, key, &v) < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int get_small(struct reader *r, json_t *obj, const char *key, int *out)
{
	json_int_t v = 0;
	if (get_int(r, obj, key, &v) < 0)
		return -1;
	if (v < INT_MIN || v > INT_MAX)
		return bad(r, key, "is out of range");
	*out = (int)v;
	return 0;
}

static int get_bool(struct reader *r, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_boolean(v))
		return bad(r, key, "is missing or not true or false");
	*out = json_is_true(v);
	return 0;
}

static const char *get_word(struct reader *r, json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (!s)
		bad(r, key, "is missing or not a string");
	return s;
}

static int get_outcome(struct reader *r, json_t *obj, enum outcome *out)
{
	const char *name = get_word(r, obj, "outcome");
	for (int o = 0; name && o < OUTCOME_COUNT; o++) {
		if (strcmp(outcome_name((enum outcome)o), name) == 0) {
			*out = (enum outcome)o;
			return 0;
		}
	}
	return name ? bad(r, "outcome", "is not an outcome") : -1;
}

static int get_status(struct reader *r, json_t *obj, enum verdict_status *out)
{
	const char *name = get_word(r, obj, "status");
	if (!name)
		return -1;
	return verdict_status_parse(name, out) ? 0 : bad(r, "status", "is not pass, fail or error");
}

static int check_from_json(struct reader *r, json_t *o, struct check *c)
{
	*c = (struct check){0};
	const char *kind = get_word(r, o, "kind");
	if (!kind)
		return -1;
	if (!check_kind_parse(kind, &c->kind))
		return bad(r, "kind", "is not a kind of check");
	json_int_t diff = -1;
	if (get_text(r, o, "label", false, &c->label) < 0 || get_bytes(r, o, "expected", &c->expected) < 0 ||
	    get_bytes(r, o, "actual", &c->actual) < 0 || get_bool(r, o, "actual_known", &c->actual_known) < 0 ||
	    get_bool(r, o, "passed", &c->passed) < 0 || get_int(r, o, "first_difference", &diff) < 0)
		return -1;
	c->first_difference = diff;
	return 0;
}

static int checks_from_json(struct reader *r, json_t *obj, struct record_case *c)
{
	json_t *a = json_object_get(obj, "checks");
	if (!json_is_array(a))
		return bad(r, "checks", "is missing or not a list");
	c->checks = calloc(json_array_size(a) ? json_array_size(a) : 1, sizeof(*c->checks));
	if (!c->checks)
		return bad(r, "checks", "is too large");
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *o = json_array_get(a, i);
		if (!json_is_object(o))
			return bad(r, "checks", "holds something other than objects");
		int rc = check_from_json(r, o, &c->checks[i]);
		if (rc < 0) {
			check_free(&c->checks[i]);
			return -1;
		}
		c->check_count++;
	}
	return 0;
}

static int reg_from_json(struct reader *r, json_t *o, struct record_reg *reg)
{
	const char *name = json_is_object(o) ? get_word(r, o, "name") : NULL;
	if (!name || strlen(name) >= sizeof(reg->name))
		return bad(r, "registers", "holds an entry without a short 'name'");
	snprintf(reg->name, sizeof(reg->name), "%s", name);
	return get_small(r, o, "width", &reg->width) < 0 || get_u64(r, o, "value", &reg->value) < 0 ? -1 : 0;
}

static int regs_from_json(struct reader *r, json_t *obj, struct record_case *c)
{
	json_t *a = json_object_get(obj, "registers");
	if (json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > RECORD_MAX_REGS)
		return bad(r, "registers", "is missing or not null or a list of at most 32");
	c->regs_valid = true;
	for (size_t i = 0; i < json_array_size(a); i++) {
		if (reg_from_json(r, json_array_get(a, i), &c->regs[i]) < 0)
			return -1;
		c->reg_count++;
	}
	return 0;
}

static int times_from_json(struct reader *r, json_t *obj, struct stage_times *t)
{
	json_t *o = json_object_get(obj, "times_ns");
	if (!json_is_object(o))
		return bad(r, "times_ns", "is missing or not an object");
	if (get_u64(r, o, "assemble", &t->assemble_ns) < 0 || get_u64(r, o, "create", &t->create_ns) < 0 ||
	    get_u64(r, o, "run", &t->run_ns) < 0 || get_u64(r, o, "teardown", &t->teardown_ns) < 0)
		return -1;
	return 0;
}

/* What a program under the firmware left. Records written before there was
 * a firmware have none of it: absent is zero and empty. */
static int get_firmware_parts(struct reader *r, json_t *o, struct record_case *c)
{
	uint64_t code = 0;
	if (json_object_get(o, "exit_code") && get_u64(r, o, "exit_code", &code) < 0)
		return -1;
	if (code > UINT32_MAX)
		return bad(r, "exit_code", "is larger than 32 bits");
	c->exit_code = (uint32_t)code;
	if (json_object_get(o, "console") && get_bytes(r, o, "console", &c->console) < 0)
		return -1;
	if (json_object_get(o, "screen") && get_bytes(r, o, "screen", &c->screen) < 0)
		return -1;
	return 0;
}

static int get_points(struct reader *r, json_t *obj, const char *key, double *out)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_number(v) || json_number_value(v) < 0)
		return bad(r, key, "is not a number of points >= 0");
	*out = json_number_value(v);
	return 0;
}

static int tags_from_json(struct reader *r, json_t *obj, struct record_case *c)
{
	json_t *a = json_object_get(obj, "tags");
	if (!json_is_array(a))
		return bad(r, "tags", "is not a list");
	c->tags = calloc(json_array_size(a) ? json_array_size(a) : 1, sizeof(*c->tags));
	if (!c->tags)
		return bad(r, "tags", "is too large");
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *holder = json_pack("{s:O}", "tag", json_array_get(a, i));
		int rc = holder ? get_text(r, holder, "tag", false, &c->tags[i]) : bad(r, "tags", "is too large");
		json_decref(holder);
		if (rc < 0)
			return -1;
		c->tag_count++;
	}
	return 0;
}

/* Records written before grading have none of it: each case is then worth
 * one point, earned on a pass, and visible. */
static int get_grading(struct reader *r, json_t *o, struct record_case *c)
{
	if (!json_object_get(o, "points_max")) {
		c->points_max = 1;
		c->points_earned = c->status == VERDICT_PASS;
		return 0;
	}
	if (get_points(r, o, "points_max", &c->points_max) < 0 ||
	    get_points(r, o, "points_earned", &c->points_earned) < 0 || get_bool(r, o, "hidden", &c->hidden) < 0 ||
	    get_text(r, o, "visibility", true, &c->visibility) < 0 || tags_from_json(r, o, c) < 0)
		return -1;
	return 0;
}

/* Records written before the metrics existed have none: size 0, not counted. */
static int metrics_from_json(struct reader *r, json_t *o, struct record_case *c)
{
	if (json_object_get(o, "binary_size") && get_u64(r, o, "binary_size", &c->binary_size) < 0)
		return -1;
	if (json_object_get(o, "instructions_counted") &&
	    get_bool(r, o, "instructions_counted", &c->instructions_counted) < 0)
		return -1;
	if (c->instructions_counted && get_u64(r, o, "instructions", &c->instructions) < 0)
		return -1;
	if (json_object_get(o, "leaderboard") && get_bool(r, o, "leaderboard", &c->leaderboard) < 0)
		return -1;
	return 0;
}

/* Absent (a passing run, or a record from before there were any): NULL. */
static int get_feedback(struct reader *r, json_t *o, struct record_case *c)
{
	if (json_object_get(o, "stopped_at") && get_text(r, o, "stopped_at", true, &c->stopped_at) < 0)
		return -1;
	if (json_object_get(o, "hint") && get_text(r, o, "hint", true, &c->hint) < 0)
		return -1;
	if (json_object_get(o, "stop_listing") && get_text(r, o, "stop_listing", true, &c->stop_listing) < 0)
		return -1;
	if (json_object_get(o, "last_instructions") &&
	    get_text(r, o, "last_instructions", true, &c->last_instructions) < 0)
		return -1;
	return 0;
}

static int case_from_json(struct reader *r, json_t *o, struct record_case *c)
{
	*c = (struct record_case){0};
	if (!json_is_object(o))
		return bad(r, "cases", "holds something other than objects");
	if (get_text(r, o, "file", false, &c->file) < 0 || get_small(r, o, "index", &c->index) < 0 ||
	    get_small(r, o, "line", &c->line) < 0 || get_text(r, o, "name", true, &c->name) < 0 ||
	    get_outcome(r, o, &c->outcome) < 0 || get_status(r, o, &c->status) < 0 ||
	    get_text(r, o, "reason", false, &c->reason) < 0 || checks_from_json(r, o, c) < 0 ||
	    get_u64(r, o, "exits", &c->exits) < 0 || get_text(r, o, "backend", true, &c->backend) < 0 ||
	    get_bool(r, o, "host_fault", &c->host_fault) < 0 || get_text(r, o, "message", true, &c->message) < 0 ||
	    get_bytes(r, o, "output", &c->output) < 0 || get_firmware_parts(r, o, c) < 0 ||
	    regs_from_json(r, o, c) < 0 ||
	    times_from_json(r, o, &c->times) < 0 || get_grading(r, o, c) < 0 ||
	    metrics_from_json(r, o, c) < 0 || get_feedback(r, o, c) < 0)
		return -1;
	return 0;
}

static int header_from_json(struct reader *r, json_t *root, struct record *rec)
{
	const char *format = json_string_value(json_object_get(root, "format"));
	json_int_t version = 0;
	if (!format || strcmp(format, RECORD_FORMAT) != 0)
		return bad(r, "format", "is not \"" RECORD_FORMAT "\": not a kvmcheck results record");
	if (get_int(r, root, "format_version", &version) < 0)
		return -1;
	if (version != RECORD_FORMAT_VERSION)
		return bad(r, "format_version", "is not one this kvmcheck reads (1)");
	if (get_text(r, root, "kvmcheck", false, &rec->version) < 0 ||
	    get_text(r, root, "backend", false, &rec->backend) < 0 || get_u64(r, root, "elapsed_ns", &rec->elapsed_ns) < 0)
		return -1;
	/* Records of unnamed runs, and of kvmcheck before names, have none. */
	if (json_object_get(root, "name") && get_text(r, root, "name", true, &rec->name) < 0)
		return -1;
	return 0;
}

static int record_from_json(struct reader *r, json_t *root, struct record *rec)
{
	if (!json_is_object(root))
		return bad(r, "(top)", "is not an object");
	if (header_from_json(r, root, rec) < 0)
		return -1;
	json_t *cases = json_object_get(root, "cases");
	if (!json_is_array(cases))
		return bad(r, "cases", "is missing or not a list");
	rec->cases = calloc(json_array_size(cases) ? json_array_size(cases) : 1, sizeof(*rec->cases));
	if (!rec->cases)
		return bad(r, "cases", "is too large");
	for (size_t i = 0; i < json_array_size(cases); i++) {
		r->case_no = i + 1;
		if (case_from_json(r, json_array_get(cases, i), &rec->cases[i]) < 0) {
			record_case_free(&rec->cases[i]);
			return -1;
		}
		rec->count++;
	}
	return 0;
}

int record_json_load(const char *path, struct record *rec, char *err, size_t err_len)
{
	*rec = (struct record){0};
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
	if (!root) {
		if (jerr.line <= 0)
			strfmt_err(err, err_len, "cannot read %s: %s", path, jerr.text);
		else
			strfmt_err(err, err_len, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		return -1;
	}
	struct reader r = { .path = path, .err = err, .err_len = err_len };
	int rc = record_from_json(&r, root, rec);
	json_decref(root);
	if (rc < 0)
		record_free(rec);
	return rc;
}
