//===- MatmulToRuntime.cpp - f32 matmuls to the runtime's GEMM ------------===//
//
// After bufferization, a 2-D f32 `linalg.matmul` (3-D `linalg.batch_matmul`)
// whose output buffer holds zeros computes C = A @ B: it becomes a call of
// the runtime's packed, register-blocked, multi-threaded GEMM
// (runtime/Gemm.cpp; batched: products in parallel). Matmuls that
// accumulate into live data keep the generic lowering.
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"
#include "conversion/RuntimeABI.h"
#include "ir/Stats.h"
#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace modc {
#define GEN_PASS_DEF_MATMULTORUNTIME
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

/// True if `buffer` holds zeros when `point` runs: its only write before
/// `point` (in the same block) is a zero fill, or a copy from a buffer that
/// holds zeros at that copy; every other earlier use only reads it.
bool isZeroAt(Value buffer, Operation *point, int depth = 0) {
  if (depth > 4)
    return false;
  Operation *writer = nullptr;
  for (Operation *user : buffer.getUsers()) {
    if (user == point)
      continue;
    if (user->getBlock() != point->getBlock())
      return false;
    if (point->isBeforeInBlock(user))
      continue;
    // A view could be written through later; give up on aliases.
    if (isa<ViewLikeOpInterface>(user))
      return false;
    auto effects = dyn_cast<MemoryEffectOpInterface>(user);
    if (!effects)
      return false;
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffectsOnValue(buffer, list);
    bool writes = llvm::any_of(list, [](const auto &e) {
      return isa<MemoryEffects::Write, MemoryEffects::Free>(e.getEffect());
    });
    if (!writes)
      continue;
    if (writer)
      return false;
    writer = user;
  }
  if (!writer)
    return false;
  if (auto fill = dyn_cast<linalg::FillOp>(writer))
    return fill.getOutputs()[0] == buffer &&
           modc::isZeroConstant(fill.getInputs()[0]);
  if (auto copy = dyn_cast<memref::CopyOp>(writer))
    return copy.getTarget() == buffer &&
           isZeroAt(copy.getSource(), copy, depth + 1);
  return false;
}

/// A use that only frees `buffer`: a dealloc, or the pointer the general
/// (ownership-based) deallocation compares before its conditional dealloc.
bool freesOnly(Operation *user) {
  return isa<memref::DeallocOp, memref::ExtractAlignedPointerAsIndexOp>(user);
}

/// The only use of `buffer` before `point` in their block (deallocs and
/// `point` aside), or null; with `laterUses`, uses after `point` are
/// allowed, else they give null too.
Operation *soleEarlierUse(Value buffer, Operation *point,
                          bool laterUses = false) {
  Operation *writer = nullptr;
  for (Operation *user : buffer.getUsers()) {
    if (user == point || freesOnly(user))
      continue;
    if (user->getBlock() != point->getBlock())
      return nullptr;
    if (point->isBeforeInBlock(user)) {
      if (laterUses)
        continue;
      return nullptr;
    }
    if (writer)
      return nullptr;
    writer = user;
  }
  return writer;
}

/// The write of all of C that a GEMM into C at `point` makes dead: a zero
/// fill just before it, or the only earlier use of a fresh allocation if
/// that writes all of it (a memref.copy into it, a linalg.fill of it; a
/// view could expose the write through another alias). Null if none.
Operation *overwrittenWrite(Value c, Operation *point) {
  auto prev = dyn_cast_or_null<linalg::FillOp>(point->getPrevNode());
  if (prev && prev.getOutputs()[0] == c)
    return prev;
  if (!c.getDefiningOp<memref::AllocOp>())
    return nullptr;
  Operation *writer = soleEarlierUse(c, point, /*laterUses=*/true);
  if (auto copy = dyn_cast_or_null<memref::CopyOp>(writer))
    return copy.getTarget() == c ? writer : nullptr;
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(writer))
    return fill.getOutputs()[0] == c ? writer : nullptr;
  return nullptr;
}

