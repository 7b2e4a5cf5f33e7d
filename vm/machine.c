/* The virt board: memory map, bus dispatch, loaders, reset ROM and the run
 * loop. Mirrors QEMU's `virt` machine so its guests run unchanged.
 *
 *   0x0000_1000  reset ROM (a0 = hartid, a1 = DTB, a2 = fw_dynamic info)
 *   0x0010_0000  syscon (sifive,test): poweroff / reboot
 *   0x0010_1000  goldfish RTC                          irq 11
 *   0x0200_0000  CLINT: msip, mtimecmp, mtime
 *   0x0c00_0000  PLIC
 *   0x1000_0000  UART 16550A                           irq 10
 *   0x1000_1000  virtio-mmio slot n at +n*0x1000       irq 1+n
 *   0x8000_0000  RAM
 */
#include "machine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/hart.h"
#include "cpu/jit.h"
#include "devices/clint.h"
#include "devices/goldfish_rtc.h"
#include "devices/plic.h"
#include "devices/syscon.h"
#include "devices/uart16550.h"
#include "devices/virtio.h"
#include "fdt_board.h"

enum { MEM_ROM, MEM_SYSCON, MEM_RTC, MEM_CLINT, MEM_PLIC, MEM_UART, MEM_VIRTIO, MEM_RAM, MEM_N };
static const struct {
    uint64_t base, size;
} memmap[MEM_N] = {
    [MEM_ROM] = {0x1000, 0x1000},
    [MEM_SYSCON] = {RV_BOARD_SYSCON_BASE, 0x1000},
    [MEM_RTC] = {RV_BOARD_RTC_BASE, 0x1000},
    [MEM_CLINT] = {RV_BOARD_CLINT_BASE, 0x10000},
    [MEM_PLIC] = {RV_BOARD_PLIC_BASE, 0x600000},
    [MEM_UART] = {RV_BOARD_UART_BASE, 0x100},
    [MEM_VIRTIO] = {RV_BOARD_VIRTIO_BASE, RV_BOARD_VIRTIO_STRIDE},
    [MEM_RAM] = {0x80000000ull, 0},
};

/* What the hart implements, exactly: misa letters and the extensions. */
#define RV_ISA_STRING "rv64imafdc_zicntr_zicsr_zifencei_zihintpause_zba_zbb_zbs_sstc"
#define KERNEL_OFFSET 0x200000ull /* after firmware: 0x80200000 */
#define FDT_MAX 0x10000
#define MAX_DEVICES 16
#define JIT_CODE_SIZE (64u << 20)      /* translated code, reset when full */
#define HART_SLICE 20000               /* instructions per hart turn */
#define DET_INSNS_PER_TICK 10          /* deterministic: 100 M instructions per guest second */
#define FW_DYNAMIC_MAGIC 0x4942534full /* "OSBI" */

typedef struct load_rec {
    uint64_t pa;
    uint8_t *data;
    size_t len;
} load_rec;

struct rv_machine {
    rv_machine_config cfg;
    rv_host host;
    rv_chardev console;
    char bootargs[1024];
    uint8_t *ram;
    bool ram_dirty; /* RAM may hold non-zero bytes */
    uint8_t rom[0x1000];
    rv_bus bus;
    rv_hart *harts[RV_MAX_HARTS];
    rv_device devs[MAX_DEVICES];
    int ndevs;
    clint *clint;
    plic *plic;
    uart16550 *uart;
    goldfish_rtc *rtc;
    rv_dma dma;
    rv_blockdev disks[RV_VIRTIO_SLOTS];
    rv_netdev nets[RV_VIRTIO_SLOTS];
    int slot_kind[RV_VIRTIO_SLOTS]; /* 0 empty, 1 blk, 2 net */
    int nslots;
    bool booted;

    /* images, replayed into RAM at every reset */
    load_rec loads[8];
    int nloads;
    bool have_bios, have_kernel;
    uint64_t bios_entry, kernel_entry;
    uint64_t bios_end, kernel_start, kernel_end;
    uint8_t *initrd;
    size_t initrd_len;
    uint64_t initrd_start, initrd_end;
    uint64_t tohost;
    uint64_t fdt_addr;

    /* time */
    uint64_t t0_ns;      /* host time at mtime 0 */
    uint64_t det_skip;   /* deterministic: ticks skipped while idle */
    uint64_t insn_total; /* all harts, for deterministic time */

    /* power requests from the syscon */
    bool power_req;
    int power_kind, power_code;
    char err[256];
};

/* ---- clocks ---- */

