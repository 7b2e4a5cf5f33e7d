#!/usr/bin/env python3
"""Writes the table-driven F and D tests (gen_fp_s.S, gen_fp_d.S).

Expected results come from an exact model: operands are decoded to
fractions, the operation is done exactly, and the result is rounded to the
format in the requested mode with IEEE 754-2008 flags, as the F and D
chapters of the unprivileged ISA (20191213 ch. 11-12) define them:
canonical NaN results, tininess detected after rounding, fcvt saturation,
fmin/fmax returning the non-NaN operand, FMA's invalid flag for inf * 0
even with a quiet NaN addend. tests/isa/isa.mk runs it at build time:
    python3 tests/isa/gen_fp.py OUTDIR
"""
import random
import sys
from fractions import Fraction

NX, UF, OF, DZ, NV = 1, 2, 4, 8, 16
RMS = ['rne', 'rtz', 'rdn', 'rup', 'rmm']


class Fmt:
    def __init__(self, name, ebits, mbits):
        self.name = name
        self.ebits = ebits
        self.mbits = mbits
        self.bias = (1 << (ebits - 1)) - 1
        self.emin = 1 - self.bias
        self.emax = self.bias
        self.width = 1 + ebits + mbits
        self.qnan = ((1 << ebits) - 1) << mbits | 1 << (mbits - 1)
        self.inf = ((1 << ebits) - 1) << mbits
        self.maxfin = self.inf - 1


S = Fmt('s', 8, 23)
D = Fmt('d', 11, 52)


def decode(bits, f):
    """('nan', is_signalling) | ('inf', sign) | ('num', sign, Fraction)"""
    sign = bits >> (f.width - 1) & 1
    e = bits >> f.mbits & ((1 << f.ebits) - 1)
    m = bits & ((1 << f.mbits) - 1)
    if e == (1 << f.ebits) - 1:
        if m:
            return ('nan', not (m >> (f.mbits - 1) & 1))
        return ('inf', sign)
    if e == 0:
        v = Fraction(m, 1 << (f.mbits - f.emin))
    else:
        v = Fraction((1 << f.mbits) | m) * Fraction(2) ** (e - f.bias - f.mbits)
    return ('num', sign, v)


def ilog2(a):
    """floor(log2(a)) for a positive Fraction"""
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    elif Fraction(2) ** (e + 1) <= a:
        e += 1
    return e


def round_int(sig, sign, rm):
    """round a positive Fraction to an integer magnitude; returns (n, inexact)"""
    n = sig.numerator // sig.denominator
    r = sig - n
    if r == 0:
        return n, False
    half = Fraction(1, 2)
    up = {'rne': r > half or (r == half and n & 1),
          'rtz': False,
          'rdn': bool(sign),
          'rup': not sign,
          'rmm': r >= half}[rm]
    return n + (1 if up else 0), True


def pack(sign, a, f, rm):
    """round sign * a (a > 0, Fraction) to format f; returns (bits, flags)"""
    flags = 0
    e = ilog2(a)
    # tininess after rounding: round with an unbounded exponent range
    nu, _ = round_int(a / Fraction(2) ** (e - f.mbits), sign, rm)
    eu = e + (1 if nu >> (f.mbits + 1) else 0)
    tiny = eu < f.emin
    eb = max(e, f.emin)
    n, inexact = round_int(a / Fraction(2) ** (eb - f.mbits), sign, rm)
    if n >> (f.mbits + 1):
        n >>= 1
        eb += 1
    if inexact:
        flags |= NX
        if tiny:
            flags |= UF
    if eb > f.emax:
        flags |= OF | NX
        to_inf = {'rne': True, 'rmm': True, 'rtz': False,
                  'rdn': bool(sign), 'rup': not sign}[rm]
        mag = f.inf if to_inf else f.maxfin
        return (sign << (f.width - 1)) | mag, flags
    if n >> f.mbits:
        bits = (eb + f.bias) << f.mbits | (n & ((1 << f.mbits) - 1))
    else:
        bits = n
    return (sign << (f.width - 1)) | bits, flags


def zero(sign, f):
    return sign << (f.width - 1)


def infv(sign, f):
    return (sign << (f.width - 1)) | f.inf


