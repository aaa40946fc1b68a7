//===- ModDialect.h - The mod dialect ----------------------------*- C++
//-*-===//

#ifndef MODC_DIALECTS_MOD_MODDIALECT_H
#define MODC_DIALECTS_MOD_MODDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/Mod/ModDialect.h.inc"
#include "dialects/Mod/ModEnums.h.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/Mod/ModAttrs.h.inc"
#include "dialects/Mod/ModInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/Mod/ModOps.h.inc"

namespace mlir {
namespace mod {
/// Attribute names used on func.func ops by the importer and the passes.
/// An entry is a function with a signature (EntrySignatureAttr).
constexpr llvm::StringLiteral kEntryAttr = "mod.signature";
/// The model's name, on the builtin.module.
constexpr llvm::StringLiteral kModelAttr = "mod.model";
/// On a lowered entry (mod-lower-entry-abi): the parameters its leading
/// arguments hold, in order, by symbol name.
constexpr llvm::StringLiteral kAbiParamsAttr = "mod.abi_params";
constexpr llvm::StringLiteral kModuleAttr = "mod.module";
/// A train block is an entry (its one output the loss) with this array of
/// UpdateAttr: what its optimisers change.
constexpr llvm::StringLiteral kTrainAttr = "mod.train";
/// On a differentiated train block (mod-differentiate): the parameters whose
/// gradients it returns after its signature's outputs, in order.
constexpr llvm::StringLiteral kGradsAttr = "mod.grads";
/// On a linalg.matmul/batch_matmul whose destination is a zero fill at the
/// tensor level: it computes A @ B (mod-split-empty-tensors sets it,
/// mod-matmul-to-runtime reads it after bufferization).
constexpr llvm::StringLiteral kZeroInitAttr = "mod.zero_init";
constexpr llvm::StringLiteral kParamArgAttr = "mod.param";
/// On an scf.for of a train block (`merge` over a module its parameters
/// enter nonlinearly, mod-lower-routing): a loop over the rows [0, R) whose
/// iteration r reads rows r of values from outside (extract_slice at r)
/// and whole values, and writes only row r of its one iter_arg (an
/// insert_slice at r, yielded). mod-differentiate's rule for it runs the
/// loop backwards row by row, recomputing each row's forward.
constexpr llvm::StringLiteral kRowMapAttr = "mod.row_map";
/// On an arith.maximumf/minimumf of the `maximum`/`minimum` builtins: at a
/// tie each operand gets half the gradient, as torch.maximum's. Without it
/// (relu, a `max` route) the first operand takes it all (LANGUAGE.md §10).
constexpr llvm::StringLiteral kSplitTiesAttr = "mod.split_ties";
/// --target=cuda: on the device form of an entry (mod-stage-entry-buffers),
/// in place of kEntryAttr, the entry's signature; exported as
/// NAME_ENTRY_device with a trailing CUDA stream argument.
constexpr llvm::StringLiteral kDeviceEntryAttr = "mod.device_entry";
/// The symbol of entry ENTRY's device form is this prefix + ENTRY.
constexpr llvm::StringLiteral kDeviceEntryPrefix = "modc.device.";
} // namespace mod
} // namespace mlir

#endif // MODC_DIALECTS_MOD_MODDIALECT_H
