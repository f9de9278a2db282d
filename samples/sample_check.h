/* sample_check.h: tiny helpers shared by the self-checking samples: abort on a CUDA
 * error with its name, and print one PASSED/FAILED verdict line. */
#ifndef SAMPLE_CHECK_H
#define SAMPLE_CHECK_H

#include <cstdio>
#include <cstdlib>
#include <cuda_runtime.h>

#define CHECK(call)                                                            \
    do {                                                                       \
        cudaError_t err_ = (call);                                             \
        if (err_ != cudaSuccess) {                                             \
            std::fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__,      \
                         __LINE__, #call, cudaGetErrorName(err_),              \
                         cudaGetErrorString(err_));                            \
            std::exit(1);                                                      \
        }                                                                      \
    } while (0)

/* Print the verdict and turn it into the exit status. */
static inline int sample_verdict(const char *name, int errors)
{
    if (errors) {
        std::printf("%s: FAILED (%d mismatches)\n", name, errors);
        return 1;
    }
    std::printf("%s: PASSED\n", name);
    return 0;
}

static inline bool nearly_equal(double a, double b, double rel)
{
    double diff = a > b ? a - b : b - a;
    double mag = (a < 0 ? -a : a) + (b < 0 ? -b : b);
    return diff <= rel * mag + 1e-30;
}

#endif
