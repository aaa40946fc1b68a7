//===- GpuCodeGen.cpp - GPU kernels for --target=cuda ---------------------===//

#include "compiler/GpuCodeGen.h"
#include "compiler/CodeGen.h"

#include "conversion/Passes.h"
#include "transforms/Passes.h"

#include "modrt/gpu_image.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"

#include "ir/Stats.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

// The NVPTX backend, linked into modc whether or not the host has a GPU.
extern "C" void LLVMInitializeNVPTXTargetInfo();
extern "C" void LLVMInitializeNVPTXTarget();
extern "C" void LLVMInitializeNVPTXTargetMC();
extern "C" void LLVMInitializeNVPTXAsmPrinter();

using namespace mlir;

namespace modc {

static std::unique_ptr<Pass>
createSerializeGpuKernels(const PipelineOptions &options);

std::string gpuArchError(llvm::StringRef arch) {
  if (arch == "sm_80" || arch == "sm_90")
    return "";
  return "unknown --gpu-arch '" + arch.str() + "' (expected sm_80 or sm_90)";
}

void addGpuMappingPasses(OpPassManager &pm) {
  pm.addPass(createLowerRoutingToLoops());
  // Kernels have no libm: every transcendental function becomes polynomial
  // arithmetic before the loops are mapped (which rejects what is left).
  ApproximateMathOptions approximate;
  approximate.logarithms = true;
  pm.addPass(createApproximateMath(approximate));
  pm.addPass(createMapToGpuKernels());
}

void buildLinalgToGpuPipeline(OpPassManager &pm,
                              const PipelineOptions &options) {
  buildBufferizationPipeline(pm, options);
  addGpuMappingPasses(pm);
  pm.addPass(createParallelLoopToGpuPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createGatherGpuKernels());

  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createConvertSCFToCFPass());
  device.addPass(memref::createExpandStridedMetadataPass());
  device.addPass(createLowerAffinePass());
  device.addPass(arith::createArithExpandOpsPass());
  device.addPass(createExpandBf16Conversions());
  device.addPass(createConvertGpuOpsToNVVMOps());
  // sqrt, fma, abs, floor, ... as LLVM intrinsics the NVPTX backend selects
  // to instructions, not as libdevice calls (modc links no libdevice).
  device.addPass(createDefineGpuMath());
  device.addPass(createConvertMathToLLVMPass()); // math.fma, which it leaves
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  device.addPass(createReconcileUnrealizedCastsPass());

  if (options.gpuKernelsOnly)
    return;
  // The host side: the PTX embedded, the entries' buffers staged, then the
  // CPU path's lowering of what is left, launches included.
  pm.addPass(createSerializeGpuKernels(options));
  pm.addPass(createStageEntryBuffers());
  buildHostToLLVMPipeline(pm, options);
}

namespace {

std::unique_ptr<llvm::TargetMachine>
createNvptxTargetMachine(const PipelineOptions &options, std::string &error) {
  static bool initialised = [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
    return true;
  }();
  (void)initialised;
  const char *triple = "nvptx64-nvidia-cuda";
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  llvm::TargetOptions targetOptions;
  // PTX ISA 8.0 (CUDA 12.0 and later drivers) covers sm_80 and sm_90.
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, options.gpuArch, "+ptx80", targetOptions, std::nullopt,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
}

} // namespace

namespace {

bool kernelsToPtx(gpu::GPUModuleOp kernels, const PipelineOptions &options,
                  std::string &ptx, std::string &error) {
  mlir::TimingScope timer = nestTimer(options, "PTX generation");
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(kernels, context, "modc_kernels");
  if (!llvmModule) {
    error = "translation of the GPU kernels to LLVM IR failed";
    return false;
  }
  std::unique_ptr<llvm::TargetMachine> machine =
      createNvptxTargetMachine(options, error);
  if (!machine)
    return false;
  llvmModule->setTargetTriple(machine->getTargetTriple().str());
  llvmModule->setDataLayout(machine->createDataLayout());
  // A call left to an undefined function (a libdevice `__nv_*` routine)
  // would be an unresolved symbol at load time.
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration() && !f.isIntrinsic() && !f.use_empty()) {
      error = "GPU kernels call '" + f.getName().str() +
              "', which modc does not provide (no libdevice)";
      return false;
    }
  }
  optimizeModule(*llvmModule, *machine, options);
  llvm::SmallString<0> text;
  llvm::raw_svector_ostream out(text);
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, out, nullptr,
                                   llvm::CodeGenFileType::AssemblyFile)) {
    error = "the NVPTX backend cannot emit PTX";
    return false;
  }
  codegen.run(*llvmModule);
  ptx.assign(text.begin(), text.end());
  return true;
}

/// CUDA's ptxas where the toolkit is installed (never required), else "".
std::string findPtxas() {
  if (llvm::ErrorOr<std::string> p = llvm::sys::findProgramByName("ptxas"))
    return *p;
  const char *fallback = "/usr/local/cuda/bin/ptxas";
  return llvm::sys::fs::can_execute(fallback) ? fallback : "";
}

