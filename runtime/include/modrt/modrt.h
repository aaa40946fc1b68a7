/*===- modrt.h - Public C interface of the modc runtime -----------*- C -*-===*\
|*                                                                            *|
|* Part of modc, a compiler for modular deep-learning models.                 *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The types every compiled model library shares: error codes, element types  *|
|* and the reflection structs returned by NAME_describe(). This header is     *|
|* copied next to the generated model headers, so it includes nothing but     *|
|* <stdint.h> and stays valid C99 and C++.                                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef MODRT_MODRT_H
#define MODRT_MODRT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the layout of the structs below; modrt_info.abi_version. */
#define MODRT_ABI_VERSION 2

/** Return codes of every model function. */
enum {
  MODRT_OK = 0,          /**< Success. */
  MODRT_EINVAL = 1,      /**< Invalid argument (NULL model, negative dim...). */
  MODRT_EIO = 2,         /**< A file cannot be opened, read or written. */
  MODRT_EFORMAT = 3,     /**< Truncated or malformed file, or a mismatch. */
  MODRT_ENOMEM = 4,      /**< Out of memory. */
  MODRT_EUNSUPPORTED = 5 /**< Unsupported on this device. */
};

/** Element type of a tensor or parameter. */
typedef enum modrt_dtype {
  MODRT_F32 = 0,
  MODRT_F16 = 1,
  MODRT_BF16 = 2,
  MODRT_I32 = 3,
  MODRT_I64 = 4,
  MODRT_BOOL = 5
} modrt_dtype;

/** A symbolic dimension: constant + sum(coeff[i] * dyn[dyn_index[i]]), where
 *  dyn_index indexes modrt_info.dyn_names. */
typedef struct modrt_dim {
  int64_t constant;
  int32_t num_terms;
  const int32_t *dyn_index;
  const int64_t *coeff;
} modrt_dim;

/** An input or output of an entry. */
typedef struct modrt_tensor_info {
  const char *name;
  modrt_dtype dtype;
  int32_t rank;
  const modrt_dim *dims; /**< rank symbolic dimensions, outermost first. */
} modrt_tensor_info;

/** A parameter, named by its instance path (e.g. "layer0.experts.3.A"). */
typedef struct modrt_param_info {
  const char *name;
  modrt_dtype dtype;
  int32_t rank;
  const int64_t *shape; /**< rank static dimensions, outermost first. */
  int32_t trainable;    /**< 1 if trainable, 0 if frozen. */
  int64_t count;        /**< Number of elements: the product of shape. */
} modrt_param_info;

/** An exported entry function NAME_ENTRY. */
typedef struct modrt_entry_info {
  const char *name;
  int32_t num_dyns;
  const int32_t *dyns; /**< Indices into modrt_info.dyn_names, in ABI argument
                            order. */
  int32_t num_inputs;
  const modrt_tensor_info *inputs;
  int32_t num_outputs;
  const modrt_tensor_info *outputs;
} modrt_entry_info;

/** Everything a caller can learn about a compiled model. Arrays with a count
 *  of zero may be NULL. The struct lives as long as the library is loaded. */
typedef struct modrt_info {
  uint32_t abi_version; /**< MODRT_ABI_VERSION. */
  const char *model_name;
  int32_t num_params;
  const modrt_param_info *params;
  int32_t num_entries;
  const modrt_entry_info *entries;
  int32_t num_dims; /**< Compile-time `dim`s with their values. */
  const char *const *dim_names;
  const int64_t *dim_values;
  int32_t num_dyns; /**< Runtime `dyn` dimensions, in declaration order. */
  const char *const *dyn_names;
  /** Train blocks NAME_TRAIN (version 2): their inputs, and one output, the
   *  rank-0 f32 `loss`. */
  int32_t num_trains;
  const modrt_entry_info *trains;
} modrt_info;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MODRT_MODRT_H */
