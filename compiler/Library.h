//===- Library.h - The compiled library's ABI -------------------*- C++ -*-===//
//
// Everything of INTERFACE.md §2 that is specific to one model: the
// descriptor the runtime parses (parameters, entries, dims), the exported
// wrappers `NAME_create`, ..., `NAME_ENTRY` around the generated kernels,
// the C header, and the final link into a shared library.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_COMPILER_LIBRARY_H
#define MODC_COMPILER_LIBRARY_H

#include "dsl/Program.h"

#include "llvm/IR/Module.h"

#include <string>

namespace modc {

/// A weight the runtime derives from parameters after every create, init
/// and load (mod-fold-parameter-composition): [rows, cols] = the sum of
/// scale * a (b empty) or scale * a @ b over its terms.
struct DerivedParamSpec {
  struct Term {
    double scale;
    std::string a, b;
  };
  std::string name;
  int64_t rows = 0, cols = 0;
  std::vector<Term> terms;
};

/// The runtime's text description of `program` (runtime/Descriptor.cpp).
std::string buildDescriptor(const sema::Program &program,
                            const std::vector<DerivedParamSpec> &derived = {});

/// Adds the exported C functions of INTERFACE.md §2 to `module`, which must
/// hold one kernel per entry as lowered by mod-lower-entry-abi (the kernel
/// keeps the entry's name and becomes internal). `abiParams[e]` lists the
/// flat parameter names the kernel of entry e takes, in order (derived
/// parameters included).
bool addLibraryInterface(llvm::Module &module, const sema::Program &program,
                         const std::vector<std::vector<std::string>> &abiParams,
                         const std::vector<DerivedParamSpec> &derived,
                         std::string &error);

/// The C header of the compiled library.
std::string buildHeader(const sema::Program &program);

/// Links `objectPath` with the runtime into the shared library `soPath`.
bool linkSharedLibrary(const std::string &objectPath, const std::string &soPath,
                       std::string &error);

} // namespace modc

#endif // MODC_COMPILER_LIBRARY_H
