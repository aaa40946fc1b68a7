//===- CodeGen.cpp - LLVM optimisation and code generation ----------------===//
//
// After mod-split-large-functions and mod-outline-parallel, a large module
// is many bounded functions of two kinds: the kernels (loops over tensors,
// shared between identical statements) and the glue between them (one
// straight-line function per run of statements: descriptors, allocations,
// kernel launches, runtime calls). The glue is nearly all of the module and
// nearly none of the run time, so it gets a light pipeline and -O0 code
// generation; the kernels get everything. Code generation of a large module
// runs on two threads, each over one part of a split of it (each part in
// its own LLVMContext, as LLVM's parallel code generation for LTO does).
//
//===----------------------------------------------------------------------===//

#include "compiler/CodeGen.h"
#include "compiler/CallConstants.h"
#include "compiler/Library.h"

#include "llvm/Analysis/CFG.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Transforms/IPO/DeadArgumentElimination.h"
#include "llvm/Transforms/InstCombine/InstCombine.h"
#include "llvm/Transforms/Scalar/EarlyCSE.h"
#include "llvm/Transforms/Scalar/SimplifyCFG.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <functional>
#include <numeric>
#include <set>
#include <thread>

namespace modc {

namespace {

/// Instructions above which a module is large: about 150 statements of a
/// generated program. Below it, the full pipeline on one thread costs less
/// than a second and gives the best code.
constexpr size_t kLargeModule = 20000;
/// Instructions above which a module that is not large is optimised and
/// generated in two parts on two threads (LLVM is most of a small
/// program's compile time).
constexpr size_t kSplitModule = 3000;
/// Instructions per block of the glue generated at -O0 (splitLongBlocks).
constexpr unsigned kGlueBlockSize = 256;

size_t instructionCount(const llvm::Module &module) {
  size_t n = 0;
  for (const llvm::Function &f : module)
    n += f.getInstructionCount();
  return n;
}

bool hasLoop(const llvm::Function &f) {
  llvm::SmallVector<
      std::pair<const llvm::BasicBlock *, const llvm::BasicBlock *>>
      backEdges;
  llvm::FindFunctionBackedges(f, backEdges);
  return !backEdges.empty();
}

bool generate(llvm::Module &module, llvm::TargetMachine &machine,
              llvm::raw_pwrite_stream &out, llvm::CodeGenFileType type,
              std::string &error) {
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, out, nullptr, type)) {
    error = "the target cannot emit this file type";
    return false;
  }
  codegen.run(module);
  return true;
}

} // namespace

namespace {
void initialiseNativeTarget() {
  static bool initialised = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialised;
}
} // namespace

std::unique_ptr<llvm::TargetMachine>
createHostTargetMachine(const PipelineOptions &options, std::string &error) {
  initialiseNativeTarget();
  std::string triple = llvm::sys::getProcessTriple();
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.mcpu;
  std::string features;
  if (cpu.empty() || cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::StringMap<bool> hostFeatures = llvm::sys::getHostCPUFeatures();
    for (auto &f : hostFeatures)
      features += (features.empty() ? "" : ",") +
                  std::string(f.second ? "+" : "-") + f.first().str();
  }
  llvm::TargetOptions targetOptions;
  auto level = options.optLevel == 0   ? llvm::CodeGenOptLevel::None
               : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
               : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                       : llvm::CodeGenOptLevel::Aggressive;
  return std::unique_ptr<llvm::TargetMachine>(
      target->createTargetMachine(triple, cpu, features, targetOptions,
                                  llvm::Reloc::PIC_, std::nullopt, level));
}

std::string mcpuError(llvm::StringRef cpu) {
  if (cpu.empty() || cpu == "native")
    return "";
  initialiseNativeTarget();
  std::string triple = llvm::sys::getProcessTriple(), error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return error;
  // Generic first: asking for an unknown processor prints LLVM warnings.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!generic || !generic->isCPUStringValid(cpu))
    return "unknown --mcpu '" + cpu.str() + "' for " + triple +
           " (an LLVM processor name, e.g. native, x86-64-v3, znver4)";
  llvm::Triple parsed(triple);
  if (parsed.isArch64Bit() && parsed.isX86()) {
    std::unique_ptr<llvm::MCSubtargetInfo> sub(
        target->createMCSubtargetInfo(triple, cpu, ""));
    if (!sub || !sub->checkFeatures("+64bit"))
      return "--mcpu '" + cpu.str() + "' has no 64-bit mode (the host is " +
             triple + ")";
  }
  return "";
}

