/* One RISC-V hart (RV64GC + Zicsr/Zifencei/Zicntr/Zihintpause/Zba/Zbb/Zbs,
 * M/S/U, Sv39/Sv48, PMP, Sstc) and the physical bus it executes against.
 *
 * Guest state is the plain part of rv_hart; the caches beside it (TLBs,
 * decoded pages) hold host pointers and are rebuilt after a restore. */
#ifndef RV_HART_H
#define RV_HART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../snapshot.h"

/* ---- CSR numbers (privileged spec 1.12, chapter 2 tables) ---- */
enum {
    CSR_FFLAGS = 0x001,
    CSR_FRM = 0x002,
    CSR_FCSR = 0x003,
    CSR_CYCLE = 0xC00,
    CSR_TIME = 0xC01,
    CSR_INSTRET = 0xC02,
    CSR_HPMCOUNTER3 = 0xC03,
    CSR_HPMCOUNTER31 = 0xC1F,
    CSR_SSTATUS = 0x100,
    CSR_SIE = 0x104,
    CSR_STVEC = 0x105,
    CSR_SCOUNTEREN = 0x106,
    CSR_SENVCFG = 0x10A,
    CSR_SSCRATCH = 0x140,
    CSR_SEPC = 0x141,
    CSR_SCAUSE = 0x142,
    CSR_STVAL = 0x143,
    CSR_SIP = 0x144,
    CSR_STIMECMP = 0x14D,
    CSR_SATP = 0x180,
    CSR_MVENDORID = 0xF11,
    CSR_MARCHID = 0xF12,
    CSR_MIMPID = 0xF13,
    CSR_MHARTID = 0xF14,
    CSR_MCONFIGPTR = 0xF15,
    CSR_MSTATUS = 0x300,
    CSR_MISA = 0x301,
    CSR_MEDELEG = 0x302,
    CSR_MIDELEG = 0x303,
    CSR_MIE = 0x304,
    CSR_MTVEC = 0x305,
    CSR_MCOUNTEREN = 0x306,
    CSR_MENVCFG = 0x30A,
    CSR_MCOUNTINHIBIT = 0x320,
    CSR_MHPMEVENT3 = 0x323,
    CSR_MHPMEVENT31 = 0x33F,
    CSR_MSCRATCH = 0x340,
    CSR_MEPC = 0x341,
    CSR_MCAUSE = 0x342,
    CSR_MTVAL = 0x343,
    CSR_MIP = 0x344,
    CSR_PMPCFG0 = 0x3A0,
    CSR_PMPCFG15 = 0x3AF,
    CSR_PMPADDR0 = 0x3B0,
    CSR_PMPADDR63 = 0x3EF,
    CSR_TSELECT = 0x7A0,
    CSR_TDATA1 = 0x7A1,
    CSR_TDATA2 = 0x7A2,
    CSR_TDATA3 = 0x7A3,
    CSR_TINFO = 0x7A4,
    CSR_MCYCLE = 0xB00,
    CSR_MINSTRET = 0xB02,
    CSR_MHPMCOUNTER3 = 0xB03,
    CSR_MHPMCOUNTER31 = 0xB1F,
};

/* mstatus bits */
#define MSTATUS_SIE (1ull << 1)
#define MSTATUS_MIE (1ull << 3)
#define MSTATUS_SPIE (1ull << 5)
#define MSTATUS_MPIE (1ull << 7)
#define MSTATUS_SPP (1ull << 8)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3ull << 11)
#define MSTATUS_FS (3ull << 13)
#define MSTATUS_FS_DIRTY (3ull << 13)
#define MSTATUS_MPRV (1ull << 17)
#define MSTATUS_SUM (1ull << 18)
#define MSTATUS_MXR (1ull << 19)
#define MSTATUS_TVM (1ull << 20)
#define MSTATUS_TW (1ull << 21)
#define MSTATUS_TSR (1ull << 22)
#define MSTATUS_UXL (3ull << 32)
#define MSTATUS_SXL (3ull << 34)
#define MSTATUS_SD (1ull << 63)

/* interrupt numbers / mip bits */
enum { IRQ_SSI = 1, IRQ_MSI = 3, IRQ_STI = 5, IRQ_MTI = 7, IRQ_SEI = 9, IRQ_MEI = 11 };
#define MIP_SSIP (1ull << IRQ_SSI)
#define MIP_MSIP (1ull << IRQ_MSI)
#define MIP_STIP (1ull << IRQ_STI)
#define MIP_MTIP (1ull << IRQ_MTI)
#define MIP_SEIP (1ull << IRQ_SEI)
#define MIP_MEIP (1ull << IRQ_MEI)