/// Erases a copy nothing reads any more: an allocated `buffer` whose users
/// are one linalg op writing it (and reading other buffers only) and its
/// deallocations. Returns the buffer the copy read, or null if it stays.
/// Freed in the general form (a pointer compared, a conditional dealloc),
/// the allocation stays and only the copying op goes.
Value eraseDeadCopy(Value buffer) {
  if (!buffer.getDefiningOp<memref::AllocOp>())
    return {};
  linalg::LinalgOp writer;
  bool general = false;
  for (Operation *u : buffer.getUsers()) {
    general |= isa<memref::ExtractAlignedPointerAsIndexOp>(u);
    if (freesOnly(u))
      continue;
    auto op = dyn_cast<linalg::LinalgOp>(u);
    if (writer || !op || op.getNumDpsInputs() != 1 ||
        op.getDpsInits() != ValueRange{buffer})
      return {};
    writer = op;
  }
  if (!writer)
    return {};
  Value source = writer.getDpsInputOperand(0)->get();
  writer->erase();
  if (general)
    return source;
  for (Operation *u : llvm::make_early_inc_range(buffer.getUsers()))
    u->erase();
  buffer.getDefiningOp()->erase();
  return source;
}

/// A 2-D f32 buffer filled by widening bf16 or f16 (the f16/bf16 rule of the
/// importer, LANGUAGE.md §3): `alloc; linalg.generic {extf} ins(X) outs(b)`,
/// X possibly a `linalg.transpose` copy. Returns the widening generic and
/// the 16-bit data as a view of what X copied (transposed in place), or
/// null.
std::pair<linalg::GenericOp, Value> widenedHalf(OpBuilder &b, Value buffer,
                                                Operation *point) {
  auto gen = dyn_cast_or_null<linalg::GenericOp>(soleEarlierUse(buffer, point));
  Type from = modc::widenedFrom(gen);
  if (!from || !(from.isBF16() || from.isF16()) ||
      gen.getDpsInits()[0] != buffer)
    return {};
  Value src = gen.getDpsInputs()[0];
  // A transposed copy of a weight: read the weight through a view.
  if (auto t = dyn_cast_or_null<linalg::TransposeOp>(soleEarlierUse(src, gen)))
    if (t.getInit() == src && t.getPermutation() == ArrayRef<int64_t>{1, 0}) {
      AffineMap map = AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0},
                                                   b.getContext());
      src = b.create<memref::TransposeOp>(point->getLoc(), t.getInput(),
                                          AffineMapAttr::get(map));
    }
  return {gen, src};
}

/// Makes the buffer `view` reads stay allocated until after `point`, which
/// is about to read it instead of a copy made before `point`: a plain
/// dealloc of the buffer between the two (placed after the copy, its last
/// reader so far) moves to just after `point`. False, nothing changed, if
/// the buffer is freed there in another form or in another block.
bool keepAliveThrough(Value view, Operation *point) {
  Value root = view;
  while (auto v = root.getDefiningOp<ViewLikeOpInterface>())
    root = v.getViewSource();
  SmallVector<memref::DeallocOp> early;
  for (Operation *user : root.getUsers()) {
    if (!freesOnly(user))
      continue;
    auto dealloc = dyn_cast<memref::DeallocOp>(user);
    if (user->getBlock() != point->getBlock())
      return false;
    if (point->isBeforeInBlock(user))
      continue;
    if (!dealloc)
      return false;
    early.push_back(dealloc);
  }
  for (memref::DeallocOp d : early)
    d->moveAfter(point);
  return true;
}