static uint64_t board_clock(void *ctx)
{
    rv_machine *m = ctx;
    if (m->cfg.deterministic)
        return m->insn_total / DET_INSNS_PER_TICK + m->det_skip;
    uint64_t now = m->host.now_ns(m->host.opaque);
    return (now - m->t0_ns) / 100; /* 10 MHz */
}

static uint64_t guest_mtime(void *ctx)
{
    rv_machine *m = ctx;
    return clint_mtime(m->clint);
}

static uint64_t board_realtime(void *ctx)
{
    rv_machine *m = ctx;
    if (m->cfg.deterministic)
        return 1767225600ull * 1000000000ull + board_clock(m) * 100; /* 2026-01-01 + uptime */
    return m->host.realtime_ns(m->host.opaque);
}

/* ---- bus ---- */

static rv_device *find_device(rv_machine *m, uint64_t pa, unsigned len)
{
    for (int i = 0; i < m->ndevs; i++) {
        rv_device *d = &m->devs[i];
        if (pa >= d->base && pa - d->base < d->size && len <= d->size - (pa - d->base))
            return d;
    }
    return NULL;
}

static bool board_mmio_read(void *ctx, uint64_t pa, unsigned len, uint64_t *val)
{
    rv_device *d = find_device(ctx, pa, len);
    if (!d) {
        *val = 0;
        return false;
    }
    return d->read(d->opaque, pa - d->base, len, val);
}

static bool board_mmio_write(void *ctx, uint64_t pa, unsigned len, uint64_t val)
{
    rv_device *d = find_device(ctx, pa, len);
    if (!d)
        return false;
    return d->write(d->opaque, pa - d->base, len, val);
}

static uint8_t *dma_map(void *ctx, uint64_t pa, uint64_t len)
{
    rv_machine *m = ctx;
    uint64_t base = memmap[MEM_RAM].base;
    if (pa < base || pa - base > m->cfg.ram_size || len > m->cfg.ram_size - (pa - base))
        return NULL;
    return m->ram + (pa - base);
}

static void dma_dirty(void *ctx, uint64_t pa, uint64_t len)
{
    rv_machine *m = ctx;
    bus_invalidate_range(&m->bus, pa, len);
}

static void hart_irq(void *ctx, uint32_t bit, int level)
{
    hart_set_irq(ctx, (int)bit, level);
}

static void power_request(void *ctx, int kind, int code)
{
    rv_machine *m = ctx;
    m->power_req = true;
    m->power_kind = kind;
    m->power_code = code;
    m->bus.stop = true;
}

