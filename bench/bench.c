/* bench: how long one case takes, stage by stage, on each backend that
 * works here, and how many cases a second a whole suite runs at.
 * usage: bench CASE.yaml RUNS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/backend.h"
#include "machine/machine.h"
#include "case/case.h"
#include "run/runner.h"

struct stage_samples {
	double assemble[10000], create[10000], run[10000], teardown[10000], total[10000];
};

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), compare_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int bench_backend(const struct backend_ops *b, const struct test_case *c, int runs, struct stage_samples *s)
{
	for (int i = 0; i < runs; i++) {
		struct run_result r;
		/* in this process and without a cache: every stage is measured each time */
		struct runner rn = { .backend = b, .in_process = true };
		runner_options_default(&rn.opt);
		runner_run_case(&rn, c, &r);
		if (r.outcome != OUTCOME_HLT) {
			fprintf(stderr, "bench: %s: outcome %s: %s\n", b->name, outcome_name(r.outcome),
				r.message ? r.message : "");
			run_result_free(&r);
			return -1;
		}
		s->assemble[i] = r.times.assemble_ns / 1e6;
		s->create[i] = r.times.create_ns / 1e6;
		s->run[i] = r.times.run_ns / 1e6;
		s->teardown[i] = r.times.teardown_ns / 1e6;
		s->total[i] = s->create[i] + s->run[i] + s->teardown[i];
		run_result_free(&r);
	}
	printf("| %-7s | %5d | %12.3f | %12.3f | %9.3f | %11.3f | %19.3f |\n", b->name, runs,
	       median(s->assemble, runs), median(s->create, runs), median(s->run, runs),
	       median(s->teardown, runs), median(s->total, runs));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench CASE.yaml RUNS\n");
		return 2;
	}
	int runs = atoi(argv[2]);
	machine_process_setup();
	if (runs < 1 || runs > 10000)
		runs = 200;
	struct case_list cases = {0};
	/* the bundled cases name their guests in guests/, as `make run` allows */
	static const char *const allow[] = { "guests", NULL };
	struct case_load_options load = { .allow_read = allow };
	if (case_file_load_with(argv[1], &load, &cases) != 0 || cases.count == 0 || cases.items[0].error) {
		fprintf(stderr, "bench: cannot load %s: %s\n", argv[1], cases.count ? cases.items[0].error : "");
		return 1;
	}
	static struct stage_samples samples;
	printf("Median ms per stage, %s, %d runs each:\n\n", cases.items[0].name, runs);
	printf("| backend | runs  | assemble ms  | VM create ms | run ms    | teardown ms | create+run+teardown |\n");
	printf("|---------|-------|--------------|--------------|-----------|-------------|---------------------|\n");
	const struct backend_ops *backends[] = { &backend_kvm, &backend_emu };
	int status = 0;
	for (size_t i = 0; i < 2; i++) {
		char why[200];
		if (!backends[i]->available(why, sizeof(why))) {
			printf("| %-7s | not available here: %s\n", backends[i]->name, why);
			continue;
		}
		status |= bench_backend(backends[i], &cases.items[0], runs, &samples) < 0;
	}
	case_list_free(&cases);
	return status;
}
