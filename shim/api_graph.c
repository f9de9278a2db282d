/* api_graph.c: CUDA graphs and stream capture.
 *
 * A graph node holds the same work item a stream would run (core.h's cushim__work):
 * kernel, copy, fill, host function, event record/wait, or nothing (empty node); a
 * child-graph node holds a private copy of its graph. Instantiation copies the graph
 * and orders its nodes topologically (a cycle fails it); a launch submits the nodes'
 * work, children expanded in place, to the stream in that order, which satisfies every
 * edge (the nodes of one launch run one after another; independent branches do not
 * overlap). Stream capture records submitted work as nodes instead of running it:
 * each capturing stream keeps the set of nodes the next one depends on; events
 * recorded in a capture carry that set to the streams that wait for them (fork/join).
 * Node types without a work item here (memory alloc/free, conditional, external
 * semaphores, batch memops) are refused at the call that would create them, by the
 * table's unsupported path, naming the function.
 *
 * Everything is protected by the stream engine's lock (cushim__q_lock). */
#include <stdlib.h>
#include <string.h>

#include "shim/api_gen.h"
#include "shim/core_stream.h"
#include "shim/log.h"

typedef struct cushim__graph cushim__graph;

struct cushim__gnode {
    cushim__gnode *key;
    cushim__graph *graph;
    enum cudaGraphNodeType type;
    cushim__work work;
    cushim__graph *child;         /* cudaGraphNodeTypeGraph: owned copy */
    cushim__gnode **deps;
    size_t ndeps, deps_cap;
    cushim__gnode *clone_of;      /* in a clone or an exec: the node it was copied from */
    UT_hash_handle hh;
};

struct cushim__graph {
    cushim__graph *key;
    cushim__gnode **nodes;
    size_t nnodes, nodes_cap;
    bool owned;                   /* a child graph's copy or an exec's copy: no handle */
    UT_hash_handle hh;
};

typedef struct graph_exec {
    struct graph_exec *key;
    cushim__graph *graph;         /* private copy */
    cushim__gnode **order;        /* topological order of graph->nodes */
    unsigned long long flags;
    int device;
    UT_hash_handle hh;
} graph_exec;

struct cushim__capture {
    cushim__graph *graph;
    cushim__stream *origin;
    enum cudaStreamCaptureMode mode;
    unsigned long long id;
    bool invalidated;
    pthread_t thread;
};

static cushim__graph *graphs;
static cushim__gnode *nodes;
static graph_exec *execs;
static unsigned long long next_capture_id = 1;
static _Thread_local enum cudaStreamCaptureMode thread_capture_mode = cudaStreamCaptureModeGlobal;

static cushim__graph *find_graph(cudaGraph_t h)
{
    cushim__graph *g = NULL;
    if (h)
        HASH_FIND_PTR(graphs, &h, g);
    return g && !g->owned ? g : NULL;
}

static cushim__gnode *find_node(cudaGraphNode_t h)
{
    cushim__gnode *n = NULL;
    if (h)
        HASH_FIND_PTR(nodes, &h, n);
    return n;
}

static graph_exec *find_exec(cudaGraphExec_t h)
{
    graph_exec *x = NULL;
    if (h)
        HASH_FIND_PTR(execs, &h, x);
    return x;
}

/* ---- building blocks ------------------------------------------------------------------ */

static cushim__graph *graph_new_locked(bool owned)
{
    cushim__graph *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->key = g;
    g->owned = owned;
    HASH_ADD_PTR(graphs, key, g);
    return g;
}

static cudaError_t push_ptr(void ***arr, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        void **a = realloc(*arr, c * sizeof *a);
        if (!a)
            return cudaErrorMemoryAllocation;
        *arr = a;
        *cap = c;
    }
    (*arr)[(*n)++] = p;
    return cudaSuccess;
}

static void graph_free_locked(cushim__graph *g);

static void node_free_locked(cushim__gnode *n)
{
    HASH_DEL(nodes, n);
    cushim__work_release(&n->work);
    if (n->child)
        graph_free_locked(n->child);
    free(n->deps);
    free(n);
}

static void graph_free_locked(cushim__graph *g)
{
    for (size_t i = 0; i < g->nnodes; i++)
        node_free_locked(g->nodes[i]);
    HASH_DEL(graphs, g);
    free(g->nodes);
    free(g);
}

static bool work_clone(const cushim__work *src, cushim__work *dst)
{
    *dst = *src;
    if (src->kind == CUSHIM_WORK_KERNEL) {
        size_t n = src->u.kernel.param_bytes ? src->u.kernel.param_bytes : 1;
        dst->u.kernel.params = malloc(n);
        if (!dst->u.kernel.params)
            return false;
        memcpy(dst->u.kernel.params, src->u.kernel.params, n);
    }
    return true;
}

/* Add a node (work already owned by the caller's struct) with dependencies. */
static cudaError_t node_add_locked(cushim__graph *g, enum cudaGraphNodeType type, cushim__work *w,
                                   cushim__graph *child, cushim__gnode *const *deps, size_t ndeps,
                                   cushim__gnode **out)
{
    cushim__gnode *n = calloc(1, sizeof *n);
    if (!n || push_ptr((void ***)&g->nodes, &g->nnodes, &g->nodes_cap, n) != cudaSuccess) {
        free(n);
        if (w)
            cushim__work_release(w);
        return cudaErrorMemoryAllocation;
    }
    n->key = n;
    n->graph = g;
    n->type = type;
    if (w)
        n->work = *w;
    else
        n->work.kind = CUSHIM_WORK_NOP;
    n->child = child;
    HASH_ADD_PTR(nodes, key, n);
    for (size_t i = 0; i < ndeps; i++)
        if (push_ptr((void ***)&n->deps, &n->ndeps, &n->deps_cap, deps[i]) != cudaSuccess)
            return cudaErrorMemoryAllocation;
    *out = n;
    return cudaSuccess;
}

/* Copy a graph (node order and edges kept); each copy remembers its original. */
static cushim__graph *graph_clone_locked(const cushim__graph *src, bool owned)
{
    cushim__graph *g = graph_new_locked(owned);
    if (!g)
        return NULL;
    for (size_t i = 0; i < src->nnodes; i++) {
        const cushim__gnode *s = src->nodes[i];
        cushim__work w;
        cushim__graph *child = NULL;
        cushim__gnode *n;
        if (!work_clone(&s->work, &w) ||
            (s->child && !(child = graph_clone_locked(s->child, true))) ||
            node_add_locked(g, s->type, &w, child, NULL, 0, &n) != cudaSuccess) {
            graph_free_locked(g);
            return NULL;
        }
        n->clone_of = (cushim__gnode *)s;
    }
    /* Edges: dependencies map to the nodes at the same positions. */
    for (size_t i = 0; i < src->nnodes; i++)
        for (size_t d = 0; d < src->nodes[i]->ndeps; d++)
            for (size_t j = 0; j < src->nnodes; j++)
                if (src->nodes[j] == src->nodes[i]->deps[d]) {
                    cushim__gnode *n = g->nodes[i];
                    if (push_ptr((void ***)&n->deps, &n->ndeps, &n->deps_cap, g->nodes[j]) != cudaSuccess) {
                        graph_free_locked(g);
                        return NULL;
                    }
                }
    return g;
}

static bool node_in_graph(const cushim__gnode *n, const cushim__graph *g)
{
    return n && n->graph == g;
}