static bool add_device(rv_machine *m, rv_device d)
{
    if (m->ndevs >= MAX_DEVICES)
        return false;
    m->devs[m->ndevs++] = d;
    return true;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

rv_machine_config rv_machine_default_config(void)
{
    rv_machine_config c = {.ram_size = 256ull << 20, .nharts = 1};
    return c;
}

rv_machine *machine_create(const rv_machine_config *cfg, const rv_host *host,
                           const rv_chardev *console, char *err, size_t errlen)
{
    if (cfg->nharts < 1 || cfg->nharts > RV_MAX_HARTS) {
        set_err(err, errlen, "%llu harts: between 1 and 8 are supported",
                (unsigned long long)((uint64_t)cfg->nharts));
        return NULL;
    }
    if (cfg->ram_size < (1ull << 20) || cfg->ram_size > (16ull << 30) ||
        (cfg->ram_size & (RV_PAGE_SIZE - 1))) {
        set_err(err, errlen,
                "memory size %llu bytes: must be a multiple of 4 KiB between 1 MiB and 16 GiB",
                (unsigned long long)(cfg->ram_size));
        return NULL;
    }
    rv_machine *m = calloc(1, sizeof(*m));
    if (!m)
        goto oom;
    m->cfg = *cfg;
    m->host = *host;
    m->console = *console;
    if (cfg->bootargs) {
        snprintf(m->bootargs, sizeof(m->bootargs), "%s", cfg->bootargs);
        m->cfg.bootargs = m->bootargs;
    }
    m->ram = calloc(1, cfg->ram_size);
    if (!m->ram)
        goto oom;
    if (!bus_init(&m->bus, m->ram, memmap[MEM_RAM].base, cfg->ram_size))
        goto oom;
    m->bus.rom = m->rom;
    m->bus.rom_base = memmap[MEM_ROM].base;
    m->bus.rom_size = memmap[MEM_ROM].size;
    m->bus.ctx = m;
    m->bus.mmio_read = board_mmio_read;
    m->bus.mmio_write = board_mmio_write;
    m->bus.mtime = guest_mtime;
    m->bus.nharts = cfg->nharts;
    if (!cfg->interpret_only && host->exec_alloc) {
        /* Without it (no backend for this host, no executable memory) the
         * harts interpret: slower, the same behaviour. */
        rv_jit_mem jm = {host->opaque, host->exec_alloc, host->exec_free};
        m->bus.jit = jit_create(&jm, JIT_CODE_SIZE);
    }
    for (int i = 0; i < cfg->nharts; i++) {
        m->harts[i] = calloc(1, sizeof(rv_hart));
        if (!m->harts[i])
            goto oom;
        m->bus.harts[i] = m->harts[i];
        hart_init(m->harts[i], &m->bus, (uint64_t)i);
    }
    m->dma = (rv_dma){.ctx = m, .map = dma_map, .dirty = dma_dirty};

    /* interrupt wiring: CLINT -> MSIP/MTIP, PLIC contexts -> MEIP/SEIP */
    rv_irq_line msip[RV_MAX_HARTS], mtip[RV_MAX_HARTS], ctx_out[2 * RV_MAX_HARTS];
    for (int i = 0; i < cfg->nharts; i++) {
        msip[i] = (rv_irq_line){hart_irq, m->harts[i], IRQ_MSI};
        mtip[i] = (rv_irq_line){hart_irq, m->harts[i], IRQ_MTI};
        ctx_out[2 * i] = (rv_irq_line){hart_irq, m->harts[i], IRQ_MEI};
        ctx_out[2 * i + 1] = (rv_irq_line){hart_irq, m->harts[i], IRQ_SEI};
    }
    m->clint = clint_create(cfg->nharts, msip, mtip, (rv_clock){board_clock, m});
    m->plic = plic_create(RV_BOARD_PLIC_NDEV, 2 * cfg->nharts, ctx_out);
    m->uart = uart16550_create(&m->console, plic_input(m->plic, RV_BOARD_UART_IRQ));
    m->rtc = goldfish_rtc_create(board_realtime, m, plic_input(m->plic, RV_BOARD_RTC_IRQ));
    syscon *sc = syscon_create((rv_power){power_request, m});
    if (!m->clint || !m->plic || !m->uart || !m->rtc || !sc)
        goto oom;
    add_device(m, syscon_device(sc, memmap[MEM_SYSCON].base));
    add_device(m, goldfish_rtc_device(m->rtc, memmap[MEM_RTC].base));
    add_device(m, clint_device(m->clint, memmap[MEM_CLINT].base));
    add_device(m, plic_device(m->plic, memmap[MEM_PLIC].base));
    add_device(m, uart16550_device(m->uart, memmap[MEM_UART].base));
    if (!m->host.now_ns)
        goto oom;
    m->t0_ns = m->host.now_ns(m->host.opaque);
    return m;
oom:
    set_err(err, errlen, "out of memory creating a machine with %llu MiB of RAM",
            (unsigned long long)(cfg->ram_size >> 20));
    machine_destroy(m);
    return NULL;
}

void machine_destroy(rv_machine *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->ndevs; i++)
        if (m->devs[i].destroy)
            m->devs[i].destroy(m->devs[i].opaque);
    for (int i = 0; i < RV_MAX_HARTS; i++)
        free(m->harts[i]);
    for (int i = 0; i < m->nloads; i++)
        free(m->loads[i].data);
    free(m->initrd);
    jit_destroy(m->bus.jit);
    bus_free(&m->bus);
    free(m->ram);
    free(m);
}

/* ---- loaders ---- */

static uint64_t rd16(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8;
}

static uint64_t rd32(const uint8_t *p)
{
    return rd16(p) | rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | rd32(p + 4) << 32;
}

static bool ram_range(const rv_machine *m, uint64_t pa, uint64_t len)
{
    uint64_t base = memmap[MEM_RAM].base;
    return pa >= base && pa - base <= m->cfg.ram_size && len <= m->cfg.ram_size - (pa - base);
}

static bool add_load(rv_machine *m, uint64_t pa, const uint8_t *data, size_t len, size_t memsz)
{
    if (m->nloads >= (int)(sizeof(m->loads) / sizeof(m->loads[0])))
        return false;
    uint8_t *copy = calloc(1, memsz ? memsz : 1);
    if (!copy)
        return false;
    memcpy(copy, data, len);
    m->loads[m->nloads++] = (load_rec){pa, copy, memsz};
    return true;
}

