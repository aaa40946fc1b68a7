//===- TensorShape.cpp - Shape changes and gathers as linalg/tensor ops ---===//
//
// The data-movement half of TensorMath: concat, reshape, transpose, expand
// (NumPy broadcast), the id gathers (embedding, onehot) and element casts.
//
//===----------------------------------------------------------------------===//

#include "ir/TensorMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

#include <cmath>

using namespace mlir;

namespace modc {

namespace {
bool isStaticOne(int64_t d) { return d == 1; }
} // namespace

Value TensorMath::concat(ArrayRef<Value> parts, int64_t axis,
                         RankedTensorType resultType) {
  int64_t rank = resultType.getRank();
  SmallVector<Value> sizes;
  Value axisSize;
  for (Value p : parts) {
    Value d = dimSize(p, axis);
    axisSize =
        axisSize ? b_.create<arith::AddIOp>(loc_, axisSize, d).getResult() : d;
  }
  for (int64_t i = 0; i < rank; ++i)
    sizes.push_back(i == axis ? axisSize : dimSize(parts[0], i));
  Value result = empty(resultType, sizes);
  Value offset = b_.create<arith::ConstantIndexOp>(loc_, 0);
  for (Value p : parts) {
    SmallVector<OpFoldResult> offsets, partSizes, strides;
    for (int64_t i = 0; i < rank; ++i) {
      offsets.push_back(i == axis ? OpFoldResult(offset)
                                  : OpFoldResult(b_.getIndexAttr(0)));
      auto pt = llvm::cast<RankedTensorType>(p.getType());
      partSizes.push_back(
          pt.isDynamicDim(i) ? OpFoldResult(dimSize(p, i))
                             : OpFoldResult(b_.getIndexAttr(pt.getDimSize(i))));
      strides.push_back(b_.getIndexAttr(1));
    }
    result = b_.create<tensor::InsertSliceOp>(loc_, p, result, offsets,
                                              partSizes, strides);
    offset = b_.create<arith::AddIOp>(loc_, offset, dimSize(p, axis));
  }
  return result;
}

Value TensorMath::reshape(Value x, RankedTensorType resultType,
                          ArrayRef<Value> sizes) {
  SmallVector<Value> dims;
  for (int64_t i = 0; i < resultType.getRank(); ++i)
    dims.push_back(sizes[i] ? sizes[i]
                            : b_.create<arith::ConstantIndexOp>(
                                    loc_, resultType.getDimSize(i))
                                  .getResult());
  Value shape = b_.create<tensor::FromElementsOp>(
      loc_, RankedTensorType::get({resultType.getRank()}, b_.getIndexType()),
      dims);
  return b_.create<tensor::ReshapeOp>(loc_, resultType, x, shape);
}

Value TensorMath::reshapeLike(Value x, Value like) {
  auto t = llvm::cast<RankedTensorType>(like.getType());
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < t.getRank(); ++i)
    sizes.push_back(t.isDynamicDim(i) ? dimSize(like, i) : Value());
  return reshape(x, t, sizes);
}

Value TensorMath::transpose(Value x, ArrayRef<int64_t> perm) {
  auto t = llvm::cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape;
  SmallVector<Value> sizes;
  for (int64_t p : perm) {
    shape.push_back(t.getDimSize(p));
    sizes.push_back(t.isDynamicDim(p) ? dimSize(x, p) : Value());
  }
  auto resultType = RankedTensorType::get(shape, t.getElementType());
  Value init = empty(resultType, sizes);
  return b_.create<linalg::TransposeOp>(loc_, x, init, perm).getResult()[0];
}

Value TensorMath::expand(Value x, RankedTensorType resultType,
                         ArrayRef<Value> sizes) {
  MLIRContext *ctx = b_.getContext();
  auto t = llvm::cast<RankedTensorType>(x.getType());
  int64_t rank = resultType.getRank(), r = t.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t k = 0; k < r; ++k) {
    int64_t resDim = rank - r + k;
    bool broadcast = isStaticOne(t.getDimSize(k)) &&
                     !isStaticOne(resultType.getDimSize(resDim));
    exprs.push_back(broadcast ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(resDim, ctx));
  }
  Value init = empty(resultType, sizes);
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, exprs, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return b_
      .create<linalg::GenericOp>(loc_, TypeRange{resultType}, ValueRange{x},
                                 ValueRange{init}, maps, iters,
                                 [&](OpBuilder &nb, Location l, ValueRange v) {
                                   nb.create<linalg::YieldOp>(l, v[0]);
                                 })
      .getResult(0);
}

