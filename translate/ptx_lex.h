/* translate/ptx_lex.h: placeholder, being written. */
