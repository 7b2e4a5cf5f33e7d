/* The C side of the Web Worker: a plain-C ABI over vm/machine.h that
 * JavaScript drives (worker/core.mjs). One wvm owns one machine and the
 * browser backends that live in wasm memory:
 *
 *   console  guest output collects in a buffer that JS drains once per slice;
 *            JS pushes keyboard bytes into an input ring that the UART pulls
 *            from (what the UART has no room for stays in the ring, and what
 *            the ring has no room for stays in JS: nothing is lost).
 *   disks    either a whole image in wasm memory (completed at once), or a
 *            JS-backed disk: submit() calls out to JS with a request id and
 *            JS completes it later with vm_blk_complete() (IndexedDB, HTTP).
 *   network  send() calls out to JS; JS pushes received frames into a
 *            bounded queue that the NIC polls.
 *
 * 64-bit values cross the boundary as doubles (exact up to 2^53), so the
 * build needs no BigInt support. */
#include <emscripten.h>
#include <emscripten/html5.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/cow.h"
#include "host.h"
#include "machine.h"

#define API EMSCRIPTEN_KEEPALIVE

enum {
    OUT_MAX = 1 << 20,      /* guest output kept between two drains */
    IN_CAP = 1 << 16,       /* console input ring */
    NET_QUEUE = 64,         /* received frames waiting for the NIC */
    NET_FRAME_MAX = 1522,   /* 1514 + VLAN tag + slack; no FCS */
    BLK_PENDING_MAX = 1024, /* JS-backed requests in flight */
    MAX_DISKS = RV_VIRTIO_SLOTS,
};

typedef struct wvm wvm;

typedef struct wvm_disk {
    wvm *owner;
    int index;
    int js_handle; /* -1 = image in wasm memory */
    uint8_t *data;
    rv_cow *cow; /* a copy-on-write disk (worker/cow_api.c), owned here */
    uint64_t size;
    bool readonly;
} wvm_disk;

typedef struct net_frame {
    uint16_t len;
    uint8_t data[NET_FRAME_MAX];
} net_frame;

struct wvm {
    rv_machine *m;
    rv_host host;
    rv_chardev console;
    char err[512];

    /* Inputs kept for the machine's lifetime: the loaders may refer to them
     * until boot, and a reset rebuilds from them on the JS side anyway. */
    uint8_t *blobs[4];
    int nblobs;

    uint8_t *out;
    size_t out_len, out_cap;
    double out_dropped;

    uint8_t in[IN_CAP];
    size_t in_head, in_len;

    wvm_disk disks[MAX_DISKS];
    int ndisks;
    rv_blk_req *pending[BLK_PENDING_MAX];

    int net_handle; /* -1 = no NIC */
    net_frame *netq;
    int netq_head, netq_len;
    double net_dropped;
    bool net_down; /* link state JS sets (vm_net_set_link); up by default */

    rv_run_result last;
    double total_executed;
};

/* ---- calls out to JavaScript (Module.wvmHooks, set by worker/core.mjs) */

EM_JS(int, js_blk_submit,
      (int handle, int reqid, int type, double offset, uint32_t iov, int iovcnt), {
          var h = Module['wvmHooks'];
          if (!h || !h.blkSubmit)
              return 1; /* RV_BLK_IOERR */
          return h.blkSubmit(handle, reqid, type, offset, iov, iovcnt);
      });

EM_JS(void, js_net_send, (int handle, uint32_t ptr, int len), {
    var h = Module['wvmHooks'];
    if (h && h.netSend)
        h.netSend(handle, ptr, len);
});

/* ---- clocks */

static uint64_t host_now_ns(void *opaque)
{
    (void)opaque;
    /* performance.now(): monotonic, sub-millisecond resolution. */
    return (uint64_t)(emscripten_get_now() * 1e6);
}

static uint64_t host_realtime_ns(void *opaque)
{
    (void)opaque;
    return (uint64_t)(emscripten_date_now() * 1e6); /* Date.now(), in ms */
}

/* ---- console */

static void con_write(void *opaque, const uint8_t *buf, size_t len)
{
    wvm *w = opaque;
    if (w->out_len + len > w->out_cap) {
        size_t cap = w->out_cap ? w->out_cap : 4096;
        while (cap < w->out_len + len && cap < OUT_MAX)
            cap *= 2;
        if (cap > w->out_cap) {
            uint8_t *p = realloc(w->out, cap);
            if (p) {
                w->out = p;
                w->out_cap = cap;
            }
        }
    }
    size_t room = w->out_cap - w->out_len;
    size_t n = len < room ? len : room;
    if (n)
        memcpy(w->out + w->out_len, buf, n);
    w->out_len += n;
    w->out_dropped += (double)(len - n);
}

