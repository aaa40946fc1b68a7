//===- Inlining.h - Inlining module applications and entry calls -*- C++
//-*-===//
//
// One helper for the two places that inline: mod-inline-modules (every
// mod.apply and call between entries, after routing is lowered) and
// mod-lower-routing (train blocks first, so that their routes are lowered in
// the differentiable form).
//
//===----------------------------------------------------------------------===//

#ifndef MODC_IR_INLINING_H
#define MODC_IR_INLINING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace modc {

/// Replaces `call` (a mod.apply or a func.call) by the body of `callee`,
/// its arguments mapped to the call's operands. Fails (reported at the call)
/// if the callee is not one block.
mlir::LogicalResult inlineCall(mlir::Operation *call,
                               mlir::func::FuncOp callee);

/// Inlines every mod.apply and every call of an entry inside `fn`, then
/// those the inlined bodies bring, until none is left.
mlir::LogicalResult inlineEverything(mlir::func::FuncOp fn,
                                     mlir::SymbolTable &symbols);

} // namespace modc

#endif // MODC_IR_INLINING_H
