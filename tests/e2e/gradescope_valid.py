#!/usr/bin/env python3
"""Checks a Gradescope results.json against the fields the autograder
specification requires and their types, and its points.

usage: gradescope_valid.py FILE SCORE MAX_SCORE TESTS [VISIBILITY,...]
SCORE is the file's score and the sum of its tests' scores, MAX_SCORE the
sum of their max_score, TESTS how many there are; VISIBILITY, when given,
each test's visibility in order. Exits 0 when all hold, else 1 saying why."""
import json
import sys

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
NUMBER = (int, float)


def problems(r, score, max_score, count, visibilities):
    if not isinstance(r.get("score"), NUMBER) or r["score"] != score:
        yield "score is %r, not %r" % (r.get("score"), score)
    if not isinstance(r.get("execution_time"), NUMBER):
        yield "execution_time is not a number"
    if not isinstance(r.get("output"), str):
        yield "output is not a string"
    if r.get("visibility") not in VISIBILITIES:
        yield "visibility is %r" % r.get("visibility")
    if r.get("stdout_visibility") != "hidden":
        yield "stdout_visibility is %r, not hidden" % r.get("stdout_visibility")
    tests = r.get("tests")
    if not isinstance(tests, list) or len(tests) != count:
        yield "tests is not a list of %d" % count
        return
    for n, t in enumerate(tests, 1):
        ok = isinstance(t.get("name"), str) and isinstance(t.get("number"), str)
        ok &= isinstance(t.get("score"), NUMBER) and isinstance(t.get("max_score"), NUMBER)
        ok &= t.get("status") in ("passed", "failed")
        ok &= isinstance(t.get("output"), str) and t.get("output_format") in ("md", "text")
        ok &= isinstance(t.get("tags"), list) and t.get("visibility") in VISIBILITIES
        if not ok:
            yield "test %d lacks a field or has one of the wrong type: %r" % (n, t)
    if sum(t["score"] for t in tests) != score:
        yield "the tests' scores do not add up to the score"
    if sum(t["max_score"] for t in tests) != max_score:
        yield "the tests' max_score do not add up to %r" % max_score
    if visibilities and [t["visibility"] for t in tests] != visibilities:
        yield "visibilities are %r" % [t["visibility"] for t in tests]


def main():
    path, score, max_score, count = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    visibilities = sys.argv[5].split(",") if len(sys.argv) > 5 else None
    with open(path) as f:
        found = list(problems(json.load(f), score, max_score, count, visibilities))
    for p in found:
        print("# %s: %s" % (path, p))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
