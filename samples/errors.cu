// errors.cu: what a program sees when it gets things wrong: launch-configuration
// errors, cudaGetLastError resetting and cudaPeekAtLastError not, bad arguments to
// the memory API, error names and strings.
#include "sample_check.h"
#include <cstring>

__global__ void touch(int *p) { p[threadIdx.x] = threadIdx.x; }

static int expect_error(const char *what, cudaError_t got, cudaError_t want)
{
    if (got == want)
        return 0;
    std::printf("%s: got %s, expected %s\n", what, cudaGetErrorName(got), cudaGetErrorName(want));
    return 1;
}

int main()
{
    int errors = 0;
    int *d = nullptr;
    CHECK(cudaMalloc(&d, 1024 * sizeof(int)));

    touch<<<1, 2048>>>(d);  // too many threads per block
    errors += expect_error("peek after bad launch", cudaPeekAtLastError(), cudaErrorInvalidConfiguration);
    errors += expect_error("get after bad launch", cudaGetLastError(), cudaErrorInvalidConfiguration);
    errors += expect_error("get after reset", cudaGetLastError(), cudaSuccess);

    touch<<<0, 32>>>(d);    // empty grid
    errors += expect_error("zero grid", cudaGetLastError(), cudaErrorInvalidConfiguration);

    touch<<<1, 32>>>(d);    // fine
    errors += expect_error("good launch", cudaGetLastError(), cudaSuccess);
    CHECK(cudaDeviceSynchronize());

    errors += expect_error("cudaMalloc(NULL)", cudaMalloc(nullptr, 16), cudaErrorInvalidValue);
    int host = 0;
    errors += expect_error("cudaFree(host pointer)", cudaFree(&host), cudaErrorInvalidValue);
    cudaGetLastError();
    errors += expect_error("bad memcpy kind",
                           cudaMemcpy(d, &host, sizeof host, (cudaMemcpyKind)42),
                           cudaErrorInvalidMemcpyDirection);
    cudaGetLastError();
    errors += expect_error("cudaSetDevice(99)", cudaSetDevice(99), cudaErrorInvalidDevice);
    cudaGetLastError();

    if (std::strcmp(cudaGetErrorName(cudaErrorInvalidValue), "cudaErrorInvalidValue") != 0) errors++;
    if (std::strcmp(cudaGetErrorString(cudaErrorMemoryAllocation), "out of memory") != 0) errors++;
    if (std::strcmp(cudaGetErrorString(cudaSuccess), "no error") != 0) errors++;

    CHECK(cudaFree(d));
    CHECK(cudaFree(nullptr));  // freeing NULL is allowed
    return sample_verdict("errors", errors);
}
