//===- TensorMath.cpp - Tensor math as upstream linalg/tensor ops ---------===//

#include "ir/TensorMath.h"

#include "dialects/Mod/ModDialect.h"

#include "mlir/IR/Matchers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace modc {

namespace {
bool isStaticOne(int64_t d) { return d == 1; }

/// Wide sums over a static axis at most this long stay in f32: their
/// rounding error is far below f32 tolerances.
constexpr int64_t kNarrowSumLength = 256;
} // namespace

Value TensorMath::scalarConstant(Type elem, double value) {
  if (auto f = llvm::dyn_cast<FloatType>(elem))
    return b_.create<arith::ConstantOp>(loc_, b_.getFloatAttr(f, value));
  if (elem.isInteger(1))
    return scalarConstant(elem, int64_t(value != 0.0));
  return scalarConstant(elem, static_cast<int64_t>(value));
}

Value TensorMath::scalarConstant(Type elem, int64_t value) {
  if (auto f = llvm::dyn_cast<FloatType>(elem))
    return b_.create<arith::ConstantOp>(loc_,
                                        b_.getFloatAttr(f, double(value)));
  if (elem.isInteger(1))
    value = value != 0;
  return b_.create<arith::ConstantOp>(loc_, b_.getIntegerAttr(elem, value));
}

namespace {
/// NumPy broadcasting as indices: the first `count` dims of `t`, aligned to
/// end at result dim `resultEnd`, each read at its result loop, or at 0
/// where a size-1 dim is broadcast against a larger one.
SmallVector<AffineExpr> broadcastIndices(RankedTensorType t, int64_t count,
                                         RankedTensorType result,
                                         int64_t resultEnd, MLIRContext *ctx) {
  SmallVector<AffineExpr> exprs;
  for (int64_t k = 0; k < count; ++k) {
    int64_t loop = resultEnd - count + k;
    bool broadcast =
        isStaticOne(t.getDimSize(k)) && !isStaticOne(result.getDimSize(loop));
    exprs.push_back(broadcast ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(loop, ctx));
  }
  return exprs;
}
} // namespace

Value TensorMath::emptyLike(RankedTensorType type,
                            ArrayRef<std::pair<Value, int64_t>> dimSrc) {
  SmallVector<Value> dyn;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    if (!type.isDynamicDim(i))
      continue;
    auto [src, dim] = dimSrc[i];
    dyn.push_back(b_.create<tensor::DimOp>(loc_, src, dim));
  }
  return b_.create<tensor::EmptyOp>(loc_, type.getShape(),
                                    type.getElementType(), dyn);
}

Value TensorMath::elementwise(
    ArrayRef<Value> inputs, RankedTensorType resultType,
    std::function<Value(OpBuilder &, Location, ValueRange)> body) {
  int64_t rank = resultType.getRank();
  MLIRContext *ctx = b_.getContext();
  SmallVector<Value> tensorInputs;
  SmallVector<AffineMap> maps;
  // Where each dynamic result dim can be read at run time.
  SmallVector<std::pair<Value, int64_t>> dimSrc(rank, {Value(), 0});
  SmallVector<int> scalarSlot(inputs.size(), -1);
  for (auto [idx, in] : llvm::enumerate(inputs)) {
    auto t = llvm::dyn_cast<RankedTensorType>(in.getType());
    if (!t) {
      scalarSlot[idx] = -2; // a plain element value, used in the body
      continue;
    }
    int64_t r = t.getRank();
    SmallVector<AffineExpr> exprs =
        broadcastIndices(t, r, resultType, rank, ctx);
    for (int64_t k = 0; k < r; ++k) {
      int64_t resDim = rank - r + k;
      if (llvm::isa<AffineDimExpr>(exprs[k]) && t.isDynamicDim(k) &&
          !dimSrc[resDim].first)
        dimSrc[resDim] = {in, k};
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
    scalarSlot[idx] = int(tensorInputs.size());
    tensorInputs.push_back(in);
  }
  Value init = emptyLike(resultType, dimSrc);
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = b_.create<linalg::GenericOp>(
      loc_, TypeRange{resultType}, tensorInputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> operands;
        for (auto [idx, in] : llvm::enumerate(inputs))
          operands.push_back(scalarSlot[idx] == -2 ? in
                                                   : args[scalarSlot[idx]]);
        nb.create<linalg::YieldOp>(nloc, body(nb, nloc, operands));
      });
  return generic.getResult(0);
}

Value TensorMath::binary(BinaryKind kind, Value lhs, Value rhs,
                         RankedTensorType resultType) {
  bool isFloat = llvm::isa<FloatType>(resultType.getElementType());
  return elementwise(
      {lhs, rhs}, resultType,
      [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
        switch (kind) {
        case BinaryKind::Add:
          return isFloat ? nb.create<arith::AddFOp>(l, v[0], v[1]).getResult()
                         : nb.create<arith::AddIOp>(l, v[0], v[1]).getResult();
        case BinaryKind::Sub:
          return isFloat ? nb.create<arith::SubFOp>(l, v[0], v[1]).getResult()
                         : nb.create<arith::SubIOp>(l, v[0], v[1]).getResult();
        case BinaryKind::Mul:
          return isFloat ? nb.create<arith::MulFOp>(l, v[0], v[1]).getResult()
                         : nb.create<arith::MulIOp>(l, v[0], v[1]).getResult();
        case BinaryKind::Div: {
          if (isFloat)
            return nb.create<arith::DivFOp>(l, v[0], v[1]);
          // Integer division never traps: x / 0 is 0 and MIN / -1 wraps
          // (docs/design.md), where the machine instruction would raise
          // SIGFPE in the host process.
          Type t = v[0].getType();
          Value zero = nb.create<arith::ConstantOp>(l, nb.getIntegerAttr(t, 0));
          Value one = nb.create<arith::ConstantOp>(l, nb.getIntegerAttr(t, 1));
          Value minusOne =
              nb.create<arith::ConstantOp>(l, nb.getIntegerAttr(t, -1));
          Value isZero =
              nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, v[1], zero);
          Value isMinusOne = nb.create<arith::CmpIOp>(
              l, arith::CmpIPredicate::eq, v[1], minusOne);
          Value unsafe = nb.create<arith::OrIOp>(l, isZero, isMinusOne);
          Value divisor = nb.create<arith::SelectOp>(l, unsafe, one, v[1]);
          Value q = nb.create<arith::DivSIOp>(l, v[0], divisor);
          Value negated = nb.create<arith::SubIOp>(l, zero, v[0]);
          q = nb.create<arith::SelectOp>(l, isMinusOne, negated, q);
          return nb.create<arith::SelectOp>(l, isZero, zero, q);
        }
        }
        return v[0];
      });
}