static bool is_elf(const uint8_t *d, size_t len)
{
    return len >= 4 && d[0] == 0x7f && d[1] == 'E' && d[2] == 'L' && d[3] == 'F';
}

/* Finds symbol `name` in an ELF64 image; 0 when absent. Every offset is
 * checked against the file size. */
static uint64_t elf_symbol(const uint8_t *d, size_t len, const char *name)
{
    uint64_t shoff = rd64(d + 0x28);
    uint64_t shentsize = rd16(d + 0x3a), shnum = rd16(d + 0x3c);
    if (shoff == 0 || shentsize < 64 || shoff > len || shnum > (len - shoff) / shentsize)
        return 0;
    for (uint64_t i = 0; i < shnum; i++) {
        const uint8_t *sh = d + shoff + i * shentsize;
        if (rd32(sh + 4) != 2) /* SHT_SYMTAB */
            continue;
        uint64_t off = rd64(sh + 0x18), size = rd64(sh + 0x20), link = rd32(sh + 0x28);
        uint64_t entsize = rd64(sh + 0x38);
        if (link >= shnum || entsize < 24 || off > len || size > len - off)
            continue;
        const uint8_t *strh = d + shoff + link * shentsize;
        uint64_t stroff = rd64(strh + 0x18), strsize = rd64(strh + 0x20);
        if (stroff > len || strsize > len - stroff)
            continue;
        size_t nlen = strlen(name);
        for (uint64_t s = 0; s + entsize <= size; s += entsize) {
            const uint8_t *sym = d + off + s;
            uint64_t nm = rd32(sym);
            if (nm + nlen + 1 > strsize)
                continue;
            if (memcmp(d + stroff + nm, name, nlen + 1) == 0)
                return rd64(sym + 8);
        }
    }
    return 0;
}

/* Loads an ELF's PT_LOAD segments at their physical addresses. */
static bool load_elf(rv_machine *m, const uint8_t *d, size_t len, const char *what, uint64_t *entry,
                     uint64_t *lo_out, uint64_t *hi_out, char *err, size_t errlen)
{
    if (len < 64 || d[4] != 2 || d[5] != 1) {
        set_err(err, errlen, "%s: not a 64-bit little-endian ELF", what);
        return false;
    }
    if (rd16(d + 0x12) != 243) {
        set_err(err, errlen, "%s: ELF for machine %llu, not RISC-V (243)", what,
                (unsigned long long)(rd16(d + 0x12)));
        return false;
    }
    uint64_t phoff = rd64(d + 0x20), phentsize = rd16(d + 0x36), phnum = rd16(d + 0x38);
    if (phentsize < 56 || phoff > len || phnum > (len - phoff) / phentsize) {
        set_err(err, errlen, "%s: truncated or corrupt ELF program headers", what);
        return false;
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    int nload = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = d + phoff + i * phentsize;
        if (rd32(ph) != 1) /* PT_LOAD */
            continue;
        uint64_t off = rd64(ph + 8), paddr = rd64(ph + 0x18), filesz = rd64(ph + 0x20),
                 memsz = rd64(ph + 0x28);
        if (memsz == 0)
            continue;
        if (filesz > memsz || off > len || filesz > len - off) {
            set_err(err, errlen, "%s: segment %llu lies outside the file", what,
                    (unsigned long long)(i));
            return false;
        }
        if (!ram_range(m, paddr, memsz)) {
            set_err(err, errlen, "%s: segment at 0x%llx (0x%llx bytes) lies outside RAM", what,
                    (unsigned long long)(paddr), (unsigned long long)(memsz));
            return false;
        }
        if (!add_load(m, paddr, d + off, filesz, memsz)) {
            set_err(err, errlen, "%s: too many segments or out of memory", what);
            return false;
        }
        nload++;
        if (paddr < lo)
            lo = paddr;
        if (paddr + memsz > hi)
            hi = paddr + memsz;
    }
    if (!nload) {
        set_err(err, errlen, "%s: ELF has no loadable segment", what);
        return false;
    }
    *entry = rd64(d + 0x18);
    *lo_out = lo;
    *hi_out = hi;
    return true;
}

/* A raw image is plausible when it is a Linux RISC-V Image (magic "RSC\x05"
 * at 0x38) or when its first instructions all decode: random bytes
 * almost never do. */
