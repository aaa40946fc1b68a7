//===- ModDialect.td - The mod dialect ---------------------*- tablegen -*-===//
//
// The `mod` dialect models what modular deep learning adds to tensor
// programs: parameters owned by module instances, the application of an
// instance, and (later) routing and aggregation. Plain tensor math stays in
// upstream dialects (arith, math, tensor, linalg).
//
//===----------------------------------------------------------------------===//

#ifndef MOD_DIALECT_TD
#define MOD_DIALECT_TD

include "mlir/IR/OpBase.td"

def Mod_Dialect : Dialect {
  let name = "mod";
  let summary = "Modules, parameters, instances, routing and aggregation";
  let description = [{
    A `.mod` program imports into one `builtin.module` holding:
    - `mod.param` declarations, one per parameter of the model under its
      state_dict name (`layer0.experts.3.A`);
    - one `func.func private` per instantiated module template, whose leading
      arguments are the module's parameters (marked `mod.param`) followed by
      its inputs: a module is a pure function of its parameters and inputs;
    - one `func.func` per entry (attribute `mod.signature`: its C signature),
      reading parameters with `mod.param_ref` and applying instances with
      `mod.apply`;
    - the model's name (module attribute `mod.model`), its `mod.dim`s and
      `mod.dyn`s, and after folding its `mod.derived` weights.
    Everything the compiled library's interface needs is there: the library
    can be built from the printed IR alone.
  }];
  let cppNamespace = "::mlir::mod";
  let useDefaultAttributePrinterParser = 1;
  // `mod.model` on the module, `mod.signature` and `mod.abi_params` on
  // entries.
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Registers the attributes (ModModel.cpp, beside their storage).
    void registerAttributes();
  }];
}

class Mod_Op<string mnemonic, list<Trait> traits = []>
    : Op<Mod_Dialect, mnemonic, traits>;

#endif // MOD_DIALECT_TD
