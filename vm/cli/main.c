/* riscv-vm: the native front end. Parses the command line, loads images,
 * attaches file disks and network backends, and runs the machine with the
 * terminal (or a pipe) as its console. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cpu/jit.h"
#include "disk_file.h"
#include "disk_overlay.h"
#include "machine.h"
#ifdef RV_CLI_NET
#include "netback.h"
#endif

#define EXIT_USAGE 2
#define MAX_DISKS 8
#define MAX_FILE (4ull << 30)
#define SLICE_INSNS 4000000ull
#define INBUF 65536

static const char usage_text[] =
    "usage: riscv-vm --kernel FILE [options]\n"
    "\n"
    "Boot flows:\n"
    "  --kernel ELF                 enter the ELF in M mode (xv6, bare metal); an ELF with a\n"
    "                               `tohost` symbol runs in test mode (exit 0 = pass)\n"
    "  --bios FW --kernel IMAGE     firmware (OpenSBI) at 0x80000000, kernel at 0x80200000\n"
    "Options:\n"
    "  --bios FILE                  firmware, ELF or raw binary\n"
    "  --initrd FILE                initial ramdisk (placed high in RAM, named in the DTB)\n"
    "  --append STRING              kernel command line (/chosen/bootargs)\n"
    "  --disk IMG                   virtio-blk disk backed by IMG (repeatable, locked)\n"
    "  --disk IMG,overlay=FILE      copy-on-write: IMG stays untouched, writes go to FILE\n"
    "  --disk-ro IMG                read-only virtio-blk disk\n"
    "  --mem SIZE                   RAM size, e.g. 256M (default), 1G\n"
    "  --smp N                      harts, 1 to 8 (default 1)\n"
    "  --max-insns N                stop after N instructions (exit status 3)\n"
    "  --deterministic              time from the instruction count: same input, same output\n"
    "  --stats                      print instructions executed and MIPS on stderr at exit\n"
    "  --no-jit                     interpret every instruction (no translation to host code)\n"
    "  --net user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]   user-mode NAT (libslirp)\n"
    "  --net-tap IFNAME             a Linux TAP device\n"
    "  --net-ws URL                 a WebSocket relay (ws:// or wss://), e.g. netproxy\n"
    "  --net-wt URL                 a WebTransport relay: https://HOST:PORT/PATH[#sha256=HASH]\n"
    "  --mac XX:XX:XX:XX:XX:XX      the NIC's MAC address (default 52:54:00:12:34:56)\n"
    "  -h, --help                   this text\n"
    "\n"
    "Console: the terminal in raw mode; Ctrl-A x quits, Ctrl-A h lists the escapes.\n"
    "Input piped from a file works too. The exit status is the guest's poweroff status.\n";

typedef struct cli {
    /* console input ring */
    uint8_t in[INBUF];
    size_t in_head, in_len;
    bool tty, raw_on, stdin_open, ctrl_a;
    struct termios saved;
    bool quit;
} cli;

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static void die_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "riscv-vm: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(EXIT_USAGE);
}

