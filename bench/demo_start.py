"""How fast `sdrs-bot demo` is ready and how fast Ctrl-C stops it (the aim: ready in under 5 s).

Starts the demo N times as a person would (a new process each time), measures until it prints
its URL (the bot is listening then), until the page answers, and from SIGINT until the process
is gone. Also a bare `python -c "import bot.serve"` run, for scale: most of the start is imports.

    python bench/demo_start.py [--runs 5]
    python bench/demo_start.py --quick     # one run (CI)

Exits non-zero when the demo does not start, its page does not answer, or it does not stop
within 30 s of Ctrl-C; the figures (and the 5 s target) are printed, never asserted.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BenchFailed(Exception):
    """The bench itself could not run (not a slow figure: figures are never asserted)."""


def one_run() -> tuple[float, float, float]:
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "demo", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    try:
        line = proc.stdout.readline()
        printed = time.monotonic() - started
        if "open " not in line:  # a failing command prints one line saying why
            raise BenchFailed(f"the demo did not start: {line.strip()!r}")
        url = line.split("open ", 1)[1].strip()
        with urllib.request.urlopen(url, timeout=10) as page:
            if page.status != 200:
                raise BenchFailed(f"the demo's page answered HTTP {page.status}")
        answered = time.monotonic() - started
        stop = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            raise BenchFailed("the demo did not stop within 30 s of Ctrl-C") from None
        stopped = time.monotonic() - stop
        if proc.returncode != 0:
            raise BenchFailed(f"the demo exited with status {proc.returncode} on Ctrl-C")
        return printed, answered, stopped
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one run")
    args = parser.parse_args()
    runs_wanted = 1 if args.quick else args.runs
    t = time.monotonic()
    imports_cmd = [sys.executable, "-c", "import bot.serve, bot.playground.run"]
    subprocess.run(imports_cmd, cwd=ROOT, check=True)
    imports = time.monotonic() - t
    try:
        runs = [one_run() for _ in range(runs_wanted)]
    except (BenchFailed, OSError) as failed:
        print(f"demo_start: the bench could not run: {failed}", file=sys.stderr)
        raise SystemExit(1) from None
    for name, i in (("URL printed", 0), ("page answered", 1), ("stopped after Ctrl-C", 2)):
        values = [r[i] for r in runs]
        print(f"{name:>22}: median {statistics.median(values):.2f}s, max {max(values):.2f}s")
    print(f"{'imports alone':>22}: {imports:.2f}s (same run, for scale)")
    print(f"start target < 5 s: {'met' if max(r[1] for r in runs) < 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
