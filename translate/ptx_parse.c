/* translate/ptx_parse.c: placeholder, being written. */
typedef int cushim_placeholder_translate_ptx_parse_c;