static uint64_t host_now(void *opaque)
{
    (void)opaque;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t host_realtime(void *opaque)
{
    (void)opaque;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The translator's code buffer: reserved, committed by the kernel as it
 * is used. */
static void *host_exec_alloc(void *opaque, size_t len)
{
    (void)opaque;
    void *p =
        mmap(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void host_exec_free(void *opaque, void *p, size_t len)
{
    (void)opaque;
    munmap(p, len);
}

static void con_write(void *opaque, const uint8_t *buf, size_t len)
{
    (void)opaque;
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* stdout gone: the guest keeps running */
        buf += n;
        len -= (size_t)n;
    }
}

static size_t con_read(void *opaque, uint8_t *buf, size_t max)
{
    cli *c = opaque;
    size_t n = 0;
    while (n < max && c->in_len > 0) {
        buf[n++] = c->in[c->in_head];
        c->in_head = (c->in_head + 1) % INBUF;
        c->in_len--;
    }
    return n;
}

static void in_push(cli *c, uint8_t b)
{
    if (c->in_len < INBUF) {
        c->in[(c->in_head + c->in_len) % INBUF] = b;
        c->in_len++;
    }
}

static void raw_restore(cli *c)
{
    if (c->raw_on) {
        tcsetattr(STDIN_FILENO, TCSANOW, &c->saved);
        c->raw_on = false;
    }
}

static void raw_enter(cli *c)
{
    if (tcgetattr(STDIN_FILENO, &c->saved) != 0)
        return;
    struct termios t = c->saved;
    cfmakeraw(&t);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
        c->raw_on = true;
}

static void escape_help(void)
{
    static const char h[] = "\r\nC-a h    print this help\r\n"
                            "C-a x    exit the emulator\r\n"
                            "C-a C-a  send C-a to the guest\r\n";
    ssize_t r = write(STDERR_FILENO, h, sizeof(h) - 1);
    (void)r;
}

/* Reads what stdin has, without blocking; handles the Ctrl-A escapes on a
 * terminal. Only reads as much as the ring can hold: the rest waits in the
 * kernel's buffer (flow control). */
static void read_stdin(cli *c)
{
    uint8_t buf[4096];
    size_t room = INBUF - c->in_len;
    if (room == 0 || !c->stdin_open)
        return;
    ssize_t n = read(STDIN_FILENO, buf, room < sizeof(buf) ? room : sizeof(buf));
    if (n == 0) {
        c->stdin_open = false;
        return;
    }
    if (n < 0)
        return;
    for (ssize_t i = 0; i < n; i++) {
        uint8_t b = buf[i];
        if (!c->tty) {
            in_push(c, b);
            continue;
        }
        if (c->ctrl_a) {
            c->ctrl_a = false;
            if (b == 'x' || b == 'X')
                c->quit = true;
            else if (b == 'h' || b == 'H' || b == '?')
                escape_help();
            else if (b == 1)
                in_push(c, 1);
            continue;
        }
        if (b == 1) {
            c->ctrl_a = true;
            continue;
        }
        in_push(c, b);
    }
}

static uint8_t *read_file(const char *path, size_t *len, const char *what)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "riscv-vm: %s %s: %s\n", what, path, strerror(errno));
        exit(EXIT_USAGE);
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "riscv-vm: %s %s: not a regular file\n", what, path);
        exit(EXIT_USAGE);
    }
    if ((uint64_t)st.st_size > MAX_FILE) {
        fprintf(stderr, "riscv-vm: %s %s: too large (%lld bytes)\n", what, path,
                (long long)st.st_size);
        exit(EXIT_USAGE);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *d = malloc(n ? n : 1);
    if (!d || fread(d, 1, n, f) != n) {
        fprintf(stderr, "riscv-vm: %s %s: read failed\n", what, path);
        exit(EXIT_USAGE);
    }
    fclose(f);
    *len = n;
    return d;
}

static uint64_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || s[0] == '-')
        die_usage("bad size '%s' (e.g. 256M, 1G)", s);
    uint64_t mul = 1;
    switch (*end) {
    case 'k':
    case 'K':
        mul = 1ull << 10;
        end++;
        break;
    case 'm':
    case 'M':
        mul = 1ull << 20;
        end++;
        break;
    case 'g':
    case 'G':
        mul = 1ull << 30;
        end++;
        break;
    case '\0': mul = 1ull << 20; break; /* a bare number means MiB, as QEMU's -m */
    default: break;
    }
    if (*end == 'i' || *end == 'B')
        end++;
    if (*end == 'B')
        end++;
    if (*end)
        die_usage("bad size '%s' (e.g. 256M, 1G)", s);
    if (v > (UINT64_MAX / mul))
        die_usage("size '%s' is too large", s);
    return v * mul;
}

static uint64_t parse_u64(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || s[0] == '-')
        die_usage(what, s);
    return v;
}

