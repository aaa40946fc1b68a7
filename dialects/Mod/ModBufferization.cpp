//===- ModBufferization.cpp - Bufferization of the routing ops ------------===//
//
// The routing ops are in destination-passing style, so one-shot
// bufferization treats them like linalg ops: inputs are read, `outs` are
// written (and read only by the ops that accumulate into them, so a
// tensor.empty destination becomes a fresh buffer without a copy), and
// each result is its destination's buffer.
//
//===----------------------------------------------------------------------===//

#include "dialects/Mod/ModBufferization.h"
#include "dialects/Mod/ModDialect.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace {

template <typename OpT>
struct RouteOpModel
    : DstBufferizableOpInterfaceExternalModel<RouteOpModel<OpT>, OpT> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const AnalysisState &) const {
    return !cast<DestinationStyleOpInterface>(op).isDpsInit(&operand) ||
           OpT::kReadsInits;
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options) const {
    auto dps = cast<DestinationStyleOpInterface>(op);
    SmallVector<Value> operands, results;
    for (OpOperand &operand : op->getOpOperands()) {
      Value v = operand.get();
      if (isa<TensorType>(v.getType())) {
        FailureOr<Value> buffer = getBuffer(rewriter, v, options);
        if (failed(buffer))
          return failure();
        v = *buffer;
        if (dps.isDpsInit(&operand))
          results.push_back(v);
      }
      operands.push_back(v);
    }
    rewriter.setInsertionPoint(op);
    OperationState state(op->getLoc(), op->getName(), operands, TypeRange{},
                         op->getAttrs());
    rewriter.create(state);
    replaceOpWithBufferizedValues(rewriter, op, results);
    return success();
  }
};

template <typename... Ops> void attach(MLIRContext *ctx) {
  (Ops::template attachInterface<RouteOpModel<Ops>>(*ctx), ...);
}

} // namespace

void mlir::mod::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, ModDialect *) {
    attach<RouteDecideOp, RoutePlanOp, RouteGroupIdsOp, RouteDenseOp,
           RouteDistinctOp, RouteScatterOp, RouteFinishOp, GroupedMatmulOp,
           GroupedMatmulScatterOp, GroupedWeightGradOp>(ctx);
  });
}