struct MatmulToRuntimePass
    : public modc::impl::MatmulToRuntimeBase<MatmulToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> matmuls;
    module.walk([&](Operation *op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp,
              linalg::MatmulTransposeAOp, linalg::MatmulTransposeBOp,
              linalg::BatchMatmulTransposeAOp, linalg::BatchMatmulTransposeBOp>(
              op))
        matmuls.push_back(op);
    });
    for (Operation *op : matmuls)
      if (rewrite(module, cast<linalg::LinalgOp>(op))) {
        ++numMatmuls;
        modc::recordStat(&getContext(), getArgument(), "matmuls-to-runtime", 1);
      }
  }

  /// `fill 0 -> C; matmul A, B -> C` on f32 buffers becomes
  /// modrt_matmul_f32(A, B, C) (2-D) or modrt_batch_matmul_f32 (3-D).
  bool rewrite(ModuleOp module, linalg::LinalgOp op) {
    if (!op.hasPureBufferSemantics())
      return false;
    Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1];
    Value c = op.getDpsInits()[0];
    for (Value v : {a, b, c})
      if (!cast<MemRefType>(v.getType()).getElementType().isF32())
        return false;
    Value widenedB = b;
    auto prevFill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
    bool zeroed = prevFill && prevFill.getOutputs()[0] == c &&
                  modc::isZeroConstant(prevFill.getInputs()[0]);
    if (!zeroed && !op->hasAttr(mod::kZeroInitAttr) && !isZeroAt(c, op))
      return false;
    // The GEMM writes every element of C (zeros when K = 0): the write that
    // zeroed it (a fill, or bufferization's copy of a fill that several ops
    // could share) is dead.
    Operation *deadWrite = overwrittenWrite(c, op);
    OpBuilder builder(op);
    int64_t rank = cast<MemRefType>(c.getType()).getRank();
    // A transposed operand (the backward products of training, A^T dY and
    // dY B^T) is passed as a strided view: the GEMM reads any strides, so
    // nothing is copied.
    auto transposed = [&](Value v) -> Value {
      SmallVector<unsigned> perm;
      for (int64_t i = 0; i < rank; ++i)
        perm.push_back(unsigned(i));
      std::swap(perm[rank - 2], perm[rank - 1]);
      AffineMap map = AffineMap::getPermutationMap(perm, op->getContext());
      return builder.create<memref::TransposeOp>(op.getLoc(), v,
                                                 AffineMapAttr::get(map));
    };
    if (isa<linalg::MatmulTransposeAOp, linalg::BatchMatmulTransposeAOp>(op))
      a = transposed(a);
    // B widened from bf16 or f16 (a half weight): the GEMM reads its data.
    linalg::GenericOp widen;
    Value source;
    if (rank == 2)
      std::tie(widen, source) = widenedHalf(builder, b, op);
    // The bf16 data of an activation (not a parameter) may be freed before
    // the matmul, once the widened copy was made: it must outlive the call.
    if (source && !keepAliveThrough(source, op)) {
      if (source.getDefiningOp() && source.getDefiningOp()->use_empty())
        source.getDefiningOp()->erase();
      widen = nullptr;
      source = nullptr;
    }
    if (source)
      b = source;
    if (isa<linalg::MatmulTransposeBOp, linalg::BatchMatmulTransposeBOp>(op))
      b = transposed(b);
    bool f16 = source && getElementTypeOrSelf(source.getType()).isF16();
    func::FuncOp fn =
        f16         ? MODC_KERNEL_FUNCTION(module, modrt_matmul_f32_f16)
        : source    ? MODC_KERNEL_FUNCTION(module, modrt_matmul_f32_bf16)
        : rank == 2 ? MODC_KERNEL_FUNCTION(module, modrt_matmul_f32)
                    : MODC_KERNEL_FUNCTION(module, modrt_batch_matmul_f32);
    if (failed(modc::abi::call(builder, op.getLoc(), fn, {a, b, c})))
      return false;
    op->erase();
    // The widened copy, and a transposed bf16 copy before it, are dead now
    // unless something else reads them.
    if (widen)
      if (Value copied = eraseDeadCopy(widenedB))
        eraseDeadCopy(copied);
    if (auto copy = dyn_cast_or_null<memref::CopyOp>(deadWrite)) {
      // And the zero-filled buffer it copied, unless something else reads
      // it.
      Value filled = copy.getSource();
      copy->erase();
      eraseDeadCopy(filled);
    } else if (deadWrite) {
      deadWrite->erase();
    }
    return true;
  }
};

} // namespace
