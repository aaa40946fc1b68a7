/*===- kernels.h - Runtime services for generated kernels -------*- C -*-===//
 *
 * Errors raised inside a kernel (an id out of range, ...) are recorded per
 * thread; the entry wrapper clears them before the kernel and takes them
 * after it, turning the first one into the call's return code and message.
 * The routing functions themselves are called through MLIR's C interface
 * (see runtime/Routing.cpp); they are not declared here.
 *
 *===---------------------------------------------------------------------===*/
#ifndef MODRT_KERNELS_H
#define MODRT_KERNELS_H

#include "modrt/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Records an error (the first of a call wins), e.g. from a check. */
void modrt_kernel_raise(int code, const char *message);
/* The recovery point of the kernel about to run on this thread: the entry
 * wrapper passes it to setjmp; an allocation failure inside the kernel frees
 * the kernel's buffers and longjmps there. modrt_kernel_leave forgets it. */
void *modrt_kernel_enter(void);
void modrt_kernel_leave(void);

/* An allocation whose byte count (computed in double by the generated
 * code, so it cannot wrap) passes 2^62: fails the call with code 4, as a
 * failed allocation does (frees the kernel's buffers and longjmps to the
 * recovery point). Declared here through MLIR's C interface. */
void _mlir_ciface_modrt_kernel_alloc_too_big(double bytes);

/* After a failed run-time check: on the entry's own thread, outside a
 * parallel loop, the call ends here (buffers freed, longjmp to the recovery
 * point), so nothing after the check computes on sizes it refused (a slice
 * of 2^28 rows of a 3-row input allocated and summed its zero box first).
 * Elsewhere it returns and the error is taken when the kernel ends. */
void modrt_kernel_fail_now(void);

/* Forgets any error recorded on this thread. */
void modrt_kernel_error_clear(void);
/** Non-zero if an error was raised during the current entry call. */
int modrt_kernel_error_pending(void);
/* 0 if the kernel raised nothing; else its code, with the message moved
 * into the model's error (modrt_error). */
int modrt_kernel_error_take(modrt_model *m);

/* --target=cuda. The CUDA stream (a CUstream; NULL: the default stream)
 * the launches and copies of the current call on this thread go on: a
 * `_device` entry's wrapper sets the caller's before its kernel and NULL
 * after it. */
void modrt_gpu_set_stream(void *stream);
/* Copies `bytes` from `src` to `dst`, any addresses the GPU maps (device,
 * managed or host memory), on the current stream, then waits for it: how
 * a `_device` entry stages an argument host code reads. */
void _mlir_ciface_modrt_gpu_copy(uint64_t dst, uint64_t src, int64_t bytes);

#ifdef __cplusplus
}
#endif

#endif /* MODRT_KERNELS_H */
