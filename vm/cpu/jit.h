/* The dynamic translator: basic blocks of decoded instructions turned into
 * host machine code, entered from hart_run's dispatch loop.
 *
 * Blocks are keyed like the decoded pages they come from: by physical page
 * and offset. Each decoded page that has blocks carries an entry table
 * (one u32 per 16-bit parcel: offset of the block's code in the code
 * buffer, 0 = none). Code refers to its page only through registers that
 * hold the page's virtual base and its table, so one physical page mapped
 * at two virtual addresses shares its blocks. Control passes from block to
 * block without returning to C: directly within a page, through the fetch
 * TLB and the target page's table across pages.
 *
 * What stays exact:
 * - the budget: a block of N instructions runs only when at least N are
 *   left; otherwise the interpreter runs the rest;
 * - instret: a trap in the middle of a block gives back the instructions
 *   after the trapping one;
 * - invalidation: a store into decoded code (any hart, DMA) clears the
 *   entry table of that page, so no block of it can be entered again; a
 *   block that stored into code leaves right after the store. The code
 *   buffer itself is only reset from the dispatcher, never while a block
 *   runs;
 * - interrupts: taken at block boundaries that change page, as the
 *   interpreter takes them when it leaves a page.
 *
 * Instructions the translator does not handle (CSR, AMO, LR/SC, system,
 * illegal, page-straddling) end a block; the interpreter executes them one
 * at a time. The backend is x86-64 machine code; on other hosts (the wasm
 * build) jit_create returns NULL and the interpreter runs everything. */
#ifndef RV_JIT_H
#define RV_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hart.h"

/* How a run of translated code ended. */
enum {
    JIT_EXIT_PC = 0,     /* h->pc is the next instruction: dispatch again */
    JIT_EXIT_TRAP = 1,   /* an instruction trapped: h->pc is the handler */
    JIT_EXIT_INTERP = 2, /* h->pc holds an instruction to interpret once */
    JIT_EXIT_BUDGET = 3, /* fewer instructions left than the block has */
    JIT_NONE = 4,        /* nothing could be translated here */
};

typedef struct rv_jit rv_jit;

/* Executable memory comes from the host (rv_host.exec_alloc). */
typedef struct rv_jit_mem {
    void *opaque;
    void *(*alloc)(void *opaque, size_t len);
    void (*free)(void *opaque, void *p, size_t len);
} rv_jit_mem;

/* NULL when this host has no backend or no executable memory. */
rv_jit *jit_create(const rv_jit_mem *mem, size_t code_size);
void jit_destroy(rv_jit *j);

/* Runs translated code from pc (in decoded page p, a page whose PMP answer
 * is uniform). Updates *left; returns a JIT_EXIT_* or JIT_NONE. */
int jit_run(rv_hart *h, rv_dpage *p, uint64_t pc, int64_t *left);

/* The decoded page's blocks can no longer be entered. */
void jit_page_clear(rv_dpage *p);
/* A store touched [off, off+len) of page p: drops its blocks if they cover
 * any of it. Returns true when blocks were dropped. */
bool jit_page_written(rv_dpage *p, uint64_t off, uint64_t len);

typedef struct rv_jit_stats {
    uint64_t blocks, insns, flushes, code_bytes;
} rv_jit_stats;
void jit_stats(const rv_jit *j, rv_jit_stats *s);

/* ---- between jit.c and its backend ---- */

/* One instruction of a block: its decoded form and its page offset. */
typedef struct jit_ins {
    rv_insn i;
    uint16_t off;
} jit_ins;

enum { JIT_MAX_INSNS = 64 };

/* A jump or branch: the last instruction of its block. */
bool jit_ends_block(int op);

struct rv_jit {
    rv_jit_mem mem;
    uint8_t *base;
    size_t size, used;
    /* fixed code at the start of the buffer */
    uint32_t enter_off, exit_off, exit_pc_off, interp_off, dyn_off;
    size_t fixed_end; /* the buffer's used size after a reset */
    rv_jit_stats st;
};

/* Emits the fixed code; false when the host has no backend. */
bool jit_backend_init(rv_jit *j);
/* Emits one block at j->base + j->used; returns its offset or 0 when the
 * buffer is full. tab is the page's entry table (for direct jumps to
 * blocks that already exist). */
uint32_t jit_backend_block(rv_jit *j, const jit_ins *ins, int n, const uint32_t *tab);
/* Enters code at offset entry. */
int jit_backend_enter(rv_jit *j, rv_hart *h, uint32_t entry, int64_t left, uint64_t page_va,
                      uint32_t *tab);

/* Helpers the translated code calls (exec.c). Status: 0 = go on,
 * 1 = done but leave the block (slice_end), 2 = trapped. */
int jit_helper_load(rv_hart *h, uint64_t va, uint32_t op_rd, uint64_t pc);
int jit_helper_store(rv_hart *h, uint64_t va, uint64_t val, uint32_t len, uint64_t pc);
int jit_helper_fp(rv_hart *h, const rv_insn *i, uint64_t pc);
void jit_helper_alu(rv_hart *h, const rv_insn *i);

#endif
