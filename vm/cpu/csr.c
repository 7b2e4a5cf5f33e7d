/* CSRs, traps and interrupts: privileged spec 1.12 chapters 2, 3 and 4. */
#include <string.h>

#include "hart.h"

#define MISA_RV64 (2ull << 62)
#define MISA_EXT(c) (1ull << ((c) - 'A'))
#define MISA_VALUE                                                                                 \
    (MISA_RV64 | MISA_EXT('A') | MISA_EXT('C') | MISA_EXT('D') | MISA_EXT('F') | MISA_EXT('I') |   \
     MISA_EXT('M') | MISA_EXT('S') | MISA_EXT('U'))

#define MSTATUS_WMASK                                                                              \
    (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP |         \
     MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW |            \
     MSTATUS_TSR)
#define SSTATUS_MASK                                                                               \
    (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR |           \
     MSTATUS_UXL | MSTATUS_SD)
#define SSTATUS_WMASK                                                                              \
    (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR)

/* Exceptions that may be delegated to S: everything but ECALL from M. */
#define MEDELEG_MASK 0xb3ffull
#define MIDELEG_MASK (MIP_SSIP | MIP_STIP | MIP_SEIP)
#define MIE_MASK (MIP_SSIP | MIP_MSIP | MIP_STIP | MIP_MTIP | MIP_SEIP | MIP_MEIP)
#define MENVCFG_STCE (1ull << 63)
#define MENVCFG_MASK (MENVCFG_STCE | 1ull) /* STCE, FIOM */
#define SATP_MODE_SHIFT 60

static uint64_t mip_value(const rv_hart *h)
{
    uint64_t v = h->mip_sw | h->mip_hw;
    /* With Sstc enabled, STIP is the comparator's output alone. */
    if (h->menvcfg & MENVCFG_STCE)
        v = (v & ~MIP_STIP) | (h->mip_hw & MIP_STIP);
    return v;
}

static uint64_t mstatus_value(const rv_hart *h)
{
    uint64_t v = h->mstatus;
    if ((v & MSTATUS_FS) == MSTATUS_FS_DIRTY)
        v |= MSTATUS_SD;
    return v;
}

void hart_update_ctx(rv_hart *h)
{
    static const int ctx_of_priv[4] = {TCTX_U, TCTX_S, TCTX_M, TCTX_M};
    h->fctx = ctx_of_priv[h->priv];
    int dpriv = mmu_data_priv(h);
    int d = ctx_of_priv[dpriv];
    if (d == TCTX_S && (h->mstatus & MSTATUS_SUM))
        d = TCTX_S_SUM;
    h->dctx = d;
}

static void flush_ctx(rv_hart *h, int ctx)
{
    memset(h->tlb_load[ctx], 0xff, sizeof(h->tlb_load[ctx]));
    memset(h->tlb_store[ctx], 0xff, sizeof(h->tlb_store[ctx]));
    for (int i = 0; i < RV_TLB_SIZE; i++) {
        h->tlb_fetch[ctx][i].vpn = UINT64_MAX;
        h->tlb_fetch[ctx][i].page = NULL;
    }
}

void hart_flush_tlb(rv_hart *h)
{
    for (int c = 0; c < TCTX_N; c++)
        flush_ctx(h, c);
}

/* Drops every translated mapping (U, S, S with SUM); M's identity
 * mappings do not depend on satp. */
void hart_flush_translated(rv_hart *h)
{
    flush_ctx(h, TCTX_U);
    flush_ctx(h, TCTX_S);
    flush_ctx(h, TCTX_S_SUM);
}

static void pmp_changed(rv_hart *h)
{
    h->pmp_active = false;
    for (int i = 0; i < 16; i++)
        if (h->pmpcfg[i] & 0x18)
            h->pmp_active = true;
    hart_flush_tlb(h);
}

/* Counter access from S/U (privileged spec 3.1.11): mcounteren gates S and
 * U, scounteren additionally gates U. */
