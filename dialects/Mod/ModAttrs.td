//===- ModAttrs.td - Attributes of the mod dialect ---------*- tablegen -*-===//
//
// What the compiled library's interface needs to know about the model, as
// typed attributes: the parameter initialisers, the entries' signatures
// (names, element types and symbolic shapes over the model's dyns) and the
// terms of derived parameters. mod-lower-library-interface reads nothing
// else.
//
//===----------------------------------------------------------------------===//

#ifndef MOD_ATTRS_TD
#define MOD_ATTRS_TD

include "dialects/Mod/ModDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

/// The initialisers of LANGUAGE.md §5; the names are the descriptor's.
def Mod_InitKind : I32EnumAttr<"InitKind", "parameter initialiser", [
    I32EnumAttrCase<"Zeros", 0, "zeros">,
    I32EnumAttrCase<"Ones", 1, "ones">,
    I32EnumAttrCase<"Const", 2, "const">,
    I32EnumAttrCase<"Normal", 3, "normal">,
    I32EnumAttrCase<"Uniform", 4, "uniform">,
    I32EnumAttrCase<"Xavier", 5, "xavier">]> {
  let cppNamespace = "::mlir::mod";
}

/// How mod-lower-routing runs a route (chosen by mod-fuse-routed-experts);
/// without one, each target runs on its own packed rows.
def Mod_DispatchStrategyKind : I32EnumAttr<"DispatchStrategy",
    "lowering strategy of a route", [
    I32EnumAttrCase<"Fused", 1, "fused">,
    I32EnumAttrCase<"Factored", 2, "factored">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::mod";
}

class Mod_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Mod_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Mod_TensorSpecAttr : Mod_Attr<"TensorSpec", "tensor"> {
  let summary = "a named tensor of an entry's signature";
  let description = [{
    One input or output of an entry as the library's C function sees it: its
    name, its element type and its shape, each dim a linear expression over
    the model's dyns (symbol k is the k-th `mod.dyn` of the module).

    ```mlir
    #mod.tensor<"x" : f32, affine_map<()[s0] -> (s0, 1024)>>
    ```
  }];
  let parameters = (ins StringRefParameter<"argument name">:$name,
                        "::mlir::Type":$elementType,
                        "::mlir::AffineMapAttr":$shape);
  let assemblyFormat = "`<` $name `:` $elementType `,` $shape `>`";
  let genVerifyDecl = 1;
}

