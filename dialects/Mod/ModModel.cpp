//===- ModModel.cpp - The model's interface in the mod dialect ------------===//
//
// Attributes and ops that describe the compiled library's interface, their
// verifiers, and the dialect's verifier of `mod.model`, `mod.signature` and
// `mod.abi_params`.
//
//===----------------------------------------------------------------------===//

#include "dialects/Mod/ModModel.h"
#include "support/CNames.h"
#include "support/LinearText.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::mod;

#include "dialects/Mod/ModEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/Mod/ModAttrs.cpp.inc"

void ModDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Mod/ModAttrs.cpp.inc"
      >();
}

namespace {
std::string str(AffineExpr e) {
  std::string s;
  llvm::raw_string_ostream os(s);
  e.print(os);
  return os.str();
}
} // namespace

//===----------------------------------------------------------------------===//
// Queries
//===----------------------------------------------------------------------===//

std::optional<LinearDim> mlir::mod::decomposeLinear(AffineExpr expr) {
  LinearDim out;
  std::map<unsigned, int64_t> terms;
  // Walks the sum with a running factor; only constant * expression
  // products are linear.
  std::function<bool(AffineExpr, int64_t)> add = [&](AffineExpr e,
                                                     int64_t factor) {
    if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      out.constant += factor * c.getValue();
      return true;
    }
    if (auto s = dyn_cast<AffineSymbolExpr>(e)) {
      terms[s.getPosition()] += factor;
      return true;
    }
    auto bin = dyn_cast<AffineBinaryOpExpr>(e);
    if (!bin)
      return false;
    if (bin.getKind() == AffineExprKind::Add)
      return add(bin.getLHS(), factor) && add(bin.getRHS(), factor);
    if (bin.getKind() != AffineExprKind::Mul)
      return false;
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
      return add(bin.getLHS(), factor * c.getValue());
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getLHS()))
      return add(bin.getRHS(), factor * c.getValue());
    return false;
  };
  if (!add(expr, 1))
    return std::nullopt;
  for (auto [sym, coeff] : terms)
    if (coeff != 0)
      out.terms.push_back({sym, coeff});
  return out;
}

std::string mlir::mod::formatLinear(const LinearDim &dim,
                                    ArrayRef<StringRef> dynNames) {
  std::vector<std::pair<std::string, int64_t>> named;
  for (auto [sym, coeff] : dim.terms)
    named.push_back({sym < dynNames.size() ? dynNames[sym].str()
                                           : "?" + std::to_string(sym),
                     coeff});
  return modc::formatLinearDim(dim.constant, named);
}

StringRef mlir::mod::getModelName(ModuleOp module) {
  if (auto name = module->getAttrOfType<StringAttr>(kModelAttr))
    return name.getValue();
  return "";
}

SmallVector<StringRef> mlir::mod::getDynNames(ModuleOp module) {
  SmallVector<StringRef> names;
  for (DynOp dyn : module.getOps<DynOp>())
    names.push_back(dyn.getName());
  return names;
}

SmallVector<FunctionOpInterface> mlir::mod::getEntries(ModuleOp module) {
  SmallVector<FunctionOpInterface> entries;
  for (auto fn : module.getOps<FunctionOpInterface>())
    if (getSignature(fn))
      entries.push_back(fn);
  return entries;
}

EntrySignatureAttr mlir::mod::getSignature(Operation *fn) {
  return fn->getAttrOfType<EntrySignatureAttr>(kEntryAttr);
}

ArrayAttr mlir::mod::getTrainUpdates(Operation *fn) {
  return fn->getAttrOfType<ArrayAttr>(kTrainAttr);
}

StringRef mlir::mod::elementTypeName(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isF16())
    return "f16";
  if (type.isBF16())
    return "bf16";
  if (type.isInteger(32))
    return "i32";
  if (type.isInteger(64))
    return "i64";
  if (type.isInteger(1))
    return "bool";
  return "";
}

