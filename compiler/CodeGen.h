//===- CodeGen.h - LLVM optimisation and code generation --------*- C++ -*-===//
//
// From the translated LLVM module to object code for the host: LLVM's
// optimisations, with a light pipeline for the loop-free glue of large
// modules, and code generation, on both cores for large modules.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_COMPILER_CODEGEN_H
#define MODC_COMPILER_CODEGEN_H

#include "compiler/Pipeline.h"

#include "llvm/ADT/SmallString.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace modc {

/// A target machine for the host triple and `options.mcpu` ("native" or
/// empty: the host's CPU and features); nullptr with `error` set.
std::unique_ptr<llvm::TargetMachine>
createHostTargetMachine(const PipelineOptions &options, std::string &error);

/// Empty if `cpu` ("native", empty, or an LLVM processor name) can be
/// compiled for on this host's triple, else why not (an unknown name, or a
/// processor without 64-bit code on a 64-bit host): a usage error, checked
/// before anything is built (LLVM itself only warns, then aborts).
std::string mcpuError(llvm::StringRef cpu);

/// Runs LLVM's optimisations for `options.optLevel` on `module`. In a large
/// module (a generated program of thousands of statements) the functions
/// without loops (the entries' glue: kernel launches, allocations, runtime
/// calls) get a light function pipeline and are then left alone by the full
/// one (`optnone`), and code generation treats them as at -O0: their time
/// is in the kernels they call, and they are nearly all of such a module.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine,
                    const PipelineOptions &options);

/// Optimises `module` and writes it as one object file (or assembly).
bool emitMachineCode(llvm::Module &module, const std::string &path,
                     bool assembly, const PipelineOptions &options,
                     std::string &error);

/// Optimises `module` and generates its object code: one object, or, for a
/// large module, one per part of a split of it, generated on two threads,
/// with the default pipeline run over the kernels' part only.
bool generateObjects(llvm::Module &module, const PipelineOptions &options,
                     std::vector<llvm::SmallString<0>> &objects,
                     std::string &error);

} // namespace modc

#endif // MODC_COMPILER_CODEGEN_H
