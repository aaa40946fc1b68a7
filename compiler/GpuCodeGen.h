//===- GpuCodeGen.h - GPU kernels for --target=cuda -------------*- C++ -*-===//
//
// The GPU half of the pipeline (docs/gpu.md): buffers mapped onto blocks
// and threads, kernels outlined into one gpu.module and lowered to NVVM,
// and that module translated to PTX by LLVM's NVPTX backend in-process (no
// CUDA toolkit, no libdevice).
//
//===----------------------------------------------------------------------===//

#ifndef MODC_COMPILER_GPUCODEGEN_H
#define MODC_COMPILER_GPUCODEGEN_H

#include "compiler/Pipeline.h"

#include <string>

namespace modc {

/// "" if `arch` is a GPU architecture modc generates code for (sm_80,
/// sm_90), else the message.
std::string gpuArchError(llvm::StringRef arch);

/// Buffers -> the mapped loops: what runs in kernels, as scf.parallel over
/// blocks and threads (shared by the GPU pipeline and gpuMappedOnHost).
void addGpuMappingPasses(mlir::OpPassManager &pm);

/// linalg on tensors -> buffers -> GPU-mapped loops -> gpu.launch_func on
/// the host and `gpu.module @modc_kernels` in the NVVM/LLVM dialects.
void buildLinalgToGpuPipeline(mlir::OpPassManager &pm,
                              const PipelineOptions &options);

/// The PTX of `gpu.module @modc_kernels` in `module` (after
/// buildLinalgToGpuPipeline) for `options.gpuArch`. False with `error` set
/// if the module has no kernels or the translation fails.
bool translateKernelsToPtx(mlir::ModuleOp module,
                           const PipelineOptions &options, std::string &ptx,
                           std::string &error);

} // namespace modc

#endif // MODC_COMPILER_GPUCODEGEN_H
