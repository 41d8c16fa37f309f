#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/pattern.h"

#include <pcre2.h>
#include <stdio.h>

/* A runaway pattern on a large output must not stall the run. */
#define PATTERN_MATCH_LIMIT 10000000u

static int pattern_match(pcre2_code *code, const void *subject, size_t subject_len, char *err, size_t err_len)
{
	pcre2_match_data *data = pcre2_match_data_create_from_pattern(code, NULL);
	pcre2_match_context *context = pcre2_match_context_create(NULL);
	if (!data || !context) {
		pcre2_match_data_free(data);
		pcre2_match_context_free(context);
		snprintf(err, err_len, "out of memory matching the pattern");
		return -1;
	}
	pcre2_set_match_limit(context, PATTERN_MATCH_LIMIT);
	int rc = pcre2_match(code, (PCRE2_SPTR)(subject ? subject : ""), subject_len, 0, 0, data, context);
	pcre2_match_data_free(data);
	pcre2_match_context_free(context);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	PCRE2_UCHAR message[120];
	pcre2_get_error_message(rc, message, sizeof(message));
	snprintf(err, err_len, "matching failed: %s", (const char *)message);
	return -1;
}

static pcre2_code *pattern_compile(const char *pattern, size_t pattern_len, bool caseless, char *err,
				   size_t err_len)
{
	int code_err;
	PCRE2_SIZE at;
	/* Output is bytes, not UTF-8: no PCRE2_UTF, so any byte matches as itself.
	 * MULTILINE: ^ and $ are line starts and ends, as grep reads them. */
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, pattern_len, PCRE2_MULTILINE | (caseless ? PCRE2_CASELESS : 0),
					 &code_err, &at, NULL);
	if (!code) {
		PCRE2_UCHAR message[120];
		pcre2_get_error_message(code_err, message, sizeof(message));
		snprintf(err, err_len, "invalid regular expression at offset %zu: %s", (size_t)at,
			 (const char *)message);
	}
	return code;
}

int pattern_search(const char *pattern, size_t pattern_len, bool caseless, const void *subject,
		   size_t subject_len, char *err, size_t err_len)
{
	pcre2_code *code = pattern_compile(pattern, pattern_len, caseless, err, err_len);
	if (!code)
		return -1;
	int rc = pattern_match(code, subject, subject_len, err, err_len);
	pcre2_code_free(code);
	return rc;
}

int pattern_validate(const char *pattern, size_t pattern_len, char *err, size_t err_len)
{
	pcre2_code *code = pattern_compile(pattern, pattern_len, false, err, err_len);
	pcre2_code_free(code);
	return code ? 0 : -1;
}
