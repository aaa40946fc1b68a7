/*===- runtime.h - Runtime API called by generated model code -----*- C -*-===*\
|*                                                                            *|
|* Part of modc, a compiler for modular deep-learning models.                 *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The functions the compiler's exported wrappers (NAME_create, NAME_load,    *|
|* ...) forward to. The runtime is linked statically into each compiled       *|
|* library and these symbols keep hidden visibility: only the wrappers are    *|
|* exported. A model is described by the descriptor string the compiler       *|
|* embeds in the library (see Descriptor.cpp for its grammar).                *|
|*                                                                            *|
|* Every function taking a model accepts NULL and then returns MODRT_EINVAL   *|
|* (or NULL / a static message). No function aborts on bad input, and a call  *|
|* that fails leaves the parameters exactly as they were. One model may be    *|
|* used by one thread at a time; different models by many threads at once.    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef MODRT_RUNTIME_H
#define MODRT_RUNTIME_H

#include "modrt/modrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A model: its parameters, thread setting and last error message. */
typedef struct modrt_model modrt_model;

/** Returns the reflection data of a descriptor, parsed on first use and cached
 *  for the life of the process (thread-safe); NULL if desc is NULL or
 *  malformed. */
const modrt_info *modrt_describe(const char *desc);

/** Creates a model with every parameter zero-filled and 64-byte aligned;
 *  NULL if the descriptor is malformed or memory is short. */
modrt_model *modrt_create(const char *desc);
/** modrt_create of a --target=cuda library: the parameter block in managed
 *  GPU memory when a GPU opens (host memory otherwise). */
modrt_model *modrt_create_gpu(const char *desc);

/** 0, or 5 with the reason in the model's error when the model is one of
 *  modrt_create_gpu whose GPU cannot be opened (no driver, no device). An
 *  entry or train step of a --target=cuda library calls it before any
 *  work: its host code would otherwise run on results no kernel wrote. */
int modrt_gpu_require(modrt_model *m);

/** Frees a model; NULL is a no-op. */
void modrt_destroy(modrt_model *m);

/** Runs every parameter's initialiser, deterministically for a given seed on
 *  every machine (see Init.cpp). */
int modrt_init(modrt_model *m, uint64_t seed);

/** Loads all parameters from a safetensors file, all-or-nothing. */
int modrt_load(modrt_model *m, const char *path);

/** Saves all parameters to a safetensors file, atomically (via a temporary
 *  file renamed over path). */
int modrt_save(const modrt_model *m, const char *path);

/** Copies parameter `name` (its state_dict name) into out, a buffer of its
 *  size (count * element size, dense row-major). MODRT_EINVAL (1) for an
 *  unknown name or a NULL argument, with the message on m. */
int modrt_get_param(const modrt_model *m, const char *name, void *out);

/** Replaces parameter `name` with the bytes at in (its size); the derived
 *  parameters are recomputed before the next entry call (modrt_begin_call)
 *  or modrt_param_data of one, once however many were set. Errors as
 *  modrt_get_param. */
int modrt_set_param(modrt_model *m, const char *name, const void *in);

/* Training (LANGUAGE.md §10, runtime/Training.cpp). The generated NAME_TRAIN
 * wrapper asks for a gradient buffer per updated parameter (allocated on
 * first use, zero-filled; NULL when memory is short, the model's error set),
 * runs the kernel, which writes the loss and the gradients, and only if it
 * succeeded calls modrt_train_step: the train block's optimisers update the
 * parameters in place (state allocated before anything changes: a failure
 * changes nothing). The optimiser state is zero after create, init and load. */
void *modrt_grad_data(modrt_model *m, int32_t param);
int modrt_train_step(modrt_model *m, int32_t train);
/* Safetensors with PyTorch's names: PARAM.exp_avg, PARAM.exp_avg_sq,
 * PARAM.momentum_buffer and TRAIN.step (i64 scalar); load is all-or-nothing. */
int modrt_save_optimizer(const modrt_model *m, const char *path);
int modrt_load_optimizer(modrt_model *m, const char *path);
/** Sets the number of threads entries may use; n must be >= 1. */
int modrt_set_threads(modrt_model *m, int n);

