// thrust_algorithms.cu: thrust::reduce, sort, inclusive_scan and transform on 100k ints.
// Real library kernels (CUB underneath) are large: this sample checks that the CPU
// fallback translates and compiles them in reasonable time and runs them correctly.
// sample-modes: shared
#include "sample_check.h"
#include <algorithm>
#include <thrust/device_vector.h>
#include <thrust/functional.h>
#include <thrust/host_vector.h>
#include <thrust/reduce.h>
#include <thrust/scan.h>
#include <thrust/sort.h>
#include <thrust/transform.h>
#include <vector>

struct square_plus_one {
    __host__ __device__ int operator()(int x) const { return x * x + 1; }
};

int main()
{
    const int n = 100000;
    std::vector<int> h(n);
    unsigned seed = 12345u;
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        h[i] = (int)((seed >> 8) % 1000u) - 500;
    }
    int errors = 0;
    thrust::device_vector<int> d(h.begin(), h.end());

    long long expect_sum = 0;
    for (int v : h)
        expect_sum += v;
    int sum = thrust::reduce(d.begin(), d.end(), 0, thrust::plus<int>());
    if (sum != (int)expect_sum) {
        std::printf("reduce: got %d, expected %lld\n", sum, expect_sum);
        errors++;
    }

    thrust::device_vector<int> squares(n);
    thrust::transform(d.begin(), d.end(), squares.begin(), square_plus_one());
    thrust::host_vector<int> hs = squares;
    for (int i = 0; i < n; i++)
        if (hs[i] != h[i] * h[i] + 1) {
            if (errors < 5)
                std::printf("transform: [%d] = %d, expected %d\n", i, (int)hs[i], h[i] * h[i] + 1);
            errors++;
        }

    thrust::device_vector<int> scanned(n);
    thrust::inclusive_scan(d.begin(), d.end(), scanned.begin());
    thrust::host_vector<int> hc = scanned;
    int running = 0;
    for (int i = 0; i < n; i++) {
        running += h[i];
        if (hc[i] != running) {
            if (errors < 5)
                std::printf("inclusive_scan: [%d] = %d, expected %d\n", i, (int)hc[i], running);
            errors++;
        }
    }

    thrust::sort(d.begin(), d.end());
    thrust::host_vector<int> hsorted = d;
    std::vector<int> expect_sorted(h);
    std::sort(expect_sorted.begin(), expect_sorted.end());
    for (int i = 0; i < n; i++)
        if (hsorted[i] != expect_sorted[i]) {
            if (errors < 5)
                std::printf("sort: [%d] = %d, expected %d\n", i, (int)hsorted[i], expect_sorted[i]);
            errors++;
        }
    return sample_verdict("thrust_algorithms", errors);
}
