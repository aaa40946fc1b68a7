//===- ModOps.td - Operations of the mod dialect -----------*- tablegen -*-===//

#ifndef MOD_OPS_TD
#define MOD_OPS_TD

include "dialects/Mod/ModDialect.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/CallInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Mod_ParamOp : Mod_Op<"param", [Symbol]> {
  let summary = "declares one parameter of the model";
  let description = [{
    A parameter tensor owned by the compiled model, named by its state_dict
    path. `init` is the `.mod` initialiser (`zeros`, `ones`, `const`,
    `normal`, `uniform`, `xavier`) with its arguments; `frozen` marks a
    parameter that training must not update. The shape is static.

    ```mlir
    mod.param @"adapter.A" : tensor<1024x16xf32> init "normal" [0.0, 2.0e-02]
    mod.param @"base.w" : tensor<1024x1024xf32> init "xavier" frozen
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<AnyStaticShapeTensor>:$type,
                       StrAttr:$init,
                       OptionalAttr<F64ArrayAttr>:$init_args,
                       UnitAttr:$frozen);
  let assemblyFormat = [{
    $sym_name `:` $type `init` $init ($init_args^)? (`frozen` $frozen^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Mod_ParamRefOp : Mod_Op<"param_ref",
    [Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "reads a parameter of the model";
  let description = [{
    The current value of a `mod.param`. Parameters change only between calls
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

#endif // MOD_OPS_TD