/** Returns the thread setting: by default the number of online cores.
 *  Returns MODRT_EINVAL (1) for a NULL model. */
int modrt_num_threads(const modrt_model *m);

/** Returns the message of the last failed call on m, "" if none; a static
 *  message for a NULL model. Valid until the next call on m. */
const char *modrt_error(const modrt_model *m);

/** Returns the data of parameter index (dense, row-major, 64-byte aligned),
 *  or NULL for a NULL model or an index out of range. Indices from
 *  num_params on are the descriptor's derived parameters (folded weights),
 *  in their order: the runtime recomputes them after create, init and every
 *  successful load. */
void *modrt_param_data(modrt_model *m, int32_t index);

/** Records a printf-style error message on m and returns code (MODRT_EINVAL
 *  for a NULL model). */
int modrt_fail(modrt_model *m, int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/** Clears the error message of m; NULL is a no-op. */
void modrt_clear_error(modrt_model *m);

/** Checks a dyn argument of an entry: 0 if value >= 0, otherwise
 *  MODRT_EINVAL with "ENTRY: dyn dimension DYN = VALUE is negative". */
int modrt_check_dyn(modrt_model *m, const char *entry, const char *dyn,
                    int64_t value);

/*===-- Called by generated kernels ---------------------------------------===*/

/** Makes m the model of the entry call running on the calling thread; the
 *  generated entry wrapper calls it before the kernel and modrt_end_call(m)
 *  after. Kernels then run on m's thread pool: modrt_num_threads(m) threads,
 *  the calling thread included, created at the first call that needs more
 *  than one and kept, sleeping, between calls. Calls may nest (the previous
 *  model is restored); NULL is a no-op. */
void modrt_begin_call(modrt_model *m);
void modrt_end_call(modrt_model *m);

/** Runs fn(ctx, i) for every i in [0, n), each exactly once, on the thread
 *  pool of the current entry call (inline if there is none, or when called
 *  from inside another modrt_parallel_for body), and returns when all are
 *  done. */
void modrt_parallel_for(int64_t n, void (*fn)(void *ctx, int64_t i), void *ctx);

/** Runs fn(ctx, lo, hi) over disjoint ranges covering [0, n), each index
 *  exactly once, on the current entry call's threads. `work` estimates the
 *  cost of one index (in simple operations): when n * work is too small to
 *  pay for waking threads, or there is one thread, it is fn(ctx, 0, n) on
 *  the calling thread. Generated code calls it for its parallel loops. */
void modrt_parallel_range(int64_t n, int64_t work,
                          void (*fn)(void *ctx, int64_t lo, int64_t hi),
                          void *ctx);

/** A 2-D f32 memref as MLIR passes it to a `llvm.emit_c_interface`
 *  function: element (i, j) is aligned[offset + i * strides[0] +
 *  j * strides[1]]. */
typedef struct modrt_memref2d_f32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} modrt_memref2d_f32;

/** C = A @ B, overwriting C: A is [M, K], B is [K, N], C is [M, N], with any
 *  strides (a unit inner stride is the fast case). K == 0 sets C to zero;
 *  M == 0 or N == 0 does nothing. C must not overlap A or B. Mismatched
 *  sizes, negative sizes or NULL arguments leave C untouched. Runs on the
 *  current entry call's threads (see modrt_begin_call); see docs/gemm.md. */
void _mlir_ciface_modrt_matmul_f32(modrt_memref2d_f32 *A, modrt_memref2d_f32 *B,
                                   modrt_memref2d_f32 *C);

/** A 2-D bf16 memref (the raw 16 bits of each element) in the same
 *  convention. */
typedef struct modrt_memref2d_bf16 {
  uint16_t *allocated;
  uint16_t *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} modrt_memref2d_bf16;

/** C = A @ float(B) for a bf16 B (a bf16 weight read in place, widened
 *  exactly), with the contract of _mlir_ciface_modrt_matmul_f32: the sum is
 *  accumulated in f32. */
void _mlir_ciface_modrt_matmul_f32_bf16(modrt_memref2d_f32 *A,
                                        modrt_memref2d_bf16 *B,
                                        modrt_memref2d_f32 *C);