def Mod_EntrySignatureAttr : Mod_Attr<"EntrySignature", "signature"> {
  let summary = "the C signature of an entry";
  let description = [{
    Attached to an entry function as `mod.signature`: the dyns the entry's
    exported function takes as its leading `int64_t` arguments (in the
    order of the `mod.dyn` declarations), then its inputs and outputs.

    ```mlir
    func.func @forward(...) attributes {mod.signature = #mod.signature<
        dyns = ["N"],
        inputs = [#mod.tensor<"x" : f32, affine_map<()[s0] -> (s0, 1024)>>],
        outputs = [#mod.tensor<"y" : f32, affine_map<()[s0] -> (s0, 1024)>>]>}
    ```
  }];
  let parameters = (ins "::mlir::ArrayAttr":$dyns, "::mlir::ArrayAttr":$inputs,
                        "::mlir::ArrayAttr":$outputs);
  let assemblyFormat = [{
    `<` `dyns` `=` $dyns `,` `inputs` `=` $inputs `,` `outputs` `=` $outputs `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The inputs, then the outputs.
    ::llvm::SmallVector<TensorSpecAttr> getTensors() const;
  }];
}

def Mod_DerivedTermAttr : Mod_Attr<"DerivedTerm", "term"> {
  let summary = "one term of a derived parameter";
  let description = [{
    `scale * a` (no `b`) or `scale * a @ b`, where `a` and `b` name
    `mod.param`s.

    ```mlir
    #mod.term<1.0, @"base.w">
    #mod.term<2.0, @"adapter.A", @"adapter.B">
    ```
  }];
  let parameters = (ins "::mlir::FloatAttr":$scale,
                        "::mlir::FlatSymbolRefAttr":$a,
                        OptionalParameter<"::mlir::FlatSymbolRefAttr">:$b);
  let assemblyFormat = "`<` $scale `,` $a (`,` $b^)? `>`";
}

def Mod_DispatchStrategyAttr
    : EnumAttr<Mod_Dialect, Mod_DispatchStrategyKind, "strategy"> {
  let summary = "lowering strategy of a route";
  let description = [{
    `fused`: the targets are instances of one module with a groupable body,
    run as one grouped computation over all routed rows. `factored`: a
    `merge` over such a module, computed as sum_e w_e (h @ P_e) on all rows.
  }];
}

/// The routers whose decisions are computed at run time (LANGUAGE.md §7;
/// `all` and `fixed` need none).
def Mod_RouterKindEnum : I32EnumAttr<"RouterKind", "routing decision", [
    I32EnumAttrCase<"Topk", 0, "topk">,
    I32EnumAttrCase<"SoftmaxGate", 1, "softmax_gate">,
    I32EnumAttrCase<"ExpertChoice", 2, "expert_choice">,
    I32EnumAttrCase<"Task", 3, "task">,
    I32EnumAttrCase<"Hash", 4, "hash">,
    I32EnumAttrCase<"Weights", 5, "weights">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::mod";
}

def Mod_RouterKindAttr : EnumAttr<Mod_Dialect, Mod_RouterKindEnum, "router"> {
  let summary = "the router of a mod.route.decide";
}

/// How the outputs of a route's targets combine (LANGUAGE.md §7). The values
/// are those of `modc::vocab::Aggregation` (the vocabulary table; the
/// importer asserts that they agree); `stack` is the mod-level input of a
/// custom aggregation (outputs on a new axis before the last).
def Mod_AggregationEnum : I32EnumAttr<"Aggregation", "aggregation", [
    I32EnumAttrCase<"WeightedSum", 0, "weighted_sum">,
    I32EnumAttrCase<"Sum", 1, "sum">,
    I32EnumAttrCase<"Mean", 2, "mean">,
    I32EnumAttrCase<"Max", 3, "max">,
    I32EnumAttrCase<"Concat", 4, "concat">,
    I32EnumAttrCase<"Merge", 5, "merge">,
    I32EnumAttrCase<"Stack", 6, "stack">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::mod";
}

def Mod_AggregationAttr
    : EnumAttr<Mod_Dialect, Mod_AggregationEnum, "aggregation"> {
  let summary = "the aggregation of a mod.dispatch or mod.aggregate";
}

/// How a routed target's output rows combine into the route's output. The
/// values are the runtime's `enum modrt_scatter_mode` (modrt/routing.h);
/// mod-lower-routing-to-runtime asserts that they agree.
def Mod_ScatterModeEnum : I32EnumAttr<"ScatterMode", "scatter combination", [
    I32EnumAttrCase<"Weighted", 0, "weighted">,
    I32EnumAttrCase<"Sum", 1, "sum">,
    I32EnumAttrCase<"Max", 2, "max">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::mod";
}

def Mod_ScatterModeAttr : EnumAttr<Mod_Dialect, Mod_ScatterModeEnum, "scatter"> {
  let summary = "how mod.route.scatter combines rows";
}

def Mod_OptimizerEnum : I32EnumAttr<"Optimizer", "optimiser", [
    I32EnumAttrCase<"Sgd", 0, "sgd">,
    I32EnumAttrCase<"Adam", 1, "adam">,
    I32EnumAttrCase<"Adamw", 2, "adamw">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::mod";
}

def Mod_UpdateAttr : Mod_Attr<"Update", "update"> {
  let summary = "one update line of a train block";
  let description = [{
    On a train block's function, `mod.train` holds one of these per
    `update TARGETS with OPTIMIZER(...)` line: the optimiser, the
    parameters it changes (state_dict names of `mod.param`s) and its
    hyper-parameters, one per argument of the optimiser's vocabulary row in
    that row's order (defaults filled in; booleans 0 or 1).

    ```mlir
    #mod.update<adamw, [@"adapter.A", @"adapter.B"],
                [1.0e-03, 0.9, 0.999, 1.0e-08, 0.01]>
    ```
  }];
  let parameters = (ins EnumParameter<Mod_OptimizerEnum>:$optimizer,
                        "::mlir::ArrayAttr":$params,
                        "::mlir::ArrayAttr":$hyper);
  let assemblyFormat = "`<` $optimizer `,` $params `,` $hyper `>`";
  let genVerifyDecl = 1;
}

#endif // MOD_ATTRS_TD
