/* Unit tests of core/key_map.c: keys are byte strings (NULs and all),
 * each keeps its own number through any amount of growth. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/key_map.h"

Test(key_map, absent_keys_are_not_found)
{
	struct key_map m = {0};
	cr_assert_null(key_map_find(&m, "a", 1), "an empty map finds nothing");
	*key_map_get(&m, "a", 1) = 7;
	cr_assert_null(key_map_find(&m, "b", 1));
	cr_assert_null(key_map_find(&m, "a", 0), "the empty key is another key");
	cr_assert_null(key_map_find(&m, "a\0", 2), "a key with a NUL after it is another key");
	cr_assert_eq(*key_map_find(&m, "a", 1), 7);
	key_map_free(&m);
}

Test(key_map, a_new_key_starts_at_zero_and_keeps_its_number)
{
	struct key_map m = {0};
	size_t *n = key_map_get(&m, "x\0y", 3);
	cr_assert_eq(*n, 0);
	++*n;
	cr_assert_eq(*key_map_get(&m, "x\0y", 3), 1, "the same key gives the same number");
	cr_assert_eq(*key_map_get(&m, "x\0z", 3), 0, "bytes after a NUL count");
	cr_assert_eq(m.count, 2);
	key_map_free(&m);
	cr_assert_eq(m.capacity, 0);
}

Test(key_map, keys_survive_growth)
{
	enum { N = 20000 };
	struct key_map m = {0};
	char key[32];
	for (size_t i = 0; i < N; i++) {
		int len = snprintf(key, sizeof(key), "case %zu", i);
		*key_map_get(&m, key, (size_t)len) = i * 3;
	}
	cr_assert_eq(m.count, N);
	cr_assert(m.count * 4 <= m.capacity * 3, "a quarter of the slots stays empty");
	for (size_t i = 0; i < N; i++) {
		int len = snprintf(key, sizeof(key), "case %zu", i);
		size_t *v = key_map_find(&m, key, (size_t)len);
		cr_assert_not_null(v, "key %zu", i);
		cr_assert_eq(*v, i * 3, "key %zu", i);
	}
	key_map_free(&m);
}
