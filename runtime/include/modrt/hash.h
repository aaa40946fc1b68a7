/*===- hash.h - The hash router's function ------------------------*- C -*-===//
 *
 * LANGUAGE.md §7: `hash(ids)` sends row r to fmix32(uint32(ids[r])) % E,
 * fmix32 being MurmurHash3's finaliser. Shared by the runtime (which routes)
 * and the compiler (which folds routes over constant ids), so the two cannot
 * disagree.
 *
 *===---------------------------------------------------------------------===*/
#ifndef MODRT_HASH_H
#define MODRT_HASH_H

#include <stdint.h>

static inline uint32_t modrt_fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

#endif /* MODRT_HASH_H */
