/* Unit tests for cli.c: the report files a run writes by default, and the
 * `report` subcommand's own command line. */
#include <criterion/criterion.h>
#include <string.h>

#include "cli/cli.h"

struct cli_row {
	const char *what;
	const char *args[12];      /* after the program name, NULL-terminated */
	enum cli_command command;
	const char *tap, *junit, *json, *results;
	int file_count;
	const char *error;         /* a part of the message, or NULL when it parses */
};

static const struct cli_row cli_rows[] = {
	{ "a run writes its reports to reports/", { "a.yaml", NULL }, CLI_RUN,
	  "reports/kvmcheck.tap", "reports/junit.xml", "reports/results.json", NULL, 1, NULL },
	{ "--no-reports writes none of them", { "--no-reports", "a.yaml", NULL }, CLI_RUN, NULL, NULL, NULL, NULL, 1,
	  NULL },
	{ "--json is kept with --no-reports", { "--no-reports", "--json", "r.json", "a.yaml", NULL }, CLI_RUN, NULL,
	  NULL, "r.json", NULL, 1, NULL },
	{ "report writes only what it is asked for", { "report", "a.json", "b.json", NULL }, CLI_REPORT, NULL, NULL,
	  NULL, NULL, 2, NULL },
	{ "report takes every report file", { "report", "--tap", "t", "a.json", "--junit", "j", "--results", "r",
	  "--json", "m", NULL }, CLI_REPORT, "t", "j", "m", "r", 1, NULL },
	{ "report runs nothing", { "report", "--in-process", "a.json", NULL }, CLI_REPORT, NULL, NULL, NULL, NULL, 0,
	  "option '--in-process' does not apply to report" },
	{ "report needs a record", { "report", "--tap", "t", NULL }, CLI_REPORT, NULL, NULL, NULL, NULL, 0,
	  "no results records given" },
	{ "a run needs a case", { "--json", "x", NULL }, CLI_RUN, NULL, NULL, NULL, NULL, 0, "no case files given" },
	{ "a bad number names its option", { "--output-limit", "-1", "a.yaml", NULL }, CLI_RUN, NULL, NULL, NULL, NULL,
	  0, "option '--output-limit' needs a positive whole number within its range, not '-1'" },
	{ "a bad number after = names its option", { "--assembler-memory=lots", "a.yaml", NULL }, CLI_RUN, NULL, NULL,
	  NULL, NULL, 0, "option '--assembler-memory' needs a positive whole number within its range, not 'lots'" },
	{ "--allow-read takes a folder", { "--allow-read", "/", "--allow-read", ".", "a.yaml", NULL }, CLI_RUN,
	  "reports/kvmcheck.tap", "reports/junit.xml", "reports/results.json", NULL, 1, NULL },
	{ "--allow-read refuses a missing folder", { "--allow-read", "/no/such/folder", "a.yaml", NULL }, CLI_RUN,
	  NULL, NULL, NULL, NULL, 0, "option '--allow-read': '/no/such/folder' is not a folder: No such file" },
	{ "--allow-read refuses a file", { "--allow-read", "/etc/hostname", "a.yaml", NULL }, CLI_RUN, NULL, NULL,
	  NULL, NULL, 0, "option '--allow-read': '/etc/hostname' is not a folder" },
	{ "--in-process promises no reports", { "--in-process", "a.yaml", NULL }, CLI_RUN, NULL, NULL, NULL, NULL, 0,
	  "option '--in-process' is a debugging aid that cannot promise reports" },
	{ "--in-process refuses a report file", { "--in-process", "--no-reports", "--results", "r", "a.yaml", NULL },
	  CLI_RUN, NULL, NULL, NULL, NULL, 0, "give it with --no-reports and no report file" },
	{ "--in-process with --no-reports", { "--in-process", "--no-reports", "a.yaml", NULL }, CLI_RUN, NULL, NULL,
	  NULL, NULL, 1, NULL },
	{ "report allows no reading", { "report", "--allow-read", "/", "a.json", NULL }, CLI_REPORT, NULL, NULL, NULL,
	  NULL, 0, "option '--allow-read' does not apply to report" },
};

static void assert_path(const char *got, const char *want, const char *what, const char *which)
{
	if (!want)
		cr_assert_null(got, "%s: %s is %s", what, which, got);
	else
		cr_assert(got && strcmp(got, want) == 0, "%s: %s is %s, not %s", what, which, got ? got : "NULL", want);
}

