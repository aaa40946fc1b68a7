//===- Stats.h - What each modc pass did, for `modc --stats` ----*- C++ -*-===//
//
// MLIR's pass statistics are no-ops in LLVM builds without statistics
// (Debian's), so modc's passes also count here. The counters are kept per
// MLIRContext: a `modc` run and each Session (which owns its context) see
// only their own compilations, whatever the other threads compile.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_IR_STATS_H
#define MODC_IR_STATS_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace modc {

/// Adds `n` to the counter `name` of pass `pass` in `context`'s table.
void recordStat(mlir::MLIRContext *context, llvm::StringRef pass,
                llvm::StringRef name, int64_t n);
/// One line per counter of `context`, `PASS: NAME = N`, in first-recorded
/// order.
std::string statsReport(mlir::MLIRContext *context);
/// Forgets `context`'s counters (before a compilation, and before the
/// context is destroyed: a later context at the same address starts
/// empty).
void resetStats(mlir::MLIRContext *context);

} // namespace modc

#endif // MODC_IR_STATS_H