Value TensorMath::compare(int pred, Value lhs, Value rhs,
                          RankedTensorType resultType) {
  static const arith::CmpFPredicate floats[] = {
      arith::CmpFPredicate::OLT, arith::CmpFPredicate::OLE,
      arith::CmpFPredicate::OGT, arith::CmpFPredicate::OGE,
      arith::CmpFPredicate::OEQ, arith::CmpFPredicate::UNE};
  static const arith::CmpIPredicate ints[] = {
      arith::CmpIPredicate::slt, arith::CmpIPredicate::sle,
      arith::CmpIPredicate::sgt, arith::CmpIPredicate::sge,
      arith::CmpIPredicate::eq,  arith::CmpIPredicate::ne};
  static const arith::CmpIPredicate bools[] = {
      arith::CmpIPredicate::ult, arith::CmpIPredicate::ule,
      arith::CmpIPredicate::ugt, arith::CmpIPredicate::uge,
      arith::CmpIPredicate::eq,  arith::CmpIPredicate::ne};
  return elementwise(
      {lhs, rhs}, resultType,
      [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
        Type t = v[0].getType();
        if (llvm::isa<FloatType>(t))
          return nb.create<arith::CmpFOp>(l, floats[pred], v[0], v[1]);
        return nb.create<arith::CmpIOp>(
            l, t.isInteger(1) ? bools[pred] : ints[pred], v[0], v[1]);
      });
}

Value TensorMath::neg(Value x) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  Type elem = type.getElementType();
  return elementwise(
      {x}, type, [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
        if (llvm::isa<FloatType>(elem))
          return nb.create<arith::NegFOp>(l, v[0]);
        Value zero =
            nb.create<arith::ConstantOp>(l, nb.getIntegerAttr(elem, 0));
        return nb.create<arith::SubIOp>(l, zero, v[0]);
      });
}

Value TensorMath::unary(vocab::Builtin fn, Value x) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  Type elem = type.getElementType();
  bool isFloat = llvm::isa<FloatType>(elem);
  return elementwise(
      {x}, type, [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
        Value a = v[0];
        auto fconst = [&](double c) -> Value {
          return nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, c));
        };
        // exp(-|t|) as exp of a select, so that the gradient at 0 follows
        // the branch `t >= 0` (`positive`) picks and no exp overflows: a
        // gradient through exp(-t) at t = -100 would be 0 * inf.
        auto expNegAbs = [&](Value t, Value positive) -> Value {
          Value negT = nb.create<arith::NegFOp>(l, t);
          return nb.create<math::ExpOp>(
              l, nb.create<arith::SelectOp>(l, positive, negT, t));
        };
        // 1 / (1 + e) for t >= 0, e / (1 + e) below, e = exp(-|t|).
        auto sigmoid = [&](Value t) -> Value {
          Value positive = nb.create<arith::CmpFOp>(
              l, arith::CmpFPredicate::OGE, t, fconst(0.0));
          Value e = expNegAbs(t, positive);
          Value den = nb.create<arith::AddFOp>(l, fconst(1.0), e);
          Value r = nb.create<arith::DivFOp>(l, fconst(1.0), den);
          return nb.create<arith::SelectOp>(l, positive, r,
                                            nb.create<arith::MulFOp>(l, e, r));
        };
        using vocab::Builtin;
        switch (fn) {
        case Builtin::Relu: {
          if (isFloat)
            return nb.create<arith::MaximumFOp>(l, a, fconst(0.0));
          Value zero =
              nb.create<arith::ConstantOp>(l, nb.getIntegerAttr(elem, 0));
          return nb.create<arith::MaxSIOp>(l, a, zero);
        }
        case Builtin::Abs:
          if (isFloat)
            return nb.create<math::AbsFOp>(l, a);
          return nb.create<math::AbsIOp>(l, a);
        case Builtin::Exp:
          return nb.create<math::ExpOp>(l, a);
        case Builtin::Log:
          return nb.create<math::LogOp>(l, a);
        case Builtin::Sqrt:
          return nb.create<math::SqrtOp>(l, a);
        case Builtin::Tanh:
          return nb.create<math::TanhOp>(l, a);
        case Builtin::Sigmoid:
          return sigmoid(a);
        case Builtin::Silu:
          return nb.create<arith::MulFOp>(l, a, sigmoid(a));
        case Builtin::Softplus: {
          // log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
          // At 0 relu's gradient is 0 and exp(-|x|) takes x's branch:
          // sigmoid(0) = 0.5, as PyTorch.
          Value pos = nb.create<arith::MaximumFOp>(l, a, fconst(0.0));
          Value positive = nb.create<arith::CmpFOp>(
              l, arith::CmpFPredicate::OGT, a, fconst(0.0));
          Value tail = nb.create<math::Log1pOp>(l, expNegAbs(a, positive));
          return nb.create<arith::AddFOp>(l, pos, tail);
        }
        case Builtin::Gelu: {
          // Exact form: x * 0.5 * (1 + erf(x / sqrt(2))).
          Value scaled = nb.create<arith::MulFOp>(l, a, fconst(M_SQRT1_2));
          Value erf = nb.create<math::ErfOp>(l, scaled);
          Value onePlus = nb.create<arith::AddFOp>(l, fconst(1.0), erf);
          Value half = nb.create<arith::MulFOp>(l, a, fconst(0.5));
          return nb.create<arith::MulFOp>(l, half, onePlus);
        }
        case Builtin::Softmax:
        case Builtin::LogSoftmax:
        case Builtin::Argmax:
        case Builtin::Sum:
        case Builtin::Mean:
        case Builtin::Max:
        case Builtin::Layernorm:
        case Builtin::Rmsnorm:
        case Builtin::Concat:
        case Builtin::Reshape:
        case Builtin::Expand:
        case Builtin::Transpose:
        case Builtin::Embedding:
        case Builtin::Onehot:
        case Builtin::Cast:
        case Builtin::Attention:
        case Builtin::Mse:
        case Builtin::CrossEntropy:
        case Builtin::LoadBalance:
        case Builtin::ZLoss:
        case Builtin::Pow:
        case Builtin::Minimum:
        case Builtin::Maximum:
        case Builtin::Clamp:
        case Builtin::Min:
        case Builtin::Where:
        case Builtin::Eye:
        case Builtin::Arange:
        case Builtin::Full:
        case Builtin::Kron:
        case Builtin::Split:
          break;
        }
        llvm_unreachable("not an elementwise builtin");
      });
}