Value TensorMath::embedding(Value table, Value ids,
                            RankedTensorType resultType) {
  MLIRContext *ctx = b_.getContext();
  auto tt = llvm::cast<RankedTensorType>(table.getType());
  auto it = llvm::cast<RankedTensorType>(ids.getType());
  int64_t rank = resultType.getRank(), idsRank = it.getRank();
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < idsRank; ++i)
    sizes.push_back(dimSize(ids, i));
  for (int64_t i = 1; i < tt.getRank(); ++i)
    sizes.push_back(dimSize(table, i));
  Value init = empty(resultType, sizes);
  SmallVector<AffineExpr> idExprs;
  for (int64_t i = 0; i < idsRank; ++i)
    idExprs.push_back(getAffineDimExpr(i, ctx));
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, idExprs, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value rows = dimSize(table, 0);
  return b_
      .create<linalg::GenericOp>(
          loc_, TypeRange{resultType}, ValueRange{ids}, ValueRange{init}, maps,
          iters,
          [&](OpBuilder &nb, Location l, ValueRange v) {
            // Out-of-range ids were reported by a check before this op;
            // clamping keeps the read in bounds regardless.
            Value id =
                nb.create<arith::IndexCastOp>(l, nb.getIndexType(), v[0]);
            Value zero = nb.create<arith::ConstantIndexOp>(l, 0);
            Value one = nb.create<arith::ConstantIndexOp>(l, 1);
            Value maxId = nb.create<arith::SubIOp>(l, rows, one);
            id = nb.create<arith::MaxSIOp>(l, id, zero);
            id = nb.create<arith::MinSIOp>(l, id, maxId);
            SmallVector<Value> indices = {id};
            for (int64_t i = idsRank; i < rank; ++i)
              indices.push_back(nb.create<linalg::IndexOp>(l, i));
            Value val = nb.create<tensor::ExtractOp>(l, table, indices);
            nb.create<linalg::YieldOp>(l, val);
          })
      .getResult(0);
}

Value TensorMath::onehot(Value ids, int64_t n, RankedTensorType resultType) {
  MLIRContext *ctx = b_.getContext();
  auto it = llvm::cast<RankedTensorType>(ids.getType());
  int64_t rank = resultType.getRank(), idsRank = it.getRank();
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < idsRank; ++i)
    sizes.push_back(dimSize(ids, i));
  sizes.push_back(Value());
  Value init = empty(resultType, sizes);
  SmallVector<AffineExpr> idExprs;
  for (int64_t i = 0; i < idsRank; ++i)
    idExprs.push_back(getAffineDimExpr(i, ctx));
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, idExprs, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Type elem = resultType.getElementType();
  return b_
      .create<linalg::GenericOp>(
          loc_, TypeRange{resultType}, ValueRange{ids}, ValueRange{init}, maps,
          iters,
          [&](OpBuilder &nb, Location l, ValueRange v) {
            Value id = v[0].getType().getIntOrFloatBitWidth() == 64
                           ? v[0]
                           : nb.create<arith::ExtSIOp>(l, nb.getI64Type(), v[0])
                                 .getResult();
            Value pos = nb.create<arith::IndexCastOp>(
                l, nb.getI64Type(), nb.create<linalg::IndexOp>(l, idsRank));
            Value eq =
                nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, id, pos);
            Value one =
                nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, 1));
            Value zero =
                nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, 0));
            nb.create<linalg::YieldOp>(
                l, nb.create<arith::SelectOp>(l, eq, one, zero).getResult());
          })
      .getResult(0);
}

Value TensorMath::cast(Value x, Type elem) {
  auto t = llvm::cast<RankedTensorType>(x.getType());
  Type from = t.getElementType();
  if (from == elem)
    return x;
  auto resultType = RankedTensorType::get(t.getShape(), elem);
  return elementwise(
      {x}, resultType, [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
        bool fromF = llvm::isa<FloatType>(from);
        bool toF = llvm::isa<FloatType>(elem);
        // To bool: x != 0; from bool: 0 or 1 (unsigned: true is not -1).
        if (elem.isInteger(1)) {
          if (fromF)
            return nb.create<arith::CmpFOp>(
                l, arith::CmpFPredicate::UNE, v[0],
                nb.create<arith::ConstantOp>(l, nb.getFloatAttr(from, 0.0)));
          return nb.create<arith::CmpIOp>(
              l, arith::CmpIPredicate::ne, v[0],
              nb.create<arith::ConstantOp>(l, nb.getIntegerAttr(from, 0)));
        }
        if (from.isInteger(1))
          return toF ? nb.create<arith::UIToFPOp>(l, elem, v[0]).getResult()
                     : nb.create<arith::ExtUIOp>(l, elem, v[0]).getResult();
        // f16 and bf16 convert through f32 (exact from them; one rounding
        // to them, as PyTorch's conversions do).
        Type f32 = nb.getF32Type();
        auto isHalf = [](Type t) { return t.isF16() || t.isBF16(); };
        Value in = v[0];
        Type src = from;
        if (fromF && isHalf(src) && (!toF || isHalf(elem))) {
          in = nb.create<arith::ExtFOp>(l, f32, in);
          src = f32;
        }
        if (!fromF && isHalf(elem)) {
          in = nb.create<arith::SIToFPOp>(l, f32, in);
          return nb.create<arith::TruncFOp>(l, elem, in);
        }
        if (fromF && toF) {
          if (src == elem)
            return in;
          return src.getIntOrFloatBitWidth() < elem.getIntOrFloatBitWidth()
                     ? nb.create<arith::ExtFOp>(l, elem, in).getResult()
                     : nb.create<arith::TruncFOp>(l, elem, in).getResult();
        }
        if (fromF) {
          // NaN and values outside the integer type give its minimum (what
          // x86's conversion and so PyTorch give), not LLVM's poison: a
          // folded out-of-range constant left the output unwritten.
          unsigned width = elem.getIntOrFloatBitWidth();
          double limit = std::ldexp(1.0, int(width) - 1);
          Value lo =
              nb.create<arith::ConstantOp>(l, nb.getFloatAttr(src, -limit));
          Value hi =
              nb.create<arith::ConstantOp>(l, nb.getFloatAttr(src, limit));
          Value inRange = nb.create<arith::AndIOp>(
              l, nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGE, in, lo),
              nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLT, in, hi));
          Value minimum = nb.create<arith::ConstantOp>(
              l, nb.getIntegerAttr(elem, APInt::getSignedMinValue(width)));
          Value converted = nb.create<arith::FPToSIOp>(l, elem, in);
          return nb.create<arith::SelectOp>(l, inRange, converted, minimum);
        }
        if (toF)
          return nb.create<arith::SIToFPOp>(l, elem, in);
        return from.getIntOrFloatBitWidth() < elem.getIntOrFloatBitWidth()
                   ? nb.create<arith::ExtSIOp>(l, elem, v[0]).getResult()
                   : nb.create<arith::TruncIOp>(l, elem, v[0]).getResult();
      });
}

