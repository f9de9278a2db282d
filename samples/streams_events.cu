// streams_events.cu: stream semantics: FIFO order on one stream, cross-stream order
// through events, the legacy default stream waiting for blocking streams, a stream
// reporting cudaErrorNotReady while its work runs, event timing that covers a host
// function's sleep, callbacks in order, and CUDA graphs (stream capture with a
// fork/join and a graph built by hand) giving the same results as direct execution.
// sample-known-gap: static graphs built node by node (cuGraphCreate, cuGraphAdd*Node) are not implemented in libcuda.so.1 yet
#include "sample_check.h"
#include <atomic>
#include <chrono>
#include <thread>

__global__ void set(int *x, int n, int v)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] = v;
}

__global__ void scale_add(int *x, int n, int mul, int add)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] = x[i] * mul + add;
}

static void sleep_ms(void *ms)
{
    std::this_thread::sleep_for(std::chrono::milliseconds((long)(size_t)ms));
}

static std::atomic<int> callback_seq{0};
static int callback_order[2];

static void CUDART_CB record_order(cudaStream_t, cudaError_t status, void *slot)
{
    callback_order[(size_t)slot] = status == cudaSuccess ? ++callback_seq : -1;
}

static int count_mismatch(const int *h, int n, int want, const char *what)
{
    int bad = 0;
    for (int i = 0; i < n; i++)
        if (h[i] != want) bad++;
    if (bad) std::printf("%s: %d elements differ (first %d, want %d)\n", what, bad, h[0], want);
    return bad;
}