static size_t con_read(void *opaque, uint8_t *buf, size_t max)
{
    wvm *w = opaque;
    size_t n = 0;
    while (n < max && w->in_len > 0) {
        buf[n++] = w->in[w->in_head];
        w->in_head = (w->in_head + 1) % IN_CAP;
        w->in_len--;
    }
    return n;
}

/* ---- disks */

static void blk_mem_submit(void *opaque, rv_blk_req *req)
{
    wvm_disk *d = opaque;
    uint64_t off = req->offset;
    int status = RV_BLK_OK;
    if (req->type == RV_BLK_FLUSH) {
        req->complete(req, RV_BLK_OK); /* memory is as durable as it gets */
        return;
    }
    if (req->type != RV_BLK_READ && req->type != RV_BLK_WRITE) {
        req->complete(req, RV_BLK_UNSUPP);
        return;
    }
    if (req->type == RV_BLK_WRITE && d->readonly) {
        req->complete(req, RV_BLK_IOERR);
        return;
    }
    for (int i = 0; i < req->iovcnt; i++) {
        size_t len = req->iov[i].len;
        if (off > d->size || len > d->size - off) {
            status = RV_BLK_IOERR;
            break;
        }
        if (req->type == RV_BLK_READ)
            memcpy(req->iov[i].base, d->data + off, len);
        else
            memcpy(d->data + off, req->iov[i].base, len);
        off += len;
    }
    req->complete(req, status);
}

static void blk_js_submit(void *opaque, rv_blk_req *req)
{
    wvm_disk *d = opaque;
    wvm *w = d->owner;
    int id = -1;
    for (int i = 0; i < BLK_PENDING_MAX; i++) {
        if (!w->pending[i]) {
            id = i;
            break;
        }
    }
    if (id < 0) {
        req->complete(req, RV_BLK_IOERR);
        return;
    }
    w->pending[id] = req;
    /* wasm32: rv_iovec is {uint8_t *base; size_t len} = two u32 words. */
    int r = js_blk_submit(d->js_handle, id, req->type, (double)req->offset,
                          (uint32_t)(uintptr_t)req->iov, req->iovcnt);
    if (r >= 0 && w->pending[id] == req) {
        w->pending[id] = NULL; /* completed synchronously */
        req->complete(req, r);
    }
}

/* ---- network */

static void net_send(void *opaque, const uint8_t *frame, size_t len)
{
    wvm *w = opaque;
    js_net_send(w->net_handle, (uint32_t)(uintptr_t)frame, (int)len);
}

static size_t net_recv(void *opaque, uint8_t *buf, size_t max)
{
    wvm *w = opaque;
    if (w->netq_len == 0)
        return 0;
    net_frame *f = &w->netq[w->netq_head];
    size_t n = f->len <= max ? f->len : 0; /* a frame that does not fit is dropped */
    if (n)
        memcpy(buf, f->data, n);
    w->netq_head = (w->netq_head + 1) % NET_QUEUE;
    w->netq_len--;
    return n;
}

/* Feeds the NIC's STATUS.LINK_UP (virtio 1.2 §5.1.4); the device polls it
 * and raises a configuration change when it flips. */
static bool net_link_up(void *opaque)
{
    const wvm *w = opaque;
    return !w->net_down;
}

/* ---- exported API */

API wvm *vm_alloc(void)
{
    wvm *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->net_handle = -1;
    w->host = (rv_host){.opaque = w, .now_ns = host_now_ns, .realtime_ns = host_realtime_ns};
    w->console = (rv_chardev){.opaque = w, .write = con_write, .read = con_read};
    return w;
}

API const char *vm_error(wvm *w)
{
    return w->err;
}

/* Creates the machine. ram_bytes as a double (JS number). */
API int vm_create(wvm *w, double ram_bytes, int harts, int deterministic, const char *bootargs)
{
    rv_machine_config cfg = rv_machine_default_config();
    if (ram_bytes > 0)
        cfg.ram_size = (uint64_t)ram_bytes;
    if (harts > 0)
        cfg.nharts = harts;
    cfg.deterministic = deterministic != 0;
    cfg.bootargs = bootargs && bootargs[0] ? bootargs : NULL;
    w->err[0] = 0;
    w->m = machine_create(&cfg, &w->host, &w->console, w->err, sizeof w->err);
    if (!w->m && !w->err[0])
        snprintf(w->err, sizeof w->err,
                 "cannot create the machine (out of memory for %.0f MiB of RAM?)",
                 ram_bytes / (1024.0 * 1024.0));
    return w->m != NULL;
}

/* Loads take ownership of data (allocated with malloc by JS) and keep it
 * until vm_free. what: 0 kernel, 1 bios, 2 initrd. */