static bool counter_ok(const rv_hart *h, uint32_t csr)
{
    uint32_t bit = csr & 31;
    if (h->priv == PRV_M)
        return true;
    if (!((h->mcounteren >> bit) & 1))
        return false;
    if (h->priv == PRV_U && !((h->scounteren >> bit) & 1))
        return false;
    return true;
}

static bool csr_exists(uint32_t csr)
{
    switch (csr) {
    case CSR_FFLAGS:
    case CSR_FRM:
    case CSR_FCSR:
    case CSR_SSTATUS:
    case CSR_SIE:
    case CSR_STVEC:
    case CSR_SCOUNTEREN:
    case CSR_SENVCFG:
    case CSR_SSCRATCH:
    case CSR_SEPC:
    case CSR_SCAUSE:
    case CSR_STVAL:
    case CSR_SIP:
    case CSR_STIMECMP:
    case CSR_SATP:
    case CSR_MVENDORID:
    case CSR_MARCHID:
    case CSR_MIMPID:
    case CSR_MHARTID:
    case CSR_MCONFIGPTR:
    case CSR_MSTATUS:
    case CSR_MISA:
    case CSR_MEDELEG:
    case CSR_MIDELEG:
    case CSR_MIE:
    case CSR_MTVEC:
    case CSR_MCOUNTEREN:
    case CSR_MENVCFG:
    case CSR_MCOUNTINHIBIT:
    case CSR_MSCRATCH:
    case CSR_MEPC:
    case CSR_MCAUSE:
    case CSR_MTVAL:
    case CSR_MIP:
    case CSR_TSELECT:
    case CSR_TDATA1:
    case CSR_TDATA2:
    case CSR_TDATA3:
    case CSR_MCYCLE:
    case CSR_MINSTRET: return true;
    }
    if (csr >= CSR_CYCLE && csr <= CSR_HPMCOUNTER31)
        return true;
    if (csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31)
        return true;
    if (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31)
        return true;
    /* RV64: only even pmpcfg registers exist. */
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15)
        return (csr & 1) == 0;
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63)
        return true;
    return false;
}

/* Privilege and read-only checks common to every CSR instruction. */
bool csr_ok(const rv_hart *h, uint32_t csr, bool write)
{
    if (!csr_exists(csr))
        return false;
    if ((int)((csr >> 8) & 3) > h->priv)
        return false;
    if (write && (csr >> 10) == 3)
        return false;
    if (csr >= CSR_CYCLE && csr <= CSR_HPMCOUNTER31 && !counter_ok(h, csr))
        return false;
    if (csr == CSR_SATP && h->priv == PRV_S && (h->mstatus & MSTATUS_TVM))
        return false;
    if (csr == CSR_STIMECMP && h->priv < PRV_M &&
        (!(h->menvcfg & MENVCFG_STCE) || !(h->mcounteren & 2)))
        return false;
    if ((csr == CSR_FFLAGS || csr == CSR_FRM || csr == CSR_FCSR) && !(h->mstatus & MSTATUS_FS))
        return false;
    return true;
}

