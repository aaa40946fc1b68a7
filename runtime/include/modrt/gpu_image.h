/*===- gpu_image.h - The kernel images a cuda library embeds ---*- C -*-===//
 *
 * A --target=cuda library embeds its kernels as one blob (compiler/
 * GpuCodeGen.cpp writes it, runtime/Cuda.cpp reads it): the magic, then
 * records, each a modrt_gpu_image_record header followed by its bytes and
 * zero padding to a multiple of 8, in the order the runtime tries them;
 * a record of kind 0 ends the list. Today: the cubin for the --gpu-arch
 * (when CUDA's ptxas was found at compile time), then the PTX with its
 * NUL, which the driver compiles for any newer GPU when the cubin does
 * not run there (an sm_80 build on an sm_90 GPU).
 *
 *===---------------------------------------------------------------------===*/
#ifndef MODRT_GPU_IMAGE_H
#define MODRT_GPU_IMAGE_H

#include <stdint.h>

#define MODRT_GPU_IMAGE_MAGIC "modcgpu1" /* 8 bytes, no NUL */

enum {
  MODRT_GPU_IMAGE_END = 0,
  MODRT_GPU_IMAGE_CUBIN = 1,
  MODRT_GPU_IMAGE_PTX = 2
};

typedef struct modrt_gpu_image_record {
  uint32_t kind;
  uint32_t reserved; /* 0 */
  uint64_t bytes;    /* of the data that follows, before padding */
} modrt_gpu_image_record;

#endif /* MODRT_GPU_IMAGE_H */
