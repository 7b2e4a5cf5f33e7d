#!/usr/bin/env python3
"""Drives a VM's serial console through pipes, like a person at a terminal.

Starts the command after `--`, then follows a step file, waiting for the
guest before each step, every wait bounded by a timeout. Used by
tests/boot/linux.sh and tests/bench/linux-boot.sh, on riscv-vm and on QEMU.

usage: linux-drive.py [options] OUTDIR STEPS -- VM-COMMAND...

Steps, one a line (blank lines and lines starting with ';' ignored):
  prompt [SECS]     wait until the console shows the shell prompt "# "
  run NAME CMD...   type CMD, wait for its end, save its output (no \\r) to
                    OUTDIR/NAME.out and its exit status to OUTDIR/NAME.status
  send TEXT         type TEXT and a newline, wait for nothing
  expect RE [SECS]  wait until the output (since the last step) matches RE
  exit [SECS]       wait for the VM to exit (after poweroff)
  mark NAME         record the time since start as NAME
  feed FILE [SECS]  (alone) type the whole FILE at once, close the input,
                    then wait for exit

Writes OUTDIR/transcript (every byte the VM printed), OUTDIR/stderr,
OUTDIR/times (NAME SECONDS lines: prompt, exit, marks), OUTDIR/rc (the VM's
exit status, or "killed" when the driver had to stop it) and OUTDIR/error (why the drive stopped early).
Exit status 0 when every step finished, 1 otherwise.
"""
import argparse
import os
import re
import select
import signal
import subprocess
import sys
import time

PROMPT = re.compile(rb"(^|\n)# $")
# The typed command never contains the markers themselves: the shell joins
# the quoted halves only when it runs them.
BEGIN = b"@@BEGIN@@"
END = re.compile(rb"@@END@@ (\d+)\r?\n")


def prompt_after(buf, pos):
    """True when the output from pos on ends with the prompt on a new line
    (pos itself may be the start of that line)."""
    return PROMPT.search(buf, max(pos - 1, 0)) is not None


class Stop(Exception):
    pass


class Console:
    def __init__(self, argv, outdir, default_timeout):
        self.outdir = outdir
        self.timeout = default_timeout
        self.t0 = time.monotonic()
        self.buf = b""
        self.mark = 0  # start of the output not yet consumed by a step
        self.transcript = open(os.path.join(outdir, "transcript"), "wb")
        self.stderr = open(os.path.join(outdir, "stderr"), "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, start_new_session=True)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.rc = None

    def elapsed(self):
        return time.monotonic() - self.t0

    def pump(self, deadline):
        """Reads what the VM printed until deadline; False once it exited."""
        fd = self.proc.stdout.fileno()
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                data = None
            if data:
                self.buf += data
                self.transcript.write(data)
                self.transcript.flush()
                return True
            if data == b"":
                self.rc = self.proc.wait()
                return False
        if self.proc.poll() is not None:
            # Drain what is left, then report the exit.
            try:
                while True:
                    data = os.read(fd, 65536)
                    if not data:
                        break
                    self.buf += data
                    self.transcript.write(data)
            except BlockingIOError:
                pass
            self.transcript.flush()
            self.rc = self.proc.returncode
            return False
        return True

    def wait_for(self, test, secs, what):
        deadline = time.monotonic() + secs
        while True:
            found = test()
            if found is not None:
                return found
            if self.rc is not None:
                raise Stop("VM exited (status %s) while waiting for %s" % (self.rc, what))
            if time.monotonic() >= deadline:
                raise Stop("timed out after %gs waiting for %s" % (secs, what))
            self.pump(deadline)

    def send(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise Stop("VM closed its input")

    def prompt(self, secs):
        def test():
            return True if prompt_after(self.buf, self.mark) else None
        self.wait_for(test, secs, "the shell prompt")
        self.mark = len(self.buf)

    def run(self, name, cmd, secs):
        start = len(self.buf)
        line = 'echo "@@BEGIN""@@"; %s; echo "@@END""@@ $?"\n' % cmd
        self.send(line.encode())

        def test():
            b = self.buf.find(BEGIN + b"\r\n", start)
            if b < 0:
                b = self.buf.find(BEGIN + b"\n", start)
            if b < 0:
                return None
            m = END.search(self.buf, b)
            if not m or not prompt_after(self.buf, m.end()):
                return None
            return b, m
        b, m = self.wait_for(test, secs, "the end of '%s'" % cmd)
        body = self.buf[self.buf.index(b"\n", b) + 1:m.start()].replace(b"\r", b"")
        with open(os.path.join(self.outdir, name + ".out"), "wb") as f:
            f.write(body)
        with open(os.path.join(self.outdir, name + ".status"), "w") as f:
            f.write(m.group(1).decode() + "\n")
        self.mark = len(self.buf)

    def expect(self, pattern, secs):
        rx = re.compile(pattern.encode())

        def test():
            m = rx.search(self.buf, self.mark)
            return m.end() if m else None
        self.mark = self.wait_for(test, secs, "/%s/" % pattern)

    def wait_exit(self, secs):
        deadline = time.monotonic() + secs
        while self.rc is None:
            if time.monotonic() >= deadline:
                raise Stop("timed out after %gs waiting for the VM to exit" % secs)
            self.pump(deadline)

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=30, help="default seconds per step")
    ap.add_argument("outdir")
    ap.add_argument("steps")
    ap.add_argument("argv", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    argv = a.argv[1:] if a.argv and a.argv[0] == "--" else a.argv
    if not argv:
        ap.error("no VM command after --")
    os.makedirs(a.outdir, exist_ok=True)
    with open(a.steps) as f:
        steps = [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith(";")]

    con = Console(argv, a.outdir, a.timeout)
    times = []
    error = None
    try:
        for step in steps:
            word, _, rest = step.partition(" ")
            if word == "prompt":
                con.prompt(float(rest or a.timeout))
                times.append(("prompt", con.elapsed()))
            elif word == "run":
                name, _, cmd = rest.partition(" ")
                con.run(name, cmd, a.timeout)
            elif word == "send":
                con.send(rest.encode() + b"\n")
            elif word == "expect":
                pat, _, secs = rest.rpartition(" ")
                if not pat or not re.fullmatch(r"[0-9.]+", secs):
                    pat, secs = rest, ""
                con.expect(pat, float(secs or a.timeout))
            elif word == "exit":
                con.wait_exit(float(rest or a.timeout))
                times.append(("exit", con.elapsed()))
            elif word == "mark":
                times.append((rest, con.elapsed()))
            elif word == "feed":
                path, _, secs = rest.partition(" ")
                with open(path, "rb") as f:
                    con.send(f.read())
                # End of input: a VM may wait for it before starting (a
                # deterministic run takes all its input up front).
                con.proc.stdin.close()
                con.wait_exit(float(secs or a.timeout))
                times.append(("exit", con.elapsed()))
            else:
                raise Stop("unknown step: " + step)
    except Stop as e:
        error = str(e)
    finally:
        con.kill()
        con.transcript.close()
        con.stderr.close()
    with open(os.path.join(a.outdir, "times"), "w") as f:
        for name, secs in times:
            f.write("%s %.3f\n" % (name, secs))
    with open(os.path.join(a.outdir, "rc"), "w") as f:
        f.write("%s\n" % (con.rc if con.rc is not None else "killed"))
    with open(os.path.join(a.outdir, "error"), "w") as f:
        f.write((error or "") + "\n" if error else "")
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
