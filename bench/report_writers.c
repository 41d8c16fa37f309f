/* bench-reports: how long each report writer takes on one failing case
 * whose guest printed N MiB, so that whether time grows with output
 * linearly shows in the ratio of time to size (README "Benchmark"). The
 * record is built in memory, as a run hands it over, and each writer
 * renders it into a file of its own. A table, never a test: nothing here
 * passes or fails on a time.
 * usage: bench-reports DIR MIB... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/strfmt.h"
#include "record/record.h"
#include "report/report.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Lines of text with what every format must escape: markup, quotes, a
 * control byte and UTF-8, so the writers do their real work. */
static int fill_output(struct bytes *out, size_t size)
{
	static const char line[] = "line <&> \"quoted\" 'single' \x01 caf\xc3\xa9 ]]> -- 0123456789\n";
	while (out->len < size) {
		size_t n = size - out->len < sizeof(line) - 1 ? size - out->len : sizeof(line) - 1;
		if (bytes_append(out, line, n) < 0)
			return -1;
	}
	return 0;
}

/* One failing case: the output differs from what was expected halfway. */
static int build_record(size_t size, struct record *rec)
{
	struct bytes actual = {0}, expected = {0};
	if (fill_output(&actual, size) < 0 || bytes_assign(&expected, actual.data, actual.len) < 0) {
		bytes_free(&actual);
		return -1;
	}
	size_t at = size / 2;
	expected.data[at] = expected.data[at] == 'x' ? 'y' : 'x';
	struct check check = { .kind = CHECK_SERIAL, .label = (char *)"output", .expected = expected,
			       .actual = actual, .actual_known = true, .passed = false, .first_difference = (int64_t)at };
	struct run_result result = { .outcome = OUTCOME_HLT, .output = actual, .backend = "emu" };
	struct verdict verdict = { .status = VERDICT_FAIL, .checks = &check, .check_count = 1 };
	snprintf(verdict.reason, sizeof(verdict.reason), "serial output differs at byte %zu", at);
	struct case_report c = { "bench/output.yaml", 0, "prints a lot", &result, &verdict, 1, NULL };
	struct run_report rep = { .version = "bench", .backend = "emu", .cases = &c, .count = 1 };
	int rc = record_build(&rep, rec);
	bytes_free(&actual);
	bytes_free(&expected);
	return rc;
}

static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void row(const char *writer, size_t mib, double seconds, long long bytes)
{
	printf("| %-22s | %6zu | %9.3f | %10.2f | %14.1f |\n", writer, mib, seconds * 1e3, seconds * 1e3 / (double)mib,
	       (double)bytes / (1024.0 * 1024.0));
}

/* Each writer once on rec, then reading the record back as `kvmcheck report` does. */
static int bench_size(const char *dir, size_t mib)
{
	static const struct {
		const char *renderer, *label, *file;
	} writers[] = {
		{ "tap", "TAP", "out.tap" },
		{ "junit", "JUnit", "junit.xml" },
		{ "json", "results record (JSON)", "results.json" },
		{ "html", "HTML", "report.html" },
	};
	struct record rec;
	if (build_record(mib << 20, &rec) < 0) {
		fprintf(stderr, "bench-reports: out of memory for %zu MiB\n", mib);
		return -1;
	}
	int rc = 0;
	char *json_path = NULL;
	for (size_t i = 0; rc == 0 && i < sizeof(writers) / sizeof(writers[0]); i++) {
		char *path = strfmt_alloc("%s/%s", dir, writers[i].file);
		char err[256] = "";
		double start = now_s();
		rc = path ? report_file_render(path, renderer_find(writers[i].renderer), &rec, NULL, err, sizeof(err)) : -1;
		double seconds = now_s() - start;
		if (rc == 0)
			row(writers[i].label, mib, seconds, file_size(path));
		else
			fprintf(stderr, "bench-reports: %s: %s\n", writers[i].label, err);
		if (strcmp(writers[i].renderer, "json") == 0 && !json_path)
			json_path = path;
		else
			free(path);
	}
	record_free(&rec);
	if (rc == 0 && json_path) {
		char err[256] = "";
		struct record back;
		double start = now_s();
		rc = record_json_load(json_path, &back, err, sizeof(err));
		double seconds = now_s() - start;
		if (rc == 0) {
			row("results record, read", mib, seconds, file_size(json_path));
			record_free(&back);
		} else {
			fprintf(stderr, "bench-reports: reading the record: %s\n", err);
		}
	}
	free(json_path);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-reports DIR MIB...\n");
		return 2;
	}
	printf("| writer                 | MiB    | ms        | ms per MiB | file MiB       |\n");
	printf("|------------------------|--------|-----------|------------|----------------|\n");
	for (int i = 2; i < argc; i++) {
		long mib = strtol(argv[i], NULL, 10);
		if (mib < 1 || mib > 1024) {
			fprintf(stderr, "bench-reports: %s is not a size in MiB from 1 to 1024\n", argv[i]);
			return 2;
		}
		if (bench_size(argv[1], (size_t)mib) < 0)
			return 1;
	}
	return 0;
}
