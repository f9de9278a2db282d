/* translate/ptx_lex.c: placeholder, being written. */
typedef int cushim_placeholder_translate_ptx_lex_c;
