//===- FunctionKey.h - Functions equal up to their name ---------*- C++ -*-===//
//
// mod-split-large-functions and mod-outline-parallel outline the same code
// many times over in a generated program (it repeats its statements, a
// model stacks the same block) and keep one function per distinct body.
// This is their shared notion of "the same function".
//
//===----------------------------------------------------------------------===//

#ifndef MODC_IR_FUNCTIONKEY_H
#define MODC_IR_FUNCTIONKEY_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace modc {

/// Text two functions share exactly when one is the other under another
/// name: the type, the attributes but the name, and the body printed in
/// generic form, numbered within the function, without locations.
std::string functionKey(mlir::func::FuncOp fn);

} // namespace modc

#endif // MODC_IR_FUNCTIONKEY_H
