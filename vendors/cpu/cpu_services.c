/* vendors/cpu/cpu_services.c: placeholder, being written. */
typedef int cushim_placeholder_vendors_cpu_cpu_services_c;
