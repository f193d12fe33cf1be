#!/usr/bin/env python3
"""Validates one JSON status object (a tool's -j output) against a schema of doc/schema and checks fields.

Usage: check-json.py SCHEMA_FILE [PATH=VALUE | PATH>=NUMBER ...] < output
PATH is dotted (clusters.0.clients.1.vote, counts.clients); VALUE is compared as JSON
(numbers, true/false/null, "strings") or, when it does not parse as JSON, as a plain string;
PATH>=NUMBER checks a lower bound.
Exit status 0 when the object is valid and every check holds, 1 otherwise (each problem on stderr).
"""
import json
import sys

import jsonschema


def lookup(obj, path):
    for part in path.split("."):
        if isinstance(obj, list):
            obj = obj[int(part)]
        else:
            obj = obj[part]
    return obj


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    text = sys.stdin.read()
    if text.count("\n") != 1 or not text.endswith("\n"):
        print("check-json: the object is not exactly one line", file=sys.stderr)
        return 1
    try:
        obj = json.loads(text)
    except ValueError as e:
        print(f"check-json: not JSON: {e}", file=sys.stderr)
        return 1
    problems = [f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message}"
                for e in jsonschema.Draft202012Validator(schema).iter_errors(obj)]
    for check in sys.argv[2:]:
        if ">=" in check:
            path, _, bound = check.partition(">=")
            try:
                got = lookup(obj, path)
            except (KeyError, IndexError, ValueError, TypeError):
                problems.append(f"{path}: missing")
                continue
            if not isinstance(got, (int, float)) or got < float(bound):
                problems.append(f"{path}: {got!r}, expected at least {bound}")
            continue
        path, _, want = check.partition("=")
        try:
            want_value = json.loads(want)
        except ValueError:
            want_value = want
        try:
            got = lookup(obj, path)
        except (KeyError, IndexError, ValueError, TypeError):
            problems.append(f"{path}: missing")
            continue
        if got != want_value:
            problems.append(f"{path}: {got!r}, expected {want_value!r}")
    for p in problems:
        print(f"check-json: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
