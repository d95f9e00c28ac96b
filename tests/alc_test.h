/* Small shared helpers for the CUnit test programs. */
#ifndef ALC_TEST_H
#define ALC_TEST_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>

/* Run all registered suites verbosely; the exit status is the number of
 * failures (0 = success), so ctest sees a failing test. */
static inline int alc_test_run(void)
{
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failures ? 1 : 0;
}

#define ALC_ADD_SUITE(name, ...)                                                   \
    do {                                                                           \
        CU_pSuite suite_ = CU_add_suite(name, NULL, NULL);                         \
        struct { const char *n; CU_TestFunc f; } tests_[] = {__VA_ARGS__};         \
        for (size_t i_ = 0; i_ < sizeof tests_ / sizeof tests_[0]; i_++)           \
            CU_add_test(suite_, tests_[i_].n, tests_[i_].f);                       \
    } while (0)

#endif