def value_or_zero(sign, v, f, rm, zero_sign):
    """exact result v (signed Fraction); zero gets zero_sign"""
    if v == 0:
        return zero(zero_sign, f), 0
    return pack(1 if v < 0 else 0, abs(v), f, rm)


def signed(x):
    return -x[2] if x[1] else x[2]


def nan_flags(*xs):
    return NV if any(x[0] == 'nan' and x[1] for x in xs) else 0


def op_add(a, b, f, rm, sub=False):
    x, y = decode(a, f), decode(b, f)
    if x[0] == 'nan' or y[0] == 'nan':
        return f.qnan, nan_flags(x, y)
    if sub:
        y = (y[0], y[1] ^ 1) + y[2:]
    if x[0] == 'inf' and y[0] == 'inf':
        if x[1] != y[1]:
            return f.qnan, NV
        return infv(x[1], f), 0
    if x[0] == 'inf':
        return infv(x[1], f), 0
    if y[0] == 'inf':
        return infv(y[1], f), 0
    v = signed(x) + signed(y)
    if x[2] == 0 and y[2] == 0 and x[1] == y[1]:
        zs = x[1]
    else:
        zs = 1 if rm == 'rdn' else 0
    return value_or_zero(0, v, f, rm, zs)


def op_mul(a, b, f, rm):
    x, y = decode(a, f), decode(b, f)
    if x[0] == 'nan' or y[0] == 'nan':
        return f.qnan, nan_flags(x, y)
    s = x[1] ^ y[1]
    if x[0] == 'inf' or y[0] == 'inf':
        if (x[0] == 'num' and x[2] == 0) or (y[0] == 'num' and y[2] == 0):
            return f.qnan, NV
        return infv(s, f), 0
    v = x[2] * y[2]
    if v == 0:
        return zero(s, f), 0
    return pack(s, v, f, rm)


def op_div(a, b, f, rm):
    x, y = decode(a, f), decode(b, f)
    if x[0] == 'nan' or y[0] == 'nan':
        return f.qnan, nan_flags(x, y)
    s = x[1] ^ y[1]
    if x[0] == 'inf':
        if y[0] == 'inf':
            return f.qnan, NV
        return infv(s, f), 0
    if y[0] == 'inf':
        return zero(s, f), 0
    if y[2] == 0:
        if x[2] == 0:
            return f.qnan, NV
        return infv(s, f), DZ
    if x[2] == 0:
        return zero(s, f), 0
    return pack(s, x[2] / y[2], f, rm)


