#!/usr/bin/env python3
"""The public headers' own test (suite unit):

- every public header of the built layers got a translation unit of its own at configure
  time (tests/headers/meson.build; the build compiles each, so a header that does not
  compile on its own breaks the build): the list on disk must equal the configured one,
  or a header was added without a reconfigure;
- every public header opens with a comment of at least two lines, before `#pragma once`,
  saying what it is for (and, for headers with operations, how they complete).

Usage: check_headers.py SOURCE_ROOT CONFIGURED_LIST_FILE LAYER...
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from list_headers import headers  # noqa: E402


def opening_comment_lines(path):
    n = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            s = line.strip()
            if s.startswith("#pragma once"):
                break
            if s.startswith("//"):
                n += 1
    return n


def main():
    root, listed_file, layers = sys.argv[1], sys.argv[2], sys.argv[3:]
    on_disk = [f"{l}:{h}" for l, h in headers(root, layers)]
    with open(listed_file, encoding="utf-8") as fh:
        configured = [x for x in fh.read().split() if x]
    failures = 0
    for h in sorted(set(on_disk) - set(configured)):
        print(f"FAIL: {h} has no translation unit of its own (reconfigure the build)")
        failures += 1
    for h in sorted(set(configured) - set(on_disk)):
        print(f"FAIL: {h} was configured but is gone (reconfigure the build)")
        failures += 1
    for entry in on_disk:
        layer, rel = entry.split(":", 1)
        n = opening_comment_lines(os.path.join(root, layer, "include", rel))
        if n < 2:
            print(f"FAIL: {layer}/include/{rel}: its opening comment has {n} line(s); say what it is for")
            failures += 1
    print(f"{len(on_disk)} public headers, each compiled on its own; {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
