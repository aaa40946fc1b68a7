//===- GradientRules.cpp - Reverse-mode rules of tensor-level ops ---------===//
//
// Saved values versus recomputation, the rule: every tensor the forward
// computation produced stays alive for the backward ops that read it (a
// matmul's operands, a generic's inputs); the scalar body of a
// linalg.generic is recomputed inside its backward generic from those
// inputs instead of saving its intermediates (exp, erf, a division...), so
// elementwise chains cost one extra pass over their inputs and no memory.
//
//===----------------------------------------------------------------------===//

#include "transforms/GradientRules.h"

#include "dialects/Mod/ModDialect.h"
#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace mlir;

namespace modc {

namespace {
/// An uninitialised tensor of `like`'s type and run-time dims.
Value emptyLike(OpBuilder &b, Location loc, Value like) {
  auto t = cast<RankedTensorType>(like.getType());
  SmallVector<Value> dyn;
  for (int64_t i = 0; i < t.getRank(); ++i)
    if (t.isDynamicDim(i))
      dyn.push_back(b.create<tensor::DimOp>(loc, like, i));
  return b.create<tensor::EmptyOp>(loc, t.getShape(), t.getElementType(), dyn);
}
} // namespace

Value zerosLike(OpBuilder &b, Location loc, Value like) {
  auto t = cast<RankedTensorType>(like.getType());
  Value zero =
      b.create<arith::ConstantOp>(loc, b.getFloatAttr(t.getElementType(), 0.0));
  return b.create<linalg::FillOp>(loc, zero, emptyLike(b, loc, like))
      .getResult(0);
}

bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

void forEachRead(Operation *op, function_ref<void(Value)> fn) {
  op->walk([&](Operation *inner) {
    for (Value v : inner->getOperands()) {
      Operation *owner = v.getParentRegion()->getParentOp();
      if (inner == op || !owner || !op->isAncestor(owner))
        fn(v);
    }
  });
}

llvm::DenseSet<Value> activeValues(ArrayRef<Operation *> ops,
                                   const llvm::DenseSet<Value> &seeds,
                                   Value target) {
  llvm::DenseSet<Value> varied(seeds), useful, active;
  for (Operation *op : ops) {
    bool any = false;
    forEachRead(op, [&](Value v) { any |= varied.contains(v); });
    if (any)
      for (Value r : op->getResults())
        if (isFloatTensor(r))
          varied.insert(r);
  }
  useful.insert(target);
  for (Operation *op : llvm::reverse(ops))
    if (llvm::any_of(op->getResults(),
                     [&](Value r) { return useful.contains(r); }))
      forEachRead(op, [&](Value v) { useful.insert(v); });
  for (Value v : varied)
    if (useful.contains(v))
      active.insert(v);
  return active;
}

namespace {

Value castTo(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  return b.create<tensor::CastOp>(loc, type, v);
}

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

std::string mapText(AffineMap map) {
  std::string text;
  llvm::raw_string_ostream os(text);
  map.print(os);
  return text;
}

} // namespace

void Adjoints::add(Value v, Value d) {
  if (!isActive(v) || !d)
    return;
  Location loc = d.getLoc();
  d = castTo(b_, loc, d, v.getType());
  Value &slot = adj_[v];
  if (!slot) {
    slot = d;
    return;
  }
  TensorMath math(b_, loc);
  slot = math.binary(BinaryKind::Add, slot, d,
                     cast<RankedTensorType>(v.getType()));
}

LogicalResult Adjoints::propagate(Operation *op) {
  bool any = false;
  for (Value r : op->getResults())
    any |= bool(get(r));
  if (!any)
    return success();
  if (isa<linalg::GenericOp>(op)) {
    if (Value table = gatheredTable(op))
      return gatherRows(op, table);
    if (firstMaximum(op))
      return success();
    return generic(op);
  }
  if (isa<scf::ForOp>(op) && op->hasAttr(mod::kRowMapAttr))
    return rowMap(op);
  if (isa<mod::RouteDecideOp>(op))
    return routeDecide(op);
  if (isa<mod::RouteScatterOp>(op))
    return routeScatter(op);
  if (isa<mod::RouteFinishOp>(op))
    return routeFinish(op);
  if (isa<mod::RouteDenseOp>(op))
    return routeDense(op);
  if (isa<mod::GroupedMatmulOp>(op))
    return groupedMatmul(op);
  if (isa<linalg::MatmulOp>(op))
    return matmul(op, /*batched=*/false);
  if (isa<linalg::MatmulTransposeAOp, linalg::MatmulTransposeBOp>(op))
    return matmulTransposed(op);
  if (isa<linalg::BatchMatmulOp>(op))
    return matmul(op, /*batched=*/true);
  if (isa<linalg::TransposeOp>(op))
    return transpose(op);
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::ReshapeOp,
          tensor::CastOp>(op))
    return shape(op);
  if (isa<tensor::InsertSliceOp, tensor::ExtractSliceOp>(op))
    return slice(op);
  for (Value o : op->getOperands())
    if (isActive(o))
      return op->emitError() << "training: the gradient through '"
                             << op->getName() << "' is not supported yet";
  return success();
}

