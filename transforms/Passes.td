//===- Passes.td - modc optimisations ---------------------------*- tablegen -*-===//
//
// The optimisations, in the order the pipeline runs them: mod -> mod
// rewrites (inactive-module elimination, expert fusion, inlining, parameter
// folding), the tensor-level clean-ups before bufferization, then the
// buffer-level ones after it.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_TRANSFORMS_PASSES_TD
#define MODC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

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

def Differentiate : Pass<"mod-differentiate", "mlir::ModuleOp"> {
  let summary = "Append the backward computation of each train block";
  let description = [{
    A train block (a function with `mod.train`, returning its loss) gets,
    after its forward ops, the reverse-mode adjoints of every value between
    an updated parameter and the loss (transforms/GradientRules.cpp: one
    rule for every linalg.generic from its scalar body, rules for
    linalg.matmul/batch_matmul/transpose and the tensor shape and slice
    ops), and returns the updated parameters' gradients after the loss, in
    update-line order, named by `mod.grads`. Frozen parameters and
    parameters no update line names are constants here: no adjoint, no
    gradient, no work. An op on the active path without a rule is an error
    at its location. Runs after mod-inline-modules, before the entry ABI.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::scf::SCFDialect"];
  let statistics = [
    Statistic<"numTrainBlocks", "train-blocks",
              "Train blocks differentiated">,
    Statistic<"numGradients", "gradients", "Parameter gradients returned">
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

def ExpandBf16Conversions : Pass<"mod-expand-bf16-conversions"> {
  let summary = "bf16 <-> f32 conversions as integer arithmetic";
  let description = [{
    Rewrites `arith.truncf` f32 -> bf16 (round to nearest even, NaN to the
    quiet NaN 0x7fc0, as PyTorch rounds) and `arith.extf` bf16 -> f32 into
    bit casts, shifts and integer adds. LLVM lowers `fptrunc` to bfloat to a
    library call per element without AVX512-BF16, and with it the loop
    vectoriser picks 4 lanes for loops that round every op's result (the
    f16/bf16 rule of LANGUAGE.md §3); integer arithmetic vectorises at the
    full width everywhere, and subnormals round exactly.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numExpanded", "conversions-expanded",
              "bf16 conversions rewritten into integer arithmetic">
  ];
}

def ApproximateMath : Pass<"mod-approximate-math"> {
  let summary = "Polynomial approximations of f32 transcendental functions";
  let description = [{
    Rewrites `math.exp`, `math.tanh`, `math.erf` and the other f32
    functions MLIR can approximate into polynomial arithmetic (within a few
    ulp, special values kept), so loops using them vectorise instead of
    calling libm per element. Logarithms stay libm calls (the approximation
    flushes subnormal inputs) unless `logarithms` is set, as for GPU
    kernels, which have no libm. Runs on any op (a module or a gpu.module).
  }];
  let options = [
    Option<"logarithms", "logarithms", "bool", /*default=*/"false",
           "Also approximate log, log2, log1p and powf (through exp and "
           "log)">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
  let statistics = [
    Statistic<"numApproximated", "ops-approximated",
              "Math ops replaced by polynomial approximations">
  ];
}

def SplitEmptyTensors : Pass<"mod-split-empty-tensors", "mlir::ModuleOp"> {
  let summary = "Give every use of a tensor.empty, and every destination "
                "use of a linalg.fill, its own op";
  let description = [{
    Run before empty-tensor elimination: a `tensor.empty` shared (after
    CSE) by independent computations would otherwise be replaced by one
    result's destination buffer, and the other computations would write
    into it too. A `linalg.fill` shared as the destination of several ops
    (CSE merges the zero initialisation of matmuls of one shape) gets one
    copy per destination use, or bufferization would allocate and copy the
    filled buffer for each.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def SplitLargeFunctions : Pass<"mod-split-large-functions", "mlir::ModuleOp"> {
  let summary = "Outline runs of a huge function's top-level ops into "
                "functions of bounded size";
  let description = [{
    A generated program of thousands of statements is one entry function of
    thousands of ops, and the analyses that follow (bufferization, buffer
    deallocation, LLVM's optimisations and code generation) grow faster
    than linearly in the size of a function. On tensors, before
    bufferization, this pass cuts the top-level ops of every single-block
    function larger than twice `ops-per-function` (counting nested ops)
    into consecutive runs of about max(`ops-per-function`, 2 sqrt(size))
    ops (so that the number of parts, on which the bufferization of their
    calls is quadratic, grows as the square root of the function), and
    moves each run but the last
    into a private function (`__modc_part_F_K`, marked `no_inline`) called
    in its place: the run's inputs become arguments and the values used
    after it become results. Constants, `tensor.dim`, `tensor.empty` and
    `linalg.fill` stay in the caller and are re-created inside instead of
    passed or returned, so a callee never writes into a caller's buffer. Ops on memrefs (the entry's `bufferization.to_tensor`
    of its arguments, `materialize_in_destination` into its outputs) stay in
    the original function, and so does the last run, which computes into
    the output buffers.
  }];
  let options = [
    Option<"opsPerFunction", "ops-per-function", "int64_t",
           /*default=*/"256", "Size (ops, nested ones included) above which "
           "a function is split (twice it), and the least of each part">
  ];
  let statistics = [
    Statistic<"numParts", "parts-outlined", "Runs of ops outlined">,
    Statistic<"numShared", "parts-shared",
              "Runs outlined as a call of an identical earlier part">
  ];
}

def CopyStridedCallArguments
    : Pass<"mod-copy-strided-call-arguments", "mlir::ModuleOp"> {
  let summary = "Pass dense copies of offset or strided views to functions";
  let description = [{
    After bufferization: a `memref.cast` of a view with a dynamic offset or
    strides to the identity layout of a module function's argument (what
    one-shot bufferization inserts at a call) loses the offset in every
    access compiled in the callee. Such an argument becomes a dense copy,
    freed after the call.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numCopied", "arguments-copied",
              "Views passed to a function as dense copies">
  ];
}

def SplitDeallocations
    : Pass<"mod-split-deallocations", "mlir::ModuleOp"> {
  let summary = "One `bufferization.dealloc` per allocation, after its last "
                "use";
  let description = [{
    Run right after ownership-based buffer deallocation (and its
    canonicalisation). That pass frees everything a block owns in one
    `bufferization.dealloc` at the block's end: one op over every
    intermediate buffer of a function, on which the simplification and
    lowering that follow are quadratic (and whose generic lowering compares
    every pair at run time), and every buffer stays alive until the function
    returns.

    Where each memref of such an op is a view of a distinct fresh
    allocation (a `memref.alloc` or `bufferization.clone` result, or a
    result of a call to a function of the module whose every return gives
    distinct values of that kind, so that the caller owns a new buffer), the
    op is split into one `bufferization.dealloc` per allocation. An
    allocation whose every alias (views and strided-metadata bases, followed
    transitively) is only read or written by ops of the op's block, none of
    which forwards it to another block or returns it, is freed right after
    the last of those ops, without a retain list: it cannot alias a retained
    value. The others stay in the original op.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

#endif // MODC_TRANSFORMS_PASSES_TD
