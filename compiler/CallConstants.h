//===- CallConstants.h - Constants across internal calls --------*- C++ -*-===//
//
// A large module calls the parts of a split entry with expanded memref
// descriptors: a pointer, an offset, sizes and strides per buffer, seven
// scalars for a matrix. The offsets, sizes and strides are constants, but
// they reach a part through the descriptors of its caller, which are built
// from the caller's own arguments, so neither the light pipeline of the
// glue nor code generation at -O0 sees them. This file propagates them.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_COMPILER_CALLCONSTANTS_H
#define MODC_COMPILER_CALLCONSTANTS_H

#include <cstddef>

namespace llvm {
class Module;
} // namespace llvm

namespace modc {

/// In every internal function that is only called directly, replaces each
/// argument that all its calls pass the same constant with that constant,
/// and each field of its result that all its returns give the same constant
/// with that constant at its callers' extractvalue. It looks through
/// insertvalue chains, and repeats until nothing changes, so that constants
/// flow down a chain of calls. Returns the number of values replaced; the
/// arguments and results left unused are for DeadArgumentElimination.
size_t propagateCallConstants(llvm::Module &module);

} // namespace modc

#endif // MODC_COMPILER_CALLCONSTANTS_H
