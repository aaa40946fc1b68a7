//===- ModDialect.cpp - The mod dialect -----------------------------------===//

#include "dialects/Mod/ModDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::mod;

#include "dialects/Mod/ModDialect.cpp.inc"

void ModDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Mod/ModOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  static const std::pair<llvm::StringLiteral, unsigned> kinds[] = {
      {"zeros", 0},  {"ones", 0},    {"const", 1},
      {"normal", 2}, {"uniform", 2}, {"xavier", 0}};
  size_t numArgs = getInitArgs() ? getInitArgs()->size() : 0;
  for (auto [name, arity] : kinds) {
    if (getInit() != name)
      continue;
    if (numArgs != arity)
      return emitOpError() << "initialiser '" << name << "' takes " << arity
                           << " arguments, got " << numArgs;
    return success();
  }
  return emitOpError() << "unknown initialiser '" << getInit() << "'";
}

//===----------------------------------------------------------------------===//
// ParamRefOp
//===----------------------------------------------------------------------===//

LogicalResult
ParamRefOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto param =
      symbolTable.lookupNearestSymbolFrom<ParamOp>(*this, getNameAttr());
  if (!param)
    return emitOpError() << "'" << getName()
                         << "' does not name a mod.param";
  if (param.getType() != getType())
    return emitOpError() << "type " << getType() << " differs from "
                         << param.getType() << " of '" << getName() << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// ApplyOp
//===----------------------------------------------------------------------===//

LogicalResult ApplyOp::verify() {
  if (getNumParams() > getOperands().size())
    return emitOpError() << "num_params " << getNumParams()
                         << " exceeds the number of operands";
  return success();
}

LogicalResult ApplyOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto fn =
      symbolTable.lookupNearestSymbolFrom<func::FuncOp>(*this, getCalleeAttr());
  if (!fn)
    return emitOpError() << "'" << getCallee()
                         << "' does not name a module function";
  if (!fn->hasAttr(kModuleAttr))
    return emitOpError() << "'" << getCallee() << "' is not a module";
  FunctionType type = fn.getFunctionType();
  if (!llvm::equal(type.getInputs(), getOperandTypes()) ||
      !llvm::equal(type.getResults(), getResultTypes()))
    return emitOpError() << "operand or result types do not match "
                         << type << " of '" << getCallee() << "'";
  int64_t numParams = 0;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    if (fn.getArgAttr(i, kParamArgAttr))
      ++numParams;
  if (numParams != static_cast<int64_t>(getNumParams()))
    return emitOpError() << "num_params is " << getNumParams() << " but '"
                         << getCallee() << "' has " << numParams
                         << " parameter arguments";
  return success();
}

CallInterfaceCallable ApplyOp::getCallableForCallee() {
  return getCalleeAttr();
}

void ApplyOp::setCalleeFromCallable(CallInterfaceCallable callee) {
  (*this)->setAttr(getCalleeAttrName(), llvm::cast<SymbolRefAttr>(callee));
}

Operation::operand_range ApplyOp::getArgOperands() { return getOperands(); }

MutableOperandRange ApplyOp::getArgOperandsMutable() {
  return getOperandsMutable();
}

#define GET_OP_CLASSES
#include "dialects/Mod/ModOps.cpp.inc"
