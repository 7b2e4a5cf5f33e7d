/*
 * UART 16550A: register behaviour Linux and xv6 rely on, then an echo
 * driven entirely by interrupts through the PLIC (M context of hart 0).
 *
 * The harness pipes a text ending in '~' on stdin; every byte comes back
 * uppercased, received with the RX-data interrupt and sent with the
 * THR-empty interrupt. The transcript is deterministic and compared byte
 * for byte with uart.expected.
 *
 * Enabling the FIFOs clears whatever input arrived before; the harness
 * therefore starts the text with more PAD bytes than a FIFO holds, and
 * leading PAD bytes are skipped.
 */
#include "bm.h"

#define RING 256
#define TERMINATOR '~'
#define PAD '@'

static volatile uint8_t rx_ring[RING], tx_ring[RING];
static volatile unsigned rx_head, rx_tail, tx_head, tx_tail;
static volatile unsigned rx_irqs, tx_irqs, ext_irqs, spurious_claims;
static volatile uint8_t ier_shadow;

static void plic_setup(void)
{
    mmio_w32(PLIC_PRIORITY(UART_IRQ), 1);
    mmio_w32(PLIC_ENABLE(PLIC_CTX_M(0), UART_IRQ), 1u << (UART_IRQ % 32));
    mmio_w32(PLIC_THRESHOLD(PLIC_CTX_M(0)), 0);
}

/* Drains the device side: the handler runs with MIE clear, so the rings
 * need no locks beyond that. */
static void uart_service(void)
{
    for (;;) {
        uint8_t iir = uart_reg(UART_IIR);
        if (iir & 1)
            break;
        switch (iir & 0x0f) {
        case 0x04: /* received data available */
        case 0x0c: /* character timeout */
            rx_irqs++;
            while (uart_reg(UART_LSR) & LSR_DR) {
                if (rx_head - rx_tail >= RING) {
                    /* Ring full: leave the bytes in the UART (whose FIFO
                     * holds back the host) until main() makes room. */
                    ier_shadow &= ~IER_ERBFI;
                    uart_set(UART_IER, ier_shadow);
                    break;
                }
                rx_ring[rx_head++ % RING] = uart_reg(UART_RBR);
            }
            break;
        case 0x02: /* THR empty (reading IIR cleared it) */
            tx_irqs++;
            for (int n = 0; n < 16 && tx_tail != tx_head; n++)
                uart_set(UART_THR, tx_ring[tx_tail++ % RING]);
            if (tx_tail == tx_head) {
                ier_shadow &= ~IER_ETBEI;
                uart_set(UART_IER, ier_shadow);
            }
            break;
        case 0x06: /* line status */ (void)uart_reg(UART_LSR); break;
        default: /* modem status */ (void)uart_reg(UART_MSR); break;
        }
    }
}

void m_trap(struct trap_frame *f)
{
    (void)f;
    unsigned long cause = csr_read(mcause);
    if (cause != (CAUSE_INT | IRQ_M_EXT))
        die("uart unexpected trap mcause=%lx mepc=%lx", cause, csr_read(mepc));
    ext_irqs++;
    uint32_t src = mmio_r32(PLIC_CLAIM(PLIC_CTX_M(0)));
    if (src == UART_IRQ)
        uart_service();
    else
        spurious_claims++;
    if (src)
        mmio_w32(PLIC_CLAIM(PLIC_CTX_M(0)), src);
}

static void tx_push(uint8_t c)
{
    /* Wait for room with interrupts on; the THR-empty handler frees it. */
    while (tx_head - tx_tail >= RING)
        wfi();
    csr_clear(mstatus, MSTATUS_MIE);
    tx_ring[tx_head++ % RING] = c;
    if (!(ier_shadow & IER_ETBEI)) {
        /* Setting ETBEI while THR is empty raises the interrupt at once. */
        ier_shadow |= IER_ETBEI;
        uart_set(UART_IER, ier_shadow);
    }
    csr_set(mstatus, MSTATUS_MIE);
}

static void tx_drain(void)
{
    while (tx_tail != tx_head)
        wfi();
    while (!(uart_reg(UART_LSR) & LSR_TEMT))
        ;
}