static bool raw_plausible(const uint8_t *d, size_t len)
{
    if (len >= 0x40 && memcmp(d + 0x38, "RSC\x05", 4) == 0)
        return true;
    size_t off = 0;
    for (int n = 0; n < 8; n++) {
        if (off + 2 > len)
            return n > 0;
        uint16_t lo = (uint16_t)rd16(d + off);
        rv_insn in;
        if ((lo & 3) != 3) {
            uint32_t x = rvc_expand(lo);
            if (!x)
                return false;
            decode_insn(&in, x);
            off += 2;
        } else {
            if (off + 4 > len)
                return false;
            decode_insn(&in, (uint32_t)rd32(d + off));
            off += 4;
        }
        if (in.op == 3 /* OP_ILLEGAL */)
            return false;
    }
    return true;
}

static bool load_raw(rv_machine *m, const uint8_t *d, size_t len, uint64_t pa, const char *what,
                     char *err, size_t errlen)
{
    if (!raw_plausible(d, len)) {
        set_err(err, errlen, "%s: neither an ELF nor a plausible raw RISC-V image", what);
        return false;
    }
    if (!ram_range(m, pa, len)) {
        set_err(err, errlen, "%s: %llu bytes at 0x%llx do not fit in RAM (see --mem)", what,
                (unsigned long long)(len), (unsigned long long)(pa));
        return false;
    }
    if (!add_load(m, pa, d, len, len)) {
        set_err(err, errlen, "%s: out of memory", what);
        return false;
    }
    return true;
}

bool machine_load_bios(rv_machine *m, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    uint64_t base = memmap[MEM_RAM].base;
    if (len == 0) {
        set_err(err, errlen, "%s: empty file", "firmware");
        return false;
    }
    if (is_elf(data, len)) {
        uint64_t lo, hi;
        if (!load_elf(m, data, len, "firmware", &m->bios_entry, &lo, &hi, err, errlen))
            return false;
        m->bios_end = hi;
    } else {
        if (!load_raw(m, data, len, base, "firmware", err, errlen))
            return false;
        m->bios_entry = base;
        m->bios_end = base + len;
    }
    m->have_bios = true;
    return true;
}

bool machine_load_kernel(rv_machine *m, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    uint64_t base = memmap[MEM_RAM].base;
    if (len == 0) {
        set_err(err, errlen, "%s: empty file", "kernel");
        return false;
    }
    if (len > m->cfg.ram_size) {
        set_err(err, errlen, "%s: %llu bytes is larger than RAM (%llu bytes; see --mem)", "kernel",
                (unsigned long long)(len), (unsigned long long)(m->cfg.ram_size));
        return false;
    }
    if (is_elf(data, len)) {
        uint64_t lo, hi;
        if (!load_elf(m, data, len, "kernel", &m->kernel_entry, &lo, &hi, err, errlen))
            return false;
        if (m->have_bios && lo < m->bios_end) {
            set_err(err, errlen, "%s: segments from 0x%llx overlap the firmware (ends 0x%llx)",
                    "kernel", (unsigned long long)(lo), (unsigned long long)(m->bios_end));
            return false;
        }
        m->kernel_start = lo;
        m->kernel_end = hi;
        m->tohost = elf_symbol(data, len, "tohost");
    } else {
        uint64_t pa = m->have_bios ? base + KERNEL_OFFSET : base;
        if (m->have_bios && m->bios_end > pa) {
            set_err(err, errlen, "%s: firmware (ends 0x%llx) overlaps the kernel address 0x%llx",
                    "kernel", (unsigned long long)(m->bios_end), (unsigned long long)(pa));
            return false;
        }
        if (!load_raw(m, data, len, pa, "kernel", err, errlen))
            return false;
        m->kernel_entry = pa;
        m->kernel_start = pa;
        m->kernel_end = pa + len;
    }
    m->have_kernel = true;
    return true;
}

bool machine_load_initrd(rv_machine *m, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    free(m->initrd);
    m->initrd = malloc(len ? len : 1);
    if (!m->initrd) {
        set_err(err, errlen, "%s: out of memory (%llu bytes)", "initrd", (unsigned long long)(len));
        return false;
    }
    memcpy(m->initrd, data, len);
    m->initrd_len = len;
    return true;
}

int machine_attach_disk(rv_machine *m, const rv_blockdev *bd)
{
    if (m->booted || m->nslots >= RV_VIRTIO_SLOTS)
        return -1;
    int s = m->nslots++;
    m->disks[s] = *bd;
    m->slot_kind[s] = 1;
    return s;
}

