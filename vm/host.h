/* What the core asks of its host. Everything that touches a file, socket,
 * clock or terminal lives behind one of these structs; the native CLI
 * (vm/cli/) and the Web Worker (worker/) each implement them. */
#ifndef RV_HOST_H
#define RV_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Clocks. now_ns is monotonic (guest mtime derives from it unless the
 * machine is deterministic); realtime_ns is nanoseconds since 1970 for the
 * RTC. */
typedef struct rv_host {
    void *opaque;
    uint64_t (*now_ns)(void *opaque);
    uint64_t (*realtime_ns)(void *opaque);
    /* Executable memory for the translator (vm/cpu/jit.h), len bytes,
     * readable, writable and executable; NULL (or a NULL result) and the
     * hart interprets everything, as in the wasm build. */
    void *(*exec_alloc)(void *opaque, size_t len);
    void (*exec_free)(void *opaque, void *p, size_t len);
} rv_host;

/* The console. write() receives guest output from inside machine_run.
 * read() is polled when the UART has room in its receive FIFO: it copies up
 * to max pending bytes and returns how many (0 = nothing pending). Bytes the
 * guest has no room for stay with the host: that is the flow control. */
typedef struct rv_chardev {
    void *opaque;
    void (*write)(void *opaque, const uint8_t *buf, size_t len);
    size_t (*read)(void *opaque, uint8_t *buf, size_t max);
} rv_chardev;

typedef struct rv_iovec {
    uint8_t *base; /* host pointer into guest RAM, valid until complete() */
    size_t len;
} rv_iovec;

enum rv_blk_type { RV_BLK_READ, RV_BLK_WRITE, RV_BLK_FLUSH };
enum rv_blk_status { RV_BLK_OK = 0, RV_BLK_IOERR = 1, RV_BLK_UNSUPP = 2 };

/* One block request. The device owns the struct; the backend calls
 * complete() exactly once, either from inside submit() or later (the
 * browser's storage is asynchronous), but never from another thread while
 * machine_run is executing. A FLUSH completes only after every earlier
 * completed WRITE is durable. */
typedef struct rv_blk_req rv_blk_req;
struct rv_blk_req {
    int type;        /* enum rv_blk_type */
    uint64_t offset; /* bytes from the start of the disk */
    rv_iovec *iov;
    int iovcnt;
    void (*complete)(rv_blk_req *req, int status);
    void *dev; /* the device's own pointer */
};

typedef struct rv_blockdev {
    void *opaque;
    uint64_t size; /* bytes, a multiple of 512 */
    bool readonly;
    void (*submit)(void *opaque, rv_blk_req *req);
} rv_blockdev;

/* Whole Ethernet frames (no FCS). send() takes a guest frame; recv() is
 * polled when the guest has posted receive buffers and copies one frame into
 * buf, returning its length (0 = none pending). */
typedef struct rv_netdev {
    void *opaque;
    void (*send)(void *opaque, const uint8_t *frame, size_t len);
    size_t (*recv)(void *opaque, uint8_t *buf, size_t max);
    bool (*link_up)(void *opaque); /* NULL = always up */
    uint8_t mac[6];
} rv_netdev;

#endif
