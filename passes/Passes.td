//===- Passes.td - modc passes -----------------------------*- tablegen -*-===//

#ifndef MODC_PASSES_TD
#define MODC_PASSES_TD

include "mlir/Pass/PassBase.td"

def InlineModules : Pass<"mod-inline-modules", "mlir::ModuleOp"> {
  let summary = "Inline every mod.apply and drop the module functions";
  let description = [{
    Replaces each `mod.apply` by the body of its module function, with the
    instance's parameters substituted, until no application is left, then
    erases the (now unused) private module functions. Run after the
    mod-level optimisations, which need the instance structure.
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
  let statistics = [
    Statistic<"numInlined", "applications-inlined",
              "Number of mod.apply ops inlined">
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
    (passes/RuntimeABI.h).
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

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
  let statistics = [
    Statistic<"numDispatches", "dispatches-lowered",
              "Number of mod.dispatch ops lowered to sparse dispatch">,
    Statistic<"numFusedLowered", "fused-dispatches-lowered",
              "Fused dispatches lowered to one grouped computation">,
    Statistic<"numMergesFactored", "merges-factored",
              "merge routes evaluated by exact factoring">,
    Statistic<"numMergeGroups", "merges-per-weight-vector",
              "merge routes mixing parameters once per distinct weight "
              "vector">
  ];
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

def EliminateInactiveModules
    : Pass<"mod-eliminate-inactive-modules", "mlir::ModuleOp"> {
  let summary = "Remove routing targets no row can reach";
  let description = [{
    A task or hash route over compile-time ids (constants, or an entry
    argument fixed by `modc --specialize ENTRY.ARG=VALUE`) reaches one
    target: the dispatch becomes an application of that target, and the
    others, with their parameter reads and computation, are gone. A weights
    route over compile-time weights (the same in every row, evaluated from
    constants and splats through elementwise arithmetic, e.g. the one-hot of
    a specialised id) loses the targets of weight 0: one left becomes its
    application (scaled for weighted_sum, with scaled parameters for merge),
    none left becomes zeros, several left keep a route over just those.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
  let options = [
    ListOption<"specialize", "specialize", "std::string",
               "ENTRY.ARG=VALUE: take the integer argument ARG of entry "
               "ENTRY to be VALUE in every element first (what "
               "`modc --specialize` does)">
  ];
  let statistics = [
    Statistic<"numEliminated", "modules-eliminated",
              "Routing targets removed because no row can reach them">,
    Statistic<"numSpecialised", "routes-specialised",
              "Routes replaced by one application of their only target">
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

def ApproximateMath : Pass<"mod-approximate-math", "mlir::ModuleOp"> {
  let summary = "Polynomial approximations of f32 transcendental functions";
  let description = [{
    Rewrites `math.exp`, `math.tanh`, `math.erf` and the other f32
    functions MLIR can approximate into polynomial arithmetic (within a few
    ulp, special values kept), so loops using them vectorise instead of
    calling libm per element. Logarithms stay libm calls (the approximation
    flushes subnormal inputs).
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
  let statistics = [
    Statistic<"numApproximated", "ops-approximated",
              "Math ops replaced by polynomial approximations">
  ];
}

def SplitEmptyTensors : Pass<"mod-split-empty-tensors", "mlir::ModuleOp"> {
  let summary = "Give every use of a tensor.empty its own op";
  let description = [{
    Run before empty-tensor elimination: a `tensor.empty` shared (after
    CSE) by independent computations would otherwise be replaced by one
    result's destination buffer, and the other computations would write
    into it too.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def FuseRoutedExperts : Pass<"mod-fuse-routed-experts", "mlir::ModuleOp"> {
  let summary = "Run the targets of a route over one module as one grouped "
                "computation";
  let description = [{
    Marks `fused` each `mod.dispatch` (not `merge`) over [rows, features]
    whose targets are all instances of one module with a groupable body:
    row-wise computation whose parameters are right operands of 2-D f32
    matmuls or row-invariant inputs of row-wise `linalg.generic`s.
    mod-lower-routing then groups the rows by target once, gathers them
    once, runs the body once with one grouped GEMM per parameter matmul
    (all targets' tiles in parallel, the weights read in place through a
    table of their addresses) and per-row parameter rows for the
    elementwise ones, and scatters the weighted results once. A route over
    one module that cannot be fused says why in an `unfused` attribute.
    A `merge` route over such a body is marked `factored` instead: the body
    runs once on all rows with h @ (sum_e w_e P_e) evaluated as
    sum_e w_e (h @ P_e), exactly, and no per-row weight matrix.
  }];
  let options = [
    Option<"minTargets", "min-targets", "int64_t", /*default=*/"2",
           "Fuse only routes with at least this many targets">
  ];
  let statistics = [
    Statistic<"numFused", "routes-fused", "Routes fused into one grouped "
              "computation">,
    Statistic<"numTargets", "targets-fused", "Targets of the fused routes">,
    Statistic<"numFactored", "merges-factored",
              "merge routes marked for exact factoring">
  ];
}

def FoldParameterComposition
    : Pass<"mod-fold-parameter-composition", "mlir::ModuleOp"> {
  let summary = "Fold a frozen linear layer and its low-rank terms into one "
                "weight computed at load time";
  let description = [{
    After inlining: a sum `x @ W + b + s1 (x @ A1) @ B1 + ...` over one input
    x, W frozen, becomes `x @ W' + b` with W' = W + s1 A1 B1 + ... a derived
    parameter (`mod.param ... {mod.derived}`, listed in the module attribute
    `mod.derived_params`) that the runtime recomputes after create, init and
    every successful load. Cost model per row: the terms cost
    (#full) K N + sum r_i (K + N) multiply-adds, the folded form K N; fold
    when cheaper.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
  let options = [
    Option<"foldTrainable", "fold-trainable", "bool", /*default=*/"false",
           "Also fold trainable full weights (inference-only libraries)">
  ];
  let statistics = [
    Statistic<"numFolded", "weights-folded",
              "Sums of weight terms folded into one derived weight">,
    Statistic<"numTerms", "terms-folded", "Terms folded">
  ];
}

#endif // MODC_PASSES_TD
