#!/usr/bin/env python3
"""Differential test: random programs on riscv-vm and on QEMU, compared.

Programs come from gen.py in chunks of --per-elf blocks (one ELF each, seed
= first seed + chunk index). Each ELF runs on both machines at once; the
UART outputs (one line of state per block) must match. Prints one line per
chunk: PASS, or FAIL with the seed, block and first differing value; the
ELF and its source are kept under OUT/fail-<seed>.{elf,S} for replay:
    build/riscv-vm --kernel build/diff/fail-<seed>.elf
    python3 tests/diff/gen.py <seed> <per-elf> x.S   (same program)
Exit status 1 when any chunk failed.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = (['x1'] + ['x%d' % i for i in range(4, 32)] +
         ['f%d' % i for i in range(32)] + ['fcsr', 'mscratch'] +
         ['trap count', 'trap hash (mcause/mtval/mepc)'] +
         ['mem[%d]' % (8 * i) for i in range(32)])
CFLAGS = ['-march=rv64gc_zba_zbb_zbs_zicsr_zifencei_zihintpause',
          '-mabi=lp64d',
          '-nostdlib', '-nostartfiles', '-static', '-mcmodel=medany',
          '-I' + HERE, '-T' + os.path.join(HERE, '..', 'isa', 'link.ld'),
          '-Wl,--no-relax', '-Wl,--no-warn-rwx-segments']


def parse(out):
    """{block: [values]} and the first TRAP line, if any"""
    blocks, trap = {}, None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith('TRAP'):
            trap = trap or line
            continue
        k, sep, rest = line.partition(':')
        if sep and k.isdigit():
            blocks[int(k)] = rest.split()
    return blocks, trap


def run_chunk(args, seed, tmp):
    src = os.path.join(tmp, 'd%d.S' % seed)
    elf = os.path.join(tmp, 'd%d.elf' % seed)
    name = '%s/seed-%d' % (args.name, seed)
    gen = subprocess.run([sys.executable, os.path.join(HERE, 'gen.py'),
                          str(seed), str(args.per_elf), src, str(args.insns)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if gen.returncode == 0:
        gen = subprocess.run([args.cc] + CFLAGS + [src, '-o', elf],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if gen.returncode != 0:
        msg = [l for l in gen.stdout.decode('latin-1').splitlines()
               if 'rror' in l] or ['?']
        return 'FAIL: %s (could not build: %s)' % (name, msg[0].strip())
    timeout = str(args.timeout)
    qemu = subprocess.Popen(
        ['timeout', timeout, args.qemu, '-machine', 'virt', '-cpu',
         'rv64,h=false', '-bios', 'none', '-nographic', '-m', '128M',
         '-monitor', 'none', '-serial', 'stdio', '-kernel', elf],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    vm = subprocess.Popen(['timeout', timeout, args.vm, '--kernel', elf] + args.vm_arg,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    qout = qemu.communicate()[0].decode('latin-1')
    vout = vm.communicate()[0].decode('latin-1')
    qb, qtrap = parse(qout)
    vb, vtrap = parse(vout)
    if qemu.returncode != 0 or len(qb) != args.per_elf or qtrap:
        # the reference itself failed: the generator made a bad program
        return 'FAIL: %s (QEMU exit %d, %d/%d blocks%s)' % (
            name, qemu.returncode, len(qb), args.per_elf,
            ', ' + qtrap if qtrap else '')
    bad = []
    for k in range(args.per_elf):
        if vb.get(k) != qb[k]:
            bad.append(k)
    if not bad and vm.returncode == 0:
        return 'PASS: %s (%d programs)' % (name, args.per_elf)
    os.makedirs(args.out, exist_ok=True)
    shutil.copy(elf, os.path.join(args.out, 'fail-%d.elf' % seed))
    shutil.copy(src, os.path.join(args.out, 'fail-%d.S' % seed))
    if not bad:
        return 'FAIL: %s (riscv-vm exit %d after matching output; ELF kept)' % (
            name, vm.returncode)
    k = bad[0]
    if k not in vb:
        why = 'no output for block %d' % k
        if vtrap:
            why += ', riscv-vm: ' + vtrap
        elif vm.returncode:
            why += ', riscv-vm exit %d' % vm.returncode
    else:
        i = next(i for i, (a, b) in enumerate(zip(vb[k], qb[k])) if a != b) \
            if len(vb[k]) == len(qb[k]) else 0
        why = 'block %d, %s: riscv-vm %s, qemu %s' % (
            k, NAMES[i] if i < len(NAMES) else '?', vb[k][i] if vb[k] else '-',
            qb[k][i])
    return 'FAIL: %s (%s; %d of %d blocks differ; ELF kept as %s/fail-%d.elf)' % (
        name, why, len(bad), args.per_elf, args.out, seed)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--count', type=int, default=3000, help='programs')
    p.add_argument('--per-elf', type=int, default=500)
    p.add_argument('--insns', type=int, default=60)
    p.add_argument('--vm', default='build/riscv-vm')
    p.add_argument('--vm-arg', action='append', default=[],
                   help='extra riscv-vm argument (repeatable), e.g. --no-jit')
    p.add_argument('--name', default='diff', help='prefix of the check names')
    p.add_argument('--qemu', default='qemu-system-riscv64')
    p.add_argument('--cc', default='riscv64-unknown-elf-gcc')
    p.add_argument('--out', default='build/diff')
    p.add_argument('--timeout', type=int, default=120)
    args = p.parse_args()
    chunks = max(1, -(-args.count // args.per_elf))
    if not os.access(args.vm, os.X_OK):
        print('FAIL: %s (%s not built)' % (args.name, args.vm))
        return 1
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        for c in range(chunks):
            line = run_chunk(args, args.seed + c, tmp)
            print(line, flush=True)
            if not line.startswith('PASS'):
                status = 1
    return status


sys.exit(main())
