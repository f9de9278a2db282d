/* translate/arena.c: placeholder, being written. */
typedef int cushim_placeholder_translate_arena_c;