Value Adjoints::product(Product kind, Value lhs, Value rhs, Value like) {
  Location loc = like.getLoc();
  auto type = cast<RankedTensorType>(like.getType());
  Value init = zerosLike(b_, loc, like);
  SmallVector<Value, 2> ins = {lhs, rhs};
  Operation *op = nullptr;
  switch (kind) {
  case Product::Plain:
    op = b_.create<linalg::MatmulOp>(loc, TypeRange{type}, ins, init);
    break;
  case Product::TransposeA:
    op = b_.create<linalg::MatmulTransposeAOp>(loc, TypeRange{type}, ins, init);
    break;
  case Product::TransposeB:
    op = b_.create<linalg::MatmulTransposeBOp>(loc, TypeRange{type}, ins, init);
    break;
  case Product::BatchTransposeA:
    op = b_.create<linalg::BatchMatmulTransposeAOp>(loc, TypeRange{type}, ins,
                                                    init);
    break;
  case Product::BatchTransposeB:
    op = b_.create<linalg::BatchMatmulTransposeBOp>(loc, TypeRange{type}, ins,
                                                    init);
    break;
  }
  return op->getResult(0);
}

LogicalResult Adjoints::matmul(Operation *op, bool batched) {
  auto mm = cast<linalg::LinalgOp>(op);
  Value a = mm.getDpsInputs()[0], bm = mm.getDpsInputs()[1];
  Value d = get(op->getResult(0));
  // dA = dR @ B^T, dB = A^T @ dR (the named transposed products: the
  // runtime's GEMM reads the transposed operand in place), and the
  // accumulator passes dR through.
  if (isActive(a))
    add(a, product(batched ? Product::BatchTransposeB : Product::TransposeB, d,
                   bm, a));
  if (isActive(bm))
    add(bm, product(batched ? Product::BatchTransposeA : Product::TransposeA, a,
                    d, bm));
  add(mm.getDpsInits()[0], d);
  return success();
}

LogicalResult Adjoints::matmulTransposed(Operation *op) {
  // C = A B^T (an [out, in] weight read in place) or C = A^T B.
  auto mm = cast<linalg::LinalgOp>(op);
  Value a = mm.getDpsInputs()[0], bm = mm.getDpsInputs()[1];
  Value d = get(op->getResult(0));
  if (isa<linalg::MatmulTransposeBOp>(op)) {
    // dA = dC B, dB = dC^T A.
    if (isActive(a))
      add(a, product(Product::Plain, d, bm, a));
    if (isActive(bm))
      add(bm, product(Product::TransposeA, d, a, bm));
  } else {
    // dA = B dC^T, dB = A dC.
    if (isActive(a))
      add(a, product(Product::TransposeB, bm, d, a));
    if (isActive(bm))
      add(bm, product(Product::Plain, a, d, bm));
  }
  add(mm.getDpsInits()[0], d);
  return success();
}

LogicalResult Adjoints::transpose(Operation *op) {
  auto t = cast<linalg::TransposeOp>(op);
  Value d = get(t.getResult()[0]);
  ArrayRef<int64_t> perm = t.getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inverse[perm[i]] = int64_t(i);
  TensorMath math(b_, op->getLoc());
  add(t.getInput(), math.transpose(d, inverse));
  return success();
}

