/* 16550A UART (National Semiconductor PC16550D datasheet; QEMU hw/char/serial.c
 * is the behaviour guests are tested against).
 *
 * Register map, reg-shift 0 (offset: read / write):
 *   0  RBR receive buffer   / THR transmit holding     (DLAB=0)
 *   0  DLL divisor latch low                            (DLAB=1)
 *   1  IER interrupt enable                             (DLAB=0)
 *   1  DLM divisor latch high                           (DLAB=1)
 *   2  IIR interrupt identification / FCR FIFO control
 *   3  LCR line control (bit 7 = DLAB)
 *   4  MCR modem control (bit 4 = loopback)
 *   5  LSR line status
 *   6  MSR modem status
 *   7  SCR scratch
 * Offsets 8..0xff of the 0x100 window read as zero and ignore writes (QEMU
 * maps only 8 bytes there; we keep the whole window quiet rather than
 * faulting, which no guest relies on). Every access width is accepted and
 * acts on the low byte, as a reg-io-width 1 device wired to a wider bus.
 *
 * Transmission is instantaneous: THR and the shifter are always empty, so
 * LSR.THRE/TEMT read 1 and the THR-empty interrupt becomes pending again
 * right after each THR write (datasheet §8.6.3, QEMU does the same). */
#include "devices/uart16550.h"

#include <libfdt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fdt_board.h"

enum {
    UART_RBR = 0, /* THR, DLL */
    UART_IER = 1, /* DLM */
    UART_IIR = 2, /* FCR */
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,
};

enum {
    IER_ERBFI = 0x01, /* received data available */
    IER_ETBEI = 0x02, /* THR empty */
    IER_ELSI = 0x04,  /* receiver line status */
    IER_EDSSI = 0x08, /* modem status */
};

enum {
    IIR_NONE = 0x01,
    IIR_MSI = 0x00,
    IIR_THRI = 0x02,
    IIR_RDI = 0x04,
    IIR_RLSI = 0x06,
    IIR_CTI = 0x0c, /* character timeout (FIFO mode) */
    IIR_FIFO = 0xc0,
};

enum {
    FCR_ENABLE = 0x01,
    FCR_CLEAR_RX = 0x02,
    FCR_CLEAR_TX = 0x04,
};

enum {
    LSR_DR = 0x01,
    LSR_OE = 0x02,
    LSR_BI = 0x10,
    LSR_THRE = 0x20,
    LSR_TEMT = 0x40,
};

enum {
    MCR_DTR = 0x01,
    MCR_RTS = 0x02,
    MCR_OUT1 = 0x04,
    MCR_OUT2 = 0x08,
    MCR_LOOP = 0x10,
};

enum {
    MSR_DCTS = 0x01,
    MSR_DDSR = 0x02,
    MSR_TERI = 0x04,
    MSR_DDCD = 0x08,
    MSR_CTS = 0x10,
    MSR_DSR = 0x20,
    MSR_RI = 0x40,
    MSR_DCD = 0x80,
};

#define UART_FIFO 16
#define UART_OUTBUF 256

struct uart16550 {
    /* Guest state (snapshotted). */
    uint8_t rx[UART_FIFO];
    uint8_t rx_head, rx_count;
    uint8_t ier, lcr, mcr, lsr_err, msr, scr, fcr, dll, dlm;
    bool thr_ipending; /* THR-empty interrupt pending until IIR read/THR write */
    bool timeout_ipending;
    bool rx_arrived; /* bytes arrived since the last poll (for the timeout) */
    bool irq_level;  /* the level last signalled */
    /* Host side. */
    rv_chardev console;
    rv_irq_line irq;
    uint8_t out[UART_OUTBUF];
    size_t out_len;
};

static const uint8_t trigger_levels[4] = {1, 4, 8, 14};

static unsigned rx_capacity(const uart16550 *u)
{
    return (u->fcr & FCR_ENABLE) ? UART_FIFO : 1;
}