API int vm_load(wvm *w, int what, uint8_t *data, double len)
{
    if (!w->m) {
        snprintf(w->err, sizeof w->err, "no machine");
        free(data);
        return 0;
    }
    if (w->nblobs < (int)(sizeof w->blobs / sizeof w->blobs[0]))
        w->blobs[w->nblobs++] = data;
    bool ok;
    w->err[0] = 0;
    switch (what) {
    case 0: ok = machine_load_kernel(w->m, data, (size_t)len, w->err, sizeof w->err); break;
    case 1: ok = machine_load_bios(w->m, data, (size_t)len, w->err, sizeof w->err); break;
    case 2: ok = machine_load_initrd(w->m, data, (size_t)len, w->err, sizeof w->err); break;
    default: snprintf(w->err, sizeof w->err, "unknown load kind %d", what); ok = false;
    }
    if (!ok && !w->err[0])
        snprintf(w->err, sizeof w->err, "load failed");
    return ok;
}

/* A disk whose image lives in wasm memory: returns its index, or -1. The
 * caller fills vm_disk_data() before boot. */
API int vm_add_disk_mem(wvm *w, double size, int readonly)
{
    if (!w->m || w->ndisks >= MAX_DISKS || size <= 0 || (uint64_t)size % 512) {
        snprintf(w->err, sizeof w->err, "bad disk (size must be a non-zero multiple of 512)");
        return -1;
    }
    uint8_t *data = calloc(1, (size_t)size);
    if (!data) {
        snprintf(w->err, sizeof w->err, "out of memory for a %.0f MiB disk", size / 1048576.0);
        return -1;
    }
    wvm_disk *d = &w->disks[w->ndisks];
    *d = (wvm_disk){.owner = w,
                    .index = w->ndisks,
                    .js_handle = -1,
                    .data = data,
                    .size = (uint64_t)size,
                    .readonly = readonly != 0};
    rv_blockdev bd = {
        .opaque = d, .size = d->size, .readonly = d->readonly, .submit = blk_mem_submit};
    if (machine_attach_disk(w->m, &bd) < 0) {
        free(data);
        d->data = NULL;
        snprintf(w->err, sizeof w->err, "no free virtio slot for the disk");
        return -1;
    }
    return w->ndisks++;
}

API uint8_t *vm_disk_data(wvm *w, int idx)
{
    return idx >= 0 && idx < w->ndisks ? w->disks[idx].data : NULL;
}

/* A disk served by JS (Module.wvmHooks.blkSubmit): returns its index or -1. */
API int vm_add_disk_js(wvm *w, double size, int readonly, int js_handle)
{
    if (!w->m || w->ndisks >= MAX_DISKS || size <= 0 || (uint64_t)size % 512) {
        snprintf(w->err, sizeof w->err, "bad disk (size must be a non-zero multiple of 512)");
        return -1;
    }
    wvm_disk *d = &w->disks[w->ndisks];
    *d = (wvm_disk){.owner = w,
                    .index = w->ndisks,
                    .js_handle = js_handle,
                    .size = (uint64_t)size,
                    .readonly = readonly != 0};
    rv_blockdev bd = {
        .opaque = d, .size = d->size, .readonly = d->readonly, .submit = blk_js_submit};
    if (machine_attach_disk(w->m, &bd) < 0) {
        snprintf(w->err, sizeof w->err, "no free virtio slot for the disk");
        return -1;
    }
    return w->ndisks++;
}

/* A copy-on-write disk (cow_open in worker/cow_api.c): the machine owns it
 * from here on and vm_free destroys it. Returns its index or -1. */
API int vm_add_disk_cow(wvm *w, rv_cow *c)
{
    if (!w->m || !c || w->ndisks >= MAX_DISKS) {
        snprintf(w->err, sizeof w->err, "cannot attach the disk");
        return -1;
    }
    rv_blockdev bd = rv_cow_blockdev(c);
    if (machine_attach_disk(w->m, &bd) < 0) {
        snprintf(w->err, sizeof w->err, "no free virtio slot for the disk");
        return -1;
    }
    wvm_disk *d = &w->disks[w->ndisks];
    *d = (wvm_disk){.owner = w,
                    .index = w->ndisks,
                    .js_handle = -1,
                    .cow = c,
                    .size = bd.size,
                    .readonly = bd.readonly};
    return w->ndisks++;
}

/* Completes a JS-backed request; call between slices, never from inside
 * vm_run. Returns 0 for an unknown id. */
API int vm_blk_complete(wvm *w, int reqid, int status)
{
    if (reqid < 0 || reqid >= BLK_PENDING_MAX || !w->pending[reqid])
        return 0;
    rv_blk_req *req = w->pending[reqid];
    w->pending[reqid] = NULL;
    req->complete(req, status);
    if (w->m)
        machine_poll_devices(w->m);
    return 1;
}

