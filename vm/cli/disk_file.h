/* File-backed block devices for the CLI: locked, size-checked, durable on
 * flush. */
#ifndef RV_CLI_DISK_FILE_H
#define RV_CLI_DISK_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "host.h"

typedef struct disk_file disk_file;

/* Opens path (read-only when readonly). Returns NULL with a message in err
 * for a missing file, a size that is not a multiple of 512, an empty or
 * oversized image, or a lock held by another VM. */
disk_file *disk_file_open(const char *path, bool readonly, char *err, size_t errlen);
rv_blockdev disk_file_blockdev(disk_file *d);
void disk_file_close(disk_file *d);

#endif
