/* The virt board: the public API every host (CLI, worker, tests) uses.
 *
 *   rv_machine_config cfg = rv_machine_default_config();
 *   rv_machine *m = machine_create(&cfg, &host, &console, err, sizeof err);
 *   machine_load_kernel(m, bytes, len, err, sizeof err);   (and bios/initrd)
 *   machine_attach_disk(m, &blockdev); machine_attach_net(m, &netdev);
 *   machine_boot(m, err, sizeof err);
 *   for (;;) { rv_run_result r = machine_run(m, budget); ... }
 */
#ifndef RV_MACHINE_H
#define RV_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"

typedef struct rv_jit_stats rv_jit_stats; /* cpu/jit.h */

#define RV_MAX_HARTS 8
#define RV_VIRTIO_SLOTS 8

typedef struct rv_machine rv_machine;

typedef struct rv_machine_config {
    uint64_t ram_size;    /* bytes, default 256 MiB */
    int nharts;           /* 1..RV_MAX_HARTS */
    bool deterministic;   /* time from instruction count, not the wall clock */
    const char *bootargs; /* /chosen/bootargs, may be NULL */
    bool interpret_only;  /* no translator even where the host offers one */
} rv_machine_config;

typedef enum rv_stop {
    RV_STOP_BUDGET,   /* ran the whole budget */
    RV_STOP_IDLE,     /* every hart waits (WFI) with nothing pending */
    RV_STOP_POWEROFF, /* the guest powered off; see exit_code */
    RV_STOP_REBOOT,   /* the guest asked for a reset (already done) */
    RV_STOP_ERROR     /* the machine cannot continue; see machine_error() */
} rv_stop;

typedef struct rv_run_result {
    rv_stop reason;
    int exit_code;     /* for RV_STOP_POWEROFF */
    bool tohost;       /* test mode: the poweroff came from a tohost write */
    uint64_t executed; /* instructions executed in this call */
    uint64_t idle_ns;  /* for RV_STOP_IDLE: time until the next timer event
                          (UINT64_MAX = none; wait for input) */
} rv_run_result;

rv_machine_config rv_machine_default_config(void);

rv_machine *machine_create(const rv_machine_config *cfg, const rv_host *host,
                           const rv_chardev *console, char *err, size_t errlen);
void machine_destroy(rv_machine *m);

/* Kernel: an ELF (segments at their physical addresses; a `tohost` symbol
 * selects test mode) or a raw image (at the start of RAM, or at 0x80200000
 * when a bios is loaded). Returns false with a message in err. */
bool machine_load_kernel(rv_machine *m, const uint8_t *data, size_t len, char *err, size_t errlen);
bool machine_load_bios(rv_machine *m, const uint8_t *data, size_t len, char *err, size_t errlen);
bool machine_load_initrd(rv_machine *m, const uint8_t *data, size_t len, char *err, size_t errlen);

/* Attach devices before machine_boot. Returns the virtio slot, or -1. The
 * structs are copied; their opaque pointers must outlive the machine. */
int machine_attach_disk(rv_machine *m, const rv_blockdev *bd);
int machine_attach_net(rv_machine *m, const rv_netdev *nd);

/* Builds the device tree and the reset ROM, resets every hart. */
bool machine_boot(rv_machine *m, char *err, size_t errlen);

/* Runs up to budget instructions (summed over harts). */
rv_run_result machine_run(rv_machine *m, uint64_t budget);

/* Wakes the machine after host input arrived (console bytes, frames,
 * deferred block completions): polls the devices once. */
void machine_poll_devices(rv_machine *m);

const char *machine_error(const rv_machine *m);
/* Debugging: a hart's pc and integer registers (x[0..31]). */
uint64_t machine_hart_pc(const rv_machine *m, int hart);
const uint64_t *machine_hart_regs(const rv_machine *m, int hart);
uint64_t machine_instret(const rv_machine *m); /* total over harts */
/* The translator's counters; false when the machine interprets only. */
bool machine_jit_stats(const rv_machine *m, rv_jit_stats *st);
/* Test mode: true when the kernel has a tohost symbol. */
bool machine_test_mode(const rv_machine *m);

/* Snapshots of the whole machine (RAM, harts, devices). */
bool machine_save(rv_machine *m, uint8_t **out, size_t *outlen);
bool machine_load(rv_machine *m, const uint8_t *data, size_t len, char *err, size_t errlen);

#endif
