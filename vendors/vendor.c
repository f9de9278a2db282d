/* vendor.c: the backends built into cushim, and the check every backend passes before
 * the core uses it (ABI major, REQUIRED members). */
#include "config.h"

#include "vendors/vendor.h"

#include "vendors/cpu/cpu.h"
#ifdef HAVE_OPENCL
#include "vendors/opencl/opencl.h"
#endif

const struct cushim_vendor_ops *const cushim_builtin_vendors[] = {
    &cushim_cpu_vendor,
#ifdef HAVE_OPENCL
    &cushim_opencl_vendor,
#endif
    NULL,
};

const char *cushim_vendor_validate(const struct cushim_vendor_ops *ops)
{
    if (!ops)
        return "backend ops struct is NULL";
    if ((ops->abi_version >> 16) != CUSHIM_VENDOR_ABI_MAJOR)
        return "backend was built for another major version of the vendor ABI "
               "(CUSHIM_VENDOR_ABI_MAJOR)";
#define REQUIRE(member) \
    if (!ops->member) \
        return "backend lacks the REQUIRED member `" #member "`";
    REQUIRE(name)
    REQUIRE(description)
    REQUIRE(init)
    REQUIRE(device_info)
    REQUIRE(mem_alloc)
    REQUIRE(mem_free)
    REQUIRE(memcpy_htod)
    REQUIRE(memcpy_dtoh)
    REQUIRE(memcpy_dtod)
    REQUIRE(memset_d8)
    REQUIRE(module_load)
    REQUIRE(module_unload)
    REQUIRE(kernel_get)
    REQUIRE(launch)
#undef REQUIRE
    return NULL;
}
