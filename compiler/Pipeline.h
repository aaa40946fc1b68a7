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
#include "mlir/Support/Timing.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>

namespace modc {

struct PipelineOptions {
  unsigned optLevel = 2;
  std::string mcpu = "native";
  /// "cpu", or "cuda": kernels for `gpuArch` (compiler/GpuCodeGen.h).
  std::string target = "cpu";
  std::string gpuArch = "sm_90";
  /// A CPU library whose computations are the GPU path's mapped loops
  /// (mod-map-to-gpu-kernels), run on the host: how the kernels' logic is
  /// tested without a GPU (docs/gpu.md).
  bool gpuMappedOnHost = false;
  /// --target=cuda --emit=ptx: stop after the kernels' lowering (no host
  /// side, which train blocks do not have yet).
  bool gpuKernelsOnly = false;
  bool printStats = false;
  /// Verify the IR after every pass whatever the size of the module.
  bool verifyEach = false;
  /// Apply MLIR's pass-manager options of the command line (modc only).
  bool commandLinePassOptions = false;
  /// Where the LLVM phases report their time (`--mlir-timing`); none if
  /// null.
  mlir::TimingScope *timing = nullptr;
};

/// A timer nested in `options.timing`, or one that records nothing.
mlir::TimingScope nestTimer(const PipelineOptions &options,
                            llvm::StringRef name);

/// Registers the dialects, interfaces and translations the pipeline needs.
void registerPipelineDialects(mlir::DialectRegistry &registry);

/// mod-level optimisations (issue: eliminate/fuse/fold passes go here).
void buildModOptPipeline(mlir::OpPassManager &pm,
                         const PipelineOptions &options);
/// mod -> linalg on tensors with the library calling convention.
void buildModToLinalgPipeline(mlir::OpPassManager &pm,
                              const PipelineOptions &options);
/// linalg on tensors -> buffers (one-shot bufferization, deallocation):
/// the start of both buildLinalgToLLVMPipeline and the GPU pipeline.
void buildBufferizationPipeline(mlir::OpPassManager &pm,
                                const PipelineOptions &options);
/// Buffers and loops -> the LLVM dialect, ending with the library
/// interface: the tail of both the CPU and the GPU pipeline.
void buildHostToLLVMPipeline(mlir::OpPassManager &pm,
                             const PipelineOptions &options);
/// linalg on tensors -> LLVM dialect.
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm,
                               const PipelineOptions &options);

/// Runs the passes of `pm` on `module`; false on failure (diagnostics
/// reported through the context). The IR is verified after every pass if
/// `options.verifyEach` or the module has at most kVerifyEachMaxOps ops;
/// otherwise once, after the last pass (the verifier after each of the
/// ~40 passes was 40% of the compile time of a 50,000-line program).
bool runPipeline(mlir::ModuleOp module, mlir::PassManager &pm,
                 const PipelineOptions &options);
inline constexpr int64_t kVerifyEachMaxOps = 20000;

/// The stages from the mod dialect to the LLVM dialect, in order.
enum class Stage {
  ModOpt, ///< mod-level optimisations (-O1 and up only)
  Linalg, ///< lowering to linalg on tensors with the library ABI
  LLVM,   ///< lowering to the LLVM dialect (for cuda: host + gpu.module)
};

/// Runs the stages on `module` up to and including `last`: what `modc` and a
/// Session both run, so that they build the same library. Each stage's
/// passes time in a scope of their own under `options.timing` (a pass's
/// timer is keyed by its address, which a later stage's pass may reuse);
/// with `options.commandLinePassOptions`, the `--mlir-print-ir-*` and
/// similar options of the command line apply. False on failure
/// (diagnostics through the context).
bool lowerModule(mlir::ModuleOp module, const PipelineOptions &options,
                 Stage last = Stage::LLVM);

/// Translates an LLVM-dialect module for the host (LLVM's optimisations are
/// optimizeModule in compiler/CodeGen.h).
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                const PipelineOptions &options,
                                                std::string &error);

} // namespace modc

#endif // MODC_COMPILER_PIPELINE_H