static unsigned rx_trigger(const uart16550 *u)
{
    return (u->fcr & FCR_ENABLE) ? trigger_levels[u->fcr >> 6] : 1;
}

/* The interrupt the IIR reports, highest priority first (datasheet table 4). */
static uint8_t pending_iir(const uart16550 *u)
{
    if ((u->ier & IER_ELSI) && (u->lsr_err & (LSR_OE | LSR_BI)))
        return IIR_RLSI;
    if ((u->ier & IER_ERBFI) && u->rx_count >= rx_trigger(u))
        return IIR_RDI;
    if ((u->ier & IER_ERBFI) && u->timeout_ipending && u->rx_count)
        return IIR_CTI;
    if ((u->ier & IER_ETBEI) && u->thr_ipending)
        return IIR_THRI;
    if ((u->ier & IER_EDSSI) && (u->msr & 0x0f))
        return IIR_MSI;
    return IIR_NONE;
}

/* The line is signalled when its level changes and on the events QEMU's
 * serial_update_irq runs for (THR/IER/FCR/MCR writes, RBR/IIR reads,
 * received bytes), not on every access: the PLIC latches a request at each
 * signal, and an LSR poll must not re-raise a THR-empty interrupt that the
 * guest chose to leave pending (xv6 does). */
static void signal_irq(uart16550 *u, bool event)
{
    bool level = pending_iir(u) != IIR_NONE;
    if (event || level != u->irq_level) {
        u->irq_level = level;
        rv_irq_set(&u->irq, level);
    }
}

static void update_irq(uart16550 *u)
{
    signal_irq(u, true);
}

void uart16550_flush(uart16550 *u)
{
    if (u->out_len && u->console.write)
        u->console.write(u->console.opaque, u->out, u->out_len);
    u->out_len = 0;
}

static void rx_push(uart16550 *u, uint8_t c)
{
    if (u->rx_count >= rx_capacity(u)) {
        u->lsr_err |= LSR_OE; /* only reachable through loopback */
        return;
    }
    u->rx[(u->rx_head + u->rx_count) % UART_FIFO] = c;
    u->rx_count++;
    u->rx_arrived = true;
    u->timeout_ipending = false;
}

static void rx_clear(uart16550 *u)
{
    u->rx_head = u->rx_count = 0;
    u->timeout_ipending = false;
}

/* In loopback the modem inputs follow the outputs (datasheet §8.8). */
static uint8_t modem_inputs(const uart16550 *u)
{
    if (!(u->mcr & MCR_LOOP))
        return MSR_DCD | MSR_DSR | MSR_CTS; /* a connected host terminal */
    uint8_t m = 0;
    if (u->mcr & MCR_RTS)
        m |= MSR_CTS;
    if (u->mcr & MCR_DTR)
        m |= MSR_DSR;
    if (u->mcr & MCR_OUT1)
        m |= MSR_RI;
    if (u->mcr & MCR_OUT2)
        m |= MSR_DCD;
    return m;
}

static void set_modem_inputs(uart16550 *u)
{
    uint8_t now = modem_inputs(u), old = u->msr & 0xf0, ch = now ^ old;
    uint8_t delta = u->msr & 0x0f;
    if (ch & MSR_CTS)
        delta |= MSR_DCTS;
    if (ch & MSR_DSR)
        delta |= MSR_DDSR;
    if ((old & MSR_RI) && !(now & MSR_RI))
        delta |= MSR_TERI; /* trailing edge only */
    if (ch & MSR_DCD)
        delta |= MSR_DDCD;
    u->msr = now | delta;
}

static void uart_reset(void *opaque)
{
    uart16550 *u = opaque;
    uart16550_flush(u);
    rx_clear(u);
    u->ier = u->mcr = u->lsr_err = u->scr = u->fcr = 0;
    u->lcr = 0x03; /* 8N1, as QEMU */
    u->dll = 0x0c; /* 9600 baud at 1.8432 MHz, the PC default */
    u->dlm = 0;
    u->msr = modem_inputs(u);
    u->thr_ipending = false;
    u->rx_arrived = false;
    update_irq(u);
}

