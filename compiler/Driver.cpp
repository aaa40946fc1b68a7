//===- Driver.cpp - The compilation driver --------------------------------===//

#include "compiler/Driver.h"

#include "compiler/Import.h"
#include "compiler/Library.h"
#include "compiler/Pipeline.h"
#include "dsl/Parse.h"
#include "dsl/Sema.h"
#include "passes/Passes.h"
#include "passes/Stats.h"

#include "dialects/Mod/ModDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
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
    return true;
  }
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    llvm::errs() << "modc: error: cannot write " << path << ": " << ec.message()
                 << "\n";
    return false;
  }
  out << text;
  return true;
}

std::string formatShape(const sema::TensorType &t) {
  std::string s = ast::elemTypeName(t.elem);
  s += "[";
  for (size_t i = 0; i < t.shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(t.shape[i].constant);
  return s + "]";
}

std::string paramTable(const sema::Program &program) {
  std::string out;
  long long total = 0, trainable = 0;
  for (const sema::FlatParam &p : program.flatParams()) {
    long long count = 1;
    for (const sema::Dim &d : p.type.shape)
      count *= d.constant;
    total += count;
    if (p.trainable)
      trainable += count;
    out += p.name + " " + formatShape(p.type) + " " +
           (p.trainable ? "trainable" : "frozen") + " " +
           std::to_string(count) + "\n";
  }
  out += "total parameters: " + std::to_string(total) + "\n";
  out += "trainable parameters: " + std::to_string(trainable) + "\n";
  return out;
}

} // namespace