SmallVector<TensorSpecAttr> EntrySignatureAttr::getTensors() const {
  SmallVector<TensorSpecAttr> out;
  for (ArrayAttr list : {getInputs(), getOutputs()})
    for (Attribute a : list)
      out.push_back(llvm::cast<TensorSpecAttr>(a));
  return out;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

LogicalResult
TensorSpecAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       StringRef name, Type elementType, AffineMapAttr shape) {
  if (name.empty())
    return emitError() << "a signature tensor needs a name";
  if (elementTypeName(elementType).empty())
    return emitError() << "'" << name << "' has element type " << elementType
                       << ", not one of f32, f16, bf16, i32, i64, i1";
  AffineMap map = shape.getValue();
  if (map.getNumDims() != 0)
    return emitError() << "the shape of '" << name
                       << "' must use symbols (dyns) only, not dims";
  for (AffineExpr e : map.getResults()) {
    std::optional<LinearDim> d = decomposeLinear(e);
    if (!d)
      return emitError() << "dim " << str(e) << " of '" << name
                         << "' is not linear in the dyns";
    if (d->terms.empty() && d->constant < 0)
      return emitError() << "dim " << str(e) << " of '" << name
                         << "' is negative";
  }
  return success();
}

LogicalResult UpdateAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 Optimizer optimizer, ArrayAttr params,
                                 ArrayAttr hyper) {
  // The optimisers' argument counts: sgd(lr, momentum, weight_decay,
  // nesterov), adam/adamw(lr, beta1, beta2, eps, weight_decay).
  size_t expected = optimizer == Optimizer::Sgd ? 4 : 5;
  if (hyper.size() != expected)
    return emitError() << stringifyOptimizer(optimizer) << " takes " << expected
                       << " hyper-parameters, got " << hyper.size();
  for (Attribute h : hyper)
    if (!llvm::isa<FloatAttr>(h))
      return emitError() << "hyper-parameters must be float attributes";
  if (params.empty())
    return emitError() << "an update changes at least one parameter";
  for (Attribute p : params)
    if (!llvm::isa<FlatSymbolRefAttr>(p))
      return emitError() << "updated parameters are symbol references";
  return success();
}

