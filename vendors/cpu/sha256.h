/* vendors/cpu/sha256.h: placeholder, being written. */
