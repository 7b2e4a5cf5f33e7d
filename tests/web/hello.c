/* A tiny bare-metal kernel for the web tests: prints a banner through the
 * 16550 UART, echoes one line typed on the console (and counts its
 * characters, so a test can paste more than any FIFO holds), then powers
 * the board off through the sifive,test syscon (0x5555 = pass). Typing
 * "fail" powers off with exit code 3 instead (0x3333 | code << 16). */
#include <stdint.h>

#define UART0 0x10000000UL
#define UART_THR 0
#define UART_RBR 0
#define UART_FCR 2
#define UART_LCR 3
#define UART_LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define SYSCON 0x100000UL

static volatile uint8_t *const uart = (volatile uint8_t *)UART0;

static void putc_(char c)
{
    while (!(uart[UART_LSR] & LSR_THRE))
        ;
    uart[UART_THR] = (uint8_t)c;
}

static void puts_(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            putc_('\r');
        putc_(*s);
    }
}

static char getc_(void)
{
    while (!(uart[UART_LSR] & LSR_DR))
        ;
    return (char)uart[UART_RBR];
}

static void putnum(unsigned long v)
{
    char buf[24];
    int i = 0;
    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i)
        putc_(buf[--i]);
}

static void poweroff(uint32_t code)
{
    *(volatile uint32_t *)SYSCON = code ? (0x3333u | code << 16) : 0x5555u;
    for (;;)
        __asm__ volatile("wfi");
}

void main(void);
void main(void)
{
    char line[128];
    unsigned n = 0;
    unsigned long total = 0;
    uart[UART_LCR] = 0x03; /* 8N1 */
    uart[UART_FCR] = 0x07; /* FIFOs on and cleared */
    puts_("Hello from bare-metal RISC-V\n");
    puts_("type a line: ");
    for (;;) {
        char c = getc_();
        if (c == '\r' || c == '\n')
            break;
        total++;
        if (n < sizeof line - 1)
            line[n++] = c;
        putc_(c);
    }
    line[n] = 0;
    puts_("\ngot ");
    putnum(total);
    puts_(" chars: ");
    puts_(line);
    puts_("\n");
    if (n == 4 && line[0] == 'f' && line[1] == 'a' && line[2] == 'i' && line[3] == 'l')
        poweroff(3);
    puts_("bye\n");
    poweroff(0);
}
