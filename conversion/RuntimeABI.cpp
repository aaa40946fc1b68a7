//===- RuntimeABI.cpp - Declarations of the runtime's functions -----------===//

#include "conversion/RuntimeABI.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace modc {
namespace abi {

LLVM::LLVMFuncOp declare(ModuleOp module, StringRef name,
                         LLVM::LLVMFunctionType type) {
  if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return fn;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  return b.create<LLVM::LLVMFuncOp>(module.getLoc(), name, type);
}

MemRefType anyStridedMemref(Type element, int64_t rank) {
  SmallVector<int64_t> dyn(rank, ShapedType::kDynamic);
  auto layout =
      StridedLayoutAttr::get(element.getContext(), ShapedType::kDynamic, dyn);
  return MemRefType::get(dyn, element, layout);
}

func::FuncOp declareKernel(ModuleOp module, StringRef name, FunctionType type) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(name))
    return fn;
  OpBuilder b(module.getBodyRegion());
  auto fn = b.create<func::FuncOp>(module.getLoc(), name, type);
  fn.setPrivate();
  fn->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  return fn;
}

LogicalResult call(OpBuilder &b, Location loc, func::FuncOp fn,
                   ValueRange args) {
  FunctionType type = fn.getFunctionType();
  if (args.size() != type.getNumInputs())
    return emitError(loc) << "internal error: " << fn.getSymName() << " takes "
                          << type.getNumInputs() << " arguments, not "
                          << args.size();
  SmallVector<Value> operands;
  for (auto [i, arg] : llvm::enumerate(args)) {
    Type want = type.getInput(i);
    Value v = arg;
    if (v.getType() != want) {
      auto from = dyn_cast<MemRefType>(v.getType());
      auto to = dyn_cast<MemRefType>(want);
      if (!from || !to || !memref::CastOp::areCastCompatible(from, to))
        return emitError(loc)
               << "internal error: argument " << i << " of " << fn.getSymName()
               << " is " << v.getType() << ", the runtime "
               << "declares " << want;
      v = b.create<memref::CastOp>(loc, to, v);
    }
    operands.push_back(v);
  }
  b.create<func::CallOp>(loc, fn, operands);
  return success();
}

Messages::Messages(ModuleOp module) : module(module) {
  constexpr StringLiteral prefix = "modc.msg.";
  for (auto global : module.getOps<memref::GlobalOp>()) {
    StringRef name = global.getSymName();
    unsigned k;
    if (name.consume_front(prefix) && !name.getAsInteger(10, k))
      next = std::max(next, k + 1);
  }
}

Value Messages::get(OpBuilder &b, Location loc, StringRef text) {
  auto type = MemRefType::get({int64_t(text.size())}, b.getI8Type());
  std::string &name = byText[text];
  if (name.empty()) {
    name = "modc.msg." + std::to_string(next++);
    OpBuilder gb(module.getBodyRegion());
    auto data = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(text.size())}, gb.getI8Type()),
        ArrayRef<char>(text.data(), text.size()));
    gb.create<memref::GlobalOp>(loc, name, gb.getStringAttr("private"), type,
                                data, /*constant=*/true, /*alignment=*/nullptr);
  }
  return b.create<memref::GetGlobalOp>(loc, type, name);
}

} // namespace abi
} // namespace modc
