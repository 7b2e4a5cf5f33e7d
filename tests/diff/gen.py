#!/usr/bin/env python3
"""Random instruction programs for differential testing (riscv-vm vs QEMU).

One output file holds many independent programs ("blocks"). Block k of
seed S is generated from random.Random(S * 1000003 + k), so a block can be
regenerated alone. Each block:
  1. loads fcsr, mscratch, f0-f31 and every x register except sp and gp
     from its own table of random and edge values;
  2. runs a straight-line random sequence of integer, M, A, C, F/D, Zba,
     Zbb, Zbs and CSR instructions, with only short forward branches and
     jumps; sp points at the block's own 256-byte scratch area, the only
     memory the block touches (misaligned loads and stores included; sp
     moves only by c.addi16sp pairs);
  3. saves x1, x4-x31, f0-f31, fcsr and mscratch, and calls dump_print,
     which prints "k:" and those values, the block's trap count and hash
     (some instructions must trap: see runtime.h), then the 32 doublewords
     of the scratch area, in hex on the 16550 UART: one line per block.
After the last block the program writes 0x5555 to the sifive,test syscon.
Only architecturally defined behaviour is generated: no counters or
time (reading them), aligned AMOs, LR/SC pairs with nothing between them,
no EBREAK (its mtval is implementation-defined). QEMU 7.2's ctzw is wrong when the low word is zero and
the upper word is not, so ctzw is left out.

usage: gen.py SEED BLOCKS OUT.S [INSNS_PER_BLOCK]
"""
import random
import sys

M64 = (1 << 64) - 1

# registers a block may write (not x0, sp = x2, gp = x3)
WREGS = [1] + list(range(4, 32))
RREGS = list(range(0, 32))
CREGS = list(range(8, 16))  # x8-x15 for the 3-bit compressed fields
FREGS = list(range(32))
CFREGS = list(range(8, 16))
RMS = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'dyn']

EDGE = [0, 1, 2, M64, M64 - 1, 0x7fffffffffffffff, 0x8000000000000000,
        0x7fffffff, 0x80000000, 0xffffffff, 0xffffffff80000000, 0x100000000,
        0x8000000000000001, 0x00000000ffff8000, 0x5555555555555555, 31, 32,
        63, 64]

FP_D = [0, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
        0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
        0x7ff0000000000001, 0x0000000000000001, 0x000fffffffffffff,
        0x0010000000000000, 0x7fefffffffffffff, 0x3fe0000000000000,
        0x4330000000000000, 0x43e0000000000000, 0xc3e0000000000000,
        0x41dfffffffc00000, 0x41e0000000000000, 0x400921fb54442d18,
        0x3fb999999999999a]
FP_S = [0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000,
        0x7fc00000, 0x7f800001, 0x00000001, 0x007fffff, 0x00800000,
        0x7f7fffff, 0x3f000000, 0x4b000000, 0x5f000000, 0xdf000000,
        0x4f000000, 0xcf000000, 0x40490fdb, 0x3dcccccd]


def xr(i):
    return 'x%d' % i


def fr(i):
    return 'f%d' % i