int machine_attach_net(rv_machine *m, const rv_netdev *nd)
{
    if (m->booted || m->nslots >= RV_VIRTIO_SLOTS)
        return -1;
    int s = m->nslots++;
    m->nets[s] = *nd;
    m->slot_kind[s] = 2;
    return s;
}

/* ---- reset ROM ---- */

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* The same sequence QEMU's virt ROM runs: every hart starts here. */
static void build_rom(rv_machine *m, uint64_t entry, uint64_t next_addr)
{
    uint8_t *r = m->rom;
    memset(r, 0, sizeof(m->rom));
    const uint32_t code[] = {
        0x00000297,                                                /* auipc t0, 0        */
        (40u << 20) | (5u << 15) | (12u << 7) | 0x13,              /* addi  a2, t0, 40   */
        (0xf14u << 20) | (2u << 12) | (10u << 7) | 0x73,           /* csrr  a0, mhartid  */
        (32u << 20) | (5u << 15) | (3u << 12) | (11u << 7) | 0x03, /* ld a1, 32(t0) */
        (24u << 20) | (5u << 15) | (3u << 12) | (5u << 7) | 0x03,  /* ld t0, 24(t0) */
        (5u << 15) | 0x67,                                         /* jr    t0           */
    };
    for (int i = 0; i < 6; i++)
        put32(r + 4 * i, code[i]);
    put64(r + 24, entry);
    put64(r + 32, m->fdt_addr);
    /* struct fw_dynamic_info (OpenSBI include/sbi/fw_dynamic.h), version 2 */
    put64(r + 40, FW_DYNAMIC_MAGIC);
    put64(r + 48, 2);
    put64(r + 56, next_addr);
    put64(r + 64, 1); /* next_mode: S */
    put64(r + 72, 0); /* options */
    put64(r + 80, 0); /* boot_hart */
}

static void replay_loads(rv_machine *m)
{
    uint64_t base = memmap[MEM_RAM].base;
    /* RAM fresh from calloc is already zero: skip touching (and so
     * committing) every page of it on the first boot. */
    if (m->ram_dirty)
        memset(m->ram, 0, m->cfg.ram_size);
    m->ram_dirty = true;
    for (int i = 0; i < m->nloads; i++)
        memcpy(m->ram + (m->loads[i].pa - base), m->loads[i].data, m->loads[i].len);
}

static bool build_fdt(rv_machine *m, char *err, size_t errlen)
{
    uint64_t base = memmap[MEM_RAM].base, top = base + m->cfg.ram_size;
    uint8_t *buf = calloc(1, FDT_MAX);
    if (!buf) {
        set_err(err, errlen, "out of memory");
        return false;
    }
    /* DTB at the top of RAM (2 MiB aligned, as QEMU), initrd below it. */
    m->fdt_addr = (top - FDT_MAX) & ~((2ull << 20) - 1);
    if (m->fdt_addr < m->kernel_end)
        m->fdt_addr = (top - FDT_MAX) & ~0xfffull;
    m->initrd_start = m->initrd_end = 0;
    if (m->initrd) {
        uint64_t start = (m->fdt_addr - m->initrd_len) & ~0xfffull;
        if (m->initrd_len > m->fdt_addr - base || start < m->kernel_end) {
            free(buf);
            set_err(
                err, errlen,
                "initrd: %llu bytes do not fit in RAM above the kernel (ends 0x%llx); raise --mem",
                (unsigned long long)m->initrd_len, (unsigned long long)m->kernel_end);
            return false;
        }
        m->initrd_start = start;
        m->initrd_end = start + m->initrd_len;
    }
    uint32_t mask = 0;
    for (int s = 0; s < m->nslots; s++)
        mask |= 1u << s;
    rv_board_desc d = {
        .ram_base = base,
        .ram_size = m->cfg.ram_size,
        .nharts = m->cfg.nharts,
        .isa = RV_ISA_STRING,
        .mmu_type = "riscv,sv48",
        .timebase = 10000000,
        .bootargs = m->cfg.bootargs,
        .initrd_start = m->initrd_start,
        .initrd_end = m->initrd_end,
        .virtio_mask = mask,
    };
    int size = fdt_board_build(&d, buf, FDT_MAX, err, errlen);
    if (size < 0) {
        free(buf);
        return false;
    }
    /* The tree is part of the images replayed at every reset. */
    bool ok = add_load(m, m->fdt_addr, buf, (size_t)size, (size_t)size);
    if (ok && m->initrd)
        ok = add_load(m, m->initrd_start, m->initrd, m->initrd_len, m->initrd_len);
    free(buf);
    if (!ok)
        set_err(err, errlen, "out of memory");
    return ok;
}

