//===- LowerRoutingToLoops.cpp - Routing ops as loops on buffers ----------===//
//
// The GPU lowering of the tensor-level routing ops (ModRouteOps.td), the
// second beside mod-lower-routing-to-runtime: on their buffer form, each op
// becomes loops over its buffers with the semantics of its runtime function
// (runtime/Routing.cpp, runtime/Gemm.cpp), which mod-map-to-gpu-kernels
// then maps onto blocks and threads. Work that is independent per row or
// per element is an `scf.parallel`; what is sequential by nature (a plan's
// placement in row order, top-k with a capacity) is `scf.for`, a one-thread
// kernel. Softmaxes are computed in f32 (the runtime uses double: within a
// few ulp of f32).
//
// Ids (task routing, the range checks of embeddings) are checked on the
// device: the first bad position is kept with an atomic min, and the host
// reads it back (`mod.device_to_host`) and reports it through the runtime
// with the CPU's message (modrt_report_*).
//
// A plan is a stable counting sort over chunks of rows (parallel over
// chunks and targets; its placement is the runtime's serial one).
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"
#include "conversion/RuntimeABI.h"
#include "ir/Stats.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <cmath>

namespace modc {
#define GEN_PASS_DEF_LOWERROUTINGTOLOOPS
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

using Builder = ImplicitLocOpBuilder;
using BodyFn = llvm::function_ref<void(Builder &, ValueRange)>;

Value cIndex(Builder &b, int64_t v) {
  return b.create<arith::ConstantIndexOp>(v);
}
Value cI64(Builder &b, int64_t v) {
  return b.create<arith::ConstantIntOp>(v, 64);
}
Value cF32(Builder &b, double v) {
  return b.create<arith::ConstantOp>(b.getF32FloatAttr(float(v)));
}
Value dim(Builder &b, Value buffer, int64_t i) {
  return b.create<memref::DimOp>(buffer, i);
}
Value toIndex(Builder &b, Value v) {
  return b.create<arith::IndexCastOp>(b.getIndexType(), v);
}
Value toI64(Builder &b, Value v) {
  return b.create<arith::IndexCastOp>(b.getI64Type(), v);
}
/// A capacity in rows, min(ceil(capacity * rows * k / e), rows) as i64, in
/// the runtime's order of f64 operations (capacityRows in
/// runtime/Routing.cpp): a factor folded at compile time, capacity * k / e
/// first, rounds differently (ceil(1.0000000000000002) kept one row more).
/// Clamped in f64 before the conversion (a huge capacity converted first
/// was poison).
Value capacityRows(Builder &b, Value rows, double capacity, int64_t k,
                   int64_t e) {
  auto f64 = [&](double v) {
    return b.create<arith::ConstantOp>(b.getF64FloatAttr(v)).getResult();
  };
  Value rowsF = b.create<arith::SIToFPOp>(b.getF64Type(), toI64(b, rows));
  Value capF = b.create<arith::MulFOp>(f64(capacity), rowsF);
  capF = b.create<arith::MulFOp>(capF, f64(double(k)));
  capF = b.create<arith::DivFOp>(capF, f64(double(e)));
  return b.create<arith::FPToSIOp>(
      b.getI64Type(),
      b.create<arith::MinimumFOp>(b.create<math::CeilOp>(capF), rowsF));
}
Value load(Builder &b, Value buffer, ValueRange at) {
  return b.create<memref::LoadOp>(buffer, at);
}
/// A scratch buffer of `elem` with one dynamic dim per size.
Value scratch(Builder &b, Type elem, ValueRange sizes) {
  SmallVector<int64_t> shape(sizes.size(), ShapedType::kDynamic);
  return b.create<memref::AllocOp>(MemRefType::get(shape, elem), sizes);
}
void store(Builder &b, Value v, Value buffer, ValueRange at) {
  b.create<memref::StoreOp>(v, buffer, at);
}
/// `v` as f32 (extended or truncated from another float type).
Value toF32(Builder &b, Value v) {
  Type t = v.getType();
  if (t.isF32())
    return v;
  if (t.getIntOrFloatBitWidth() < 32)
    return b.create<arith::ExtFOp>(b.getF32Type(), v);
  return b.create<arith::TruncFOp>(b.getF32Type(), v);
}
/// An f32 `v` stored into `buffer`'s element type.
Value fromF32(Builder &b, Value v, Value buffer) {
  Type t = cast<MemRefType>(buffer.getType()).getElementType();
  if (t.isF32())
    return v;
  if (t.getIntOrFloatBitWidth() < 32)
    return b.create<arith::TruncFOp>(t, v);
  return b.create<arith::ExtFOp>(t, v);
}

/// A parallel loop over [0, ubs) with `body(ivs)`.
void parallel(Builder &b, ValueRange ubs, BodyFn body) {
  SmallVector<Value> zeros(ubs.size(), cIndex(b, 0));
  SmallVector<Value> ones(ubs.size(), cIndex(b, 1));
  b.create<scf::ParallelOp>(zeros, ubs, ones,
                            [&](OpBuilder &nb, Location loc, ValueRange ivs) {
                              Builder inner(loc, nb);
                              body(inner, ivs);
                            });
}

/// A sequential loop over [lb, ub) with `body(iv)`.
void loop(Builder &b, Value lb, Value ub, BodyFn body) {
  b.create<scf::ForOp>(lb, ub, cIndex(b, 1), ValueRange{},
                       [&](OpBuilder &nb, Location loc, Value iv, ValueRange) {
                         Builder inner(loc, nb);
                         body(inner, iv);
                         inner.create<scf::YieldOp>();
                       });
}

/// A sequential loop over [lb, ub) carrying `inits`; `body(iv, args)`
/// returns the next values.
ValueRange fold(
    Builder &b, Value lb, Value ub, ValueRange inits,
    llvm::function_ref<SmallVector<Value>(Builder &, Value, ValueRange)> body) {
  auto op = b.create<scf::ForOp>(
      lb, ub, cIndex(b, 1), inits,
      [&](OpBuilder &nb, Location loc, Value iv, ValueRange args) {
        Builder inner(loc, nb);
        inner.create<scf::YieldOp>(body(inner, iv, args));
      });
  return op.getResults();
}

void ifThen(Builder &b, Value cond, llvm::function_ref<void(Builder &)> then) {
  b.create<scf::IfOp>(cond, [&](OpBuilder &nb, Location loc) {
    Builder inner(loc, nb);
    then(inner);
    inner.create<scf::YieldOp>();
  });
}

Value exp(Builder &b, Value v) { return b.create<math::ExpOp>(v); }

/// `y op= weight * v` for a scatter mode.
Value combine(Builder &b, mod::ScatterMode mode, Value dst, Value v,
              Value weight) {
  switch (mode) {
  case mod::ScatterMode::Weighted:
    return b.create<arith::AddFOp>(dst, b.create<arith::MulFOp>(weight, v));
  case mod::ScatterMode::Sum:
    return b.create<arith::AddFOp>(dst, v);
  case mod::ScatterMode::Max:
    return b.create<arith::MaximumFOp>(dst, v);
  }
  llvm_unreachable("scatter mode");
}

/// a > b in the order of torch.topk: NaN above every number.
Value greaterNaNFirst(Builder &b, Value a, Value bv) {
  Value aNaN = b.create<arith::CmpFOp>(arith::CmpFPredicate::UNO, a, a);
  Value bNaN = b.create<arith::CmpFOp>(arith::CmpFPredicate::UNO, bv, bv);
  Value bNum =
      b.create<arith::XOrIOp>(bNaN, b.create<arith::ConstantIntOp>(1, 1));
  return b.create<arith::SelectOp>(
      aNaN, bNum,
      b.create<arith::AndIOp>(
          bNum, b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, a, bv)));
}

