/* translate/ptx_link.c: placeholder, being written. */
typedef int cushim_placeholder_translate_ptx_link_c;
