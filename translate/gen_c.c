/* translate/gen_c.c: placeholder, being written. */
typedef int cushim_placeholder_translate_gen_c_c;
