/* vendors/cpu/cpu_pool.c: placeholder, being written. */
typedef int cushim_placeholder_vendors_cpu_cpu_pool_c;
