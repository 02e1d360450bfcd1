#!/usr/bin/env bash
# Every bench in bench/ in its quick mode (tiny counts, seconds each): a change that stops a bench
# from running fails here. Figures are printed, not asserted; a bench exits non-zero only when it
# cannot run. .ci/run calls this after the tests; run it from the repository's virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
failed=()
for bench in bench/*.py; do
    echo "-- python $bench --quick"
    t=$SECONDS
    if timeout 300 python "$bench" --quick; then
        echo "-- $bench: ran in $((SECONDS - t)) s"
    else
        echo "-- $bench: FAILED (exit status $?) after $((SECONDS - t)) s" >&2
        failed+=("$bench")
    fi
done
echo "-- benches in quick mode: $((SECONDS - started)) s in all"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "benches that could not run: ${failed[*]}" >&2
    exit 1
fi
