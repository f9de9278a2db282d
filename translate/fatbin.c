/* translate/fatbin.c: placeholder, being written. */
typedef int cushim_placeholder_translate_fatbin_c;
