"""How fast `sdrs-bot demo` is ready and how fast Ctrl-C stops it (issue 6: start < 5 s).

Starts the demo N times as a person would (a new process each time), measures until it prints
its URL (the bot is listening then), until the page answers, and from SIGINT until the process
is gone. Also a bare `python -c "import bot.app"` run, for scale: most of the start is imports.

    python bench/demo_start.py [--runs 5]
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


def one_run() -> tuple[float, float, float]:
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "demo", "--port", "0"], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    printed = time.monotonic() - started
    url = line.split("open ", 1)[1].strip()
    with urllib.request.urlopen(url, timeout=10) as page:
        assert page.status == 200
    answered = time.monotonic() - started
    stop = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(30)
    stopped = time.monotonic() - stop
    proc.stdout.close()
    return printed, answered, stopped


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    t = time.monotonic()
    subprocess.run([sys.executable, "-c", "import bot.app, bot.playground.run"], cwd=ROOT,
                   check=True)  # fmt: skip
    imports = time.monotonic() - t
    runs = [one_run() for _ in range(args.runs)]
    for name, i in (("URL printed", 0), ("page answered", 1), ("stopped after Ctrl-C", 2)):
        values = [r[i] for r in runs]
        print(f"{name:>22}: median {statistics.median(values):.2f}s, max {max(values):.2f}s")
    print(f"{'imports alone':>22}: {imports:.2f}s (same run, for scale)")
    print(f"start target < 5 s: {'met' if max(r[1] for r in runs) < 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
