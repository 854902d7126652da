"""Helpers shared by the compat scenarios: bounded waits and assertions with context."""

import sys
import time


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def deadline(seconds):
    end = time.monotonic() + seconds
    return lambda: time.monotonic() < end