/** A 2-D f16 memref (the raw 16 bits of each IEEE half) in the same
 *  convention. */
typedef struct modrt_memref2d_f16 {
  uint16_t *allocated;
  uint16_t *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} modrt_memref2d_f16;

/** C = A @ float(B) for an f16 B (widened exactly, a block at a time), with
 *  the contract of _mlir_ciface_modrt_matmul_f32. */
void _mlir_ciface_modrt_matmul_f32_f16(modrt_memref2d_f32 *A,
                                       modrt_memref2d_f16 *B,
                                       modrt_memref2d_f32 *C);

/** A 3-D f32 memref in the same convention. */
typedef struct modrt_memref3d_f32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[3];
  int64_t strides[3];
} modrt_memref3d_f32;

/** C[b] = A[b] @ B[b] for every b, overwriting C: A is [Batch, M, K], B is
 *  [Batch, K, N], C is [Batch, M, N], any strides; the same rules as
 *  modrt_matmul_f32 otherwise. With at least as many products as threads,
 *  each thread computes whole products. */
void _mlir_ciface_modrt_batch_matmul_f32(modrt_memref3d_f32 *A,
                                         modrt_memref3d_f32 *B,
                                         modrt_memref3d_f32 *C);

/** A 1-D i64 memref in the same convention. */
typedef struct modrt_memref1d_i64 {
  int64_t *allocated;
  int64_t *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} modrt_memref1d_i64;

/** The grouped product of routed experts: the rows of A (and of C) come in
 *  groups of Counts[g] consecutive rows, g = 0..G-1; group g's rows are
 *  multiplied by its own weight, a dense row-major [K, N] f32 matrix at
 *  address Weights[g]: C[rows of g] = A[rows of g] @ W_g, overwriting C.
 *  Rows after the last group are left alone. Tiles of all groups run in
 *  parallel on the current entry call's threads. Negative counts, counts
 *  summing past A's rows or mismatched sizes leave C untouched. */
void _mlir_ciface_modrt_grouped_matmul_f32(modrt_memref2d_f32 *A,
                                           modrt_memref1d_i64 *Weights,
                                           modrt_memref1d_i64 *Counts,
                                           modrt_memref2d_f32 *C);

/** The same with the gather fused in: row i of the grouped A is
 *  X[RowList[i]] (RowList: unit stride, at least C's rows; every index
 *  used must lie in [0, X's rows) or C is left untouched). Each tile
 *  gathers its own rows into a per-thread block just before its product,
 *  so the packed input of a route is never written out whole. */
void _mlir_ciface_modrt_grouped_gather_matmul_f32(modrt_memref2d_f32 *X,
                                                  modrt_memref1d_i64 *RowList,
                                                  modrt_memref1d_i64 *Weights,
                                                  modrt_memref1d_i64 *Counts,
                                                  modrt_memref2d_f32 *C);

/** The last grouped product of a fused route with the weighted scatter
 *  fused in: for packed row i of group g (groups of Counts[g] consecutive
 *  rows), Y[RowList[i]] op= RouteW[RowList[i], SlotList[i]] * (A_i @ W_g),
 *  op being the modrt_scatter_mode Mode
 *  (modrt/routing.h); A_i is A[i], or
 *  A[RowList[i]] with GatherRows. Each thread owns a block of Y's columns
 *  across all groups: no two threads write one element, and each element
 *  gets its contributions in group order (deterministic, the order of
 *  modrt_route_scatter). Out-of-range lists or sizes leave Y untouched. */
void _mlir_ciface_modrt_grouped_matmul_scatter_f32(
    modrt_memref2d_f32 *A, modrt_memref1d_i64 *RowList,
    modrt_memref1d_i64 *SlotList, modrt_memref1d_i64 *Weights,
    modrt_memref1d_i64 *Counts, modrt_memref2d_f32 *RouteW,
    modrt_memref2d_f32 *Y, int64_t GatherRows, int64_t Mode);