Test(cli, report_files_and_the_report_command)
{
	for (size_t t = 0; t < sizeof(cli_rows) / sizeof(cli_rows[0]); t++) {
		const struct cli_row *row = &cli_rows[t];
		char *argv[13] = { "kvmcheck" };
		int argc = 1;
		for (; row->args[argc - 1]; argc++)
			argv[argc] = (char *)row->args[argc - 1];
		struct cli_options opt;
		char err[300] = "";
		int rc = cli_parse(argc, argv, &opt, err, sizeof(err));
		if (row->error) {
			cr_assert_eq(rc, -1, "%s: parsed", row->what);
			cr_assert_not_null(strstr(err, row->error), "%s: %s", row->what, err);
			continue;
		}
		cr_assert_eq(rc, 0, "%s: %s", row->what, err);
		cr_assert_eq(opt.command, row->command, "%s", row->what);
		assert_path(opt.tap_path, row->tap, row->what, "tap");
		assert_path(opt.junit_path, row->junit, row->what, "junit");
		assert_path(opt.json_path, row->json, row->what, "json");
		assert_path(opt.results_path, row->results, row->what, "results");
		cr_assert_eq(opt.file_count, row->file_count, "%s", row->what);
	}
}

Test(cli, allow_read_folders_are_kept_in_order)
{
	char *argv[] = { "kvmcheck", "--allow-read", "/", "--allow-read", ".", "a.yaml", NULL };
	struct cli_options opt;
	char err[300] = "";
	cr_assert_eq(cli_parse(6, argv, &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(opt.allow_read_count, 2u);
	cr_assert_str_eq(opt.allow_read[0], "/");
	cr_assert_str_eq(opt.allow_read[1], ".");
	cr_assert_null(opt.allow_read[2]);
}

Test(cli, colour_when)
{
	static const struct {
		enum cli_color color;
		bool tty;
		const char *no_color, *term;
		bool wanted;
	} rows[] = {
		{ CLI_COLOR_AUTO, true, NULL, "xterm", true },
		{ CLI_COLOR_AUTO, false, NULL, "xterm", false },
		{ CLI_COLOR_AUTO, true, "1", "xterm", false },
		{ CLI_COLOR_AUTO, true, "", "xterm", true },
		{ CLI_COLOR_AUTO, true, NULL, "dumb", false },
		{ CLI_COLOR_ALWAYS, false, "1", "dumb", true },
		{ CLI_COLOR_NEVER, true, NULL, "xterm", false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cr_assert_eq(cli_color_wanted(rows[i].color, rows[i].tty, rows[i].no_color, rows[i].term), rows[i].wanted,
			     "row %zu", i);
}

Test(cli, colour_option)
{
	struct cli_options opt;
	char err[200] = "";
	char *always[] = { "kvmcheck", "--color", "always", "a.yaml", NULL };
	cr_assert_eq(cli_parse(4, always, &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(opt.color, CLI_COLOR_ALWAYS);
	char *report[] = { "kvmcheck", "report", "--color", "never", "r.json", NULL };
	cr_assert_eq(cli_parse(5, report, &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(opt.color, CLI_COLOR_NEVER);
	char *bad[] = { "kvmcheck", "--color", "sometimes", "a.yaml", NULL };
	cr_assert_eq(cli_parse(4, bad, &opt, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "--color must be auto, always or never, not 'sometimes'");
}

Test(cli, junit_flavor_option)
{
	struct cli_options opt;
	char err[200] = "";
	char *plain[] = { "kvmcheck", "a.yaml", NULL };
	cr_assert_eq(cli_parse(2, plain, &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(opt.junit_flavor, JUNIT_FLAVOR_JENKINS);
	char *gitlab[] = { "kvmcheck", "--junit-flavor", "gitlab", "a.yaml", NULL };
	cr_assert_eq(cli_parse(4, gitlab, &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(opt.junit_flavor, JUNIT_FLAVOR_GITLAB);
	char *report[] = { "kvmcheck", "report", "--junit-flavor", "jenkins", "r.json", NULL };
	cr_assert_eq(cli_parse(5, report, &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(opt.junit_flavor, JUNIT_FLAVOR_JENKINS);
	char *bad[] = { "kvmcheck", "--junit-flavor", "gitlab-ci", "a.yaml", NULL };
	cr_assert_eq(cli_parse(4, bad, &opt, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "--junit-flavor must be jenkins or gitlab, not 'gitlab-ci'");
}
