//===- Driver.cpp - The compilation driver --------------------------------===//

#include "compiler/Driver.h"
#include "compiler/CodeGen.h"
#include "compiler/GpuCodeGen.h"

#include "compiler/Library.h"
#include "compiler/Pipeline.h"
#include "compiler/Session.h"
#include "conversion/Passes.h"
#include "dsl/Parse.h"
#include "dsl/Sema.h"
#include "import/Import.h"
#include "ir/Stats.h"
#include "transforms/Passes.h"

#include "dialects/Mod/ModModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/SourceMgr.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>

namespace modc {

namespace {

constexpr int kOk = 0, kProgramError = 1, kUsageError = 2;

int usage(const std::string &message) {
  llvm::errs() << "modc: error: " << message << "\n";
  return kUsageError;
}

/// Writes `text` to `path`, or to stdout when `path` is empty or "-".
bool writeText(const std::string &path, const std::string &text) {
  if (path.empty() || path == "-") {
    llvm::outs() << text;
    llvm::outs().flush();
    // A full disk or a closed reader: exit 2 with the reason (LLVM would
    // report a fatal error when the stream is destroyed, with status 1).
    if (std::error_code ec = llvm::outs().error()) {
      llvm::outs().clear_error();
      llvm::errs() << "modc: error: cannot write to standard output: "
                   << ec.message() << "\n";
      return false;
    }
    return true;
  }
  if (std::string error = writeFile(path, text); !error.empty()) {
    llvm::errs() << "modc: error: " << error << "\n";
    return false;
  }
  return true;
}

/// Parses, checks and imports a .mod source into `module`. Returns the exit
/// status; kOk with no module when the options asked for the AST or a check
/// only (already done).
int importSource(mlir::MLIRContext &context, llvm::StringRef text,
                 const DriverOptions &options, const SemaOptions &semaOptions,
                 mlir::OwningOpRef<mlir::ModuleOp> &module) {
  SourceFile source(options.inputFile, text.str());
  DiagnosticEngine diags(source);
  auto printDiags = [&] {
    std::string out;
    diags.print(out);
    llvm::errs() << out;
  };
  std::unique_ptr<ast::File> file = parseFile(source, diags);
  // Syntax errors: the clean declarations are still checked (analyze reports
  // their errors too and then fails); nothing is emitted.
  if (!file || (diags.hasErrors() && options.emit == "ast" &&
                !options.checkOnly && !options.printParams)) {
    printDiags();
    return kProgramError;
  }
  if (options.emit == "ast" && !options.checkOnly && !options.printParams) {
    std::string out;
    ast::dump(*file, out);
    return writeText(options.outputFile, out) ? kOk : kUsageError;
  }
  std::unique_ptr<sema::Program> program = analyze(*file, diags, semaOptions);
  if (!program) {
    printDiags();
    return kProgramError;
  }
  if (options.checkOnly)
    return kOk;
  module = importProgram(context, *program, options.inputFile);
  if (!module) {
    llvm::errs() << options.inputFile
                 << ": error: internal error: the imported IR does not "
                    "verify\n";
    return kProgramError;
  }
  return kOk;
}

/// Parses and verifies mod-dialect IR; it must describe a model.
int parseModelIR(mlir::MLIRContext &context, llvm::SourceMgr &sourceMgr,
                 const llvm::MemoryBuffer &buffer, const std::string &filename,
                 mlir::OwningOpRef<mlir::ModuleOp> &module) {
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(buffer.getBuffer(), filename),
      llvm::SMLoc());
  module = mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
  if (!module) {
    // MLIR 19's parser can leave the heap broken after some errors (a
    // forward reference at the top level, then an unterminated region: the
    // next malloc, or the thread's exit, aborts). Nothing is left to do
    // after a parse error but to say so and stop, so stop here.
    llvm::errs().flush();
    std::fflush(nullptr);
    std::_Exit(kProgramError);
  }
  if (mlir::mod::getModelName(*module).empty()) {
    llvm::errs() << filename << ": error: the IR is not a model: its module "
                 << "has no '" << mlir::mod::kModelAttr
                 << "' attribute (write it with modc --emit=mod)\n";
    return kProgramError;
  }
  return kOk;
}

} // namespace

