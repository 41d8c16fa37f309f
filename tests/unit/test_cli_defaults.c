/* Unit tests for the command line's backend names and limits: both come
 * from one place (machine/backend.c's table, core/defaults.h), so the
 * parser, the usage text and backend_choose cannot drift apart. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/defaults.h"
#include "machine/backend.h"

Test(backend_names, the_table_lists_auto_then_each_backend)
{
	cr_assert_str_eq(backend_name(0), "auto");
	cr_assert_str_eq(backend_name(1), backend_kvm.name);
	cr_assert_str_eq(backend_name(2), backend_emu.name);
	cr_assert_null(backend_name(3));
}

Test(backend_names, unknown_names_are_refused_with_the_list)
{
	static const char *const unknown[] = { "", "KVM", "emu ", "qemu", "autox" };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		char why[200] = "", want[200];
		cr_assert_eq(backend_name_check(unknown[i], why, sizeof(why)), -1, "'%s'", unknown[i]);
		snprintf(want, sizeof(want), "unknown backend '%s' (auto, kvm or emu)", unknown[i]);
		cr_assert_str_eq(why, want);
		cr_assert_null(backend_choose(unknown[i], why, sizeof(why)));
		cr_assert_str_eq(why, want);
	}
}

Test(backend_names, emu_is_chosen_by_name_without_a_note)
{
	char why[200] = "";
	cr_assert_eq(backend_choose("emu", why, sizeof(why)), &backend_emu);
	cr_assert_str_eq(why, "");
	cr_assert_not_null(backend_choose("auto", why, sizeof(why)));
}

static int parse(struct cli_options *opt, const char *a, const char *b, char *err, size_t err_len)
{
	char *argv[] = { "kvmcheck", (char *)a, (char *)b, "case.yaml", NULL };
	return cli_parse(4, argv, opt, err, err_len);
}

Test(cli, every_backend_name_is_accepted_and_nothing_else)
{
	struct cli_options opt;
	char err[200];
	for (size_t i = 0; backend_name(i); i++) {
		cr_assert_eq(parse(&opt, "--backend", backend_name(i), err, sizeof(err)), 0, "%s", err);
		cr_assert_str_eq(opt.backend, backend_name(i));
	}
	cr_assert_eq(parse(&opt, "--backend", "Emu", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "unknown backend 'Emu' (auto, kvm or emu)");
}

Test(cli, limits_default_to_core_defaults)
{
	struct cli_options opt;
	char err[200];
	cr_assert_eq(parse(&opt, "-v", "-v", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(opt.run.output_limit, DEFAULT_OUTPUT_LIMIT);
	cr_assert_eq(opt.run.asm_timeout_ms, DEFAULT_ASM_TIMEOUT_MS);
	cr_assert_eq(opt.run.asm_cpu_seconds, DEFAULT_ASM_CPU_SECONDS);
	cr_assert_eq(opt.run.asm_memory, DEFAULT_ASM_MEMORY);
}

/* Each option takes 1 up to the bound a case file has, and no more. */
Test(cli, limits_stop_at_the_bounds_a_case_has)
{
	static const struct {
		const char *option;
		unsigned long long max;
	} limits[] = {
		{ "--output-limit", CASE_MAX_OUTPUT_LIMIT },
		{ "--assembler-timeout-ms", CASE_MAX_TIMEOUT_MS },
		{ "--assembler-cpu-seconds", CASE_MAX_ASM_CPU_SECONDS },
		{ "--assembler-memory", CASE_MAX_ASM_MEMORY },
	};
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct cli_options opt;
		char err[200], at[32], over[32];
		snprintf(at, sizeof(at), "%llu", limits[i].max);
		snprintf(over, sizeof(over), "%llu", limits[i].max + 1);
		cr_assert_eq(parse(&opt, limits[i].option, at, err, sizeof(err)), 0, "%s %s: %s", limits[i].option, at,
			     err);
		cr_assert_eq(parse(&opt, limits[i].option, over, err, sizeof(err)), -1, "%s %s", limits[i].option, over);
		cr_assert_eq(parse(&opt, limits[i].option, "0", err, sizeof(err)), -1, "%s 0", limits[i].option);
	}
}

/* The usage text names the defaults and the backends from their one place. */
Test(cli, usage_names_the_defaults_and_backends)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	cli_usage(f);
	fclose(f);
	char want[200];
	snprintf(want, sizeof(want), "(defaults %u, %u, %llu)", DEFAULT_ASM_TIMEOUT_MS, DEFAULT_ASM_CPU_SECONDS,
		 (unsigned long long)DEFAULT_ASM_MEMORY);
	cr_assert_not_null(strstr(text, want), "%s", text);
	cr_assert_not_null(strstr(text, "  --backend auto|kvm|emu  how guests run"), "%s", text);
	snprintf(want, sizeof(want), "(default %u)", DEFAULT_OUTPUT_LIMIT);
	cr_assert_not_null(strstr(text, want), "%s", text);
	free(text);
}

Test(backend_names, joined_with_separators)
{
	char out[64];
	backend_names_join(out, sizeof(out), "|", "|");
	cr_assert_str_eq(out, "auto|kvm|emu");
	backend_names_join(out, sizeof(out), ", ", " or ");
	cr_assert_str_eq(out, "auto, kvm or emu");
	backend_names_join(out, 6, ", ", " or ");
	cr_assert_str_eq(out, "auto,", "cut at the buffer, still a string");
}
