//===- LowerLibraryInterface.cpp - The compiled library's C interface -----===//
//
// The last conversion before translation to LLVM IR: from the model-level
// facts the module carries (`mod.model`, `mod.dim`, `mod.dyn`, `mod.param`,
// `mod.derived`, each entry's `mod.signature` and `mod.abi_params`) it builds
// the exported functions of INTERFACE.md §2 in the LLVM dialect:
// - the descriptor string the runtime parses (runtime/Descriptor.cpp);
// - NAME_create ... NAME_describe, forwarding to the runtime;
// - per entry, NAME_ENTRY: checks the model, the dyns (non-negative) and the
//   buffers (NULL only when empty), looks up the parameters it reads, and
//   calls the kernel (the lowered entry, now internal) with expanded memref
//   descriptors, bracketed by the runtime's call state and an allocation
//   recovery point (setjmp); for --target=cuda also NAME_ENTRY_device, the
//   same around the entry's device form with a trailing CUDA stream.
// It then erases the model-level ops: the result is plain LLVM dialect.
// As in CIRCT's LowerArcToLLVM, the runtime side of this contract is the
// runtime's public header (conversion/RuntimeABI.h derives every declaration
// from it).
//
//===----------------------------------------------------------------------===//

#include "conversion/Passes.h"
#include "conversion/RuntimeABI.h"
#include "dialects/Mod/ModModel.h"
#include "ir/Stats.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "llvm/ADT/StringMap.h"

#include <csetjmp>
#include <cstdio>

namespace modc {
#define GEN_PASS_DEF_LOWERLIBRARYINTERFACE
#include "conversion/Passes.h.inc"
} // namespace modc

using namespace mlir;

namespace {

std::string formatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

/// What the library stores, in the runtime's index order: the parameters,
/// then the derived weights.
struct Storage {
  SmallVector<mod::ParamOp> params;
  SmallVector<mod::DerivedOp> derived;
  /// Runtime index and type of every stored tensor, by symbol name.
  llvm::StringMap<std::pair<unsigned, RankedTensorType>> index;