class Block:
    def __init__(self, rng, k, ninsns):
        self.r = rng
        self.k = k
        self.n = ninsns
        self.out = []

    def wreg(self):
        return xr(self.r.choice(WREGS))

    def rreg(self):
        return xr(self.r.choice(RREGS))

    def freg(self):
        return fr(self.r.choice(FREGS))

    def rm(self):
        return self.r.choice(RMS)

    def int_value(self):
        r = self.r
        c = r.randrange(4)
        if c == 0:
            return r.choice(EDGE)
        if c == 1:
            return r.getrandbits(64)
        if c == 2:
            return (r.getrandbits(12) - 2048) & M64
        return (r.getrandbits(32) ^ (M64 << 32 if r.randrange(2) else 0)) & M64

    def fp_value(self):
        r = self.r
        c = r.randrange(6)
        if c == 0:
            return r.choice(FP_D)
        if c == 1:
            return 0xffffffff00000000 | r.choice(FP_S)  # boxed single
        if c == 2:
            return 0xffffffff00000000 | r.getrandbits(32)
        if c == 3:
            return r.getrandbits(32)                    # unboxed
        return r.getrandbits(64)

    # ---- instruction generators: each appends one or a few lines
    def alu_rr(self):
        op = self.r.choice([
            'add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or',
            'and', 'addw', 'subw', 'sllw', 'srlw', 'sraw', 'mul', 'mulh',
            'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw',
            'divuw', 'remw', 'remuw', 'add.uw', 'sh1add', 'sh2add', 'sh3add',
            'sh1add.uw', 'sh2add.uw', 'sh3add.uw', 'andn', 'orn', 'xnor',
            'max', 'maxu', 'min', 'minu', 'rol', 'ror', 'rolw', 'rorw',
            'bclr', 'bext', 'binv', 'bset'])
        self.out.append('%s %s, %s, %s' % (op, self.wreg(), self.rreg(),
                                           self.rreg()))

    def alu_imm(self):
        r = self.r
        op = r.choice(['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi',
                       'addiw', 'slli', 'srli', 'srai', 'slliw', 'srliw',
                       'sraiw', 'slli.uw', 'rori', 'roriw', 'bclri', 'bexti',
                       'binvi', 'bseti'])
        if op in ('slliw', 'srliw', 'sraiw', 'roriw'):
            imm = r.randrange(32)
        elif op in ('slli', 'srli', 'srai', 'slli.uw', 'rori', 'bclri',
                    'bexti', 'binvi', 'bseti'):
            imm = r.randrange(64)
        else:
            imm = r.randrange(-2048, 2048)
        self.out.append('%s %s, %s, %d' % (op, self.wreg(), self.rreg(), imm))

    def alu_unary(self):
        op = self.r.choice(['clz', 'clzw', 'ctz', 'cpop', 'cpopw', 'sext.b',
                            'sext.h', 'zext.h', 'orc.b', 'rev8'])
        self.out.append('%s %s, %s' % (op, self.wreg(), self.rreg()))

    def upper(self):
        r = self.r
        op = r.choice(['lui', 'auipc'])
        self.out.append('%s %s, 0x%x' % (op, self.wreg(), r.getrandbits(20)))

    def load_store(self):
        r = self.r
        if r.randrange(2):
            op, size = r.choice([('lb', 1), ('lbu', 1), ('lh', 2), ('lhu', 2),
                                 ('lw', 4), ('lwu', 4), ('ld', 8)])
            off = self.mem_off(size)
            self.out.append('%s %s, %d(sp)' % (op, self.wreg(), off))
        else:
            op, size = r.choice([('sb', 1), ('sh', 2), ('sw', 4), ('sd', 8)])
            off = self.mem_off(size)
            self.out.append('%s %s, %d(sp)' % (op, self.rreg(), off))

    def other_base(self):
        """a load or store through another base register pointing into the
        scratch area, with a negative or positive offset"""
        r = self.r
        base = r.choice(WREGS)
        off1 = r.randrange(0, 256)
        op, size = r.choice([('ld', 8), ('lw', 4), ('lhu', 2), ('sd', 8),
                             ('sw', 4), ('sb', 1), ('fld', 8), ('fsw', 4)])
        off2 = r.randrange(-off1, 256 - size + 1 - off1)
        self.out.append('addi %s, sp, %d' % (xr(base), off1))
        if op[0] == 'f':
            reg = self.freg()
        elif op[0] == 'l':
            reg = self.wreg()
        else:
            reg = self.rreg()
        self.out.append('%s %s, %d(%s)' % (op, reg, off2, xr(base)))

    def sp_moves(self):
        """c.addi16sp there and back, an sp-relative access in between"""
        r = self.r
        d = r.choice([16, 32, 48, 64, 96, 128])
        op, size = r.choice([('c.ldsp', 8), ('c.sdsp', 8), ('c.lwsp', 4),
                             ('c.fsdsp', 8)])
        off = r.randrange(0, (256 - d) // size) * size
        if op == 'c.fsdsp':
            reg = self.freg()
        elif op[2] == 'l':
            reg = self.wreg()
        else:
            reg = self.rreg()
        self.out.append('c.addi16sp sp, %d' % d)
        self.out.append('%s %s, %d(sp)' % (op, reg, off))
        self.out.append('c.addi16sp sp, %d' % -d)

    def misc(self):
        self.out.append(self.r.choice(['fence', 'fence.i', 'nop', 'c.nop',
                                       'pause', 'fence rw, rw', 'fence.tso']))

    def trap(self):
        """an instruction that must trap; the handler records and skips it"""
        r = self.r
        c = r.randrange(7)
        if c == 0:
            self.out.append('ecall')
        elif c == 1:
            # reserved compressed encodings and the all-zero parcel
            self.out.append('.hword 0x%04x' % r.choice(
                [0x0000, 0x0004, 0x6501, 0x6101, 0x8002, 0x2001, 0x4002,
                 0x6002]))
        elif c == 2:
            # writes to read-only CSRs (a non-x0 rs1 always means a write)
            self.out.append('csrrw %s, %s, %s' % (
                self.wreg(), r.choice(['mvendorid', 'marchid', 'mimpid',
                                       'mhartid', 'cycle', 'time',
                                       'instret']),
                xr(r.choice(range(1, 32)))))
        elif c == 3:
            self.out.append('csrrs %s, 0x%x, %s' % (
                self.wreg(), r.choice([0x123, 0x7c0, 0x5ff, 0xfff]),
                self.rreg()))
        elif c == 4:
            # dynamic rounding with a reserved frm, then a valid one again
            self.out.append('csrwi frm, %d' % r.randrange(5, 8))
            self.out.append('fadd.%s %s, %s, %s, dyn' % (
                r.choice('sd'), self.freg(), self.freg(), self.freg()))
            self.out.append('csrwi frm, %d' % r.randrange(5))
        elif c == 5:
            # static rounding mode 5 or 6: reserved
            self.out.append('.word 0x%08x' % (
                0x01 << 25 | r.randrange(32) << 20 | r.randrange(32) << 15 |
                r.randrange(5, 7) << 12 | r.randrange(32) << 7 | 0x53))
        else:
            # loads and stores where nothing is mapped: access faults
            base = xr(r.choice(WREGS))
            addr = r.choice([0, 8, 0x100000000, 0x0100000080000000])
            self.out.append('li %s, 0x%x' % (base, addr))
            op = r.choice(['ld', 'lw', 'lbu', 'sd', 'sh', 'sb'])
            reg = self.wreg() if op[0] == 'l' else self.rreg()
            # aligned: for a misaligned load QEMU 7.2 reports the aligned
            # word's address in mtval, not the access's (see tests/isa)
            self.out.append('%s %s, %d(%s)' % (op, reg, 8 * r.randrange(8),
                                               base))

    def fp_load_store(self):
        r = self.r
        op, size = r.choice([('flw', 4), ('fld', 8), ('fsw', 4), ('fsd', 8)])
        self.out.append('%s %s, %d(sp)' % (op, self.freg(), self.mem_off(size)))

    def mem_off(self, size):
        r = self.r
        if r.randrange(3) == 0:
            return r.randrange(0, 256 - size + 1)       # any alignment
        return r.randrange(0, 256 // size) * size

    def amo(self):
        r = self.r
        w = r.choice(['w', 'd'])
        size = 4 if w == 'w' else 8
        addr = xr(r.choice(WREGS))
        off = r.randrange(0, 256 // size) * size
        op = r.choice(['amoswap', 'amoadd', 'amoxor', 'amoand', 'amoor',
                       'amomin', 'amomax', 'amominu', 'amomaxu'])
        sfx = r.choice(['', '.aq', '.rl', '.aqrl'])
        self.out.append('addi %s, sp, %d' % (addr, off))
        self.out.append('%s.%s%s %s, %s, (%s)' % (op, w, sfx, self.wreg(),
                                                   self.rreg(), addr))

    def lrsc(self):
        r = self.r
        w = r.choice(['w', 'd'])
        size = 4 if w == 'w' else 8
        addr = r.choice(WREGS)
        off = r.randrange(0, 256 // size) * size
        rd1 = r.choice([x for x in WREGS if x != addr])
        self.out.append('addi %s, sp, %d' % (xr(addr), off))
        self.out.append('lr.%s %s, (%s)' % (w, xr(rd1), xr(addr)))
        self.out.append('sc.%s %s, %s, (%s)' % (w, self.wreg(), self.rreg(),
                                                xr(addr)))

    def compressed(self):
        r = self.r
        c = r.randrange(13)
        cr = lambda: xr(r.choice(CREGS))
        nz = lambda: xr(r.choice(WREGS))
        if c == 0:
            imm = r.choice([i for i in range(-32, 32) if i])
            self.out.append('c.addi %s, %d' % (nz(), imm))
        elif c == 1:
            self.out.append('c.li %s, %d' % (nz(), r.randrange(-32, 32)))
        elif c == 2:
            v = r.choice([i for i in range(1, 64) if i != 0])
            v = v if v < 32 else (v - 64) & 0xfffff
            self.out.append('c.lui %s, 0x%x' % (xr(r.choice([x for x in WREGS])),
                                                v))
        elif c == 3:
            self.out.append('c.addiw %s, %d' % (nz(), r.randrange(-32, 32)))
        elif c == 4:
            self.out.append('c.slli %s, %d' % (nz(), r.randrange(1, 64)))
        elif c == 5:
            self.out.append('%s %s, %d' % (r.choice(['c.srli', 'c.srai']), cr(),
                                           r.randrange(1, 64)))
        elif c == 6:
            self.out.append('c.andi %s, %d' % (cr(), r.randrange(-32, 32)))
        elif c == 7:
            self.out.append('%s %s, %s' % (r.choice(['c.sub', 'c.xor', 'c.or',
                                                     'c.and', 'c.subw',
                                                     'c.addw']), cr(), cr()))
        elif c == 8:
            rs = xr(r.choice([x for x in RREGS if x]))
            self.out.append('%s %s, %s' % (r.choice(['c.mv', 'c.add']), nz(),
                                           rs))
        elif c == 9:
            op, size = r.choice([('c.ldsp', 8), ('c.lwsp', 4), ('c.sdsp', 8),
                                 ('c.swsp', 4)])
            off = r.randrange(0, 256 // size) * size
            reg = nz() if 'l' in op[2] else xr(r.choice(RREGS))
            self.out.append('%s %s, %d(sp)' % (op, reg, off))
        elif c == 10:
            op = r.choice(['c.fldsp', 'c.fsdsp'])
            self.out.append('%s %s, %d(sp)' % (op, self.freg(),
                                               r.randrange(0, 32) * 8))
        elif c == 11:
            # loads and stores through x8-x15 pointing into the scratch area
            base = r.choice(CREGS)
            op, size = r.choice([('c.ld', 8), ('c.lw', 4), ('c.sd', 8),
                                 ('c.sw', 4), ('c.fld', 8), ('c.fsd', 8)])
            start = r.randrange(0, 256 // size) * size
            reach = 32 * size           # 5-bit scaled offset
            off = r.randrange(0, min(reach, 256 - start) // size) * size
            if op in ('c.fld', 'c.fsd'):
                reg = fr(r.choice(CFREGS))
            elif op in ('c.ld', 'c.lw'):
                reg = xr(r.choice([x for x in CREGS if x != base] or CREGS))
            else:
                reg = cr()
            self.out.append('addi %s, sp, %d' % (xr(base), start))
            self.out.append('%s %s, %d(%s)' % (op, reg, off, xr(base)))
        else:
            # c.addi4spn / c.addi16sp would move sp; c.addi4spn is safe
            self.out.append('c.addi4spn %s, sp, %d' % (cr(),
                                                       r.randrange(1, 256) * 4))

    def fp(self):
        r = self.r
        p = r.choice(['s', 'd'])
        c = r.randrange(10)
        if c < 3:
            op = r.choice(['fadd', 'fsub', 'fmul', 'fdiv'])
            self.out.append('%s.%s %s, %s, %s, %s' % (op, p, self.freg(),
                                                      self.freg(), self.freg(),
                                                      self.rm()))
        elif c == 3:
            op = r.choice(['fmadd', 'fmsub', 'fnmadd', 'fnmsub'])
            self.out.append('%s.%s %s, %s, %s, %s, %s' % (
                op, p, self.freg(), self.freg(), self.freg(), self.freg(),
                self.rm()))
        elif c == 4:
            self.out.append('fsqrt.%s %s, %s, %s' % (p, self.freg(),
                                                     self.freg(), self.rm()))
        elif c == 5:
            op = r.choice(['fsgnj', 'fsgnjn', 'fsgnjx', 'fmin', 'fmax'])
            self.out.append('%s.%s %s, %s, %s' % (op, p, self.freg(),
                                                  self.freg(), self.freg()))
        elif c == 6:
            op = r.choice(['feq', 'flt', 'fle'])
            self.out.append('%s.%s %s, %s, %s' % (op, p, self.wreg(),
                                                  self.freg(), self.freg()))
        elif c == 7:
            it = r.choice(['w', 'wu', 'l', 'lu'])
            if r.randrange(2):
                self.out.append('fcvt.%s.%s %s, %s, %s' % (it, p, self.wreg(),
                                                           self.freg(),
                                                           self.rm()))
            else:
                exact = p == 'd' and it in ('w', 'wu')
                self.out.append('fcvt.%s.%s %s, %s%s' % (
                    p, it, self.freg(), self.rreg(),
                    '' if exact else ', ' + self.rm()))
        elif c == 8:
            op = r.choice(['fcvt.s.d %s, %s, ' + self.rm(), 'fcvt.d.s %s, %s',
                           'fmv.x.w X, F', 'fmv.w.x F, X', 'fmv.x.d X, F',
                           'fmv.d.x F, X', 'fclass.s X, F', 'fclass.d X, F'])
            if 'X' in op:
                op = op.replace('X', self.wreg() if op.index('X') < op.index('F')
                                else self.rreg())
                op = op.replace('F', self.freg())
                self.out.append(op)
            else:
                self.out.append(op % (self.freg(), self.freg()))
        else:
            self.fp_load_store()

    def csr(self):
        r = self.r
        c = r.randrange(6)
        if c == 0:
            self.out.append('%s %s, mscratch, %s' % (
                r.choice(['csrrw', 'csrrs', 'csrrc']), self.wreg(), self.rreg()))
        elif c == 1:
            self.out.append('%s %s, mscratch, %d' % (
                r.choice(['csrrwi', 'csrrsi', 'csrrci']), self.wreg(),
                r.randrange(32)))
        elif c == 2:
            self.out.append('%s %s, fflags, %s' % (
                r.choice(['csrrw', 'csrrs', 'csrrc']), self.wreg(), self.rreg()))
        elif c == 3:
            self.out.append('%s %s, fflags, %d' % (
                r.choice(['csrrwi', 'csrrsi', 'csrrci']), self.wreg(),
                r.randrange(32)))
        elif c == 4:
            self.out.append('csrrwi %s, frm, %d' % (self.wreg(), r.randrange(5)))
        else:
            # fcsr: a value with a valid frm
            t = self.wreg()
            self.out.append('li %s, %d' % (t, r.randrange(5) << 5 |
                                           r.randrange(32)))
            self.out.append('csrrw %s, fcsr, %s' % (self.wreg(), t))

    def straight(self):
        """one instruction (or tight group) without control flow"""
        r = self.r
        w = r.randrange(100)
        if w < 22:
            self.alu_rr()
        elif w < 34:
            self.alu_imm()
        elif w < 38:
            self.alu_unary()
        elif w < 41:
            self.upper()
        elif w < 50:
            self.load_store()
        elif w < 54:
            self.amo()
        elif w < 56:
            self.lrsc()
        elif w < 68:
            self.compressed()
        elif w < 91:
            self.fp()
        elif w < 96:
            self.csr()
        elif w < 98:
            self.other_base()
        elif w < 99:
            self.sp_moves()
        elif self.r.randrange(2):
            self.misc()
        else:
            self.trap()

    def branch(self):
        r = self.r
        lab = '%d' % r.randrange(1, 9)
        if r.randrange(4) == 0:
            self.out.append('jal %s, %sf' % (xr(r.choice([0] + WREGS)), lab))
        elif r.randrange(3) == 0:
            op = r.choice(['c.beqz', 'c.bnez'])
            self.out.append('%s %s, %sf' % (op, xr(r.choice(CREGS)), lab))
        else:
            op = r.choice(['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu'])
            self.out.append('%s %s, %s, %sf' % (op, self.rreg(), self.rreg(),
                                                lab))
        for _ in range(r.randrange(1, 4)):
            self.straight()
        self.out.append('%s:' % lab)

    def generate(self):
        while len(self.out) < self.n:
            if self.r.randrange(12) == 0:
                self.branch()
            else:
                self.straight()
        return self.out


def main():
    seed = int(sys.argv[1])
    blocks = int(sys.argv[2])
    path = sys.argv[3]
    ninsns = int(sys.argv[4]) if len(sys.argv) > 4 else 60
    code, data = [], []
    for k in range(blocks):
        rng = random.Random(seed * 1000003 + k)
        b = Block(rng, k, ninsns)
        init = [rng.randrange(5) << 5 | rng.randrange(32),   # fcsr
                b.int_value()]                                # mscratch
        init += [b.fp_value() for _ in range(32)]
        init += [b.int_value() for _ in range(32)]
        scratch = [rng.getrandbits(64) for _ in range(32)]
        body = b.generate()
        code.append('    /* block %d */' % k)
        code.append('    la gp, init_%d' % k)
        code.append('    ld t0, 0(gp); csrw fcsr, t0')
        code.append('    ld t0, 8(gp); csrw mscratch, t0')
        for i in range(32):
            code.append('    fld f%d, %d(gp)' % (i, 16 + 8 * i))
        for i in WREGS:
            code.append('    ld x%d, %d(gp)' % (i, 16 + 256 + 8 * i))
        code.append('    la sp, scratch_%d' % k)
        code.append('    la gp, save_area')
        code.append('    sd zero, 544(gp); sd zero, 552(gp)')
        code.extend('    ' + line if not line.endswith(':') else line
                    for line in body)
        # save the state (gp = save_area; nothing in the body writes gp)
        for i in WREGS:
            code.append('    sd x%d, %d(gp)' % (i, 8 * i))
        for i in range(32):
            code.append('    fsd f%d, %d(gp)' % (i, 256 + 8 * i))
        code.append('    csrr t0, fcsr; sd t0, 512(gp)')
        code.append('    csrr t0, mscratch; sd t0, 520(gp)')
        code.append('    li a0, %d; mv a1, sp; jal ra, dump_print' % k)
        data.append('init_%d: .dword %s' % (k, ', '.join('0x%x' % v for v in init)))
        data.append('scratch_%d: .dword %s' % (k, ', '.join('0x%x' % v for v in scratch)))
    with open(path, 'w') as f:
        f.write('/* generated by tests/diff/gen.py %d %d */\n' % (seed, blocks))
        f.write('#include "runtime.h"\n')
        f.write('    .text\nprogram:\n')
        f.write('\n'.join(code))
        f.write('\n    j finish\n    .data\n    .balign 8\n')
        f.write('\n'.join(data))
        f.write('\n')


main()
