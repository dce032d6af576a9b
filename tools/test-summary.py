#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reads meson's testlog.json files and prints "N passed, N failed".

Counts the GTest cases inside each TAP executable (its "ok"/"not ok"
lines), so the number says how many checks ran, not how many binaries.
A log that is missing counts as one failure: a build that broke must not
read as a clean run."""
import json
import re
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        print(f"{path}: no test log (the build or the run failed)")
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        result = t.get("result")
        out = t.get("stdout") or ""
        oks = len(re.findall(r"^ok \d+", out, re.M))
        skips = len(re.findall(r"^ok \d+ .*# SKIP", out, re.M))
        bad = len(re.findall(r"^not ok \d+", out, re.M))
        if result in ("OK", "EXPECTEDFAIL"):
            passed += max(oks - skips, 1 if oks == 0 else 0)
            skipped += skips
        elif result == "SKIP":
            skipped += 1
        else:
            passed += oks - skips
            failed += max(bad, 1)
            print(f"FAILED: {t.get('name')} ({result})")

line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