namespace {

/// A pass builder for `machine` with its analyses registered.
struct Passes {
  explicit Passes(llvm::TargetMachine &machine) : builder(&machine) {
    builder.registerModuleAnalyses(modules);
    builder.registerCGSCCAnalyses(sccs);
    builder.registerFunctionAnalyses(functions);
    builder.registerLoopAnalyses(loops);
    builder.crossRegisterProxies(loops, functions, sccs, modules);
  }
  // Declared in the order their destruction needs (the proxies refer to
  // the analysis managers declared before them).
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder;
};

/// LLVM's default pipeline for `options.optLevel` (at least 1).
void runDefaultPipeline(llvm::Module &module, llvm::TargetMachine &machine,
                        const PipelineOptions &options) {
  Passes passes(machine);
  llvm::OptimizationLevel level =
      options.optLevel == 1   ? llvm::OptimizationLevel::O1
      : options.optLevel == 2 ? llvm::OptimizationLevel::O2
                              : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm =
      passes.builder.buildPerModuleDefaultPipeline(level);
  mpm.run(module, passes.modules);
}

/// Cuts the blocks of `f` into blocks of at most `size` instructions, joined
/// by branches. Instruction selection works on one block at a time and is
/// superlinear in its size: one block of the 30,000 instructions of a
/// 50,000-line program's glue took 6 s at -O0, blocks of 256 take 0.1 s.
/// Static allocas stay in the entry block.
void splitLongBlocks(llvm::Function &f, unsigned size) {
  std::vector<llvm::BasicBlock *> blocks;
  for (llvm::BasicBlock &bb : f)
    blocks.push_back(&bb);
  for (llvm::BasicBlock *bb : blocks) {
    // Count from the last alloca or PHI: a split never moves one.
    auto start = bb->begin();
    for (auto it = bb->begin(); it != bb->end(); ++it)
      if (llvm::isa<llvm::AllocaInst, llvm::PHINode>(*it))
        start = std::next(it);
    unsigned count = 0;
    for (auto it = start; it != bb->end() && !it->isTerminator();) {
      if (++count < size || it->isEHPad()) {
        ++it;
        continue;
      }
      bb = bb->splitBasicBlock(it);
      it = bb->begin();
      count = 0;
    }
  }
}

/// The glue of a large module: constants across its calls, then a light
/// function pipeline, then `optnone noinline`.
void optimizeGlue(llvm::Module &module, llvm::TargetMachine &machine) {
  // The constant parts of the descriptors the glue passes between its
  // functions, then the arguments and results that carried them: most of
  // the glue's instructions, which the -O0 code generation below would
  // otherwise spill and reload one by one.
  propagateCallConstants(module);
  Passes passes(machine);
  llvm::ModulePassManager deadArguments;
  deadArguments.addPass(llvm::DeadArgumentEliminationPass());
  deadArguments.run(module, passes.modules);
  llvm::FunctionPassManager light;
  light.addPass(llvm::EarlyCSEPass());
  light.addPass(llvm::InstCombinePass());
  light.addPass(llvm::SimplifyCFGPass());
  for (llvm::Function &f : module) {
    if (f.isDeclaration() || hasLoop(f))
      continue;
    light.run(f, passes.functions);
    passes.functions.clear(f, f.getName());
    f.addFnAttr(llvm::Attribute::NoInline);
    f.addFnAttr(llvm::Attribute::OptimizeNone);
    splitLongBlocks(f, kGlueBlockSize);
  }
}

/// Whether `module` is treated as large: its glue is optimised lightly and
/// generated at -O0, on two threads (never at -O0, where nothing is
/// optimised anyway).
bool isLarge(const llvm::Module &module, const PipelineOptions &options) {
  return options.optLevel > 0 && instructionCount(module) > kLargeModule;
}

} // namespace

void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine,
                    const PipelineOptions &options) {
  if (options.optLevel == 0)
    return;
  mlir::TimingScope timer = nestTimer(options, "LLVM optimisations");
  if (isLarge(module, options))
    optimizeGlue(module, machine);
  runDefaultPipeline(module, machine, options);
}

bool emitMachineCode(llvm::Module &module, const std::string &path,
                     bool assembly, const PipelineOptions &options,
                     std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine =
      createHostTargetMachine(options, error);
  if (!machine)
    return false;
  optimizeModule(module, *machine, options);
  // Into memory first: the object writer seeks back to patch its headers,
  // which a pipe (`-o -`) cannot.
  llvm::SmallString<0> code;
  llvm::raw_svector_ostream buffer(code);
  {
    mlir::TimingScope timer = nestTimer(options, "Code generation");
    if (!generate(module, *machine, buffer,
                  assembly ? llvm::CodeGenFileType::AssemblyFile
                           : llvm::CodeGenFileType::ObjectFile,
                  error))
      return false;
  }
  error = writeFile(path, code);
  return error.empty();
}

