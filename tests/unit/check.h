/* Check groups for the C unit tests: CHECK() inside begin() .. end(name)
 * records the first failed condition; end() prints one PASS:/FAIL: line
 * for the group and counts it. A test's main prints the summary line from
 * check_passes and check_failures. */
#ifndef RV_TESTS_CHECK_H
#define RV_TESTS_CHECK_H

#include <stdbool.h>
#include <stdio.h>

static int check_failures, check_passes;
static bool check_group_failed;
static char check_group_why[256];

static inline void check_at(bool ok, const char *expr, int line)
{
    if (!ok && !check_group_failed) {
        check_group_failed = true;
        snprintf(check_group_why, sizeof check_group_why, "line %d: %s", line, expr);
    }
}
#define CHECK(c) check_at((c), #c, __LINE__)

static inline void begin(void)
{
    check_group_failed = false;
    check_group_why[0] = 0;
}

static inline void end(const char *name)
{
    if (check_group_failed) {
        printf("FAIL: %s (%s)\n", name, check_group_why);
        check_failures++;
    } else {
        printf("PASS: %s\n", name);
        check_passes++;
    }
}

/* The runner summary line; the exit status for main. */
static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_passes, check_failures);
    return check_failures ? 1 : 0;
}

#endif