static void reset_all(rv_machine *m)
{
    replay_loads(m);
    bus_invalidate_range(&m->bus, memmap[MEM_RAM].base, m->cfg.ram_size);
    bus_invalidate_range(&m->bus, memmap[MEM_ROM].base, memmap[MEM_ROM].size);
    for (int i = 0; i < m->ndevs; i++)
        if (m->devs[i].reset)
            m->devs[i].reset(m->devs[i].opaque);
    for (int i = 0; i < m->cfg.nharts; i++)
        hart_reset(m->harts[i], memmap[MEM_ROM].base);
    m->bus.stop = false;
    m->bus.tohost_hit = false;
    m->power_req = false;
}

bool machine_boot(rv_machine *m, char *err, size_t errlen)
{
    if (m->booted) {
        set_err(err, errlen, "machine already booted");
        return false;
    }
    if (!m->have_kernel && !m->have_bios) {
        set_err(err, errlen, "no kernel loaded");
        return false;
    }
    for (int s = 0; s < m->nslots; s++) {
        virtio_mmio *v;
        rv_irq_line irq = plic_input(m->plic, RV_BOARD_VIRTIO_IRQ0 + s);
        if (m->slot_kind[s] == 1)
            v = virtio_blk_create(&m->dma, &m->disks[s], irq);
        else
            v = virtio_net_create(&m->dma, &m->nets[s], irq);
        if (!v || !add_device(m, virtio_device(v, memmap[MEM_VIRTIO].base +
                                                      (uint64_t)s * RV_BOARD_VIRTIO_STRIDE))) {
            set_err(err, errlen, "out of memory creating virtio slot %llu",
                    (unsigned long long)((uint64_t)s));
            return false;
        }
    }
    if (!build_fdt(m, err, errlen))
        return false;
    uint64_t entry, next;
    if (m->have_bios) {
        entry = m->bios_entry;
        next = m->have_kernel ? m->kernel_entry : memmap[MEM_RAM].base + KERNEL_OFFSET;
    } else {
        entry = m->kernel_entry;
        next = m->kernel_entry;
    }
    build_rom(m, entry, next);
    if (m->tohost && !m->have_bios) {
        m->bus.tohost_pa = m->tohost;
        bus_watch_page(&m->bus, m->tohost);
    }
    m->booted = true;
    reset_all(m);
    m->t0_ns = m->host.now_ns(m->host.opaque);
    return true;
}

/* ---- running ---- */

static uint64_t next_deadline(rv_machine *m)
{
    uint64_t d = clint_next_deadline(m->clint);
    for (int i = 0; i < m->cfg.nharts; i++) {
        rv_hart *h = m->harts[i];
        if ((h->menvcfg >> 63) && !(h->mip_hw & MIP_STIP) && h->stimecmp < d)
            d = h->stimecmp;
    }
    return d;
}

void machine_poll_devices(rv_machine *m)
{
    for (int i = 0; i < m->ndevs; i++)
        if (m->devs[i].poll)
            m->devs[i].poll(m->devs[i].opaque);
}

static void update_timers(rv_machine *m)
{
    clint_update(m->clint);
    uint64_t now = clint_mtime(m->clint);
    for (int i = 0; i < m->cfg.nharts; i++)
        hart_update_sstc(m->harts[i], now);
}

