//===- ModBufferization.h - Bufferization of the routing ops ----*- C++ -*-===//

#ifndef MODC_DIALECTS_MOD_MODBUFFERIZATION_H
#define MODC_DIALECTS_MOD_MODBUFFERIZATION_H

namespace mlir {
class DialectRegistry;
namespace mod {

/// One-shot bufferization of the tensor-level routing ops (ModRouteOps.td):
/// each becomes the same op on the buffers of its operands, writing its
/// `outs` in place.
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);

} // namespace mod
} // namespace mlir

#endif // MODC_DIALECTS_MOD_MODBUFFERIZATION_H
