//===- ModOps.td - Operations of the mod dialect -----------*- tablegen -*-===//

#ifndef MOD_OPS_TD
#define MOD_OPS_TD

include "dialects/Mod/ModAttrs.td"
include "dialects/Mod/ModDialect.td"
include "dialects/Mod/ModInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/CallInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// The model: what the compiled library's interface is built from
// (mod-lower-library-interface). The module attribute `mod.model` names the
// model; entries are the functions with a `mod.signature`.
//===----------------------------------------------------------------------===//

def Mod_DimOp : Mod_Op<"dim"> {
  let summary = "declares a named compile-time dimension";
  let description = [{
    A `dim` of the program (after `-D` overrides), listed by the library's
    reflection data in declaration order.

    ```mlir
    mod.dim "D" = 1024
    ```
  }];
  let arguments = (ins StrAttr:$name, I64Attr:$value);
  let assemblyFormat = "$name `=` $value attr-dict";
  let hasVerifier = 1;
}

def Mod_DynOp : Mod_Op<"dyn"> {
  let summary = "declares a run-time dimension";
  let description = [{
    A `dyn` of the program. The k-th `mod.dyn` of the module is symbol k of
    the shapes in `mod.signature`; an entry's exported function takes the
    dyns it uses as `int64_t` arguments in this order.

    ```mlir
    mod.dyn "N"
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let assemblyFormat = "$name attr-dict";
}

def Mod_ParamOp : Mod_Op<"param", [Symbol]> {
  let summary = "declares one parameter of the model";
  let description = [{
    A parameter tensor owned by the compiled model, named by its state_dict
    path. `init` is the `.mod` initialiser (`zeros`, `ones`, `const`,
    `normal`, `uniform`, `xavier`) with its arguments; `frozen` marks a
    parameter that training must not update. The shape is static. The
    library stores parameters in the order of these declarations.

    ```mlir
    mod.param @"adapter.A" : tensor<1024x16xf32> init normal [0.0, 2.0e-02]
    mod.param @"base.w" : tensor<1024x1024xf32> init xavier frozen
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<AnyStaticShapeTensor>:$type,
                       Mod_InitKind:$init,
                       OptionalAttr<F64ArrayAttr>:$init_args,
                       UnitAttr:$frozen);
  let assemblyFormat = [{
    $sym_name `:` $type `init` $init ($init_args^)? (`frozen` $frozen^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Mod_DerivedOp : Mod_Op<"derived",
    [Symbol, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "declares a weight the runtime derives from parameters";
  let description = [{
    A 2-D f32 weight that is not a parameter: the runtime computes it as the
    sum of its terms (`#mod.term<s, @a>` is s * a, `#mod.term<s, @a, @b>` is
    s * a @ b) after create, init and every successful load. It is read with
    `mod.param_ref` like a parameter, but it is not in the state dict.
    Created by mod-fold-parameter-composition.

    ```mlir
    mod.derived @"base.w+adapter" : tensor<1024x1024xf32>
        = [#mod.term<1.0, @"base.w">, #mod.term<2.0, @"adapter.A", @"adapter.B">]
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<AnyStaticShapeTensor>:$type,
                       TypedArrayAttrBase<Mod_DerivedTermAttr,
                                          "derived parameter terms">:$terms);
  let assemblyFormat = "$sym_name `:` $type `=` $terms attr-dict";
  let hasVerifier = 1;
}

def Mod_InstanceOp : Mod_Op<"instance",
    [Symbol, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "declares a model-level instance (or instance array)";
  let description = [{
    An instance of a module owned by the model: the module function it
    instantiates, the number of elements for an instance array, and whether
    it is frozen. Its parameters are the `mod.param`s whose names start with
    the instance path; applications name it in their `instance` attribute.

    ```mlir
    mod.instance @experts of @SwiGLU_512_1024 count 8
    mod.instance @base of @Linear_1024_1024 frozen
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, FlatSymbolRefAttr:$module,
                       OptionalAttr<I64Attr>:$count, UnitAttr:$frozen);
  let assemblyFormat = [{
    $sym_name `of` $module (`count` $count^)? (`frozen` $frozen^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Mod_ParamRefOp : Mod_Op<"param_ref",
    [Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "reads a parameter of the model";
  let description = [{
    The current value of a `mod.param` or `mod.derived`. Parameters change
    only between calls
    (loading, initialising), so within one call the read is pure.

    ```mlir
    %w = mod.param_ref @"base.w" : tensor<1024x1024xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def Mod_ApplyOp : Mod_Op<"apply",
    [DeclareOpInterfaceMethods<CallOpInterface>,
     DeclareOpInterfaceMethods<Mod_ModuleUserInterface>,
     DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "applies a module instance to its inputs";
  let description = [{
    Calls the module function `callee` for the instance named `instance`
    (its state_dict prefix). The first `num_params` operands are the
    instance's parameters, in the order of the module's parameter arguments;
    the rest are the inputs.

    ```mlir
    %y = mod.apply @Linear_1024_1024(%w, %b, %x) {instance = "base", num_params = 2 : i64}
        : (tensor<1024x1024xf32>, tensor<1024xf32>, tensor<?x1024xf32>) -> tensor<?x1024xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee,
                       StrAttr:$instance,
                       I64Attr:$num_params,
                       Variadic<AnyType>:$operands);
  let results = (outs Variadic<AnyType>:$results);
  let assemblyFormat = [{
    $callee `(` $operands `)` attr-dict `:` functional-type($operands, $results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The parameter operands, then the inputs.
    ::mlir::OperandRange getParams() {
      return getOperands().take_front(getNumParams());
    }
    ::mlir::OperandRange getInputs() {
      return getOperands().drop_front(getNumParams());
    }
  }];
}

//===----------------------------------------------------------------------===//
// Routing decisions: one op per router of LANGUAGE.md §7. Each takes the
// decision tensor with the routed dims already flattened into R rows and
// yields, per row, K slots of (target index, weight); index -1 marks an empty
// slot (not chosen, or dropped by capacity).
//===----------------------------------------------------------------------===//

class Mod_DecisionOp<string mnemonic, string summaryText, string descr,
                     dag extraArgs>
    : Mod_Op<mnemonic, [Pure,
        DeclareOpInterfaceMethods<Mod_RoutingDecisionInterface>]> {
  let summary = summaryText;
  let description = descr;
  let arguments = !con((ins RankedTensorOf<[AnyType]>:$input,
                            I64Attr:$num_targets), extraArgs);
  let results = (outs 2DTensorOf<[I64]>:$indices,
                      2DTensorOf<[F32]>:$weights);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($indices) `,` type($weights)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Mod_TopkDecisionOp : Mod_DecisionOp<"topk", "top-k routing decision", [{
    For each row of `logits` (`[R, E]`), the `k` largest logits; ties go to
    the lower target index (`tie = "lower_index"` is the only rule). Weights
    are the softmax over the k chosen logits when `normalize`, else the
    softmax over all E read at the chosen ones. With `capacity > 0` each
    target keeps the first `ceil(capacity * R * k / E)` rows (in row order)
    that chose it; the other choices become empty slots. Results are
    `[R, k]`.

    ```mlir
    %idx, %w = mod.topk %logits {num_targets = 8 : i64, k = 2 : i64,
        normalize = true, capacity = 0.0 : f64, tie = "lower_index"}
        : tensor<?x8xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
    ```
  }], (ins I64Attr:$k, BoolAttr:$normalize, F64Attr:$capacity,
           DefaultValuedStrAttr<StrAttr, "lower_index">:$tie)>;

def Mod_SoftmaxDecisionOp : Mod_DecisionOp<"softmax_gate",
    "dense softmax routing decision", [{
    Every target, weighted by softmax(logits) of the row. Results `[R, E]`
    with slot e holding target e.

    ```mlir
    %idx, %w = mod.softmax_gate %logits {num_targets = 4 : i64}
        : tensor<?x4xf32> -> tensor<?x4xi64>, tensor<?x4xf32>
    ```
  }], (ins)>;

def Mod_ExpertChoiceDecisionOp : Mod_DecisionOp<"expert_choice",
    "expert-choice routing decision", [{
    p = softmax(logits); each target e takes the `min(ceil(capacity*R/E), R)`
    rows with the largest p[:, e] (ties: lower row first), with weight
    p[r, e]. Results `[R, E]`: slot e is e if row r was taken by e, else -1.

    ```mlir
    %idx, %w = mod.expert_choice %logits {num_targets = 4 : i64, capacity = 1.0 : f64}
        : tensor<?x4xf32> -> tensor<?x4xi64>, tensor<?x4xf32>
    ```
  }], (ins F64Attr:$capacity)>;

def Mod_TaskDecisionOp : Mod_DecisionOp<"task", "task-id routing decision", [{
    Row r goes to target `ids[r]` with weight 1. An id outside
    [0, num_targets) is a run-time error (code 1) whose message names
    `entry`, `arg` and the row.

    ```mlir
    %idx, %w = mod.task %ids {num_targets = 4 : i64, entry = "forward", arg = "task_id"}
        : tensor<?xi32> -> tensor<?x1xi64>, tensor<?x1xf32>
    ```
  }], (ins StrAttr:$entry, StrAttr:$arg)>;

def Mod_HashDecisionOp : Mod_DecisionOp<"hash", "hash routing decision", [{
    Row r goes to target `fmix32(uint32(ids[r])) % num_targets` (MurmurHash3
    finaliser of the id's low 32 bits), weight 1.

    ```mlir
    %idx, %w = mod.hash %ids {num_targets = 16 : i64}
        : tensor<?xi64> -> tensor<?x1xi64>, tensor<?x1xf32>
    ```
  }], (ins)>;

def Mod_WeightsDecisionOp : Mod_DecisionOp<"weights",
    "explicit-weights routing decision", [{
    Every target e with `w[r, e] != 0`, weight `w[r, e]`. Results `[R, E]`.

    ```mlir
    %idx, %w2 = mod.weights %w {num_targets = 8 : i64}
        : tensor<?x8xf32> -> tensor<?x8xi64>, tensor<?x8xf32>
    ```
  }], (ins)>;

//===----------------------------------------------------------------------===//
// Dispatch and aggregation
//===----------------------------------------------------------------------===//

def Mod_DispatchOp : Mod_Op<"dispatch", [AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<Mod_ModuleUserInterface>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "applies routed targets to their rows and aggregates";
  let description = [{
    The sparse core of routing. `input` holds R rows (`[R, F...]`, the routed
    dims of the source already flattened; `level` records how many there
    were). Target t is the module function `targets[t]` applied with the
    parameters `params[segment t]` (instance `instances[t]`). Each target is
    applied only to the rows whose decision (`indices`, `weights`: `[R, K]`)
    names it, and its outputs are combined per row by `aggregation`:
    `weighted_sum` (sum of w * f_t(x_r)), `sum`, `mean`, `max` (over the
    chosen targets, ignoring weights) or `merge` (the module applied once per
    row with parameters sum_t w[r, t] * theta_t; targets must share one
    module). A row with no chosen target yields 0. `result_dims` are the
    run-time sizes of the result's dynamic dims after the first, in order.

    ```mlir
    %y = mod.dispatch %x, %idx, %w params(%a0, %b0, %a1, %b1)
        {targets = [@FFN_8_16, @FFN_8_16], instances = ["experts.0", "experts.1"],
         param_segments = array<i64: 2, 2>, aggregation = #mod<aggregation weighted_sum>,
         level = 1 : i64}
        : (tensor<?x8xf32>, tensor<?x2xi64>, tensor<?x2xf32>, ...) -> tensor<?x8xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyType]>:$input,
                       2DTensorOf<[I64]>:$indices,
                       2DTensorOf<[F32]>:$weights,
                       Variadic<AnyRankedTensor>:$params,
                       Variadic<Index>:$result_dims,
                       FlatSymbolRefArrayAttr:$targets,
                       StrArrayAttr:$instances,
                       DenseI64ArrayAttr:$param_segments,
                       Mod_AggregationAttr:$aggregation,
                       I64Attr:$level,
                       OptionalAttr<Mod_DispatchStrategyAttr>:$strategy);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $indices `,` $weights (`params` `(` $params^ `)`)?
    (`dims` `(` $result_dims^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// The parameters passed to target `t`.
    ::mlir::OperandRange getTargetParams(unsigned t);
    /// True if every target is an instance of the same module, the case
    /// expert fusion turns into one grouped computation.
    bool isHomogeneous();
  }];
}

def Mod_AggregateOp : Mod_Op<"aggregate", [Pure]> {
  let summary = "combines the outputs of globally routed targets";
  let description = [{
    Aggregation for the routers `all` and `fixed`, whose targets are plain
    `mod.apply`s: `sum`, `mean`, `max` (elementwise over the operands),
    `concat` (on the last axis, in operand order) or `stack` (a new axis just
    before the last one: the `outs` argument of a custom aggregation).

    ```mlir
    %s = mod.aggregate sum %y0, %y1 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
    %o = mod.aggregate stack %y0, %y1 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x2x8xf32>
    ```
  }];
  let arguments = (ins Mod_AggregationAttr:$kind,
                       Variadic<AnyRankedTensor>:$outputs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $kind $outputs attr-dict `:` type($outputs) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Run-time checks
//===----------------------------------------------------------------------===//

def Mod_CheckIndexOp : Mod_Op<"check_index"> {
  let summary = "reports ids outside [0, bound) as a run-time error";
  let description = [{
    If any element of `ids` lies outside `[0, bound)`, the entry call fails
    with code 1 and `message`, followed by the flat position and the value of
    the first offending id. Code that reads with these ids clamps them, so a
    failed check never reads out of bounds.

    ```mlir
    %v = arith.constant 32000 : index
    mod.check_index %ids, %v : tensor<?xi64> "forward: embedding id in argument 'ids'"
    ```
    The bound is a value: a table or class count may be a dyn.
  }];
  let arguments = (ins RankedTensorOf<[I32, I64]>:$ids, Index:$bound,
                       StrAttr:$message);
  let assemblyFormat = "$ids `,` $bound `:` type($ids) $message attr-dict";
}

def Mod_CheckLeOp : Mod_Op<"check_le"> {
  let summary = "reports lhs > rhs as a run-time error";
  let description = [{
    Fails the entry call with code 1 and `message` (followed by both values)
    unless `lhs <= rhs`.

    ```mlir
    mod.check_le %tq, %tk "forward: causal attention needs Tk >= Tq"
    ```
  }];
  let arguments = (ins Index:$lhs, Index:$rhs, StrAttr:$message);
  let assemblyFormat = "$lhs `,` $rhs $message attr-dict";
}

include "dialects/Mod/ModRouteOps.td"

#endif // MOD_OPS_TD
