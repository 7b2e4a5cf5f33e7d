/*
 * UART 16550A loopback (MCR bit 4): transmitted bytes come back through the
 * receive FIFO and never reach the console; the modem control outputs
 * appear on the modem status inputs. Linux's 8250 driver probes with
 * loopback (autoconfig, IRQ probing). The harness checks that the bytes
 * sent in loopback do not appear on stdout.
 */
#include "bm.h"

#define MCR_LOOP 0x10
#define LSR_OE 0x02

static const char marker[] = "Zq#loopback#qZ";

int main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    puts_raw("uartloop test\n");
    uart_set(UART_IER, 0);
    uart_set(UART_FCR, 0x07); /* FIFOs on, both cleared, trigger 1 byte */
    while (!(uart_reg(UART_LSR) & LSR_TEMT))
        ;
    uart_set(UART_MCR, MCR_LOOP);
    (void)uart_reg(UART_LSR); /* clear stale error bits */
    (void)uart_reg(UART_MSR); /* and the delta bits */

    /* Bytes written come back in order. */
    size_t n = sizeof(marker) - 1;
    for (size_t i = 0; i < n; i++) {
        SPIN_UNTIL(uart_reg(UART_LSR) & LSR_THRE, 1000000UL);
        uart_set(UART_THR, (uint8_t)marker[i]);
    }
    int dr = SPIN_UNTIL(uart_reg(UART_LSR) & LSR_DR, 1000000UL);
    char got[sizeof(marker)];
    size_t k = 0;
    while (k < n && SPIN_UNTIL(uart_reg(UART_LSR) & LSR_DR, 1000000UL))
        got[k++] = (char)uart_reg(UART_RBR);
    got[k] = 0;
    /* (Results are printed after loopback ends: printing now would loop.) */
    int r1 = dr && k == n && memcmp(got, marker, n) == 0 && !(uart_reg(UART_LSR) & LSR_DR);

    /* RX data interrupt in loopback: IIR reports received data (0x04). */
    uart_set(UART_IER, IER_ERBFI);
    uart_set(UART_THR, 'x');
    SPIN_UNTIL(uart_reg(UART_LSR) & LSR_DR, 1000000UL);
    uint8_t iir = uart_reg(UART_IIR);
    (void)uart_reg(UART_RBR);
    uint8_t iir2 = uart_reg(UART_IIR);
    uart_set(UART_IER, 0);

    /* Overrun: a 17th byte does not fit the 16-byte FIFO. */
    /* Reading LSR clears OE, so every read is accumulated. */
    uint8_t lsr = 0;
    for (int i = 0; i < 17; i++) {
        for (unsigned long j = 0; j < 1000000UL && !(lsr & LSR_THRE); j++)
            lsr |= uart_reg(UART_LSR);
        lsr &= (uint8_t)~LSR_THRE;
        uart_set(UART_THR, (uint8_t)('a' + i));
    }
    for (unsigned long j = 0; j < 1000000UL && !(lsr & LSR_TEMT); j++)
        lsr |= uart_reg(UART_LSR);
    lsr |= uart_reg(UART_LSR);
    int count = 0, inorder = 1;
    while (uart_reg(UART_LSR) & LSR_DR) {
        uint8_t c = uart_reg(UART_RBR);
        if (c != 'a' + count)
            inorder = 0;
        if (++count > 64)
            break;
    }

    /* Modem lines: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
    uart_set(UART_MCR, MCR_LOOP | 0x0f);
    uint8_t msr_on = uart_reg(UART_MSR);
    uart_set(UART_MCR, MCR_LOOP | 0x01);
    uint8_t msr_dtr = uart_reg(UART_MSR);
    uart_set(UART_MCR, MCR_LOOP);
    uint8_t msr_off = uart_reg(UART_MSR);

    uart_set(UART_MCR, 0x0b); /* back to normal: DTR, RTS, OUT2 */
    (void)uart_reg(UART_LSR);
    check(r1, "uartloop %u bytes come back in order (%u)", (unsigned)n, (unsigned)k);
    check((iir & 0x0f) == 0x04 && (iir2 & 0x0f) == 0x01,
          "uartloop IIR received-data interrupt, cleared by reading RBR (%x %x)", iir, iir2);
    check((lsr & LSR_OE) && count == 16 && inorder,
          "uartloop FIFO holds 16 bytes, overrun flagged (count %d, lsr %x)", count, lsr);
    check((msr_on & 0xf0) == 0xf0 && (msr_dtr & 0xf0) == 0x20 && (msr_off & 0xf0) == 0,
          "uartloop MSR mirrors MCR (%x %x %x)", msr_on, msr_dtr, msr_off);
    ok("uartloop done");
    finish();
}