/* Validate (pDependencies, numDependencies) against graph g. */
static cudaError_t check_deps_locked(const cushim__graph *g, const cudaGraphNode_t *deps, size_t n)
{
    if (n && !deps)
        return cudaErrorInvalidValue;
    for (size_t i = 0; i < n; i++) {
        cushim__gnode *d = find_node(deps[i]);
        if (!node_in_graph(d, g))
            return cudaErrorInvalidValue;
        for (size_t j = 0; j < i; j++)
            if (deps[j] == deps[i])
                return cudaErrorInvalidValue;   /* duplicate dependency */
    }
    return cudaSuccess;
}

/* Common path of the cudaGraphAdd*Node functions: takes ownership of *w. */
static cudaError_t add_node(cudaGraphNode_t *out, cudaGraph_t graph, const cudaGraphNode_t *deps,
                            size_t ndeps, enum cudaGraphNodeType type, cushim__work *w,
                            cudaGraph_t child_src)
{
    if (!out) {
        if (w)
            cushim__work_release(w);
        return cudaErrorInvalidValue;
    }
    pthread_mutex_lock(&cushim__q_lock);
    cushim__graph *g = find_graph(graph);
    cudaError_t e = g ? check_deps_locked(g, deps, ndeps) : cudaErrorInvalidValue;
    cushim__graph *child = NULL;
    if (e == cudaSuccess && type == cudaGraphNodeTypeGraph) {
        cushim__graph *src = find_graph(child_src);
        if (!src || src == g)
            e = cudaErrorInvalidValue;
        else if (!(child = graph_clone_locked(src, true)))
            e = cudaErrorMemoryAllocation;
    }
    if (e != cudaSuccess) {
        pthread_mutex_unlock(&cushim__q_lock);
        if (w)
            cushim__work_release(w);
        return e;
    }
    cushim__gnode *n;
    e = node_add_locked(g, type, w, child, (cushim__gnode *const *)deps, ndeps, &n);
    if (e == cudaSuccess)
        *out = (cudaGraphNode_t)n;
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

/* ---- graphs -------------------------------------------------------------------------- */

cudaError_t cushim_impl_cudaGraphCreate(cudaGraph_t *pGraph, unsigned int flags)
{
    if (!pGraph || flags != 0)
        return cudaErrorInvalidValue;
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__graph *g = graph_new_locked(false);
    pthread_mutex_unlock(&cushim__q_lock);
    if (!g)
        return cudaErrorMemoryAllocation;
    *pGraph = (cudaGraph_t)g;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGraphDestroy(cudaGraph_t graph)
{
    pthread_mutex_lock(&cushim__q_lock);
    cushim__graph *g = find_graph(graph);
    if (g)
        graph_free_locked(g);
    pthread_mutex_unlock(&cushim__q_lock);
    return g ? cudaSuccess : cudaErrorInvalidValue;
}

cudaError_t cushim_impl_cudaGraphClone(cudaGraph_t *pGraphClone, cudaGraph_t originalGraph)
{
    if (!pGraphClone)
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__graph *g = find_graph(originalGraph);
    cushim__graph *c = g ? graph_clone_locked(g, false) : NULL;
    pthread_mutex_unlock(&cushim__q_lock);
    if (!g)
        return cudaErrorInvalidValue;
    if (!c)
        return cudaErrorMemoryAllocation;
    *pGraphClone = (cudaGraph_t)c;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGraphNodeFindInClone(cudaGraphNode_t *pNode, cudaGraphNode_t originalNode,
                                                 cudaGraph_t clonedGraph)
{
    if (!pNode)
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__graph *g = find_graph(clonedGraph);
    cushim__gnode *o = find_node(originalNode), *hit = NULL;
    for (size_t i = 0; g && o && i < g->nnodes && !hit; i++)
        if (g->nodes[i]->clone_of == o)
            hit = g->nodes[i];
    pthread_mutex_unlock(&cushim__q_lock);
    if (!hit)
        return cudaErrorInvalidValue;
    *pNode = (cudaGraphNode_t)hit;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGraphAddKernelNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                               const cudaGraphNode_t *pDependencies,
                                               size_t numDependencies,
                                               const struct cudaKernelNodeParams *pNodeParams)
{
    if (!pGraphNode || !pNodeParams)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    if (pNodeParams->extra) {
        cushim_log_once("graph-kernel-extra", "cudaGraphAddKernelNode: arguments in the 'extra' "
                        "format are not supported; pass kernelParams");
        return cudaErrorNotSupported;
    }
    cushim__kernel *k = cushim__kernel_by_host_fun(pNodeParams->func);
    if (!k)
        return cudaErrorInvalidDeviceFunction;
    cushim__work w;
    e = cushim__launch_prepare(k, dev, pNodeParams->gridDim, pNodeParams->blockDim,
                               pNodeParams->kernelParams, pNodeParams->sharedMemBytes, false, &w);
    if (e != cudaSuccess)
        return e;
    return add_node(pGraphNode, graph, pDependencies, numDependencies, cudaGraphNodeTypeKernel, &w, NULL);
}

/* A copy described by cudaMemcpy3DParms as a work item (pitched pointers only). */
static cudaError_t copy_work(const struct cudaMemcpy3DParms *p, cushim__work *w)
{
    if (!p)
        return cudaErrorInvalidValue;
    if ((unsigned)p->kind > cudaMemcpyDefault)
        return cudaErrorInvalidMemcpyDirection;
    if (p->srcArray || p->dstArray) {
        cushim_log_once("graph-memcpy-array", "graph memcpy nodes with CUDA arrays are not supported");
        return cudaErrorNotSupported;
    }
    if (!p->srcPtr.ptr || !p->dstPtr.ptr || !p->extent.width || !p->extent.height || !p->extent.depth)
        return cudaErrorInvalidValue;
    if ((p->extent.height > 1 || p->extent.depth > 1) &&
        (p->extent.width + p->srcPos.x > p->srcPtr.pitch || p->extent.width + p->dstPos.x > p->dstPtr.pitch))
        return cudaErrorInvalidPitchValue;
    size_t sslice = p->srcPtr.pitch * (p->srcPtr.ysize ? p->srcPtr.ysize : p->extent.height);
    size_t dslice = p->dstPtr.pitch * (p->dstPtr.ysize ? p->dstPtr.ysize : p->extent.height);
    memset(w, 0, sizeof *w);
    w->kind = CUSHIM_WORK_COPY;
    w->u.copy.dst = (char *)p->dstPtr.ptr + p->dstPos.z * dslice + p->dstPos.y * p->dstPtr.pitch + p->dstPos.x;
    w->u.copy.src = (const char *)p->srcPtr.ptr + p->srcPos.z * sslice + p->srcPos.y * p->srcPtr.pitch +
                    p->srcPos.x;
    w->u.copy.width = p->extent.width;
    w->u.copy.height = p->extent.height;
    w->u.copy.depth = p->extent.depth;
    w->u.copy.dpitch = p->dstPtr.pitch;
    w->u.copy.spitch = p->srcPtr.pitch;
    w->u.copy.dslice = dslice;
    w->u.copy.sslice = sslice;
    w->u.copy.kind = p->kind;
    bool pageable, device;
    size_t dspan = (w->u.copy.depth - 1) * dslice + (w->u.copy.height - 1) * p->dstPtr.pitch + p->extent.width;
    size_t sspan = (w->u.copy.depth - 1) * sslice + (w->u.copy.height - 1) * p->srcPtr.pitch + p->extent.width;
    return cushim__copy_check(w->u.copy.dst, dspan, w->u.copy.src, sspan, p->kind, &pageable, &device);
}

static cudaError_t copy_work_1d(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                                cushim__work *w)
{
    struct cudaMemcpy3DParms p;
    memset(&p, 0, sizeof p);
    p.srcPtr = (struct cudaPitchedPtr){(void *)src, count, count, 1};
    p.dstPtr = (struct cudaPitchedPtr){dst, count, count, 1};
    p.extent = (struct cudaExtent){count, 1, 1};
    p.kind = kind;
    return copy_work(&p, w);
}

cudaError_t cushim_impl_cudaGraphAddMemcpyNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                               const cudaGraphNode_t *pDependencies,
                                               size_t numDependencies,
                                               const struct cudaMemcpy3DParms *pCopyParams)
{
    cudaError_t e = cushim__init();
    cushim__work w;
    if (e == cudaSuccess)
        e = copy_work(pCopyParams, &w);
    if (e != cudaSuccess)
        return e;
    return add_node(pGraphNode, graph, pDependencies, numDependencies, cudaGraphNodeTypeMemcpy, &w, NULL);
}

cudaError_t cushim_impl_cudaGraphAddMemcpyNode1D(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                                 const cudaGraphNode_t *pDependencies,
                                                 size_t numDependencies, void *dst, const void *src,
                                                 size_t count, enum cudaMemcpyKind kind)
{
    cudaError_t e = cushim__init();
    cushim__work w;
    if (e == cudaSuccess)
        e = copy_work_1d(dst, src, count, kind, &w);
    if (e != cudaSuccess)
        return e;
    return add_node(pGraphNode, graph, pDependencies, numDependencies, cudaGraphNodeTypeMemcpy, &w, NULL);
}

static cudaError_t memset_work(const struct cudaMemsetParams *p, cushim__work *w)
{
    if (!p || !p->dst || !p->width || !p->height)
        return cudaErrorInvalidValue;
    if (p->elementSize != 1 && p->elementSize != 2 && p->elementSize != 4)
        return cudaErrorInvalidValue;
    size_t row = p->width * p->elementSize;
    if (p->height > 1 && row > p->pitch)
        return cudaErrorInvalidValue;
    if (p->elementSize != 1) {
        /* A 16/32-bit pattern fill is a byte fill only when every byte is the same. */
        unsigned v = p->value, b = v & 0xff;
        unsigned same = p->elementSize == 2 ? (b | b << 8) : (b | b << 8 | b << 16 | b << 24);
        if ((p->elementSize == 2 ? (v & 0xffff) : v) != same) {
            cushim_log_once("graph-memset-wide", "cudaGraphAddMemsetNode: %u-byte element "
                            "patterns other than a repeated byte are not supported",
                            p->elementSize);
            return cudaErrorNotSupported;
        }
    }
    memset(w, 0, sizeof *w);
    w->kind = CUSHIM_WORK_FILL;
    w->u.fill.dst = p->dst;
    w->u.fill.value = (int)(p->value & 0xff);
    w->u.fill.width = row;
    w->u.fill.height = p->height;
    w->u.fill.depth = 1;
    w->u.fill.pitch = p->pitch;
    return cushim__fill_check(p->dst, (p->height - 1) * p->pitch + row);
}

cudaError_t cushim_impl_cudaGraphAddMemsetNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                               const cudaGraphNode_t *pDependencies,
                                               size_t numDependencies,
                                               const struct cudaMemsetParams *pMemsetParams)
{
    cudaError_t e = cushim__init();
    cushim__work w;
    if (e == cudaSuccess)
        e = memset_work(pMemsetParams, &w);
    if (e != cudaSuccess)
        return e;
    return add_node(pGraphNode, graph, pDependencies, numDependencies, cudaGraphNodeTypeMemset, &w, NULL);
}

cudaError_t cushim_impl_cudaGraphAddHostNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                             const cudaGraphNode_t *pDependencies,
                                             size_t numDependencies,
                                             const struct cudaHostNodeParams *pNodeParams)
{
    if (!pNodeParams || !pNodeParams->fn)
        return cudaErrorInvalidValue;
    cushim__work w = {.kind = CUSHIM_WORK_HOST_FN, .u.host = {pNodeParams->fn, pNodeParams->userData}};
    return add_node(pGraphNode, graph, pDependencies, numDependencies, cudaGraphNodeTypeHost, &w, NULL);
}

