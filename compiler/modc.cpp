//===- modc.cpp - The modc compiler driver --------------------------------===//
//
// modc FILE.mod -o libNAME.so, and the --emit= ladder that stops after each
// stage of the pipeline (INTERFACE.md §1). Exit status: 0 success, 1 the
// program has errors, 2 bad usage or an unreadable input file.
//
//===----------------------------------------------------------------------===//

#include "compiler/Driver.h"
#include "compiler/Session.h"
#include "vocab/Vocabulary.h"

#include "llvm/CodeGen/CommandFlags.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include <cstdlib>
#include <unistd.h>

namespace cl = llvm::cl;

static cl::OptionCategory category("modc options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file.mod>"),
                                      cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("path"),
                                       cl::cat(category));
static cl::opt<std::string>
    emit("emit",
         cl::desc("Stop after a stage: ast, mod, opt, linalg, llvm, asm, obj, "
                  "so, header; ptx (--target=cuda)"),
         cl::init("so"), cl::cat(category));
static cl::opt<bool> checkOnly("check", cl::desc("Parse and check only"),
                               cl::cat(category));
static cl::opt<bool> printParams("print-params",
                                 cl::desc("Print the table of parameters"),
                                 cl::cat(category));
static cl::opt<unsigned> optLevel("O", cl::desc("Optimisation level 0-3"),
                                  cl::Prefix, cl::init(2), cl::cat(category));
static cl::list<std::string> defines("D", cl::desc("Override a dim"),
                                     cl::value_desc("NAME=VALUE"), cl::Prefix,
                                     cl::cat(category));
static cl::opt<std::string> target("target", cl::desc("cpu or cuda"),
                                   cl::init("cpu"), cl::cat(category));
static cl::opt<std::string>
    gpuArch("gpu-arch", cl::desc("GPU of --target=cuda: sm_80 or sm_90"),
            cl::init("sm_90"), cl::cat(category));
// Allows TF32 tensor-core math for f32 (INTERFACE.md §2). The GPU kernels
// have no tensor-core path yet, so f32 stays f32 FMA either way.
static cl::opt<bool>
    gpuTf32("gpu-tf32",
            cl::desc("Allow TF32 for f32 matmuls on the GPU (no TF32 "
                     "kernels yet: f32 stays f32)"),
            cl::cat(category));
// `--mcpu` is LLVM's code generation flag: lld, linked into modc for the
// in-process link, registers the same flags, so modc registers them first
// (once per process) and reads the CPU from there; empty means the host's.
static llvm::codegen::RegisterCodeGenFlags codegenFlags;
static cl::opt<std::string> headerFile("header",
                                       cl::desc("Also write the C header"),
                                       cl::value_desc("path"),
                                       cl::cat(category));
// LLVM owns `-stats`; modc's `--stats` is renamed before parsing.
static cl::opt<bool> stats("modc-stats",
                           cl::desc("Print what each pass did (--stats)"),
                           cl::cat(category));

static cl::opt<bool> verifyEach(
    "verify-each",
    cl::desc("Verify the IR after every pass, also in large programs"),
    cl::Hidden, cl::cat(category));

static cl::opt<bool> gpuMappedOnHost(
    "gpu-mapped-on-host",
    cl::desc("Build a CPU library running the GPU path's mapped loops "
             "(tests the kernels' logic without a GPU)"),
    cl::Hidden, cl::cat(category));

static cl::opt<bool> vocabulary(
    "vocabulary",
    cl::desc("Print the builtins, routers and aggregations with their "
             "arguments as JSON, then exit"),
    cl::cat(category));

static cl::list<std::string>
    specialize("specialize",
               cl::desc("Fix an integer entry argument (one library per task)"),
               cl::value_desc("ENTRY.ARG=VALUE"), cl::cat(category));

/// Exit 2 for a standard output that could not take the text (INTERFACE.md
/// §1: not LLVM's fatal error, status 1, or its 74 for a closed pipe), with
/// `msg`. Async-signal-safe: it also runs in the SIGPIPE handler.
template <size_t N>
[[noreturn]] void standardOutputFailed(const char (&msg)[N]) {
  (void)!::write(2, msg, N - 1);
  ::_exit(2);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // A reader that goes away (`modc ... --emit=llvm | head`).
  llvm::sys::SetOneShotPipeSignalFunction([] {
    standardOutputFailed(
        "modc: error: cannot write to standard output: broken pipe\n");
  });
  // Text printed to a standard output that cannot take it (--help,
  // --version, --vocabulary): checked at exit, before the stream's
  // destructor (registered first, by this call, so run after) would
  // report a fatal error.
  llvm::outs();
  std::atexit([] {
    llvm::outs().flush();
    if (llvm::outs().has_error()) {
      llvm::outs().clear_error();
      standardOutputFailed("modc: error: cannot write to standard output\n");
    }
  });
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "modc " << MODC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  // --help lists modc's own options; LLVM's and MLIR's stay usable and are
  // listed by --help-hidden.
  for (auto &entry : cl::getRegisteredOptions()) {
    cl::Option *option = entry.second;
    llvm::StringRef name = entry.first();
    bool ours = llvm::is_contained(option->Categories, &category) ||
                name == "help" || name == "help-list" || name == "version" ||
                name == "mcpu";
    if (!ours && option->getOptionHiddenFlag() == cl::NotHidden)
      option->setHiddenFlag(cl::Hidden);
  }
  std::vector<const char *> args(argv, argv + argc);
  for (const char *&a : args)
    if (llvm::StringRef(a) == "--stats" || llvm::StringRef(a) == "-stats")
      a = "--modc-stats";
  if (!cl::ParseCommandLineOptions(
          int(args.size()), args.data(),
          "modc: compiler for modular deep-learning programs (.mod)\n",
          &llvm::errs()))
    return 2;
  if (vocabulary) {
    llvm::outs() << modc::vocab::toJson();
    return 0; // a failed write is exit 2 at exit (above)
  }

  modc::DriverOptions options;
  options.inputFile = inputFile;
  options.outputFile = outputFile;
  options.emit = emit;
  options.checkOnly = checkOnly;
  options.printParams = printParams;
  options.optLevel = optLevel;
  options.defines.assign(defines.begin(), defines.end());
  options.target = target;
  options.gpuArch = gpuArch;
  (void)gpuTf32; // accepted; nothing uses TF32 yet (docs/gpu.md)
  options.gpuMappedOnHost = gpuMappedOnHost;
  options.mcpu = llvm::codegen::getMCPU().empty() ? std::string("native")
                                                  : llvm::codegen::getMCPU();
  options.headerFile = headerFile;
  options.stats = stats;
  options.verifyEach = verifyEach;
  options.specialize.assign(specialize.begin(), specialize.end());
  int status = 0;
  std::string error =
      modc::runOnCompilerStack([&] { status = modc::runDriver(options); });
  if (!error.empty()) {
    llvm::errs() << "modc: error: " << error << "\n";
    return 2;
  }
  return status;
}