API int vm_add_net(wvm *w, const uint8_t *mac, int js_handle)
{
    if (!w->m || w->net_handle >= 0) {
        snprintf(w->err, sizeof w->err, "one NIC per machine");
        return -1;
    }
    w->netq = calloc(NET_QUEUE, sizeof *w->netq);
    if (!w->netq) {
        snprintf(w->err, sizeof w->err, "out of memory");
        return -1;
    }
    rv_netdev nd = {.opaque = w, .send = net_send, .recv = net_recv, .link_up = net_link_up};
    memcpy(nd.mac, mac, 6);
    w->net_handle = js_handle;
    int slot = machine_attach_net(w->m, &nd);
    if (slot < 0) {
        snprintf(w->err, sizeof w->err, "no free virtio slot for the NIC");
        w->net_handle = -1;
    }
    return slot;
}

/* Queues one received frame; 0 when it is malformed or the queue is full. */
API int vm_net_push(wvm *w, const uint8_t *frame, int len)
{
    if (!w->netq || len < 14 || len > NET_FRAME_MAX || w->netq_len >= NET_QUEUE) {
        w->net_dropped += 1;
        return 0;
    }
    net_frame *f = &w->netq[(w->netq_head + w->netq_len) % NET_QUEUE];
    f->len = (uint16_t)len;
    memcpy(f->data, frame, (size_t)len);
    w->netq_len++;
    if (w->m)
        machine_poll_devices(w->m);
    return 1;
}

/* Free places in the receive queue: JS keeps what does not fit yet. */
API int vm_net_room(wvm *w)
{
    return w->netq ? NET_QUEUE - w->netq_len : 0;
}

/* The backend's link (a relay connection) went up or down. */
API void vm_net_set_link(wvm *w, int up)
{
    w->net_down = !up;
    if (w->m)
        machine_poll_devices(w->m);
}

API int vm_boot(wvm *w)
{
    if (!w->m)
        return 0;
    w->err[0] = 0;
    bool ok = machine_boot(w->m, w->err, sizeof w->err);
    if (!ok && !w->err[0])
        snprintf(w->err, sizeof w->err, "boot failed");
    return ok;
}

/* Runs one slice; returns the rv_stop reason. Details via vm_last_*. */
API int vm_run(wvm *w, double budget)
{
    if (!w->m)
        return RV_STOP_ERROR;
    w->last = machine_run(w->m, (uint64_t)budget);
    w->total_executed += (double)w->last.executed;
    if (w->last.reason == RV_STOP_ERROR) {
        const char *e = machine_error(w->m);
        snprintf(w->err, sizeof w->err, "%s", e ? e : "machine error");
    }
    return (int)w->last.reason;
}

API double vm_last_executed(wvm *w)
{
    return (double)w->last.executed;
}

API int vm_last_exit_code(wvm *w)
{
    return w->last.exit_code;
}

/* Milliseconds until the next timer event after RV_STOP_IDLE; -1 = none. */
API double vm_last_idle_ms(wvm *w)
{
    if (w->last.idle_ns == UINT64_MAX)
        return -1;
    return (double)w->last.idle_ns / 1e6;
}

API double vm_instret(wvm *w)
{
    return w->m ? (double)machine_instret(w->m) : 0;
}

API int vm_test_mode(wvm *w)
{
    return w->m && machine_test_mode(w->m);
}

/* Output drained by JS after each slice: read [ptr, ptr+len), then clear. */
API uint8_t *vm_out_ptr(wvm *w)
{
    return w->out;
}

API int vm_out_len(wvm *w)
{
    return (int)w->out_len;
}

API void vm_out_clear(wvm *w)
{
    w->out_len = 0;
}

API double vm_out_dropped(wvm *w)
{
    return w->out_dropped;
}

/* Room left in the console input ring; JS holds back the rest of a paste. */
API int vm_input_room(wvm *w)
{
    return (int)(IN_CAP - w->in_len);
}

API int vm_input_pending(wvm *w)
{
    return (int)w->in_len;
}

/* Queues console input; returns how many bytes were taken. */
API int vm_input_push(wvm *w, const uint8_t *buf, int len)
{
    int n = 0;
    while (n < len && w->in_len < IN_CAP) {
        w->in[(w->in_head + w->in_len) % IN_CAP] = buf[n++];
        w->in_len++;
    }
    if (n && w->m)
        machine_poll_devices(w->m);
    return n;
}

API void vm_poll(wvm *w)
{
    if (w->m)
        machine_poll_devices(w->m);
}

API void vm_free(wvm *w)
{
    if (!w)
        return;
    if (w->m)
        machine_destroy(w->m);
    for (int i = 0; i < w->ndisks; i++) {
        free(w->disks[i].data);
        rv_cow_destroy(w->disks[i].cow);
    }
    for (int i = 0; i < w->nblobs; i++)
        free(w->blobs[i]);
    free(w->netq);
    free(w->out);
    free(w);
}
