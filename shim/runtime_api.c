/* shim/runtime_api.c: placeholder, being written. */
typedef int cushim_placeholder_shim_runtime_api_c;
