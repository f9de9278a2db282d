/* vendors/cpu/cpu_backend.c: placeholder, being written. */
typedef int cushim_placeholder_vendors_cpu_cpu_backend_c;
