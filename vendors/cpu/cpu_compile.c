/* vendors/cpu/cpu_compile.c: placeholder, being written. */
typedef int cushim_placeholder_vendors_cpu_cpu_compile_c;
