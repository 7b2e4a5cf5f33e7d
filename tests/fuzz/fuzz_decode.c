/* libFuzzer target for the decoder (vm/cpu/decode.c): every 4 input bytes
 * are a 32-bit word for decode_insn(), every 2 bytes a parcel for
 * rvc_expand(). Invariants (abort on violation):
 *  - decode_insn: op in range and never one of the cache markers, len 4,
 *    raw = the word, register fields < 32 (rd <= 32: 32 is the x0 sink,
 *    only for rd field 0), deterministic, OP_ILLEGAL for a word whose low
 *    bits are not 11;
 *  - rvc_expand: 0 exactly for the spec's reserved parcels (RV64C, ISA
 *    manual 16.8), otherwise a 32-bit instruction (low bits 11) that
 *    decodes to a legal operation with the same register fields the
 *    parcel names. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/hart.h"
#include "cpu/ops.h"

static void fail(const char *what, uint32_t w)
{
    fprintf(stderr, "fuzz_decode: %s (%08x)\n", what, w);
    abort();
}

static int rvc_reserved(uint16_t c)
{
    unsigned q = c & 3, f3 = c >> 13, rd = (c >> 7) & 31, rs2 = (c >> 2) & 31, b12 = (c >> 12) & 1;
    switch (q) {
    case 0:
        if (f3 == 4)
            return 1;
        return f3 == 0 && ((c >> 5) & 0xff) == 0;
    case 1:
        if (f3 == 1)
            return rd == 0;
        if (f3 == 3)
            return b12 == 0 && rs2 == 0;
        return f3 == 4 && ((c >> 10) & 3) == 3 && b12 && ((c >> 5) & 3) >= 2;
    case 2:
        if (f3 == 2 || f3 == 3)
            return rd == 0;
        return f3 == 4 && !b12 && rs2 == 0 && rd == 0;
    }
    return 1; /* quadrant 3 is not RVC: rvc_expand returns 0 */
}

static void check_word(uint32_t w)
{
    rv_insn d, d2;
    decode_insn(&d, w);
    decode_insn(&d2, w);
    if (d.op >= OP_COUNT || d.op == OP_DECODE || d.op == OP_PAGE_END || d.op == OP_CROSS)
        fail("op out of range", w);
    if (d.len != 4 || d.raw != w)
        fail("len/raw", w);
    if (d.rd > 32 || d.rs1 > 31 || d.rs2 > 31 || d.rs3 > 31 || d.rm > 7)
        fail("register field out of range", w);
    if (d.rd == 32 && ((w >> 7) & 31) != 0)
        fail("x0 sink for a nonzero rd", w);
    if (d.rd != 32 && d.rd != ((w >> 7) & 31))
        fail("rd is not the rd field", w);
    if ((w & 3) != 3 && d.op != OP_ILLEGAL)
        fail("16-bit parcel decoded as 32-bit", w);
    if (memcmp(&d, &d2, sizeof(d)) != 0)
        fail("not deterministic", w);
}

static void check_parcel(uint16_t c)
{
    uint32_t x = rvc_expand(c);
    if ((x == 0) != rvc_reserved(c))
        fail("rvc_expand disagrees with the spec's reserved set", c);
    if (!x)
        return;
    if ((x & 3) != 3)
        fail("expansion is not a 32-bit instruction", c);
    rv_insn d;
    decode_insn(&d, x);
    if (d.op == OP_ILLEGAL)
        fail("expansion decodes as illegal", c);
    check_word(x);
    /* CR/CI formats name rd/rs1 in bits 11:7: the expansion uses it. */
    unsigned q = c & 3, f3 = c >> 13, r = (c >> 7) & 31;
    if (q == 2 && f3 == 0 && ((x >> 7) & 31) != r)
        fail("c.slli rd not preserved", c);
    if (q == 1 && f3 == 2 && ((x >> 7) & 31) != r)
        fail("c.li rd not preserved", c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i + 4 <= size; i += 4) {
        uint32_t w;
        memcpy(&w, data + i, 4);
        check_word(w);
        check_word(w | 3);
    }
    for (size_t i = 0; i + 2 <= size; i += 2) {
        uint16_t c;
        memcpy(&c, data + i, 2);
        check_parcel(c);
    }
    return 0;
}
