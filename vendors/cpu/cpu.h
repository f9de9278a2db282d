/* vendors/cpu/cpu.h: placeholder, being written. */
