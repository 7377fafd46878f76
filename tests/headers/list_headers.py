#!/usr/bin/env python3
"""Lists the public headers of the layers that are built, one per line, as
<layer>/include-relative paths (berth/engine/client.hpp). Used by tests/headers at
configure time and by check_headers.py.

Usage: list_headers.py SOURCE_ROOT LAYER...   (LAYER: lib config engine containerd kata runtime apple)
"""
import os
import sys

# Headers that belong to an optional part of a layer: built only with that part.
OPTIONAL = {"berth/kata/containerd.hpp": "containerd", "berth/runtime/containerd.hpp": "containerd"}


def headers(root, layers):
    out = []
    for layer in layers:
        inc = os.path.join(root, layer, "include")
        for dirpath, _, files in os.walk(inc):
            for f in files:
                if f.endswith(".hpp"):
                    rel = os.path.relpath(os.path.join(dirpath, f), inc)
                    need = OPTIONAL.get(rel)
                    if need and need not in layers:
                        continue
                    out.append((layer, rel))
    return sorted(out)


if __name__ == "__main__":
    for layer, rel in headers(sys.argv[1], sys.argv[2:]):
        print(f"{layer}:{rel}")
