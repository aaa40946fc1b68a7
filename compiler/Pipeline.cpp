//===- Pipeline.cpp - The compilation pipeline ----------------------------===//

#include "compiler/Pipeline.h"
#include "compiler/CodeGen.h"
#include "compiler/GpuCodeGen.h"
#include "compiler/Parallel.h"

#include "conversion/Passes.h"
#include "transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"

#include "dialects/Mod/ModBufferization.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;

namespace modc {

void registerPipelineDialects(DialectRegistry &registry) {
  registry
      .insert<mod::ModDialect, func::FuncDialect, arith::ArithDialect,
              math::MathDialect, linalg::LinalgDialect, tensor::TensorDialect,
              bufferization::BufferizationDialect, memref::MemRefDialect,
              scf::SCFDialect, affine::AffineDialect, cf::ControlFlowDialect,
              LLVM::LLVMDialect, gpu::GPUDialect, NVVM::NVVMDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  mod::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  // --target=cuda: gpu.binary and its launches, NVVM in kernels.
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
}

void buildModOptPipeline(OpPassManager &pm, const PipelineOptions &options) {
  (void)options;
  // Routing canonicalisation (topk of all = softmax routing, one certain
  // target = a call) and CSE, which computes the same router once: routing
  // decisions are pure.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createEliminateInactiveModules());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createFuseRoutedExperts());
}

void buildModToLinalgPipeline(OpPassManager &pm,
                              const PipelineOptions &options) {
  LowerRoutingOptions routing;
  routing.packedRowsBound = options.target == "cuda" || options.gpuMappedOnHost;
  pm.addPass(createLowerRouting(routing));
  pm.addPass(createInlineModules());
  pm.addPass(createDifferentiate());
  if (options.optLevel > 0) {
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createFoldParameterComposition());
    pm.addPass(createCanonicalizerPass());
  }
  pm.addPass(createLowerEntryABI());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildBufferizationPipeline(OpPassManager &pm,
                                const PipelineOptions &options) {
  bufferization::OneShotBufferizationOptions bufferization;
  bufferization.bufferizeFunctionBoundaries = true;
  bufferization.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  // Results computed straight into the caller's output buffers where the
  // analysis proves it safe, instead of into a temporary and copied.
  if (options.optLevel > 0) {
    // One loop per chain of elementwise ops instead of one per op.
    pm.addPass(createLinalgElementwiseOpFusionPass());
    pm.addPass(createApproximateMath());
  }
  pm.addPass(createSplitEmptyTensors());
  pm.addPass(createSplitLargeFunctions());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  // MLIR's buffer-deallocation pipeline, with each allocation's dealloc
  // split out and moved after its last use before the simplification and
  // lowering, which are quadratic in the memrefs of one dealloc.
  pm.addPass(memref::createExpandReallocPass(/*emitDeallocs=*/false));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createOwnershipBasedBufferDeallocationPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createSplitDeallocations());
  pm.addPass(bufferization::createBufferDeallocationSimplificationPass());
  pm.addPass(bufferization::createLowerDeallocationsPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createBufferizationToMemRefPass());
  pm.addPass(createCopyStridedCallArguments());
  pm.addPass(createCheckAllocSizes());
}

void buildHostToLLVMPipeline(OpPassManager &pm,
                             const PipelineOptions &options) {
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // log1p stays exact: MathToLLVM's default is log(1 + x), which loses
  // every digit below x ~ 1e-7 (softplus(-20) was 0, not 2.06e-9); libm's
  // log1pf instead.
  ConvertMathToLLVMPassOptions mathToLLVM;
  mathToLLVM.approximateLog1p = false;
  pm.addPass(createConvertMathToLLVMPass(mathToLLVM));
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createExpandBf16Conversions());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  // Kernel buffers come from the runtime, which turns an allocation failure
  // into error code 4 instead of a crash (runtime/KernelMemory.cpp).
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertFuncToLLVMPass());
  // The launches of a cuda library's kernels (translated to mgpu* calls).
  if (options.target == "cuda")
    pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createLowerLibraryInterface());
}