namespace {

/// Gives every local symbol of `module` external linkage with hidden
/// visibility, so that the parts of a split can refer to each other's (the
/// shared library exports none of them).
void externalizeLocals(llvm::Module &module) {
  auto externalize = [](llvm::GlobalValue &gv) {
    if (gv.isDeclaration() || !gv.hasLocalLinkage())
      return;
    if (!gv.hasName())
      gv.setName("__modc_anon");
    gv.setLinkage(llvm::GlobalValue::ExternalLinkage);
    gv.setVisibility(llvm::GlobalValue::HiddenVisibility);
  };
  for (llvm::Function &f : module)
    externalize(f);
  for (llvm::GlobalVariable &g : module.globals())
    externalize(g);
}

/// Machine code of one part, read back from bitcode into its own context.
/// With `optimize`, the default pipeline runs over it first.
void generatePart(const llvm::SmallString<0> &bitcode,
                  const PipelineOptions &options, bool optimize,
                  llvm::SmallString<0> &object, std::string &error) {
  llvm::LLVMContext context;
  auto part = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(bitcode.str(), "part"), context);
  if (!part) {
    error = "cannot read back a part of the module: " +
            llvm::toString(part.takeError());
    return;
  }
  std::unique_ptr<llvm::TargetMachine> machine =
      createHostTargetMachine(options, error);
  if (!machine)
    return;
  if (optimize && options.optLevel > 0)
    runDefaultPipeline(**part, *machine, options);
  llvm::raw_svector_ostream out(object);
  generate(**part, *machine, out, llvm::CodeGenFileType::ObjectFile, error);
}

} // namespace

namespace {

/// Each part's bitcode: the module's definitions in `partOf`'s part (0 for
/// the ones it does not list), declarations of the others.
std::vector<llvm::SmallString<0>>
splitIntoBitcode(const llvm::Module &module,
                 const llvm::DenseMap<const llvm::GlobalValue *, int> &partOf,
                 int parts) {
  std::vector<llvm::SmallString<0>> bitcode(parts);
  for (int part = 0; part < parts; ++part) {
    llvm::ValueToValueMapTy map;
    std::unique_ptr<llvm::Module> clone =
        llvm::CloneModule(module, map, [&](const llvm::GlobalValue *gv) {
          auto it = partOf.find(gv);
          return (it == partOf.end() ? 0 : it->second) == part;
        });
    llvm::raw_svector_ostream out(bitcode[part]);
    llvm::WriteBitcodeToFile(*clone, out);
  }
  return bitcode;
}

/// Two parts of about equal size for `module`'s definitions. A function
/// stays with the functions that only it calls and that may be inlined into
/// it (its kernel, for an entry's wrapper); parallel loop bodies and the
/// parts of split functions are `noinline`, and helpers called from several
/// functions would tie every kernel into one part.
llvm::DenseMap<const llvm::GlobalValue *, int>
balancedHalves(llvm::Module &module) {
  std::vector<llvm::Function *> defined;
  llvm::DenseMap<const llvm::Function *, size_t> index;
  for (llvm::Function &f : module)
    if (!f.isDeclaration()) {
      index[&f] = defined.size();
      defined.push_back(&f);
    }
  std::vector<std::set<size_t>> callers(defined.size());
  for (llvm::Function *f : defined)
    for (llvm::Instruction &inst : llvm::instructions(*f))
      if (auto *call = llvm::dyn_cast<llvm::CallBase>(&inst))
        if (llvm::Function *callee = call->getCalledFunction();
            callee && index.count(callee) &&
            !callee->hasFnAttribute(llvm::Attribute::NoInline))
          callers[index[callee]].insert(index[f]);
  std::vector<size_t> parent(defined.size());
  std::iota(parent.begin(), parent.end(), size_t(0));
  std::function<size_t(size_t)> root = [&](size_t i) {
    return parent[i] == i ? i : parent[i] = root(parent[i]);
  };
  for (size_t callee = 0; callee < defined.size(); ++callee)
    if (callers[callee].size() == 1)
      parent[root(callee)] = root(*callers[callee].begin());
  std::vector<size_t> size(defined.size(), 0);
  std::vector<size_t> groups;
  for (size_t i = 0; i < defined.size(); ++i) {
    size[root(i)] += defined[i]->getInstructionCount();
    if (root(i) == i)
      groups.push_back(i);
  }
  llvm::stable_sort(groups,
                    [&](size_t a, size_t b) { return size[a] > size[b]; });
  std::vector<int> groupPart(defined.size(), 0);
  size_t load[2] = {0, 0};
  for (size_t g : groups) {
    int part = load[0] <= load[1] ? 0 : 1;
    load[part] += size[g];
    groupPart[g] = part;
  }
  llvm::DenseMap<const llvm::GlobalValue *, int> partOf;
  for (size_t i = 0; i < defined.size(); ++i)
    partOf[defined[i]] = groupPart[root(i)];
  return partOf;
}

bool firstError(const std::vector<std::string> &errors, std::string &error) {
  for (const std::string &e : errors)
    if (!e.empty()) {
      error = e;
      return false;
    }
  return true;
}

} // namespace

