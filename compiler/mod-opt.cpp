//===- mod-opt.cpp - The mod dialect's opt tool ---------------------------===//
//
// mlir-opt with the mod dialect, modc's passes and the upstream dialects and
// passes of the pipeline: what the dialect and pass lit tests run.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipeline.h"
#include "conversion/Passes.h"
#include "transforms/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  modc::registerPipelineDialects(registry);
  modc::registerModcTransformsPasses();
  modc::registerModcConversionPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  // The routing ops' bufferization is tested with the upstream passes, and
  // the deallocation passes of the pipeline can be printed after.
  mlir::bufferization::registerBufferizationPasses();
  mlir::registerLinalgPasses();
  mlir::PassPipelineRegistration<> optimise(
      "modc-mod-opt", "modc's mod-level optimisations (-O1 and up)",
      [](mlir::OpPassManager &pm) {
        modc::buildModOptPipeline(pm, modc::PipelineOptions());
      });
  mlir::PassPipelineRegistration<> toLLVM(
      "modc-linalg-to-llvm",
      "modc's lowering of linalg on tensors to LLVM, ending with the library "
      "interface",
      [](mlir::OpPassManager &pm) {
        modc::buildLinalgToLLVMPipeline(pm, modc::PipelineOptions());
      });
  mlir::PassPipelineRegistration<> toLinalg(
      "modc-mod-to-linalg", "modc's lowering of the mod dialect to linalg",
      [](mlir::OpPassManager &pm) {
        modc::buildModToLinalgPipeline(pm, modc::PipelineOptions());
      });
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "modc dialect and pass driver\n", registry));
}