static void parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        die_usage("bad MAC address '%s'", s);
    for (int i = 0; i < 6; i++) {
        if (v[i] > 255)
            die_usage("bad MAC address '%s'", s);
        mac[i] = (uint8_t)v[i];
    }
    if (mac[0] & 1)
        die_usage("MAC address '%s' is multicast", s);
}

int main(int argc, char **argv)
{
    const char *kernel = NULL, *bios = NULL, *initrd = NULL, *append = NULL;
    const char *disks[MAX_DISKS];
    bool disk_ro[MAX_DISKS];
    int ndisks = 0;
    const char *net_spec = NULL;
    uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    rv_machine_config cfg = rv_machine_default_config();
    uint64_t max_insns = 0;
    bool stats = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (!strcmp(a, "--deterministic")) {
            cfg.deterministic = true;
            continue;
        }
        if (!strcmp(a, "--stats")) {
            stats = true;
            continue;
        }
        if (!strcmp(a, "--no-jit")) {
            cfg.interpret_only = true;
            continue;
        }
        if (i + 1 >= argc || strncmp(a, "--", 2) != 0) {
            if (strncmp(a, "--", 2) != 0)
                die_usage("unexpected argument '%s' (see --help)", a);
            static const char *const known[] = {"--kernel",    "--bios",    "--initrd",  "--append",
                                                "--disk",      "--disk-ro", "--mem",     "--smp",
                                                "--max-insns", "--net",     "--net-tap", "--net-ws",
                                                "--net-wt",    "--mac",     NULL};
            for (int k = 0; known[k]; k++)
                if (!strcmp(a, known[k]))
                    die_usage("option %s needs a value", a);
            die_usage("unknown option '%s' (see --help)", a);
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--kernel"))
            kernel = v;
        else if (!strcmp(a, "--bios"))
            bios = v;
        else if (!strcmp(a, "--initrd"))
            initrd = v;
        else if (!strcmp(a, "--append"))
            append = v;
        else if (!strcmp(a, "--disk") || !strcmp(a, "--disk-ro")) {
            if (ndisks >= MAX_DISKS)
                die_usage("at most 8 disks%s", "");
            disk_ro[ndisks] = !strcmp(a, "--disk-ro");
            disks[ndisks++] = v;
        } else if (!strcmp(a, "--mem"))
            cfg.ram_size = parse_size(v);
        else if (!strcmp(a, "--smp")) {
            uint64_t n = parse_u64(v, "bad --smp value '%s'");
            if (n < 1 || n > RV_MAX_HARTS)
                die_usage("--smp %s: between 1 and 8 harts", v);
            cfg.nharts = (int)n;
        } else if (!strcmp(a, "--max-insns"))
            max_insns = parse_u64(v, "bad --max-insns value '%s'");
        else if (!strcmp(a, "--net")) {
            if (net_spec)
                die_usage("only one network backend (%s)", v);
            net_spec = v;
        } else if (!strcmp(a, "--net-tap")) {
            static char buf[300];
            snprintf(buf, sizeof(buf), "tap:%s", v);
            if (net_spec)
                die_usage("only one network backend (%s)", v);
            net_spec = buf;
        } else if (!strcmp(a, "--net-ws")) {
            if (net_spec)
                die_usage("only one network backend (%s)", v);
            if (strncmp(v, "ws://", 5) && strncmp(v, "wss://", 6))
                die_usage("--net-ws %s: the URL must start with ws:// or wss://", v);
            net_spec = v;
        } else if (!strcmp(a, "--net-wt")) {
            if (net_spec)
                die_usage("only one network backend (%s)", v);
            if (strncmp(v, "https://", 8))
                die_usage("--net-wt %s: the URL must start with https://", v);
            net_spec = v;
        } else if (!strcmp(a, "--mac"))
            parse_mac(v, mac);
        else
            die_usage("unknown option '%s' (see --help)", a);
    }
    if (!kernel && !bios)
        die_usage("no kernel: use --kernel FILE (see --help)%s", "");
    cfg.bootargs = append;

    static cli c;
    c.tty = isatty(STDIN_FILENO);
    c.stdin_open = true;
    rv_host host = {.opaque = NULL,
                    .now_ns = host_now,
                    .realtime_ns = host_realtime,
                    .exec_alloc = host_exec_alloc,
                    .exec_free = host_exec_free};
    rv_chardev console = {.opaque = &c, .write = con_write, .read = con_read};
    char err[512] = "";
    rv_machine *m = machine_create(&cfg, &host, &console, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "riscv-vm: %s\n", err);
        return EXIT_USAGE;
    }
    size_t len;
    uint8_t *data = NULL;
    disk_file *df[MAX_DISKS] = {0};
    disk_overlay *dov[MAX_DISKS] = {0};
