//===- Passes.h - modc optimisations ----------------------------*- C++ -*-===//

#ifndef MODC_TRANSFORMS_PASSES_H
#define MODC_TRANSFORMS_PASSES_H

#include "dialects/Mod/ModDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace modc {

#define GEN_PASS_DECL
#include "transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "transforms/Passes.h.inc"

/// Takes the integer argument ARG of entry ENTRY to be VALUE in every
/// element (`spec` is "ENTRY.ARG=VALUE"): its uses read a splat constant,
/// the C signature is unchanged. Returns an error message, or "".
std::string specializeEntry(mlir::ModuleOp module, const std::string &spec);

/// specializeEntry for each of `specs`, in order; an ENTRY.ARG given twice
/// is an error (the second would find nothing left to replace).
std::string specializeEntries(mlir::ModuleOp module,
                              llvm::ArrayRef<std::string> specs);

} // namespace modc

#endif // MODC_TRANSFORMS_PASSES_H
