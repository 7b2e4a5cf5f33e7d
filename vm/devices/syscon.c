/* SiFive test finisher (QEMU hw/misc/sifive_test.c), driven by Linux through
 * syscon-poweroff/syscon-reboot and by OpenSBI's "sifive,test" driver.
 *
 * Register map: 0x0 FINISHER (write-only; reads 0)
 *   bits 15:0 = 0x5555 pass: power off, exit code 0
 *             = 0x3333 fail: power off, exit code = bits 31:16
 *             = 0x7777 reset: reboot
 *   any other value is ignored.
 * 2- and 4-byte accesses are valid (QEMU: min 2, max 4); 1- and 8-byte
 * accesses fault. Other offsets in the page read 0 and ignore writes. */
#include "devices/syscon.h"

#include <libfdt.h>
#include <stdlib.h>

#include "fdt_board.h"

#define FINISHER_FAIL 0x3333
#define FINISHER_PASS 0x5555
#define FINISHER_RESET 0x7777

struct syscon {
    rv_power power; /* no guest state at all */
};

static bool syscon_read(void *opaque, uint64_t off, unsigned len, uint64_t *val)
{
    (void)opaque;
    (void)off;
    *val = 0;
    return len == 2 || len == 4;
}

static bool syscon_write(void *opaque, uint64_t off, unsigned len, uint64_t val)
{
    syscon *s = opaque;
    if (len != 2 && len != 4)
        return false;
    if (off != 0 || !s->power.request)
        return true;
    switch (val & 0xffff) {
    case FINISHER_PASS: s->power.request(s->power.ctx, RV_POWER_OFF, 0); break;
    case FINISHER_FAIL:
        s->power.request(s->power.ctx, RV_POWER_OFF, (int)((val >> 16) & 0xffff));
        break;
    case FINISHER_RESET: s->power.request(s->power.ctx, RV_POWER_REBOOT, 0); break;
    default: break;
    }
    return true;
}

static void syscon_reset(void *opaque)
{
    (void)opaque;
}

static void syscon_snapshot(void *opaque, rv_snap *s)
{
    (void)opaque;
    (void)s;
}

static void syscon_destroy(void *opaque)
{
    free(opaque);
}

syscon *syscon_create(rv_power power)
{
    syscon *s = calloc(1, sizeof(*s));
    if (s)
        s->power = power;
    return s;
}

rv_device syscon_device(syscon *s, uint64_t base)
{
    return (rv_device){
        .name = "syscon",
        .base = base,
        .size = 0x1000,
        .opaque = s,
        .read = syscon_read,
        .write = syscon_write,
        .reset = syscon_reset,
        .snapshot = syscon_snapshot,
        .poll = NULL,
        .destroy = syscon_destroy,
    };
}

static int add_syscon_action(void *fdt, int root, const char *name, const char *compat,
                             uint32_t phandle, uint32_t value)
{
    int node = fdt_add_subnode(fdt, root, name);
    if (node < 0)
        return node;
    int err = fdt_setprop_string(fdt, node, "compatible", compat);
    if (!err)
        err = fdt_setprop_u32(fdt, node, "regmap", phandle);
    if (!err)
        err = fdt_setprop_u32(fdt, node, "offset", 0);
    if (!err)
        err = fdt_setprop_u32(fdt, node, "value", value);
    return err;
}

int syscon_fdt(void *fdt, int root, int soc, uint64_t base, uint32_t phandle)
{
    int node = fdt_board_add_mmio_node(fdt, soc, "test", base, 0x1000);
    if (node < 0)
        return node;
    static const char compat[] = "sifive,test1\0sifive,test0\0syscon";
    int err = fdt_setprop(fdt, node, "compatible", compat, sizeof(compat));
    if (!err)
        err = fdt_setprop_u32(fdt, node, "phandle", phandle);
    /* fdt_add_subnode puts a new node first among its siblings, so add
     * reboot before poweroff to list them in QEMU's order. */
    if (!err)
        err = add_syscon_action(fdt, root, "reboot", "syscon-reboot", phandle, FINISHER_RESET);
    if (!err)
        err = add_syscon_action(fdt, root, "poweroff", "syscon-poweroff", phandle, FINISHER_PASS);
    return err;
}
