// constant_memory.cu: a polynomial whose coefficients live in __constant__ memory,
// set with cudaMemcpyToSymbol and read back with cudaMemcpyFromSymbol; a __device__
// variable with an initialiser is read, then updated through cudaMemcpyToSymbol.
#include "sample_check.h"
#include <vector>

__constant__ float coeffs[8];
__constant__ int degree = 3;          // initialised in the device image
__device__ float bias = 0.5f;         // initialised in the device image

__global__ void poly(const float *x, float *y, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    float acc = 0.0f;
    for (int d = degree; d >= 0; d--)
        acc = acc * x[i] + coeffs[d];
    y[i] = acc + bias;
}

int main()
{
    const int n = 4096;
    const float h_coeffs[8] = {1.0f, -2.0f, 0.5f, 0.25f, 0, 0, 0, 0};
    CHECK(cudaMemcpyToSymbol(coeffs, h_coeffs, sizeof h_coeffs));
    float back[8] = {0};
    CHECK(cudaMemcpyFromSymbol(back, coeffs, sizeof back));
    int errors = 0;
    for (int i = 0; i < 8; i++)
        if (back[i] != h_coeffs[i]) errors++;
    int h_degree = 0;
    CHECK(cudaMemcpyFromSymbol(&h_degree, degree, sizeof h_degree));
    if (h_degree != 3) {
        std::printf("initial __constant__ value: %d, expected 3\n", h_degree);
        errors++;
    }

    std::vector<float> x(n), y(n);
    for (int i = 0; i < n; i++) x[i] = (float)(i % 64) / 16.0f - 2.0f;
    float *dx, *dy;
    CHECK(cudaMalloc(&dx, n * sizeof(float)));
    CHECK(cudaMalloc(&dy, n * sizeof(float)));
    CHECK(cudaMemcpy(dx, x.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    for (int pass = 0; pass < 2; pass++) {
        float b = pass == 0 ? 0.5f : -1.0f;
        if (pass == 1)
            CHECK(cudaMemcpyToSymbol(bias, &b, sizeof b));
        poly<<<(n + 127) / 128, 128>>>(dx, dy, n);
        CHECK(cudaGetLastError());
        CHECK(cudaMemcpy(y.data(), dy, n * sizeof(float), cudaMemcpyDeviceToHost));
        for (int i = 0; i < n; i++) {
            float acc = 0.0f;
            for (int d = 3; d >= 0; d--) acc = acc * x[i] + h_coeffs[d];
            if (!nearly_equal(y[i], acc + b, 1e-5)) errors++;
        }
    }
    void *addr = nullptr;
    size_t size = 0;
    CHECK(cudaGetSymbolAddress(&addr, bias));
    CHECK(cudaGetSymbolSize(&size, coeffs));
    if (addr == nullptr || size != sizeof h_coeffs) errors++;
    CHECK(cudaFree(dx));
    CHECK(cudaFree(dy));
    return sample_verdict("constant_memory", errors);
}