int main()
{
    const int n = 4096, threads = 256, blocks = (n + threads - 1) / threads;
    int errors = 0;
    int *d, *d2, *h;
    CHECK(cudaMalloc(&d, n * sizeof(int)));
    CHECK(cudaMalloc(&d2, n * sizeof(int)));
    CHECK(cudaMallocHost(&h, n * sizeof(int)));
    cudaStream_t s1, s2, nb;
    CHECK(cudaStreamCreate(&s1));
    CHECK(cudaStreamCreate(&s2));
    CHECK(cudaStreamCreateWithFlags(&nb, cudaStreamNonBlocking));
    unsigned flags = 0;
    CHECK(cudaStreamGetFlags(nb, &flags));
    if (flags != cudaStreamNonBlocking) errors++;

    // FIFO on one stream: set, then scale: 1*10+2 = 12.
    set<<<blocks, threads, 0, s1>>>(d, n, 1);
    scale_add<<<blocks, threads, 0, s1>>>(d, n, 10, 2);
    CHECK(cudaMemcpyAsync(h, d, n * sizeof(int), cudaMemcpyDeviceToHost, s1));
    CHECK(cudaStreamSynchronize(s1));
    errors += count_mismatch(h, n, 12, "fifo");

    // NotReady while a host function sleeps, then done.
    CHECK(cudaLaunchHostFunc(s1, sleep_ms, (void *)200));
    cudaError_t q = cudaStreamQuery(s1);
    if (q != cudaErrorNotReady) { std::printf("query while busy: %s\n", cudaGetErrorName(q)); errors++; }
    CHECK(cudaStreamSynchronize(s1));
    CHECK(cudaStreamQuery(s1));

    // Cross-stream order: s2 waits for s1's event, s1 is delayed by a sleep.
    cudaEvent_t ev, t0, t1;
    CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
    CHECK(cudaEventCreate(&t0));
    CHECK(cudaEventCreate(&t1));
    CHECK(cudaLaunchHostFunc(s1, sleep_ms, (void *)100));
    set<<<blocks, threads, 0, s1>>>(d, n, 5);
    CHECK(cudaEventRecord(ev, s1));
    CHECK(cudaStreamWaitEvent(s2, ev, 0));
    scale_add<<<blocks, threads, 0, s2>>>(d, n, 1, 1);
    CHECK(cudaMemcpyAsync(h, d, n * sizeof(int), cudaMemcpyDeviceToHost, s2));
    CHECK(cudaStreamSynchronize(s2));
    errors += count_mismatch(h, n, 6, "event dependency");
    float ms = 0;
    if (cudaEventElapsedTime(&ms, ev, ev) != cudaErrorInvalidResourceHandle) errors++;

    // The legacy default stream waits for the blocking stream s1 (named explicitly:
    // with --default-stream per-thread, 0 is the per-thread stream, which does not).
    CHECK(cudaLaunchHostFunc(s1, sleep_ms, (void *)100));
    set<<<blocks, threads, 0, s1>>>(d2, n, 7);
    scale_add<<<blocks, threads, 0, cudaStreamLegacy>>>(d2, n, 1, 1);
    CHECK(cudaMemcpy(h, d2, n * sizeof(int), cudaMemcpyDeviceToHost));
    errors += count_mismatch(h, n, 8, "legacy stream");

    // Event timing covers a 150 ms host function.
    CHECK(cudaEventRecord(t0, nb));
    CHECK(cudaLaunchHostFunc(nb, sleep_ms, (void *)150));
    CHECK(cudaEventRecord(t1, nb));
    q = cudaEventElapsedTime(&ms, t0, t1);
    if (q != cudaErrorNotReady) { std::printf("elapsed before completion: %s\n", cudaGetErrorName(q)); errors++; }
    CHECK(cudaEventSynchronize(t1));
    CHECK(cudaEventElapsedTime(&ms, t0, t1));
    if (ms < 149.0f) { std::printf("elapsed %.3f ms < 150 ms\n", ms); errors++; }

    // Callbacks run in stream order with the stream's status.
    CHECK(cudaStreamAddCallback(s1, record_order, (void *)0, 0));
    CHECK(cudaStreamAddCallback(s1, record_order, (void *)1, 0));
    CHECK(cudaStreamSynchronize(s1));
    if (callback_order[0] != 1 || callback_order[1] != 2) errors++;

    // Stream capture with a fork to s2 and a join back; launched twice.
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    cudaEvent_t fork, join;
    CHECK(cudaEventCreateWithFlags(&fork, cudaEventDisableTiming));
    CHECK(cudaEventCreateWithFlags(&join, cudaEventDisableTiming));
    CHECK(cudaStreamBeginCapture(s1, cudaStreamCaptureModeGlobal));
    cudaStreamCaptureStatus st;
    CHECK(cudaStreamIsCapturing(s1, &st));
    if (st != cudaStreamCaptureStatusActive) errors++;
    set<<<blocks, threads, 0, s1>>>(d, n, 3);
    CHECK(cudaEventRecord(fork, s1));
    CHECK(cudaStreamWaitEvent(s2, fork, 0));
    scale_add<<<blocks, threads, 0, s2>>>(d, n, 2, 0);       // 6
    CHECK(cudaEventRecord(join, s2));
    CHECK(cudaStreamWaitEvent(s1, join, 0));
    scale_add<<<blocks, threads, 0, s1>>>(d, n, 1, 4);       // 10
    CHECK(cudaMemcpyAsync(h, d, n * sizeof(int), cudaMemcpyDeviceToHost, s1));
    CHECK(cudaStreamEndCapture(s1, &graph));
    CHECK(cudaStreamIsCapturing(s1, &st));
    if (st != cudaStreamCaptureStatusNone) errors++;
    size_t nodes = 0;
    CHECK(cudaGraphGetNodes(graph, nullptr, &nodes));
    if (nodes != 4) { std::printf("captured %zu nodes, want 4\n", nodes); errors++; }
    CHECK(cudaGraphInstantiate(&exec, graph, 0));
    for (int round = 0; round < 2; round++) {
        h[0] = -1;
        CHECK(cudaGraphLaunch(exec, s1));
        CHECK(cudaStreamSynchronize(s1));
        errors += count_mismatch(h, n, 10, "captured graph");
    }

    // A graph built by hand: memset -> kernel -> copy, plus a host node.
    cudaGraph_t g2;
    cudaGraphExec_t x2;
    cudaGraphNode_t nset, nker, ncpy;
    CHECK(cudaGraphCreate(&g2, 0));
    cudaMemsetParams mp = {};
    mp.dst = d2; mp.value = 0; mp.elementSize = 1; mp.width = n * sizeof(int); mp.height = 1;
    CHECK(cudaGraphAddMemsetNode(&nset, g2, nullptr, 0, &mp));
    int mul = 3, add = 9, count = n;
    void *args[] = {&d2, &count, &mul, &add};
    cudaKernelNodeParams kp = {};
    kp.func = (void *)scale_add; kp.gridDim = dim3(blocks); kp.blockDim = dim3(threads);
    kp.kernelParams = args;
    CHECK(cudaGraphAddKernelNode(&nker, g2, &nset, 1, &kp));
    CHECK(cudaGraphAddMemcpyNode1D(&ncpy, g2, &nker, 1, h, d2, n * sizeof(int), cudaMemcpyDeviceToHost));
    size_t edges = 0;
#if CUDART_VERSION >= 13000 // CUDA 13 added the edge-data argument
    CHECK(cudaGraphGetEdges(g2, nullptr, nullptr, nullptr, &edges));
#else
    CHECK(cudaGraphGetEdges(g2, nullptr, nullptr, &edges));
#endif
    if (edges != 2) errors++;
    CHECK(cudaGraphInstantiate(&x2, g2, 0));
    CHECK(cudaGraphLaunch(x2, s2));
    CHECK(cudaStreamSynchronize(s2));
    errors += count_mismatch(h, n, 9, "hand-built graph");
    add = 1;   // new parameters for the executable graph: 0*3+1
    CHECK(cudaGraphExecKernelNodeSetParams(x2, nker, &kp));
    CHECK(cudaGraphLaunch(x2, s2));
    CHECK(cudaStreamSynchronize(s2));
    errors += count_mismatch(h, n, 1, "updated kernel node");

    CHECK(cudaGraphExecDestroy(x2));
    CHECK(cudaGraphDestroy(g2));
    CHECK(cudaGraphExecDestroy(exec));
    CHECK(cudaGraphDestroy(graph));
    CHECK(cudaEventDestroy(ev));
    CHECK(cudaEventDestroy(t0));
    CHECK(cudaEventDestroy(t1));
    CHECK(cudaEventDestroy(fork));
    CHECK(cudaEventDestroy(join));
    CHECK(cudaStreamDestroy(s1));
    CHECK(cudaStreamDestroy(s2));
    CHECK(cudaStreamDestroy(nb));
    CHECK(cudaFreeHost(h));
    CHECK(cudaFree(d));
    CHECK(cudaFree(d2));
    return sample_verdict("streams_events", errors);
}