rv_run_result machine_run(rv_machine *m, uint64_t budget)
{
    rv_run_result r = {.reason = RV_STOP_BUDGET};
    if (!m->booted) {
        snprintf(m->err, sizeof(m->err), "machine_run before machine_boot");
        r.reason = RV_STOP_ERROR;
        return r;
    }
    while (r.executed < budget) {
        update_timers(m);
        machine_poll_devices(m);
        bool all_idle = true;
        for (int i = 0; i < m->cfg.nharts && !m->bus.stop && !m->bus.tohost_hit; i++) {
            rv_hart *h = m->harts[i];
            if (h->wfi && hart_interrupt_pending(h))
                h->wfi = false;
            if (h->wfi)
                continue;
            all_idle = false;
            uint64_t left = budget - r.executed;
            uint64_t n = hart_run(h, left < HART_SLICE ? left : HART_SLICE);
            r.executed += n;
            m->insn_total += n;
        }
        if (m->bus.tohost_hit) {
            uint64_t v = 0;
            memcpy(&v, m->ram + (m->bus.tohost_pa - memmap[MEM_RAM].base), 8);
            m->bus.tohost_hit = false;
            if (v & 1) {
                r.reason = RV_STOP_POWEROFF;
                r.tohost = true;
                r.exit_code = (int)(v >> 1);
                m->bus.stop = true;
                break;
            }
            /* Even values are proxied system calls, which this board does not offer. */
            continue;
        }
        if (m->power_req) {
            uart16550_flush(m->uart);
            if (m->power_kind == 1) {
                reset_all(m);
                r.reason = RV_STOP_REBOOT;
            } else {
                r.reason = RV_STOP_POWEROFF;
                r.exit_code = m->power_code;
            }
            break;
        }
        if (all_idle) {
            uint64_t now = clint_mtime(m->clint);
            uint64_t d = next_deadline(m);
            if (m->cfg.deterministic) {
                if (d == UINT64_MAX)
                    break; /* nothing will ever wake it: report idle */
                if (d > now)
                    m->det_skip += d - now;
                continue;
            }
            r.reason = RV_STOP_IDLE;
            r.idle_ns = d == UINT64_MAX ? UINT64_MAX : (d > now ? (d - now) * 100 : 0);
            uint64_t alarm = goldfish_rtc_next_alarm_ns(m->rtc);
            if (alarm < r.idle_ns)
                r.idle_ns = alarm;
            break;
        }
    }
    if (r.reason == RV_STOP_BUDGET && r.executed < budget && !m->power_req) {
        r.reason = RV_STOP_IDLE;
        r.idle_ns = UINT64_MAX;
    }
    uart16550_flush(m->uart);
    return r;
}

uint64_t machine_hart_pc(const rv_machine *m, int hart)
{
    return m->harts[hart]->pc;
}

const uint64_t *machine_hart_regs(const rv_machine *m, int hart)
{
    return m->harts[hart]->x;
}

const char *machine_error(const rv_machine *m)
{
    return m->err;
}

uint64_t machine_instret(const rv_machine *m)
{
    uint64_t t = 0;
    for (int i = 0; i < m->cfg.nharts; i++)
        t += m->harts[i]->instret;
    return t;
}

bool machine_jit_stats(const rv_machine *m, rv_jit_stats *st)
{
    if (!m->bus.jit)
        return false;
    jit_stats(m->bus.jit, st);
    return true;
}

bool machine_test_mode(const rv_machine *m)
{
    return m->tohost != 0 && !m->have_bios;
}

/* ---- snapshots ---- */

static void machine_visit(rv_machine *m, rv_snap *s)
{
    snap_section(s, "board");
    snap_u64(s, "ram_size", &m->cfg.ram_size);
    snap_u64(s, "det_skip", &m->det_skip);
    snap_u64(s, "insn_total", &m->insn_total);
    snap_bytes(s, "ram", m->ram, m->cfg.ram_size);
    for (int i = 0; i < m->cfg.nharts; i++) {
        char name[16];
        snprintf(name, sizeof(name), "hart%d", i);
        snap_section(s, name);
        hart_snapshot(m->harts[i], s);
    }
    for (int i = 0; i < m->ndevs; i++) {
        if (!m->devs[i].snapshot)
            continue;
        char name[48];
        snprintf(name, sizeof(name), "%s@%llx", m->devs[i].name,
                 (unsigned long long)m->devs[i].base);
        snap_section(s, name);
        m->devs[i].snapshot(m->devs[i].opaque, s);
    }
}

bool machine_save(rv_machine *m, uint8_t **out, size_t *outlen)
{
    rv_snap s;
    snap_init_save(&s);
    machine_visit(m, &s);
    if (s.error) {
        snap_free(&s);
        return false;
    }
    *out = s.buf;
    *outlen = s.len;
    return true;
}

bool machine_load(rv_machine *m, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    rv_snap s;
    if (!snap_init_load(&s, data, len)) {
        set_err(err, errlen, "snapshot: bad header or truncated");
        return false;
    }
    uint64_t ram = m->cfg.ram_size;
    snap_section(&s, "board");
    snap_u64(&s, "ram_size", &ram);
    if (ram != m->cfg.ram_size) {
        set_err(err, errlen, "snapshot: RAM size %llu differs from this machine's %llu",
                (unsigned long long)(ram), (unsigned long long)(m->cfg.ram_size));
        return false;
    }
    machine_visit(m, &s);
    if (s.error) {
        set_err(err, errlen, "snapshot: malformed field");
        return false;
    }
    bus_invalidate_range(&m->bus, memmap[MEM_RAM].base, m->cfg.ram_size);
    bus_flush_all_tlbs(&m->bus);
    return true;
}
