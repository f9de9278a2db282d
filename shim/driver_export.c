/* driver_export.c: cuGetExportTable, the undocumented tables NVIDIA's runtime fetches
 * from the driver by UUID, and the integrity check one of them carries. What each
 * table and slot does was measured (shared DRIVER_ABI.md, docs/static-binaries.md);
 * every slot not known to be used is a function that names its table and slot in a
 * message and returns CUDA_ERROR_NOT_SUPPORTED, so an unexpected call is reported
 * instead of jumping through garbage. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim/driver_gen.h"
#include "shim/driver_internal.h"
#include "shim/driver_md2.h"

static CUresult unknown_slot(const char *table, int slot)
{
    char key[96];
    snprintf(key, sizeof key, "drv:export:%s:%d", table, slot);
    cushim__drv_log_once(key, "export table %s: slot %d is not implemented by cushim (the "
                         "program's CUDA runtime asked for CUDA %d); it returns "
                         "CUDA_ERROR_NOT_SUPPORTED", table, slot, cushim__drv_runtime_version());
    return CUDA_ERROR_NOT_SUPPORTED;
}

/* One distinct function per slot, so the message can name it. */
#define SLOT(t, i) static CUresult t##_slot##i(void) { return unknown_slot(#t, i); }
#define SLOTS(t) SLOT(t, 1) SLOT(t, 2) SLOT(t, 3) SLOT(t, 4) SLOT(t, 5) SLOT(t, 6) \
    SLOT(t, 7) SLOT(t, 8) SLOT(t, 9) SLOT(t, 10) SLOT(t, 11) SLOT(t, 12) SLOT(t, 13) \
    SLOT(t, 14) SLOT(t, 15)
#define SLOT_PTRS(t) (void *)t##_slot1, (void *)t##_slot2, (void *)t##_slot3, \
    (void *)t##_slot4, (void *)t##_slot5, (void *)t##_slot6, (void *)t##_slot7, \
    (void *)t##_slot8, (void *)t##_slot9, (void *)t##_slot10, (void *)t##_slot11, \
    (void *)t##_slot12, (void *)t##_slot13, (void *)t##_slot14, (void *)t##_slot15
/* Tables with a size word: slot 0 holds the table's size in bytes. */
enum { TABLE_SLOTS = 16 };
#define TABLE_SIZE ((void *)(uintptr_t)(TABLE_SLOTS * sizeof(void *)))

SLOTS(UNNAMED_F8CFF951)
SLOTS(CUDART_INTERFACE)
SLOTS(TOOLS_RUNTIME_CALLBACK_HOOKS)
SLOTS(TOOLS_TLS)
SLOTS(CONTEXT_CHECKS)
SLOTS(INTEGRITY_CHECK)

/* ---- CUDART_INTERFACE --------------------------------------------------------------- */