#ifdef RV_CLI_NET
    netback *nb = NULL;
#endif
    int status = 0;
    if (bios) {
        data = read_file(bios, &len, "firmware");
        if (!machine_load_bios(m, data, len, err, sizeof(err))) {
            fprintf(stderr, "riscv-vm: %s (%s)\n", err, bios);
            goto fail;
        }
        free(data);
        data = NULL;
    }
    if (kernel) {
        data = read_file(kernel, &len, "kernel");
        if (!machine_load_kernel(m, data, len, err, sizeof(err))) {
            fprintf(stderr, "riscv-vm: %s (%s)\n", err, kernel);
            goto fail;
        }
        free(data);
        data = NULL;
    }
    if (initrd) {
        data = read_file(initrd, &len, "initrd");
        if (!machine_load_initrd(m, data, len, err, sizeof(err))) {
            fprintf(stderr, "riscv-vm: %s (%s)\n", err, initrd);
            goto fail;
        }
        free(data);
        data = NULL;
    }
    for (int i = 0; i < ndisks; i++) {
        rv_blockdev bd;
        if (disk_overlay_is_spec(disks[i])) {
            dov[i] = disk_overlay_open_spec(disks[i], disk_ro[i], err, sizeof(err));
            if (!dov[i]) {
                fprintf(stderr, "riscv-vm: %s\n", err);
                goto fail;
            }
            bd = disk_overlay_blockdev(dov[i]);
        } else {
            df[i] = disk_file_open(disks[i], disk_ro[i], err, sizeof(err));
            if (!df[i]) {
                fprintf(stderr, "riscv-vm: %s\n", err);
                goto fail;
            }
            bd = disk_file_blockdev(df[i]);
        }
        if (machine_attach_disk(m, &bd) < 0) {
            fprintf(stderr, "riscv-vm: too many virtio devices\n");
            goto fail;
        }
    }
#ifdef RV_CLI_NET
    if (net_spec) {
        nb = netback_open(net_spec, mac, err, sizeof(err));
        if (!nb) {
            fprintf(stderr, "riscv-vm: %s\n", err);
            goto fail;
        }
        rv_netdev nd = netback_netdev(nb);
        memcpy(nd.mac, mac, 6);
        if (machine_attach_net(m, &nd) < 0) {
            fprintf(stderr, "riscv-vm: too many virtio devices\n");
            goto fail;
        }
    }
#else
    if (net_spec) {
        fprintf(stderr, "riscv-vm: this build has no network backends\n");
        goto fail;
    }