Value TensorMath::pointwise(vocab::Builtin fn, ArrayRef<Value> args,
                            RankedTensorType resultType) {
  bool isFloat = llvm::isa<FloatType>(resultType.getElementType());
  // bool: minimum is and, maximum is or (false < true).
  bool isBool = resultType.getElementType().isInteger(1);
  auto lower = [&](OpBuilder &nb, Location l, Value a, Value b) -> Value {
    return isFloat  ? nb.create<arith::MinimumFOp>(l, a, b).getResult()
           : isBool ? nb.create<arith::MinUIOp>(l, a, b).getResult()
                    : nb.create<arith::MinSIOp>(l, a, b).getResult();
  };
  auto upper = [&](OpBuilder &nb, Location l, Value a, Value b) -> Value {
    return isFloat  ? nb.create<arith::MaximumFOp>(l, a, b).getResult()
           : isBool ? nb.create<arith::MaxUIOp>(l, a, b).getResult()
                    : nb.create<arith::MaxSIOp>(l, a, b).getResult();
  };
  return elementwise(
      args, resultType, [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
        switch (fn) {
        case vocab::Builtin::Pow:
          return nb.create<math::PowFOp>(l, v[0], v[1]);
        case vocab::Builtin::Minimum:
        case vocab::Builtin::Maximum: {
          Value m = fn == vocab::Builtin::Minimum ? lower(nb, l, v[0], v[1])
                                                  : upper(nb, l, v[0], v[1]);
          if (isFloat)
            m.getDefiningOp()->setAttr(mod::kSplitTiesAttr, nb.getUnitAttr());
          return m;
        }
        case vocab::Builtin::Clamp: {
          // PyTorch's clamp: min(max(x, lo), hi). Floats as
          // selects, x kept at a tie: the gradient goes to x
          // on [lo, hi] (PyTorch's: self >= min & self <=
          // max), to a bound past it; a NaN x or bound gives NaN.
          if (!isFloat)
            return lower(nb, l, upper(nb, l, v[0], v[1]), v[2]);
          auto pastOrNaN = [&](arith::CmpFPredicate past, Value x,
                               Value bound) -> Value {
            return nb.create<arith::OrIOp>(
                l, nb.create<arith::CmpFOp>(l, past, x, bound),
                nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, bound,
                                         bound));
          };
          Value atLeast = nb.create<arith::SelectOp>(
              l, pastOrNaN(arith::CmpFPredicate::OLT, v[0], v[1]), v[1], v[0]);
          return nb.create<arith::SelectOp>(
              l, pastOrNaN(arith::CmpFPredicate::OGT, atLeast, v[2]), v[2],
              atLeast);
        }
        case vocab::Builtin::Where:
          return nb.create<arith::SelectOp>(l, v[0], v[1], v[2]);
        default:
          llvm_unreachable("not a pointwise builtin");
        }
      });
}

