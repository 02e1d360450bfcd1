#!/usr/bin/env bash
# requirements.lock: every run-time dependency pinned with hashes (uv pip compile, universal:
# one file for every platform, Python 3.11+), with the postgresql extra (PostgreSQL's driver,
# psycopg): the image installs from it (--require-hashes) and so carries the driver.
#   deploy/lock.sh           rewrite it after changing dependencies in pyproject.toml
#                            (pins already in the file are kept where pyproject still allows them)
#   deploy/lock.sh --upgrade take the newest versions pyproject allows
#   deploy/lock.sh --check   CI: fail if the file does not match pyproject.toml (a dependency
#                            added, removed or re-bounded without re-locking); never upgrades
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null 2>&1 || python -m pip install --quiet 'uv>=0.5'
compile=(uv pip compile pyproject.toml --extra postgresql --universal --python-version 3.11 --generate-hashes
         --custom-compile-command deploy/lock.sh --quiet)
case "${1:-}" in
    --check)
        tmp=$(mktemp -d)
        trap 'rm -rf "$tmp"' EXIT
        cp requirements.lock "$tmp/requirements.lock"
        "${compile[@]}" -o "$tmp/requirements.lock"
        if ! diff -u requirements.lock "$tmp/requirements.lock"; then
            echo "requirements.lock does not match pyproject.toml: run deploy/lock.sh and commit" \
                 "the result" >&2
            exit 1
        fi
        echo "requirements.lock matches pyproject.toml"
        ;;
    --upgrade) "${compile[@]}" --upgrade -o requirements.lock ;;
    "") "${compile[@]}" -o requirements.lock ;;
    *) echo "usage: deploy/lock.sh [--check|--upgrade]" >&2; exit 2 ;;
esac