bool csr_read(rv_hart *h, uint32_t csr, uint64_t *val)
{
    switch (csr) {
    case CSR_FFLAGS: *val = h->fflags; return true;
    case CSR_FRM: *val = h->frm; return true;
    case CSR_FCSR: *val = h->fflags | (h->frm << 5); return true;
    case CSR_CYCLE: *val = h->instret + h->mcycle_off; return true;
    case CSR_INSTRET: *val = h->instret + h->minstret_off; return true;
    case CSR_TIME: *val = h->bus->mtime(h->bus->ctx); return true;
    case CSR_SSTATUS: *val = mstatus_value(h) & SSTATUS_MASK; return true;
    case CSR_SIE: *val = h->mie & h->mideleg; return true;
    case CSR_STVEC: *val = h->stvec; return true;
    case CSR_SCOUNTEREN: *val = h->scounteren; return true;
    case CSR_SENVCFG: *val = h->senvcfg; return true;
    case CSR_SSCRATCH: *val = h->sscratch; return true;
    case CSR_SEPC: *val = h->sepc; return true;
    case CSR_SCAUSE: *val = h->scause; return true;
    case CSR_STVAL: *val = h->stval; return true;
    case CSR_SIP: *val = mip_value(h) & h->mideleg; return true;
    case CSR_STIMECMP: *val = h->stimecmp; return true;
    case CSR_SATP: *val = h->satp; return true;
    case CSR_MVENDORID:
    case CSR_MARCHID:
    case CSR_MIMPID:
    case CSR_MCONFIGPTR: *val = 0; return true;
    case CSR_MHARTID: *val = h->mhartid; return true;
    case CSR_MSTATUS: *val = mstatus_value(h); return true;
    case CSR_MISA: *val = h->misa; return true;
    case CSR_MEDELEG: *val = h->medeleg; return true;
    case CSR_MIDELEG: *val = h->mideleg; return true;
    case CSR_MIE: *val = h->mie; return true;
    case CSR_MTVEC: *val = h->mtvec; return true;
    case CSR_MCOUNTEREN: *val = h->mcounteren; return true;
    case CSR_MENVCFG: *val = h->menvcfg; return true;
    case CSR_MCOUNTINHIBIT: *val = h->mcountinhibit; return true;
    case CSR_MSCRATCH: *val = h->mscratch; return true;
    case CSR_MEPC: *val = h->mepc; return true;
    case CSR_MCAUSE: *val = h->mcause; return true;
    case CSR_MTVAL: *val = h->mtval; return true;
    case CSR_MIP: *val = mip_value(h); return true;
    case CSR_TSELECT: *val = 0; return true; /* no triggers: tselect reads 0 */
    case CSR_TDATA1: *val = 0; return true;  /* type 0: no trigger */
    case CSR_TDATA2:
    case CSR_TDATA3: *val = 0; return true;
    case CSR_MCYCLE: *val = h->instret + h->mcycle_off; return true;
    case CSR_MINSTRET: *val = h->instret + h->minstret_off; return true;
    }
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
        uint32_t n = csr - CSR_PMPCFG0; /* 0 or 2 hold entries 0-7 and 8-15 */
        uint64_t v = 0;
        if (n < 4)
            for (int i = 0; i < 8; i++)
                v |= (uint64_t)h->pmpcfg[n * 4 + i] << (8 * i);
        *val = v;
        return true;
    }
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
        uint32_t n = csr - CSR_PMPADDR0;
        *val = n < 16 ? h->pmpaddr[n] : 0;
        return true;
    }
    /* hpm counters and events: read-only zero */
    *val = 0;
    return true;
}

static uint64_t legal_tvec(uint64_t v)
{
    /* MODE 0 direct, 1 vectored; 2 and 3 reserved: keep the base, direct. */
    if ((v & 3) >= 2)
        v &= ~3ull;
    return v;
}

static bool satp_mode_ok(uint64_t mode)
{
    return mode == 0 || mode == 8 || mode == 9;
}

