/* translate/ptx_ir.c: placeholder, being written. */
typedef int cushim_placeholder_translate_ptx_ir_c;