cudaError_t cushim_impl_cudaGraphAddEmptyNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                              const cudaGraphNode_t *pDependencies,
                                              size_t numDependencies)
{
    return add_node(pGraphNode, graph, pDependencies, numDependencies, cudaGraphNodeTypeEmpty, NULL, NULL);
}

cudaError_t cushim_impl_cudaGraphAddChildGraphNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                                   const cudaGraphNode_t *pDependencies,
                                                   size_t numDependencies, cudaGraph_t childGraph)
{
    return add_node(pGraphNode, graph, pDependencies, numDependencies, cudaGraphNodeTypeGraph, NULL,
                    childGraph);
}

static cudaError_t add_event_node(cudaGraphNode_t *out, cudaGraph_t graph, const cudaGraphNode_t *deps,
                                  size_t ndeps, cudaEvent_t event, bool record)
{
    pthread_mutex_lock(&cushim__q_lock);
    bool ok = cushim__event_lookup_locked(event) != NULL;
    pthread_mutex_unlock(&cushim__q_lock);
    if (!ok)
        return cudaErrorInvalidResourceHandle;
    cushim__work w = {.kind = record ? CUSHIM_WORK_EVENT_RECORD : CUSHIM_WORK_EVENT_WAIT,
                      .u.event.event = event};
    return add_node(out, graph, deps, ndeps,
                    record ? cudaGraphNodeTypeEventRecord : cudaGraphNodeTypeWaitEvent, &w, NULL);
}

cudaError_t cushim_impl_cudaGraphAddEventRecordNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                                    const cudaGraphNode_t *pDependencies,
                                                    size_t numDependencies, cudaEvent_t event)
{
    return add_event_node(pGraphNode, graph, pDependencies, numDependencies, event, true);
}

cudaError_t cushim_impl_cudaGraphAddEventWaitNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                                  const cudaGraphNode_t *pDependencies,
                                                  size_t numDependencies, cudaEvent_t event)
{
    return add_event_node(pGraphNode, graph, pDependencies, numDependencies, event, false);
}

