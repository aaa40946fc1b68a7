//===- TensorLoss.cpp - The loss builtins as linalg -----------------------===//
//
// LANGUAGE.md §6's losses, each a rank-0 f32 tensor built from the same
// linalg.generic reductions as the rest of TensorMath, so that the
// differentiation pass needs no rule of their own: `mse`, `cross_entropy`,
// `load_balance` (its top-k fractions come from comparisons and carry no
// gradient, as the spec asks) and `z_loss`.
//
//===----------------------------------------------------------------------===//

#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;

namespace modc {

Value TensorMath::sumAll(Value x) {
  auto t = llvm::cast<RankedTensorType>(x.getType());
  if (t.getRank() == 0)
    return x;
  MLIRContext *ctx = b_.getContext();
  // f32 elements add up in f64: a loss over millions of elements summed
  // one after another in f32 would be off in its third digit (PyTorch sums
  // in a cascade, to ~1e-7).
  Type in = t.getElementType();
  Type elem = in.isF32() ? Type(b_.getF64Type()) : in;
  auto scalarType = RankedTensorType::get({}, elem);
  Value init = b_.create<tensor::EmptyOp>(loc_, ArrayRef<int64_t>{}, elem);
  Value zero = scalarConstant(elem, 0.0);
  Value filled = b_.create<linalg::FillOp>(loc_, zero, init).getResult(0);
  int64_t rank = t.getRank();
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, {}, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::reduction);
  Value total =
      b_.create<linalg::GenericOp>(
            loc_, TypeRange{scalarType}, ValueRange{x}, ValueRange{filled},
            maps, iters,
            [&](OpBuilder &nb, Location l, ValueRange v) {
              Value e = v[0];
              if (e.getType() != elem)
                e = nb.create<arith::ExtFOp>(l, elem, e);
              nb.create<linalg::YieldOp>(
                  l, nb.create<arith::AddFOp>(l, v[1], e).getResult());
            })
          .getResult(0);
  return elem == in ? total : cast(total, in);
}

Value TensorMath::countOf(Value x, int64_t dims) {
  Value n = b_.create<arith::ConstantIndexOp>(loc_, 1);
  for (int64_t i = 0; i < dims; ++i)
    n = b_.create<arith::MulIOp>(loc_, n, dimSize(x, i));
  Value i64 = b_.create<arith::IndexCastOp>(loc_, b_.getI64Type(), n);
  return b_.create<arith::SIToFPOp>(loc_, b_.getF32Type(), i64);
}

Value TensorMath::meanOverRows(Value perRow, Value rows) {
  auto scalarType = RankedTensorType::get({}, b_.getF32Type());
  return binary(BinaryKind::Div, sumAll(perRow), rows, scalarType);
}

Value TensorMath::mse(Value a, Value b) {
  auto t = llvm::cast<RankedTensorType>(a.getType());
  Value d = binary(BinaryKind::Sub, a, b, t);
  Value sq = binary(BinaryKind::Mul, d, d, t);
  return meanOverRows(sq, countOf(a, t.getRank()));
}

Value TensorMath::crossEntropy(Value logits, Value labels) {
  MLIRContext *ctx = b_.getContext();
  auto t = llvm::cast<RankedTensorType>(logits.getType());
  int64_t rank = t.getRank(), last = rank - 1;
  Value logp = softmax(logits, last, /*log=*/true);
  // picked[r...] = logp[r..., labels[r...]], as a reduction over the class
  // axis that keeps the one matching class.
  Reduced row = reduced(logits, last, /*keepdims=*/false);
  auto rowType = RankedTensorType::get(row.shape, t.getElementType());
  Value zero = scalarConstant(t.getElementType(), 0.0);
  Value init = b_.create<linalg::FillOp>(loc_, zero, empty(rowType, row.sizes))
                   .getResult(0);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 row.map, row.map};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters[last] = utils::IteratorType::reduction;
  Type labelType =
      llvm::cast<RankedTensorType>(labels.getType()).getElementType();
  Value picked =
      b_.create<linalg::GenericOp>(
            loc_, TypeRange{rowType}, ValueRange{logp, labels},
            ValueRange{init}, maps, iters,
            [&](OpBuilder &nb, Location l, ValueRange v) {
              Value c = nb.create<arith::IndexCastOp>(
                  l, labelType, nb.create<linalg::IndexOp>(l, last));
              Value hit = nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq,
                                                   c, v[1]);
              Value z = nb.create<arith::ConstantOp>(
                  l, nb.getFloatAttr(v[0].getType(), 0.0));
              Value keep = nb.create<arith::SelectOp>(l, hit, v[0], z);
              nb.create<linalg::YieldOp>(
                  l, nb.create<arith::AddFOp>(l, v[2], keep).getResult());
            })
          .getResult(0);
  Value nll = neg(picked);
  return meanOverRows(nll, countOf(logits, last));
}

Value TensorMath::zLoss(Value logits) {
  auto t = llvm::cast<RankedTensorType>(logits.getType());
  int64_t last = t.getRank() - 1;
  Value m = reduce(vocab::Builtin::Max, logits, last, /*keepdims=*/true);
  auto mType = llvm::cast<RankedTensorType>(m.getType());
  // An infinite maximum shifts by 0 (as torch.logsumexp): a row of -inf
  // gives -inf, one holding +inf gives +inf, and both square to +inf
  // instead of NaN from inf - inf.
  m = elementwise({m}, mType, [](OpBuilder &nb, Location l, ValueRange v) {
    Type ft = v[0].getType();
    auto c = [&](double x) -> Value {
      return nb.create<arith::ConstantOp>(l, nb.getFloatAttr(ft, x));
    };
    Value inf = c(std::numeric_limits<double>::infinity());
    Value abs = nb.create<math::AbsFOp>(l, v[0]);
    Value isInf =
        nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, abs, inf);
    return nb.create<arith::SelectOp>(l, isInf, c(0.0), v[0]).getResult();
  });
  Value shifted = binary(BinaryKind::Sub, logits, m, t);
  Value s = reduce(vocab::Builtin::Sum, unary(vocab::Builtin::Exp, shifted),
                   last, /*keepdims=*/true);
  Value lse = binary(BinaryKind::Add, m, unary(vocab::Builtin::Log, s), mType);
  Value sq = binary(BinaryKind::Mul, lse, lse, mType);
  return meanOverRows(sq, countOf(logits, last));
}