bool csr_write(rv_hart *h, uint32_t csr, uint64_t v)
{
    switch (csr) {
    case CSR_FFLAGS:
        h->fflags = v & 0x1f;
        h->mstatus |= MSTATUS_FS_DIRTY;
        return true;
    case CSR_FRM:
        h->frm = v & 7;
        h->mstatus |= MSTATUS_FS_DIRTY;
        return true;
    case CSR_FCSR:
        h->fflags = v & 0x1f;
        h->frm = (v >> 5) & 7;
        h->mstatus |= MSTATUS_FS_DIRTY;
        return true;
    case CSR_SSTATUS:
        v = (h->mstatus & ~SSTATUS_WMASK) | (v & SSTATUS_WMASK);
        return csr_write(h, CSR_MSTATUS, v);
    case CSR_SIE:
        h->mie = (h->mie & ~h->mideleg) | (v & h->mideleg);
        h->slice_end = true;
        return true;
    case CSR_STVEC: h->stvec = legal_tvec(v); return true;
    case CSR_SCOUNTEREN: h->scounteren = v & 0xffffffff; return true;
    case CSR_SENVCFG: h->senvcfg = v & 1; return true;
    case CSR_SSCRATCH: h->sscratch = v; return true;
    case CSR_SEPC: h->sepc = v & ~1ull; return true;
    case CSR_SCAUSE: h->scause = v; return true;
    case CSR_STVAL: h->stval = v; return true;
    case CSR_SIP:
        /* Only SSIP is writable through sip, and only when delegated. */
        h->mip_sw = (h->mip_sw & ~(MIP_SSIP & h->mideleg)) | (v & MIP_SSIP & h->mideleg);
        h->slice_end = true;
        return true;
    case CSR_STIMECMP:
        h->stimecmp = v;
        hart_update_sstc(h, h->bus->mtime(h->bus->ctx));
        h->slice_end = true;
        return true;
    case CSR_SATP: {
        uint64_t mode = v >> SATP_MODE_SHIFT;
        if (!satp_mode_ok(mode))
            return true; /* WARL: an unsupported mode leaves satp unchanged */
        /* ASID: 16 bits writable; PPN 44 bits. */
        h->satp = v & ((0xfull << 60) | (0xffffull << 44) | ((1ull << 44) - 1));
        hart_flush_translated(h);
        h->slice_end = true;
        return true;
    }
    case CSR_MSTATUS: {
        uint64_t old = h->mstatus;
        uint64_t nv = (old & ~MSTATUS_WMASK) | (v & MSTATUS_WMASK);
        if (((nv & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2)
            nv = (nv & ~MSTATUS_MPP) | (old & MSTATUS_MPP); /* reserved: keep */
        nv &= ~MSTATUS_SD;
        h->mstatus = nv;
        if ((old ^ nv) & MSTATUS_MXR)
            hart_flush_translated(h);
        hart_update_ctx(h);
        h->slice_end = true;
        return true;
    }
    case CSR_MISA: return true; /* WARL, not writable here */
    case CSR_MEDELEG: h->medeleg = v & MEDELEG_MASK; return true;
    case CSR_MIDELEG:
        h->mideleg = v & MIDELEG_MASK;
        h->slice_end = true;
        return true;
    case CSR_MIE:
        h->mie = v & MIE_MASK;
        h->slice_end = true;
        return true;
    case CSR_MTVEC: h->mtvec = legal_tvec(v); return true;
    case CSR_MCOUNTEREN: h->mcounteren = v & 0xffffffff; return true;
    case CSR_MENVCFG:
        h->menvcfg = v & MENVCFG_MASK;
        hart_update_sstc(h, h->bus->mtime(h->bus->ctx));
        h->slice_end = true;
        return true;
    case CSR_MCOUNTINHIBIT: h->mcountinhibit = v & 5; return true;
    case CSR_MSCRATCH: h->mscratch = v; return true;
    case CSR_MEPC: h->mepc = v & ~1ull; return true;
    case CSR_MCAUSE: h->mcause = v; return true;
    case CSR_MTVAL: h->mtval = v; return true;
    case CSR_MIP: {
        uint64_t mask = MIP_SSIP | MIP_STIP | MIP_SEIP;
        if (h->menvcfg & MENVCFG_STCE)
            mask &= ~MIP_STIP;
        h->mip_sw = (h->mip_sw & ~mask) | (v & mask);
        h->slice_end = true;
        return true;
    }
    case CSR_TSELECT:
    case CSR_TDATA1:
    case CSR_TDATA2:
    case CSR_TDATA3: return true;
    case CSR_MCYCLE: h->mcycle_off = v - h->instret; return true;
    case CSR_MINSTRET:
        /* The write wins over this instruction's own increment. */
        h->minstret_off = v - h->instret - 1;
        return true;
    }
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
        uint32_t n = csr - CSR_PMPCFG0;
        if (n < 4) {
            for (int i = 0; i < 8; i++) {
                int e = (int)n * 4 + i;
                uint8_t b = (uint8_t)(v >> (8 * i));
                if (h->pmpcfg[e] & 0x80)
                    continue; /* locked */
                b &= 0x9f;
                if ((b & 3) == 2) /* W without R is reserved: drop W */
                    b &= (uint8_t)~2;
                h->pmpcfg[e] = b;
            }
            pmp_changed(h);
        }
        return true;
    }
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
        uint32_t n = csr - CSR_PMPADDR0;
        if (n >= 16)
            return true;
        if (h->pmpcfg[n] & 0x80)
            return true;
        /* A locked TOR entry above also locks this address register. */
        if (n + 1 < 16 && (h->pmpcfg[n + 1] & 0x80) && ((h->pmpcfg[n + 1] >> 3) & 3) == 1)
            return true;
        h->pmpaddr[n] = v & ((1ull << 54) - 1);
        pmp_changed(h);
        return true;
    }
    return true; /* hpm counters/events: read-only zero, writes ignored */
}

