#!/usr/bin/env bash
# Are the lower bounds in pyproject.toml true? Resolve the run-time dependencies (with the
# postgresql extra) at their lowest allowed versions (uv --resolution lowest-direct: each direct
# dependency at its lower bound, what they need at whatever fits), install them in a throw-away
# virtualenv with the test tools (newest), and run the tests against them.
#   deploy/min-versions.sh            a subset that exercises every dependency (about 2 minutes)
#   deploy/min-versions.sh tests/     any pytest arguments: here the whole suite
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet 'uv>=0.5'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
uv pip compile pyproject.toml --extra postgresql --resolution lowest-direct --python-version 3.11 \
    --no-header --quiet -o "$tmp/lowest.txt"
echo "lowest allowed run-time dependencies:"
grep -E '^[a-z]' "$tmp/lowest.txt" | sed 's/ *;.*//' | tr '\n' ' '
echo
uv venv --quiet --python python3 "$tmp/venv"
# The run-time dependencies are pinned to those versions; the test tools take what fits them.
VIRTUAL_ENV="$tmp/venv" uv pip install --quiet --compile-bytecode --constraint "$tmp/lowest.txt" \
    '.[test,postgresql]' pytest-timeout
VIRTUAL_ENV="$tmp/venv" uv pip list --quiet 2>/dev/null \
    | grep -iE '^(slack-bolt|slack-sdk|aiohttp|prometheus-client|pydantic|pydantic-settings|apscheduler|sqlalchemy|psycopg) '
if [ $# -eq 0 ]; then
    # Settings (pydantic-settings), the Slack flows (slack-bolt/sdk over aiohttp), the cloud
    # clients (aiohttp), the store on SQLite and PostgreSQL (SQLAlchemy; psycopg, the postgresql
    # extra), the tracker (APScheduler), metrics (prometheus-client), the health endpoints and
    # the scripted demo.
    set -- tests/config/test_config.py tests/cloud/test_cloud_http.py tests/cloud/test_signing.py \
        tests/store/test_store.py tests/store/test_store_jobs.py tests/flows/test_slack_flow.py \
        tests/slack/test_outbox.py tests/running/test_ops_endpoints.py tests/running/test_shutdown.py \
        tests/playground/test_playground.py tests/running/test_check.py
fi
# A dependency too old may make a test wait forever: each test gets 120 s.
"$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider --timeout 120 -rfE "$@"