/** The grouped product with each weight used transposed: Weights[g] is
 *  the address of a dense row-major [N, K] f32 matrix W_g and C[rows of g]
 *  = A[rows of g] @ W_g^T (dX = dY W^T of a grouped product's backward);
 *  otherwise the contract of _mlir_ciface_modrt_grouped_matmul_f32. */
void _mlir_ciface_modrt_grouped_matmul_nt_f32(modrt_memref2d_f32 *A,
                                              modrt_memref1d_i64 *Weights,
                                              modrt_memref1d_i64 *Counts,
                                              modrt_memref2d_f32 *C);

/** The weight gradients of a grouped product: for rows of A ([M, K]) and
 *  DY ([M, N]) in groups of Counts[g] consecutive rows, DW[g] = A[rows of
 *  g]^T @ DY[rows of g] ([G, K, N], overwritten; zero for an empty group).
 *  Tiles of all groups run in parallel on the current entry call's
 *  threads. Mismatched sizes or counts past A's rows leave DW untouched. */
void _mlir_ciface_modrt_grouped_weight_grad_f32(modrt_memref2d_f32 *A,
                                                modrt_memref1d_i64 *Counts,
                                                modrt_memref2d_f32 *DY,
                                                modrt_memref3d_f32 *DW);

/** The same gradients written in place: Out[g] is the address of group
 *  g's dense row-major [K, N] f32 gradient (a parameter's gradient
 *  buffer), overwritten. A NULL address or mismatched sizes leave every
 *  gradient untouched. */
void _mlir_ciface_modrt_grouped_weight_grad_to_f32(modrt_memref2d_f32 *A,
                                                   modrt_memref1d_i64 *Counts,
                                                   modrt_memref2d_f32 *DY,
                                                   modrt_memref1d_i64 *Out);

/** The three grouped products above with bf16 weights: Weights[g] is the
 *  address of a dense row-major [K, N] bf16 matrix (raw bits), widened
 *  exactly and accumulated in f32, as _mlir_ciface_modrt_matmul_f32_bf16;
 *  otherwise the same contracts. */
void _mlir_ciface_modrt_grouped_matmul_f32_bf16(modrt_memref2d_f32 *A,
                                                modrt_memref1d_i64 *Weights,
                                                modrt_memref1d_i64 *Counts,
                                                modrt_memref2d_f32 *C);
void _mlir_ciface_modrt_grouped_gather_matmul_f32_bf16(
    modrt_memref2d_f32 *X, modrt_memref1d_i64 *RowList,
    modrt_memref1d_i64 *Weights, modrt_memref1d_i64 *Counts,
    modrt_memref2d_f32 *C);
void _mlir_ciface_modrt_grouped_matmul_scatter_f32_bf16(
    modrt_memref2d_f32 *A, modrt_memref1d_i64 *RowList,
    modrt_memref1d_i64 *SlotList, modrt_memref1d_i64 *Weights,
    modrt_memref1d_i64 *Counts, modrt_memref2d_f32 *RouteW,
    modrt_memref2d_f32 *Y, int64_t GatherRows, int64_t Mode);

/** The same with f16 weights (IEEE half, raw bits), widened exactly as
 *  _mlir_ciface_modrt_matmul_f32_f16 widens them. */
void _mlir_ciface_modrt_grouped_matmul_f32_f16(modrt_memref2d_f32 *A,
                                               modrt_memref1d_i64 *Weights,
                                               modrt_memref1d_i64 *Counts,
                                               modrt_memref2d_f32 *C);
void _mlir_ciface_modrt_grouped_gather_matmul_f32_f16(
    modrt_memref2d_f32 *X, modrt_memref1d_i64 *RowList,
    modrt_memref1d_i64 *Weights, modrt_memref1d_i64 *Counts,
    modrt_memref2d_f32 *C);
void _mlir_ciface_modrt_grouped_matmul_scatter_f32_f16(
    modrt_memref2d_f32 *A, modrt_memref1d_i64 *RowList,
    modrt_memref1d_i64 *SlotList, modrt_memref1d_i64 *Weights,
    modrt_memref1d_i64 *Counts, modrt_memref2d_f32 *RouteW,
    modrt_memref2d_f32 *Y, int64_t GatherRows, int64_t Mode);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MODRT_RUNTIME_H */
