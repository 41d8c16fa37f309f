/* Unit tests of assembly_cache.c: equal sources share one assembly, any
 * difference that could change nasm's result does not. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "assemble/assembly_cache.h"

static struct assembly fake_assembly(uint8_t byte)
{
	struct assembly a = { .ok = true };
	bytes_push(&a.image, byte);
	return a;
}

static struct asm_source source(const char *text)
{
	return (struct asm_source){ .text = text, .text_origin = "a.yaml", .text_first_line = 3,
				    .include_dir = "cases", .max_output = 4096, .timeout_ms = 1000 };
}

Test(assembly_cache, equal_sources_share_an_assembly)
{
	struct assembly_cache *cache = assembly_cache_new();
	struct asm_source src = source("hlt");
	cr_assert_null(assembly_cache_find(cache, &src));
	struct assembly a = fake_assembly(0xf4);
	const struct assembly *stored = assembly_cache_store(cache, &src, &a);
	cr_assert_not_null(stored);
	cr_assert_eq(a.image.len, 0, "the cache took the assembly over");
	struct asm_source again = source("hlt");
	const struct assembly *found = assembly_cache_find(cache, &again);
	cr_assert_not_null(found);
	cr_assert_eq(found->image.data[0], 0xf4);
	assembly_cache_free(cache);
}

Test(assembly_cache, any_difference_misses)
{
	struct assembly_cache *cache = assembly_cache_new();
	struct asm_source src = source("hlt");
	struct assembly a = fake_assembly(0xf4);
	assembly_cache_store(cache, &src, &a);

	struct asm_source other = source("nop");
	cr_assert_null(assembly_cache_find(cache, &other), "other text");
	other = source("hlt");
	other.include_dir = "elsewhere";
	cr_assert_null(assembly_cache_find(cache, &other), "other include folder");
	other = source("hlt");
	other.max_output = 100;
	cr_assert_null(assembly_cache_find(cache, &other), "other size limit");
	other = source("hlt");
	other.text_first_line = 9;
	cr_assert_null(assembly_cache_find(cache, &other), "messages would name other lines");
	const char *read[] = { "lib", NULL };
	other = source("hlt");
	other.read_paths = read;
	cr_assert_null(assembly_cache_find(cache, &other), "other readable folders");
	other = (struct asm_source){ .path = "hlt", .include_dir = "cases", .max_output = 4096, .timeout_ms = 1000 };
	cr_assert_null(assembly_cache_find(cache, &other), "a file named like the text");
	assembly_cache_free(cache);
}

/* Many distinct sources, as a class's submissions are: each finds its own
 * assembly, and an assembly handed out earlier stays valid as more are
 * stored (the array of entries grows under it). */
Test(assembly_cache, many_sources_each_find_their_own)
{
	enum { N = 3000 };
	struct assembly_cache *cache = assembly_cache_new();
	static char texts[N][24];
	const struct assembly *first = NULL;
	for (int i = 0; i < N; i++) {
		snprintf(texts[i], sizeof(texts[i]), "mov ax, %d", i);
		struct asm_source src = source(texts[i]);
		struct assembly a = fake_assembly((uint8_t)i);
		const struct assembly *stored = assembly_cache_store(cache, &src, &a);
		cr_assert_not_null(stored);
		if (i == 0)
			first = stored;
	}
	cr_assert_eq(first->image.data[0], 0, "the first assembly survived %d stores", N);
	for (int i = 0; i < N; i++) {
		struct asm_source src = source(texts[i]);
		const struct assembly *found = assembly_cache_find(cache, &src);
		cr_assert_not_null(found, "source %d", i);
		cr_assert_eq(found->image.data[0], (uint8_t)i, "source %d", i);
	}
	struct asm_source other = source("mov ax, 3000");
	cr_assert_null(assembly_cache_find(cache, &other));
	assembly_cache_free(cache);
}