LogicalResult
EntrySignatureAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                           ArrayAttr dyns, ArrayAttr inputs,
                           ArrayAttr outputs) {
  llvm::StringSet<> seen;
  for (Attribute a : dyns) {
    auto s = llvm::dyn_cast<StringAttr>(a);
    if (!s)
      return emitError() << "signature dyns must be strings, got " << a;
    if (!seen.insert(s.getValue()).second)
      return emitError() << "dyn '" << s.getValue() << "' is listed twice";
  }
  std::optional<unsigned> numSymbols;
  llvm::StringSet<> names;
  for (ArrayAttr list : {inputs, outputs})
    for (Attribute a : list) {
      auto t = llvm::dyn_cast<TensorSpecAttr>(a);
      if (!t)
        return emitError() << "signature tensors must be #mod.tensor, got "
                           << a;
      if (!names.insert(t.getName()).second)
        return emitError() << "'" << t.getName() << "' is named twice";
      unsigned n = t.getShape().getValue().getNumSymbols();
      if (numSymbols && *numSymbols != n)
        return emitError() << "the shapes of one signature must range over "
                              "the same dyns ("
                           << *numSymbols << " and " << n << " symbols)";
      numSymbols = n;
    }
  if (outputs.empty())
    return emitError() << "an entry has at least one output";
  return success();
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

namespace {
bool isIdentifier(StringRef s);
} // namespace

LogicalResult DimOp::verify() {
  if (!isIdentifier(getName()))
    return emitOpError() << "'" << getName() << "' is not a dim name";
  int64_t value = getValueAttr().getInt();
  if (value < 0)
    return emitOpError() << "dim '" << getName() << "' is negative (" << value
                         << ")";
  return success();
}

LogicalResult DerivedOp::verify() {
  if (!isParameterName(getSymName()))
    return emitOpError() << "'" << getSymName()
                         << "' is not a parameter name (segments of letters, "
                            "digits and '_' joined by '.')";
  auto type = cast<RankedTensorType>(getType());
  if (type.getRank() != 2 || !type.getElementType().isF32())
    return emitOpError() << "a derived weight is a 2-D f32 tensor, got "
                         << type;
  if (getTerms().empty())
    return emitOpError() << "a derived weight needs at least one term";
  return success();
}

LogicalResult DerivedOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto type = cast<RankedTensorType>(getType());
  auto param = [&](FlatSymbolRefAttr ref) -> FailureOr<RankedTensorType> {
    auto p = symbols.lookupNearestSymbolFrom<ParamOp>(*this, ref);
    if (!p)
      return emitOpError() << "term operand " << ref
                           << " does not name a mod.param";
    auto t = cast<RankedTensorType>(p.getType());
    if (t.getRank() != 2 || !t.getElementType().isF32())
      return emitOpError() << "term operand " << ref
                           << " is not a 2-D f32 parameter";
    return t;
  };
  for (auto term : getTerms().getAsRange<DerivedTermAttr>()) {
    FailureOr<RankedTensorType> a = param(term.getA());
    if (failed(a))
      return failure();
    if (!term.getB()) {
      if (a->getShape() != type.getShape())
        return emitOpError() << "term " << term << " has shape " << *a
                             << ", expected " << type;
      continue;
    }
    FailureOr<RankedTensorType> b = param(term.getB());
    if (failed(b))
      return failure();
    if (a->getDimSize(0) != type.getDimSize(0) ||
        b->getDimSize(1) != type.getDimSize(1) ||
        a->getDimSize(1) != b->getDimSize(0))
      return emitOpError() << "term " << term << " multiplies " << *a << " by "
                           << *b << ", which is not " << type;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Discardable attributes
//===----------------------------------------------------------------------===//

namespace {

bool isIdentifier(StringRef s) {
  if (s.empty() || !(std::isalpha((unsigned char)s[0]) || s[0] == '_'))
    return false;
  return llvm::all_of(
      s, [](char c) { return std::isalnum((unsigned char)c) || c == '_'; });
}

/// Functions calling each other in a cycle (mod.apply, func.call, route
/// targets: any reference to a function) are an error, as recursion is in
/// sources (LANGUAGE.md §2): inlining them would never end.
LogicalResult verifyNoCallCycle(ModuleOp module) {
  llvm::StringMap<func::FuncOp> funcs;
  for (auto fn : module.getOps<func::FuncOp>())
    funcs[fn.getSymName()] = fn;
  // Depth-first, iteratively: 0 unvisited, 1 on the stack, 2 done.
  llvm::StringMap<int> state;
  auto callees = [&](func::FuncOp fn) {
    SmallVector<func::FuncOp> out;
    if (auto uses = SymbolTable::getSymbolUses(&fn.getBody()))
      for (const SymbolTable::SymbolUse &use : *uses) {
        auto it = funcs.find(use.getSymbolRef().getRootReference());
        if (it != funcs.end())
          out.push_back(it->second);
      }
    return out;
  };
  for (auto root : module.getOps<func::FuncOp>()) {
    StringRef name = root.getSymName();
    if (state[name] != 0)
      continue;
    struct Frame {
      func::FuncOp fn;
      SmallVector<func::FuncOp> next;
      size_t i = 0;
    };
    SmallVector<Frame> stack;
    state[name] = 1;
    stack.push_back({root, callees(root)});
    while (!stack.empty()) {
      Frame &top = stack.back();
      if (top.i == top.next.size()) {
        state[top.fn.getSymName()] = 2;
        stack.pop_back();
        continue;
      }
      func::FuncOp callee = top.next[top.i++];
      int &s = state[callee.getSymName()];
      if (s == 1)
        return callee.emitOpError()
               << "calls itself through '" << top.fn.getSymName()
               << "': a cycle of calls, applications or route targets "
                  "cannot be inlined";
      if (s == 0) {
        s = 1;
        stack.push_back({callee, callees(callee)});
      }
    }
  }
  return success();
}

LogicalResult verifyModel(Operation *op, Attribute value) {
  auto module = dyn_cast<ModuleOp>(op);
  if (!module)
    return op->emitError() << "'" << kModelAttr
                           << "' belongs on the builtin.module";
  auto name = dyn_cast<StringAttr>(value);
  if (!name || !isIdentifier(name.getValue()))
    return op->emitError() << "'" << kModelAttr
                           << "' must be a C identifier, got " << value;
  // It names the library's C type and symbols (as sema checks `model X;`).
  if (modc::isReservedInCHeader(name.getValue().str()))
    return op->emitError() << "model name '" << name.getValue()
                           << "' cannot name the library's C type and "
                              "symbols (a C or C++ keyword, a macro of C's "
                              "headers, or a name of the runtime's or "
                              "MLIR's)";
  llvm::StringSet<> dims, dyns;
  for (Operation &child : *module.getBody()) {
    if (auto d = dyn_cast<DimOp>(child))
      if (!dims.insert(d.getName()).second)
        return d.emitOpError()
               << "dim '" << d.getName() << "' is declared twice";
    if (auto d = dyn_cast<DynOp>(child))
      if (!isIdentifier(d.getName()) || !dyns.insert(d.getName()).second)
        return d.emitOpError() << "dyn '" << d.getName()
                               << "' is declared twice or is not a name";
  }
  return verifyNoCallCycle(module);
}

LogicalResult verifySignature(Operation *op, Attribute value) {
  auto sig = dyn_cast<EntrySignatureAttr>(value);
  if (!sig)
    return op->emitError() << "'" << kEntryAttr
                           << "' must be a #mod.signature, got " << value;
  auto module = op->getParentOfType<ModuleOp>();
  if (!module)
    return op->emitError() << "an entry belongs to a module";
  SmallVector<StringRef> dynNames = getDynNames(module);
  llvm::SmallBitVector listed(dynNames.size());
  int last = -1;
  for (Attribute a : sig.getDyns()) {
    StringRef name = cast<StringAttr>(a).getValue();
    auto it = llvm::find(dynNames, name);
    if (it == dynNames.end())
      return op->emitError()
             << "signature dyn '" << name << "' is not declared by a mod.dyn";
    int pos = it - dynNames.begin();
    if (pos < last)
      return op->emitError() << "signature dyns must follow the order of "
                                "the mod.dyn declarations";
    last = pos;
    listed.set(pos);
  }
  // The entry and its tensors become C names (functions and parameters of
  // the header) and keys of the library's description.
  if (auto sym = dyn_cast<SymbolOpInterface>(op)) {
    if (!isIdentifier(sym.getName()))
      return op->emitError()
             << "entry name '" << sym.getName() << "' is not a C identifier";
    std::string problem = modc::exportedNameProblem(sym.getName().str());
    if (!problem.empty())
      return op->emitError() << "an entry cannot be named '" << sym.getName()
                             << "': " << problem;
  }
  SmallVector<TensorSpecAttr> tensors = sig.getTensors();
  for (TensorSpecAttr t : tensors) {
    if (!isIdentifier(t.getName()))
      return op->emitError()
             << "tensor name '" << t.getName() << "' is not a C identifier";
    AffineMap map = t.getShape().getValue();
    if (map.getNumSymbols() != dynNames.size())
      return op->emitError()
             << "the shape of '" << t.getName() << "' ranges over "
             << map.getNumSymbols() << " symbols, but the module declares "
             << dynNames.size() << " dyns";
    for (AffineExpr e : map.getResults()) {
      // (Held here: a range over a member of the temporary optional would
      // outlive it, and read freed memory from the fourth dyn on.)
      std::optional<LinearDim> linear = decomposeLinear(e);
      if (!linear)
        return op->emitError() << "the shape of '" << t.getName()
                               << "' is not linear in the dyns";
      for (auto [sym, coeff] : linear->terms)
        if (!listed.test(sym))
          return op->emitError()
                 << "the shape of '" << t.getName() << "' uses dyn '"
                 << dynNames[sym] << "', which the signature does not list";
    }
  }
  // Before mod-lower-entry-abi the function's own type must agree.
  auto fn = dyn_cast<func::FuncOp>(op);
  if (!fn || fn->hasAttr(kAbiParamsAttr))
    return success();
  FunctionType type = fn.getFunctionType();
  // A differentiated train block returns its gradients after the loss.
  size_t extra = 0;
  if (auto grads = fn->getAttrOfType<ArrayAttr>(kGradsAttr))
    extra = grads.size();
  if (type.getNumInputs() != sig.getInputs().size() ||
      type.getNumResults() != sig.getOutputs().size() + extra)
    return op->emitError() << "the signature has " << sig.getInputs().size()
                           << " inputs and " << sig.getOutputs().size()
                           << " outputs, the function " << type.getNumInputs()
                           << " and " << type.getNumResults();
  SmallVector<Type> types(type.getInputs());
  llvm::append_range(types, type.getResults());
  for (auto [t, spec] : llvm::zip(types, tensors)) {
    auto tensor = dyn_cast<RankedTensorType>(t);
    AffineMap map = spec.getShape().getValue();
    if (!tensor || tensor.getElementType() != spec.getElementType() ||
        tensor.getRank() != int64_t(map.getNumResults()))
      return op->emitError()
             << "'" << spec.getName() << "' is " << t << " in the function but "
             << spec << " in the signature";
    // A dim the signature computes from dyns is dynamic in the function
    // too (a static one would be written whatever the caller's size).
    for (auto [size, e] : llvm::zip(tensor.getShape(), map.getResults())) {
      auto c = dyn_cast<AffineConstantExpr>(e);
      if (c ? size != c.getValue() : !ShapedType::isDynamic(size))
        return op->emitError()
               << "'" << spec.getName() << "' is " << t
               << " in the function but " << spec << " in the signature";
    }
  }
  return success();
}

LogicalResult verifyAbiParams(Operation *op, Attribute value) {
  auto list = dyn_cast<ArrayAttr>(value);
  if (!list)
    return op->emitError() << "'" << kAbiParamsAttr
                           << "' must be an array of parameter names";
  auto module = op->getParentOfType<ModuleOp>();
  for (Attribute a : list) {
    auto name = dyn_cast<StringAttr>(a);
    Operation *target = name && module ? module.lookupSymbol(name) : nullptr;
    if (!isa_and_nonnull<ParamOp, DerivedOp>(target))
      return op->emitError() << "'" << kAbiParamsAttr << "' entry " << a
                             << " does not name a mod.param or mod.derived";
  }
  return success();
}

/// `mod.train` on a train block's function (LANGUAGE.md §10): update lines
/// naming trainable `mod.param`s, none twice, and a rank-0 f32 loss.
LogicalResult verifyTrain(Operation *op, Attribute value) {
  auto updates = dyn_cast<ArrayAttr>(value);
  if (!updates || updates.empty() ||
      !llvm::all_of(updates, [](Attribute a) { return isa<UpdateAttr>(a); }))
    return op->emitError() << "'" << kTrainAttr
                           << "' must be a non-empty array of #mod.update";
  auto module = op->getParentOfType<ModuleOp>();
  bool hasParams = module && !module.getOps<ParamOp>().empty();
  llvm::StringSet<> seen;
  for (Attribute a : updates)
    for (Attribute p : cast<UpdateAttr>(a).getParams()) {
      StringRef name = cast<FlatSymbolRefAttr>(p).getValue();
      if (!seen.insert(name).second)
        return op->emitError() << "parameter '" << name << "' is updated twice";
      if (!hasParams)
        continue; // Parameters already lowered to the library's globals.
      auto param = dyn_cast_or_null<ParamOp>(module.lookupSymbol(name));
      if (!param)
        return op->emitError() << "updates unknown parameter '" << name << "'";
      if (param.getFrozen())
        return op->emitError() << "updates frozen parameter '" << name << "'";
      if (!isa<FloatType>(
              cast<RankedTensorType>(param.getType()).getElementType()))
        return op->emitError() << "updates parameter '" << name << "' of type "
                               << param.getType()
                               << ": only floating-point parameters can be "
                                  "updated";
    }
  // The loss, while the function still returns it (an entry before
  // mod-lower-entry-abi).
  auto fn = dyn_cast<func::FuncOp>(op);
  if (!fn || !getSignature(fn) || fn->hasAttr(kAbiParamsAttr))
    return success();
  FunctionType type = fn.getFunctionType();
  auto loss = type.getNumResults()
                  ? dyn_cast<RankedTensorType>(type.getResult(0))
                  : RankedTensorType();
  if (!loss || loss.getRank() != 0 || !loss.getElementType().isF32())
    return op->emitError() << "a train block returns a rank-0 f32 loss first";
  return success();
}

} // namespace

LogicalResult ModDialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kModelAttr)
    return verifyModel(op, attr.getValue());
  if (name == kEntryAttr)
    return verifySignature(op, attr.getValue());
  if (name == kAbiParamsAttr)
    return verifyAbiParams(op, attr.getValue());
  if (name == kTrainAttr)
    return verifyTrain(op, attr.getValue());
  return success();
}