LogicalResult Adjoints::shape(Operation *op) {
  Location loc = op->getLoc();
  Value src = op->getOperand(0);
  Value d = get(op->getResult(0));
  if (!isActive(src))
    return success();
  Type srcType = src.getType();
  // The adjoint of a collapse is a reshape back (MLIR 19 bufferizes an
  // expand_shape with two dynamic dims in one group wrongly).
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
    add(src, b_.create<tensor::CollapseShapeOp>(
                 loc, srcType, d, expand.getReassociationIndices()));
    return success();
  }
  if (isa<tensor::CastOp>(op)) {
    add(src, castTo(b_, loc, d, srcType));
    return success();
  }
  add(src, TensorMath(b_, loc).reshapeLike(d, src));
  return success();
}

LogicalResult Adjoints::slice(Operation *op) {
  Location loc = op->getLoc();
  Value d = get(op->getResult(0));
  if (auto ins = dyn_cast<tensor::InsertSliceOp>(op)) {
    Value source = ins.getSource(), dest = ins.getDest();
    if (isActive(source))
      add(source, b_.create<tensor::ExtractSliceOp>(
                      loc, cast<RankedTensorType>(source.getType()), d,
                      ins.getMixedOffsets(), ins.getMixedSizes(),
                      ins.getMixedStrides()));
    if (isActive(dest))
      add(dest, b_.create<tensor::InsertSliceOp>(
                    loc, zerosLike(b_, loc, source), d, ins.getMixedOffsets(),
                    ins.getMixedSizes(), ins.getMixedStrides()));
    return success();
  }
  auto ext = cast<tensor::ExtractSliceOp>(op);
  Value src = ext.getSource();
  if (isActive(src))
    add(src, b_.create<tensor::InsertSliceOp>(
                 loc, d, zerosLike(b_, loc, src), ext.getMixedOffsets(),
                 ext.getMixedSizes(), ext.getMixedStrides()));
  return success();
}

namespace {

/// Reverse mode over the scalar ops of a generic's body, cloned into the
/// backward generic: the adjoint of every float value from those of the
/// yielded ones.
class ScalarAdjoints {
public:
  ScalarAdjoints(OpBuilder &b, Location loc,
                 const llvm::DenseSet<Value> &accumulators)
      : b_(b), loc_(loc), accumulators_(accumulators) {}

  void add(Value v, Value d) {
    if (!d || !isFloat(v) || v.getDefiningOp<arith::ConstantOp>())
      return;
    Value &slot = adj_[v];
    slot = slot ? b_.create<arith::AddFOp>(loc_, slot, d).getResult() : d;
  }
  Value get(Value v) const { return adj_.lookup(v); }

