#define _GNU_SOURCE
#include "disk_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DISK_MAX_BYTES (2ull << 40) /* 2 TiB: virtio-blk capacity is 64-bit, files here are not */

struct disk_file {
    int fd;
    bool readonly;
    uint64_t size;
    char path[512];
};

static int do_rw(int fd, bool write, rv_iovec *iov, int iovcnt, uint64_t off)
{
    for (int i = 0; i < iovcnt; i++) {
        uint8_t *p = iov[i].base;
        size_t left = iov[i].len;
        while (left > 0) {
            ssize_t n = write ? pwrite(fd, p, left, (off_t)off) : pread(fd, p, left, (off_t)off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return RV_BLK_IOERR;
            if (n == 0) {
                if (write)
                    return RV_BLK_IOERR;
                memset(p, 0, left); /* past EOF of a sparse file reads zero */
                n = (ssize_t)left;
            }
            p += n;
            left -= (size_t)n;
            off += (uint64_t)n;
        }
    }
    return RV_BLK_OK;
}

static void disk_submit(void *opaque, rv_blk_req *req)
{
    disk_file *d = opaque;
    int status = RV_BLK_OK;
    uint64_t total = 0;
    for (int i = 0; i < req->iovcnt; i++)
        total += req->iov[i].len;
    switch (req->type) {
    case RV_BLK_READ:
    case RV_BLK_WRITE:
        if (req->offset > d->size || total > d->size - req->offset)
            status = RV_BLK_IOERR;
        else if (req->type == RV_BLK_WRITE && d->readonly)
            status = RV_BLK_IOERR;
        else
            status = do_rw(d->fd, req->type == RV_BLK_WRITE, req->iov, req->iovcnt, req->offset);
        break;
    case RV_BLK_FLUSH:
        if (!d->readonly && fdatasync(d->fd) != 0)
            status = RV_BLK_IOERR;
        break;
    default:
        status = RV_BLK_UNSUPP;
    }
    req->complete(req, status);
}

disk_file *disk_file_open(const char *path, bool readonly, char *err, size_t errlen)
{
    int fd = open(path, readonly ? O_RDONLY : O_RDWR);
    if (fd < 0) {
        snprintf(err, errlen, "disk %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "disk %s: not a regular file", path);
        close(fd);
        return NULL;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size == 0 || size % 512 != 0) {
        snprintf(err, errlen, "disk %s: size %llu is not a non-zero multiple of 512 bytes (truncated image?)",
                 path, (unsigned long long)size);
        close(fd);
        return NULL;
    }
    if (size > DISK_MAX_BYTES) {
        snprintf(err, errlen, "disk %s: %llu bytes is larger than the 2 TiB supported", path,
                 (unsigned long long)size);
        close(fd);
        return NULL;
    }
    /* Two VMs writing one image corrupt it: take an exclusive lock (shared
     * for read-only users). */
    if (flock(fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        snprintf(err, errlen, "disk %s: in use by another VM (locked)", path);
        close(fd);
        return NULL;
    }
    disk_file *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "disk %s: out of memory", path);
        close(fd);
        return NULL;
    }
    d->fd = fd;
    d->readonly = readonly;
    d->size = size;
    snprintf(d->path, sizeof(d->path), "%s", path);
    return d;
}

rv_blockdev disk_file_blockdev(disk_file *d)
{
    rv_blockdev b = {.opaque = d, .size = d->size, .readonly = d->readonly, .submit = disk_submit};
    return b;
}

void disk_file_close(disk_file *d)
{
    if (!d)
        return;
    if (!d->readonly)
        fsync(d->fd);
    close(d->fd);
    free(d);
}
