//===- Passes.h - modc conversions ----------------------------*- C++ -*-===//

#ifndef MODC_CONVERSION_PASSES_H
#define MODC_CONVERSION_PASSES_H

#include "dialects/Mod/ModDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace modc {

/// On a host `memref.load` of the mapped IR (mod-map-to-gpu-kernels): a
/// deliberate read of device data by the host (the first bad id of a
/// check), a small device-to-host copy on the GPU.
inline constexpr llvm::StringLiteral kDeviceToHostAttr = "mod.device_to_host";

#define GEN_PASS_DECL
#include "conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "conversion/Passes.h.inc"

} // namespace modc

#endif // MODC_CONVERSION_PASSES_H