  /// Propagates through `op`; failure for a float op without a rule.
  LogicalResult step(Operation *op) {
    if (op->getNumResults() != 1)
      return success();
    Value y = op->getResult(0);
    Value d = get(y);
    if (!d || !isFloat(y))
      return success();
    Type t = y.getType();
    auto c = [&](double v) -> Value {
      return b_.create<arith::ConstantOp>(loc_, b_.getFloatAttr(t, v));
    };
    auto mul = [&](Value a, Value b) -> Value {
      return b_.create<arith::MulFOp>(loc_, a, b);
    };
    auto div = [&](Value a, Value b) -> Value {
      return b_.create<arith::DivFOp>(loc_, a, b);
    };
    auto neg = [&](Value a) -> Value {
      return b_.create<arith::NegFOp>(loc_, a);
    };
    auto select = [&](Value cond, Value a, Value b) -> Value {
      return b_.create<arith::SelectOp>(loc_, cond, a, b);
    };
    auto cmp = [&](arith::CmpFPredicate p, Value a, Value b) -> Value {
      return b_.create<arith::CmpFOp>(loc_, p, a, b);
    };
    // max/min: an operand that stands for the reduction's accumulator
    // (the final result) gives the gradient to the elements equal to it;
    // otherwise the strictly larger operand takes it (relu: 0 at 0).
    auto extremum = [&](Value lhs, Value rhs, arith::CmpFPredicate strict,
                        arith::CmpFPredicate orEqual) {
      if (accumulators_.contains(rhs)) {
        add(lhs, select(cmp(arith::CmpFPredicate::OEQ, lhs, rhs), d, c(0.0)));
        return;
      }
      if (accumulators_.contains(lhs)) {
        add(rhs, select(cmp(arith::CmpFPredicate::OEQ, rhs, lhs), d, c(0.0)));
        return;
      }
      // The `maximum`/`minimum` builtins split a tie in halves, as
      // torch.maximum does.
      if (op->hasAttr(mod::kSplitTiesAttr)) {
        Value half = mul(d, c(0.5));
        Value tie = cmp(arith::CmpFPredicate::OEQ, lhs, rhs);
        Value lhsWins = cmp(strict, lhs, rhs);
        add(lhs, select(tie, half, select(lhsWins, d, c(0.0))));
        add(rhs, select(tie, half, select(lhsWins, c(0.0), d)));
        return;
      }
      // Against a constant (relu's 0) only a strictly larger value takes
      // the gradient (relu has gradient 0 at 0); between two values a tie
      // goes to the first operand (the earlier target of a `max` route).
      bool constant = lhs.getDefiningOp<arith::ConstantOp>() ||
                      rhs.getDefiningOp<arith::ConstantOp>();
      Value take = cmp(constant ? strict : orEqual, lhs, rhs);
      add(lhs, select(take, d, c(0.0)));
      add(rhs, select(take, c(0.0), d));
    };
    bool handled =
        llvm::TypeSwitch<Operation *, bool>(op)
            .Case([&](arith::AddFOp o) {
              add(o.getLhs(), d);
              add(o.getRhs(), d);
              return true;
            })
            .Case([&](arith::SubFOp o) {
              add(o.getLhs(), d);
              add(o.getRhs(), neg(d));
              return true;
            })
            .Case([&](arith::MulFOp o) {
              add(o.getLhs(), mul(d, o.getRhs()));
              add(o.getRhs(), mul(d, o.getLhs()));
              return true;
            })
            .Case([&](arith::DivFOp o) {
              add(o.getLhs(), div(d, o.getRhs()));
              add(o.getRhs(), neg(div(mul(d, y), o.getRhs())));
              return true;
            })
            .Case([&](arith::NegFOp o) {
              add(o.getOperand(), neg(d));
              return true;
            })
            .Case<arith::MaximumFOp, arith::MaxNumFOp>([&](auto o) {
              extremum(o.getLhs(), o.getRhs(), arith::CmpFPredicate::OGT,
                       arith::CmpFPredicate::OGE);
              return true;
            })
            .Case<arith::MinimumFOp, arith::MinNumFOp>([&](auto o) {
              extremum(o.getLhs(), o.getRhs(), arith::CmpFPredicate::OLT,
                       arith::CmpFPredicate::OLE);
              return true;
            })
            .Case([&](math::ExpOp o) {
              add(o.getOperand(), mul(d, y));
              return true;
            })
            .Case([&](math::LogOp o) {
              add(o.getOperand(), div(d, o.getOperand()));
              return true;
            })
            .Case([&](math::Log1pOp o) {
              Value x = o.getOperand();
              add(x, div(d, b_.create<arith::AddFOp>(loc_, x, c(1.0))));
              return true;
            })
            .Case([&](math::PowFOp o) {
              Value a = o.getLhs(), p = o.getRhs();
              // d/da = p a^(p-1); d/dp = a^p log(a), 0 where a = 0 (as
              // PyTorch: no NaN from 0 * log 0).
              // 0 where p = 0 (as PyTorch: no NaN from 0 * 0^-1).
              Value pm1 = b_.create<arith::SubFOp>(loc_, p, c(1.0));
              Value zeroPower = cmp(arith::CmpFPredicate::OEQ, p, c(0.0));
              add(a, select(zeroPower, c(0.0),
                            mul(d, mul(p, b_.create<math::PowFOp>(loc_, a,
                                                                  pm1)))));
              Value zeroBase = cmp(arith::CmpFPredicate::OEQ, a, c(0.0));
              Value logA = b_.create<math::LogOp>(loc_, a);
              add(p, select(zeroBase, c(0.0), mul(d, mul(y, logA))));
              return true;
            })
            .Case([&](math::SqrtOp o) {
              add(o.getOperand(), div(mul(d, c(0.5)), y));
              return true;
            })
            .Case([&](math::TanhOp o) {
              Value oneMinus =
                  b_.create<arith::SubFOp>(loc_, c(1.0), mul(y, y));
              add(o.getOperand(), mul(d, oneMinus));
              return true;
            })
            .Case([&](math::ErfOp o) {
              Value x = o.getOperand();
              Value e = b_.create<math::ExpOp>(loc_, neg(mul(x, x)));
              // d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
              add(x, mul(d, mul(e, c(1.1283791670955126))));
              return true;
            })
            .Case([&](math::AbsFOp o) {
              Value x = o.getOperand();
              Value sign =
                  select(cmp(arith::CmpFPredicate::OGT, x, c(0.0)), c(1.0),
                         select(cmp(arith::CmpFPredicate::OLT, x, c(0.0)),
                                c(-1.0), c(0.0)));
              add(x, mul(d, sign));
              return true;
            })
            .Case([&](arith::SelectOp o) {
              add(o.getTrueValue(), select(o.getCondition(), d, c(0.0)));
              add(o.getFalseValue(), select(o.getCondition(), c(0.0), d));
              return true;
            })
            .Case([&](arith::ExtFOp o) {
              add(o.getIn(),
                  b_.create<arith::TruncFOp>(loc_, o.getIn().getType(), d));
              return true;
            })
            .Case([&](arith::TruncFOp o) {
              add(o.getIn(),
                  b_.create<arith::ExtFOp>(loc_, o.getIn().getType(), d));
              return true;
            })
            .Case<arith::ConstantOp, arith::SIToFPOp, arith::UIToFPOp>(
                [&](auto) { return true; })
            .Default([&](Operation *o) {
              for (Value v : o->getOperands())
                if (isFloat(v))
                  return false;
              return true;
            });
    return success(handled);
  }

private:
  OpBuilder &b_;
  Location loc_;
  const llvm::DenseSet<Value> &accumulators_;
  llvm::DenseMap<Value, Value> adj_;
};

} // namespace

