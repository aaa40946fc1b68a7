//===- FunctionKey.cpp - Functions equal up to their name -----------------===//

#include "ir/FunctionKey.h"

#include "mlir/IR/AsmState.h"
#include "llvm/Support/raw_ostream.h"

namespace modc {

std::string functionKey(mlir::func::FuncOp fn) {
  std::string key;
  llvm::raw_string_ostream os(key);
  for (mlir::NamedAttribute attr : fn->getAttrs())
    if (attr.getName() != fn.getSymNameAttrName())
      os << attr.getName().getValue() << '=' << attr.getValue() << ';';
  // One numbering for the whole function (not one per operation), so that
  // an operand names the same value in every operation that reads it.
  mlir::OpPrintingFlags flags;
  flags.printGenericOpForm();
  mlir::AsmState state(fn, flags);
  for (mlir::Block &block : fn.getBody()) {
    os << "^(";
    for (mlir::BlockArgument arg : block.getArguments()) {
      arg.printAsOperand(os, state);
      os << ':' << arg.getType() << ',';
    }
    os << ")\n";
    for (mlir::Operation &op : block) {
      op.print(os, state);
      os << '\n';
    }
  }
  return key;
}

} // namespace modc