static void register_checks(void)
{
    /* Scratch register: what Linux's 8250 probe writes and reads back. */
    uart_set(UART_SCR, 0xa5);
    uint8_t a = uart_reg(UART_SCR);
    uart_set(UART_SCR, 0x5a);
    uint8_t b = uart_reg(UART_SCR);
    check(a == 0xa5 && b == 0x5a, "uart scratch register");

    /* 8N1 with a divisor: DLAB exposes DLL/DLM, which must read back. */
    uart_set(UART_LCR, 0x80);
    uart_set(UART_DLL, 0x03);
    uart_set(UART_DLM, 0x00);
    uint8_t dll = uart_reg(UART_DLL), dlm = uart_reg(UART_DLM);
    uart_set(UART_LCR, 0x03);
    check(dll == 3 && dlm == 0 && uart_reg(UART_LCR) == 0x03, "uart divisor latch and LCR");

    /* FIFOs on (and cleared): IIR bits 7:6 read 11, no interrupt pending. */
    uart_set(UART_FCR, 0x07);
    uint8_t iir = uart_reg(UART_IIR);
    check((iir & 0xc0) == 0xc0, "uart IIR FIFO bits after FCR enable (iir=%x)", iir);

    uart_set(UART_IER, 0);
    iir = uart_reg(UART_IIR);
    check((iir & 0x0f) == 0x01, "uart IIR no interrupt pending with IER=0 (iir=%x)", iir);

    uint8_t lsr = uart_reg(UART_LSR);
    /* (DR may or may not be set yet: input can already be waiting.) */
    check((lsr & (LSR_THRE | LSR_TEMT)) == (LSR_THRE | LSR_TEMT), "uart LSR THRE+TEMT idle (%x)",
          lsr & (LSR_THRE | LSR_TEMT));

    /* ETBEI with THR empty: IIR says THR empty once, reading IIR clears it. */
    uart_set(UART_IER, IER_ETBEI);
    uint8_t first = uart_reg(UART_IIR);
    uint8_t second = uart_reg(UART_IIR);
    uart_set(UART_IER, 0);
    check((first & 0x0f) == 0x02 && (second & 0x0f) == 0x01,
          "uart THR-empty interrupt on ETBEI, cleared by IIR read (%x then %x)", first, second);

    check(uart_reg(UART_IER) == 0, "uart IER reads back");
}

int main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    puts_raw("uart test\n");
    register_checks();

    plic_setup();
    csr_set(mie, 1UL << IRQ_M_EXT);
    ier_shadow = IER_ERBFI;
    uart_set(UART_IER, ier_shadow);
    csr_set(mstatus, MSTATUS_MIE);

    /* From here on output goes through the interrupt-driven ring only. */
    const char *banner = "echo>\n";
    for (const char *p = banner; *p; p++)
        tx_push((uint8_t)*p);

    unsigned long nbytes = 0, sum = 0;
    int done = 0, started = 0;
    while (!done) {
        csr_clear(mstatus, MSTATUS_MIE);
        while (rx_tail == rx_head) {
            /* WFI with MIE clear still wakes on a pending enabled
             * interrupt (privileged spec §3.3.3); take it after. */
            wfi();
            csr_set(mstatus, MSTATUS_MIE);
            csr_clear(mstatus, MSTATUS_MIE);
        }
        uint8_t c = rx_ring[rx_tail++ % RING];
        if (!(ier_shadow & IER_ERBFI)) {
            ier_shadow |= IER_ERBFI;
            uart_set(UART_IER, ier_shadow);
        }
        csr_set(mstatus, MSTATUS_MIE);
        if (c == TERMINATOR) {
            done = 1;
            break;
        }
        if (!started && c == PAD)
            continue;
        started = 1;
        nbytes++;
        sum = (sum * 31 + c) & 0xffffffffUL;
        if (c >= 'a' && c <= 'z')
            c = (uint8_t)(c - 'a' + 'A');
        tx_push(c);
    }
    tx_push('<');
    tx_push('\n');
    tx_drain();
    csr_clear(mstatus, MSTATUS_MIE);
    uart_set(UART_IER, 0);

    bm_printf("rx %lu bytes checksum %lx\n", nbytes, sum);
    check(rx_irqs > 0, "uart RX interrupts taken");
    check(tx_irqs > 0, "uart THR-empty interrupts taken");
    check(spurious_claims == 0, "uart no spurious PLIC claims");
    finish();
}