bool Adjoints::firstMaximum(Operation *op) {
  // `max` (`min`) over one axis (TensorMath::reduce): the gradient goes to
  // the first maximum (minimum) of each reduced row (LANGUAGE.md §10), not
  // to every tie.
  auto g = cast<linalg::GenericOp>(op);
  if (g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
      g.getNumReductionLoops() != 1)
    return false;
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  if (!maps[0].isIdentity())
    return false;
  Block &body = g.getRegion().front();
  if (!llvm::hasSingleElement(body.without_terminator()))
    return false;
  Operation &inner = body.front();
  if (!isa<arith::MaximumFOp, arith::MaxNumFOp, arith::MinimumFOp,
           arith::MinNumFOp>(inner))
    return false;
  Value in = body.getArgument(0), acc = body.getArgument(1);
  if (!((inner.getOperand(0) == in && inner.getOperand(1) == acc) ||
        (inner.getOperand(0) == acc && inner.getOperand(1) == in)))
    return false;
  Value x = g.getDpsInputs()[0], r = g->getResult(0);
  Value d = get(r);
  if (!isActive(x) || !d)
    return true;
  Location loc = g.getLoc();
  MLIRContext *ctx = g.getContext();
  unsigned axis = 0;
  for (auto [i, it] : llvm::enumerate(g.getIteratorTypesArray()))
    if (it == utils::IteratorType::reduction)
      axis = unsigned(i);
  auto rt = cast<RankedTensorType>(r.getType());
  auto firstType = RankedTensorType::get(rt.getShape(), b_.getI64Type());
  SmallVector<Value> dyn;
  for (int64_t i = 0; i < rt.getRank(); ++i)
    if (rt.isDynamicDim(i))
      dyn.push_back(b_.create<tensor::DimOp>(loc, r, i));
  Value none = b_.create<arith::ConstantOp>(
      loc, b_.getI64IntegerAttr(std::numeric_limits<int64_t>::max()));
  Value firstInit =
      b_.create<linalg::FillOp>(
            loc, none,
            b_.create<tensor::EmptyOp>(loc, firstType, dyn).getResult())
          .getResult(0);
  auto indexAt = [&](OpBuilder &nb, Location nl) -> Value {
    return nb.create<arith::IndexCastOp>(nl, nb.getI64Type(),
                                         nb.create<linalg::IndexOp>(nl, axis));
  };
  Value first =
      b_.create<linalg::GenericOp>(
            loc, TypeRange{firstType}, ValueRange{x, r}, ValueRange{firstInit},
            SmallVector<AffineMap>{maps[0], maps[1], maps[1]},
            g.getIteratorTypesArray(),
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              Value hit = nb.create<arith::CmpFOp>(
                  nl, arith::CmpFPredicate::OEQ, a[0], a[1]);
              Value cand =
                  nb.create<arith::SelectOp>(nl, hit, indexAt(nb, nl), none);
              nb.create<linalg::YieldOp>(
                  nl, nb.create<arith::MinSIOp>(nl, a[2], cand).getResult());
            })
          .getResult(0);
  auto xt = cast<RankedTensorType>(x.getType());
  SmallVector<utils::IteratorType> parallel(xt.getRank(),
                                            utils::IteratorType::parallel);
  Value dx =
      b_.create<linalg::GenericOp>(
            loc, TypeRange{xt}, ValueRange{first, d},
            ValueRange{emptyLike(b_, loc, x)},
            SmallVector<AffineMap>{
                maps[1], maps[1],
                AffineMap::getMultiDimIdentityMap(xt.getRank(), ctx)},
            parallel,
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              Value take = nb.create<arith::CmpIOp>(
                  nl, arith::CmpIPredicate::eq, indexAt(nb, nl), a[0]);
              Value z = nb.create<arith::ConstantOp>(
                  nl, nb.getFloatAttr(xt.getElementType(), 0.0));
              nb.create<linalg::YieldOp>(
                  nl,
                  nb.create<arith::SelectOp>(nl, take, a[1], z).getResult());
            })
          .getResult(0);
  add(x, dx);
  return true;
}