/// a and b hold the same place in that order (both NaN, or equal).
Value sameNaNFirst(Builder &b, Value a, Value bv) {
  return b.create<arith::OrIOp>(
      b.create<arith::AndIOp>(
          b.create<arith::CmpFOp>(arith::CmpFPredicate::UNO, a, a),
          b.create<arith::CmpFOp>(arith::CmpFPredicate::UNO, bv, bv)),
      b.create<arith::CmpFOp>(arith::CmpFPredicate::OEQ, a, bv));
}

/// The first (value, index) of a selection: before everything, NaN
/// included.
SmallVector<Value> startOfOrder(Builder &b) {
  return {cF32(b, NAN), cI64(b, -1)};
}

/// The next (value, index) after `prev` in the order value descending (NaN
/// first, as torch.topk), index ascending, over indices [0, n) whose values
/// `at(i)` gives: one pass of a top-k selection (index -1 if none is left).
ValueRange nextInOrder(Builder &b, Value n, ValueRange prev,
                       llvm::function_ref<Value(Builder &, Value)> at) {
  Value none = cI64(b, -1);
  return fold(
      b, cIndex(b, 0), n, ValueRange{cF32(b, -INFINITY), none},
      [&](Builder &ib, Value i, ValueRange cur) {
        Value v = at(ib, i);
        Value ii = toI64(ib, i);
        Value after = ib.create<arith::OrIOp>(
            greaterNaNFirst(ib, prev[0], v),
            ib.create<arith::AndIOp>(
                sameNaNFirst(ib, v, prev[0]),
                ib.create<arith::CmpIOp>(arith::CmpIPredicate::sgt, ii,
                                         prev[1])));
        Value better = ib.create<arith::OrIOp>(
            ib.create<arith::CmpIOp>(arith::CmpIPredicate::eq, cur[1], none),
            greaterNaNFirst(ib, v, cur[0]));
        Value take = ib.create<arith::AndIOp>(after, better);
        return SmallVector<Value>{ib.create<arith::SelectOp>(take, v, cur[0]),
                                  ib.create<arith::SelectOp>(take, ii, cur[1])};
      });
}

