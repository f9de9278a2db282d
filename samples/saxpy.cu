// saxpy.cu: y = a*x + y with a grid-stride loop launched with fewer threads than elements.
#include "sample_check.h"
#include <vector>

__global__ void saxpy(int n, float a, const float *x, float *y)
{
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
        y[i] = a * x[i] + y[i];
}

int main()
{
    const int n = 3 * 100000 + 7;
    std::vector<float> x(n), y(n), expect(n);
    for (int i = 0; i < n; i++) {
        x[i] = (float)(i % 1000) * 0.25f;
        y[i] = (float)(i % 77) - 3.0f;
        expect[i] = 2.5f * x[i] + y[i];
    }
    float *dx, *dy;
    CHECK(cudaMalloc(&dx, n * sizeof(float)));
    CHECK(cudaMalloc(&dy, n * sizeof(float)));
    CHECK(cudaMemcpy(dx, x.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(dy, y.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    saxpy<<<32, 128>>>(n, 2.5f, dx, dy);
    CHECK(cudaGetLastError());
    CHECK(cudaMemcpy(y.data(), dy, n * sizeof(float), cudaMemcpyDeviceToHost));
    int errors = 0;
    for (int i = 0; i < n; i++)
        if (!nearly_equal(y[i], expect[i], 1e-6))
            errors++;
    CHECK(cudaFree(dx));
    CHECK(cudaFree(dy));
    return sample_verdict("saxpy", errors);
}
