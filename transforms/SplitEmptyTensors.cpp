//===- SplitEmptyTensors.cpp - One tensor.empty per use -------------------===//
//
// CSE merges identical `tensor.empty` ops, so independent results (the
// elements of a tuple return) can share one. Empty-tensor elimination then
// replaces that single op by the destination of whichever result it sees
// first, and every other computation sharing it writes into the same
// buffer. Giving each use its own `tensor.empty` before the elimination
// keeps the results apart (and lets each be computed in its own output
// buffer). Fills shared as destinations (the zero init of matmuls) are
// split the same way, or bufferization copies the filled buffer per use.
//
//===----------------------------------------------------------------------===//

#include "ir/TensorMath.h"
#include "transforms/Passes.h"

namespace modc {
#define GEN_PASS_DEF_SPLITEMPTYTENSORS
#include "transforms/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

struct SplitEmptyTensorsPass
    : public modc::impl::SplitEmptyTensorsBase<SplitEmptyTensorsPass> {
  void runOnOperation() override {
    // A matmul into a zero fill computes A @ B whatever bufferization and
    // mod-split-large-functions later make of the fill (in another
    // function, passed as an argument): say so where mod-matmul-to-runtime
    // will look.
    getOperation().walk([&](Operation *op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp,
              linalg::MatmulTransposeAOp, linalg::MatmulTransposeBOp,
              linalg::BatchMatmulTransposeAOp, linalg::BatchMatmulTransposeBOp>(
              op) &&
          modc::isZeroFill(cast<linalg::LinalgOp>(op).getDpsInits()[0]))
        op->setAttr(mlir::mod::kZeroInitAttr, UnitAttr::get(op->getContext()));
    });
    splitSharedFills();
    SmallVector<tensor::EmptyOp> shared;
    getOperation().walk([&](tensor::EmptyOp op) {
      if (!op->hasOneUse() && !op->use_empty())
        shared.push_back(op);
    });
    for (tensor::EmptyOp op : shared) {
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : op->getUses())
        uses.push_back(&use);
      // The first use in the block keeps the original (deterministic IR).
      llvm::stable_sort(uses, [](OpOperand *a, OpOperand *b) {
        Operation *x = a->getOwner(), *y = b->getOwner();
        return x != y && x->getBlock() == y->getBlock() &&
               x->isBeforeInBlock(y);
      });
      for (OpOperand *use : llvm::drop_begin(uses)) {
        OpBuilder b(use->getOwner());
        use->set(b.clone(*op)->getResult(0));
      }
    }
  }

  /// CSE also merges the zero fills of matmuls of one shape: each op that
  /// computes into a shared fill but the first gets a fill of its own, or
  /// bufferization copies the filled buffer once per op. (The fills' shared
  /// tensor.empty is then split as above.)
  void splitSharedFills() {
    SmallVector<linalg::FillOp> shared;
    getOperation().walk([&](linalg::FillOp op) {
      if (!op->hasOneUse() && !op->use_empty())
        shared.push_back(op);
    });
    auto isInit = [](OpOperand &use) {
      auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
      return dps && dps.isDpsInit(&use);
    };
    for (linalg::FillOp fill : shared) {
      // Read as a value too (a zero gradient returned by a train block):
      // every op computing into it gets a fill of its own, or empty-tensor
      // elimination may place the shared fill in one op's destination
      // argument, which that op then overwrites before the reads.
      bool first = llvm::all_of(fill->getUses(), isInit);
      for (OpOperand &use : llvm::make_early_inc_range(fill->getUses())) {
        if (!isInit(use))
          continue;
        if (first) {
          first = false;
          continue;
        }
        OpBuilder b(use.getOwner());
        use.set(b.clone(*fill)->getResult(0));
      }
    }
  }
};

} // namespace
