/* Snapshots of a whole machine: run a guest part way, save, restore into a
 * fresh machine, and both must finish with the same console output and
 * exit status as an uninterrupted run. Deterministic time makes the three
 * runs comparable byte for byte. Also: a truncated or foreign snapshot is
 * refused with a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"

typedef struct out {
    char buf[4096];
    size_t len;
} out;

static void con_write(void *opaque, const uint8_t *b, size_t n)
{
    out *o = opaque;
    for (size_t i = 0; i < n && o->len < sizeof(o->buf) - 1; i++)
        o->buf[o->len++] = (char)b[i];
}

static size_t con_read(void *opaque, uint8_t *b, size_t max)
{
    (void)opaque;
    (void)b;
    (void)max;
    return 0;
}

static uint64_t fake_now(void *opaque)
{
    (void)opaque;
    return 0;
}

static int fails;

static void check(bool ok, const char *name, const char *why)
{
    if (ok)
        printf("PASS: %s\n", name);
    else {
        printf("FAIL: %s (%s)\n", name, why);
        fails++;
    }
}

static rv_machine *make(out *o, const uint8_t *elf, size_t len)
{
    rv_machine_config cfg = rv_machine_default_config();
    cfg.deterministic = true;
    cfg.ram_size = 64ull << 20;
    rv_host host = {.now_ns = fake_now, .realtime_ns = fake_now};
    rv_chardev con = {.opaque = o, .write = con_write, .read = con_read};
    char err[256];
    rv_machine *m = machine_create(&cfg, &host, &con, err, sizeof(err));
    if (!m || !machine_load_kernel(m, elf, len, err, sizeof(err)) ||
        !machine_boot(m, err, sizeof(err))) {
        fprintf(stderr, "test_snapshot: %s\n", err);
        exit(1);
    }
    return m;
}

/* Runs to poweroff (or the limit); returns the exit code, -1 if none. */
static int finish(rv_machine *m, uint64_t limit)
{
    for (uint64_t done = 0; done < limit;) {
        rv_run_result r = machine_run(m, 1000000);
        done += r.executed;
        if (r.reason == RV_STOP_POWEROFF)
            return r.exit_code;
        if (r.reason == RV_STOP_ERROR)
            return -1;
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_snapshot GUEST.elf\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    static uint8_t elf[1 << 20];
    size_t len = fread(elf, 1, sizeof(elf), f);
    fclose(f);

    const uint64_t limit = 2000000000ull;
    static out whole, first, second;
    rv_machine *a = make(&whole, elf, len);
    int code_whole = finish(a, limit);
    machine_destroy(a);

    /* Part way, then save. */
    rv_machine *b = make(&first, elf, len);
    uint64_t part = 0;
    while (part < 50000000) {
        rv_run_result r = machine_run(b, 1000000);
        part += r.executed;
    }
    uint8_t *snap;
    size_t snap_len;
    check(machine_save(b, &snap, &snap_len), "snapshot.save", "machine_save failed");

    /* Restore into a fresh machine holding the same output so far. */
    second = first;
    rv_machine *c = make(&second, elf, len);
    char err[256] = "";
    check(machine_load(c, snap, snap_len, err, sizeof(err)), "snapshot.load", err);
    int code_b = finish(b, limit);
    int code_c = finish(c, limit);
    check(code_whole == 0 && code_b == 0 && code_c == 0, "snapshot.exit_status",
          "a run did not power off with status 0");
    check(whole.len > 0 && first.len == whole.len && memcmp(first.buf, whole.buf, whole.len) == 0,
          "snapshot.saving_does_not_disturb", "output of the saved machine differs");
    check(second.len == whole.len && memcmp(second.buf, whole.buf, whole.len) == 0,
          "snapshot.restored_run_matches", "output of the restored machine differs");

    /* Refusals: truncated, wrong magic, another RAM size. */
    check(!machine_load(c, snap, snap_len / 2, err, sizeof(err)) && err[0],
          "snapshot.truncated_refused", "a truncated snapshot was accepted");
    snap[0] ^= 0xff;
    check(!machine_load(c, snap, snap_len, err, sizeof(err)), "snapshot.bad_magic_refused",
          "a bad magic was accepted");
    snap[0] ^= 0xff;
    rv_machine_config cfg = rv_machine_default_config();
    cfg.ram_size = 32ull << 20;
    rv_host host = {.now_ns = fake_now, .realtime_ns = fake_now};
    static out other;
    rv_chardev con = {.opaque = &other, .write = con_write, .read = con_read};
    rv_machine *d = machine_create(&cfg, &host, &con, err, sizeof(err));
    check(d && !machine_load(d, snap, snap_len, err, sizeof(err)), "snapshot.ram_size_refused",
          "a snapshot of another RAM size was accepted");
    machine_destroy(d);
    free(snap);
    machine_destroy(b);
    machine_destroy(c);
    printf("%d failed\n", fails);
    return fails ? 1 : 0;
}
