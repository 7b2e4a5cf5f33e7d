#include "snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t snap_magic[4] = {'R', 'V', 'S', 'N'};

static void put(rv_snap *s, const void *p, size_t n)
{
    if (s->error)
        return;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        while (cap < s->len + n)
            cap *= 2;
        uint8_t *nb = realloc(s->buf, cap);
        if (!nb) {
            s->error = true;
            return;
        }
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}

static void put_le(rv_snap *s, uint64_t v, int n)
{
    uint8_t b[8];
    for (int i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(s, b, (size_t)n);
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void snap_init_save(rv_snap *s)
{
    memset(s, 0, sizeof(*s));
    put(s, snap_magic, 4);
    put_le(s, RV_SNAP_VERSION, 4);
}

bool snap_init_load(rv_snap *s, const uint8_t *data, size_t len)
{
    memset(s, 0, sizeof(*s));
    s->loading = true;
    s->buf = (uint8_t *)data;
    s->len = len;
    if (len < 8 || memcmp(data, snap_magic, 4) != 0 || get_le(data + 4, 4) != RV_SNAP_VERSION) {
        s->error = true;
        return false;
    }
    /* Walk the records once so a truncated file is refused up front. */
    size_t off = 8;
    while (off < len) {
        if (len - off < 2)
            goto bad;
        size_t nl = get_le(data + off, 2);
        off += 2;
        if (len - off < nl + 4)
            goto bad;
        off += nl;
        size_t dl = get_le(data + off, 4);
        off += 4;
        if (len - off < dl)
            goto bad;
        off += dl;
    }
    return true;
bad:
    s->error = true;
    return false;
}

void snap_free(rv_snap *s)
{
    if (!s->loading)
        free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
}

void snap_section(rv_snap *s, const char *name)
{
    snprintf(s->prefix, sizeof(s->prefix), "%s", name);
}

static void full_name(const rv_snap *s, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s.%s", s->prefix, name);
}

void snap_bytes(rv_snap *s, const char *name, void *p, size_t len)
{
    char fn[160];
    full_name(s, name, fn, sizeof(fn));
    size_t nl = strlen(fn);
    if (!s->loading) {
        put_le(s, nl, 2);
        put(s, fn, nl);
        put_le(s, len, 4);
        put(s, p, len);
        return;
    }
    if (s->error)
        return;
    size_t off = 8;
    while (off < s->len) {
        size_t l = get_le(s->buf + off, 2);
        const uint8_t *n = s->buf + off + 2;
        size_t dl = get_le(s->buf + off + 2 + l, 4);
        const uint8_t *d = s->buf + off + 2 + l + 4;
        if (l == nl && memcmp(n, fn, nl) == 0) {
            if (dl != len) {
                s->error = true; /* same name, different shape: refuse */
                return;
            }
            memcpy(p, d, len);
            return;
        }
        off += 2 + l + 4 + dl;
    }
    /* Absent: the field keeps its reset value. */
}

void snap_u64(rv_snap *s, const char *name, uint64_t *v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(*v >> (8 * i));
    snap_bytes(s, name, b, 8);
    if (s->loading)
        *v = get_le(b, 8);
}

void snap_u32(rv_snap *s, const char *name, uint32_t *v)
{
    uint64_t x = *v;
    snap_u64(s, name, &x);
    *v = (uint32_t)x;
}

void snap_u8(rv_snap *s, const char *name, uint8_t *v)
{
    snap_bytes(s, name, v, 1);
}

void snap_bool(rv_snap *s, const char *name, bool *v)
{
    uint8_t b = *v;
    snap_bytes(s, name, &b, 1);
    *v = b != 0;
}