Value TensorMath::matmul(Value lhs, Value rhs, RankedTensorType resultType) {
  MLIRContext *ctx = b_.getContext();
  auto lt = llvm::cast<RankedTensorType>(lhs.getType());
  auto rt = llvm::cast<RankedTensorType>(rhs.getType());
  Type elem = resultType.getElementType();
  bool isFloat = llvm::isa<FloatType>(elem);
  Value zero = scalarConstant(elem, 0.0);

  // The common case, [M, K] @ [K, N]: a named matmul that later passes
  // recognise.
  if (lt.getRank() == 2 && rt.getRank() == 2) {
    // x @ transpose(w, [1, 0]) (PyTorch's [out, in] Linear layout): the
    // product reads w in place (the runtime GEMM takes the transposed view);
    // the transpose is left dead.
    auto tr = rhs.getDefiningOp<linalg::TransposeOp>();
    if (tr && tr.getPermutation() == ArrayRef<int64_t>{1, 0}) {
      Value w = tr.getInput();
      Value init = emptyLike(resultType, {{lhs, 0}, {w, 0}});
      Value filled = b_.create<linalg::FillOp>(loc_, zero, init).getResult(0);
      return b_
          .create<linalg::MatmulTransposeBOp>(loc_, TypeRange{resultType},
                                              ValueRange{lhs, w},
                                              ValueRange{filled})
          .getResult(0);
    }
    Value init = emptyLike(resultType, {{lhs, 0}, {rhs, 1}});
    Value filled = b_.create<linalg::FillOp>(loc_, zero, init).getResult(0);
    return b_
        .create<linalg::MatmulOp>(loc_, TypeRange{resultType},
                                  ValueRange{lhs, rhs}, ValueRange{filled})
        .getResult(0);
  }

  // [..., M, K] @ [K, N]: fold the leading dims into M, one 2-D matmul.
  if (lt.getRank() > 2 && rt.getRank() == 2) {
    SmallVector<ReassociationIndices> groups(1);
    for (int64_t i = 0; i + 1 < lt.getRank(); ++i)
      groups[0].push_back(i);
    groups.push_back({lt.getRank() - 1});
    Value flat = b_.create<tensor::CollapseShapeOp>(loc_, lhs, groups);
    auto flatType = llvm::cast<RankedTensorType>(flat.getType());
    auto flatResult =
        RankedTensorType::get({flatType.getDimSize(0), rt.getDimSize(1)}, elem);
    Value product = matmul(flat, rhs, flatResult);
    SmallVector<Value> sizes;
    for (int64_t i = 0; i + 1 < lt.getRank(); ++i)
      sizes.push_back(dimSize(lhs, i));
    sizes.push_back(dimSize(rhs, 1));
    return reshape(product, resultType, sizes);
  }

  // [B..., M, K] @ [B..., K, N] with the same batch dims: the batch dims
  // folded into one, a named batch matmul that later passes recognise.
  if (lt.getRank() == rt.getRank() && lt.getRank() >= 3) {
    int64_t batchRank = lt.getRank() - 2;
    bool same = true;
    for (int64_t i = 0; i < batchRank; ++i)
      same &= isStaticOne(lt.getDimSize(i)) == isStaticOne(rt.getDimSize(i));
    if (same) {
      auto fold = [&](Value v) -> Value {
        if (batchRank == 1)
          return v;
        SmallVector<ReassociationIndices> groups(1);
        for (int64_t i = 0; i < batchRank; ++i)
          groups[0].push_back(i);
        groups.push_back({batchRank});
        groups.push_back({batchRank + 1});
        return b_.create<tensor::CollapseShapeOp>(loc_, v, groups);
      };
      Value fl = fold(lhs), fr = fold(rhs);
      auto flt = llvm::cast<RankedTensorType>(fl.getType());
      auto frt = llvm::cast<RankedTensorType>(fr.getType());
      auto flatResult = RankedTensorType::get(
          {flt.getDimSize(0), flt.getDimSize(1), frt.getDimSize(2)}, elem);
      Value init = emptyLike(flatResult, {{fl, 0}, {fl, 1}, {fr, 2}});
      Value filled = b_.create<linalg::FillOp>(loc_, zero, init).getResult(0);
      Value product = b_.create<linalg::BatchMatmulOp>(
                            loc_, TypeRange{flatResult}, ValueRange{fl, fr},
                            ValueRange{filled})
                          .getResult(0);
      if (batchRank == 1)
        return product;
      SmallVector<Value> sizes;
      for (int64_t i = 0; i < batchRank; ++i)
        sizes.push_back(dimSize(isStaticOne(lt.getDimSize(i)) ? rhs : lhs, i));
      sizes.push_back(dimSize(lhs, batchRank));
      sizes.push_back(dimSize(rhs, batchRank + 1));
      return reshape(product, resultType, sizes);
    }
  }

  // General NumPy matmul as one linalg.generic. Loop dims: batch..., then
  // m (unless lhs is a vector), n (unless rhs is a vector), k.
  bool vecA = lt.getRank() == 1, vecB = rt.getRank() == 1;
  int64_t outRank = resultType.getRank();
  int64_t batchRank = outRank - (vecA ? 0 : 1) - (vecB ? 0 : 1);
  int64_t numLoops = outRank + 1;
  int64_t mDim = batchRank, nDim = batchRank + (vecA ? 0 : 1);
  int64_t kDim = numLoops - 1;
  auto batchExprs = [&](RankedTensorType t, int64_t operandBatchRank) {
    return broadcastIndices(t, operandBatchRank, resultType, batchRank, ctx);
  };
  SmallVector<AffineExpr> lhsExprs =
      batchExprs(lt, vecA ? 0 : lt.getRank() - 2);
  if (!vecA)
    lhsExprs.push_back(getAffineDimExpr(mDim, ctx));
  lhsExprs.push_back(getAffineDimExpr(kDim, ctx));
  SmallVector<AffineExpr> rhsExprs =
      batchExprs(rt, vecB ? 0 : rt.getRank() - 2);
  rhsExprs.push_back(getAffineDimExpr(kDim, ctx));
  if (!vecB)
    rhsExprs.push_back(getAffineDimExpr(nDim, ctx));
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < outRank; ++i)
    outExprs.push_back(getAffineDimExpr(i, ctx));

  // Runtime sizes of the result: batch dims from whichever operand has
  // them unbroadcast, m from lhs, n from rhs.
  SmallVector<std::pair<Value, int64_t>> dimSrc(outRank, {Value(), 0});
  int64_t lBatch = vecA ? 0 : lt.getRank() - 2;
  int64_t rBatch = vecB ? 0 : rt.getRank() - 2;
  for (int64_t i = 0; i < batchRank; ++i) {
    int64_t li = i - (batchRank - lBatch), ri = i - (batchRank - rBatch);
    if (li >= 0 && !isStaticOne(lt.getDimSize(li)))
      dimSrc[i] = {lhs, li};
    else if (ri >= 0)
      dimSrc[i] = {rhs, ri};
    else
      dimSrc[i] = {lhs, li};
  }
  if (!vecA)
    dimSrc[mDim] = {lhs, lt.getRank() - 2};
  if (!vecB)
    dimSrc[nDim] = {rhs, rt.getRank() - 1};
  Value init = emptyLike(resultType, dimSrc);
  Value filled = b_.create<linalg::FillOp>(loc_, zero, init).getResult(0);
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, lhsExprs, ctx),
                                 AffineMap::get(numLoops, 0, rhsExprs, ctx),
                                 AffineMap::get(numLoops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iters(numLoops,
                                         utils::IteratorType::parallel);
  iters[kDim] = utils::IteratorType::reduction;
  auto generic = b_.create<linalg::GenericOp>(
      loc_, TypeRange{resultType}, ValueRange{lhs, rhs}, ValueRange{filled},
      maps, iters, [&](OpBuilder &nb, Location l, ValueRange v) {
        Value prod = isFloat
                         ? nb.create<arith::MulFOp>(l, v[0], v[1]).getResult()
                         : nb.create<arith::MulIOp>(l, v[0], v[1]).getResult();
        Value sum = isFloat
                        ? nb.create<arith::AddFOp>(l, v[2], prod).getResult()
                        : nb.create<arith::AddIOp>(l, v[2], prod).getResult();
        nb.create<linalg::YieldOp>(l, sum);
      });
  return generic.getResult(0);
}