bool generateObjects(llvm::Module &module, const PipelineOptions &options,
                     std::vector<llvm::SmallString<0>> &objects,
                     std::string &error) {
  objects.clear();
  std::unique_ptr<llvm::TargetMachine> machine =
      createHostTargetMachine(options, error);
  if (!machine)
    return false;
  bool threaded = std::thread::hardware_concurrency() >= 2;
  if (!isLarge(module, options)) {
    if (!threaded || options.optLevel == 0 ||
        instructionCount(module) < kSplitModule) {
      optimizeModule(module, *machine, options);
      mlir::TimingScope timer = nestTimer(options, "Code generation");
      objects.emplace_back();
      llvm::raw_svector_ostream out(objects.back());
      return generate(module, *machine, out, llvm::CodeGenFileType::ObjectFile,
                      error);
    }
    // Two halves, each optimised and generated on its own thread.
    mlir::TimingScope timer =
        nestTimer(options, "Optimisation and code generation");
    llvm::DenseMap<const llvm::GlobalValue *, int> partOf =
        balancedHalves(module);
    externalizeLocals(module);
    std::vector<llvm::SmallString<0>> bitcode =
        splitIntoBitcode(module, partOf, 2);
    objects.resize(2);
    std::vector<std::string> errors(2);
    std::thread helper([&] {
      generatePart(bitcode[1], options, true, objects[1], errors[1]);
    });
    generatePart(bitcode[0], options, true, objects[0], errors[0]);
    helper.join();
    return firstError(errors, error);
  }

  // Three parts: the kernels and the data at the requested level, and the
  // glue (what optimizeGlue left `optnone`) in two halves at -O0, where
  // instruction selection and register allocation are linear. One thread
  // generates the kernels and the first half, another the second half.
  {
    mlir::TimingScope timer = nestTimer(options, "LLVM optimisations");
    optimizeGlue(module, *machine);
  }
  // The default pipeline runs in generatePart over the kernels' part only:
  // over the whole module its module passes would walk all of the glue.
  mlir::TimingScope timer = nestTimer(options, "Code generation");
  externalizeLocals(module);
  llvm::DenseMap<const llvm::GlobalValue *, int> partOf;
  std::vector<llvm::Function *> glue;
  size_t kernelSize = 0;
  for (llvm::Function &f : module) {
    if (f.isDeclaration())
      continue;
    if (f.hasFnAttribute(llvm::Attribute::OptimizeNone))
      glue.push_back(&f);
    else
      kernelSize += f.getInstructionCount();
  }
  llvm::stable_sort(glue, [](llvm::Function *a, llvm::Function *b) {
    return a->getInstructionCount() > b->getInstructionCount();
  });
  // Optimised code generation costs about three times -O0's per
  // instruction.
  size_t load[2] = {3 * kernelSize, 0};
  for (llvm::Function *f : glue) {
    int thread = load[0] <= load[1] ? 0 : 1;
    load[thread] += f->getInstructionCount();
    partOf[f] = 1 + thread;
  }
  std::vector<llvm::SmallString<0>> bitcode =
      splitIntoBitcode(module, partOf, 3);
  PipelineOptions glueOptions = options;
  glueOptions.optLevel = 0;
  objects.resize(3);
  std::vector<std::string> errors(3);
  std::thread helper;
  if (threaded)
    helper = std::thread([&] {
      generatePart(bitcode[2], glueOptions, false, objects[2], errors[2]);
    });
  generatePart(bitcode[0], options, true, objects[0], errors[0]);
  generatePart(bitcode[1], glueOptions, false, objects[1], errors[1]);
  if (threaded)
    helper.join();
  else
    generatePart(bitcode[2], glueOptions, false, objects[2], errors[2]);
  return firstError(errors, error);
}

} // namespace modc
