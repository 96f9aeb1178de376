#!/usr/bin/python3
"""Packs data/warninglists/*.json into one zlib-compressed blob that the build links into the
binary (src/indicators/builtin_lists.S), read back by src/indicators/warninglists.c.

Usage: pack-warninglists.py DIR OUT

The blob, before compression: for each file in name order, its id (the file name without
.json) and its bytes, each as a 4-byte big-endian length then the bytes. The files are
MISP warninglists exactly as MISP publishes them (lists/<id>/list.json)."""

import os
import struct
import sys
import zlib


def main():
    src, out = sys.argv[1], sys.argv[2]
    parts = []
    for name in sorted(os.listdir(src)):
        if not name.endswith(".json") or name.startswith("."):
            continue
        with open(os.path.join(src, name), "rb") as f:
            data = f.read()
        ident = name[:-5].encode()
        parts.append(struct.pack(">I", len(ident)) + ident + struct.pack(">I", len(data)) + data)
    blob = zlib.compress(b"".join(parts), 9)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