/* exception causes */
enum {
    EXC_INSN_MISALIGNED = 0,
    EXC_INSN_ACCESS = 1,
    EXC_ILLEGAL = 2,
    EXC_BREAKPOINT = 3,
    EXC_LOAD_MISALIGNED = 4,
    EXC_LOAD_ACCESS = 5,
    EXC_STORE_MISALIGNED = 6,
    EXC_STORE_ACCESS = 7,
    EXC_ECALL_U = 8,
    EXC_ECALL_S = 9,
    EXC_ECALL_M = 11,
    EXC_INSN_PAGE = 12,
    EXC_LOAD_PAGE = 13,
    EXC_STORE_PAGE = 15,
};
#define CAUSE_INTERRUPT (1ull << 63)

enum { PRV_U = 0, PRV_S = 1, PRV_M = 3 };
enum { ACC_FETCH = 0, ACC_LOAD = 1, ACC_STORE = 2 };

/* ---- decoded instructions ---- */
typedef struct rv_insn {
    uint16_t op; /* enum rv_op; 0 = not decoded yet */
    uint8_t rd, rs1, rs2, rs3, rm, len;
    int32_t imm;
    uint32_t raw; /* the instruction bits (16-bit parcel for RVC) */
} rv_insn;

#define RV_PAGE_SHIFT 12
#define RV_PAGE_SIZE 4096u
#define RV_PAGE_SLOTS (RV_PAGE_SIZE / 2)

/* Decoded instructions of one physical page, one slot per 16-bit parcel,
 * plus two sentinel slots that send sequential flow off the page back to
 * the fetch path (the second catches the pc after a 32-bit instruction
 * that straddles the page end). */
typedef struct rv_dpage {
    uint64_t pa;     /* physical page address, or UINT64_MAX when free */
    uint32_t writes; /* stores that hit decoded slots since decoding */
    /* translated blocks (jit.h): entry per slot, and the byte range of the
     * page their instructions cover (lo >= hi: none) */
    uint32_t *jit_tab;
    uint16_t jit_lo, jit_hi;
    rv_insn insn[RV_PAGE_SLOTS + 2];
} rv_dpage;

/* ---- TLB ---- */
#define RV_TLB_SIZE 256
/* Translation contexts: data accesses differ by privilege and SUM. */
enum { TCTX_U = 0, TCTX_S = 1, TCTX_S_SUM = 2, TCTX_M = 3, TCTX_N = 4 };

typedef struct rv_tlb_entry {
    uint64_t vpn;    /* virtual page number; UINT64_MAX = invalid */
    uint64_t addend; /* host address = va + addend */
} rv_tlb_entry;

typedef struct rv_ftlb_entry {
    uint64_t vpn;
    rv_dpage *page;
} rv_ftlb_entry;

typedef struct rv_bus rv_bus;
typedef struct rv_jit rv_jit;

typedef struct rv_hart {
    /* --- architectural state (snapshot) --- */
    uint64_t x[33]; /* x[32] is the sink for writes to x0 */
    uint64_t f[32];
    uint64_t pc;
    int priv;
    uint32_t fflags, frm;
    uint64_t mstatus, misa, medeleg, mideleg, mie, mip_sw, mtvec, mscratch, mepc, mcause, mtval,
        mcounteren, menvcfg, mcountinhibit;
    uint64_t stvec, sscratch, sepc, scause, stval, scounteren, senvcfg, satp, stimecmp;
    uint64_t mhartid;
    uint64_t instret;                  /* retired instructions (cycle == instret here) */
    uint64_t mcycle_off, minstret_off; /* written values minus instret */
    uint8_t pmpcfg[16];
    uint64_t pmpaddr[16];
    uint64_t tselect;
    uint64_t resv_addr; /* LR reservation: physical address, UINT64_MAX = none */
    uint64_t resv_val;
    bool wfi;

    /* interrupt lines driven by devices (MSIP, MTIP, MEIP, SEIP) and Sstc's STIP */
    uint64_t mip_hw;

    /* --- caches beside the state (rebuilt, never saved) --- */
    rv_bus *bus;
    int fctx, dctx;  /* current TLB contexts for fetch and data */
    bool pmp_active; /* any PMP entry configured: M accesses check locked ones */
    bool slice_end;  /* set by anything that must end the current block */
    /* for translated code: the current contexts' TLBs, the budget left */
    rv_tlb_entry *jit_dtlb;
    rv_ftlb_entry *jit_ftlb;
    int64_t jit_left;
    rv_tlb_entry tlb_load[TCTX_N][RV_TLB_SIZE];
    rv_tlb_entry tlb_store[TCTX_N][RV_TLB_SIZE];
    rv_ftlb_entry tlb_fetch[TCTX_N][RV_TLB_SIZE];
} rv_hart;