struct LowerRoutingToLoopsPass
    : public modc::impl::LowerRoutingToLoopsBase<LowerRoutingToLoopsPass> {
  ModuleOp module;
  modc::abi::Messages *messages = nullptr;

  /// A device buffer holding the first bad position (INT64_MAX for none)
  /// and, once reportFirstBad has looked, the id there.
  static Value newFirstBad(Builder &b) {
    Value bad = b.create<memref::AllocOp>(MemRefType::get({2}, b.getI64Type()));
    loop(b, cIndex(b, 0), cIndex(b, 1), [&](Builder &ib, ValueRange) {
      store(ib, cI64(ib, INT64_MAX), bad, {cIndex(ib, 0)});
    });
    return bad;
  }
  /// ids[at] as i64, and whether it lies in [0, bound).
  static std::pair<Value, Value> idInRange(Builder &b, Value ids, ValueRange at,
                                           Value bound) {
    Value id = load(b, ids, at);
    if (!id.getType().isInteger(64))
      id = b.create<arith::ExtSIOp>(b.getI64Type(), id);
    Value in = b.create<arith::AndIOp>(
        b.create<arith::CmpIOp>(arith::CmpIPredicate::sge, id, cI64(b, 0)),
        b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, id, bound));
    return {id, in};
  }
  /// Keeps `pos` in `bad` (atomic min) unless the id there was `inRange`.
  static void recordBad(Builder &b, Value bad, Value inRange, Value pos) {
    Value isBad =
        b.create<arith::XOrIOp>(inRange, b.create<arith::ConstantIntOp>(1, 1));
    ifThen(b, isBad, [&](Builder &tb) {
      tb.create<memref::AtomicRMWOp>(arith::AtomicRMWKind::mins, toI64(tb, pos),
                                     bad, ValueRange{cIndex(tb, 0)});
    });
  }
  /// The device copies the id at the first bad position next to it (the
  /// host never reads `ids`: a `_device` entry's are device memory); the
  /// host reads both back and, if any, reports them with
  /// `report(id, pos, bound, msg)`.
  LogicalResult reportFirstBad(Builder &b, Value bad, Value ids, Value bound,
                               func::FuncOp report, Value msg) {
    Value c0 = cIndex(b, 0), c1 = cIndex(b, 1);
    auto anyBad = [](Builder &b, Value pos) {
      return b.create<arith::CmpIOp>(arith::CmpIPredicate::slt, pos,
                                     cI64(b, INT64_MAX));
    };
    loop(b, c0, c1, [&](Builder &ib, ValueRange) {
      Value pos = load(ib, bad, {cIndex(ib, 0)});
      ifThen(ib, anyBad(ib, pos), [&](Builder &tb) {
        Value id = load(tb, ids, {toIndex(tb, pos)});
        if (!id.getType().isInteger(64))
          id = tb.create<arith::ExtSIOp>(tb.getI64Type(), id);
        store(tb, id, bad, {cIndex(tb, 1)});
      });
    });
    auto pos = b.create<memref::LoadOp>(bad, ValueRange{c0});
    pos->setAttr(modc::kDeviceToHostAttr, b.getUnitAttr());
    LogicalResult result = success();
    ifThen(b, anyBad(b, pos), [&](Builder &tb) {
      auto id = tb.create<memref::LoadOp>(bad, ValueRange{cIndex(tb, 1)});
      id->setAttr(modc::kDeviceToHostAttr, tb.getUnitAttr());
      result = modc::abi::call(tb, tb.getLoc(), report,
                               {id.getResult(), pos.getResult(), bound, msg});
    });
    b.create<memref::DeallocOp>(bad);
    return result;
  }

  /// Task routing: the id is the target; a row whose id is outside [0, E)
  /// is reported, and goes to target 0 with weight 0 meanwhile: the call
  /// fails, but what runs after the decision (a train step's backward too)
  /// must index only real targets (slot -1 there read before a buffer).
  LogicalResult lowerTask(Builder &b, mod::RouteDecideOp op) {
    Value ids = op.getInput(), idx = op.getIndices(), w = op.getWeights();
    int64_t e = op.getNumTargets();
    Value bad = newFirstBad(b);
    parallel(b, {dim(b, ids, 0)}, [&](Builder &ib, ValueRange r) {
      auto [id, in] = idInRange(ib, ids, r, cI64(ib, e));
      Value c0 = cIndex(ib, 0);
      store(ib, ib.create<arith::SelectOp>(in, id, cI64(ib, 0)), idx,
            {r[0], c0});
      store(ib, ib.create<arith::SelectOp>(in, cF32(ib, 1.0), cF32(ib, 0.0)), w,
            {r[0], c0});
      recordBad(ib, bad, in, r[0]);
    });
    Value msg =
        messages->get(b, b.getLoc(), op.getMessage().value_or("task id"));
    return reportFirstBad(b, bad, ids, cI64(b, e),
                          MODC_KERNEL_FUNCTION(module, modrt_report_task_id),
                          msg);
  }

  /// modrt_check_index_*(ids, bound, msg) on the device.
  LogicalResult lowerCheckIndex(Builder &b, func::CallOp call) {
    Value ids = call.getOperand(0), bound = call.getOperand(1);
    Value msg = call.getOperand(2);
    Value bad = newFirstBad(b);
    parallel(b, {dim(b, ids, 0)}, [&](Builder &ib, ValueRange i) {
      recordBad(ib, bad, idInRange(ib, ids, i, bound).second, i[0]);
    });
    return reportFirstBad(b, bad, ids, bound,
                          MODC_KERNEL_FUNCTION(module, modrt_report_index),
                          msg);
  }

  /// Top-k over row r of `logits`: the k largest (ties to the lower index)
  /// into idx[r, :], their softmax weights into w[r, :]; with `used` (the
  /// rows each target has taken so far), each
  /// target keeps its first `cap` rows.
  void topkRow(Builder &b, mod::RouteDecideOp op, Value r, Value used,
               Value cap) {
    Value logits = op.getInput(), idx = op.getIndices(), w = op.getWeights();
    Value e = dim(b, logits, 1), k = cIndex(b, *op.getK());
    Value c0 = cIndex(b, 0);
    Value none = cI64(b, -1);
    fold(b, c0, k, startOfOrder(b), [&](Builder &jb, Value j, ValueRange prev) {
      ValueRange best = nextInOrder(jb, e, prev, [&](Builder &tb, Value t) {
        return load(tb, logits, {r, t});
      });
      store(jb, best[1], idx, {r, j});
      store(jb, best[0], w, {r, j}); // the logit, weighted below
      return SmallVector<Value>{best[0], best[1]};
    });
    // Softmax weights: over the chosen logits (normalize) or over the row.
    Value m = load(b, w, {r, c0});
    auto valid = [&](Builder &ib, Value j) {
      return ib.create<arith::CmpIOp>(arith::CmpIPredicate::sge,
                                      load(ib, idx, {r, j}), cI64(ib, 0));
    };
    Value zero = cF32(b, 0.0);
    Value sum;
    if (op.getNormalize()) {
      sum = fold(
          b, c0, k, ValueRange{zero}, [&](Builder &ib, Value j, ValueRange s) {
            Value p = exp(ib, ib.create<arith::SubFOp>(load(ib, w, {r, j}), m));
            p = ib.create<arith::SelectOp>(valid(ib, j), p, zero);
            return SmallVector<Value>{ib.create<arith::AddFOp>(s[0], p)};
          })[0];
    } else {
      sum = fold(
          b, c0, e, ValueRange{zero}, [&](Builder &ib, Value t, ValueRange s) {
            Value p =
                exp(ib, ib.create<arith::SubFOp>(load(ib, logits, {r, t}), m));
            return SmallVector<Value>{ib.create<arith::AddFOp>(s[0], p)};
          })[0];
    }
    loop(b, c0, k, [&](Builder &ib, ValueRange j) {
      Value p = exp(ib, ib.create<arith::SubFOp>(load(ib, w, {r, j[0]}), m));
      p = ib.create<arith::DivFOp>(p, sum);
      p = ib.create<arith::SelectOp>(valid(ib, j[0]), p, zero);
      store(ib, p, w, {r, j[0]});
    });
    if (!used)
      return;
    loop(b, c0, k, [&](Builder &ib, ValueRange j) {
      Value t = load(ib, idx, {r, j[0]});
      ifThen(ib, valid(ib, j[0]), [&](Builder &tb) {
        Value ti = toIndex(tb, t);
        Value n = load(tb, used, {ti});
        Value full =
            tb.create<arith::CmpIOp>(arith::CmpIPredicate::sge, n, cap);
        auto ifOp = tb.create<scf::IfOp>(full, /*withElseRegion=*/true);
        {
          Builder fb =
              Builder::atBlockBegin(tb.getLoc(), &ifOp.getThenRegion().front());
          store(fb, cI64(fb, -1), idx, {r, j[0]});
          store(fb, cF32(fb, 0.0), w, {r, j[0]});
        }
        {
          Builder eb =
              Builder::atBlockBegin(tb.getLoc(), &ifOp.getElseRegion().front());
          store(eb, eb.create<arith::AddIOp>(n, cI64(eb, 1)), used, {ti});
        }
      });
    });
  }

  LogicalResult lowerTopk(Builder &b, mod::RouteDecideOp op) {
    Value logits = op.getInput();
    Value rows = dim(b, logits, 0);
    double capacity =
        op.getCapacity() ? op.getCapacity()->convertToDouble() : 0.0;
    if (capacity <= 0) {
      parallel(b, {rows}, [&](Builder &rb, ValueRange r) {
        topkRow(rb, op, r[0], Value(), Value());
      });
      return success();
    }
    // Each target keeps the first C rows choosing it, C = ceil(capacity *
    // R * k / E): rows in order, in one thread.
    int64_t e = op.getNumTargets();
    Value cap = capacityRows(b, rows, capacity, *op.getK(), e);
    Value used =
        b.create<memref::AllocOp>(MemRefType::get({e}, b.getI64Type()));
    loop(b, cIndex(b, 0), cIndex(b, e), [&](Builder &ib, ValueRange t) {
      store(ib, cI64(ib, 0), used, {t[0]});
    });
    loop(b, cIndex(b, 0), rows,
         [&](Builder &rb, ValueRange r) { topkRow(rb, op, r[0], used, cap); });
    b.create<memref::DeallocOp>(used);
    return success();
  }

  LogicalResult lowerDecide(Builder &b, mod::RouteDecideOp op) {
    Value in = op.getInput(), idx = op.getIndices(), w = op.getWeights();
    switch (op.getRouter()) {
    case mod::RouterKind::Topk:
      return lowerTopk(b, op);
    case mod::RouterKind::SoftmaxGate:
      parallel(b, {dim(b, in, 0)}, [&](Builder &rb, ValueRange r) {
        Value e = dim(rb, in, 1), c0 = cIndex(rb, 0);
        Value m = fold(rb, c0, e, ValueRange{cF32(rb, -INFINITY)},
                       [&](Builder &ib, Value t, ValueRange acc) {
                         return SmallVector<Value>{ib.create<arith::MaximumFOp>(
                             acc[0], load(ib, in, {r[0], t}))};
                       })[0];
        Value sum = fold(
            rb, c0, e, ValueRange{cF32(rb, 0.0)},
            [&](Builder &ib, Value t, ValueRange acc) {
              Value p =
                  exp(ib, ib.create<arith::SubFOp>(load(ib, in, {r[0], t}), m));
              return SmallVector<Value>{ib.create<arith::AddFOp>(acc[0], p)};
            })[0];
        loop(rb, c0, e, [&](Builder &ib, ValueRange t) {
          Value p =
              exp(ib, ib.create<arith::SubFOp>(load(ib, in, {r[0], t[0]}), m));
          store(ib, toI64(ib, t[0]), idx, {r[0], t[0]});
          store(ib, ib.create<arith::DivFOp>(p, sum), w, {r[0], t[0]});
        });
      });
      return success();
    case mod::RouterKind::Weights:
      parallel(b, {dim(b, in, 0), dim(b, in, 1)},
               [&](Builder &ib, ValueRange rt) {
                 Value v = load(ib, in, rt);
                 Value chosen = ib.create<arith::CmpFOp>(
                     arith::CmpFPredicate::UNE, v, cF32(ib, 0.0));
                 store(ib,
                       ib.create<arith::SelectOp>(chosen, toI64(ib, rt[1]),
                                                  cI64(ib, -1)),
                       idx, rt);
                 store(ib, ib.create<arith::SelectOp>(chosen, v, cF32(ib, 0.0)),
                       w, rt);
               });
      return success();
    case mod::RouterKind::Hash: {
      auto slots = cast<MemRefType>(idx.getType());
      if (slots.getDimSize(1) != 1)
        return op.emitOpError("hash routing has one slot per row");
      Value e = b.create<arith::ConstantIntOp>(op.getNumTargets(), 32);
      parallel(b, {dim(b, in, 0)}, [&](Builder &ib, ValueRange r) {
        Value id = load(ib, in, r);
        Type i32 = ib.getI32Type();
        Value h = id.getType().isInteger(32)
                      ? id
                      : ib.create<arith::TruncIOp>(i32, id).getResult();
        // MurmurHash3's finaliser (modrt/hash.h).
        auto xorShift = [&](Value v, int64_t s) {
          return ib.create<arith::XOrIOp>(
              v, ib.create<arith::ShRUIOp>(
                     v, ib.create<arith::ConstantIntOp>(s, 32)));
        };
        auto mul = [&](Value v, uint32_t c) {
          return ib.create<arith::MulIOp>(
              v, ib.create<arith::ConstantIntOp>(int64_t(int32_t(c)), 32));
        };
        h = xorShift(h, 16);
        h = mul(h, 0x85ebca6bu);
        h = xorShift(h, 13);
        h = mul(h, 0xc2b2ae35u);
        h = xorShift(h, 16);
        Value t = ib.create<arith::ExtUIOp>(ib.getI64Type(),
                                            ib.create<arith::RemUIOp>(h, e));
        Value c0 = cIndex(ib, 0);
        store(ib, t, idx, {r[0], c0});
        store(ib, cF32(ib, 1.0), w, {r[0], c0});
      });
      return success();
    }
    case mod::RouterKind::Task:
      return lowerTask(b, op);
    case mod::RouterKind::ExpertChoice:
      return lowerExpertChoice(b, op);
    }
    return op.emitOpError("unknown router");
  }

  /// softmax(logits[r, :])[t], recomputed (a thread of expert choice
  /// needs one column of every row's softmax).
  static Value softmaxAt(Builder &b, Value logits, Value r, Value t) {
    Value e = dim(b, logits, 1), c0 = cIndex(b, 0);
    Value m = fold(b, c0, e, ValueRange{cF32(b, -INFINITY)},
                   [&](Builder &ib, Value u, ValueRange acc) {
                     return SmallVector<Value>{ib.create<arith::MaximumFOp>(
                         acc[0], load(ib, logits, {r, u}))};
                   })[0];
    Value sum =
        fold(b, c0, e, ValueRange{cF32(b, 0.0)},
             [&](Builder &ib, Value u, ValueRange acc) {
               Value p = exp(
                   ib, ib.create<arith::SubFOp>(load(ib, logits, {r, u}), m));
               return SmallVector<Value>{ib.create<arith::AddFOp>(acc[0], p)};
             })[0];
    Value p = exp(b, b.create<arith::SubFOp>(load(b, logits, {r, t}), m));
    return b.create<arith::DivFOp>(p, sum);
  }

  /// Expert choice: each target t takes the C rows of largest softmax
  /// probability for t (ties to the lower row), C = ceil(capacity * R / E)
  /// clamped to [0, R]; one thread per target.
  LogicalResult lowerExpertChoice(Builder &b, mod::RouteDecideOp op) {
    Value logits = op.getInput(), idx = op.getIndices(), w = op.getWeights();
    Value rows = dim(b, logits, 0);
    double capacity =
        op.getCapacity() ? op.getCapacity()->convertToDouble() : 0.0;
    Value cap =
        toIndex(b, capacityRows(b, rows, capacity, 1, op.getNumTargets()));
    parallel(b, {rows, dim(b, idx, 1)}, [&](Builder &ib, ValueRange rt) {
      store(ib, cI64(ib, -1), idx, rt);
      store(ib, cF32(ib, 0.0), w, rt);
    });
    Value none = cI64(b, -1);
    parallel(b, {dim(b, logits, 1)}, [&](Builder &tb, ValueRange t) {
      fold(tb, cIndex(tb, 0), cap, startOfOrder(tb),
           [&](Builder &jb, Value, ValueRange prev) {
             // The next row by probability (ties to the lower row).
             ValueRange best =
                 nextInOrder(jb, rows, prev, [&](Builder &rb, Value r) {
                   return softmaxAt(rb, logits, r, t[0]);
                 });
             Value found = jb.create<arith::CmpIOp>(arith::CmpIPredicate::sge,
                                                    best[1], cI64(jb, 0));
             ifThen(jb, found, [&](Builder &sb) {
               Value r = toIndex(sb, best[1]);
               store(sb, toI64(sb, t[0]), idx, {r, t[0]});
               store(sb, best[0], w, {r, t[0]});
             });
             return SmallVector<Value>{best[0], best[1]};
           });
    });
    return success();
  }

  /// The rows of `dense` grouped by bit-identical contents, groups in order
  /// of their first row, each in row order: in one thread, each row
  /// compared with the later rows not yet placed.
  /// Rows grouped by equal weight vectors (bit for bit), groups in the
  /// order of their first rows, each group's rows in order: the runtime's
  /// grouping. The quadratic part, each row's first equal row (its
  /// leader), is parallel over rows; numbering the leaders and placing the
  /// rows is one linear pass in one thread.
  LogicalResult lowerDistinct(Builder &b, mod::RouteDistinctOp op) {
    Value dense = op.getDense(), order = op.getOrder();
    Value offsets = op.getOffsets(), numGroups = op.getNumGroups();
    Value rows = dim(b, dense, 0), c0 = cIndex(b, 0), c1 = cIndex(b, 1);
    Value cols = dim(b, dense, 1);
    auto bits = [&](Builder &ib, Value r, Value col) {
      return ib.create<arith::BitcastOp>(ib.getI32Type(),
                                         load(ib, dense, {r, col}));
    };
    // leader[r]: the first row s <= r whose weights equal r's.
    Value leader = scratch(b, b.getIndexType(), rows);
    parallel(b, rows, [&](Builder &pb, ValueRange r) {
      Value none = cIndex(pb, -1);
      Value first = fold(
          pb, c0, pb.create<arith::AddIOp>(r[0], c1), ValueRange{none},
          [&](Builder &sb, Value s, ValueRange found) {
            Value same = fold(
                sb, c0, cols, ValueRange{sb.create<arith::ConstantIntOp>(1, 1)},
                [&](Builder &cb, Value col, ValueRange eq) {
                  Value e = cb.create<arith::CmpIOp>(arith::CmpIPredicate::eq,
                                                     bits(cb, r[0], col),
                                                     bits(cb, s, col));
                  return SmallVector<Value>{cb.create<arith::AndIOp>(eq[0], e)};
                })[0];
            Value open = sb.create<arith::CmpIOp>(arith::CmpIPredicate::eq,
                                                  found[0], none);
            return SmallVector<Value>{sb.create<arith::SelectOp>(
                sb.create<arith::AndIOp>(same, open), s, found[0])};
          })[0];
      store(pb, first, leader, r);
    });
    // In one thread: number the leaders in row order (a group per leader),
    // count each group's rows, their first places, and place the rows.
    Value groupOf = scratch(b, b.getIndexType(), rows),
          next = scratch(b, b.getIndexType(), rows);
    loop(b, c0, c1, [&](Builder &ob, ValueRange) {
      Value groups =
          fold(ob, c0, rows, ValueRange{c0},
               [&](Builder &rb, Value r, ValueRange g) {
                 Value isLeader = rb.create<arith::CmpIOp>(
                     arith::CmpIPredicate::eq, load(rb, leader, {r}), r);
                 ifThen(rb, isLeader, [&](Builder &tb) {
                   store(tb, g[0], groupOf, {r});
                   store(tb, c0, next, {g[0]});
                 });
                 return SmallVector<Value>{rb.create<arith::SelectOp>(
                     isLeader, rb.create<arith::AddIOp>(g[0], c1), g[0])};
               })[0];
      auto groupOfRow = [&](Builder &ib, Value r) {
        return load(ib, groupOf, {load(ib, leader, {r})});
      };
      loop(ob, c0, rows, [&](Builder &rb, ValueRange r) {
        Value g = groupOfRow(rb, r[0]);
        store(rb, rb.create<arith::AddIOp>(load(rb, next, {g}), c1), next, {g});
      });
      fold(ob, c0, groups, ValueRange{c0},
           [&](Builder &gb, Value g, ValueRange start) {
             Value n = load(gb, next, {g});
             store(gb, toI64(gb, start[0]), offsets, {g});
             store(gb, start[0], next, {g});
             return SmallVector<Value>{gb.create<arith::AddIOp>(start[0], n)};
           });
      store(ob, toI64(ob, rows), offsets, {groups});
      store(ob, toI64(ob, groups), numGroups, {c0});
      loop(ob, c0, rows, [&](Builder &rb, ValueRange r) {
        Value g = groupOfRow(rb, r[0]);
        Value p = load(rb, next, {g});
        store(rb, toI64(rb, r[0]), order, {p});
        store(rb, rb.create<arith::AddIOp>(p, c1), next, {g});
      });
    });
    for (Value list : {leader, groupOf, next})
      b.create<memref::DeallocOp>(list);
    return success();
  }

  /// Rows of idx per chunk of the plan's counting sort.
  static constexpr int64_t kPlanChunk = 256;

  /// The plan as a stable counting sort over chunks of kPlanChunk rows, so
  /// that its work is parallel (over chunks, then over targets) yet places
  /// entries exactly as the runtime's serial pass does: by target, then
  /// row, then slot.
  LogicalResult lowerPlan(Builder &b, mod::RoutePlanOp op) {
    Value idx = op.getIndices(), counts = op.getCounts();
    Value rowsOut = op.getRows(), slotsOut = op.getSlots();
    Value e = dim(b, counts, 0), c0 = cIndex(b, 0), c1 = cIndex(b, 1);
    Value rows = dim(b, idx, 0), k = dim(b, idx, 1);
    Value chunk = cIndex(b, kPlanChunk);
    Value chunks = b.create<arith::DivUIOp>(
        b.create<arith::AddIOp>(rows, cIndex(b, kPlanChunk - 1)), chunk);
    auto target = [&](Builder &ib, Value r, Value j,
                      llvm::function_ref<void(Builder &, Value)> then) {
      Value t = load(ib, idx, {r, j});
      Value in = ib.create<arith::AndIOp>(
          ib.create<arith::CmpIOp>(arith::CmpIPredicate::sge, t, cI64(ib, 0)),
          ib.create<arith::CmpIOp>(arith::CmpIPredicate::slt, t, toI64(ib, e)));
      ifThen(ib, in, [&](Builder &tb) { then(tb, toIndex(tb, t)); });
    };
    // Every (row, slot) of chunk c with a valid target, in order.
    auto eachInChunk =
        [&](Builder &cb, Value c,
            llvm::function_ref<void(Builder &, Value, Value, Value)> body) {
          Value first = cb.create<arith::MulIOp>(c, chunk);
          Value last = cb.create<arith::MinUIOp>(
              cb.create<arith::AddIOp>(first, chunk), rows);
          loop(cb, first, last, [&](Builder &rb, ValueRange r) {
            loop(rb, c0, k, [&](Builder &jb, ValueRange j) {
              target(jb, r[0], j[0],
                     [&](Builder &tb, Value t) { body(tb, r[0], j[0], t); });
            });
          });
        };
    // 1. Per chunk, its entries per target.
    Value perChunk = scratch(b, b.getI64Type(), {chunks, e});
    parallel(b, chunks, [&](Builder &cb, ValueRange c) {
      loop(cb, c0, e, [&](Builder &ib, ValueRange t) {
        store(ib, cI64(ib, 0), perChunk, {c[0], t[0]});
      });
      eachInChunk(cb, c[0], [&](Builder &tb, Value, Value, Value t) {
        Value n = load(tb, perChunk, {c[0], t});
        store(tb, tb.create<arith::AddIOp>(n, cI64(tb, 1)), perChunk,
              {c[0], t});
      });
    });
    // 2. Per target, its count and each chunk's first place among its
    // entries (an exclusive running sum over the chunks).
    parallel(b, e, [&](Builder &tb, ValueRange t) {
      ValueRange total =
          fold(tb, c0, chunks, ValueRange{cI64(tb, 0)},
               [&](Builder &cb, Value c, ValueRange run) {
                 Value n = load(cb, perChunk, {c, t[0]});
                 store(cb, run[0], perChunk, {c, t[0]});
                 return SmallVector<Value>{cb.create<arith::AddIOp>(run[0], n)};
               });
      store(tb, total[0], counts, t);
    });
    // 3. Each target's first entry: an exclusive running sum over the
    // targets (few: one thread).
    Value start = scratch(b, b.getI64Type(), e);
    loop(b, c0, c1, [&](Builder &ob, ValueRange) {
      fold(ob, c0, e, ValueRange{cI64(ob, 0)},
           [&](Builder &ib, Value t, ValueRange run) {
             store(ib, run[0], start, {t});
             return SmallVector<Value>{
                 ib.create<arith::AddIOp>(run[0], load(ib, counts, {t}))};
           });
    });
    // 4. Each chunk places its entries from its places on.
    parallel(b, chunks, [&](Builder &cb, ValueRange c) {
      eachInChunk(cb, c[0], [&](Builder &tb, Value r, Value j, Value t) {
        Value mine = load(tb, perChunk, {c[0], t});
        store(tb, tb.create<arith::AddIOp>(mine, cI64(tb, 1)), perChunk,
              {c[0], t});
        Value p =
            toIndex(tb, tb.create<arith::AddIOp>(load(tb, start, {t}), mine));
        store(tb, toI64(tb, r), rowsOut, {p});
        store(tb, toI64(tb, j), slotsOut, {p});
      });
    });
    // 5. The entries past the counts' sum (a route sized by its bound on
    // the GPU path, mod-lower-routing{packed-rows-bound}): row 0, which
    // gathers may read, and slot -1, which scatters skip.
    Value cap = dim(b, rowsOut, 0);
    parallel(b, cap, [&](Builder &pb, ValueRange p) {
      Value lastT = pb.create<arith::SubIOp>(e, c1);
      Value used = pb.create<arith::AddIOp>(load(pb, start, {lastT}),
                                            load(pb, counts, {lastT}));
      ifThen(pb,
             pb.create<arith::CmpIOp>(arith::CmpIPredicate::sge,
                                      toI64(pb, p[0]), used),
             [&](Builder &ib) {
               store(ib, cI64(ib, 0), rowsOut, p);
               store(ib, cI64(ib, -1), slotsOut, p);
             });
    });
    b.create<memref::DeallocOp>(perChunk);
    b.create<memref::DeallocOp>(start);
    return success();
  }

  /// The group of packed row i (E if past the counts' sum): the number of
  /// groups that end at or before i.
  static Value groupOf(Builder &b, Value counts, Value i) {
    Value e = dim(b, counts, 0);
    Value row = toI64(b, i);
    ValueRange r = fold(
        b, cIndex(b, 0), e, ValueRange{cI64(b, 0), cI64(b, 0)},
        [&](Builder &ib, Value t, ValueRange acc) {
          Value end = ib.create<arith::AddIOp>(acc[0], load(ib, counts, {t}));
          Value past =
              ib.create<arith::CmpIOp>(arith::CmpIPredicate::sge, row, end);
          Value g = ib.create<arith::SelectOp>(
              past, ib.create<arith::AddIOp>(toI64(ib, t), cI64(ib, 1)),
              acc[1]);
          return SmallVector<Value>{end, g};
        });
    return r[1];
  }

  /// Rows of one group each thread of a grouped product computes: every
  /// weight element it loads serves that many rows (at decode, a group's
  /// few rows read its weight once).
  static constexpr int64_t kGroupRows = 4;

  /// The dot products of rows `lhsRows` of lhs with column n of w (row n
  /// of a transposed w), in f32; each element of w loaded once for all.
  static SmallVector<Value> tileDots(Builder &b, Value lhs,
                                     ArrayRef<Value> lhsRows, Value w, Value n,
                                     bool transposed) {
    SmallVector<Value> zeros(lhsRows.size(), cF32(b, 0.0));
    ValueRange sums =
        fold(b, cIndex(b, 0), dim(b, lhs, 1), zeros,
             [&](Builder &kb, Value k, ValueRange acc) {
               Value x = toF32(kb, transposed ? load(kb, w, {n, k})
                                              : load(kb, w, {k, n}));
               SmallVector<Value> next;
               for (auto [i, row] : llvm::enumerate(lhsRows))
                 next.push_back(kb.create<arith::AddFOp>(
                     acc[i], kb.create<arith::MulFOp>(
                                 toF32(kb, load(kb, lhs, {row, k})), x)));
               return next;
             });
    return SmallVector<Value>(sums);
  }

  /// Thread (t, n): tile t of the groups' row tiles (kGroupRows rows of one
  /// group; each group's last tile may be short), column n. At most
  /// ceil(rows / kGroupRows) + E tiles; the thread finds its group and
  /// first row by scanning the counts. Rows past the counts' sum stay.
  LogicalResult lowerGroupedMatmul(Builder &b, mod::GroupedMatmulOp op) {
    Value lhs = op.getLhs(), out = op.getOut(), counts = op.getCounts();
    Value gather = op.getGather();
    bool transposed = op.getTransposeWeights();
    SmallVector<Value> weights(op.getWeights());
    int64_t e = weights.size();
    constexpr int64_t tr = kGroupRows;
    Value tiles = b.create<arith::AddIOp>(
        b.create<arith::DivUIOp>(
            b.create<arith::AddIOp>(dim(b, out, 0), cIndex(b, tr - 1)),
            cIndex(b, tr)),
        cIndex(b, e));
    parallel(b, {tiles, dim(b, out, 1)}, [&](Builder &ib, ValueRange in) {
      Value t = toI64(ib, in[0]), n = in[1];
      // (row start, tile start, group, first row, rows) over the groups.
      ValueRange found = fold(
          ib, cIndex(ib, 0), cIndex(ib, e),
          ValueRange{cI64(ib, 0), cI64(ib, 0), cI64(ib, e), cI64(ib, 0),
                     cI64(ib, 0)},
          [&](Builder &fb, Value c, ValueRange acc) {
            Value count = load(fb, counts, {c});
            Value groupTiles = fb.create<arith::DivSIOp>(
                fb.create<arith::AddIOp>(count, cI64(fb, tr - 1)),
                cI64(fb, tr));
            Value tileEnd = fb.create<arith::AddIOp>(acc[1], groupTiles);
            Value hit = fb.create<arith::AndIOp>(
                fb.create<arith::CmpIOp>(arith::CmpIPredicate::sge, t, acc[1]),
                fb.create<arith::CmpIOp>(arith::CmpIPredicate::slt, t,
                                         tileEnd));
            Value first = fb.create<arith::AddIOp>(
                acc[0], fb.create<arith::MulIOp>(
                            fb.create<arith::SubIOp>(t, acc[1]), cI64(fb, tr)));
            Value left = fb.create<arith::SubIOp>(
                fb.create<arith::AddIOp>(acc[0], count), first);
            Value rows = fb.create<arith::MinSIOp>(left, cI64(fb, tr));
            return SmallVector<Value>{
                fb.create<arith::AddIOp>(acc[0], count), tileEnd,
                fb.create<arith::SelectOp>(hit, toI64(fb, c), acc[2]),
                fb.create<arith::SelectOp>(hit, first, acc[3]),
                fb.create<arith::SelectOp>(hit, rows, acc[4])};
          });
      Value g = found[2], first = found[3], numRows = found[4];
      Value inside =
          ib.create<arith::CmpIOp>(arith::CmpIPredicate::slt, g, cI64(ib, e));
      ifThen(ib, inside, [&](Builder &tb) {
        // The tile's rows of lhs (a short tile repeats its last row).
        SmallVector<Value> lhsRows;
        for (int64_t i = 0; i < tr; ++i) {
          Value r = toIndex(
              tb, tb.create<arith::AddIOp>(
                      first, tb.create<arith::MinSIOp>(
                                 cI64(tb, i), tb.create<arith::SubIOp>(
                                                  numRows, cI64(tb, 1)))));
          lhsRows.push_back(gather ? toIndex(tb, load(tb, gather, {r})) : r);
        }
        SmallVector<int64_t> cases;
        for (int64_t c = 0; c < e; ++c)
          cases.push_back(c);
        SmallVector<Type> types(tr, tb.getF32Type());
        auto sw =
            tb.create<scf::IndexSwitchOp>(types, toIndex(tb, g), cases, e);
        for (int64_t c = 0; c < e; ++c) {
          Block &blk = sw.getCaseRegions()[c].emplaceBlock();
          Builder cb = Builder::atBlockBegin(tb.getLoc(), &blk);
          cb.create<scf::YieldOp>(
              tileDots(cb, lhs, lhsRows, weights[c], n, transposed));
        }
        Block &def = sw.getDefaultRegion().emplaceBlock();
        Builder db = Builder::atBlockBegin(tb.getLoc(), &def);
        db.create<scf::YieldOp>(SmallVector<Value>(tr, cF32(db, 0.0)));
        for (int64_t i = 0; i < tr; ++i) {
          Value valid = tb.create<arith::CmpIOp>(arith::CmpIPredicate::slt,
                                                 cI64(tb, i), numRows);
          ifThen(tb, valid, [&](Builder &sb) {
            Value row =
                toIndex(sb, sb.create<arith::AddIOp>(first, cI64(sb, i)));
            store(sb, fromF32(sb, sw.getResult(i), out), out, {row, n});
          });
        }
      });
    });
    return success();
  }

  /// One loop (kernel) per group, in group order: thread (t, n) computes
  /// rows 4t.. of the group (at most kGroupRows) at column n and adds each
  /// into its destination row of y. A group places a destination row at
  /// most once (a row picks a target once), so no two threads of a loop
  /// write one element, and every element gets its contributions in group
  /// order: the order of the CPU runtime's fused scatter.
  LogicalResult lowerGroupedMatmulScatter(Builder &b,
                                          mod::GroupedMatmulScatterOp op) {
    Value lhs = op.getLhs(), rows = op.getRows(), slots = op.getSlots();
    Value counts = op.getCounts(), rw = op.getRouteWeights(), y = op.getY();
    bool gatherRows = op.getGatherRows();
    constexpr int64_t tr = kGroupRows;
    Value tiles = b.create<arith::DivUIOp>(
        b.create<arith::AddIOp>(dim(b, rows, 0), cIndex(b, tr - 1)),
        cIndex(b, tr));
    for (auto [group, weight] : llvm::enumerate(op.getWeights())) {
      int64_t g = int64_t(group);
      Value w = weight;
      parallel(b, {tiles, dim(b, y, 1)}, [&](Builder &ib, ValueRange in) {
        Value n = in[1];
        Value start =
            fold(ib, cIndex(ib, 0), cIndex(ib, g), ValueRange{cI64(ib, 0)},
                 [&](Builder &fb, Value c, ValueRange acc) {
                   return SmallVector<Value>{
                       fb.create<arith::AddIOp>(acc[0], load(fb, counts, {c}))};
                 })[0];
        Value count = load(ib, counts, {cIndex(ib, g)});
        Value first = ib.create<arith::MulIOp>(toI64(ib, in[0]), cI64(ib, tr));
        Value any =
            ib.create<arith::CmpIOp>(arith::CmpIPredicate::slt, first, count);
        ifThen(ib, any, [&](Builder &tb) {
          Value numRows = tb.create<arith::MinSIOp>(
              tb.create<arith::SubIOp>(count, first), cI64(tb, tr));
          SmallVector<Value> packed, dest, lhsRows;
          for (int64_t i = 0; i < tr; ++i) {
            Value offset = tb.create<arith::MinSIOp>(
                cI64(tb, i), tb.create<arith::SubIOp>(numRows, cI64(tb, 1)));
            packed.push_back(toIndex(
                tb, tb.create<arith::AddIOp>(
                        start, tb.create<arith::AddIOp>(first, offset))));
            dest.push_back(toIndex(tb, load(tb, rows, {packed.back()})));
            lhsRows.push_back(gatherRows ? dest.back() : packed.back());
          }
          SmallVector<Value> v =
              tileDots(tb, lhs, lhsRows, w, n, /*transposed=*/false);
          for (int64_t i = 0; i < tr; ++i) {
            Value valid = tb.create<arith::CmpIOp>(arith::CmpIPredicate::slt,
                                                   cI64(tb, i), numRows);
            ifThen(tb, valid, [&](Builder &sb) {
              Value dst = toF32(sb, load(sb, y, {dest[i], n}));
              Value weight =
                  op.getMode() == mod::ScatterMode::Weighted
                      ? load(sb, rw,
                             {dest[i],
                              toIndex(sb, load(sb, slots, {packed[i]}))})
                      : Value();
              store(
                  sb,
                  fromF32(sb, combine(sb, op.getMode(), dst, v[i], weight), y),
                  y, {dest[i], n});
            });
          }
        });
      });
    }
    return success();
  }

  LogicalResult lowerOp(Operation *o) {
    Builder b(o->getLoc(), o);
    if (auto op = dyn_cast<mod::RouteDecideOp>(o))
      return lowerDecide(b, op);
    if (auto op = dyn_cast<mod::RoutePlanOp>(o))
      return lowerPlan(b, op);
    if (auto op = dyn_cast<mod::RouteGroupIdsOp>(o)) {
      Value counts = op.getCounts(), groups = op.getGroups();
      parallel(b, {dim(b, groups, 0)}, [&](Builder &ib, ValueRange i) {
        Value g = groupOf(ib, counts, i[0]);
        Value past = ib.create<arith::CmpIOp>(arith::CmpIPredicate::sge, g,
                                              toI64(ib, dim(ib, counts, 0)));
        store(ib, ib.create<arith::SelectOp>(past, cI64(ib, 0), g), groups, i);
      });
      return success();
    }
    if (auto op = dyn_cast<mod::RouteDenseOp>(o)) {
      Value idx = op.getIndices(), w = op.getWeights(), dense = op.getDense();
      parallel(b, {dim(b, idx, 0)}, [&](Builder &rb, ValueRange r) {
        Value c0 = cIndex(rb, 0);
        Value cols = dim(rb, dense, 1);
        Value e = rb.create<arith::SubIOp>(cols, cIndex(rb, 1));
        loop(rb, c0, cols, [&](Builder &ib, ValueRange t) {
          store(ib, cF32(ib, 0.0), dense, {r[0], t[0]});
        });
        loop(rb, c0, dim(rb, idx, 1), [&](Builder &ib, ValueRange j) {
          Value t = load(ib, idx, {r[0], j[0]});
          Value in = ib.create<arith::AndIOp>(
              ib.create<arith::CmpIOp>(arith::CmpIPredicate::sge, t,
                                       cI64(ib, 0)),
              ib.create<arith::CmpIOp>(arith::CmpIPredicate::slt, t,
                                       toI64(ib, e)));
          ifThen(ib, in, [&](Builder &tb) {
            Value ti = toIndex(tb, t);
            Value d = load(tb, dense, {r[0], ti});
            store(tb, tb.create<arith::AddFOp>(d, load(tb, w, {r[0], j[0]})),
                  dense, {r[0], ti});
            Value n = load(tb, dense, {r[0], e});
            store(tb, tb.create<arith::AddFOp>(n, cF32(tb, 1.0)), dense,
                  {r[0], e});
          });
        });
      });
      return success();
    }
    if (auto op = dyn_cast<mod::RouteScatterOp>(o)) {
      Value src = op.getSource(), y = op.getY(), rw = op.getRouteWeights();
      Value rows = op.getRows(), slots = op.getSlots(), begin = op.getBegin();
      parallel(
          b, {dim(b, src, 0), dim(b, src, 1)}, [&](Builder &ib, ValueRange ic) {
            Value at = ib.create<arith::AddIOp>(begin, ic[0]);
            Value slot = load(ib, slots, {at});
            Value placed = ib.create<arith::CmpIOp>(arith::CmpIPredicate::sge,
                                                    slot, cI64(ib, 0));
            ifThen(ib, placed, [&](Builder &tb) {
              Value r = toIndex(tb, load(tb, rows, {at}));
              Value j = toIndex(tb, slot);
              Value v = toF32(tb, load(tb, src, ic));
              Value dst = toF32(tb, load(tb, y, {r, ic[1]}));
              // Only the weighted mode has a weight (the others may pass
              // any buffer there: the gradient's scatter-add passes the
              // source, whose [r, j] is out of its bounds).
              Value weight = op.getMode() == mod::ScatterMode::Weighted
                                 ? load(tb, rw, {r, j})
                                 : Value();
              store(tb,
                    fromF32(tb, combine(tb, op.getMode(), dst, v, weight), y),
                    y, {r, ic[1]});
            });
          });
      return success();
    }
    if (auto op = dyn_cast<mod::RouteFinishOp>(o)) {
      Value y = op.getY(), idx = op.getIndices();
      mod::ScatterMode mode = op.getMode();
      parallel(
          b, {dim(b, y, 0), dim(b, y, 1)}, [&](Builder &ib, ValueRange rc) {
            Value chosen = fold(
                ib, cIndex(ib, 0), dim(ib, idx, 1), ValueRange{cI64(ib, 0)},
                [&](Builder &jb, Value j, ValueRange n) {
                  Value c = jb.create<arith::CmpIOp>(arith::CmpIPredicate::sge,
                                                     load(jb, idx, {rc[0], j}),
                                                     cI64(jb, 0));
                  return SmallVector<Value>{jb.create<arith::AddIOp>(
                      n[0], jb.create<arith::ExtUIOp>(jb.getI64Type(), c))};
                })[0];
            Value v = toF32(ib, load(ib, y, rc));
            Value nothing = ib.create<arith::CmpIOp>(arith::CmpIPredicate::eq,
                                                     chosen, cI64(ib, 0));
            Value result = v;
            if (mode == mod::ScatterMode::Sum)
              result = ib.create<arith::DivFOp>(
                  v, ib.create<arith::SIToFPOp>(ib.getF32Type(), chosen));
            result = ib.create<arith::SelectOp>(nothing, cF32(ib, 0.0), result);
            store(ib, fromF32(ib, result, y), y, rc);
          });
      return success();
    }
    if (auto op = dyn_cast<mod::GroupedMatmulOp>(o))
      return lowerGroupedMatmul(b, op);
    if (auto op = dyn_cast<mod::GroupedMatmulScatterOp>(o))
      return lowerGroupedMatmulScatter(b, op);
    if (auto call = dyn_cast<func::CallOp>(o))
      return lowerCheckIndex(b, call);
    if (auto op = dyn_cast<mod::RouteDistinctOp>(o))
      return lowerDistinct(b, op);
    if (auto op = dyn_cast<mod::GroupedWeightGradOp>(o)) {
      // out[g, k, n] = sum over group g's rows i of lhs[i, k] * grad[i, n].
      Value lhs = op.getLhs(), grad = op.getGrad(), out = op.getOut();
      Value counts = op.getCounts();
      parallel(b, {dim(b, out, 0), dim(b, out, 1), dim(b, out, 2)},
               [&](Builder &ib, ValueRange gkn) {
                 Value start =
                     fold(ib, cIndex(ib, 0), gkn[0], ValueRange{cI64(ib, 0)},
                          [&](Builder &sb, Value t, ValueRange acc) {
                            return SmallVector<Value>{sb.create<arith::AddIOp>(
                                acc[0], load(sb, counts, {t}))};
                          })[0];
                 Value end = ib.create<arith::AddIOp>(
                     start, load(ib, counts, {gkn[0]}));
                 Value sum =
                     fold(ib, toIndex(ib, start), toIndex(ib, end),
                          ValueRange{cF32(ib, 0.0)},
                          [&](Builder &sb, Value i, ValueRange acc) {
                            Value a = toF32(sb, load(sb, lhs, {i, gkn[1]}));
                            Value d = toF32(sb, load(sb, grad, {i, gkn[2]}));
                            return SmallVector<Value>{sb.create<arith::AddFOp>(
                                acc[0], sb.create<arith::MulFOp>(a, d))};
                          })[0];
                 store(ib, fromF32(ib, sum, out), out, gkn);
               });
      return success();
    }
    return success();
  }

  static bool isCheckIndex(Operation *op) {
    auto call = dyn_cast<func::CallOp>(op);
    return call && (call.getCallee() == "modrt_check_index_i32" ||
                    call.getCallee() == "modrt_check_index_i64");
  }

  void runOnOperation() override {
    module = getOperation();
    modc::abi::Messages table(module);
    messages = &table;
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isCheckIndex(op) ||
          isa<mod::RouteDecideOp, mod::RoutePlanOp, mod::RouteGroupIdsOp,
              mod::RouteDenseOp, mod::RouteDistinctOp, mod::RouteScatterOp,
              mod::RouteFinishOp, mod::GroupedMatmulOp,
              mod::GroupedMatmulScatterOp, mod::GroupedWeightGradOp>(op))
        ops.push_back(op);
    });
    bool failed = false;
    for (Operation *op : ops) {
      if (op->getNumResults() != 0) {
        op->emitOpError("must be bufferized before mod-lower-routing-to-loops");
        return signalPassFailure();
      }
      if (mlir::failed(lowerOp(op))) {
        failed = true; // report every op that is not lowered
        continue;
      }
      op->erase();
      modc::recordStat(&getContext(), getArgument(), "routing-ops-to-loops", 1);
    }
    if (failed)
      signalPassFailure();
  }
};

} // namespace