/* [2]: the primary context of a device. */
static CUresult cudart_primary_ctx(CUcontext *out, CUdevice dev)
{
    if (!out)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_REQUIRE_INIT();
    if (!cushim__drv_device_ok(dev))
        return CUDA_ERROR_INVALID_DEVICE;
    *out = cushim__drv_primary_ctx(dev);
    return *out ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

/* ---- TOOLS_RUNTIME_CALLBACK_HOOKS --------------------------------------------------- */

/* [2] and [6]: buffers the runtime keeps tool-callback state in; tools are absent, so
 * zeroed static storage serves. */
static unsigned char hooks_buffer2[1024], hooks_buffer6[1024];

static CUresult hooks_buffer_2(void **buf, size_t *size)
{
    if (buf)
        *buf = hooks_buffer2;
    if (size)
        *size = sizeof hooks_buffer2;
    return CUDA_SUCCESS;
}

static CUresult hooks_buffer_6(void **buf, size_t *size)
{
    if (buf)
        *buf = hooks_buffer6;
    if (size)
        *size = sizeof hooks_buffer6;
    return CUDA_SUCCESS;
}

/* ---- CONTEXT_LOCAL_STORAGE (no size word) ------------------------------------------- */

static CUresult cls_put(CUcontext ctx, void *key, void *value, void *dtor)
{
    return cushim__drv_cls_put(ctx, key, value, dtor);
}

static CUresult cls_delete(CUcontext ctx, void *key)
{
    return cushim__drv_cls_delete(ctx, key);
}

static CUresult cls_get(void **value, CUcontext ctx, void *key)
{
    return cushim__drv_cls_get(value, ctx, key);
}

/* ---- CONTEXT_CHECKS ----------------------------------------------------------------- */

static CUresult ctx_check_2(CUcontext ctx, uint32_t *result, void **unused)
{
    (void)ctx;
    (void)unused;
    if (result)
        *result = 0;
    return CUDA_SUCCESS;
}

static CUresult ctx_check_3(void) { return CUDA_SUCCESS; }

/* ---- the tables --------------------------------------------------------------------- */

static CUresult integrity_check(uint32_t version, uint64_t unix_seconds, uint64_t out[2]);

static void *const table_f8cff951[TABLE_SLOTS] = {TABLE_SIZE, SLOT_PTRS(UNNAMED_F8CFF951)};
static void *table_cudart_interface[TABLE_SLOTS] = {TABLE_SIZE, SLOT_PTRS(CUDART_INTERFACE)};
static void *table_hooks[TABLE_SLOTS] = {TABLE_SIZE, SLOT_PTRS(TOOLS_RUNTIME_CALLBACK_HOOKS)};
static void *const table_tools_tls[TABLE_SLOTS] = {TABLE_SIZE, SLOT_PTRS(TOOLS_TLS)};
static void *const table_cls[3] = {(void *)cls_put, (void *)cls_delete, (void *)cls_get};
static void *table_context_checks[TABLE_SLOTS] = {TABLE_SIZE, SLOT_PTRS(CONTEXT_CHECKS)};
static void *table_integrity[TABLE_SLOTS] = {TABLE_SIZE, SLOT_PTRS(INTEGRITY_CHECK)};

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void fill_tables(void)
{
    table_cudart_interface[2] = (void *)cudart_primary_ctx;
    table_hooks[2] = (void *)hooks_buffer_2;
    table_hooks[6] = (void *)hooks_buffer_6;
    table_context_checks[2] = (void *)ctx_check_2;
    table_context_checks[3] = (void *)ctx_check_3;
    table_integrity[1] = (void *)integrity_check;
}

typedef struct export_table {
    uint8_t uuid[16];          /* in memory order */
    const char *name;
    const void *table;
} export_table;

static const export_table tables[] = {
    {{0xf8, 0xcf, 0xf9, 0x51, 0x21, 0x46, 0x8b, 0x4e, 0xb9, 0xe2, 0xfb, 0x46, 0x9e, 0x7c, 0x0d, 0xd9},
     "f8cff951", table_f8cff951},
    {{0x6b, 0xd5, 0xfb, 0x6c, 0x5b, 0xf4, 0xe7, 0x4a, 0x89, 0x87, 0xd9, 0x39, 0x12, 0xfd, 0x9d, 0xf9},
     "CUDART_INTERFACE", table_cudart_interface},
    {{0xa0, 0x94, 0x79, 0x8c, 0x2e, 0x74, 0x2e, 0x74, 0x93, 0xf2, 0x08, 0x00, 0x20, 0x0c, 0x0a, 0x66},
     "TOOLS_RUNTIME_CALLBACK_HOOKS", table_hooks},
    {{0x42, 0xd8, 0x5a, 0x81, 0x23, 0xf6, 0xcb, 0x47, 0x82, 0x98, 0xf6, 0xe7, 0x8a, 0x3a, 0xec, 0xdc},
     "TOOLS_TLS", table_tools_tls},
    {{0xc6, 0x93, 0x33, 0x6e, 0x11, 0x21, 0xdf, 0x11, 0xa8, 0xc3, 0x68, 0xf3, 0x55, 0xd8, 0x95, 0x93},
     "CONTEXT_LOCAL_STORAGE", table_cls},
    {{0x26, 0x3e, 0x88, 0x60, 0x7c, 0xd2, 0x61, 0x43, 0x92, 0xf6, 0xbb, 0xd5, 0x00, 0x6d, 0xfa, 0x7e},
     "CONTEXT_CHECKS", table_context_checks},
    {{0xd4, 0x08, 0x20, 0x55, 0xbd, 0xe6, 0x70, 0x4b, 0x8d, 0x34, 0xba, 0x12, 0x3c, 0x66, 0xe1, 0xf2},
     "INTEGRITY_CHECK", table_integrity},
};

CUresult cushim_drv_cuGetExportTable(const void **ppExportTable, const CUuuid *pExportTableId)
{
    if (!ppExportTable || !pExportTableId)
        return CUDA_ERROR_INVALID_VALUE;
    pthread_once(&tables_once, fill_tables);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        if (memcmp(tables[i].uuid, pExportTableId->bytes, 16) == 0) {
            *ppExportTable = tables[i].table;
            DRV_DEBUG("cuGetExportTable: %s", tables[i].name);
            return CUDA_SUCCESS;
        }
    }
    const uint8_t *u = (const uint8_t *)pExportTableId->bytes;
    char key[64];
    snprintf(key, sizeof key, "drv:export:%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x"
             "%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
             u[10], u[11], u[12], u[13], u[14], u[15]);
    cushim__drv_log_once(key, "cuGetExportTable: unknown export table %02x%02x%02x%02x-%02x%02x-"
                         "%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x (the program's CUDA "
                         "runtime asked for CUDA %d); it returns CUDA_ERROR_INVALID_VALUE", u[0], u[1], u[2],
                         u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
                         u[14], u[15], cushim__drv_runtime_version());
    *ppExportTable = NULL;
    return CUDA_ERROR_INVALID_VALUE;
}

