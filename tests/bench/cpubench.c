/* A CPU-bound bare-metal benchmark: integer arithmetic, memory (a linked
 * list chase and a sort), branches (a sieve and a state machine), CRC, and
 * double-precision FP (matrix multiply, an iterative solver). Each kernel's
 * result is folded into a checksum printed at the end, so the runs on
 * riscv-vm and on QEMU can be checked for the same answer. Exits through
 * the sifive,test syscon with status 0. */
#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000)
#define SYSCON ((volatile uint32_t *)0x100000)

static void putc_(char c)
{
    while (!(UART[5] & 0x20))
        ;
    UART[0] = (uint8_t)c;
}

static void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

static void puthex(uint64_t v)
{
    for (int i = 60; i >= 0; i -= 4)
        putc_("0123456789abcdef"[(v >> i) & 15]);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define N_SORT 20000
static uint32_t arr[N_SORT];

static void quicksort(uint32_t *a, int lo, int hi)
{
    while (lo < hi) {
        uint32_t p = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

static uint64_t k_sort(void)
{
    for (int i = 0; i < N_SORT; i++)
        arr[i] = (uint32_t)xorshift();
    quicksort(arr, 0, N_SORT - 1);
    uint64_t s = 0;
    for (int i = 0; i < N_SORT; i += 97)
        s = s * 31 + arr[i];
    return s;
}

#define N_LIST 16384
struct node {
    struct node *next;
    uint64_t val;
};
static struct node nodes[N_LIST];

static uint64_t k_list(void)
{
    /* a random cyclic permutation, chased many times: cache- and TLB-bound */
    static uint32_t perm[N_LIST];
    for (uint32_t i = 0; i < N_LIST; i++)
        perm[i] = i;
    for (uint32_t i = N_LIST - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(xorshift() % (i + 1));
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (uint32_t i = 0; i < N_LIST; i++) {
        nodes[perm[i]].next = &nodes[perm[(i + 1) % N_LIST]];
        nodes[perm[i]].val = i;
    }
    uint64_t s = 0;
    struct node *p = &nodes[perm[0]];
    for (int i = 0; i < N_LIST * 40; i++) {
        s += p->val;
        p = p->next;
    }
    return s;
}

#define N_SIEVE 200000
static uint8_t sieve[N_SIEVE];

static uint64_t k_sieve(void)
{
    uint64_t count = 0;
    for (int rep = 0; rep < 4; rep++) {
        for (int i = 0; i < N_SIEVE; i++)
            sieve[i] = 1;
        count = 0;
        for (int i = 2; i < N_SIEVE; i++) {
            if (sieve[i]) {
                count++;
                for (int j = i + i; j < N_SIEVE; j += i)
                    sieve[j] = 0;
            }
        }
    }
    return count;
}

static uint64_t k_crc(void)
{
    static uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t crc = 0xffffffffu;
    for (int rep = 0; rep < 40; rep++)
        for (int i = 0; i < N_SORT; i++) {
            uint32_t w = arr[i];
            for (int b = 0; b < 4; b++)
                crc = table[(crc ^ (w >> (8 * b))) & 0xff] ^ (crc >> 8);
        }
    return crc ^ 0xffffffffu;
}

static uint64_t k_intmath(void)
{
    uint64_t a = 1, b = 3, s = 0;
    for (int i = 1; i < 400000; i++) {
        a = a * 6364136223846793005ull + 1442695040888963407ull;
        b ^= a >> 17;
        s += (a % (uint64_t)(i | 1)) + (b / (uint64_t)((i & 255) + 1));
        if ((int64_t)b < 0)
            s ^= (uint64_t)i << 3;
    }
    return s;
}

#define N_MAT 64
static double ma[N_MAT][N_MAT], mb[N_MAT][N_MAT], mc[N_MAT][N_MAT];

static uint64_t k_fp(void)
{
    for (int i = 0; i < N_MAT; i++)
        for (int j = 0; j < N_MAT; j++) {
            ma[i][j] = (double)((i * 7 + j * 3) % 17) / 8.0 - 1.0;
            mb[i][j] = (double)((i * 5 + j * 11) % 13) / 6.0 - 1.0;
        }
    for (int rep = 0; rep < 4; rep++)
        for (int i = 0; i < N_MAT; i++)
            for (int j = 0; j < N_MAT; j++) {
                double s = 0;
                for (int k = 0; k < N_MAT; k++)
                    s += ma[i][k] * mb[k][j];
                mc[i][j] = s + rep;
            }
    /* Newton iterations for square roots and a little division */
    double acc = 0;
    for (int i = 1; i < 20000; i++) {
        double x = (double)i, r = x / 2;
        for (int k = 0; k < 6; k++)
            r = 0.5 * (r + x / r);
        acc += r;
    }
    double t = acc;
    for (int i = 0; i < N_MAT; i++)
        t += mc[i][(i * 3) % N_MAT];
    union {
        double d;
        uint64_t u;
    } u = {t};
    return u.u;
}

int main(void)
{
    uint64_t sum = 0;
    puts_("cpubench: ");
    uint64_t r;
    /* Five rounds: long enough (about 360 M instructions) that start-up
     * costs of either emulator do not blur the figure. */
    for (int round = 0; round < 5; round++) {
        r = k_sort();
        sum = sum * 1099511628211ull ^ r;
        putc_('s');
        r = k_list();
        sum = sum * 1099511628211ull ^ r;
        putc_('l');
        r = k_sieve();
        sum = sum * 1099511628211ull ^ r;
        putc_('p');
        r = k_crc();
        sum = sum * 1099511628211ull ^ r;
        putc_('c');
        r = k_intmath();
        sum = sum * 1099511628211ull ^ r;
        putc_('i');
        r = k_fp();
        sum = sum * 1099511628211ull ^ r;
        putc_('f');
    }
    puts_(" checksum ");
    puthex(sum);
    puts_("\n");
    *SYSCON = 0x5555;
    for (;;)
        ;
}
