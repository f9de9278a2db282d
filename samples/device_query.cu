// device_query.cu: what the device says about itself: count, properties and
// attributes agree with each other, and the values are usable for launch sizing.
#include "sample_check.h"

int main()
{
    int errors = 0, count = 0, runtime = 0, driver = 0;
    CHECK(cudaGetDeviceCount(&count));
    CHECK(cudaRuntimeGetVersion(&runtime));
    CHECK(cudaDriverGetVersion(&driver));
    std::printf("devices: %d, runtime %d, driver %d\n", count, runtime, driver);
    if (count < 1) errors++;
    for (int dev = 0; dev < count; dev++) {
        cudaDeviceProp prop;
        CHECK(cudaGetDeviceProperties(&prop, dev));
        int warp = 0, sms = 0, maxThreads = 0, major = 0, smem = 0;
        CHECK(cudaDeviceGetAttribute(&warp, cudaDevAttrWarpSize, dev));
        CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
        CHECK(cudaDeviceGetAttribute(&maxThreads, cudaDevAttrMaxThreadsPerBlock, dev));
        CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
        CHECK(cudaDeviceGetAttribute(&smem, cudaDevAttrMaxSharedMemoryPerBlock, dev));
        std::printf("device %d: %s, cc %d.%d, %d SMs, warp %d, %zu MiB\n", dev, prop.name,
                    prop.major, prop.minor, prop.multiProcessorCount, prop.warpSize,
                    prop.totalGlobalMem >> 20);
        if (warp != 32 || prop.warpSize != 32) errors++;
        if (sms != prop.multiProcessorCount || sms < 1) errors++;
        if (maxThreads != prop.maxThreadsPerBlock || maxThreads < 256) errors++;
        if (major != prop.major) errors++;
        if ((size_t)smem != prop.sharedMemPerBlock) errors++;
        if (prop.totalGlobalMem == 0 || prop.name[0] == 0) errors++;
    }
    int dev = -1;
    CHECK(cudaSetDevice(0));
    CHECK(cudaGetDevice(&dev));
    if (dev != 0) errors++;
    size_t free_b = 0, total_b = 0;
    CHECK(cudaMemGetInfo(&free_b, &total_b));
    if (total_b == 0 || free_b > total_b) errors++;
    return sample_verdict("device_query", errors);
}