Value TensorMath::loadBalance(Value logits, int64_t k) {
  MLIRContext *ctx = b_.getContext();
  auto t = llvm::cast<RankedTensorType>(logits.getType());
  Type f32 = t.getElementType();
  int64_t last = t.getRank() - 1;
  int64_t experts = t.getDimSize(last);
  // Rows flattened to [R, E].
  Value flat = logits;
  if (t.getRank() == 1) {
    flat = b_.create<tensor::ExpandShapeOp>(
        loc_, RankedTensorType::get({1, experts}, f32), logits,
        SmallVector<ReassociationIndices>{{0, 1}});
  } else if (t.getRank() > 2) {
    SmallVector<ReassociationIndices> groups(1);
    for (int64_t i = 0; i < last; ++i)
      groups[0].push_back(i);
    groups.push_back({last});
    flat = b_.create<tensor::CollapseShapeOp>(loc_, logits, groups);
  }
  auto ft = llvm::cast<RankedTensorType>(flat.getType());
  Value rows = countOf(flat, 1);
  // P_e = mean over rows of softmax(logits)_e.
  Value p = softmax(flat, 1, /*log=*/false);
  Value pSum = reduce(vocab::Builtin::Sum, p, 0, /*keepdims=*/false); // [E]
  // chosen[r, e] = 1 if e is among row r's top k (ties to the lower index):
  // fewer than k experts j beat it (l_j > l_e, or equal with j < e).
  SmallVector<Value> sizes = {ft.isDynamicDim(0) ? dimSize(flat, 0) : Value(),
                              Value()};
  Value zero = scalarConstant(f32, 0.0);
  Value beaten =
      b_.create<linalg::FillOp>(loc_, zero, empty(ft, sizes)).getResult(0);
  AffineExpr r = getAffineDimExpr(0, ctx), e = getAffineDimExpr(1, ctx),
             j = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {r, e}, ctx),
                                 AffineMap::get(3, 0, {r, j}, ctx),
                                 AffineMap::get(3, 0, {r, e}, ctx)};
  SmallVector<utils::IteratorType> iters = {utils::IteratorType::parallel,
                                            utils::IteratorType::parallel,
                                            utils::IteratorType::reduction};
  beaten =
      b_.create<linalg::GenericOp>(
            loc_, TypeRange{ft}, ValueRange{flat, flat}, ValueRange{beaten},
            maps, iters,
            [&](OpBuilder &nb, Location l, ValueRange v) {
              Value ie = nb.create<linalg::IndexOp>(l, 1);
              Value ij = nb.create<linalg::IndexOp>(l, 2);
              Value gt = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT,
                                                  v[1], v[0]);
              Value eq = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ,
                                                  v[1], v[0]);
              Value lower = nb.create<arith::CmpIOp>(
                  l, arith::CmpIPredicate::ult, ij, ie);
              Value beats = nb.create<arith::OrIOp>(
                  l, gt, nb.create<arith::AndIOp>(l, eq, lower));
              Value one =
                  nb.create<arith::ConstantOp>(l, nb.getFloatAttr(f32, 1.0));
              Value none =
                  nb.create<arith::ConstantOp>(l, nb.getFloatAttr(f32, 0.0));
              Value add = nb.create<arith::SelectOp>(l, beats, one, none);
              nb.create<linalg::YieldOp>(
                  l, nb.create<arith::AddFOp>(l, v[2], add).getResult());
            })
          .getResult(0);
  Value chosen = empty(ft, sizes);
  auto id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
  chosen =
      b_.create<linalg::GenericOp>(
            loc_, TypeRange{ft}, ValueRange{beaten}, ValueRange{chosen},
            SmallVector<AffineMap>{id2, id2},
            SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location l, ValueRange v) {
              Value kk = nb.create<arith::ConstantOp>(
                  l, nb.getFloatAttr(f32, double(k)));
              Value in = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLT,
                                                  v[0], kk);
              Value one =
                  nb.create<arith::ConstantOp>(l, nb.getFloatAttr(f32, 1.0));
              Value none =
                  nb.create<arith::ConstantOp>(l, nb.getFloatAttr(f32, 0.0));
              nb.create<linalg::YieldOp>(
                  l, nb.create<arith::SelectOp>(l, in, one, none).getResult());
            })
          .getResult(0);
  Value counts =
      reduce(vocab::Builtin::Sum, chosen, 0, /*keepdims=*/false); // [E]
  // E * sum_e (counts_e / (R k)) * (pSum_e / R).
  auto vecType = RankedTensorType::get({experts}, f32);
  Value prod = binary(BinaryKind::Mul, counts, pSum, vecType);
  auto scalarType = RankedTensorType::get({}, f32);
  Value total = sumAll(prod);
  Value rk = b_.create<arith::MulFOp>(
      loc_, rows,
      b_.create<arith::MulFOp>(
          loc_, rows, scalarConstant(f32, double(k) / double(experts))));
  return binary(BinaryKind::Div, total, rk, scalarType);
}

} // namespace modc
