//===- ModInterfaces.td - Interfaces of the mod dialect ----*- tablegen -*-===//
//
// What passes ask about modular structure without knowing each op: which
// module functions an op may run (the targets a route can reach), whether
// they are instances of one module, which parameters it reads, and how a
// routing decision is shaped.
//
//===----------------------------------------------------------------------===//

#ifndef MOD_INTERFACES_TD
#define MOD_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Mod_ModuleUserInterface : OpInterface<"ModuleUserInterface"> {
  let cppNamespace = "::mlir::mod";
  let description = [{
    An op that runs module instances: `mod.apply` (one instance) and
    `mod.dispatch` (the targets of a route).
  }];
  let methods = [
    InterfaceMethod<"The module functions this op may run, one per target.",
      "::llvm::SmallVector<::mlir::FlatSymbolRefAttr>", "getReachableModules">,
    InterfaceMethod<"The instance paths of the targets, in the same order.",
      "::llvm::SmallVector<::llvm::StringRef>", "getInstancePaths">,
    InterfaceMethod<"The parameter operands this op reads, all targets.",
      "::mlir::OperandRange", "getParameterOperands">,
    InterfaceMethod<[{True if every target is an instance of one module (the
      case a grouped computation over stacked parameters can serve).}],
      "bool", "targetsShareModule">,
  ];
}

def Mod_RoutingDecisionInterface : OpInterface<"RoutingDecisionInterface"> {
  let cppNamespace = "::mlir::mod";
  let description = [{
    A router: per row, K slots of (target index, weight).
  }];
  let methods = [
    InterfaceMethod<"Number of targets E.", "int64_t", "getTargetCount">,
    InterfaceMethod<"Slots per row K.", "int64_t", "getSlotsPerRow">,
    InterfaceMethod<[{True if every row reaches every target with a weight
      fixed by the router alone (softmax routing).}], "bool", "isDense">,
  ];
}

#endif // MOD_INTERFACES_TD