namespace {

/// The input's bytes: a regular file mapped whole; anything else (a device,
/// a pipe) read up to 256 MiB, a .mod source only up to its first NUL byte
/// (not text: /dev/zero would otherwise be read until memory runs out).
std::optional<std::unique_ptr<llvm::MemoryBuffer>>
readInput(const std::string &path, std::string &error) {
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status)) {
    error = ec.message();
    return std::nullopt;
  }
  if (llvm::sys::fs::is_directory(status)) {
    error = "is a directory";
    return std::nullopt;
  }
  if (llvm::sys::fs::is_regular_file(status)) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer) {
      error = buffer.getError().message();
      return std::nullopt;
    }
    return std::move(*buffer);
  }
  constexpr size_t Limit = size_t(256) << 20;
  bool text = !llvm::StringRef(path).ends_with(".mlir");
  auto file = llvm::sys::fs::openNativeFileForRead(path);
  if (!file) {
    error = llvm::toString(file.takeError());
    return std::nullopt;
  }
  std::string bytes;
  char chunk[1 << 16];
  while (true) {
    auto n = llvm::sys::fs::readNativeFile(*file, llvm::MutableArrayRef(chunk));
    if (!n) {
      llvm::sys::fs::closeFile(*file);
      error = llvm::toString(n.takeError());
      return std::nullopt;
    }
    if (*n == 0)
      break;
    llvm::StringRef got(chunk, *n);
    if (text && got.contains('\0')) {
      llvm::sys::fs::closeFile(*file);
      error = "a NUL byte at offset " +
              std::to_string(bytes.size() + got.find('\0')) +
              " (a .mod source is text)";
      return std::nullopt;
    }
    if (bytes.size() + *n > Limit) {
      llvm::sys::fs::closeFile(*file);
      error = "more than 256 MiB";
      return std::nullopt;
    }
    bytes.append(got.data(), got.size());
  }
  llvm::sys::fs::closeFile(*file);
  return llvm::MemoryBuffer::getMemBufferCopy(bytes, path);
}

} // namespace