LogicalResult Adjoints::generic(Operation *op) {
  auto g = cast<linalg::GenericOp>(op);
  Location loc = g.getLoc();
  MLIRContext *ctx = g.getContext();
  unsigned numIns = g.getNumDpsInputs(), numOuts = g.getNumDpsInits();
  unsigned numLoops = g.getNumLoops();
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  Block &body = g.getRegion().front();

  // Values read inside the body from outside (an embedding's table) are
  // not differentiated yet.
  WalkResult captured = g.getRegion().walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (isActive(v) && !g->isAncestor(v.getParentRegion()->getParentOp()))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (captured.wasInterrupted())
    return g.emitError() << "training: the gradient of a gather from a "
                            "trained tensor (embedding) is not supported yet";
  for (unsigned j = 0; j < numOuts; ++j)
    if (isActive(g.getDpsInits()[j]) &&
        !body.getArgument(numIns + j).use_empty())
      return g.emitError() << "training: the gradient through an "
                              "accumulation into a trained tensor is not "
                              "supported yet";

  SmallVector<Value> dR(numOuts);
  for (unsigned j = 0; j < numOuts; ++j)
    dR[j] = get(g->getResult(j));

  // Input slots grouped by (value, map): `d * d` reads d twice.
  struct Group {
    Value value;
    AffineMap map;
    SmallVector<unsigned> slots;
  };
  SmallVector<Group> groups;
  for (unsigned k = 0; k < numIns; ++k) {
    Value in = g.getDpsInputs()[k];
    if (!isActive(in))
      continue;
    auto it = llvm::find_if(groups, [&](const Group &gr) {
      return gr.value == in && gr.map == maps[k];
    });
    if (it == groups.end())
      groups.push_back({in, maps[k], {k}});
    else
      it->slots.push_back(k);
  }

  for (const Group &gr : groups) {
    auto vt = cast<RankedTensorType>(gr.value.getType());
    // The adjoint's indexing: the input's map without its broadcast (unit,
    // constant-indexed) dims, which are put back by an expand_shape.
    SmallVector<AffineExpr> outExprs;
    SmallVector<int64_t> kept, outShape;
    SmallVector<std::pair<int64_t, int64_t>> constants;
    bool allUnit = true;
    SmallVector<Value> outDyn;
    for (auto [pos, e] : llvm::enumerate(gr.map.getResults())) {
      if (auto dim = dyn_cast<AffineDimExpr>(e)) {
        outExprs.push_back(dim);
        kept.push_back(int64_t(pos));
        outShape.push_back(vt.getDimSize(pos));
        if (vt.isDynamicDim(pos))
          outDyn.push_back(b_.create<tensor::DimOp>(loc, gr.value, pos));
        continue;
      }
      auto cst = dyn_cast<AffineConstantExpr>(e);
      if (!cst)
        return g.emitError() << "training: no gradient rule for the indexing "
                                "map "
                             << mapText(gr.map) << " of this linalg.generic";
      // A broadcast unit dim (index 0 of size 1), or one column read by a
      // constant index (dense[r, e]).
      constants.push_back({int64_t(pos), cst.getValue()});
      allUnit &= cst.getValue() == 0 && vt.getDimSize(pos) == 1;
    }
    AffineMap outMap = AffineMap::get(numLoops, 0, outExprs, ctx);
    if (!outMap.isProjectedPermutation())
      return g.emitError() << "training: no gradient rule for the indexing "
                              "map "
                           << mapText(gr.map) << " of this linalg.generic";
    // Without a reduction loop each element is written once: an empty
    // destination, never read (linalg's elementwise fusion would turn a read
    // of a rank-0 destination inside parallel loops into an accumulation).
    // A reduction of f16/bf16 adjoints (a broadcast half operand: a bias)
    // accumulates in f32 and rounds once, as reductions do (LANGUAGE.md §3);
    // one of f32 adjoints accumulates in f64: a bias gradient over a million
    // rows summed in f32 one row after another is off in its fifth digit
    // (PyTorch sums in a cascade).
    bool reduces = outMap.getNumResults() != numLoops;
    Type elem = vt.getElementType();
    Type accElem = elem;
    if (reduces && elem.getIntOrFloatBitWidth() < 32)
      accElem = b_.getF32Type();
    else if (reduces && elem.isF32())
      accElem = b_.getF64Type();
    auto outType = RankedTensorType::get(outShape, accElem);
    Value zero =
        b_.create<arith::ConstantOp>(loc, b_.getFloatAttr(accElem, 0.0));
    Value init = b_.create<tensor::EmptyOp>(loc, outShape, accElem, outDyn);
    if (reduces)
      init = b_.create<linalg::FillOp>(loc, zero, init).getResult(0);

    // Inputs: the forward inputs, the result adjoints, and the results
    // where the body reads its accumulator (a reduction's running value
    // stands for the final one).
    SmallVector<Value> inputs = g.getDpsInputs();
    SmallVector<AffineMap> newMaps(maps.begin(), maps.begin() + numIns);
    SmallVector<int> dSlot(numOuts, -1), rSlot(numOuts, -1);
    for (unsigned j = 0; j < numOuts; ++j)
      if (dR[j]) {
        dSlot[j] = int(inputs.size());
        inputs.push_back(dR[j]);
        newMaps.push_back(maps[numIns + j]);
      }
    for (unsigned j = 0; j < numOuts; ++j)
      if (!body.getArgument(numIns + j).use_empty()) {
        rSlot[j] = int(inputs.size());
        inputs.push_back(g->getResult(j));
        newMaps.push_back(maps[numIns + j]);
      }
    newMaps.push_back(outMap);
    SmallVector<utils::IteratorType> iters;
    for (unsigned l = 0; l < numLoops; ++l)
      iters.push_back(outMap.isFunctionOfDim(l)
                          ? utils::IteratorType::parallel
                          : utils::IteratorType::reduction);

    LogicalResult bodyResult = success();
    auto backward = b_.create<linalg::GenericOp>(
        loc, TypeRange{outType}, inputs, ValueRange{init}, newMaps, iters,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          IRMapping mapping;
          llvm::DenseSet<Value> accumulators;
          for (unsigned k = 0; k < numIns; ++k)
            mapping.map(body.getArgument(k), args[k]);
          for (unsigned j = 0; j < numOuts; ++j)
            if (rSlot[j] >= 0) {
              mapping.map(body.getArgument(numIns + j), args[rSlot[j]]);
              accumulators.insert(args[rSlot[j]]);
            }
          SmallVector<Operation *> cloned;
          for (Operation &inner : body.without_terminator())
            cloned.push_back(nb.clone(inner, mapping));
          ScalarAdjoints scalar(nb, nl, accumulators);
          auto yield = cast<linalg::YieldOp>(body.getTerminator());
          for (unsigned j = 0; j < numOuts; ++j)
            if (dSlot[j] >= 0)
              scalar.add(mapping.lookupOrDefault(yield.getOperand(j)),
                         args[dSlot[j]]);
          for (Operation *c : llvm::reverse(cloned))
            if (failed(scalar.step(c))) {
              bodyResult = c->emitError() << "training: no derivative for '"
                                          << c->getName() << "'";
              break;
            }
          Value total;
          for (unsigned k : gr.slots) {
            Value a = scalar.get(args[k]);
            if (a)
              total = total ? nb.create<arith::AddFOp>(nl, total, a).getResult()
                            : a;
          }
          if (!total)
            total = nb.create<arith::ConstantOp>(
                nl, nb.getFloatAttr(vt.getElementType(), 0.0));
          if (accElem != elem)
            total = nb.create<arith::ExtFOp>(nl, accElem, total);
          if (reduces)
            total = nb.create<arith::AddFOp>(nl, args.back(), total);
          nb.create<linalg::YieldOp>(nl, total);
        });
    if (failed(bodyResult))
      return failure();
    Value result = backward.getResult(0);
    if (accElem != elem)
      result = TensorMath(b_, loc).cast(result, elem);
    if (!allUnit) {
      // The columns read at constant indices: the adjoint goes into that
      // slice of a zero tensor.
      SmallVector<OpFoldResult> offsets(vt.getRank(), b_.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes =
          tensor::getMixedSizes(b_, loc, gr.value);
      SmallVector<OpFoldResult> strides(vt.getRank(), b_.getIndexAttr(1));
      for (auto [pos, value] : constants) {
        offsets[pos] = b_.getIndexAttr(value);
        sizes[pos] = b_.getIndexAttr(1);
      }
      result = b_.create<tensor::InsertSliceOp>(
          loc, result, zerosLike(b_, loc, gr.value), offsets, sizes, strides);
    } else if (kept.size() != size_t(vt.getRank())) {
      // Put the unit dims back: each one joins the group of the kept dim
      // before it (or the first one).
      SmallVector<ReassociationIndices> groupsOfDims;
      for (int64_t pos = 0; pos < vt.getRank(); ++pos) {
        bool isKept = llvm::is_contained(kept, pos);
        if (isKept || groupsOfDims.empty())
          groupsOfDims.push_back({pos});
        else
          groupsOfDims.back().push_back(pos);
      }
      // Unit dims before the first kept one went into a group of their
      // own; merge it into the next group.
      if (!kept.empty() && kept.front() != 0 && groupsOfDims.size() > 1) {
        ReassociationIndices first = groupsOfDims.front();
        groupsOfDims.erase(groupsOfDims.begin());
        groupsOfDims.front().insert(groupsOfDims.front().begin(), first.begin(),
                                    first.end());
      }
      if (kept.empty())
        groupsOfDims.clear();
      SmallVector<OpFoldResult> sizes =
          tensor::getMixedSizes(b_, loc, gr.value);
      result = b_.create<tensor::ExpandShapeOp>(loc, vt, result, groupsOfDims,
                                                sizes);
    }
    add(gr.value, result);
  }
  return success();
}

} // namespace modc