/* ---- the integrity check ------------------------------------------------------------ */

static const uint8_t integrity_key[16] = {0x14, 0x6A, 0xDD, 0xAE, 0x53, 0xA9, 0xA7, 0x52,
                                          0xAA, 0x08, 0x41, 0x36, 0x0B, 0xF5, 0x5A, 0x9F};

/* INTEGRITY_CHECK[1]: the runtime proves it talks to a genuine driver. Versions ending
 * in 0 and 1 expect fixed answers; the others an HMAC-MD2 over a record of the process,
 * the tables and every device, with the values our device queries report. Versions
 * are the runtime's (12xyz, 13xyz); others are refused with a message. */
static CUresult integrity_check(uint32_t version, uint64_t unix_seconds, uint64_t out[2])
{
    if (!out)
        return CUDA_ERROR_INVALID_VALUE;
    DRV_DEBUG("INTEGRITY_CHECK: version %u", version);
    if (version < 12000 || version >= 14000) {
        char key[64];
        snprintf(key, sizeof key, "drv:integrity:%u", version);
        cushim__drv_log_once(key, "export table INTEGRITY_CHECK slot 1: version %u is not one "
                             "cushim knows (12xyz and 13xyz are); it returns "
                             "CUDA_ERROR_NOT_SUPPORTED", version);
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    if (version % 10 == 0) {
        out[0] = 0x3341181C03CB675CULL;
        out[1] = 0x8ED383AA1F4CD1E8ULL;
        return CUDA_SUCCESS;
    }
    if (version % 10 == 1) {
        out[0] = 0x1841181C03CB675CULL;
        out[1] = 0x8ED383AA1F4CD1E8ULL;
        return CUDA_SUCCESS;
    }
    DRV_REQUIRE_INIT();
    struct {
        uint32_t driver_version, version, pid, thread;
        const void *cudart_interface, *integrity, *integrity_fn;
        uint64_t unix_seconds;
    } record = {
        CUSHIM_DRV_VERSION, version, (uint32_t)getpid(), (uint32_t)pthread_self(),
        table_cudart_interface, table_integrity, table_integrity[1], unix_seconds,
    };
    _Static_assert(sizeof record == 48, "the integrity record is 48 bytes");
    uint8_t buf[48 + 64 * 28];
    memcpy(buf, &record, sizeof record);
    size_t len = sizeof record;
    int count = cushim__drv_core->device_count();
    for (int d = 0; d < count && len + 28 <= sizeof buf; d++) {
        CUuuid uuid;
        int32_t pci[3] = {0, 0, 0};
        cushim_drv_cuDeviceGetUuid(&uuid, d);
        cushim_drv_cuDeviceGetAttribute(&pci[0], CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID, d);
        cushim_drv_cuDeviceGetAttribute(&pci[1], CU_DEVICE_ATTRIBUTE_PCI_BUS_ID, d);
        cushim_drv_cuDeviceGetAttribute(&pci[2], CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID, d);
        memcpy(buf + len, uuid.bytes, 16);
        memcpy(buf + len + 16, pci, sizeof pci);
        len += 28;
    }
    uint8_t digest[CUSHIM_MD2_DIGEST];
    cushim__hmac_md2(integrity_key, sizeof integrity_key, buf, len, digest);
    memcpy(out, digest, sizeof digest);
    return CUDA_SUCCESS;
}
