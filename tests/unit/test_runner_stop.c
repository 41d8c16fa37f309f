/* Unit tests of runner_locate_stop: a run leaves where it stopped to be
 * found later, for the cases whose verdict needs it, and finding it then
 * gives what stop_locate gives. */
#include <criterion/criterion.h>
#include <string.h>

#include "run/runner.h"
#include "testutil.h"

static const char suite[] = "name: halts on line 4\nsource: \"mov al, 'A'\\nmov dx, 0x3f8\\nout dx, al\\nhlt\"\n";

static void suite_load(struct case_list *list)
{
	*list = (struct case_list){0};
	cr_assert_eq(case_text_load("suite.yaml", suite, sizeof(suite) - 1, list), 0);
	cr_assert_eq(list->count, 1);
}

static struct runner runner_make(void)
{
	struct runner rn = { .backend = &backend_emu, .cache = assembly_cache_new(), .in_process = true };
	runner_options_default(&rn.opt);
	rn.opt.unsafe_assembler = true; /* confined where the host allows; test_sandbox.c tests that */
	cr_assert_not_null(rn.cache);
	return rn;
}

/* Runs the suite's one case on emu, which halts. */
static void run_the_suite(struct case_list *list, struct runner *rn, struct run_result *r)
{
	if (!tu_backend_wanted("emu"))
		cr_skip("emu not wanted here");
	suite_load(list);
	*rn = runner_make();
	runner_run_case(rn, &list->items[0], r);
	cr_assert_eq(r->outcome, OUTCOME_HLT, "%s", r->message ? r->message : "");
}

Test(runner_stop, a_run_leaves_the_stop_unknown_until_located)
{
	struct case_list list;
	struct runner rn;
	struct run_result r;
	run_the_suite(&list, &rn, &r);
	/* The listing is not walked for a run whose verdict may not need it. */
	cr_assert_eq(r.stop.place, STOP_UNKNOWN);
	cr_assert_not(r.stop.program_known);
	cr_assert_null(r.stopped_at);
	cr_assert_null(r.stop_listing);

	runner_locate_stop(&rn, &list.items[0], &r);
	cr_assert_eq(r.stop.place, STOP_IN_CODE);
	cr_assert(r.stop.program_known);
	cr_assert(r.stop.program_has_hlt);
	cr_assert_eq(r.stop.program_size, r.binary_size);
	cr_assert_not_null(r.stopped_at);
	cr_assert_str_eq(r.stopped_at, "suite.yaml:5 `hlt`");
	cr_assert_not_null(r.stop_listing);
	cr_assert_not_null(strstr(r.stop_listing, "> suite.yaml:5  hlt"), "%s", r.stop_listing);
	run_result_free(&r);
	assembly_cache_free(rn.cache);
	case_list_free(&list);
}

Test(runner_stop, a_runner_without_an_assembly_leaves_it_unknown)
{
	struct case_list list;
	struct runner rn;
	struct run_result r;
	run_the_suite(&list, &rn, &r);
	struct runner other = runner_make(); /* a cache that never saw the guest */
	runner_locate_stop(&other, &list.items[0], &r);
	cr_assert_eq(r.stop.place, STOP_UNKNOWN);
	cr_assert_null(r.stopped_at);
	run_result_free(&r);
	assembly_cache_free(rn.cache);
	assembly_cache_free(other.cache);
	case_list_free(&list);
}