def frac_sqrt_round(v, f, rm):
    """correctly rounded sqrt of a positive Fraction"""
    # scale so that the integer square root carries mbits + 40 bits
    e = ilog2(v)
    k = (e // 2) - (f.mbits + 40)
    scaled = v / Fraction(4) ** k
    n = scaled.numerator // scaled.denominator
    r = 1 if scaled.numerator % scaled.denominator else 0
    from math import isqrt
    s = isqrt(n)
    exact = (s * s == n) and r == 0
    # sqrt(v) = (s + delta) * 2^k with 0 <= delta < 1; s has > mbits + 38
    # bits, so a sticky fraction below the rounding position is enough.
    val = Fraction(s) * Fraction(2) ** k
    if not exact:
        val += Fraction(1, 4) * Fraction(2) ** k
    return pack(0, val, f, rm)


def op_sqrt(a, f, rm):
    x = decode(a, f)
    if x[0] == 'nan':
        return f.qnan, nan_flags(x)
    if x[0] == 'inf':
        return (f.qnan, NV) if x[1] else (f.inf, 0)
    if x[2] == 0:
        return zero(x[1], f), 0
    if x[1]:
        return f.qnan, NV
    return frac_sqrt_round(x[2], f, rm)


def op_fma(a, b, c, f, rm, neg_prod=False, neg_add=False):
    x, y, z = decode(a, f), decode(b, f), decode(c, f)
    inf_zero = ((x[0] == 'inf' and y[0] == 'num' and y[2] == 0) or
                (y[0] == 'inf' and x[0] == 'num' and x[2] == 0))
    if inf_zero:
        return f.qnan, NV
    if x[0] == 'nan' or y[0] == 'nan' or z[0] == 'nan':
        return f.qnan, nan_flags(x, y, z)
    ps = x[1] ^ y[1] ^ (1 if neg_prod else 0)
    zs = z[1] ^ (1 if neg_add else 0)
    if x[0] == 'inf' or y[0] == 'inf':
        if z[0] == 'inf' and zs != ps:
            return f.qnan, NV
        return infv(ps, f), 0
    if z[0] == 'inf':
        return infv(zs, f), 0
    p = x[2] * y[2]
    v = (-p if ps else p) + (-z[2] if zs else z[2])
    if p == 0 and z[2] == 0 and ps == zs:
        zsign = ps
    else:
        zsign = 1 if rm == 'rdn' else 0
    return value_or_zero(0, v, f, rm, zsign)


def op_minmax(a, b, f, is_max):
    x, y = decode(a, f), decode(b, f)
    fl = nan_flags(x, y)
    if x[0] == 'nan' and y[0] == 'nan':
        return f.qnan, fl
    if x[0] == 'nan':
        return b, fl
    if y[0] == 'nan':
        return a, fl

    def key(v, bits):
        if v[0] == 'inf':
            return (Fraction(-1 if v[1] else 1) * 10 ** 400, 0)
        return (signed(v), -1 if v[1] else 1)  # -0 < +0
    ka, kb = key(x, a), key(y, b)
    if is_max:
        return (a if ka >= kb else b), fl
    return (a if ka <= kb else b), fl


def cmp_val(v):
    if v[0] == 'inf':
        return Fraction(-1 if v[1] else 1) * 10 ** 400
    return signed(v)


def op_cmp(a, b, f, kind):
    x, y = decode(a, f), decode(b, f)
    if x[0] == 'nan' or y[0] == 'nan':
        if kind == 'eq':
            return 0, nan_flags(x, y)
        return 0, NV
    va, vb = cmp_val(x), cmp_val(y)
    return int({'eq': va == vb, 'lt': va < vb, 'le': va <= vb}[kind]), 0


def op_class(a, f):
    x = decode(a, f)
    if x[0] == 'nan':
        return 1 << 8 if x[1] else 1 << 9
    if x[0] == 'inf':
        return 1 if x[1] else 1 << 7
    e = a >> f.mbits & ((1 << f.ebits) - 1)
    if x[2] == 0:
        return 1 << 3 if x[1] else 1 << 4
    if e == 0:
        return 1 << 2 if x[1] else 1 << 5
    return 1 << 1 if x[1] else 1 << 6


M64 = (1 << 64) - 1


def op_to_int(a, f, rm, bits, is_signed):
    x = decode(a, f)
    lo = -(1 << (bits - 1)) if is_signed else 0
    hi = (1 << (bits - 1)) - 1 if is_signed else (1 << bits) - 1
    if x[0] == 'nan':
        r, fl = hi, NV
    elif x[0] == 'inf':
        r, fl = (lo if x[1] else hi), NV
    else:
        n, inexact = round_int(x[2], x[1], rm)
        v = -n if x[1] else n
        if v < lo:
            r, fl = lo, NV
        elif v > hi:
            r, fl = hi, NV
        else:
            r, fl = v, (NX if inexact else 0)
    if bits == 32:  # W results are sign-extended from bit 31
        r &= 0xffffffff
        if r >> 31:
            r -= 1 << 32
    return r & M64, fl


def op_from_int(v, f, rm, bits, is_signed):
    v &= (1 << bits) - 1
    if is_signed and v >> (bits - 1):
        v -= 1 << bits
    if v == 0:
        return 0, 0
    return pack(1 if v < 0 else 0, Fraction(abs(v)), f, rm)


def op_cvt_fmt(a, src, dst, rm):
    x = decode(a, src)
    if x[0] == 'nan':
        return dst.qnan, nan_flags(x)
    if x[0] == 'inf':
        return infv(x[1], dst), 0
    if x[2] == 0:
        return zero(x[1], dst), 0
    return pack(x[1], x[2], dst, rm)


def fbits(f, sign, e, m):
    return sign << (f.width - 1) | e << f.mbits | m


def specials(f):
    one = fbits(f, 0, f.bias, 0)
    return [
        0, fbits(f, 1, 0, 0),                       # +-0
        one, one | 1 << (f.width - 1),              # +-1
        fbits(f, 0, f.bias, 1 << (f.mbits - 1)),    # 1.5
        fbits(f, 0, f.bias, 1),                     # 1 + ulp
        fbits(f, 0, f.bias - 1, (1 << f.mbits) - 1),  # 1 - ulp/2
        fbits(f, 0, f.bias + 1, 1 << (f.mbits - 2)),  # 2.5
        fbits(f, 1, f.bias + 2, 3 << (f.mbits - 2)),  # -7
        fbits(f, 0, 1, 0),                          # min normal
        fbits(f, 0, 0, (1 << f.mbits) - 1),         # max subnormal
        fbits(f, 1, 0, 1),                          # -min subnormal
        fbits(f, 0, 0, 3),                          # tiny subnormal
        f.maxfin, f.maxfin | 1 << (f.width - 1),    # +-max finite
        fbits(f, 0, f.bias + f.mbits, 5),           # big integer-valued
        fbits(f, 0, f.bias - 3, 0x5555 << (f.mbits - 16)),  # ~0.1666
        f.inf, f.inf | 1 << (f.width - 1),          # +-inf
        f.qnan, f.qnan | 1 << (f.width - 1) | 5,    # quiet NaNs
        f.inf | 1, f.inf | 0x23,                    # signalling NaNs
    ]


def rand_val(rng, f):
    kind = rng.randrange(6)
    sign = rng.randrange(2)
    m = rng.getrandbits(f.mbits)
    if kind == 0:
        return fbits(f, sign, 0, m)                 # subnormal
    if kind == 1:
        return fbits(f, sign, rng.randrange(1, 8), m)  # near min normal
    if kind == 2:
        return fbits(f, sign, (1 << f.ebits) - 2 - rng.randrange(4), m)
    return fbits(f, sign, f.bias + rng.randrange(-30, 30), m)


def h(v):
    return '0x%x' % v


class Out:
    def __init__(self, f):
        self.f = f
        self.lines = []
        self.n = 1
        self.frm = None

    def rm_arg(self, rm):
        """static rm, or 'dyn' with frm set first (every other case)"""
        if self.n % 2:
            if self.frm != rm:
                self.lines.append('    fsrmi %d' % RMS.index(rm))
                self.frm = rm
            return 'dyn'
        return rm

    def mark(self):
        """a point where the output may be split into another file"""
        self.lines.append(None)
        self.frm = None

    def emit(self, macro, *args):
        if len(self.lines) % 64 == 0:
            self.mark()
        self.lines.append('    %s(%d, %s)' % (macro, self.n,
                                               ', '.join(str(a) for a in args)))
        self.n += 1


def gen(f, seed):
    rng = random.Random(seed)
    o = Out(f)
    F = f.name.upper()
    sp = specials(f)
    vals = sp + [rand_val(rng, f) for _ in range(10)]
    other = D if f is S else S

    def two_op(name, fn):
        o.lines.append('    /* %s.%s */' % (name, f.name))
        for i, a in enumerate(vals):
            for j, b in enumerate(vals):
                rm = RMS[(i + j) % 5]
                r, fl = fn(a, b, rm)
                o.emit('TEST_FP_%s2_RM' % F, '%s.%s' % (name, f.name),
                       o.rm_arg(rm), fl, h(r), h(a), h(b))
        # every rounding mode on inexact operands
        for _ in range(30):
            a, b = rand_val(rng, f), rand_val(rng, f)
            for rm in RMS:
                r, fl = fn(a, b, rm)
                o.emit('TEST_FP_%s2_RM' % F, '%s.%s' % (name, f.name),
                       o.rm_arg(rm), fl, h(r), h(a), h(b))

    two_op('fadd', lambda a, b, rm: op_add(a, b, f, rm))
    two_op('fsub', lambda a, b, rm: op_add(a, b, f, rm, sub=True))
    two_op('fmul', lambda a, b, rm: op_mul(a, b, f, rm))
    two_op('fdiv', lambda a, b, rm: op_div(a, b, f, rm))
    # exact ties in every mode: 1 + half an ulp, 1 + 3/2 ulp, -1 - half
    one = fbits(f, 0, f.bias, 0)
    half_ulp = fbits(f, 0, f.bias - f.mbits - 1, 0)
    three_half = fbits(f, 0, f.bias - f.mbits - 1, 1 << (f.mbits - 1))
    o.lines.append('    /* ties */')
    for a, b in ((one, half_ulp), (one | 1, half_ulp), (one, three_half),
                 (one | 1 << (f.width - 1), half_ulp | 1 << (f.width - 1)),
                 (f.maxfin, fbits(f, 0, f.emax - f.mbits - 1, 0))):
        for rm in RMS:
            r, fl = op_add(a, b, f, rm)
            o.emit('TEST_FP_%s2_RM' % F, 'fadd.%s' % f.name, o.rm_arg(rm), fl,
                   h(r), h(a), h(b))
    o.lines.append('    /* fsqrt.%s */' % f.name)
    for i, a in enumerate(vals + [fbits(f, 0, f.bias + 2, 0),
                                  fbits(f, 0, f.bias + 1, 1 << (f.mbits - 3))]):
        for rm in RMS if i % 3 == 0 else [RMS[i % 5]]:
            r, fl = op_sqrt(a, f, rm)
            o.emit('TEST_FP_%s1_RM' % F, 'fsqrt.%s' % f.name, o.rm_arg(rm),
                   fl, h(r), h(a))
    for name, np, na in (('fmadd', 0, 0), ('fmsub', 0, 1), ('fnmsub', 1, 0),
                         ('fnmadd', 1, 1)):
        o.lines.append('    /* %s.%s */' % (name, f.name))
        k = 0
        for a in vals[::2]:
            for b in vals[1::3]:
                for c in vals[::4]:
                    rm = RMS[k % 5]
                    k += 1
                    r, fl = op_fma(a, b, c, f, rm, np, na)
                    o.emit('TEST_FP_%s3_RM' % F, '%s.%s' % (name, f.name),
                           o.rm_arg(rm), fl, h(r), h(a), h(b), h(c))
        # single rounding: a*b + c where the product alone would round
        for _ in range(40):
            a, b = rand_val(rng, f), rand_val(rng, f)
            x = decode(a, f)
            y = decode(b, f)
            if x[0] != 'num' or y[0] != 'num':
                continue
            p = x[2] * y[2] * (-1 if x[1] ^ y[1] else 1)
            pr, _ = pack(1 if p < 0 else 0, abs(p), f, 'rne') if p else (0, 0)
            c = pr ^ 1 << (f.width - 1)  # c ~ -round(a*b): cancellation
            for rm in RMS:
                r, fl = op_fma(a, b, c, f, rm, np, na)
                o.emit('TEST_FP_%s3_RM' % F, '%s.%s' % (name, f.name),
                       o.rm_arg(rm), fl, h(r), h(a), h(b), h(c))
    for name, mx in (('fmin', False), ('fmax', True)):
        o.lines.append('    /* %s.%s */' % (name, f.name))
        for a in vals:
            for b in vals:
                r, fl = op_minmax(a, b, f, mx)
                o.emit('TEST_FP_%s2' % F, '%s.%s' % (name, f.name), fl, h(r),
                       h(a), h(b))
    for name in ('eq', 'lt', 'le'):
        o.lines.append('    /* f%s.%s */' % (name, f.name))
        for a in vals:
            for b in vals:
                r, fl = op_cmp(a, b, f, name)
                o.emit('TEST_FP_INT_%s' % F, 'f%s.%s' % (name, f.name), fl, r,
                       h(a), h(b), 'f1, f2')
    o.lines.append('    /* fclass.%s */' % f.name)
    for a in vals:
        o.emit('TEST_FP_INT_%s' % F, 'fclass.%s' % f.name, 0, op_class(a, f),
               h(a), 0, 'f1')
    # conversions to integers: every rounding mode around the bounds
    o.lines.append('    /* fcvt to integer */')
    cvt_vals = list(vals)
    for bits in (31, 32, 63, 64):
        for d in (-2, -1, 0, 1):
            e = bits + d
            if e <= f.emax:
                cvt_vals += [fbits(f, 0, f.bias + e, 0),
                             fbits(f, 1, f.bias + e, 0),
                             fbits(f, 0, f.bias + e - 1, (1 << f.mbits) - 1)]
    cvt_vals += [fbits(f, s, f.bias + k, m) for s in (0, 1) for k in (-1, 0, 1)
                 for m in (0, 1 << (f.mbits - 1), 1 << (f.mbits - 2), 3 << (f.mbits - 2))]
    for cv, bits, sg in (('w', 32, True), ('wu', 32, False), ('l', 64, True),
                         ('lu', 64, False)):
        for i, a in enumerate(cvt_vals):
            for rm in (RMS if i % 4 == 0 else [RMS[i % 5]]):
                r, fl = op_to_int(a, f, rm, bits, sg)
                o.emit('TEST_FP_INT_%s' % F, 'fcvt.%s.%s' % (cv, f.name), fl,
                       h(r), h(a), 0, 'f1, ' + o.rm_arg(rm))
    o.lines.append('    /* fcvt from integer */')
    ints = [0, 1, M64, 2, 3, 7, 0x7fffffff, 0x80000000, 0xffffffff,
            0x7fffffffffffffff, 0x8000000000000000, 0xfffffffffffffffe,
            0x123456789abcdef1, 0x0000000001000001, 0x0000000000ffffff,
            0x20000000000001, 0x1fffffffffffff, 0xffffffff7fffffff,
            0x00000000fffffffd]
    ints += [rng.getrandbits(64) for _ in range(8)]
    for cv, bits, sg in (('w', 32, True), ('wu', 32, False), ('l', 64, True),
                         ('lu', 64, False)):
        for i, v in enumerate(ints):
            for rm in (RMS if i % 3 == 0 else [RMS[i % 5]]):
                r, fl = op_from_int(v, f, rm, bits, sg)
                # int -> double for 32-bit sources is exact: no rm field
                exact = f is D and bits == 32
                o.emit('TEST_INT_FP_%s' % F, 'fcvt.%s.%s' % (f.name, cv), fl,
                       h(r), h(v), '' if exact else ', ' + o.rm_arg(rm))
    # format conversion into this format from the other
    o.lines.append('    /* fcvt.%s.%s */' % (f.name, other.name))
    osp = specials(other) + [rand_val(rng, other) for _ in range(20)]
    if other is D:
        osp += [fbits(D, 0, D.bias - 130, 0x123456789), fbits(D, 1, D.bias - 149, 1 << 51),
                fbits(D, 0, D.bias + 127, (1 << 52) - 1), fbits(D, 0, D.bias - 150, 0),
                fbits(D, 0, D.bias - 150, 1), fbits(D, 0, D.bias - 127, 0x8000000)]
    for i, a in enumerate(osp):
        for rm in (RMS if i % 3 == 0 else [RMS[i % 5]]):
            r, fl = op_cvt_fmt(a, other, f, rm)
            if len(o.lines) % 64 == 0:
                o.mark()
            if other is S:
                o.lines.append('    li TESTNUM, %d; li t0, %s; fmv.w.x f1, t0; '
                               'fsflags x0; fcvt.d.s f4, f1; fmv.x.d a0, f4; '
                               'frflags a1; CHECK(a0, %s); CHECK(a1, %d)'
                               % (o.n, h(a), h(r), fl))
            else:
                o.lines.append('    li TESTNUM, %d; li t0, %s; fmv.d.x f1, t0; '
                               'fsflags x0; fcvt.s.d f4, f1, %s; fmv.x.w a0, f4; '
                               'frflags a1; CHECK(a0, SX32(%s)); CHECK(a1, %d)'
                               % (o.n, h(a), o.rm_arg(rm), h(r), fl))
            o.n += 1
    return o


HEADER = """/* Generated by tests/isa/gen_fp.py from an exact model of the F and D
 * chapters. */
#include "test.h"

RVTEST_BEGIN
"""


PARTS = 4  # files per format, so branches to `fail` stay within reach


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else '.'
    for f, seed in ((S, 1), (D, 2)):
        o = gen(f, seed)
        # split at marks into PARTS files of about equal length
        chunks, cur = [], []
        for line in o.lines:
            if line is None:
                if cur:
                    chunks.append(cur)
                cur = []
            else:
                cur.append(line)
        if cur:
            chunks.append(cur)
        per = -(-len(chunks) // PARTS)
        for p in range(PARTS):
            part = [l for c in chunks[p * per:(p + 1) * per] for l in c]
            with open('%s/gen_fp_%s%d.S' % (out, f.name, p), 'w') as fh:
                fh.write(HEADER)
                fh.write('\n'.join(part))
                fh.write('\n    fsrmi 0\nRVTEST_END\n')
        print('gen_fp_%s*.S: %d checks' % (f.name, o.n - 1))


main()