#endif
    if (!machine_boot(m, err, sizeof(err))) {
        fprintf(stderr, "riscv-vm: %s\n", err);
        goto fail;
    }

    /* Deterministic runs take all piped input up front, so when the guest
     * sees each byte depends only on the guest. */
    if (cfg.deterministic && !c.tty) {
        while (c.stdin_open && c.in_len < INBUF)
            read_stdin(&c);
    }
    if (c.tty)
        raw_enter(&c);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    if (!c.tty)
        signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);

    uint64_t total = 0;
    uint64_t t_start = host_now(NULL);
    /* RISCV_VM_TRACE=N prints the pc of hart 0 before each of the first N
     * instructions (debugging aid, compared against QEMU's -d exec). */
    const char *tr = getenv("RISCV_VM_TRACE");
    for (uint64_t n = tr ? strtoull(tr, NULL, 0) : 0; n > 0; n--) {
        fprintf(stderr, "pc %016llx\n", (unsigned long long)machine_hart_pc(m, 0));
        if (machine_run(m, 1).reason == RV_STOP_POWEROFF)
            break;
    }
    for (;;) {
        uint64_t budget = SLICE_INSNS;
        if (max_insns) {
            if (total >= max_insns) {
                raw_restore(&c);
                fprintf(stderr, "riscv-vm: instruction limit (%llu) reached\n",
                        (unsigned long long)max_insns);
                status = 3;
                break;
            }
            if (max_insns - total < budget)
                budget = max_insns - total;
        }
        rv_run_result r = machine_run(m, budget);
        total += r.executed;
        if (r.reason == RV_STOP_POWEROFF) {
            raw_restore(&c);
            if (r.tohost) {
                if (r.exit_code == 0) {
                    status = 0;
                } else {
                    printf("FAIL test %d\n", r.exit_code);
                    fflush(stdout);
                    status = 1;
                }
            } else {
                status = r.exit_code;
            }
            break;
        }
        if (r.reason == RV_STOP_ERROR) {
            raw_restore(&c);
            fprintf(stderr, "riscv-vm: %s\n", machine_error(m));
            status = EXIT_USAGE;
            break;
        }
        int timeout = 0;
        if (r.reason == RV_STOP_IDLE) {
            if (r.idle_ns == UINT64_MAX)
                timeout = 100;
            else
                timeout = (int)(r.idle_ns / 1000000);
            if (timeout > 100)
                timeout = 100;
            if (timeout == 0 && r.idle_ns > 0)
                timeout = 1;
        }
        struct pollfd fds[64];
        int nfds = 0;
        if (c.stdin_open && c.in_len < INBUF)
            fds[nfds++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
        int net_first = nfds;
#ifdef RV_CLI_NET
        if (nb)
            nfds += netback_pollfds(nb, fds + nfds, 64 - nfds, &timeout);
#endif
        int pr = poll(fds, (nfds_t)nfds, timeout);
        if (pr > 0 && net_first > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
            read_stdin(&c);
#ifdef RV_CLI_NET
        if (nb)
            netback_service(nb, fds + net_first, nfds - net_first);
#else
        (void)net_first;
#endif
        if (c.quit || got_signal) {
            raw_restore(&c);
            if (got_signal)
                fprintf(stderr, "riscv-vm: stopped by signal %d\n", (int)got_signal);
            status = got_signal ? 128 + (int)got_signal : 0;
            break;
        }
    }
    if (0) {
    fail:
        status = EXIT_USAGE;
    }
    free(data);
    raw_restore(&c);
    if (stats && status != EXIT_USAGE) {
        double secs = (double)(host_now(NULL) - t_start) / 1e9;
        fprintf(stderr, "riscv-vm: instructions: %llu, %.3f s, %.1f MIPS\n",
                (unsigned long long)total, secs, secs > 0 ? (double)total / secs / 1e6 : 0.0);
        rv_jit_stats js;
        if (machine_jit_stats(m, &js))
            fprintf(stderr,
                    "riscv-vm: translated: %llu blocks, %llu instructions, %llu KiB of code, "
                    "%llu resets\n",
                    (unsigned long long)js.blocks, (unsigned long long)js.insns,
                    (unsigned long long)(js.code_bytes >> 10), (unsigned long long)js.flushes);
        else
            fprintf(stderr, "riscv-vm: translated: none (interpreter only)\n");
    }
    machine_destroy(m);
    for (int i = 0; i < ndisks; i++) {
        disk_file_close(df[i]);
        disk_overlay_close(dov[i]);
    }
#ifdef RV_CLI_NET
    if (nb)
        netback_close(nb);
#endif
    return status;
}