Value TensorMath::dimSize(Value tensor, int64_t i) {
  auto t = llvm::cast<RankedTensorType>(tensor.getType());
  if (!t.isDynamicDim(i))
    return b_.create<arith::ConstantIndexOp>(loc_, t.getDimSize(i));
  return b_.create<tensor::DimOp>(loc_, tensor, i);
}

Value TensorMath::empty(RankedTensorType type, ArrayRef<Value> sizes) {
  SmallVector<Value> dyn;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dyn.push_back(sizes[i]);
  return b_.create<tensor::EmptyOp>(loc_, type.getShape(),
                                    type.getElementType(), dyn);
}

namespace {
Value lowestValue(OpBuilder &b, Location loc, Type elem) {
  if (auto f = llvm::dyn_cast<FloatType>(elem))
    return b.create<arith::ConstantOp>(
        loc, b.getFloatAttr(f, -std::numeric_limits<double>::infinity()));
  unsigned width = elem.getIntOrFloatBitWidth();
  // bool orders false < true (unsigned), as PyTorch's max/any.
  return b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(elem, width == 1
                                      ? llvm::APInt::getZero(1)
                                      : llvm::APInt::getSignedMinValue(width)));
}
} // namespace

namespace {
Value highestValue(OpBuilder &b, Location loc, Type elem) {
  if (auto f = llvm::dyn_cast<FloatType>(elem))
    return b.create<arith::ConstantOp>(
        loc, b.getFloatAttr(f, std::numeric_limits<double>::infinity()));
  unsigned width = elem.getIntOrFloatBitWidth();
  return b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(elem, width == 1
                                      ? llvm::APInt::getAllOnes(1)
                                      : llvm::APInt::getSignedMaxValue(width)));
}
} // namespace

TensorMath::Reduced TensorMath::reduced(Value x, int64_t axis, bool keepdims) {
  MLIRContext *ctx = b_.getContext();
  auto t = llvm::cast<RankedTensorType>(x.getType());
  Reduced r;
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    if (i == axis) {
      if (keepdims) {
        r.shape.push_back(1);
        r.sizes.push_back(Value());
        exprs.push_back(getAffineConstantExpr(0, ctx));
      }
      continue;
    }
    r.shape.push_back(t.getDimSize(i));
    r.sizes.push_back(t.isDynamicDim(i) ? dimSize(x, i) : Value());
    exprs.push_back(getAffineDimExpr(i, ctx));
  }
  r.map = AffineMap::get(t.getRank(), 0, exprs, ctx);
  return r;
}

Value TensorMath::reduce(vocab::Builtin kind, Value x, int64_t axis,
                         bool keepdims, bool wide) {
  assert((kind == vocab::Builtin::Sum || kind == vocab::Builtin::Mean ||
          kind == vocab::Builtin::Max || kind == vocab::Builtin::Min) &&
         "not a reduction");
  bool isMax = kind == vocab::Builtin::Max;
  bool isMin = kind == vocab::Builtin::Min;
  MLIRContext *ctx = b_.getContext();
  auto t = llvm::cast<RankedTensorType>(x.getType());
  Type elem = t.getElementType();
  bool isFloat = llvm::isa<FloatType>(elem);
  int64_t rank = t.getRank();
  Reduced r = reduced(x, axis, keepdims);
  // An f32 sum over a long (or run-time sized) axis accumulates in f64 and
  // rounds once: summed one element after another in f32, a million terms
  // are off in the fifth digit (PyTorch sums in a cascade, to ~1e-7).
  Type acc = elem;
  if (wide && !isMax && !isMin && elem.isF32() &&
      (t.isDynamicDim(axis) || t.getDimSize(axis) > kNarrowSumLength))
    acc = b_.getF64Type();
  auto accType = RankedTensorType::get(r.shape, acc);
  Value init = empty(accType, r.sizes);
  Value start = isMax   ? lowestValue(b_, loc_, elem)
                : isMin ? highestValue(b_, loc_, elem)
                        : scalarConstant(acc, 0.0);
  Value filled = b_.create<linalg::FillOp>(loc_, start, init).getResult(0);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 r.map};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters[axis] = utils::IteratorType::reduction;
  Value result =
      b_.create<linalg::GenericOp>(
            loc_, TypeRange{accType}, ValueRange{x}, ValueRange{filled}, maps,
            iters,
            [&](OpBuilder &nb, Location l, ValueRange v) {
              Value r;
              Value in = v[0];
              if (acc != elem)
                in = nb.create<arith::ExtFOp>(l, acc, in);
              // bool: max is any, min is all (false < true).
              bool isBool = elem.isInteger(1);
              if (isMin)
                r = isFloat ? nb.create<arith::MinimumFOp>(l, v[0], v[1])
                                  .getResult()
                    : isBool
                        ? nb.create<arith::MinUIOp>(l, v[0], v[1]).getResult()
                        : nb.create<arith::MinSIOp>(l, v[0], v[1]).getResult();
              else if (isMax)
                r = isFloat ? nb.create<arith::MaximumFOp>(l, v[0], v[1])
                                  .getResult()
                    : isBool
                        ? nb.create<arith::MaxUIOp>(l, v[0], v[1]).getResult()
                        : nb.create<arith::MaxSIOp>(l, v[0], v[1]).getResult();
              else
                r = isFloat ? nb.create<arith::AddFOp>(l, in, v[1]).getResult()
                            : nb.create<arith::AddIOp>(l, in, v[1]).getResult();
              nb.create<linalg::YieldOp>(l, r);
            })
          .getResult(0);
  if (kind == vocab::Builtin::Mean) {
    Value n =
        b_.create<arith::IndexCastOp>(loc_, b_.getI64Type(), dimSize(x, axis));
    Value nf = b_.create<arith::SIToFPOp>(loc_, acc, n);
    result = binary(BinaryKind::Div, result, nf, accType);
  }
  return acc == elem ? result : cast(result, elem);
}