void buildLinalgToLLVMPipeline(OpPassManager &pm,
                               const PipelineOptions &options) {
  buildBufferizationPipeline(pm, options);
  if (options.gpuMappedOnHost) {
    // The mapped loops as they are, one iteration after another.
    addGpuMappingPasses(pm);
  } else if (options.optLevel > 0) {
    pm.addPass(createLowerRoutingToRuntime());
    pm.addPass(createMatmulToRuntime());
    pm.addPass(createConvertLinalgToParallelLoopsPass());
    pm.addPass(createOutlineParallel());
  } else {
    pm.addPass(createLowerRoutingToRuntime());
    pm.addPass(createConvertLinalgToLoopsPass());
  }
  buildHostToLLVMPipeline(pm, options);
}

mlir::TimingScope nestTimer(const PipelineOptions &options,
                            llvm::StringRef name) {
  if (!options.timing)
    return mlir::TimingScope();
  return options.timing->nest(name);
}

bool runPipeline(ModuleOp module, PassManager &pm,
                 const PipelineOptions &options) {
  bool each = options.verifyEach;
  if (!each) {
    int64_t ops = 0;
    module->walk([&](Operation *) {
      return ++ops > kVerifyEachMaxOps ? WalkResult::interrupt()
                                       : WalkResult::advance();
    });
    each = ops <= kVerifyEachMaxOps;
  }
  pm.enableVerifier(each);
  if (failed(pm.run(module)))
    return false;
  if (each)
    return true;
  mlir::TimingScope timer = nestTimer(options, "Verifier");
  return succeeded(verify(module));
}

/// One stage's passes in a pass manager of their own, timed in a scope of
/// their own.
static bool runStage(ModuleOp module, const PipelineOptions &options,
                     const char *name,
                     void (*build)(OpPassManager &, const PipelineOptions &)) {
  mlir::TimingScope timer = nestTimer(options, name);
  PassManager pm(module->getContext());
  if (options.commandLinePassOptions && failed(applyPassManagerCLOptions(pm)))
    return false;
  PipelineOptions stage = options;
  if (options.timing) {
    pm.enableTiming(timer);
    stage.timing = &timer;
  }
  build(pm, stage);
  return runPipeline(module, pm, stage);
}

bool lowerModule(ModuleOp module, const PipelineOptions &options, Stage last) {
  struct StageInfo {
    Stage stage;
    const char *name;
    void (*build)(OpPassManager &, const PipelineOptions &);
  };
  const StageInfo stages[] = {
      {Stage::ModOpt, "Mod-level optimisation", buildModOptPipeline},
      {Stage::Linalg, "Lowering to linalg", buildModToLinalgPipeline},
      {Stage::LLVM, "Lowering to LLVM",
       options.target == "cuda" ? buildLinalgToGpuPipeline
                                : buildLinalgToLLVMPipeline}};
  for (const StageInfo &s : stages) {
    bool skipped = s.stage == Stage::ModOpt && options.optLevel == 0;
    if (!skipped && !runStage(module, options, s.name, s.build))
      return false;
    if (s.stage == last)
      break;
  }
  return true;
}

std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp module,
                                                llvm::LLVMContext &context,
                                                const PipelineOptions &options,
                                                std::string &error) {
  mlir::TimingScope timer = nestTimer(options, "Translate to LLVM IR");
  auto llvmModule = translateModuleToLLVMIR(module, context, "modc");
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return nullptr;
  }
  std::unique_ptr<llvm::TargetMachine> tm =
      createHostTargetMachine(options, error);
  if (!tm)
    return nullptr;
  llvmModule->setDataLayout(tm->createDataLayout());
  defineParallelLaunchers(*llvmModule);
  if (options.target == "cuda") {
    // Buffers of generated code, and the parameter block, are managed GPU
    // memory in a cuda library (runtime/KernelMemory.cpp, Model.cpp).
    for (auto [from, to] :
         {std::pair{"_mlir_memref_to_llvm_alloc", "modrt_gpu_memref_alloc"},
          {"_mlir_memref_to_llvm_aligned_alloc",
           "modrt_gpu_memref_aligned_alloc"},
          {"_mlir_memref_to_llvm_free", "modrt_gpu_memref_free"},
          {"modrt_create", "modrt_create_gpu"}})
      if (llvm::Function *f = llvmModule->getFunction(from))
        f->setName(to);
  }
  llvmModule->setTargetTriple(tm->getTargetTriple().str());
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", tm->getTargetCPU());
    if (!tm->getTargetFeatureString().empty())
      f.addFnAttr("target-features", tm->getTargetFeatureString());
  }
  return llvmModule;
}

} // namespace modc
