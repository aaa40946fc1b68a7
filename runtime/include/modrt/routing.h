/*===- routing.h - Routing functions called by generated code ------*- C
-*-===*\
|*                                                                            *|
|* Part of modc, a compiler for modular deep-learning models.                 *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The run-time half of routing (LANGUAGE.md §7), one function per            *|
|* tensor-level routing op of the compiler (dialects/Mod/ModRouteOps.td),     *|
|* called through MLIR's C interface: each memref argument is a pointer to    *|
|* its descriptor. The compiler derives the declaration it calls from these   *|
|* prototypes (conversion/RuntimeABI.h): both sides share one definition.   *|
|*                                                                            *|
|* A decision is [R, K] slots of (target index, weight), index -1 for an      *|
|* empty slot. A plan lists the chosen (row, slot) pairs grouped by target:   *|
|* counts[t] pairs of target 0, then of target 1, ... Checks record an error  *|
|* that the entry wrapper returns (code 1) instead of reading out of bounds.  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef MODRT_ROUTING_H
#define MODRT_ROUTING_H

#include "modrt/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/** More memref descriptors in the convention of modrt_memref2d_f32. */
typedef struct modrt_memref2d_i64 {
  int64_t *allocated;
  int64_t *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} modrt_memref2d_i64;

typedef struct modrt_memref1d_i32 {
  int32_t *allocated;
  int32_t *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} modrt_memref1d_i32;

/** A message: Sizes[0] bytes of text, not NUL-terminated. */
typedef struct modrt_memref1d_i8 {
  int8_t *allocated;
  int8_t *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} modrt_memref1d_i8;

/** The decision of `topk` (k slots; Normalize: softmax over the chosen;
 *  Capacity > 0: each target keeps the first ceil(C * R * k / E) rows). */
void _mlir_ciface_modrt_route_topk(modrt_memref2d_f32 *Logits, int64_t K,
                                   int64_t Normalize, double Capacity,
                                   modrt_memref2d_i64 *Idx,
                                   modrt_memref2d_f32 *W);
void _mlir_ciface_modrt_route_softmax(modrt_memref2d_f32 *Logits,
                                      modrt_memref2d_i64 *Idx,
                                      modrt_memref2d_f32 *W);
void _mlir_ciface_modrt_route_expert_choice(modrt_memref2d_f32 *Logits,
                                            double Capacity,
                                            modrt_memref2d_i64 *Idx,
                                            modrt_memref2d_f32 *W);
/** Task ids: an id outside [0, E) raises an error naming Msg and the row. */
void _mlir_ciface_modrt_route_task_i32(modrt_memref1d_i32 *Ids, int64_t E,
                                       modrt_memref2d_i64 *Idx,
                                       modrt_memref2d_f32 *W,
                                       modrt_memref1d_i8 *Msg);
void _mlir_ciface_modrt_route_task_i64(modrt_memref1d_i64 *Ids, int64_t E,
                                       modrt_memref2d_i64 *Idx,
                                       modrt_memref2d_f32 *W,
                                       modrt_memref1d_i8 *Msg);
void _mlir_ciface_modrt_route_hash_i32(modrt_memref1d_i32 *Ids, int64_t E,
                                       modrt_memref2d_i64 *Idx,
                                       modrt_memref2d_f32 *W);
void _mlir_ciface_modrt_route_hash_i64(modrt_memref1d_i64 *Ids, int64_t E,
                                       modrt_memref2d_i64 *Idx,
                                       modrt_memref2d_f32 *W);
void _mlir_ciface_modrt_route_weights(modrt_memref2d_f32 *Weights,
                                      modrt_memref2d_i64 *Idx,
                                      modrt_memref2d_f32 *W);

/** mod.route.plan over E targets. */
void _mlir_ciface_modrt_route_plan(modrt_memref2d_i64 *Idx, int64_t E,
                                   modrt_memref1d_i64 *Counts,
                                   modrt_memref1d_i64 *Rows,
                                   modrt_memref1d_i64 *Slots);
/** mod.route.group_ids. */
void _mlir_ciface_modrt_route_group_ids(modrt_memref1d_i64 *Counts,
                                        modrt_memref1d_i64 *Groups);

/** How a routed target's output rows combine into the route's output: the
 *  `mode` of the scatters and of modrt_route_finish (the compiler's
 *  mod::ScatterMode has the same values, checked where it lowers them). */
enum modrt_scatter_mode {
  MODRT_SCATTER_WEIGHTED = 0, /* y[row] += w * ye   (weighted_sum)        */
  MODRT_SCATTER_SUM = 1,      /* y[row] += ye       (sum; mean: then / k) */
  MODRT_SCATTER_MAX = 2       /* y[row] = max(y[row], ye)   (max)         */
};

/** mod.route.scatter: Y[Rows[Begin + i]] op= Ye[i]. */
void _mlir_ciface_modrt_route_scatter(modrt_memref2d_f32 *Y,
                                      modrt_memref2d_f32 *Ye,
                                      modrt_memref1d_i64 *Rows,
                                      modrt_memref1d_i64 *Slots, int64_t Begin,
                                      modrt_memref2d_f32 *W, int64_t Mode);
/** mod.route.finish. */
void _mlir_ciface_modrt_route_finish(modrt_memref2d_f32 *Y,
                                     modrt_memref2d_i64 *Idx, int64_t Mode);
/** mod.route.dense over E targets (Dense is [R, E + 1]). */
void _mlir_ciface_modrt_route_dense(modrt_memref2d_i64 *Idx,
                                    modrt_memref2d_f32 *W, int64_t E,
                                    modrt_memref2d_f32 *Dense);
/** mod.route.distinct. */
void _mlir_ciface_modrt_route_distinct(modrt_memref2d_f32 *Dense,
                                       modrt_memref1d_i64 *Order,
                                       modrt_memref1d_i64 *Offsets,
                                       modrt_memref1d_i64 *NumGroups);

/** mod.check_index: an id outside [0, Bound) raises Msg with its position. */
void _mlir_ciface_modrt_check_index_i32(modrt_memref1d_i32 *Ids, int64_t Bound,
                                        modrt_memref1d_i8 *Msg);
void _mlir_ciface_modrt_check_index_i64(modrt_memref1d_i64 *Ids, int64_t Bound,
                                        modrt_memref1d_i8 *Msg);
/** The GPU path checks ids on the device and the host reports the first bad
 * one with these (host scalars only): id Id at position Pos outside
 * [0, Bound), raised as modrt_check_index_* and modrt_route_task_* do. */
void _mlir_ciface_modrt_report_index(int64_t Id, int64_t Pos, int64_t Bound,
                                     modrt_memref1d_i8 *Msg);
void _mlir_ciface_modrt_report_task_id(int64_t Id, int64_t Row, int64_t Bound,
                                       modrt_memref1d_i8 *Msg);
/** mod.check_le: Lhs > Rhs raises Msg with both values. */
void _mlir_ciface_modrt_check_le(int64_t Lhs, int64_t Rhs,
                                 modrt_memref1d_i8 *Msg);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MODRT_ROUTING_H */