/* ---- traps (privileged spec 3.1.6.1, 3.1.7, 4.1.1) ---- */

void hart_trap(rv_hart *h, uint64_t cause, uint64_t tval)
{
    bool irq = (cause & CAUSE_INTERRUPT) != 0;
    uint64_t code = cause & ~CAUSE_INTERRUPT;
    uint64_t deleg = irq ? h->mideleg : h->medeleg;
    h->resv_addr = UINT64_MAX;
    h->wfi = false;
    h->slice_end = true;
    if (h->priv <= PRV_S && ((deleg >> code) & 1)) {
        h->sepc = h->pc;
        h->scause = cause;
        h->stval = tval;
        uint64_t s = h->mstatus;
        s = (s & ~MSTATUS_SPIE) | ((s & MSTATUS_SIE) ? MSTATUS_SPIE : 0);
        s = (s & ~MSTATUS_SPP) | (h->priv == PRV_S ? MSTATUS_SPP : 0);
        s &= ~MSTATUS_SIE;
        h->mstatus = s;
        h->priv = PRV_S;
        h->pc = (h->stvec & ~3ull) + ((irq && (h->stvec & 1)) ? 4 * code : 0);
    } else {
        h->mepc = h->pc;
        h->mcause = cause;
        h->mtval = tval;
        uint64_t s = h->mstatus;
        s = (s & ~MSTATUS_MPIE) | ((s & MSTATUS_MIE) ? MSTATUS_MPIE : 0);
        s = (s & ~MSTATUS_MPP) | ((uint64_t)h->priv << MSTATUS_MPP_SHIFT);
        s &= ~MSTATUS_MIE;
        h->mstatus = s;
        h->priv = PRV_M;
        h->pc = (h->mtvec & ~3ull) + ((irq && (h->mtvec & 1)) ? 4 * code : 0);
    }
    hart_update_ctx(h);
}

bool hart_interrupt_pending(const rv_hart *h)
{
    return (mip_value(h) & h->mie) != 0;
}

/* Takes the highest-priority enabled pending interrupt, if any
 * (privileged spec 3.1.9: MEI, MSI, MTI, SEI, SSI, STI). */
bool hart_check_interrupts(rv_hart *h)
{
    uint64_t pending = mip_value(h) & h->mie;
    if (!pending)
        return false;
    uint64_t m_pend = pending & ~h->mideleg;
    uint64_t s_pend = pending & h->mideleg;
    bool m_en = h->priv < PRV_M || (h->mstatus & MSTATUS_MIE);
    bool s_en = h->priv < PRV_S || (h->priv == PRV_S && (h->mstatus & MSTATUS_SIE));
    uint64_t take = 0;
    if (m_en && m_pend)
        take = m_pend;
    else if (s_en && s_pend)
        take = s_pend;
    if (!take)
        return false;
    static const int order[6] = {IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI};
    for (int i = 0; i < 6; i++) {
        if (take & (1ull << order[i])) {
            hart_trap(h, CAUSE_INTERRUPT | (uint64_t)order[i], 0);
            return true;
        }
    }
    return false;
}