cudaError_t cushim_impl_cudaGraphDestroyNode(cudaGraphNode_t node)
{
    pthread_mutex_lock(&cushim__q_lock);
    cushim__gnode *n = find_node(node);
    if (!n || n->graph->owned) {
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorInvalidValue;
    }
    cushim__graph *g = n->graph;
    for (size_t i = 0; i < g->nnodes; i++) {
        cushim__gnode *m = g->nodes[i];
        size_t k = 0;
        for (size_t d = 0; d < m->ndeps; d++)
            if (m->deps[d] != n)
                m->deps[k++] = m->deps[d];
        m->ndeps = k;
        if (m == n) {
            memmove(&g->nodes[i], &g->nodes[i + 1], (g->nnodes - i - 1) * sizeof *g->nodes);
            g->nnodes--;
            i--;
        }
    }
    node_free_locked(n);
    pthread_mutex_unlock(&cushim__q_lock);
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGraphNodeGetType(cudaGraphNode_t node, enum cudaGraphNodeType *pType)
{
    if (!pType)
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__gnode *n = find_node(node);
    if (n)
        *pType = n->type;
    pthread_mutex_unlock(&cushim__q_lock);
    return n ? cudaSuccess : cudaErrorInvalidValue;
}

cudaError_t cushim_impl_cudaGraphChildGraphNodeGetGraph(cudaGraphNode_t node, cudaGraph_t *pGraph)
{
    if (!pGraph)
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__gnode *n = find_node(node);
    bool ok = n && n->type == cudaGraphNodeTypeGraph;
    if (ok)
        *pGraph = (cudaGraph_t)n->child;
    pthread_mutex_unlock(&cushim__q_lock);
    return ok ? cudaSuccess : cudaErrorInvalidValue;
}

cudaError_t cushim_impl_cudaGraphHostNodeGetParams(cudaGraphNode_t node, struct cudaHostNodeParams *p)
{
    if (!p)
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__gnode *n = find_node(node);
    bool ok = n && n->type == cudaGraphNodeTypeHost;
    if (ok) {
        p->fn = n->work.u.host.fn;
        p->userData = n->work.u.host.data;
    }
    pthread_mutex_unlock(&cushim__q_lock);
    return ok ? cudaSuccess : cudaErrorInvalidValue;
}

static cudaError_t set_host_params(cushim__gnode *n, const struct cudaHostNodeParams *p)
{
    if (!n || n->type != cudaGraphNodeTypeHost || !p || !p->fn)
        return cudaErrorInvalidValue;
    n->work.u.host.fn = p->fn;
    n->work.u.host.data = p->userData;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGraphHostNodeSetParams(cudaGraphNode_t node, const struct cudaHostNodeParams *p)
{
    pthread_mutex_lock(&cushim__q_lock);
    cudaError_t e = set_host_params(find_node(node), p);
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

static cudaError_t set_kernel_params(cushim__gnode *n, const struct cudaKernelNodeParams *p)
{
    if (!n || n->type != cudaGraphNodeTypeKernel || !p)
        return cudaErrorInvalidValue;
    if (p->extra)
        return cudaErrorNotSupported;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    cushim__kernel *k = cushim__kernel_by_host_fun(p->func);
    if (!k)
        return cudaErrorInvalidDeviceFunction;
    cushim__work w;
    e = cushim__launch_prepare(k, dev, p->gridDim, p->blockDim, p->kernelParams, p->sharedMemBytes,
                               false, &w);
    if (e != cudaSuccess)
        return e;
    cushim__work_release(&n->work);
    n->work = w;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGraphKernelNodeSetParams(cudaGraphNode_t node,
                                                     const struct cudaKernelNodeParams *pNodeParams)
{
    pthread_mutex_lock(&cushim__q_lock);
    cudaError_t e = set_kernel_params(find_node(node), pNodeParams);
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

cudaError_t cushim_impl_cudaGraphMemsetNodeGetParams(cudaGraphNode_t node, struct cudaMemsetParams *p)
{
    if (!p)
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__gnode *n = find_node(node);
    bool ok = n && n->type == cudaGraphNodeTypeMemset;
    if (ok) {
        memset(p, 0, sizeof *p);
        p->dst = n->work.u.fill.dst;
        p->pitch = n->work.u.fill.pitch;
        p->value = (unsigned)n->work.u.fill.value;
        p->elementSize = 1;
        p->width = n->work.u.fill.width;
        p->height = n->work.u.fill.height;
    }
    pthread_mutex_unlock(&cushim__q_lock);
    return ok ? cudaSuccess : cudaErrorInvalidValue;
}

/* ---- edges and queries --------------------------------------------------------------------- */

static cudaError_t change_edges(cudaGraph_t graph, const cudaGraphNode_t *from, const cudaGraphNode_t *to,
                                const cudaGraphEdgeData *edge, size_t n, bool add)
{
    if (n && (!from || !to))
        return cudaErrorInvalidValue;
    for (size_t i = 0; edge && i < n; i++)
        if (edge[i].from_port || edge[i].to_port || edge[i].type)
            return cudaErrorInvalidValue;   /* only full-completion edges exist here */
    pthread_mutex_lock(&cushim__q_lock);
    cushim__graph *g = find_graph(graph);
    cudaError_t e = g ? cudaSuccess : cudaErrorInvalidValue;
    for (size_t i = 0; e == cudaSuccess && i < n; i++) {
        cushim__gnode *a = find_node(from[i]), *b = find_node(to[i]);
        if (!node_in_graph(a, g) || !node_in_graph(b, g) || a == b) {
            e = cudaErrorInvalidValue;
            break;
        }
        size_t at = b->ndeps;
        for (size_t d = 0; d < b->ndeps; d++)
            if (b->deps[d] == a)
                at = d;
        if (add) {
            if (at != b->ndeps)
                e = cudaErrorInvalidValue;   /* the edge exists already */
            else
                e = push_ptr((void ***)&b->deps, &b->ndeps, &b->deps_cap, a);
        } else if (at == b->ndeps) {
            e = cudaErrorInvalidValue;
        } else {
            b->deps[at] = b->deps[--b->ndeps];
        }
    }
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

cudaError_t cushim_impl_cudaGraphAddDependencies(cudaGraph_t graph, const cudaGraphNode_t *from,
                                                 const cudaGraphNode_t *to, const cudaGraphEdgeData *edgeData,
                                                 size_t numDependencies)
{
    return change_edges(graph, from, to, edgeData, numDependencies, true);
}

cudaError_t cushim_impl_cudaGraphAddDependencies12(cudaGraph_t graph, const cudaGraphNode_t *from,
                                                   const cudaGraphNode_t *to, size_t numDependencies)
{
    return change_edges(graph, from, to, NULL, numDependencies, true);
}

cudaError_t cushim_impl_cudaGraphRemoveDependencies(cudaGraph_t graph, const cudaGraphNode_t *from,
                                                    const cudaGraphNode_t *to,
                                                    const cudaGraphEdgeData *edgeData, size_t numDependencies)
{
    return change_edges(graph, from, to, edgeData, numDependencies, false);
}

cudaError_t cushim_impl_cudaGraphRemoveDependencies12(cudaGraph_t graph, const cudaGraphNode_t *from,
                                                      const cudaGraphNode_t *to, size_t numDependencies)
{
    return change_edges(graph, from, to, NULL, numDependencies, false);
}

/* Fill an output array: with a NULL array report the count, else copy up to *count
 * entries and report how many were written (CUDA's convention). */
static cudaError_t list_out(void **out, size_t *count, void *const *items, size_t n)
{
    if (!count)
        return cudaErrorInvalidValue;
    if (!out) {
        *count = n;
        return cudaSuccess;
    }
    size_t m = *count < n ? *count : n;
    for (size_t i = 0; i < m; i++)
        out[i] = items[i];
    for (size_t i = m; i < *count; i++)
        out[i] = NULL;
    *count = m;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t *nodes_out, size_t *numNodes)
{
    pthread_mutex_lock(&cushim__q_lock);
    cushim__graph *g = find_graph(graph);
    cudaError_t e = g ? list_out((void **)nodes_out, numNodes, (void *const *)g->nodes, g->nnodes)
                      : cudaErrorInvalidValue;
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

cudaError_t cushim_impl_cudaGraphGetRootNodes(cudaGraph_t graph, cudaGraphNode_t *pRootNodes,
                                              size_t *pNumRootNodes)
{
    pthread_mutex_lock(&cushim__q_lock);
    cushim__graph *g = find_graph(graph);
    cudaError_t e = cudaErrorInvalidValue;
    if (g) {
        void **roots = malloc((g->nnodes + 1) * sizeof *roots);
        size_t n = 0;
        for (size_t i = 0; roots && i < g->nnodes; i++)
            if (!g->nodes[i]->ndeps)
                roots[n++] = g->nodes[i];
        e = roots ? list_out((void **)pRootNodes, pNumRootNodes, roots, n) : cudaErrorMemoryAllocation;
        free(roots);
    }
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

static cudaError_t get_edges(cudaGraph_t graph, cudaGraphNode_t *from, cudaGraphNode_t *to,
                             cudaGraphEdgeData *edge, size_t *numEdges)
{
    if (!numEdges || (!from) != (!to) || (edge && !from))
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__graph *g = find_graph(graph);
    if (!g) {
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorInvalidValue;
    }
    size_t total = 0, written = 0;
    for (size_t i = 0; i < g->nnodes; i++)
        for (size_t d = 0; d < g->nodes[i]->ndeps; d++, total++)
            if (from && written < *numEdges) {
                from[written] = (cudaGraphNode_t)g->nodes[i]->deps[d];
                to[written] = (cudaGraphNode_t)g->nodes[i];
                if (edge)
                    memset(&edge[written], 0, sizeof *edge);
                written++;
            }
    if (from) {
        for (size_t i = written; i < *numEdges; i++)
            from[i] = to[i] = NULL;
        *numEdges = written;
    } else {
        *numEdges = total;
    }
    pthread_mutex_unlock(&cushim__q_lock);
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGraphGetEdges(cudaGraph_t graph, cudaGraphNode_t *from, cudaGraphNode_t *to,
                                          cudaGraphEdgeData *edgeData, size_t *numEdges)
{
    return get_edges(graph, from, to, edgeData, numEdges);
}

cudaError_t cushim_impl_cudaGraphGetEdges12(cudaGraph_t graph, cudaGraphNode_t *from, cudaGraphNode_t *to,
                                            size_t *numEdges)
{
    return get_edges(graph, from, to, NULL, numEdges);
}

static cudaError_t node_neighbours(cudaGraphNode_t node, cudaGraphNode_t *out, cudaGraphEdgeData *edge,
                                   size_t *count, bool dependents)
{
    if (!count)
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__gnode *n = find_node(node);
    cudaError_t e = cudaErrorInvalidValue;
    if (n) {
        cushim__graph *g = n->graph;
        void **items = malloc((g->nnodes + n->ndeps + 1) * sizeof *items);
        size_t k = 0;
        if (items && !dependents)
            for (size_t d = 0; d < n->ndeps; d++)
                items[k++] = n->deps[d];
        for (size_t i = 0; items && dependents && i < g->nnodes; i++)
            for (size_t d = 0; d < g->nodes[i]->ndeps; d++)
                if (g->nodes[i]->deps[d] == n)
                    items[k++] = g->nodes[i];
        e = items ? list_out((void **)out, count, items, k) : cudaErrorMemoryAllocation;
        if (e == cudaSuccess && edge && out)
            memset(edge, 0, *count * sizeof *edge);
        free(items);
    }
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

cudaError_t cushim_impl_cudaGraphNodeGetDependencies(cudaGraphNode_t node, cudaGraphNode_t *pDependencies,
                                                     cudaGraphEdgeData *edgeData, size_t *pNumDependencies)
{
    return node_neighbours(node, pDependencies, edgeData, pNumDependencies, false);
}

cudaError_t cushim_impl_cudaGraphNodeGetDependencies12(cudaGraphNode_t node, cudaGraphNode_t *pDependencies,
                                                       size_t *pNumDependencies)
{
    return node_neighbours(node, pDependencies, NULL, pNumDependencies, false);
}

cudaError_t cushim_impl_cudaGraphNodeGetDependentNodes(cudaGraphNode_t node, cudaGraphNode_t *pDependentNodes,
                                                       cudaGraphEdgeData *edgeData,
                                                       size_t *pNumDependentNodes)
{
    return node_neighbours(node, pDependentNodes, edgeData, pNumDependentNodes, true);
}

cudaError_t cushim_impl_cudaGraphNodeGetDependentNodes12(cudaGraphNode_t node,
                                                         cudaGraphNode_t *pDependentNodes,
                                                         size_t *pNumDependentNodes)
{
    return node_neighbours(node, pDependentNodes, NULL, pNumDependentNodes, true);
}

/* ---- instantiation and launch ------------------------------------------------------------ */

/* Kahn's algorithm; false on a cycle. */
static bool topo_order(const cushim__graph *g, cushim__gnode **order)
{
    size_t n = g->nnodes, done = 0;
    bool *placed = calloc(n + 1, sizeof *placed);
    if (!placed)
        return false;
    while (done < n) {
        bool progress = false;
        for (size_t i = 0; i < n; i++) {
            if (placed[i])
                continue;
            bool ready = true;
            for (size_t d = 0; d < g->nodes[i]->ndeps && ready; d++)
                for (size_t j = 0; j < n; j++)
                    if (g->nodes[j] == g->nodes[i]->deps[d] && !placed[j])
                        ready = false;
            if (ready) {
                placed[i] = true;
                order[done++] = g->nodes[i];
                progress = true;
            }
        }
        if (!progress)
            break;
    }
    free(placed);
    return done == n;
}

static bool graph_acyclic(const cushim__graph *g)
{
    cushim__gnode **order = malloc((g->nnodes + 1) * sizeof *order);
    bool ok = order && topo_order(g, order);
    for (size_t i = 0; ok && i < g->nnodes; i++)
        if (g->nodes[i]->child && !graph_acyclic(g->nodes[i]->child))
            ok = false;
    free(order);
    return ok;
}

static cudaError_t instantiate(cudaGraphExec_t *out, cudaGraph_t graph, unsigned long long flags,
                               cudaGraphInstantiateResult *result, cudaGraphNode_t *err_node)
{
    if (result)
        *result = cudaGraphInstantiateError;
    if (err_node)
        *err_node = NULL;
    if (!out)
        return cudaErrorInvalidValue;
    /* AutoFreeOnLaunch 1, Upload 2, DeviceLaunch 4, UseNodePriority 8. */
    if (flags & ~0xfull)
        return cudaErrorInvalidValue;
    if (flags & 4) {
        cushim_log_once("graph-device-launch", "cudaGraphInstantiate: device-launchable graphs "
                        "(cudaGraphInstantiateFlagDeviceLaunch) are not supported");
        return cudaErrorNotSupported;
    }
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&cushim__q_lock);
    cushim__graph *g = find_graph(graph);
    if (!g) {
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorInvalidValue;
    }
    graph_exec *x = calloc(1, sizeof *x);
    cushim__graph *copy = x ? graph_clone_locked(g, true) : NULL;
    cushim__gnode **order = copy ? malloc((copy->nnodes + 1) * sizeof *order) : NULL;
    if (!order) {
        if (copy)
            graph_free_locked(copy);
        free(x);
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorMemoryAllocation;
    }
    if (!topo_order(copy, order) || !graph_acyclic(copy)) {
        graph_free_locked(copy);
        free(order);
        free(x);
        pthread_mutex_unlock(&cushim__q_lock);
        if (result)
            *result = cudaGraphInstantiateInvalidStructure;
        return cudaErrorInvalidValue;
    }
    x->key = x;
    x->graph = copy;
    x->order = order;
    x->flags = flags;
    x->device = dev;
    HASH_ADD_PTR(execs, key, x);
    pthread_mutex_unlock(&cushim__q_lock);
    if (result)
        *result = cudaGraphInstantiateSuccess;
    *out = (cudaGraphExec_t)x;
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaGraphInstantiate(cudaGraphExec_t *pGraphExec, cudaGraph_t graph,
                                             unsigned long long flags)
{
    return instantiate(pGraphExec, graph, flags, NULL, NULL);
}

cudaError_t cushim_impl_cudaGraphInstantiateWithParams(cudaGraphExec_t *pGraphExec, cudaGraph_t graph,
                                                       cudaGraphInstantiateParams *p)
{
    if (!p)
        return cudaErrorInvalidValue;
    return instantiate(pGraphExec, graph, p->flags, &p->result_out, &p->errNode_out);
}

cudaError_t cushim_impl_cudaGraphExecDestroy(cudaGraphExec_t graphExec)
{
    pthread_mutex_lock(&cushim__q_lock);
    graph_exec *x = find_exec(graphExec);
    if (x) {
        HASH_DEL(execs, x);
        /* Launched work holds its own copies: the exec can go at once. */
        graph_free_locked(x->graph);
        free(x->order);
        free(x);
    }
    pthread_mutex_unlock(&cushim__q_lock);
    return x ? cudaSuccess : cudaErrorInvalidValue;
}

cudaError_t cushim_impl_cudaGraphExecGetFlags(cudaGraphExec_t graphExec, unsigned long long *flags)
{
    if (!flags)
        return cudaErrorInvalidValue;
    pthread_mutex_lock(&cushim__q_lock);
    graph_exec *x = find_exec(graphExec);
    if (x)
        *flags = x->flags;
    pthread_mutex_unlock(&cushim__q_lock);
    return x ? cudaSuccess : cudaErrorInvalidValue;
}

/* The work of a graph, children expanded, in an order that respects every edge. */
typedef struct work_list {
    cushim__work *items;
    size_t n, cap;
} work_list;

static bool flatten_locked(cushim__gnode *const *order, size_t n, work_list *out)
{
    for (size_t i = 0; i < n; i++) {
        cushim__gnode *node = order[i];
        if (node->child) {
            cushim__gnode **sub = malloc((node->child->nnodes + 1) * sizeof *sub);
            bool ok = sub && topo_order(node->child, sub) &&
                      flatten_locked(sub, node->child->nnodes, out);
            free(sub);
            if (!ok)
                return false;
            continue;
        }
        if (node->work.kind == CUSHIM_WORK_NOP)
            continue;
        if (out->n == out->cap) {
            size_t c = out->cap ? out->cap * 2 : 16;
            cushim__work *a = realloc(out->items, c * sizeof *a);
            if (!a)
                return false;
            out->items = a;
            out->cap = c;
        }
        if (!work_clone(&node->work, &out->items[out->n]))
            return false;
        out->n++;
    }
    return true;
}

cudaError_t cushim_impl_cudaGraphLaunch(cudaGraphExec_t graphExec, cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e != cudaSuccess)
        return e;
    stream = cushim__ptsz(stream);
    e = cushim__stream_check(stream);
    if (e != cudaSuccess)
        return e;
    work_list list = {0};
    pthread_mutex_lock(&cushim__q_lock);
    graph_exec *x = find_exec(graphExec);
    bool ok = x && flatten_locked(x->order, x->graph->nnodes, &list);
    pthread_mutex_unlock(&cushim__q_lock);
    if (!x || !ok) {
        for (size_t i = 0; i < list.n; i++)
            cushim__work_release(&list.items[i]);
        free(list.items);
        return x ? cudaErrorMemoryAllocation : cudaErrorInvalidValue;
    }
    /* Each item goes to the stream in order; the stream's FIFO keeps the edges. */
    size_t i = 0;
    for (; i < list.n && e == cudaSuccess; i++)
        e = cushim__submit(stream, &list.items[i], 0);
    for (; i < list.n; i++)
        cushim__work_release(&list.items[i]);
    free(list.items);
    return e;
}

cudaError_t cushim_impl_cudaGraphUpload(cudaGraphExec_t graphExec, cudaStream_t stream)
{
    cudaError_t e = cushim__init();
    if (e == cudaSuccess)
        e = cushim__stream_check(cushim__ptsz(stream));
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&cushim__q_lock);
    bool ok = find_exec(graphExec) != NULL;
    pthread_mutex_unlock(&cushim__q_lock);
    return ok ? cudaSuccess : cudaErrorInvalidValue;   /* nothing to upload */
}

/* The exec's copy of an original node (searching children too). */
static cushim__gnode *exec_node_locked(cushim__graph *g, const cushim__gnode *orig)
{
    for (size_t i = 0; i < g->nnodes; i++) {
        if (g->nodes[i]->clone_of == orig)
            return g->nodes[i];
    }
    return NULL;
}

cudaError_t cushim_impl_cudaGraphExecKernelNodeSetParams(cudaGraphExec_t hGraphExec, cudaGraphNode_t node,
                                                         const struct cudaKernelNodeParams *pNodeParams)
{
    pthread_mutex_lock(&cushim__q_lock);
    graph_exec *x = find_exec(hGraphExec);
    cushim__gnode *o = find_node(node);
    cudaError_t e = cudaErrorInvalidValue;
    if (x && o) {
        cushim__gnode *n = exec_node_locked(x->graph, o);
        /* CUDA does not allow changing the kernel's function to another one here. */
        if (n && pNodeParams && n->type == cudaGraphNodeTypeKernel &&
            cushim__kernel_by_host_fun(pNodeParams->func) != n->work.u.kernel.kernel)
            e = cudaErrorInvalidValue;
        else
            e = set_kernel_params(n, pNodeParams);
    }
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

cudaError_t cushim_impl_cudaGraphExecHostNodeSetParams(cudaGraphExec_t hGraphExec, cudaGraphNode_t node,
                                                       const struct cudaHostNodeParams *pNodeParams)
{
    pthread_mutex_lock(&cushim__q_lock);
    graph_exec *x = find_exec(hGraphExec);
    cushim__gnode *o = find_node(node);
    cudaError_t e = x && o ? set_host_params(exec_node_locked(x->graph, o), pNodeParams)
                           : cudaErrorInvalidValue;
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

cudaError_t cushim_impl_cudaGraphExecMemsetNodeSetParams(cudaGraphExec_t hGraphExec, cudaGraphNode_t node,
                                                         const struct cudaMemsetParams *pNodeParams)
{
    cushim__work w;
    cudaError_t e = memset_work(pNodeParams, &w);
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&cushim__q_lock);
    graph_exec *x = find_exec(hGraphExec);
    cushim__gnode *o = find_node(node);
    cushim__gnode *n = x && o ? exec_node_locked(x->graph, o) : NULL;
    if (n && n->type == cudaGraphNodeTypeMemset)
        n->work = w;
    else
        e = cudaErrorInvalidValue;
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

cudaError_t cushim_impl_cudaGraphExecMemcpyNodeSetParams1D(cudaGraphExec_t hGraphExec, cudaGraphNode_t node,
                                                           void *dst, const void *src, size_t count,
                                                           enum cudaMemcpyKind kind)
{
    cushim__work w;
    cudaError_t e = copy_work_1d(dst, src, count, kind, &w);
    if (e != cudaSuccess)
        return e;
    pthread_mutex_lock(&cushim__q_lock);
    graph_exec *x = find_exec(hGraphExec);
    cushim__gnode *o = find_node(node);
    cushim__gnode *n = x && o ? exec_node_locked(x->graph, o) : NULL;
    if (n && n->type == cudaGraphNodeTypeMemcpy)
        n->work = w;
    else
        e = cudaErrorInvalidValue;
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

/* Same topology and node types (node by node, in creation order): copy the work. */
cudaError_t cushim_impl_cudaGraphExecUpdate(cudaGraphExec_t hGraphExec, cudaGraph_t hGraph,
                                            cudaGraphExecUpdateResultInfo *resultInfo)
{
    if (!resultInfo)
        return cudaErrorInvalidValue;
    memset(resultInfo, 0, sizeof *resultInfo);
    pthread_mutex_lock(&cushim__q_lock);
    graph_exec *x = find_exec(hGraphExec);
    cushim__graph *g = find_graph(hGraph);
    if (!x || !g) {
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorInvalidValue;
    }
    cushim__graph *old = x->graph;
    enum cudaGraphExecUpdateResult r = cudaGraphExecUpdateSuccess;
    cushim__gnode *bad = NULL;
    if (old->nnodes != g->nnodes)
        r = cudaGraphExecUpdateErrorTopologyChanged;
    for (size_t i = 0; r == cudaGraphExecUpdateSuccess && i < g->nnodes; i++) {
        cushim__gnode *a = old->nodes[i], *b = g->nodes[i];
        bad = b;
        if (a->type != b->type)
            r = cudaGraphExecUpdateErrorNodeTypeChanged;
        else if (a->ndeps != b->ndeps)
            r = cudaGraphExecUpdateErrorTopologyChanged;
        else if (a->type == cudaGraphNodeTypeKernel && a->work.u.kernel.kernel != b->work.u.kernel.kernel)
            r = cudaGraphExecUpdateErrorFunctionChanged;
        else if (a->type == cudaGraphNodeTypeGraph)
            r = cudaGraphExecUpdateErrorNotSupported;
    }
    if (r == cudaGraphExecUpdateSuccess) {
        cushim__work *fresh = malloc((g->nnodes + 1) * sizeof *fresh);
        size_t made = 0;
        for (; fresh && made < g->nnodes; made++)
            if (!work_clone(&g->nodes[made]->work, &fresh[made]))
                break;
        if (!fresh || made < g->nnodes) {
            for (size_t i = 0; i < made; i++)
                cushim__work_release(&fresh[i]);
            free(fresh);
            pthread_mutex_unlock(&cushim__q_lock);
            return cudaErrorMemoryAllocation;
        }
        for (size_t i = 0; i < g->nnodes; i++) {
            cushim__work_release(&old->nodes[i]->work);
            old->nodes[i]->work = fresh[i];
            old->nodes[i]->clone_of = g->nodes[i];
        }
        free(fresh);
        bad = NULL;
    }
    resultInfo->result = r;
    resultInfo->errorNode = (cudaGraphNode_t)bad;
    pthread_mutex_unlock(&cushim__q_lock);
    return r == cudaGraphExecUpdateSuccess ? cudaSuccess : cudaErrorGraphExecUpdateFailure;
}

/* ---- stream capture ------------------------------------------------------------------------- */

static cudaError_t set_cap_deps(cushim__stream *s, cushim__gnode *const *deps, size_t n)
{
    if (n > s->cap_cap) {
        cushim__gnode **a = realloc(s->cap_deps, n * sizeof *a);
        if (!a)
            return cudaErrorMemoryAllocation;
        s->cap_deps = a;
        s->cap_cap = n;
    }
    if (n)
        memmove(s->cap_deps, deps, n * sizeof *deps);
    s->cap_ndeps = n;
    return cudaSuccess;
}

static cudaError_t union_cap_deps(cushim__stream *s, cushim__gnode *const *more, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool have = false;
        for (size_t j = 0; j < s->cap_ndeps && !have; j++)
            have = s->cap_deps[j] == more[i];
        if (!have && push_ptr((void ***)&s->cap_deps, &s->cap_ndeps, &s->cap_cap, more[i]) != cudaSuccess)
            return cudaErrorMemoryAllocation;
    }
    return cudaSuccess;
}

static enum cudaGraphNodeType node_type_of(const cushim__work *w)
{
    switch (w->kind) {
    case CUSHIM_WORK_KERNEL: return cudaGraphNodeTypeKernel;
    case CUSHIM_WORK_COPY: return cudaGraphNodeTypeMemcpy;
    case CUSHIM_WORK_FILL: return cudaGraphNodeTypeMemset;
    case CUSHIM_WORK_HOST_FN: return cudaGraphNodeTypeHost;
    case CUSHIM_WORK_EVENT_RECORD: return cudaGraphNodeTypeEventRecord;
    case CUSHIM_WORK_EVENT_WAIT: return cudaGraphNodeTypeWaitEvent;
    case CUSHIM_WORK_FREE: return cudaGraphNodeTypeMemFree;
    default: return cudaGraphNodeTypeEmpty;
    }
}

static void invalidate(cushim__capture *c) { c->invalidated = true; }

cudaError_t cushim__capture_add_locked(cushim__stream *s, cushim__work *w)
{
    cushim__event *ev = (w->kind == CUSHIM_WORK_EVENT_RECORD || w->kind == CUSHIM_WORK_EVENT_WAIT)
                            ? cushim__event_lookup_locked(w->u.event.event) : NULL;
    if ((w->kind == CUSHIM_WORK_EVENT_RECORD || w->kind == CUSHIM_WORK_EVENT_WAIT) && !ev)
        return cudaErrorInvalidResourceHandle;
    if (w->kind == CUSHIM_WORK_EVENT_WAIT) {
        if (!ev->capture)
            return cudaErrorStreamCaptureIsolation;   /* an event from outside the capture */
        if (s->capture && s->capture != ev->capture) {
            invalidate(s->capture);
            return cudaErrorStreamCaptureIsolation;
        }
        if (ev->capture->invalidated)
            return cudaErrorStreamCaptureInvalidated;
        if (!s->capture) {
            /* Fork: the stream joins the capture, after the event's nodes. */
            s->capture = ev->capture;
            return set_cap_deps(s, ev->cap_nodes, ev->cap_nnodes);
        }
        return union_cap_deps(s, ev->cap_nodes, ev->cap_nnodes);
    }
    cushim__capture *c = s->capture;
    if (c->invalidated) {
        cushim__work_release(w);
        return cudaErrorStreamCaptureInvalidated;
    }
    if (w->kind == CUSHIM_WORK_EVENT_RECORD) {
        /* No node: the event now stands for the stream's current position. */
        cushim__gnode **copy = s->cap_ndeps ? malloc(s->cap_ndeps * sizeof *copy) : NULL;
        if (s->cap_ndeps && !copy)
            return cudaErrorMemoryAllocation;
        if (copy)
            memcpy(copy, s->cap_deps, s->cap_ndeps * sizeof *copy);
        free(ev->cap_nodes);
        ev->cap_nodes = copy;
        ev->cap_nnodes = s->cap_ndeps;
        ev->capture = c;
        return cudaSuccess;
    }
    if (w->kind == CUSHIM_WORK_FREE) {
        cushim__work_release(w);
        invalidate(c);
        cushim_log_once("capture-free", "stream capture: cudaFreeAsync (memory free nodes) is "
                        "not supported in captured graphs");
        return cudaErrorNotSupported;
    }
    if (w->kind == CUSHIM_WORK_CALLBACK) {
        cushim__work_release(w);
        invalidate(c);
        return cudaErrorStreamCaptureUnsupported;   /* as CUDA: use cudaLaunchHostFunc */
    }
    cushim__gnode *n;
    cudaError_t e = node_add_locked(c->graph, node_type_of(w), w, NULL, s->cap_deps, s->cap_ndeps, &n);
    if (e != cudaSuccess) {
        invalidate(c);
        return e;
    }
    return set_cap_deps(s, &n, 1);
}

cudaError_t cushim__capture_check_sync_locked(cushim__stream *s)
{
    if (s->capture)
        invalidate(s->capture);
    return cudaErrorStreamCaptureUnsupported;
}

bool cushim__capture_prohibits_locked(const cushim__capture *c)
{
    if (c->mode == cudaStreamCaptureModeRelaxed)
        return false;
    if (c->mode == cudaStreamCaptureModeThreadLocal)
        return pthread_equal(c->thread, pthread_self()) && thread_capture_mode != cudaStreamCaptureModeRelaxed;
    return thread_capture_mode != cudaStreamCaptureModeRelaxed;
}

cudaError_t cushim_impl_cudaStreamBeginCapture(cudaStream_t stream, enum cudaStreamCaptureMode mode)
{
    if ((unsigned)mode > cudaStreamCaptureModeRelaxed)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    stream = cushim__ptsz(stream);
    pthread_mutex_lock(&cushim__q_lock);
    cushim__stream *s = cushim__stream_lookup_locked(stream, dev);
    if (!s)
        e = cudaErrorInvalidResourceHandle;
    else if (s->legacy)
        e = cudaErrorStreamCaptureUnsupported;   /* the legacy stream cannot capture */
    else if (s->capture)
        e = cudaErrorIllegalState;
    cushim__capture *c = NULL;
    cushim__graph *g = NULL;
    if (e == cudaSuccess && (!(c = calloc(1, sizeof *c)) || !(g = graph_new_locked(false)))) {
        free(c);
        e = cudaErrorMemoryAllocation;
    }
    if (e == cudaSuccess) {
        c->graph = g;
        c->origin = s;
        c->mode = mode;
        c->id = next_capture_id++;
        c->thread = pthread_self();
        s->capture = c;
        s->cap_ndeps = 0;
    }
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

cudaError_t cushim_impl_cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *pGraph)
{
    if (!pGraph)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    stream = cushim__ptsz(stream);
    pthread_mutex_lock(&cushim__q_lock);
    cushim__stream *s = cushim__stream_lookup_locked(stream, dev);
    cushim__capture *c = s ? s->capture : NULL;
    if (!s)
        e = cudaErrorInvalidResourceHandle;
    else if (!c)
        e = cudaErrorIllegalState;
    else if (c->origin != s)
        e = cudaErrorStreamCaptureUnmatched;
    if (e != cudaSuccess) {
        pthread_mutex_unlock(&cushim__q_lock);
        return e;
    }
    /* Every stream of the capture (the origin and those that joined) leaves it. */
    cushim__capture_detach_all_locked(c);
    if (c->invalidated) {
        graph_free_locked(c->graph);
        *pGraph = NULL;
        e = cudaErrorStreamCaptureInvalidated;
    } else {
        *pGraph = (cudaGraph_t)c->graph;
    }
    free(c);
    pthread_mutex_unlock(&cushim__q_lock);
    return e;
}

static cudaError_t capture_info(cudaStream_t stream, enum cudaStreamCaptureStatus *status,
                                unsigned long long *id, cudaGraph_t *graph,
                                const cudaGraphNode_t **deps, const cudaGraphEdgeData **edges,
                                size_t *ndeps)
{
    if (!status)
        return cudaErrorInvalidValue;
    int dev;
    cudaError_t e = cushim__current_device(&dev);
    if (e != cudaSuccess)
        return e;
    stream = cushim__ptsz(stream);
    pthread_mutex_lock(&cushim__q_lock);
    cushim__stream *s = cushim__stream_lookup_locked(stream, dev);
    if (!s) {
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorInvalidResourceHandle;
    }
    cushim__capture *c = s->capture;
    if (s->legacy && cushim__capture_any_locked(dev)) {
        /* Asking about the legacy stream while another stream captures. */
        pthread_mutex_unlock(&cushim__q_lock);
        return cudaErrorStreamCaptureImplicit;
    }
    *status = !c ? cudaStreamCaptureStatusNone
                 : (c->invalidated ? cudaStreamCaptureStatusInvalidated : cudaStreamCaptureStatusActive);
    if (c && id)
        *id = c->id;
    if (graph)
        *graph = c ? (cudaGraph_t)c->graph : NULL;
    if (deps)
        *deps = c ? (const cudaGraphNode_t *)s->cap_deps : NULL;
    if (edges)
        *edges = NULL;   /* NULL: every edge is a default (full completion) edge */
    if (ndeps)
        *ndeps = c ? s->cap_ndeps : 0;
    pthread_mutex_unlock(&cushim__q_lock);
    return cudaSuccess;
}

cudaError_t cushim_impl_cudaStreamIsCapturing(cudaStream_t stream, enum cudaStreamCaptureStatus *pCaptureStatus)
{
    return capture_info(stream, pCaptureStatus, NULL, NULL, NULL, NULL, NULL);
}

cudaError_t cushim_impl_cudaStreamGetCaptureInfo(cudaStream_t stream, enum cudaStreamCaptureStatus *status,
                                                 unsigned long long *id, cudaGraph_t *graph,
                                                 const cudaGraphNode_t **deps,
                                                 const cudaGraphEdgeData **edgeData, size_t *numDeps)
{
    return capture_info(stream, status, id, graph, deps, edgeData, numDeps);
}

cudaError_t cushim_impl_cudaStreamGetCaptureInfo12(cudaStream_t stream, enum cudaStreamCaptureStatus *status,
                                                   unsigned long long *id)
{
    return capture_info(stream, status, id, NULL, NULL, NULL, NULL);
}

cudaError_t cushim_impl_cudaStreamGetCaptureInfo_v2(cudaStream_t stream,
                                                    enum cudaStreamCaptureStatus *status,
                                                    unsigned long long *id, cudaGraph_t *graph,
                                                    const cudaGraphNode_t **deps, size_t *numDeps)
{
    return capture_info(stream, status, id, graph, deps, NULL, numDeps);
}

cudaError_t cushim_impl_cudaThreadExchangeStreamCaptureMode(enum cudaStreamCaptureMode *mode)
{
    if (!mode || (unsigned)*mode > cudaStreamCaptureModeRelaxed)
        return cudaErrorInvalidValue;
    enum cudaStreamCaptureMode prev = thread_capture_mode;
    thread_capture_mode = *mode;
    *mode = prev;
    return cudaSuccess;
}
