//===- Passes.td - modc conversions ---------------------------*- tablegen -*-===//
//
// The conversions, in the order the pipeline runs them: mod -> tensors and
// linalg (routing, the entry calling convention), buffers -> runtime calls
// (routing ops, GEMMs, parallel loops), and the library interface in the
// LLVM dialect.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_CONVERSION_PASSES_TD
#define MODC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowerRouting : Pass<"mod-lower-routing", "mlir::ModuleOp"> {
  let summary = "Lower routing decisions, dispatch and aggregation";
  let description = [{
    Decision ops become runtime calls; `mod.dispatch` becomes sparse
    dispatch (each target runs once on exactly the rows routed to it, a
    target without rows is skipped); `merge` mixes parameters per row;
    `mod.aggregate` becomes linalg; `mod.check_*` become runtime checks.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::bufferization::BufferizationDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
  let options = [
    Option<"packedRowsBound", "packed-rows-bound", "bool", "false",
           "Size a fused route's packed rows by rows x slots, not by the "
           "sum of the plan's counts (which the host cannot read on the "
           "GPU path)">
  ];
  let statistics = [
    Statistic<"numDispatches", "dispatches-lowered",
              "Number of mod.dispatch ops lowered to sparse dispatch">,
    Statistic<"numFusedLowered", "fused-dispatches-lowered",
              "Fused dispatches lowered to one grouped computation">,
    Statistic<"numMergesFactored", "merges-factored",
              "merge routes evaluated by exact factoring">,
    Statistic<"numMergeGroups", "merges-per-weight-vector",
              "merge routes mixing parameters once per distinct weight "
              "vector">,
    Statistic<"numMergeRows", "merges-per-row",
              "merge routes of train blocks run row by row on each row's "
              "mixed parameters">
  ];
}

def LowerEntryABI : Pass<"mod-lower-entry-abi", "mlir::ModuleOp"> {
  let summary = "Give entries the compiled library's calling convention";
  let description = [{
    Rewrites each entry function (one with a `mod.signature`) into
    destination-passing style on memrefs: its arguments become the
    parameters it reads (in the order recorded in `mod.abi_params`), then the
    inputs, then one caller-owned output buffer per result. Parameter reads
    become the matching argument; results are materialised into the output
    buffers. Erases `mod.instance` (the parameter declarations stay for
    mod-lower-library-interface).
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect",
                           "mlir::memref::MemRefDialect"];
}

def LowerRoutingToRuntime
    : Pass<"mod-lower-routing-to-runtime", "mlir::ModuleOp"> {
  let summary = "Lower the buffer form of the routing ops to runtime calls";
  let description = [{
    After bufferization, each tensor-level routing op on buffers
    (`mod.route.*`, `mod.grouped_matmul`, `mod.grouped_matmul_scatter`)
    becomes one call of its function in modrt/routing.h or modrt/runtime.h,
    declared from the runtime's C prototype. A grouped matmul passes its E
    weight buffers as a table of addresses (each must be dense row-major).
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numCalls", "routing-ops-to-runtime",
              "Routing ops lowered to runtime calls">
  ];
}

def MatmulToRuntime : Pass<"mod-matmul-to-runtime", "mlir::ModuleOp"> {
  let summary = "Call the runtime's GEMM for zero-initialised f32 matmuls";
  let description = [{
    On buffers: `linalg.fill 0 -> C; linalg.matmul A, B -> C` (2-D, f32)
    becomes one call of `modrt_matmul_f32(A, B, C)`, the runtime's packed,
    register-blocked, multi-threaded GEMM.
  }];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numMatmuls", "matmuls-to-runtime",
              "Number of matmuls calling the runtime GEMM">
  ];
}

def OutlineParallel : Pass<"mod-outline-parallel", "mlir::ModuleOp"> {
  let summary = "Run outermost parallel loops on the runtime's threads";
  let description = [{
    On buffers, after linalg-to-parallel-loops: an outermost `scf.parallel`
    without results whose body neither calls nor allocates is outlined into
    `__modc_par_body_K(lo, hi, captures...)`, the loop with its first
    dimension cut to [lo, hi), and replaced by a call of the declaration
    `__modc_par_launch_K(n, work, captures...)` (n iterations, work an
    estimate of one iteration's cost). The library generator defines the
    launcher on top of `modrt_parallel_range`, which splits [0, n) over the
    entry call's threads when n * work is large enough to pay for it.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect"];
  let statistics = [
    Statistic<"numOutlined", "loops-outlined",
              "Parallel loops handed to the runtime's threads">
  ];
}

def LowerRoutingToLoops
    : Pass<"mod-lower-routing-to-loops", "mlir::ModuleOp"> {
  let summary = "Lower the routing ops' buffer form to loops (the GPU path)";
  let description = [{
    The second lowering of the tensor-level routing ops, beside
    mod-lower-routing-to-runtime: loops over their buffers with the
    semantics of the runtime functions, parallel where rows or elements are
    independent, for mod-map-to-gpu-kernels to map. Task routing, id
    checks, expert_choice, distinct and weight gradients are errors for now.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

def MapToGpuKernels : Pass<"mod-map-to-gpu-kernels", "mlir::ModuleOp"> {
  let summary = "Map the computations on buffers to GPU blocks and threads";
  let description = [{
    --target=cuda, after bufferization: copies and linalg ops become
    parallel loops, host ops touching tensor data are wrapped in a
    one-iteration loop, and each outermost `scf.parallel` is collapsed to one
    dimension and tiled: outer loop mapped to blocks, inner to threads
    (`#gpu.loop_dim_map`). The result still runs on the host (docs/gpu.md).
    Ops without a GPU lowering yet (routing ops, runtime calls) are errors
    at their location.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::gpu::GPUDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::scf::SCFDialect"];
}

def GatherGpuKernels : Pass<"mod-gather-gpu-kernels", "mlir::ModuleOp"> {
  let summary = "Move the outlined GPU kernels into one gpu.module";
  let description = [{
    After gpu-kernel-outlining, which makes one `gpu.module` per kernel:
    every kernel moves into `gpu.module @modc_kernels` under the name of its
    former module (unique), and each `gpu.launch_func` refers to it there.
    One module is one PTX text, loaded once per model.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def DefineGpuMath : Pass<"mod-define-gpu-math", "mlir::gpu::GPUModuleOp"> {
  let summary = "Define the libdevice functions the kernels call as LLVM "
                "intrinsics";
  let description = [{
    After convert-gpu-to-nvvm: `__nv_floorf`, `__nv_sqrtf`, `__nv_fmaf` and
    the other libdevice functions that are one instruction get a body
    calling LLVM's intrinsic, so that the PTX needs no libdevice (CUDA's
    toolkit is not required to compile).
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def StageEntryBuffers : Pass<"mod-stage-entry-buffers", "mlir::ModuleOp"> {
  let summary = "An entry's host form (staged buffers) and device form";
  let description = [{
    --target=cuda. Each entry first gets a copy, `modc.device.NAME`, its
    signature under `mod.device_entry` (exported as NAME_ENTRY_device with
    a stream), in which the caller's device buffers reach the kernels as
    they are; only an argument host code reads (anything but launches,
    sizes, views and calls whose callee does the same) is staged, with
    modrt_gpu_copy. Then, in the entry itself, each input is copied into a
    buffer of generated code (managed GPU memory in a cuda library) that
    replaces it, and each output is computed in such a buffer and copied
    back before each return. The leading `mod.abi_params` arguments, the
    model's parameters, are GPU memory already (modrt_create_gpu), and so
    are a train block's gradients. An entry named like another's device
    form is an error.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect"];
}

def CheckAllocSizes : Pass<"mod-check-alloc-sizes", "mlir::ModuleOp"> {
  let summary = "Fail the call before a buffer whose byte count overflows";
  let description = [{
    After bufferization: before each `memref.alloc` with dynamic sizes, the
    byte count (element size times every dim) is computed in f64, which
    cannot wrap, and if it passes 2^62 the runtime's
    `modrt_kernel_alloc_too_big` fails the call with code 4 (out of memory)
    through the allocation recovery point. Without it the i64 product
    lowered from the alloc wraps (a dyn of 2^52 rows of 1000 floats) into a
    small buffer that the kernel then overruns.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::scf::SCFDialect"];
  let statistics = [
    Statistic<"numChecked", "allocations-checked",
              "Dynamically sized allocations given a size check">
  ];
}

def LowerLibraryInterface
    : Pass<"mod-lower-library-interface", "mlir::ModuleOp"> {
  let summary = "Build the compiled library's exported C interface";
  let description = [{
    Runs on the LLVM dialect, after the kernels are lowered. From the
    module's model-level facts (`mod.model`, `mod.dim`, `mod.dyn`,
    `mod.param`, `mod.derived`, each entry's `mod.signature` and
    `mod.abi_params`) it builds the runtime's descriptor string and the
    exported functions of INTERFACE.md §2: `NAME_create`, `NAME_destroy`,
    `NAME_init`, `NAME_load`, `NAME_save`, `NAME_set_threads`,
    `NAME_error`, `NAME_describe` and one `NAME_ENTRY` per entry (argument
    checks, parameter lookup, the kernel call with expanded memref
    descriptors inside the runtime's call state and allocation recovery
    point). The kernels become internal `modc.kernel.ENTRY`; the
    model-level ops are erased, leaving plain LLVM dialect. Every runtime
    function is declared from the runtime's public header
    (conversion/RuntimeABI.h).
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // MODC_CONVERSION_PASSES_TD
