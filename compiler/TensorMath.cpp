//===- TensorMath.cpp - Tensor math as upstream linalg/tensor ops ---------===//

#include "compiler/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;

namespace modc {

namespace {
bool isStaticOne(int64_t d) { return d == 1; }
} // namespace

Value TensorMath::scalarConstant(Type elem, double value) {
  if (auto f = llvm::dyn_cast<FloatType>(elem))
    return b_.create<arith::ConstantOp>(loc_, b_.getFloatAttr(f, value));
  return b_.create<arith::ConstantOp>(
      loc_, b_.getIntegerAttr(elem, static_cast<int64_t>(value)));
}

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
    SmallVector<AffineExpr> exprs;
    for (int64_t k = 0; k < r; ++k) {
      int64_t resDim = rank - r + k;
      bool broadcast = isStaticOne(t.getDimSize(k)) &&
                       !isStaticOne(resultType.getDimSize(resDim));
      exprs.push_back(broadcast ? getAffineConstantExpr(0, ctx)
                                : getAffineDimExpr(resDim, ctx));
      if (!broadcast && t.isDynamicDim(k) && !dimSrc[resDim].first)
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
        case BinaryKind::Div:
          return isFloat
                     ? nb.create<arith::DivFOp>(l, v[0], v[1]).getResult()
                     : nb.create<arith::DivSIOp>(l, v[0], v[1]).getResult();
        }
        return v[0];
      });
}

Value TensorMath::unary(StringRef name, Value x) {
  auto type = llvm::cast<RankedTensorType>(x.getType());
  Type elem = type.getElementType();
  bool isFloat = llvm::isa<FloatType>(elem);
  std::string op = name.str();
  return elementwise({x}, type, [&](OpBuilder &nb, Location l,
                                    ValueRange v) -> Value {
    Value a = v[0];
    auto fconst = [&](double c) -> Value {
      return nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, c));
    };
    auto sigmoid = [&](Value t) -> Value {
      Value neg = nb.create<arith::NegFOp>(l, t);
      Value e = nb.create<math::ExpOp>(l, neg);
      Value den = nb.create<arith::AddFOp>(l, fconst(1.0), e);
      return nb.create<arith::DivFOp>(l, fconst(1.0), den);
    };
    if (op == "neg") {
      if (isFloat)
        return nb.create<arith::NegFOp>(l, a);
      Value zero = nb.create<arith::ConstantOp>(l, nb.getIntegerAttr(elem, 0));
      return nb.create<arith::SubIOp>(l, zero, a);
    }
    if (op == "relu") {
      if (isFloat)
        return nb.create<arith::MaximumFOp>(l, a, fconst(0.0));
      Value zero = nb.create<arith::ConstantOp>(l, nb.getIntegerAttr(elem, 0));
      return nb.create<arith::MaxSIOp>(l, a, zero);
    }
    if (op == "abs") {
      if (isFloat)
        return nb.create<math::AbsFOp>(l, a);
      return nb.create<math::AbsIOp>(l, a);
    }
    if (op == "exp")
      return nb.create<math::ExpOp>(l, a);
    if (op == "log")
      return nb.create<math::LogOp>(l, a);
    if (op == "sqrt")
      return nb.create<math::SqrtOp>(l, a);
    if (op == "tanh")
      return nb.create<math::TanhOp>(l, a);
    if (op == "sigmoid")
      return sigmoid(a);
    if (op == "silu")
      return nb.create<arith::MulFOp>(l, a, sigmoid(a));
    // gelu, exact form: x * 0.5 * (1 + erf(x / sqrt(2))).
    Value scaled = nb.create<arith::MulFOp>(l, a, fconst(M_SQRT1_2));
    Value erf = nb.create<math::ErfOp>(l, scaled);
    Value onePlus = nb.create<arith::AddFOp>(l, fconst(1.0), erf);
    Value half = nb.create<arith::MulFOp>(l, a, fconst(0.5));
    return nb.create<arith::MulFOp>(l, half, onePlus);
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
    Value init = emptyLike(resultType, {{lhs, 0}, {rhs, 1}});
    Value filled =
        b_.create<linalg::FillOp>(loc_, zero, init).getResult(0);
    return b_
        .create<linalg::MatmulOp>(loc_, TypeRange{resultType},
                                  ValueRange{lhs, rhs}, ValueRange{filled})
        .getResult(0);
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
    SmallVector<AffineExpr> exprs;
    for (int64_t k = 0; k < operandBatchRank; ++k) {
      int64_t loop = batchRank - operandBatchRank + k;
      bool broadcast = isStaticOne(t.getDimSize(k)) &&
                       !isStaticOne(resultType.getDimSize(loop));
      exprs.push_back(broadcast ? getAffineConstantExpr(0, ctx)
                                : getAffineDimExpr(loop, ctx));
    }
    return exprs;
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
        Value prod = isFloat ? nb.create<arith::MulFOp>(l, v[0], v[1])
                                   .getResult()
                             : nb.create<arith::MulIOp>(l, v[0], v[1])
                                   .getResult();
        Value sum = isFloat
                        ? nb.create<arith::AddFOp>(l, v[2], prod).getResult()
                        : nb.create<arith::AddIOp>(l, v[2], prod).getResult();
        nb.create<linalg::YieldOp>(l, sum);
      });
  return generic.getResult(0);
}

} // namespace modc
