/* vendors/cpu/sha256.c: placeholder, being written. */
typedef int cushim_placeholder_vendors_cpu_sha256_c;