  explicit Storage(ModuleOp module) {
    for (auto p : module.getOps<mod::ParamOp>()) {
      index[p.getSymName()] = {params.size(),
                               cast<RankedTensorType>(p.getType())};
      params.push_back(p);
    }
    for (auto d : module.getOps<mod::DerivedOp>()) {
      index[d.getSymName()] = {params.size() + derived.size(),
                               cast<RankedTensorType>(d.getType())};
      derived.push_back(d);
    }
  }
};

void appendShape(std::string &out, ArrayRef<int64_t> shape) {
  out += " " + std::to_string(shape.size());
  for (int64_t s : shape)
    out += " " + std::to_string(s);
}

/// The descriptor text (grammar: runtime/Descriptor.cpp).
std::string buildDescriptor(ModuleOp module, const Storage &storage) {
  std::string out = "modrt 1\nmodel " + mod::getModelName(module).str() + "\n";
  for (auto d : module.getOps<mod::DimOp>())
    out += "dim " + d.getName().str() + " " +
           std::to_string(d.getValueAttr().getInt()) + "\n";
  SmallVector<StringRef> dyns = mod::getDynNames(module);
  for (StringRef d : dyns)
    out += "dyn " + d.str() + "\n";
  for (mod::ParamOp p : storage.params) {
    auto type = cast<RankedTensorType>(p.getType());
    out += "param " + p.getSymName().str() + " " +
           mod::elementTypeName(type.getElementType()).str();
    appendShape(out, type.getShape());
    out += p.getFrozen() ? " frozen " : " trainable ";
    out += mod::stringifyInitKind(p.getInit()).str();
    if (auto args = p.getInitArgs())
      for (Attribute a : *args)
        out += " " + formatDouble(cast<FloatAttr>(a).getValueAsDouble());
    out += "\n";
  }
  for (mod::DerivedOp d : storage.derived) {
    auto type = cast<RankedTensorType>(d.getType());
    out += "derived " + d.getSymName().str() + " " +
           std::to_string(type.getDimSize(0)) + " " +
           std::to_string(type.getDimSize(1)) + " " +
           std::to_string(d.getTerms().size());
    for (auto t : d.getTerms().getAsRange<mod::DerivedTermAttr>()) {
      auto idx = [&](FlatSymbolRefAttr r) {
        return std::to_string(storage.index.lookup(r.getValue()).first);
      };
      std::string scale = formatDouble(t.getScale().getValueAsDouble());
      out += t.getB()
                 ? " ab " + scale + " " + idx(t.getA()) + " " + idx(t.getB())
                 : " w " + scale + " " + idx(t.getA());
    }
    out += "\n";
  }
  for (FunctionOpInterface fn : mod::getEntries(module)) {
    mod::EntrySignatureAttr sig = mod::getSignature(fn);
    ArrayAttr updates = mod::getTrainUpdates(fn);
    out += std::string(updates ? "train " : "entry ") + fn.getName().str() +
           " " + std::to_string(sig.getDyns().size());
    for (Attribute a : sig.getDyns())
      out += " " + std::to_string(llvm::find(dyns, cast<StringAttr>(a)) -
                                  dyns.begin());
    out += "\n";
    unsigned numInputs = sig.getInputs().size();
    for (auto [i, t] : llvm::enumerate(sig.getTensors())) {
      AffineMap map = t.getShape().getValue();
      out += std::string(i < numInputs ? "in " : "out ") + t.getName().str() +
             " " + mod::elementTypeName(t.getElementType()).str() + " " +
             std::to_string(map.getNumResults());
      for (AffineExpr e : map.getResults()) {
        mod::LinearDim d = *mod::decomposeLinear(e);
        out += " " + std::to_string(d.constant) + " " +
               std::to_string(d.terms.size());
        for (auto [sym, coeff] : d.terms)
          out += " " + std::to_string(sym) + " " + std::to_string(coeff);
      }
      out += "\n";
    }
    if (!updates)
      continue;
    for (auto u : updates.getAsRange<mod::UpdateAttr>()) {
      out += "update " + std::to_string(uint32_t(u.getOptimizer())) + " " +
             std::to_string(u.getParams().size());
      for (auto p : u.getParams().getAsRange<FlatSymbolRefAttr>())
        out += " " + std::to_string(storage.index.lookup(p.getValue()).first);
      out += " " + std::to_string(u.getHyper().size());
      for (auto h : u.getHyper().getAsRange<FloatAttr>())
        out += " " + formatDouble(h.getValueAsDouble());
      out += "\n";
    }
  }
  return out + "end\n";
}

struct LowerLibraryInterfacePass
    : public modc::impl::LowerLibraryInterfaceBase<LowerLibraryInterfacePass> {
  ModuleOp module;
  Type ptrTy, i32, i64;
  llvm::StringMap<LLVM::GlobalOp> strings;
  /// The functions the library exports (INTERFACE.md §2: NAME_*).
  llvm::DenseSet<Operation *> exports;

  void runOnOperation() override {
    module = getOperation();
    MLIRContext *ctx = &getContext();
    ptrTy = LLVM::LLVMPointerType::get(ctx);
    i32 = IntegerType::get(ctx, 32);
    i64 = IntegerType::get(ctx, 64);
    StringRef name = mod::getModelName(module);
    if (name.empty()) {
      module.emitError() << "the module has no '" << mod::kModelAttr
                         << "' name: it is not a model";
      return signalPassFailure();
    }
    Storage storage(module);
    SmallVector<FunctionOpInterface> entries = mod::getEntries(module);
    for (FunctionOpInterface fn : entries)
      if (!isa<LLVM::LLVMFuncOp>(fn)) {
        fn.emitError() << "entry '" << fn.getName()
                       << "' must be lowered to the LLVM dialect first";
        return signalPassFailure();
      }
    LLVM::GlobalOp descriptor =
        global("modc.descriptor", buildDescriptor(module, storage));
    lifecycle(name.str(), descriptor);
    int32_t trainIndex = 0;
    for (FunctionOpInterface fn : entries) {
      bool isTrain = bool(mod::getTrainUpdates(fn));
      // --target=cuda: the entry's device form (mod-stage-entry-buffers).
      auto device = module.lookupSymbol<LLVM::LLVMFuncOp>(
          (mod::kDeviceEntryPrefix + fn.getName()).str());
      if (failed(wrapEntry(name.str(), cast<LLVM::LLVMFuncOp>(fn), storage,
                           isTrain ? trainIndex : -1, /*device=*/false)) ||
          (device && failed(wrapEntry(name.str(), device, storage,
                                      isTrain ? trainIndex : -1,
                                      /*device=*/true))))
        return signalPassFailure();
      trainIndex += isTrain;
    }
    modc::recordStat(&getContext(), getArgument(), "entries-wrapped",
                     entries.size());

    // What is left is plain LLVM dialect.
    for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
      if (isa<mod::ParamOp, mod::DerivedOp, mod::DimOp, mod::DynOp>(op))
        op.erase();
    // Only NAME_* leaves the library: the split parts of an entry, MLIR's
    // helpers (dealloc_helper) and the rest are hidden, or two models
    // linked into one program would bind each other's copies.
    auto isLocal = [](LLVM::Linkage l) {
      return l == LLVM::Linkage::Private || l == LLVM::Linkage::Internal;
    };
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
      if (!fn.isExternal() && !isLocal(fn.getLinkage()) &&
          !exports.contains(fn))
        fn.setVisibility_(LLVM::Visibility::Hidden);
    for (auto g : module.getOps<LLVM::GlobalOp>())
      if (!isLocal(g.getLinkage()) &&
          (g.getValueOrNull() || g.getInitializerBlock()))
        g.setVisibility_(LLVM::Visibility::Hidden);
    module->removeAttr(mod::kModelAttr);
  }

  /// A private constant NUL-terminated string.
  LLVM::GlobalOp global(StringRef symbol, StringRef text) {
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    std::string value = text.str();
    value.push_back('\0');
    auto type = LLVM::LLVMArrayType::get(IntegerType::get(b.getContext(), 8),
                                         value.size());
    return b.create<LLVM::GlobalOp>(module.getLoc(), type, /*isConstant=*/true,
                                    LLVM::Linkage::Private, symbol,
                                    b.getStringAttr(value));
  }

  /// The address of a string constant, one global per distinct text.
  Value string(OpBuilder &b, Location loc, StringRef text) {
    LLVM::GlobalOp &g = strings[text];
    if (!g)
      g = global(("modc.str." + Twine(strings.size())).str(), text);
    return b.create<LLVM::AddressOfOp>(loc, g);
  }

  /// An exported function of the library, its builder in the entry block.
  LLVM::LLVMFuncOp exported(OpBuilder &b, const std::string &name, Type result,
                            ArrayRef<Type> args) {
    b.setInsertionPointToEnd(module.getBody());
    auto fn = b.create<LLVM::LLVMFuncOp>(
        module.getLoc(), name, LLVM::LLVMFunctionType::get(result, args));
    fn.setNoUnwind(true);
    exports.insert(fn);
    b.setInsertionPointToStart(fn.addEntryBlock(b));
    return fn;
  }

  /// Returns fn(args of `wrapper`) from `wrapper`.
  void forward(OpBuilder &b, LLVM::LLVMFuncOp wrapper, LLVM::LLVMFuncOp fn,
               ValueRange args) {
    auto call = b.create<LLVM::CallOp>(wrapper.getLoc(), fn, args);
    if (call.getNumResults() == 0)
      b.create<LLVM::ReturnOp>(wrapper.getLoc(), ValueRange{});
    else
      b.create<LLVM::ReturnOp>(wrapper.getLoc(), call.getResult());
  }

  void lifecycle(const std::string &name, LLVM::GlobalOp descriptor) {
    OpBuilder b(module.getContext());
    Location loc = module.getLoc();
    Type voidTy = LLVM::LLVMVoidType::get(b.getContext());
    auto desc = [&] { return b.create<LLVM::AddressOfOp>(loc, descriptor); };
    auto args = [](LLVM::LLVMFuncOp fn) -> ValueRange {
      return fn.getBody().front().getArguments();
    };
    LLVM::LLVMFuncOp fn = exported(b, name + "_create", ptrTy, {});
    forward(b, fn, MODC_RUNTIME_FUNCTION(module, modrt_create),
            ValueRange{desc()});
    fn = exported(b, name + "_destroy", voidTy, {ptrTy});
    forward(b, fn, MODC_RUNTIME_FUNCTION(module, modrt_destroy), args(fn));
    fn = exported(b, name + "_init", i32, {ptrTy, i64});
    forward(b, fn, MODC_RUNTIME_FUNCTION(module, modrt_init), args(fn));
    fn = exported(b, name + "_load", i32, {ptrTy, ptrTy});
    forward(b, fn, MODC_RUNTIME_FUNCTION(module, modrt_load), args(fn));
    fn = exported(b, name + "_save", i32, {ptrTy, ptrTy});
    forward(b, fn, MODC_RUNTIME_FUNCTION(module, modrt_save), args(fn));
    fn = exported(b, name + "_get_param", i32, {ptrTy, ptrTy, ptrTy});
    forward(b, fn, MODC_RUNTIME_FUNCTION(module, modrt_get_param), args(fn));
    fn = exported(b, name + "_set_param", i32, {ptrTy, ptrTy, ptrTy});
    forward(b, fn, MODC_RUNTIME_FUNCTION(module, modrt_set_param), args(fn));
    fn = exported(b, name + "_save_optimizer", i32, {ptrTy, ptrTy});
    forward(b, fn, MODC_RUNTIME_FUNCTION(module, modrt_save_optimizer),
            args(fn));
    fn = exported(b, name + "_load_optimizer", i32, {ptrTy, ptrTy});
    forward(b, fn, MODC_RUNTIME_FUNCTION(module, modrt_load_optimizer),
            args(fn));
    fn = exported(b, name + "_set_threads", i32, {ptrTy, i32});
    forward(b, fn, MODC_RUNTIME_FUNCTION(module, modrt_set_threads), args(fn));
    fn = exported(b, name + "_error", ptrTy, {ptrTy});
    forward(b, fn, MODC_RUNTIME_FUNCTION(module, modrt_error), args(fn));
    fn = exported(b, name + "_describe", ptrTy, {});
    forward(b, fn, MODC_RUNTIME_FUNCTION(module, modrt_describe),
            ValueRange{desc()});
  }

  /// Wraps the kernel of an entry, or of train block `trainIndex` (>= 0):
  /// its gradients go to the runtime's buffers and a successful kernel call
  /// is followed by the optimisers' step. A `device` kernel (an entry's
  /// device form, its signature under kDeviceEntryAttr) is exported as
  /// NAME_ENTRY_device with a trailing CUDA stream its work goes on.
  LogicalResult wrapEntry(const std::string &model, LLVM::LLVMFuncOp kernel,
                          const Storage &storage, int32_t trainIndex,
                          bool device) {
    auto sig = kernel->getAttrOfType<mod::EntrySignatureAttr>(
        device ? mod::kDeviceEntryAttr : mod::kEntryAttr);
    std::string entry = kernel.getName().str();
    if (device)
      entry = StringRef(entry).drop_front(mod::kDeviceEntryPrefix.size()).str();
    Location loc = kernel.getLoc();
    SmallVector<StringRef> dynNames = mod::getDynNames(module);
    SmallVector<mod::TensorSpecAttr> tensors = sig.getTensors();
    auto abiParams = kernel->getAttrOfType<ArrayAttr>(mod::kAbiParamsAttr);
    if (!abiParams)
      return kernel.emitError()
             << "entry '" << entry << "' has no '" << mod::kAbiParamsAttr
             << "': run mod-lower-entry-abi first";
    kernel.setSymName("modc.kernel." + entry + (device ? ".device" : ""));
    kernel.setLinkage(LLVM::Linkage::Internal);
    auto grads = kernel->getAttrOfType<ArrayAttr>(mod::kGradsAttr);
    if (trainIndex >= 0 && !grads)
      return kernel.emitError()
             << "train block '" << entry << "' has no '" << mod::kGradsAttr
             << "': run mod-differentiate first";
    kernel->removeAttr(mod::kEntryAttr);
    kernel->removeAttr(mod::kDeviceEntryAttr);
    kernel->removeAttr(mod::kAbiParamsAttr);
    kernel->removeAttr(mod::kTrainAttr);
    kernel->removeAttr(mod::kGradsAttr);

    OpBuilder b(module.getContext());
    SmallVector<Type> argTypes = {ptrTy};
    argTypes.append(sig.getDyns().size(), i64);
    argTypes.append(tensors.size(), ptrTy);
    if (device)
      argTypes.push_back(ptrTy); // the stream
    LLVM::LLVMFuncOp fn = exported(
        b, model + "_" + entry + (device ? "_device" : ""), i32, argTypes);
    Block *first = &fn.getBody().front();
    Value modelPtr = first->getArgument(0);
    auto constant = [&](Type t, int64_t v) -> Value {
      return b.create<LLVM::ConstantOp>(loc, t, b.getIntegerAttr(t, v));
    };
    // Returns `code` when `bad` holds, else continues in a new block.
    auto failIf = [&](Value bad, function_ref<Value()> code) {
      Block *fail = b.createBlock(&fn.getBody());
      Block *ok = b.createBlock(&fn.getBody());
      b.setInsertionPointToEnd(bad.getParentBlock());
      b.create<LLVM::CondBrOp>(loc, bad, fail, ok);
      b.setInsertionPointToStart(fail);
      b.create<LLVM::ReturnOp>(loc, code());
      b.setInsertionPointToStart(ok);
    };
    b.setInsertionPointToStart(first);
    Value null = b.create<LLVM::ZeroOp>(loc, ptrTy);
    failIf(b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, modelPtr, null),
           [&] { return constant(i32, 1); });

    // dyns: checked non-negative, then the symbols of the shapes.
    LLVM::LLVMFuncOp checkDyn = MODC_RUNTIME_FUNCTION(module, modrt_check_dyn);
    SmallVector<Value> dynValue(dynNames.size());
    for (auto [i, a] : llvm::enumerate(sig.getDyns())) {
      StringRef dyn = cast<StringAttr>(a).getValue();
      Value v = first->getArgument(1 + i);
      dynValue[llvm::find(dynNames, dyn) - dynNames.begin()] = v;
      Value rc =
          b.create<LLVM::CallOp>(loc, checkDyn,
                                 ValueRange{modelPtr, string(b, loc, entry),
                                            string(b, loc, dyn), v})
              .getResult();
      failIf(b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ne, rc,
                                    constant(i32, 0)),
             [&] { return rc; });
    }
    // A signature size from the dyns, in i64, or exactly in a wider integer
    // type (the dyns are checked non-negative and each coefficient fits in
    // i64, so i128 holds any such sum).
    auto dimValue = [&](AffineExpr e, Type t = Type()) -> Value {
      Type i64 = b.getI64Type();
      auto widen = [&](Value v) -> Value {
        return t ? b.create<LLVM::SExtOp>(loc, t, v).getResult() : v;
      };
      mod::LinearDim d = *mod::decomposeLinear(e);
      Value v = widen(constant(i64, d.constant));
      for (auto [sym, coeff] : d.terms)
        v = b.create<LLVM::AddOp>(
            loc, v,
            b.create<LLVM::MulOp>(loc, widen(dynValue[sym]),
                                  widen(constant(i64, coeff))));
      return v;
    };

