/* vendors/cpu/cpu_memory.c: placeholder, being written. */
typedef int cushim_placeholder_vendors_cpu_cpu_memory_c;
