/* opencl.h: the OpenCL backend's ops struct (vendors/opencl/ocl_backend.c). Built only
 * when configure found the OpenCL headers; the ICD loader itself is opened at run time,
 * so cushim still starts where no OpenCL is installed. */
#ifndef CUSHIM_OPENCL_H
#define CUSHIM_OPENCL_H

#include "vendors/vendor.h"

extern const struct cushim_vendor_ops cushim_opencl_vendor;

#endif