int runDriver(const DriverOptions &options) {
  static const std::set<std::string> stages = {"ast",    "mod", "opt", "linalg",
                                               "llvm",   "asm", "obj", "so",
                                               "header", "ptx"};
  if (options.inputFile.empty())
    return usage("no input file (usage: modc FILE.mod -o libNAME.so)");
  if (!stages.count(options.emit))
    return usage("unknown --emit stage '" + options.emit +
                 "' (expected ast, mod, opt, linalg, llvm, asm, obj, so, "
                 "header or ptx)");
  if (options.optLevel > 3)
    return usage("optimisation level -O" + std::to_string(options.optLevel) +
                 " does not exist (use -O0 to -O3)");
  if (std::string error = targetError(options.target); !error.empty())
    return usage(error);
  if (std::string error = gpuArchError(options.gpuArch); !error.empty())
    return usage(error);
  if (std::string error = mcpuError(options.mcpu); !error.empty())
    return usage(error);
  bool cuda = options.target == "cuda";
  if (options.emit == "ptx" && !cuda)
    return usage("--emit=ptx needs --target=cuda");
  SemaOptions semaOptions;
  for (const std::string &d : options.defines) {
    std::string name;
    int64_t value;
    if (!parseDefine(d, name, value))
      return usage("-D expects NAME=VALUE with a non-negative integer value, "
                   "got '" +
                   d + "'");
    if (!semaOptions.dimOverrides.emplace(name, value).second)
      return usage("-D " + name + " is given twice");
  }

  std::string readError;
  auto buffer = readInput(options.inputFile, readError);
  if (!buffer)
    return usage("cannot read " + options.inputFile + ": " + readError);
  // An output over the input (or both outputs on one file) would lose data.
  auto sameFile = [](const std::string &a, const std::string &b) {
    return !a.empty() && !b.empty() && a != "-" && b != "-" &&
           (a == b || llvm::sys::fs::equivalent(a, b));
  };
  for (const std::string *out : {&options.outputFile, &options.headerFile})
    if (sameFile(*out, options.inputFile))
      return usage("the output " + *out + " is the input file");
  if (sameFile(options.outputFile, options.headerFile))
    return usage("-o and --header name the same file: " + options.outputFile);

  // `--mlir-timing`: every phase, from parsing to the link.
  mlir::DefaultTimingManager timing;
  mlir::applyDefaultTimingManagerCLOptions(timing);
  mlir::TimingScope rootTimer = timing.getRootScope();

  // A .mod program checked, or compiled to a library: a session does it, as
  // for a program-induction loop, so that both give the same diagnostics
  // and the same library. The other stages (--emit, --print-params, .mlir
  // inputs) are for inspection and run below.
  bool isSource = !llvm::StringRef(options.inputFile).ends_with(".mlir");
  if (isSource && !options.printParams &&
      (options.checkOnly || options.emit == "so")) {
    Session session(/*cacheBytes=*/0);
    DriverSettings settings;
    settings.timing = &rootTimer;
    settings.verifyEach = options.verifyEach;
    settings.commandLinePassOptions = true;
    settings.onCallerThread = true; // modc's driver thread has the stack
    settings.gpuMappedOnHost = options.gpuMappedOnHost;
    session.setDriverSettings(settings);
    // Validated above: -O, -D, --target, --mcpu, --specialize, in order.
    CompileOptions compile{options.optLevel, semaOptions.dimOverrides,
                           options.target, options.mcpu, options.specialize};
    compile.gpuArch = options.gpuArch;
    llvm::StringRef text = (*buffer)->getBuffer();
    Session::Status status =
        options.checkOnly
            ? session.check(text, options.inputFile, compile)
            : session.writeLibrary(text, options.inputFile, compile,
                                   options.outputFile, options.headerFile);
    llvm::errs() << session.diagnosticText();
    if (options.stats && !options.checkOnly)
      llvm::errs() << session.statistics();
    return int(status);
  }

  mlir::DialectRegistry registry;
  registerPipelineDialects(registry);
  mlir::MLIRContext context(registry);
  // Errors of the parser, the verifier and every pass, as FILE:LINE:COL
  // with the line and a caret (LANGUAGE.md §9); one the IR locates nowhere
  // names the input file.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler fileHandler(sourceMgr, &context);
  mlir::ScopedDiagnosticHandler unlocatedHandler(
      &context, [&](mlir::Diagnostic &d) {
        if (d.getLocation()->findInstanceOf<mlir::FileLineColLoc>())
          return mlir::failure(); // fileHandler's
        const char *kind = "error";
        if (d.getSeverity() == mlir::DiagnosticSeverity::Warning)
          kind = "warning";
        else if (d.getSeverity() == mlir::DiagnosticSeverity::Note)
          kind = "note";
        else if (d.getSeverity() == mlir::DiagnosticSeverity::Remark)
          kind = "remark";
        llvm::errs() << options.inputFile << ": " << kind << ": " << d.str()
                     << "\n";
        return mlir::success();
      });
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (!isSource) {
    // mod-dialect IR (`--emit=mod`, or rewritten by mod-opt): everything the
    // library needs is in it.
    if (options.emit == "ast")
      return usage("--emit=ast needs a .mod source, not IR");
    if (!options.defines.empty())
      return usage("-D applies to .mod sources; the dims of " +
                   options.inputFile + " are fixed");
    int status =
        parseModelIR(context, sourceMgr, **buffer, options.inputFile, module);
    if (status != kOk)
      return status;
    if (options.checkOnly) {
      // --specialize is checked as a compile checks it (exit 2).
      if (std::string error = specializeEntries(*module, options.specialize);
          !error.empty())
        return usage(error);
      return kOk;
    }
  } else {
    mlir::TimingScope timer = rootTimer.nest("Front end and import");
    int status = importSource(context, (*buffer)->getBuffer(), options,
                              semaOptions, module);
    if (status != kOk || !module)
      return status;
  }
  if (options.printParams)
    return writeText(options.outputFile, paramTable(*module)) ? kOk
                                                              : kUsageError;
  if (options.emit == "header")
    return writeText(options.outputFile,
                     buildHeader(*module, options.target == "cuda"))
               ? kOk
               : kUsageError;
  if (!options.headerFile.empty() &&
      !writeText(options.headerFile,
                 buildHeader(*module, options.target == "cuda")))
    return kUsageError;
  if (std::string error = specializeEntries(*module, options.specialize);
      !error.empty())
    return usage(error);
  auto printModule = [&]() {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    os.flush();
    return writeText(options.outputFile, text) ? kOk : kUsageError;
  };
  if (options.emit == "mod")
    return printModule();

  PipelineOptions pipeline;
  pipeline.optLevel = options.optLevel;
  pipeline.mcpu = options.mcpu;
  pipeline.target = options.target;
  pipeline.gpuArch = options.gpuArch;
  pipeline.gpuMappedOnHost = options.gpuMappedOnHost;
  pipeline.gpuKernelsOnly = options.emit == "ptx";
  pipeline.verifyEach = options.verifyEach;
  pipeline.timing = &rootTimer;
  pipeline.commandLinePassOptions = true;
  if (options.emit == "opt" || options.emit == "linalg") {
    if (!lowerModule(*module, pipeline,
                     options.emit == "opt" ? Stage::ModOpt : Stage::Linalg))
      return kProgramError;
    return printModule();
  }
  std::string modelName = mlir::mod::getModelName(*module).str();
  if (!lowerModule(*module, pipeline))
    return kProgramError;
  if (options.emit == "ptx") {
    std::string ptx, error;
    if (!translateKernelsToPtx(*module, pipeline, ptx, error)) {
      llvm::errs() << options.inputFile << ": error: " << error << "\n";
      return kProgramError;
    }
    return writeText(options.outputFile, ptx) ? kOk : kUsageError;
  }

  llvm::LLVMContext llvmContext;
  std::string error;
  auto llvmModule = translateToLLVMIR(*module, llvmContext, pipeline, error);
  if (!llvmModule) {
    llvm::errs() << options.inputFile << ": error: " << error << "\n";
    return kProgramError;
  }
  if (options.emit == "llvm") {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    os.flush();
    return writeText(options.outputFile, text) ? kOk : kUsageError;
  }
  if (options.emit == "asm" || options.emit == "obj") {
    std::string out = options.outputFile;
    if (out.empty())
      out = options.emit == "asm" ? "-" : modelName + ".o";
    if (options.outputFile.empty() && out != "-" &&
        llvm::sys::fs::equivalent(out, options.inputFile)) {
      llvm::errs() << "modc: error: the output " << out
                   << " is the input file (use -o)\n";
      return kUsageError;
    }
    if (!emitMachineCode(*llvmModule, out, options.emit == "asm", pipeline,
                         error)) {
      llvm::errs() << "modc: error: " << error << "\n";
      return kUsageError;
    }
    return kOk;
  }

  if (options.stats)
    llvm::errs() << statsReport(&context);
  std::string soPath = options.outputFile.empty() ? "lib" + modelName + ".so"
                                                  : options.outputFile;
  if (options.outputFile.empty() &&
      llvm::sys::fs::equivalent(soPath, options.inputFile)) {
    llvm::errs() << "modc: error: the output " << soPath
                 << " is the input file (use -o)\n";
    return kUsageError;
  }
  if (!buildSharedLibrary(*llvmModule, pipeline, soPath, error)) {
    llvm::errs() << "modc: error: " << error << "\n";
    return kUsageError;
  }
  return kOk;
}

} // namespace modc
