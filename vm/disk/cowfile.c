/* The copy-on-write engine's file store (see cowfile.h for the layout and
 * the crash promise). */
#include "disk/cowfile.h"

#include <stdlib.h>
#include <string.h>

enum {
    COWFILE_VERSION = 1,
    COWFILE_HEADER = 4096,
    COWFILE_PAGE = 4096,
    ENTRIES_PER_PAGE = COWFILE_PAGE / 4,
};
static const char cowfile_magic[8] = {'R', 'V', 'V', 'M', 'O', 'V', 'L', '1'};

/* Header field offsets. */
enum {
    H_MAGIC = 0,
    H_VERSION = 8,
    H_CHUNK = 12,
    H_SIZE = 16,
    H_BASE_SIZE = 24,
    H_BASE_FP = 32,
    H_NCHUNKS = 40,
    H_INDEX_OFF = 48,
    H_DATA_OFF = 56,
};

typedef struct slot_list {
    uint32_t *v, n, cap;
} slot_list;

struct rv_cowfile {
    rv_file_ops io;
    bool readonly;
    uint32_t chunk_size;
    uint64_t nchunks, npages, index_off, data_off;
    uint32_t *index;     /* current index, entries = slot + 1 */
    uint8_t *page_dirty; /* index pages changed and not yet written */
    uint64_t nstored;
    uint32_t next_slot; /* slots 0 .. next_slot-1 exist */
    slot_list free;     /* reusable now */
    slot_list later;    /* reusable after the next sync */
};

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint64_t rv_cowfile_fingerprint(const void *data, size_t len)
{
    const uint8_t *b = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

const char *rv_cowfile_strerror(int why)
{
    switch (why) {
    case RV_COWFILE_OK: return "no error";
    case RV_COWFILE_EIO: return "cannot read or write the overlay file";
    case RV_COWFILE_ENOMEM: return "out of memory";
    case RV_COWFILE_EFORMAT: return "not a riscv-vm overlay file (or another version)";
    case RV_COWFILE_EBASE: return "made over another base image";
    case RV_COWFILE_EDAMAGED: return "its index is damaged";
    case RV_COWFILE_EEMPTY: return "empty, and read-only here";
    default: return "bad parameters";
    }
}

static bool push_slot(slot_list *l, uint32_t slot)
{
    if (l->n == l->cap) {
        uint32_t c = l->cap ? 2 * l->cap : 64;
        uint32_t *p = realloc(l->v, c * sizeof *p);
        if (!p)
            return false;
        l->v = p;
        l->cap = c;
    }
    l->v[l->n++] = slot;
    return true;
}

static bool take_slot(rv_cowfile *f, uint32_t *slot)
{
    if (f->free.n) {
        *slot = f->free.v[--f->free.n];
        return true;
    }
    if (f->next_slot == UINT32_MAX - 1)
        return false;
    *slot = f->next_slot++;
    return true;
}

/* Everything written before is durable: slots freed before it are free. */
static bool sync_file(rv_cowfile *f)
{
    if (!f->io.sync(f->io.opaque))
        return false;
    for (uint32_t i = 0; i < f->later.n; i++)
        if (!push_slot(&f->free, f->later.v[i]))
            break; /* no memory: the slot is only lost until the next open */
    f->later.n = 0;
    return true;
}

static bool write_index(rv_cowfile *f)
{
    uint8_t page[COWFILE_PAGE];
    for (uint64_t pg = 0; pg < f->npages; pg++) {
        if (!f->page_dirty[pg])
            continue;
        memset(page, 0, sizeof page);
        uint64_t first = pg * ENTRIES_PER_PAGE;
        for (uint64_t k = 0; k < ENTRIES_PER_PAGE && first + k < f->nchunks; k++)
            put_le(page + 4 * k, f->index[first + k], 4);
        if (!f->io.write(f->io.opaque, f->index_off + pg * COWFILE_PAGE, page, COWFILE_PAGE))
            return false;
        f->page_dirty[pg] = 0;
    }
    return true;
}

static void set_entry(rv_cowfile *f, uint32_t chunk, uint32_t e)
{
    if (!f->index[chunk] && e)
        f->nstored++;
    else if (f->index[chunk] && !e)
        f->nstored--;
    f->index[chunk] = e;
    f->page_dirty[chunk / ENTRIES_PER_PAGE] = 1;
}

static int commit(rv_cowfile *f, const rv_cow_io *io)
{
    if (f->readonly)
        return 1;
    for (uint32_t k = 0; k < io->n; k++)
        if (io->chunks[k] >= f->nchunks)
            return 1;
    uint32_t *slots = malloc((io->n ? io->n : 1) * sizeof *slots);
    uint32_t *old = malloc((io->n ? io->n : 1) * sizeof *old);
    uint32_t got = 0;
    int status = 1;
    if (!slots || !old)
        goto out;
    /* 1. The data, in free slots, durable. */
    for (; got < io->n; got++) {
        if (!take_slot(f, &slots[got]))
            goto undo_slots;
        if (!f->io.write(f->io.opaque, f->data_off + (uint64_t)slots[got] * f->chunk_size,
                         io->data[got], f->chunk_size)) {
            got++;
            goto undo_slots;
        }
    }
    if (io->n && !sync_file(f))
        goto undo_slots;
    /* 2. The index names them; the old slots are free once that is durable. */
    for (uint32_t k = 0; k < io->n; k++) {
        old[k] = f->index[io->chunks[k]];
        set_entry(f, io->chunks[k], slots[k] + 1);
    }
    if (!write_index(f) || (io->strict && !sync_file(f))) {
        /* The pages on disk may hold old or new entries: keep both the old
         * and the new slots out of use, and rewrite the pages next time. */
        for (uint32_t k = io->n; k-- > 0;)
            set_entry(f, io->chunks[k], old[k]);
        goto out;
    }
    for (uint32_t k = 0; k < io->n; k++)
        if (old[k])
            push_slot(&f->later, old[k] - 1);
    status = 0;
    goto out;
undo_slots:
    /* Nothing names them, durable or not: free at once. */
    for (uint32_t k = 0; k < got; k++)
        push_slot(&f->free, slots[k]);
out:
    free(slots);
    free(old);
    return status;
}

int rv_cowfile_serve(rv_cowfile *f, const rv_cow_io *io)
{
    if (io->kind == RV_COW_IO_COMMIT)
        return commit(f, io);
    if (io->kind != RV_COW_IO_LOAD || io->chunk >= f->nchunks || !f->index[io->chunk])
        return 1;
    uint64_t off = f->data_off + (uint64_t)(f->index[io->chunk] - 1) * f->chunk_size;
    return f->io.read(f->io.opaque, off, io->buf, f->chunk_size) ? 0 : 1;
}

void rv_cowfile_mark(const rv_cowfile *f, rv_cow *c)
{
    for (uint64_t k = 0; k < f->nchunks; k++)
        if (f->index[k])
            rv_cow_mark_stored(c, (uint32_t)k);
}

bool rv_cowfile_has(const rv_cowfile *f, uint32_t chunk)
{
    return chunk < f->nchunks && f->index[chunk] != 0;
}

uint64_t rv_cowfile_stored(const rv_cowfile *f)
{
    return f->nstored;
}

void rv_cowfile_close(rv_cowfile *f)
{
    if (!f)
        return;
    free(f->index);
    free(f->page_dirty);
    free(f->free.v);
    free(f->later.v);
    free(f);
}

/* Writes a fresh header and an all-zero index (a hole) to an empty file. */
static bool create(rv_cowfile *f, const rv_cowfile_params *p)
{
    if (!f->io.truncate(f->io.opaque, f->data_off))
        return false;
    uint8_t h[COWFILE_HEADER] = {0};
    memcpy(h + H_MAGIC, cowfile_magic, 8);
    put_le(h + H_VERSION, COWFILE_VERSION, 4);
    put_le(h + H_CHUNK, f->chunk_size, 4);
    put_le(h + H_SIZE, p->size, 8);
    put_le(h + H_BASE_SIZE, p->base_size, 8);
    put_le(h + H_BASE_FP, p->base_fp, 8);
    put_le(h + H_NCHUNKS, f->nchunks, 8);
    put_le(h + H_INDEX_OFF, f->index_off, 8);
    put_le(h + H_DATA_OFF, f->data_off, 8);
    return f->io.write(f->io.opaque, 0, h, sizeof h) && f->io.sync(f->io.opaque);
}

/* Reads the index of an existing file; slots no entry names are free (left
 * by a crash, or old content). */
static int load_index(rv_cowfile *f)
{
    size_t ibytes = (size_t)f->npages * COWFILE_PAGE;
    uint8_t *raw = malloc(ibytes ? ibytes : 1);
    if (!raw)
        return RV_COWFILE_ENOMEM;
    if (!f->io.read(f->io.opaque, f->index_off, raw, ibytes)) {
        free(raw);
        return RV_COWFILE_EIO;
    }
    for (uint64_t c = 0; c < f->nchunks; c++) {
        uint32_t e = (uint32_t)get_le(raw + 4 * c, 4);
        f->index[c] = e;
        if (e)
            f->nstored++;
        if (e > f->next_slot)
            f->next_slot = e;
    }
    free(raw);
    if (f->next_slot == UINT32_MAX)
        return RV_COWFILE_EDAMAGED;
    uint8_t *named = calloc(f->next_slot ? f->next_slot : 1, 1);
    if (!named)
        return RV_COWFILE_ENOMEM;
    int why = RV_COWFILE_OK;
    for (uint64_t c = 0; c < f->nchunks && !why; c++) {
        uint32_t e = f->index[c];
        if (e && named[e - 1])
            why = RV_COWFILE_EDAMAGED; /* two chunks in one slot: not ours */
        else if (e)
            named[e - 1] = 1;
    }
    for (uint32_t s = 0; s < f->next_slot && !why; s++)
        if (!named[s] && !push_slot(&f->free, s))
            why = RV_COWFILE_ENOMEM;
    free(named);
    return why;
}

rv_cowfile *rv_cowfile_open(const rv_file_ops *ops, const rv_cowfile_params *p, int *why)
{
    uint32_t cs = p->chunk_size;
    *why = RV_COWFILE_EPARAM;
    if (cs < 4096 || cs > (16u << 20) || (cs & (cs - 1)) || !p->size || p->size % 512)
        return NULL;
    uint64_t nchunks = (p->size + cs - 1) / cs;
    if (nchunks >= UINT32_MAX)
        return NULL;
    rv_cowfile *f = calloc(1, sizeof *f);
    *why = RV_COWFILE_ENOMEM;
    if (!f)
        return NULL;
    f->io = *ops;
    f->readonly = p->readonly;
    f->chunk_size = cs;
    f->nchunks = nchunks;
    f->npages = (nchunks + ENTRIES_PER_PAGE - 1) / ENTRIES_PER_PAGE;
    f->index_off = COWFILE_HEADER;
    f->data_off = COWFILE_HEADER + f->npages * COWFILE_PAGE;
    f->index = calloc(f->npages * ENTRIES_PER_PAGE, sizeof *f->index);
    f->page_dirty = calloc(f->npages ? f->npages : 1, 1);
    if (!f->index || !f->page_dirty)
        goto fail;
    uint64_t fsize = 0;
    uint8_t h[COWFILE_HEADER];
    *why = RV_COWFILE_EIO;
    if (!f->io.size(f->io.opaque, &fsize))
        goto fail;
    bool fresh = fsize == 0;
    if (!fresh) {
        if (!f->io.read(f->io.opaque, 0, h, sizeof h))
            goto fail;
        /* A crash while creating it leaves an all-zero header: start over. */
        bool zero = true;
        for (size_t i = 0; i < sizeof h && zero; i++)
            zero = h[i] == 0;
        fresh = zero;
    }
    if (fresh) {
        *why = p->readonly ? RV_COWFILE_EEMPTY : RV_COWFILE_EIO;
        if (p->readonly || !create(f, p))
            goto fail;
        *why = RV_COWFILE_OK;
        return f;
    }
    *why = RV_COWFILE_EFORMAT;
    if (memcmp(h + H_MAGIC, cowfile_magic, 8) != 0 || get_le(h + H_VERSION, 4) != COWFILE_VERSION ||
        get_le(h + H_CHUNK, 4) != cs || get_le(h + H_NCHUNKS, 8) != f->nchunks ||
        get_le(h + H_INDEX_OFF, 8) != f->index_off || get_le(h + H_DATA_OFF, 8) != f->data_off)
        goto fail;
    *why = RV_COWFILE_EBASE;
    if (get_le(h + H_SIZE, 8) != p->size || get_le(h + H_BASE_SIZE, 8) != p->base_size ||
        get_le(h + H_BASE_FP, 8) != p->base_fp)
        goto fail;
    *why = load_index(f);
    if (*why)
        goto fail;
    return f;
fail:
    rv_cowfile_close(f);
    return NULL;
}
