// grid_2d.cu: a 2D grid of 2D blocks over an image that is not a multiple of the block
// size; each pixel gets a value computed from its (x, y) and its neighbours.
#include "sample_check.h"
#include <vector>

__global__ void blur_x(const unsigned char *src, float *dst, int width, int height, int pitch)
{
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= width || y >= height)
        return;
    int l = x > 0 ? x - 1 : x, r = x < width - 1 ? x + 1 : x;
    const unsigned char *row = src + (size_t)y * pitch;
    dst[y * width + x] = (row[l] + 2.0f * row[x] + row[r]) / 4.0f + 0.001f * y;
}

int main()
{
    const int width = 333, height = 211, pitch = 352;
    std::vector<unsigned char> img(pitch * height);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < pitch; x++) img[y * pitch + x] = (unsigned char)((x * 31 + y * 17) & 0xff);
    unsigned char *dsrc;
    float *ddst;
    CHECK(cudaMalloc(&dsrc, img.size()));
    CHECK(cudaMalloc(&ddst, width * height * sizeof(float)));
    CHECK(cudaMemcpy(dsrc, img.data(), img.size(), cudaMemcpyHostToDevice));
    dim3 block(16, 8), grid((width + 15) / 16, (height + 7) / 8);
    blur_x<<<grid, block>>>(dsrc, ddst, width, height, pitch);
    CHECK(cudaGetLastError());
    std::vector<float> out(width * height);
    CHECK(cudaMemcpy(out.data(), ddst, out.size() * sizeof(float), cudaMemcpyDeviceToHost));
    int errors = 0;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            int l = x > 0 ? x - 1 : x, r = x < width - 1 ? x + 1 : x;
            const unsigned char *row = &img[y * pitch];
            float ref = (row[l] + 2.0f * row[x] + row[r]) / 4.0f + 0.001f * y;
            if (!nearly_equal(out[y * width + x], ref, 1e-6)) errors++;
        }
    CHECK(cudaFree(dsrc));
    CHECK(cudaFree(ddst));
    return sample_verdict("grid_2d", errors);
}
