/* translate/arena.h: placeholder, being written. */