Value TensorMath::softmax(Value x, int64_t axis, bool log) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  Value m = reduce(vocab::Builtin::Max, x, axis, /*keepdims=*/true);
  Value shifted = binary(BinaryKind::Sub, x, m, type);
  Value e = unary(vocab::Builtin::Exp, shifted);
  Value s = reduce(vocab::Builtin::Sum, e, axis, /*keepdims=*/true);
  if (log)
    return binary(BinaryKind::Sub, shifted, unary(vocab::Builtin::Log, s),
                  type);
  return binary(BinaryKind::Div, e, s, type);
}

Value TensorMath::layernorm(Value x, Value gamma, Value beta, double eps) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  int64_t last = type.getRank() - 1;
  Value mean = reduce(vocab::Builtin::Mean, x, last, true);
  Value centred = binary(BinaryKind::Sub, x, mean, type);
  Value sq = binary(BinaryKind::Mul, centred, centred, type);
  Value var = reduce(vocab::Builtin::Mean, sq, last, true);
  auto varType = llvm::cast<RankedTensorType>(var.getType());
  Value denom =
      unary(vocab::Builtin::Sqrt,
            binary(BinaryKind::Add, var,
                   scalarConstant(type.getElementType(), eps), varType));
  Value normed = binary(BinaryKind::Div, centred, denom, type);
  return binary(BinaryKind::Add, binary(BinaryKind::Mul, normed, gamma, type),
                beta, type);
}

Value TensorMath::rmsnorm(Value x, Value gamma, double eps) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  int64_t last = type.getRank() - 1;
  Value ms = reduce(vocab::Builtin::Mean, binary(BinaryKind::Mul, x, x, type),
                    last, true);
  auto msType = llvm::cast<RankedTensorType>(ms.getType());
  Value denom =
      unary(vocab::Builtin::Sqrt,
            binary(BinaryKind::Add, ms,
                   scalarConstant(type.getElementType(), eps), msType));
  return binary(BinaryKind::Mul, binary(BinaryKind::Div, x, denom, type), gamma,
                type);
}

Value TensorMath::argmax(Value x, int64_t axis) {
  MLIRContext *ctx = b_.getContext();
  auto t = llvm::cast<RankedTensorType>(x.getType());
  Type elem = t.getElementType();
  bool isFloat = llvm::isa<FloatType>(elem);
  int64_t rank = t.getRank();
  Reduced r = reduced(x, axis, /*keepdims=*/false);
  SmallVector<Value> &sizes = r.sizes;
  auto valType = RankedTensorType::get(r.shape, elem);
  auto idxType = RankedTensorType::get(r.shape, b_.getI64Type());
  Value vals = b_.create<linalg::FillOp>(loc_, lowestValue(b_, loc_, elem),
                                         empty(valType, sizes))
                   .getResult(0);
  // -1 marks "nothing seen yet", so the first element always wins even if
  // it equals the initial lowest value.
  Value idxs =
      b_.create<linalg::FillOp>(loc_, scalarConstant(b_.getI64Type(), -1.0),
                                empty(idxType, sizes))
          .getResult(0);
  AffineMap outMap = r.map;
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 outMap, outMap};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters[axis] = utils::IteratorType::reduction;
  auto generic = b_.create<linalg::GenericOp>(
      loc_, TypeRange{valType, idxType}, ValueRange{x}, ValueRange{vals, idxs},
      maps, iters, [&](OpBuilder &nb, Location l, ValueRange v) {
        Value i = nb.create<arith::IndexCastOp>(
            l, nb.getI64Type(), nb.create<linalg::IndexOp>(l, axis));
        // A NaN counts as the largest value (PyTorch's argmax; `max` of the
        // same values is NaN): x wins if it is greater or a NaN, unless the
        // value held is a NaN already (the first NaN wins).
        Value greater;
        if (isFloat) {
          Value above = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::UGT,
                                                 v[0], v[1]);
          Value heldNumber = nb.create<arith::CmpFOp>(
              l, arith::CmpFPredicate::ORD, v[1], v[1]);
          greater = nb.create<arith::AndIOp>(l, above, heldNumber);
        } else {
          greater = nb.create<arith::CmpIOp>(l,
                                             elem.isInteger(1)
                                                 ? arith::CmpIPredicate::ugt
                                                 : arith::CmpIPredicate::sgt,
                                             v[0], v[1]);
        }
        Value minusOne =
            nb.create<arith::ConstantOp>(l, nb.getI64IntegerAttr(-1));
        Value first = nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq,
                                               v[2], minusOne);
        Value take = nb.create<arith::OrIOp>(l, greater, first);
        Value nv = nb.create<arith::SelectOp>(l, take, v[0], v[1]);
        Value ni = nb.create<arith::SelectOp>(l, take, i, v[2]);
        nb.create<linalg::YieldOp>(l, ValueRange{nv, ni});
      });
  return generic.getResult(1);
}