/* The physical address space the harts execute against. Owned by the
 * machine; shared by every hart (decoded pages are per physical page). */
struct rv_bus {
    uint8_t *ram;
    uint64_t ram_base, ram_size;
    const uint8_t *rom;
    uint64_t rom_base, rom_size;
    void *ctx; /* the machine */
    bool (*mmio_read)(void *ctx, uint64_t pa, unsigned len, uint64_t *val);
    bool (*mmio_write)(void *ctx, uint64_t pa, unsigned len, uint64_t val);
    uint64_t (*mtime)(void *ctx);

    rv_hart *harts[8];
    int nharts;

    /* decoded-page cache */
    uint32_t *page_code; /* per RAM page (+1 for the ROM): dpage index + 1, 0 = none */
    uint8_t *page_watch; /* per RAM page: 1 = stores must take the slow path */
    rv_dpage *dpages;
    uint32_t ndpages, dpage_next; /* pool size, clock hand for eviction */
    uint32_t dpage_used;
    rv_jit *jit; /* NULL: interpret only */

    /* test mode */
    uint64_t tohost_pa; /* 0 = none */
    uint64_t tohost_val;
    bool tohost_hit;
    bool stop; /* the machine needs control back (poweroff, reset) */
};

/* bus / cache management */
bool bus_init(rv_bus *b, uint8_t *ram, uint64_t ram_base, uint64_t ram_size);
void bus_free(rv_bus *b);
void bus_watch_page(rv_bus *b, uint64_t pa);
/* DMA or host writes to RAM: drop decoded code in [pa, pa+len). */
void bus_invalidate_range(rv_bus *b, uint64_t pa, uint64_t len);
void bus_flush_all_tlbs(rv_bus *b);

void hart_init(rv_hart *h, rv_bus *bus, uint64_t hartid);
void hart_reset(rv_hart *h, uint64_t pc);
/* Runs up to n instructions; returns how many retired. Stops early on WFI,
 * a tohost write, or when something external needs attention. */
uint64_t hart_run(rv_hart *h, uint64_t n);
/* Device interrupt lines: bit is a mip bit number. */
void hart_set_irq(rv_hart *h, int bit, int level);
/* Re-evaluates the Sstc timer (STIP from stimecmp vs time). */
void hart_update_sstc(rv_hart *h, uint64_t now);
bool hart_interrupt_pending(const rv_hart *h); /* pending & enabled, or wakes WFI */
void hart_snapshot(rv_hart *h, rv_snap *s);
void hart_flush_tlb(rv_hart *h);
void hart_flush_translated(rv_hart *h);
void hart_update_ctx(rv_hart *h);

/* internal to vm/cpu */
void hart_trap(rv_hart *h, uint64_t cause, uint64_t tval);
bool hart_check_interrupts(rv_hart *h);
/* CSR access: returns false -> illegal instruction */
bool csr_read(rv_hart *h, uint32_t csr, uint64_t *val);
bool csr_write(rv_hart *h, uint32_t csr, uint64_t val);
bool csr_ok(const rv_hart *h, uint32_t csr, bool write);
/* MMU: translate va for access; returns 0 and *pa, or the exception cause + 1 */
int mmu_translate(rv_hart *h, uint64_t va, int access, int priv, uint64_t *pa);
bool pmp_check(const rv_hart *h, uint64_t pa, uint64_t len, int access, int priv);
int mmu_data_priv(const rv_hart *h);
/* Slow paths: return false after raising the trap. */
bool mem_load_slow(rv_hart *h, uint64_t va, unsigned len, uint64_t *val);
bool mem_store_slow(rv_hart *h, uint64_t va, unsigned len, uint64_t val);
/* For AMOs: translate for store (and load) permission, returns host pointer
 * into RAM or NULL with *pa set for MMIO; false after trapping. */
bool mem_amo_addr(rv_hart *h, uint64_t va, unsigned len, int access, uint64_t *pa, uint8_t **host);
bool mem_mmio_read(rv_hart *h, uint64_t pa, unsigned len, uint64_t *val);
bool mem_mmio_write(rv_hart *h, uint64_t pa, unsigned len, uint64_t val);
/* *whole_page: PMP gives the same answer for every byte of the page, so
 * the block may run on through it; false: check again at each instruction. */
rv_dpage *fetch_page(rv_hart *h, uint64_t va, bool *whole_page);
void fetch_decode_slot(rv_hart *h, rv_dpage *p, uint64_t va, rv_insn *d);
bool fetch_decode_uncached(rv_hart *h, uint64_t va, rv_insn *d);
void decode_insn(rv_insn *d, uint32_t raw);
uint32_t rvc_expand(uint16_t c);

#endif