int runDriver(const DriverOptions &options) {
  static const std::set<std::string> stages = {
      "ast", "mod", "opt", "linalg", "llvm", "asm", "obj", "so", "header"};
  if (options.inputFile.empty())
    return usage("no input file (usage: modc FILE.mod -o libNAME.so)");
  if (!stages.count(options.emit))
    return usage("unknown --emit stage '" + options.emit +
                 "' (expected ast, mod, opt, linalg, llvm, asm, obj, so or "
                 "header)");
  if (options.optLevel > 3)
    return usage("optimisation level -O" + std::to_string(options.optLevel) +
                 " does not exist (use -O0 to -O3)");
  if (options.target != "cpu") {
    if (options.target == "cuda")
      return usage("--target=cuda is not supported by this build yet");
    return usage("unknown --target '" + options.target +
                 "' (expected cpu or cuda)");
  }
  SemaOptions semaOptions;
  for (const std::string &d : options.defines) {
    size_t eq = d.find('=');
    std::string name = d.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : d.substr(eq + 1);
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(value.c_str(), &end, 10);
    if (name.empty() || value.empty() || *end != '\0' || errno != 0 || v < 0 ||
        v > (1LL << 62))
      return usage("-D expects NAME=VALUE with a non-negative integer value, "
                   "got '" +
                   d + "'");
    semaOptions.dimOverrides[name] = v;
  }

  auto buffer = llvm::MemoryBuffer::getFile(options.inputFile,
                                            /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return usage("cannot read " + options.inputFile + ": " +
                 buffer.getError().message());
  SourceFile source(options.inputFile, (*buffer)->getBuffer().str());
  DiagnosticEngine diags(source);
  auto printDiags = [&] {
    std::string text;
    diags.print(text);
    llvm::errs() << text;
  };

  std::unique_ptr<ast::File> file = parseFile(source, diags);
  if (!file) {
    printDiags();
    return kProgramError;
  }
  if (options.emit == "ast" && !options.checkOnly && !options.printParams) {
    std::string text;
    ast::dump(*file, text);
    return writeText(options.outputFile, text) ? kOk : kUsageError;
  }
  std::unique_ptr<sema::Program> program = analyze(*file, diags, semaOptions);
  if (!program) {
    printDiags();
    return kProgramError;
  }
  if (options.checkOnly)
    return kOk;
  if (options.printParams)
    return writeText(options.outputFile, paramTable(*program)) ? kOk
                                                               : kUsageError;
  if (options.emit == "header")
    return writeText(options.outputFile, buildHeader(*program)) ? kOk
                                                                : kUsageError;
  if (!options.headerFile.empty() &&
      !writeText(options.headerFile, buildHeader(*program)))
    return kUsageError;

  mlir::DialectRegistry registry;
  registerPipelineDialects(registry);
  mlir::MLIRContext context(registry);
  auto module = importProgram(context, *program, options.inputFile);
  if (!module) {
    llvm::errs() << options.inputFile
                 << ": error: internal error: the imported IR does not "
                    "verify\n";
    return kProgramError;
  }
  for (const std::string &spec : options.specialize) {
    std::string error = specializeEntry(*module, spec);
    if (!error.empty())
      return usage(error);
  }
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
  auto runStage = [&](auto build) {
    mlir::PassManager pm(&context);
    if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
      return false;
    build(pm, pipeline);
    return runPipeline(*module, pm);
  };
  if (options.optLevel > 0 && !runStage(buildModOptPipeline))
    return kProgramError;
  if (options.emit == "opt")
    return printModule();
  if (!runStage(buildModToLinalgPipeline))
    return kProgramError;
  if (options.emit == "linalg")
    return printModule();

  // The kernels' parameter order, before the LLVM lowering drops it.
  std::vector<std::vector<std::string>> abiParams;
  for (const sema::EntrySpec &e : program->entries) {
    std::vector<std::string> names;
    auto fn = module->lookupSymbol(e.name);
    if (fn)
      if (auto attr = fn->getAttrOfType<mlir::ArrayAttr>("mod.abi_params"))
        for (mlir::Attribute a : attr)
          names.push_back(llvm::cast<mlir::StringAttr>(a).str());
    abiParams.push_back(std::move(names));
  }
  // Weights derived at load time (mod-fold-parameter-composition).
  std::vector<DerivedParamSpec> derived;
  if (auto list =
          (*module)->getAttrOfType<mlir::ArrayAttr>("mod.derived_params"))
    for (mlir::Attribute a : list) {
      auto dict = llvm::cast<mlir::DictionaryAttr>(a);
      DerivedParamSpec d;
      d.name = dict.getAs<mlir::StringAttr>("name").str();
      d.rows = dict.getAs<mlir::IntegerAttr>("rows").getInt();
      d.cols = dict.getAs<mlir::IntegerAttr>("cols").getInt();
      for (mlir::Attribute t : dict.getAs<mlir::ArrayAttr>("terms")) {
        auto term = llvm::cast<mlir::ArrayAttr>(t);
        DerivedParamSpec::Term dt;
        dt.scale = llvm::cast<mlir::FloatAttr>(term[0]).getValueAsDouble();
        dt.a = llvm::cast<mlir::StringAttr>(term[1]).str();
        if (term.size() > 2)
          dt.b = llvm::cast<mlir::StringAttr>(term[2]).str();
        d.terms.push_back(dt);
      }
      derived.push_back(std::move(d));
    }
  if (!runStage(buildLinalgToLLVMPipeline))
    return kProgramError;

  llvm::LLVMContext llvmContext;
  std::string error;
  auto llvmModule = translateToLLVMIR(*module, llvmContext, pipeline, error);
  if (!llvmModule ||
      !addLibraryInterface(*llvmModule, *program, abiParams, derived, error)) {
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
      out = options.emit == "asm" ? "-" : program->modelName + ".o";
    if (!emitMachineCode(*llvmModule, out, options.emit == "asm", pipeline,
                         error)) {
      llvm::errs() << "modc: error: " << error << "\n";
      return kUsageError;
    }
    return kOk;
  }

  if (options.stats)
    llvm::errs() << statsReport();
  std::string soPath = options.outputFile.empty()
                           ? "lib" + program->modelName + ".so"
                           : options.outputFile;
  llvm::SmallString<128> objPath;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("modc", "o", fd, objPath))
    return usage("cannot create a temporary file");
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  bool ok = emitMachineCode(*llvmModule, objPath.str().str(), false, pipeline,
                            error) &&
            linkSharedLibrary(objPath.str().str(), soPath, error);
  llvm::sys::fs::remove(objPath);
  if (!ok) {
    llvm::errs() << "modc: error: " << error << "\n";
    return kUsageError;
  }
  return kOk;
}

} // namespace modc