Value TensorMath::attention(Value q, Value k, Value v, int64_t heads,
                            bool causal, Value keyMask) {
  MLIRContext *ctx = b_.getContext();
  auto qt = llvm::cast<RankedTensorType>(q.getType());
  auto kt = llvm::cast<RankedTensorType>(k.getType());
  Type elem = qt.getElementType();
  int64_t d = qt.getDimSize(2), dh = d / heads;
  Value bSize = dimSize(q, 0), tq = dimSize(q, 1), tk = dimSize(k, 1);
  Value hv = b_.create<arith::ConstantIndexOp>(loc_, heads);
  Value dhv = b_.create<arith::ConstantIndexOp>(loc_, dh);
  auto split = [&](Value x, Value t, int64_t tStatic) {
    auto type =
        RankedTensorType::get({qt.getDimSize(0), tStatic, heads, dh}, elem);
    Value r = reshape(x, type, {bSize, t, hv, dhv});
    return transpose(r, {0, 2, 1, 3}); // [B, H, T, dh]
  };
  Value qh = split(q, tq, qt.getDimSize(1));
  Value kh = split(k, tk, kt.getDimSize(1));
  Value vh = split(v, tk, kt.getDimSize(1));
  Value khT = transpose(kh, {0, 1, 3, 2}); // [B, H, dh, Tk]
  auto scoreType = RankedTensorType::get(
      {qt.getDimSize(0), heads, qt.getDimSize(1), kt.getDimSize(1)}, elem);
  Value scores = matmul(qh, khT, scoreType);
  scores = binary(BinaryKind::Mul, scores,
                  scalarConstant(elem, 1.0 / std::sqrt(double(dh))), scoreType);
  if (causal) {
    // Query t sees keys j <= t + (Tk - Tq).
    Value shift = b_.create<arith::SubIOp>(loc_, tk, tq);
    auto id = AffineMap::getMultiDimIdentityMap(4, ctx);
    Value init = empty(scoreType, {bSize, hv, tq, tk});
    scores =
        b_.create<linalg::GenericOp>(
              loc_, TypeRange{scoreType}, ValueRange{scores}, ValueRange{init},
              SmallVector<AffineMap>{id, id},
              SmallVector<utils::IteratorType>(4,
                                               utils::IteratorType::parallel),
              [&](OpBuilder &nb, Location l, ValueRange vals) {
                Value t = nb.create<linalg::IndexOp>(l, 2);
                Value j = nb.create<linalg::IndexOp>(l, 3);
                Value limit = nb.create<arith::AddIOp>(l, t, shift);
                Value ok = nb.create<arith::CmpIOp>(
                    l, arith::CmpIPredicate::sle, j, limit);
                Value ninf = nb.create<arith::ConstantOp>(
                    l, nb.getFloatAttr(
                           elem, -std::numeric_limits<double>::infinity()));
                nb.create<linalg::YieldOp>(
                    l, nb.create<arith::SelectOp>(l, ok, vals[0], ninf)
                           .getResult());
              })
            .getResult(0);
  }
  // key_mask: masked keys get the score -inf (exp gives exactly 0, as
  // PyTorch's masked_fill), so a query whose allowed keys all score -inf
  // gets NaN as in PyTorch, never the masked keys' values. A query with no
  // allowed key (mask and causal) has all its scores 0 instead, so its
  // softmax and the softmax's gradient stay finite, and gets 0 below.
  auto nonzero = [&](OpBuilder &nb, Location l, Value m) -> Value {
    Type t = m.getType();
    if (llvm::isa<FloatType>(t))
      return nb.create<arith::CmpFOp>(
          l, arith::CmpFPredicate::UNE, m,
          nb.create<arith::ConstantOp>(l, nb.getFloatAttr(t, 0.0)));
    return nb.create<arith::CmpIOp>(
        l, arith::CmpIPredicate::ne, m,
        nb.create<arith::ConstantOp>(l, nb.getIntegerAttr(t, 0)));
  };
  Value hasKey;
  if (keyMask) {
    auto id = AffineMap::getMultiDimIdentityMap(4, ctx);
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
               d2 = getAffineDimExpr(2, ctx), d3 = getAffineDimExpr(3, ctx);
    // hasKey[b, t] = 1 if query t may attend to some key (mask and causal).
    Value shift = b_.create<arith::SubIOp>(loc_, tk, tq);
    auto keyType =
        RankedTensorType::get({qt.getDimSize(0), qt.getDimSize(1)}, elem);
    Value zero = scalarConstant(elem, 0.0);
    Value any =
        b_.create<linalg::FillOp>(loc_, zero, empty(keyType, {bSize, tq}))
            .getResult(0);
    any =
        b_.create<linalg::GenericOp>(
              loc_, TypeRange{keyType}, ValueRange{keyMask}, ValueRange{any},
              SmallVector<AffineMap>{AffineMap::get(3, 0, {d0, d2}, ctx),
                                     AffineMap::get(3, 0, {d0, d1}, ctx)},
              SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                               utils::IteratorType::parallel,
                                               utils::IteratorType::reduction},
              [&](OpBuilder &nb, Location l, ValueRange vals) {
                Value ok = nonzero(nb, l, vals[0]);
                if (causal) {
                  Value t = nb.create<linalg::IndexOp>(l, 1);
                  Value j = nb.create<linalg::IndexOp>(l, 2);
                  Value limit = nb.create<arith::AddIOp>(l, t, shift);
                  ok = nb.create<arith::AndIOp>(
                      l, ok,
                      nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::sle, j,
                                               limit));
                }
                Value one =
                    nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, 1.0));
                Value z =
                    nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, 0.0));
                nb.create<linalg::YieldOp>(
                    l,
                    nb.create<arith::MaximumFOp>(
                          l, vals[1], nb.create<arith::SelectOp>(l, ok, one, z))
                        .getResult());
              })
            .getResult(0);
    hasKey = any;
    Value init = empty(scoreType, {bSize, hv, tq, tk});
    scores =
        b_.create<linalg::GenericOp>(
              loc_, TypeRange{scoreType}, ValueRange{scores, keyMask, hasKey},
              ValueRange{init},
              SmallVector<AffineMap>{id, AffineMap::get(4, 0, {d0, d3}, ctx),
                                     AffineMap::get(4, 0, {d0, d2}, ctx), id},
              SmallVector<utils::IteratorType>(4,
                                               utils::IteratorType::parallel),
              [&](OpBuilder &nb, Location l, ValueRange vals) {
                Value ninf = nb.create<arith::ConstantOp>(
                    l, nb.getFloatAttr(
                           elem, -std::numeric_limits<double>::infinity()));
                Value z =
                    nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, 0.0));
                Value some = nb.create<arith::CmpFOp>(
                    l, arith::CmpFPredicate::OGT, vals[2], z);
                Value kept = nb.create<arith::SelectOp>(
                    l, nonzero(nb, l, vals[1]), vals[0], ninf);
                nb.create<linalg::YieldOp>(
                    l,
                    nb.create<arith::SelectOp>(l, some, kept, z).getResult());
              })
            .getResult(0);
  }
  Value p = softmax(scores, 3, /*log=*/false);
  if (hasKey) {
    auto id = AffineMap::getMultiDimIdentityMap(4, ctx);
    AffineExpr d0 = getAffineDimExpr(0, ctx), d2 = getAffineDimExpr(2, ctx);
    Value init = empty(scoreType, {bSize, hv, tq, tk});
    p = b_.create<linalg::GenericOp>(
              loc_, TypeRange{scoreType}, ValueRange{p, hasKey},
              ValueRange{init},
              SmallVector<AffineMap>{id, AffineMap::get(4, 0, {d0, d2}, ctx),
                                     id},
              SmallVector<utils::IteratorType>(4,
                                               utils::IteratorType::parallel),
              [&](OpBuilder &nb, Location l, ValueRange vals) {
                Value z =
                    nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, 0.0));
                Value some = nb.create<arith::CmpFOp>(
                    l, arith::CmpFPredicate::OGT, vals[1], z);
                nb.create<linalg::YieldOp>(
                    l, nb.create<arith::SelectOp>(l, some, vals[0], z)
                           .getResult());
              })
            .getResult(0);
  }
  auto outType = RankedTensorType::get(
      {qt.getDimSize(0), heads, qt.getDimSize(1), dh}, elem);
  Value out = matmul(p, vh, outType);          // [B, H, Tq, dh]
  Value merged = transpose(out, {0, 2, 1, 3}); // [B, Tq, H, dh]
  Value dv = b_.create<arith::ConstantIndexOp>(loc_, d);
  return reshape(merged, qt, {bSize, tq, dv});
}

