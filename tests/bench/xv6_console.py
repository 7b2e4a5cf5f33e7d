#!/usr/bin/env python3
"""Drives an xv6-riscv console through a VM's stdin/stdout.

Starts the command given after `--`, waits for the shell prompt, types
`usertests -q` (or --command), waits for the verdict, then stops the VM
(xv6 has no poweroff). Prints one result line:

    boot=<s> tests=<s> result=<pass|fail|timeout-boot|timeout-tests|exited>

and exits 0 only on pass. Used by tests/boot/xv6.sh and the xv6 benchmark.
The full transcript goes to --log.
"""
import argparse
import os
import select
import signal
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--boot-timeout", type=float, default=120)
    ap.add_argument("--test-timeout", type=float, default=900)
    ap.add_argument("--command", default="usertests -q")
    ap.add_argument("--pass-text", default="ALL TESTS PASSED")
    ap.add_argument("--fail-text", default="SOME TESTS FAILED")
    ap.add_argument("--boot-only", action="store_true")
    ap.add_argument("--log", required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no VM command after --")

    log = open(a.log, "wb")
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    buf = b""
    boot_s = tests_s = None
    result = None
    state = "boot"
    sent_at = None
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)

    def stop():
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    try:
        while result is None:
            now = time.monotonic()
            if state == "boot" and now - start > a.boot_timeout:
                result = "timeout-boot"
                break
            if state == "tests" and now - sent_at > a.test_timeout:
                result = "timeout-tests"
                break
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                if proc.poll() is not None:
                    result = "exited"
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                result = "exited"
                break
            log.write(chunk)
            log.flush()
            buf += chunk
            if state == "boot":
                i = buf.find(b"init: starting sh")
                if i >= 0 and b"$ " in buf[i:]:
                    boot_s = time.monotonic() - start
                    if a.boot_only:
                        result = "pass"
                        break
                    buf = b""
                    state = "tests"
                    sent_at = time.monotonic()
                    proc.stdin.write(a.command.encode() + b"\n")
                    proc.stdin.flush()
            else:
                if a.pass_text.encode() in buf:
                    tests_s = time.monotonic() - sent_at
                    result = "pass"
                elif a.fail_text.encode() in buf:
                    tests_s = time.monotonic() - sent_at
                    result = "fail"
                # Keep the tail only: the verdict text may straddle chunks.
                buf = buf[-256:]
    finally:
        stop()
        log.close()

    fmt = lambda v: "-" if v is None else "%.2f" % v
    print("boot=%s tests=%s result=%s" % (fmt(boot_s), fmt(tests_s), result))
    sys.exit(0 if result == "pass" else 1)


if __name__ == "__main__":
    main()
