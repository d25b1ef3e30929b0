#!/usr/bin/python3
"""Runs a command and reports its wall time, peak RSS and (with --lines) each line it printed, timestamped.

    timed.py [--lines] [--json FILE] -- COMMAND ...

Peak RSS is the largest resident set of the command or any one of its descendants (wait4's ru_maxrss:
the kernel keeps the maximum over the process tree's members, not their sum).
"""
import json
import os
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    lines = "--lines" in args
    out = None
    if "--json" in args:
        out = args[args.index("--json") + 1]
    command = args[args.index("--") + 1:]
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    log = []
    for line in proc.stdout:
        t = time.monotonic() - start
        log.append((t, line.rstrip("\n")))
        if lines:
            print(f"{t:8.2f}  {line}", end="", flush=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    result = {"wall": wall, "peak_rss_mib": usage.ru_maxrss / 1024, "cpu": usage.ru_utime + usage.ru_stime, "exit": code}
    print(json.dumps(result))
    if out:
        with open(out, "w") as f:
            json.dump({**result, "log": log}, f)
    sys.exit(code)


if __name__ == "__main__":
    main()
