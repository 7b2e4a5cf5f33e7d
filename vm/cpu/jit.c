/* The translator's host-independent part: which instructions a block
 * holds, the entry tables, invalidation and the code buffer (see jit.h). */
#include "jit.h"

#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* Room a block may need at most (64 instructions, their slow paths and
 * exits); below this the buffer is reset before compiling. */
#define BLOCK_ROOM (48 * 1024)

rv_jit *jit_create(const rv_jit_mem *mem, size_t code_size)
{
    if (!mem || !mem->alloc || code_size < 4 * BLOCK_ROOM)
        return NULL;
    rv_jit *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->mem = *mem;
    j->size = code_size;
    j->base = mem->alloc(mem->opaque, code_size);
    if (!j->base || !jit_backend_init(j)) {
        jit_destroy(j);
        return NULL;
    }
    j->fixed_end = j->used;
    return j;
}

void jit_destroy(rv_jit *j)
{
    if (!j)
        return;
    if (j->base && j->mem.free)
        j->mem.free(j->mem.opaque, j->base, j->size);
    free(j);
}

void jit_stats(const rv_jit *j, rv_jit_stats *s)
{
    *s = j->st;
    s->code_bytes = j->used;
}

void jit_page_clear(rv_dpage *p)
{
    if (p->jit_tab && p->jit_lo < p->jit_hi)
        memset(p->jit_tab, 0, (RV_PAGE_SLOTS + 2) * sizeof(uint32_t));
    p->jit_lo = RV_PAGE_SIZE;
    p->jit_hi = 0;
}

bool jit_page_written(rv_dpage *p, uint64_t off, uint64_t len)
{
    if (p->jit_lo >= p->jit_hi || off >= p->jit_hi || off + len <= p->jit_lo)
        return false;
    jit_page_clear(p);
    return true;
}

/* Every block of every page; the code buffer starts over. Only from the
 * dispatcher: no translated code is running. */
static void flush_all(rv_jit *j, rv_bus *b)
{
    for (uint32_t i = 0; i < b->dpage_used; i++)
        jit_page_clear(&b->dpages[i]);
    j->used = j->fixed_end;
    j->st.flushes++;
}

/* What a block may hold: everything whose effects the backend reproduces
 * without leaving translated code except through its slow paths. */
static bool translatable(int op)
{
    switch (op) {
    case OP_DECODE:
    case OP_PAGE_END:
    case OP_CROSS:
    case OP_ILLEGAL:
    case OP_ECALL:
    case OP_EBREAK:
    case OP_CSRRW:
    case OP_CSRRS:
    case OP_CSRRC:
    case OP_CSRRWI:
    case OP_CSRRSI:
    case OP_CSRRCI:
    case OP_MRET:
    case OP_SRET:
    case OP_WFI:
    case OP_SFENCE_VMA: return false;
    default: return !(op >= OP_LR_W && op <= OP_AMOMAXU_D) && op < OP_COUNT;
    }
}

bool jit_ends_block(int op)
{
    return op == OP_JAL || op == OP_JALR || (op >= OP_BEQ && op <= OP_BGEU);
}

/* Builds the block at pc; returns its entry (or the interpreter stub when
 * its first instruction is not translatable), 0 when out of room. */
static uint32_t compile(rv_jit *j, rv_hart *h, rv_dpage *p, uint64_t pc)
{
    jit_ins ins[JIT_MAX_INSNS];
    int n = 0;
    uint64_t off = pc & (RV_PAGE_SIZE - 1);
    const uint64_t start = off;
    const uint64_t page_va = pc - off;
    while (n < JIT_MAX_INSNS && off < RV_PAGE_SIZE) {
        rv_insn *d = &p->insn[off >> 1];
        if (d->op == OP_DECODE)
            fetch_decode_slot(h, p, page_va + off, d);
        if (!translatable(d->op))
            break;
        ins[n].i = *d;
        ins[n].off = (uint16_t)off;
        n++;
        off += d->len;
        if (jit_ends_block(d->op))
            break;
    }
    uint32_t slot = (uint32_t)(start >> 1);
    if (n == 0) {
        /* Covered like a block, so rewriting the instruction lets it be
         * translated afresh. */
        p->jit_tab[slot] = j->interp_off;
        if (start < p->jit_lo)
            p->jit_lo = (uint16_t)start;
        if (start + 4 > p->jit_hi)
            p->jit_hi = (uint16_t)(start + 4);
        return j->interp_off;
    }
    if (j->size - j->used < BLOCK_ROOM)
        return 0;
    uint32_t e = jit_backend_block(j, ins, n, p->jit_tab);
    if (!e)
        return 0;
    p->jit_tab[slot] = e;
    if (start < p->jit_lo)
        p->jit_lo = (uint16_t)start;
    if (off > p->jit_hi)
        p->jit_hi = (uint16_t)off;
    j->st.blocks++;
    j->st.insns += (uint64_t)n;
    return e;
}

int jit_run(rv_hart *h, rv_dpage *p, uint64_t pc, int64_t *left)
{
    rv_jit *j = h->bus->jit;
    if (!p->jit_tab) {
        p->jit_tab = calloc(RV_PAGE_SLOTS + 2, sizeof(uint32_t));
        if (!p->jit_tab)
            return JIT_NONE;
        p->jit_lo = RV_PAGE_SIZE;
        p->jit_hi = 0;
    }
    uint32_t slot = (uint32_t)((pc & (RV_PAGE_SIZE - 1)) >> 1);
    uint32_t e = p->jit_tab[slot];
    if (!e) {
        e = compile(j, h, p, pc);
        if (!e) {
            flush_all(j, h->bus);
            e = compile(j, h, p, pc);
            if (!e)
                return JIT_NONE;
        }
    }
    if (e == j->interp_off) {
        h->pc = pc;
        return JIT_EXIT_INTERP;
    }
    h->jit_dtlb = h->tlb_load[h->dctx];
    h->jit_ftlb = h->tlb_fetch[h->fctx];
    int r = jit_backend_enter(j, h, e, *left, pc & ~(uint64_t)(RV_PAGE_SIZE - 1), p->jit_tab);
    *left = h->jit_left;
    return r;
}