/// The cubin of `ptx` for `arch` by ptxas; "" if there is no ptxas or it
/// fails (the PTX alone still works: the driver compiles it at load).
std::string assembleCubin(StringRef ptx, StringRef arch) {
  std::string ptxas = findPtxas();
  if (ptxas.empty())
    return "";
  llvm::SmallString<128> in, out;
  if (llvm::sys::fs::createTemporaryFile("modc-kernels", "ptx", in) ||
      llvm::sys::fs::createTemporaryFile("modc-kernels", "cubin", out))
    return "";
  std::string cubin;
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(in, ec);
    if (!ec)
      os << ptx;
  }
  std::string archFlag = ("-arch=" + arch).str();
  llvm::StringRef argv[] = {ptxas, archFlag, "-O3", in, "-o", out};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(),
                                                llvm::StringRef()};
  if (llvm::sys::ExecuteAndWait(ptxas, argv, std::nullopt, redirects) == 0)
    if (auto buffer = llvm::MemoryBuffer::getFile(out, /*IsText=*/false))
      cubin = (*buffer)->getBuffer().str();
  llvm::sys::fs::remove(in);
  llvm::sys::fs::remove(out);
  return cubin;
}

/// The kernel images blob of modrt/gpu_image.h: `images` in order.
std::string packImages(ArrayRef<std::pair<uint32_t, std::string>> images) {
  std::string blob = MODRT_GPU_IMAGE_MAGIC;
  auto append = [&](uint32_t kind, StringRef data) {
    modrt_gpu_image_record record{kind, 0, data.size()};
    blob.append(reinterpret_cast<const char *>(&record), sizeof(record));
    blob.append(data.begin(), data.end());
    blob.append((8 - data.size() % 8) % 8, '\0');
  };
  for (const auto &[kind, data] : images)
    append(kind, data);
  append(MODRT_GPU_IMAGE_END, "");
  return blob;
}

/// gpu.module @modc_kernels -> gpu.binary @modc_kernels: one object, the
/// blob of modrt/gpu_image.h holding the cubin for --gpu-arch when ptxas is
/// found and the PTX (NUL-terminated, as cuModuleLoadData reads it), which
/// the runtime loads when the cubin does not run on the GPU at hand. The
/// translation to LLVM IR embeds it and launches through the mgpu* calls of
/// runtime/GpuCalls.cpp. The PTX alone is kept as a second object for
/// --emit=ptx.
struct SerializeGpuKernelsPass
    : public PassWrapper<SerializeGpuKernelsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SerializeGpuKernelsPass)
  explicit SerializeGpuKernelsPass(const PipelineOptions &options)
      : options(options) {}
  StringRef getArgument() const final { return "mod-serialize-gpu-kernels"; }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto kernels = module.lookupSymbol<gpu::GPUModuleOp>("modc_kernels");
    if (!kernels)
      return;
    std::string ptx, error;
    if (!kernelsToPtx(kernels, options, ptx, error)) {
      kernels.emitError(error);
      return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    auto target = NVVM::NVVMTargetAttr::get(ctx, 3, "nvptx64-nvidia-cuda",
                                            options.gpuArch, "+ptx80");
    SmallVector<std::pair<uint32_t, std::string>> images;
    std::string cubin = assembleCubin(ptx, options.gpuArch);
    if (!cubin.empty()) {
      images.push_back({MODRT_GPU_IMAGE_CUBIN, cubin});
      modc::recordStat(ctx, getArgument(), "cubins", 1);
    }
    ptx.push_back('\0');
    images.push_back({MODRT_GPU_IMAGE_PTX, ptx});
    SmallVector<Attribute> objects = {
        gpu::ObjectAttr::get(ctx, target, gpu::CompilationTarget::Binary,
                             StringAttr::get(ctx, packImages(images)), nullptr),
        gpu::ObjectAttr::get(ctx, target, gpu::CompilationTarget::Assembly,
                             StringAttr::get(ctx, ptx), nullptr)};
    OpBuilder b(kernels);
    // #gpu.select_object without a target embeds the first object.
    b.create<gpu::BinaryOp>(kernels.getLoc(), kernels.getName(),
                            gpu::SelectObjectAttr::get(ctx, nullptr),
                            b.getArrayAttr(objects));
    kernels.erase();
  }

  PipelineOptions options;
};

} // namespace

static std::unique_ptr<Pass>
createSerializeGpuKernels(const PipelineOptions &options) {
  return std::make_unique<SerializeGpuKernelsPass>(options);
}

bool translateKernelsToPtx(ModuleOp module, const PipelineOptions &options,
                           std::string &ptx, std::string &error) {
  if (auto kernels = module.lookupSymbol<gpu::GPUModuleOp>("modc_kernels"))
    return kernelsToPtx(kernels, options, ptx, error);
  auto binary = module.lookupSymbol<gpu::BinaryOp>("modc_kernels");
  if (!binary) {
    error = "the model has no GPU kernels";
    return false;
  }
  ArrayAttr objects = binary.getObjects(); // the PTX is the last
  auto object = cast<gpu::ObjectAttr>(objects[objects.size() - 1]);
  ptx = object.getObject().getValue().str();
  if (!ptx.empty() && ptx.back() == '\0')
    ptx.pop_back();
  return true;
}

} // namespace modc
