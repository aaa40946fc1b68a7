//===- Stats.h - What each modc pass did, for `modc --stats` ----*- C++ -*-===//
//
// MLIR's pass statistics are no-ops in LLVM builds without statistics
// (Debian's), so modc's passes also count here; `modc --stats` prints it.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_IR_STATS_H
#define MODC_IR_STATS_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace modc {

/// Adds `n` to the counter `name` of pass `pass`.
void recordStat(llvm::StringRef pass, llvm::StringRef name, int64_t n);
/// One line per counter, `PASS: NAME = N`, in first-recorded order.
std::string statsReport();
void resetStats();

} // namespace modc

#endif // MODC_IR_STATS_H
