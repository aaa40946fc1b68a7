//===- Library.h - The compiled library's ABI -------------------*- C++ -*-===//
//
// The files the driver writes beside the compiled code, from the `mod`
// module: the C header, the parameter table, and the link into a shared
// library.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_COMPILER_LIBRARY_H
#define MODC_COMPILER_LIBRARY_H

#include "compiler/Pipeline.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace modc {

/// The `--print-params` table of INTERFACE.md §1: one row per mod.param,
/// then the totals.
std::string paramTable(mlir::ModuleOp module);

/// The C header of the library compiled from `module`; with
/// `deviceEntries` (--target=cuda) each entry's NAME_ENTRY_device form too.
std::string buildHeader(mlir::ModuleOp module, bool deviceEntries = false);

/// Writes `data` to `path` ("-": standard output); "" on success, else
/// "cannot write PATH: REASON" (opening or writing: /dev/full), never
/// LLVM's fatal error for an unchecked stream.
std::string writeFile(const std::string &path, llvm::StringRef data);

/// Links `objects` with the runtime into the shared library `soPath`.
bool linkSharedLibrary(const std::vector<std::string> &objects,
                       const std::string &soPath, std::string &error);

/// LLVM's optimisations and code generation of `module` into temporary
/// objects, linked into `soPath` (the last step of `modc -o` and of an
/// in-process compile).
bool buildSharedLibrary(llvm::Module &module, const PipelineOptions &options,
                        const std::string &soPath, std::string &error);

} // namespace modc

#endif // MODC_COMPILER_LIBRARY_H
