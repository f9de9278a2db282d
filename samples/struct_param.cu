// struct_param.cu: kernels taking structs by value (mixed member sizes and padding),
// a char and a short after them, and a double last: the parameter buffer layout.
#include "sample_check.h"

struct Particle {
    float mass;
    double energy;
    char tag;
};

struct Box {
    float lo[3], hi[3];
    int id;
};

__global__ void describe(Particle p, const Box *boxes, char c, short s, double scale, double *out)
{
    int i = threadIdx.x;
    Box b = boxes[i];
    out[i] = (p.mass + p.energy * scale + p.tag + c + s) * (b.hi[0] - b.lo[0] + b.hi[2] - b.lo[1]) + b.id;
}

__global__ void by_value_box(Box b, int *out)
{
    out[0] = (int)(b.lo[0] + b.lo[1] + b.lo[2] + b.hi[0] + b.hi[1] + b.hi[2]) + b.id;
}

int main()
{
    Particle p = {1.5f, 2.25, 7};
    Box boxes[32];
    for (int i = 0; i < 32; i++)
        boxes[i] = Box{{(float)i, 1.0f, 2.0f}, {(float)(2 * i + 1), 3.0f, 4.0f}, 100 * i};
    Box *dboxes;
    double *dout;
    int *dint;
    CHECK(cudaMalloc(&dboxes, sizeof boxes));
    CHECK(cudaMalloc(&dout, 32 * sizeof(double)));
    CHECK(cudaMalloc(&dint, sizeof(int)));
    CHECK(cudaMemcpy(dboxes, boxes, sizeof boxes, cudaMemcpyHostToDevice));
    describe<<<1, 32>>>(p, dboxes, (char)-3, (short)1000, 0.5, dout);
    CHECK(cudaGetLastError());
    by_value_box<<<1, 1>>>(boxes[5], dint);
    CHECK(cudaGetLastError());
    double out[32];
    int got_int = 0;
    CHECK(cudaMemcpy(out, dout, sizeof out, cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(&got_int, dint, sizeof got_int, cudaMemcpyDeviceToHost));
    int errors = 0;
    for (int i = 0; i < 32; i++) {
        const Box &b = boxes[i];
        double ref = (p.mass + p.energy * 0.5 + p.tag + (char)-3 + (short)1000) *
                         (b.hi[0] - b.lo[0] + b.hi[2] - b.lo[1]) + b.id;
        if (!nearly_equal(out[i], ref, 1e-12)) errors++;
    }
    const Box &b5 = boxes[5];
    if (got_int != (int)(b5.lo[0] + b5.lo[1] + b5.lo[2] + b5.hi[0] + b5.hi[1] + b5.hi[2]) + b5.id)
        errors++;
    CHECK(cudaFree(dboxes));
    CHECK(cudaFree(dout));
    CHECK(cudaFree(dint));
    return sample_verdict("struct_param", errors);
}
