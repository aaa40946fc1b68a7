//===- Pipeline.h - The compilation pipeline --------------------*- C++ -*-===//
//
// The named pipelines from the mod dialect down to LLVM IR and object code,
// in one place. Each stage of `modc --emit=` stops after one of them.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_COMPILER_PIPELINE_H
#define MODC_COMPILER_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>

namespace modc {

struct PipelineOptions {
  unsigned optLevel = 2;
  std::string mcpu = "native";
  bool printStats = false;
};

/// Registers the dialects, interfaces and translations the pipeline needs.
void registerPipelineDialects(mlir::DialectRegistry &registry);

/// mod-level optimisations (issue: eliminate/fuse/fold passes go here).
void buildModOptPipeline(mlir::OpPassManager &pm,
                         const PipelineOptions &options);
/// mod -> linalg on tensors with the library calling convention.
void buildModToLinalgPipeline(mlir::OpPassManager &pm,
                              const PipelineOptions &options);
/// linalg on tensors -> LLVM dialect.
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm,
                               const PipelineOptions &options);

/// Runs the passes of `pm` on `module`; false on failure.
bool runPipeline(mlir::ModuleOp module, mlir::PassManager &pm);

/// Translates an LLVM-dialect module and runs LLVM's optimisations.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                const PipelineOptions &options,
                                                std::string &error);

/// Writes `module` as an object file (or assembly) for the host triple.
bool emitMachineCode(llvm::Module &module, const std::string &path,
                     bool assembly, const PipelineOptions &options,
                     std::string &error);

} // namespace modc

#endif // MODC_COMPILER_PIPELINE_H