std::optional<double> scalarValue(Attribute a) {
  if (auto f = llvm::dyn_cast<FloatAttr>(a))
    return f.getValueAsDouble();
  if (auto i = llvm::dyn_cast<IntegerAttr>(a))
    return i.getType().isInteger(1) ? double(i.getValue().getZExtValue())
                                    : double(i.getValue().getSExtValue());
  return std::nullopt;
}

std::optional<double> constantScalar(Value v) {
  Attribute a;
  if (matchPattern(v, m_Constant(&a)))
    return scalarValue(a);
  return std::nullopt;
}

bool isZeroConstant(Value v) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  auto f = cst ? llvm::dyn_cast<FloatAttr>(cst.getValue()) : FloatAttr();
  return f && f.getValue().isZero();
}

bool isZeroFill(Value v) {
  auto fill = v.getDefiningOp<linalg::FillOp>();
  return fill && isZeroConstant(fill.getInputs()[0]);
}

namespace {

/// The cast that is the whole body of `op` if it is an elementwise
/// linalg.generic of one input into one init with identity maps (what
/// TensorMath::cast builds); else null.
template <typename CastOpT> CastOpT elementwiseCast(Operation *op) {
  auto gen = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!gen || gen.getNumDpsInputs() != 1 || gen.getNumDpsInits() != 1 ||
      !llvm::all_of(gen.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return {};
  Block &body = gen.getRegion().front();
  auto cast = dyn_cast<CastOpT>(&body.front());
  if (!cast || body.getOperations().size() != 2 ||
      cast.getIn() != body.getArgument(0) ||
      body.getTerminator()->getOperand(0) != cast.getResult())
    return {};
  return cast;
}

} // namespace

Type widenedFrom(Operation *op) {
  auto ext = elementwiseCast<arith::ExtFOp>(op);
  return ext ? ext.getIn().getType() : Type();
}

Value narrowedFrom(Value v) {
  Operation *op = v.getDefiningOp();
  if (!elementwiseCast<arith::TruncFOp>(op))
    return {};
  return cast<linalg::GenericOp>(op).getDpsInputs()[0];
}

} // namespace modc