/* Pulls pending console input into the receive FIFO while it has room;
 * true when bytes arrived. Called at polls and whenever the guest drains
 * the FIFO, so a large paste flows at the guest's reading speed rather than
 * 16 bytes per poll interval. */
static bool rx_refill(uart16550 *u)
{
    unsigned room = rx_capacity(u) - u->rx_count;
    if (!room || (u->mcr & MCR_LOOP) || !u->console.read)
        return false;
    uint8_t buf[UART_FIFO];
    size_t n = u->console.read(u->console.opaque, buf, room);
    if (n > room)
        n = room; /* a backend that ignores max must not overflow us */
    for (size_t i = 0; i < n; i++)
        rx_push(u, buf[i]);
    return n > 0;
}

static uint8_t reg_read(uart16550 *u, unsigned off)
{
    bool dlab = u->lcr & 0x80;
    switch (off) {
    case UART_RBR: {
        if (dlab)
            return u->dll;
        if (!u->rx_count)
            return 0;
        uint8_t c = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % UART_FIFO;
        u->rx_count--;
        u->timeout_ipending = false;
        if (!u->rx_count)
            rx_refill(u);
        return c;
    }
    case UART_IER: return dlab ? u->dlm : u->ier;
    case UART_IIR: {
        uint8_t iir = pending_iir(u);
        /* Reading IIR while it reports THR-empty acknowledges it (§8.6.3). */
        if (iir == IIR_THRI)
            u->thr_ipending = false;
        return iir | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
    }
    case UART_LCR: return u->lcr;
    case UART_MCR: return u->mcr;
    case UART_LSR: {
        uint8_t lsr = LSR_THRE | LSR_TEMT | u->lsr_err | (u->rx_count ? LSR_DR : 0);
        u->lsr_err = 0; /* error bits clear on read */
        return lsr;
    }
    case UART_MSR: {
        uint8_t msr = u->msr;
        u->msr &= 0xf0;
        return msr;
    }
    case UART_SCR: return u->scr;
    default: return 0;
    }
}

static void transmit(uart16550 *u, uint8_t c)
{
    if (u->mcr & MCR_LOOP) {
        rx_push(u, c);
    } else {
        if (u->out_len == UART_OUTBUF)
            uart16550_flush(u);
        u->out[u->out_len++] = c;
    }
    u->thr_ipending = true; /* THR emptied at once */
}

static void reg_write(uart16550 *u, unsigned off, uint8_t v)
{
    bool dlab = u->lcr & 0x80;
    switch (off) {
    case UART_RBR:
        if (dlab)
            u->dll = v;
        else
            transmit(u, v);
        break;
    case UART_IER:
        if (dlab) {
            u->dlm = v;
        } else {
            uint8_t old = u->ier;
            u->ier = v & 0x0f;
            /* Enabling ETBEI with THR empty raises THRI at once; xv6's and
             * Linux's transmit paths wait for exactly that. */
            if ((u->ier & IER_ETBEI) && !(old & IER_ETBEI))
                u->thr_ipending = true;
            if (!(u->ier & IER_ETBEI))
                u->thr_ipending = false;
        }
        break;
    case UART_IIR: /* FCR */
        if ((v ^ u->fcr) & FCR_ENABLE) {
            rx_clear(u); /* toggling FIFO mode clears both FIFOs */
        }
        if (v & FCR_CLEAR_RX)
            rx_clear(u);
        u->fcr = v & 0xc9; /* enable, DMA mode, trigger bits; clear bits self-reset */
        break;
    case UART_LCR: u->lcr = v; break;
    case UART_MCR:
        u->mcr = v & 0x1f;
        set_modem_inputs(u);
        break;
    case UART_LSR: /* read-only (factory test on the real chip) */
    case UART_MSR: break;
    case UART_SCR: u->scr = v; break;
    default: break;
    }
}