void hart_set_irq(rv_hart *h, int bit, int level)
{
    uint64_t m = 1ull << bit;
    uint64_t old = h->mip_hw;
    h->mip_hw = level ? (old | m) : (old & ~m);
    if (h->mip_hw != old)
        h->slice_end = true;
}

void hart_update_sstc(rv_hart *h, uint64_t now)
{
    if (!(h->menvcfg & MENVCFG_STCE)) {
        h->mip_hw &= ~MIP_STIP;
        return;
    }
    hart_set_irq(h, IRQ_STI, now >= h->stimecmp);
}

void hart_init(rv_hart *h, rv_bus *bus, uint64_t hartid)
{
    memset(h, 0, sizeof(*h));
    h->bus = bus;
    h->mhartid = hartid;
    hart_reset(h, 0x1000);
}

void hart_reset(rv_hart *h, uint64_t pc)
{
    rv_bus *bus = h->bus;
    uint64_t id = h->mhartid;
    memset(h, 0, offsetof(rv_hart, bus));
    h->bus = bus;
    h->mhartid = id;
    h->pc = pc;
    h->priv = PRV_M;
    h->misa = MISA_VALUE;
    h->mstatus = (2ull << 32) | (2ull << 34); /* UXL = SXL = 64 */
    h->resv_addr = UINT64_MAX;
    h->stimecmp = UINT64_MAX;
    h->pmp_active = false;
    hart_flush_tlb(h);
    hart_update_ctx(h);
}

void hart_snapshot(rv_hart *h, rv_snap *s)
{
    snap_bytes(s, "x", h->x, sizeof(h->x));
    snap_bytes(s, "f", h->f, sizeof(h->f));
    snap_u64(s, "pc", &h->pc);
    uint32_t priv = (uint32_t)h->priv;
    snap_u32(s, "priv", &priv);
    h->priv = (int)priv;
    snap_u32(s, "fflags", &h->fflags);
    snap_u32(s, "frm", &h->frm);
    struct {
        const char *n;
        uint64_t *p;
    } f[] = {
        {"mstatus", &h->mstatus},
        {"misa", &h->misa},
        {"medeleg", &h->medeleg},
        {"mideleg", &h->mideleg},
        {"mie", &h->mie},
        {"mip_sw", &h->mip_sw},
        {"mtvec", &h->mtvec},
        {"mscratch", &h->mscratch},
        {"mepc", &h->mepc},
        {"mcause", &h->mcause},
        {"mtval", &h->mtval},
        {"mcounteren", &h->mcounteren},
        {"menvcfg", &h->menvcfg},
        {"mcountinhibit", &h->mcountinhibit},
        {"stvec", &h->stvec},
        {"sscratch", &h->sscratch},
        {"sepc", &h->sepc},
        {"scause", &h->scause},
        {"stval", &h->stval},
        {"scounteren", &h->scounteren},
        {"senvcfg", &h->senvcfg},
        {"satp", &h->satp},
        {"stimecmp", &h->stimecmp},
        {"mhartid", &h->mhartid},
        {"instret", &h->instret},
        {"mcycle_off", &h->mcycle_off},
        {"minstret_off", &h->minstret_off},
        {"resv_addr", &h->resv_addr},
        {"resv_val", &h->resv_val},
        {"mip_hw", &h->mip_hw},
    };
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        snap_u64(s, f[i].n, f[i].p);
    snap_bytes(s, "pmpcfg", h->pmpcfg, sizeof(h->pmpcfg));
    snap_bytes(s, "pmpaddr", h->pmpaddr, sizeof(h->pmpaddr));
    snap_bool(s, "wfi", &h->wfi);
    if (s->loading) {
        pmp_changed(h);
        hart_update_ctx(h);
    }
}