    // Kernel arguments: an expanded memref descriptor per buffer
    // (allocated, aligned, offset, sizes..., strides...).
    SmallVector<Value> kernelArgs;
    auto pushMemref = [&](Value ptr, ArrayRef<Value> sizes) {
      kernelArgs.append({ptr, ptr, constant(i64, 0)});
      kernelArgs.append(sizes.begin(), sizes.end());
      SmallVector<Value> strides(sizes.size());
      Value stride = constant(i64, 1);
      for (size_t k = sizes.size(); k-- > 0;) {
        strides[k] = stride;
        stride = b.create<LLVM::MulOp>(loc, stride, sizes[k]);
      }
      kernelArgs.append(strides);
    };
    LLVM::LLVMFuncOp paramData =
        MODC_RUNTIME_FUNCTION(module, modrt_param_data);
    for (Attribute a : abiParams) {
      StringRef p = cast<StringAttr>(a).getValue();
      auto it = storage.index.find(p);
      if (it == storage.index.end())
        return kernel.emitError() << "entry '" << entry
                                  << "' reads unknown parameter '" << p << "'";
      auto [paramIndex, type] = it->second;
      Value data =
          b.create<LLVM::CallOp>(
               loc, paramData, ValueRange{modelPtr, constant(i32, paramIndex)})
              .getResult();
      SmallVector<Value> sizes;
      for (int64_t s : type.getShape())
        sizes.push_back(constant(i64, s));
      pushMemref(data, sizes);
    }
    LLVM::LLVMFuncOp fail = MODC_RUNTIME_FUNCTION(module, modrt_fail);
    unsigned numInputs = sig.getInputs().size();
    // A tensor's size in elements, in f64: no caller holds 2^58 elements,
    // and beyond that the i64 sizes and byte counts could wrap around.
    Type f64 = b.getF64Type();
    auto realDim = [&](AffineExpr e) -> Value {
      mod::LinearDim d = *mod::decomposeLinear(e);
      Value v = b.create<LLVM::ConstantOp>(
          loc, f64, b.getF64FloatAttr(double(d.constant)));
      for (auto [sym, coeff] : d.terms)
        v = b.create<LLVM::FAddOp>(
            loc, v,
            b.create<LLVM::FMulOp>(
                loc, b.create<LLVM::SIToFPOp>(loc, f64, dynValue[sym]),
                b.create<LLVM::ConstantOp>(loc, f64,
                                           b.getF64FloatAttr(double(coeff)))));
      return v;
    };
    for (auto [i, t] : llvm::enumerate(tensors)) {
      Value ptr = first->getArgument(1 + sig.getDyns().size() + i);
      SmallVector<Value> sizes;
      Value count = constant(i64, 1);
      Value realCount =
          b.create<LLVM::ConstantOp>(loc, f64, b.getF64FloatAttr(1.0));
      for (AffineExpr e : t.getShape().getValue().getResults()) {
        sizes.push_back(dimValue(e));
        count = b.create<LLVM::MulOp>(loc, count, sizes.back());
        realCount = b.create<LLVM::FMulOp>(loc, realCount, realDim(e));
      }
      // Error 1 about this argument when `bad` holds.
      auto failArgument = [&](Value bad, StringRef what) {
        std::string msg = entry + ": " +
                          (i < numInputs ? "input '" : "output '") +
                          t.getName().str() + "' " + what.str();
        failIf(bad, [&] {
          return b
              .create<LLVM::CallOp>(loc, fail,
                                    ValueRange{modelPtr, constant(i32, 1),
                                               string(b, loc, "%s"),
                                               string(b, loc, msg)})
              .getResult();
        });
      };
      // A size computed from the dyns (`N - 3`) that comes out negative
      // (LANGUAGE.md §8: a run-time error, code 1).
      for (auto [axis, e] :
           llvm::enumerate(t.getShape().getValue().getResults())) {
        mod::LinearDim d = *mod::decomposeLinear(e);
        if (d.terms.empty())
          continue;
        std::string text = mod::formatLinear(d, dynNames);
        // Exactly, in i128 (f64 would round 2^55 + 1 - (2^55 + 3) to 0 and
        // let -2 through; i64 can wrap).
        Type i128 = b.getIntegerType(128);
        Value exact = dimValue(e, i128);
        failArgument(
            b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::slt, exact,
                                   b.create<LLVM::ConstantOp>(
                                       loc, i128, b.getIntegerAttr(i128, 0))),
            "has a negative size on axis " + std::to_string(axis) + ": " +
                text + " < 0 for the dyns given");
      }
      failArgument(
          b.create<LLVM::FCmpOp>(
              loc, LLVM::FCmpPredicate::ogt, realCount,
              b.create<LLVM::ConstantOp>(loc, f64, b.getF64FloatAttr(0x1p58))),
          "would hold more than 2^58 elements (the dyn sizes are "
          "too large)");
      // A NULL buffer is fine only when it holds no element.
      failArgument(
          b.create<LLVM::AndOp>(
              loc,
              b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, ptr,
                                     b.create<LLVM::ZeroOp>(loc, ptrTy)),
              b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ne, count,
                                     constant(i64, 0))),
          "is NULL");
      pushMemref(ptr, sizes);
    }
    // A train block's gradients, after its signature's tensors, in the
    // runtime's buffers (allocated on first use).
    if (grads) {
      LLVM::LLVMFuncOp gradData =
          MODC_RUNTIME_FUNCTION(module, modrt_grad_data);
      for (auto g : grads.getAsRange<FlatSymbolRefAttr>()) {
        auto it = storage.index.find(g.getValue());
        if (it == storage.index.end())
          return kernel.emitError()
                 << "train block '" << entry << "' updates unknown parameter '"
                 << g.getValue() << "'";
        auto [paramIndex, type] = it->second;
        Value data =
            b.create<LLVM::CallOp>(
                 loc, gradData, ValueRange{modelPtr, constant(i32, paramIndex)})
                .getResult();
        failIf(b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, data,
                                      b.create<LLVM::ZeroOp>(loc, ptrTy)),
               [&] { return constant(i32, 4); });
        SmallVector<Value> sizes;
        for (int64_t s : type.getShape())
          sizes.push_back(constant(i64, s));
        pushMemref(data, sizes);
      }
    }
    if (kernel.getNumArguments() != kernelArgs.size())
      return kernel.emitError()
             << "the kernel of entry '" << entry << "' takes "
             << kernel.getNumArguments() << " arguments, its signature gives "
             << kernelArgs.size();

    // A --target=cuda model whose GPU cannot open: 5 before any work (its
    // host code would read results no kernel wrote). 0 for a CPU model.
    Value gpuRc = b.create<LLVM::CallOp>(
                       loc, MODC_RUNTIME_FUNCTION(module, modrt_gpu_require),
                       ValueRange{modelPtr})
                      .getResult();
    failIf(b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ne, gpuRc,
                                  constant(i32, 0)),
           [&] { return gpuRc; });
    b.create<LLVM::CallOp>(
        loc, MODC_RUNTIME_FUNCTION(module, modrt_kernel_error_clear),
        ValueRange{});
    // The model's threads serve the kernel's parallel work during the call.
    b.create<LLVM::CallOp>(loc, MODC_RUNTIME_FUNCTION(module, modrt_begin_call),
                           ValueRange{modelPtr});
    // Recovery point: a failed allocation in the kernel jumps back here.
    Value jmpBuf = b.create<LLVM::CallOp>(
                        loc, MODC_RUNTIME_FUNCTION(module, modrt_kernel_enter),
                        ValueRange{})
                       .getResult();
    LLVM::LLVMFuncOp setjmp = MODC_RUNTIME_FUNCTION(module, _setjmp);
    setjmp.setPassthroughAttr(b.getArrayAttr(b.getStringAttr("returns_twice")));
    Value jumped =
        b.create<LLVM::CallOp>(loc, setjmp, ValueRange{jmpBuf}).getResult();
    Block *run = b.createBlock(&fn.getBody());
    Block *done = b.createBlock(&fn.getBody());
    b.setInsertionPointToEnd(jumped.getParentBlock());
    b.create<LLVM::CondBrOp>(loc,
                             b.create<LLVM::ICmpOp>(loc,
                                                    LLVM::ICmpPredicate::eq,
                                                    jumped, constant(i32, 0)),
                             run, done);
    b.setInsertionPointToStart(run);
    LLVM::LLVMFuncOp setStream;
    if (device) {
      setStream = MODC_RUNTIME_FUNCTION(module, modrt_gpu_set_stream);
      b.create<LLVM::CallOp>(loc, setStream,
                             ValueRange{fn.getArguments().back()});
    }
    b.create<LLVM::CallOp>(loc, kernel, kernelArgs);
    b.create<LLVM::BrOp>(loc, done);
    b.setInsertionPointToStart(done);
    if (device) // also after a failed allocation's jump
      b.create<LLVM::CallOp>(loc, setStream,
                             ValueRange{b.create<LLVM::ZeroOp>(loc, ptrTy)});
    b.create<LLVM::CallOp>(
        loc, MODC_RUNTIME_FUNCTION(module, modrt_kernel_leave), ValueRange{});
    b.create<LLVM::CallOp>(loc, MODC_RUNTIME_FUNCTION(module, modrt_end_call),
                           ValueRange{modelPtr});
    Value rc = b.create<LLVM::CallOp>(
                    loc, MODC_RUNTIME_FUNCTION(module, modrt_kernel_error_take),
                    ValueRange{modelPtr})
                   .getResult();
    if (trainIndex >= 0) {
      // Parameters and optimiser state change only after a successful
      // forward and backward computation.
      failIf(b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ne, rc,
                                    constant(i32, 0)),
             [&] { return rc; });
      rc = b.create<LLVM::CallOp>(
                loc, MODC_RUNTIME_FUNCTION(module, modrt_train_step),
                ValueRange{modelPtr, constant(i32, trainIndex)})
               .getResult();
    }
    b.create<LLVM::ReturnOp>(loc, rc);
    return success();
  }
};

} // namespace