static bool uart_read(void *opaque, uint64_t off, unsigned len, uint64_t *val)
{
    (void)len;
    uart16550 *u = opaque;
    *val = reg_read(u, (unsigned)off);
    signal_irq(u, off == UART_RBR || off == UART_IIR);
    return true;
}

static bool uart_write(void *opaque, uint64_t off, unsigned len, uint64_t val)
{
    (void)len;
    uart16550 *u = opaque;
    reg_write(u, (unsigned)off, (uint8_t)val);
    signal_irq(u, off == UART_RBR || off == UART_IER || off == UART_IIR || off == UART_MCR);
    return true;
}

/* Console input, and the character timeout: a FIFO holding fewer bytes
 * than the trigger level with nothing arriving for a whole poll interval
 * reports CTI, standing in for the chip's four character times. */
static void uart_poll(void *opaque)
{
    uart16550 *u = opaque;
    uart16550_flush(u);
    bool quiet = !u->rx_arrived; /* nothing came in since the last poll */
    bool event = false;
    u->rx_arrived = false;
    event = rx_refill(u);
    if (quiet && !u->rx_arrived && u->rx_count && !u->timeout_ipending) {
        u->timeout_ipending = true;
        event = true;
    }
    u->rx_arrived = false;
    signal_irq(u, event);
}

static void uart_snapshot(void *opaque, rv_snap *s)
{
    uart16550 *u = opaque;
    snap_section(s, "uart16550");
    snap_bytes(s, "rx", u->rx, sizeof(u->rx));
    snap_u8(s, "rx_head", &u->rx_head);
    snap_u8(s, "rx_count", &u->rx_count);
    snap_u8(s, "ier", &u->ier);
    snap_u8(s, "lcr", &u->lcr);
    snap_u8(s, "mcr", &u->mcr);
    snap_u8(s, "lsr_err", &u->lsr_err);
    snap_u8(s, "msr", &u->msr);
    snap_u8(s, "scr", &u->scr);
    snap_u8(s, "fcr", &u->fcr);
    snap_u8(s, "dll", &u->dll);
    snap_u8(s, "dlm", &u->dlm);
    snap_bool(s, "thr_ipending", &u->thr_ipending);
    snap_bool(s, "timeout_ipending", &u->timeout_ipending);
    if (s->loading) {
        u->rx_head %= UART_FIFO;
        if (u->rx_count > UART_FIFO)
            u->rx_count = UART_FIFO;
        update_irq(u);
    }
}

static void uart_destroy(void *opaque)
{
    uart16550 *u = opaque;
    uart16550_flush(u);
    free(u);
}

uart16550 *uart16550_create(const rv_chardev *console, rv_irq_line irq)
{
    uart16550 *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    if (console)
        u->console = *console;
    u->irq = irq;
    uart_reset(u);
    return u;
}

rv_device uart16550_device(uart16550 *u, uint64_t base)
{
    return (rv_device){
        .name = "uart16550",
        .base = base,
        .size = 0x100,
        .opaque = u,
        .read = uart_read,
        .write = uart_write,
        .reset = uart_reset,
        .snapshot = uart_snapshot,
        .poll = uart_poll,
        .destroy = uart_destroy,
    };
}

int uart16550_fdt(void *fdt, int soc, uint64_t base, uint32_t plic_phandle, int irq)
{
    int node = fdt_board_add_mmio_node(fdt, soc, "serial", base, 0x100);
    if (node < 0)
        return node;
    int err = fdt_setprop_string(fdt, node, "compatible", "ns16550a");
    if (!err)
        err = fdt_setprop_u32(fdt, node, "clock-frequency", 3686400);
    if (!err)
        err = fdt_board_add_irq(fdt, node, plic_phandle, irq);
    return err;
}
