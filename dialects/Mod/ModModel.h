//===- ModModel.h - Queries over a model's interface ------------*- C++ -*-===//
//
// The model-level facts of a `mod` module (name, dims, dyns, parameters,
// derived weights, entry signatures) as the importer writes them and the
// library-interface lowering, the header writer and `--print-params` read
// them.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_DIALECTS_MOD_MODMODEL_H
#define MODC_DIALECTS_MOD_MODMODEL_H

#include "dialects/Mod/ModDialect.h"

#include "mlir/IR/AffineExpr.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <optional>
#include <string>

namespace mlir {
namespace mod {

/// A dimension linear in the model's dyns: constant + sum coeff * dyn[sym],
/// terms sorted by symbol.
struct LinearDim {
  int64_t constant = 0;
  SmallVector<std::pair<unsigned, int64_t>> terms;
};

/// The linear form of an affine expression over symbols only; nullopt for
/// anything else (dims, mod, floordiv, products of symbols).
std::optional<LinearDim> decomposeLinear(AffineExpr expr);

/// `2 * T + 1` style text, with `dynNames[k]` for symbol k.
std::string formatLinear(const LinearDim &dim, ArrayRef<StringRef> dynNames);

/// The model's name (`mod.model`), or "" if the module has none.
StringRef getModelName(ModuleOp module);

/// The names of the module's `mod.dyn`s in declaration order.
SmallVector<StringRef> getDynNames(ModuleOp module);

/// The module's entries: functions carrying a `mod.signature`, in order.
SmallVector<FunctionOpInterface> getEntries(ModuleOp module);

/// The signature of an entry function (null if it is not an entry).
EntrySignatureAttr getSignature(Operation *fn);

/// The update lines (UpdateAttr) of a train block's function; null if `fn`
/// is not a train block.
ArrayAttr getTrainUpdates(Operation *fn);

/// The element type's name in `.mod` source (f32, i64, bool, ...).
StringRef elementTypeName(Type type);

/// A state_dict name: '.'-separated non-empty segments of letters, digits
/// and '_' ("experts.3.w_up").
bool isParameterName(StringRef name);

/// Fails (at `op`) unless `type` is one a parameter can have: f32, f16,
/// bf16, i32, i64 or i1 elements, at most 2^58 of them.
LogicalResult verifyParameterType(Operation *op, StringRef name,
                                  RankedTensorType type);

} // namespace mod
} // namespace mlir

#endif // MODC_DIALECTS_MOD_MODMODEL_H
