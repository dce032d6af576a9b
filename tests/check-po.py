#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every user-visible string has its Simplified Chinese translation.

1. Every source file under src/ that marks strings with _() or N_() is
   listed in po/POTFILES.in (or xgettext would never see it).
2. The strings xgettext extracts all have a translation in po/zh_CN.po
   that is neither missing nor fuzzy, and zh_CN.po compiles with msgfmt -c.
"""
import os
import re
import subprocess
import sys
import tempfile

src = sys.argv[1]
errors = []

listed = set()
with open(os.path.join(src, "po", "POTFILES.in"), encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            listed.add(line)
            if not os.path.exists(os.path.join(src, line)):
                errors.append(f"po/POTFILES.in lists {line}, which does not exist")

mark = re.compile(r"\b(N?_|C_|NC_|g_dngettext|ngettext)\s*\(")
for root, _dirs, files in os.walk(os.path.join(src, "src")):
    for name in files:
        if not name.endswith((".c", ".h")):
            continue
        path = os.path.join(root, name)
        rel = os.path.relpath(path, src)
        with open(path, encoding="utf-8") as f:
            if mark.search(f.read()) and rel not in listed:
                errors.append(f"{rel} marks strings for translation but is not in po/POTFILES.in")
for root, _dirs, files in os.walk(os.path.join(src, "ui")):
    for name in files:
        rel = os.path.relpath(os.path.join(root, name), src)
        if name.endswith(".ui") and rel not in listed:
            errors.append(f"{rel} is not in po/POTFILES.in")

with tempfile.TemporaryDirectory() as tmp:
    pot = os.path.join(tmp, "crewdesk.pot")
    merged = os.path.join(tmp, "zh_CN.po")
    subprocess.run(["xgettext", "--from-code=UTF-8", "--add-comments", "-o", pot,
                    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2",
                    "--keyword=NC_:1c,2", "--keyword=g_dngettext:2,3",
                    "--keyword=ngettext:1,2",
                    "--directory", src, "--files-from",
                    os.path.join(src, "po", "POTFILES.in")], check=True)
    subprocess.run(["msgfmt", "-c", "-o", os.devnull,
                    os.path.join(src, "po", "zh_CN.po")], check=True)
    subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching", "-o", merged,
                    os.path.join(src, "po", "zh_CN.po"), pot], check=True)
    # --no-wrap keeps each msgid on one line, so none is missed below.
    for flag, what in (("--untranslated", "untranslated"), ("--only-fuzzy", "fuzzy")):
        out = subprocess.run(["msgattrib", flag, "--no-obsolete", "--no-wrap", merged],
                             check=True, capture_output=True, text=True).stdout
        for msgid in re.findall(r'^msgid "(.*)"$', out, re.M):
            if msgid:
                errors.append(f"{what} in po/zh_CN.po: \"{msgid}\"")
    # And msgfmt's own count, which no formatting can fool.
    stats = subprocess.run(["msgfmt", "--statistics", "-o", os.devnull, merged],
                           check=True, capture_output=True, text=True).stderr
    for what in ("untranslated", "fuzzy"):
        m = re.search(r"(\d+) " + what, stats)
        if m and int(m.group(1)) > 0 and not any(e.startswith(what) for e in errors):
            errors.append(f"msgfmt counts {m.group(1)} {what} message(s): {stats.strip()}")

for e in errors:
    print(e)
print(f"{len(errors)} problem(s)")
sys.exit(1 if errors else 0)