Value TensorMath::constantTensor(vocab::Builtin fn, RankedTensorType type,
                                 ArrayRef<Value> sizes, double value) {
  Type elem = type.getElementType();
  if (fn == vocab::Builtin::Full)
    return filled(type, sizes, scalarConstant(elem, value));
  Value init = empty(type, sizes);
  int64_t rank = type.getRank();
  auto id = AffineMap::getMultiDimIdentityMap(rank, b_.getContext());
  return b_
      .create<linalg::GenericOp>(
          loc_, TypeRange{type}, ValueRange{}, ValueRange{init},
          SmallVector<AffineMap>{id},
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location l, ValueRange) {
            Value i = nb.create<linalg::IndexOp>(l, 0);
            Value r;
            if (fn == vocab::Builtin::Arange) {
              r = nb.create<arith::IndexCastOp>(l, elem, i);
            } else {
              Value j = nb.create<linalg::IndexOp>(l, 1);
              Value diag =
                  nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, i, j);
              r = nb.create<arith::SelectOp>(
                  l, diag,
                  nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, 1.0)),
                  nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, 0.0)));
            }
            nb.create<linalg::YieldOp>(l, r);
          })
      .getResult(0);
}

Value TensorMath::filled(RankedTensorType type, ArrayRef<Value> sizes,
                         Value value) {
  return b_.create<linalg::FillOp>(loc_, value, empty(type, sizes))
      .getResult(0);
}

Value TensorMath::kron(Value a, Value b, RankedTensorType resultType) {
  // out[i, k, j, l] = a[i, j] * b[k, l], then (i, k) and (j, l) flattened:
  // row i * b0 + k, column j * b1 + l.
  MLIRContext *ctx = b_.getContext();
  auto at = llvm::cast<RankedTensorType>(a.getType());
  auto bt = llvm::cast<RankedTensorType>(b.getType());
  Type elem = at.getElementType();
  auto fourType = RankedTensorType::get(
      {at.getDimSize(0), bt.getDimSize(0), at.getDimSize(1), bt.getDimSize(1)},
      elem);
  Value init = empty(
      fourType, {dimSize(a, 0), dimSize(b, 0), dimSize(a, 1), dimSize(b, 1)});
  AffineExpr i = getAffineDimExpr(0, ctx), k = getAffineDimExpr(1, ctx),
             j = getAffineDimExpr(2, ctx), l = getAffineDimExpr(3, ctx);
  bool isFloat = llvm::isa<FloatType>(elem);
  Value four =
      b_.create<linalg::GenericOp>(
            loc_, TypeRange{fourType}, ValueRange{a, b}, ValueRange{init},
            SmallVector<AffineMap>{AffineMap::get(4, 0, {i, j}, ctx),
                                   AffineMap::get(4, 0, {k, l}, ctx),
                                   AffineMap::getMultiDimIdentityMap(4, ctx)},
            SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location loc, ValueRange v) {
              Value p =
                  isFloat
                      ? nb.create<arith::MulFOp>(loc, v[0], v[1]).getResult()
                      : nb.create<arith::MulIOp>(loc, v[0], v[1]).getResult();
              nb.create<linalg::YieldOp>(loc, p);
            })
          .getResult(0);
  Value flat = b_.create<tensor::CollapseShapeOp>(
      loc_, four, SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});
  if (flat.getType() != resultType)
    flat = b_.create<tensor::CastOp>(loc_, resultType, flat);
  return flat;
}

} // namespace modc
