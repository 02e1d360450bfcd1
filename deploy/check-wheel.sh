#!/usr/bin/env bash
# The wheel works on its own: build it, check it carries every non-module file the code reads
# (the playground's page, the store's migrations), install it alone in a fresh virtualenv and
# run the scripted demo from an empty directory (no source tree on sys.path).
#   deploy/check-wheel.sh [python]     (default: python3; CI passes its venv's python)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$py" -m pip wheel --quiet --no-deps --wheel-dir "$tmp/dist" . >/dev/null
wheel=$(ls "$tmp"/dist/sdrs_bot-*.whl)
echo "built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"

# Every file of the source packages that is not Python must be in the wheel.
"$py" - "$wheel" <<'PY'
import pathlib, sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
wanted = [
    str(p) for root in ("bot", "handlers") for p in pathlib.Path(root).rglob("*")
    if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc"}
]
missing = sorted(w for w in wanted if w not in names)
if missing:
    sys.exit("the wheel lacks: " + ", ".join(missing) + " (add them to package-data in pyproject.toml)")
strays = sorted(n for n in names if n.endswith(".pyc") or "__pycache__" in n)
if strays:
    sys.exit("the wheel carries build litter: " + ", ".join(strays[:5]))
print(f"wheel carries all {len(wanted)} files of bot/ and handlers/")
PY

"$py" -m venv "$tmp/venv"
# (this machine's pip.conf names local indexes that may not exist: drop those warnings)
"$tmp/venv/bin/python" -m pip install --quiet "$wheel" 2> >(grep -v "^WARNING: Location" >&2)
cd "$tmp"  # nothing of the source tree is importable from here
"$tmp/venv/bin/python" -c "import bot, sys; assert '/venv/' in bot.__file__, bot.__file__"
version=$("$tmp/venv/bin/python" -c "import importlib.metadata as m; print(m.version('sdrs-bot'))")
echo "installed sdrs-bot $version from the wheel"
timeout 120 "$tmp/venv/bin/sdrs-bot" demo --scripted --port 0 --job-seconds 1 >"$tmp/demo.log" 2>&1 || {
    tail -n 30 "$tmp/demo.log" >&2
    echo "the installed wheel's scripted demo failed" >&2
    exit 1
}
httpx=$("$tmp/venv/bin/python" -c "import httpx" 2>/dev/null && echo "httpx installed by a dependency" \
        || echo "without httpx: the bot sends with aiohttp only")
echo "the installed wheel runs 'sdrs-bot demo --scripted' (exit 0; $httpx)"

# PostgreSQL's driver is the postgresql extra, not installed with the wheel alone: serve with a
# PostgreSQL DATABASE_URL stops at start (exit 2) with the line naming the extra.
if "$tmp/venv/bin/python" -c "import psycopg" 2>/dev/null; then
    echo "the wheel alone installed psycopg: it should come only with the postgresql extra" >&2
    exit 1
fi
status=0
env -i PATH="$PATH" HOME="$tmp" DATABASE_URL=postgresql://sdrs@127.0.0.1:1/none \
    "$tmp/venv/bin/sdrs-bot" serve >"$tmp/serve.log" 2>&1 || status=$?
if [ "$status" -ne 2 ] || ! grep -qF "pip install 'sdrs-bot[postgresql]'" "$tmp/serve.log"; then
    cat "$tmp/serve.log" >&2
    echo "serve without psycopg did not stop naming the postgresql extra (exit $status)" >&2
    exit 1
fi
echo "without the postgresql extra, serve on PostgreSQL stops at start naming it (exit 2)"
