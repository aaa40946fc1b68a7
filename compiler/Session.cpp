//===- Session.cpp - The compiler as a library ----------------------------===//

#include "compiler/Session.h"
#include "compiler/CodeGen.h"
#include "compiler/GpuCodeGen.h"

#include "compiler/Driver.h"
#include "compiler/Library.h"
#include "compiler/Pipeline.h"
#include "dsl/Parse.h"
#include "dsl/Sema.h"
#include "import/Import.h"
#include "ir/Stats.h"
#include "transforms/Passes.h"

#include "dialects/Mod/ModModel.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <mutex>
#include <pthread.h>
#include <unistd.h>

namespace modc {

namespace {

/// Starts `body(arg)` on a thread with the compiler's stack; "" or why not
/// (an address-space limit can refuse 256 MiB: an error, not an abort).
std::string startCompilerThread(pthread_t &thread, void *(*body)(void *),
                                void *arg) {
  pthread_attr_t attr;
  int rc = pthread_attr_init(&attr);
  if (rc == 0) {
    rc = pthread_attr_setstacksize(&attr, kCompilerStackBytes);
    if (rc == 0)
      rc = pthread_create(&thread, &attr, body, arg);
    pthread_attr_destroy(&attr);
  }
  if (rc == 0)
    return "";
  return "cannot start the compiler's thread (" +
         std::to_string(kCompilerStackBytes >> 20) +
         " MiB of stack): " + std::strerror(rc);
}

} // namespace

std::string runOnCompilerStack(llvm::function_ref<void()> work) {
  pthread_t thread;
  auto body = [](void *arg) -> void * {
    (*static_cast<llvm::function_ref<void()> *>(arg))();
    return nullptr;
  };
  std::string error = startCompilerThread(thread, body, &work);
  if (error.empty())
    pthread_join(thread, nullptr);
  return error;
}

/// A session's own thread with the compiler's stack, kept for the session's
/// life: starting one per call (mapping and unmapping 256 MiB) would cost
/// more than checking a small program.
class CompilerThread {
public:
  CompilerThread() : owner_(::getpid()) {
    error_ = startCompilerThread(
        thread_,
        [](void *self) -> void * {
          static_cast<CompilerThread *>(self)->loop();
          return nullptr;
        },
        this);
  }
  ~CompilerThread() {
    if (!error_.empty())
      return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    pthread_join(thread_, nullptr);
  }

  /// "" if the thread runs, else why it could not start.
  const std::string &error() const { return error_; }
  /// The process that started the thread: a fork's child has no thread.
  pid_t owner() const { return owner_; }

  /// Runs `work` on the thread and waits for it.
  void run(llvm::function_ref<void()> work) {
    std::unique_lock<std::mutex> lock(mutex_);
    task_ = &work;
    wake_.notify_all();
    finished_.wait(lock, [&] { return task_ == nullptr; });
  }

private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || task_ != nullptr; });
      if (stop_)
        return;
      lock.unlock();
      (*task_)();
      lock.lock();
      task_ = nullptr;
      finished_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  const llvm::function_ref<void()> *task_ = nullptr;
  bool stop_ = false;
  pid_t owner_;
  std::string error_;
  pthread_t thread_{};
};

std::string targetError(llvm::StringRef target) {
  if (target == "cpu")
    return "";
  if (target == "cuda")
    return "";
  return "unknown --target '" + target.str() + "' (expected cpu or cuda)";
}

bool parseDefine(llvm::StringRef text, std::string &name, int64_t &value) {
  auto [n, v] = text.split('=');
  if (n.empty() || v.empty() || !text.contains('='))
    return false;
  std::string digits = v.str();
  char *end = nullptr;
  errno = 0;
  long long parsed = std::strtoll(digits.c_str(), &end, 10);
  if (*end != '\0' || errno != 0 || parsed < 0 || parsed > (1LL << 62) ||
      !std::isdigit(static_cast<unsigned char>(digits[0])))
    return false;
  name = n.str();
  value = parsed;
  return true;
}

bool CompileOptions::parse(llvm::StringRef text, CompileOptions &out,
                           std::string &error) {
  llvm::SmallVector<llvm::StringRef> tokens;
  llvm::SplitString(text, tokens); // on any whitespace
  CompileOptions o;
  auto valueOf = [&](size_t &i, llvm::StringRef flag,
                     llvm::StringRef &value) -> bool {
    llvm::StringRef t = tokens[i];
    if (t.consume_front(flag)) {
      if (t.consume_front("="))
        value = t;
      else if (t.empty() && i + 1 < tokens.size())
        value = tokens[++i];
      else if (!t.empty() && flag == "-D")
        value = t;
      else
        return false;
      return !value.empty();
    }
    return false;
  };
  for (size_t i = 0; i < tokens.size(); ++i) {
    llvm::StringRef t = tokens[i], value;
    if (t.starts_with("-O")) {
      llvm::StringRef level = t.drop_front(2);
      unsigned n;
      if (level.size() != 1 || level.getAsInteger(10, n) || n > 3) {
        error = "optimisation level '" + t.str() +
                "' does not exist (use -O0 to -O3)";
        return false;
      }
      o.optLevel = n;
    } else if (t.starts_with("-D")) {
      std::string name;
      int64_t v;
      if (!valueOf(i, "-D", value) || !parseDefine(value, name, v)) {
        // The definition itself ("-D D=abc" names D=abc, not -D).
        error = "-D expects NAME=VALUE with a non-negative integer value, "
                "got '" +
                (value.empty() ? t.str() : value.str()) + "'";
        return false;
      }
      if (!o.defines.emplace(name, v).second) {
        error = "-D " + name + " is given twice";
        return false;
      }
    } else if (t.starts_with("--target")) {
      if (!valueOf(i, "--target", value)) {
        error = "--target expects cpu or cuda";
        return false;
      }
      o.target = value.str();
    } else if (t == "--gpu-tf32") {
      // Accepted as modc accepts it: no TF32 kernels yet (docs/gpu.md).
    } else if (t.starts_with("--gpu-arch")) {
      if (!valueOf(i, "--gpu-arch", value)) {
        error = "--gpu-arch expects sm_80 or sm_90";
        return false;
      }
      o.gpuArch = value.str();
    } else if (t.starts_with("--mcpu") || t.starts_with("-mcpu")) {
      if (!valueOf(i, t.starts_with("--") ? "--mcpu" : "-mcpu", value)) {
        error = "--mcpu expects a CPU name";
        return false;
      }
      o.mcpu = value.str();
    } else if (t.starts_with("--specialize")) {
      if (!valueOf(i, "--specialize", value)) {
        error = "--specialize expects ENTRY.ARG=VALUE";
        return false;
      }
      o.specialize.push_back(value.str());
    } else {
      error = "unknown option '" + t.str() +
              "' (expected -O<n>, -D NAME=VALUE, --target=, --gpu-arch=, "
              "--gpu-tf32, "
              "--mcpu=, --specialize=)";
      return false;
    }
  }
  error = targetError(o.target);
  if (error.empty())
    error = gpuArchError(o.gpuArch);
  if (error.empty())
    error = mcpuError(o.mcpu);
  if (!error.empty())
    return false;
  out = std::move(o);
  return true;
}

std::string CompileOptions::key() const {
  std::string k = "-O" + std::to_string(optLevel) + " --target=" + target +
                  " --mcpu=" + mcpu + " --gpu-arch=" + gpuArch;
  for (const auto &[name, value] : defines)
    k += " -D" + name + "=" + std::to_string(value);
  for (const std::string &s : specialize)
    k += " --specialize=" + s;
  return k;
}

CompiledLibrary::~CompiledLibrary() {
  if (handle_)
    dlclose(handle_);
  if (!path_.empty())
    llvm::sys::fs::remove(path_);
  if (!dir_.empty())
    llvm::sys::fs::remove(dir_);
}

void *CompiledLibrary::symbol(const char *name) const {
  if (!handle_ || !name)
    return nullptr;
  // dlsym also searches the library's dependencies (libc's malloc): only
  // a symbol the library itself defines is one of its exports.
  void *address = dlsym(handle_, name);
  Dl_info info;
  struct link_map *map = nullptr;
  if (!address || !dladdr(address, &info) ||
      dlinfo(handle_, RTLD_DI_LINKMAP, &map) != 0 || !map || !info.dli_fname ||
      std::strcmp(info.dli_fname, map->l_name) != 0)
    return nullptr;
  return address;
}

bool CompiledLibrary::write(const std::string &path, std::string &error) const {
  namespace fs = llvm::sys::fs;
  auto fail = [&](std::error_code ec) {
    error = "cannot write " + path + ": " + ec.message();
    return false;
  };
  // A link is followed: its target is replaced.
  llvm::SmallString<256> target(path);
  if (fs::is_symlink_file(path)) {
    llvm::SmallString<256> real;
    if (!fs::real_path(path, real))
      target = real;
  }
  if (fs::equivalent(target, path_))
    return true; // the file is this library already
  // A device or a FIFO is written into.
  fs::file_status st;
  if (!fs::status(target, st) && fs::exists(st) && !fs::is_regular_file(st)) {
    if (std::error_code ec = fs::copy_file(path_, target))
      return fail(ec);
    return true;
  }
  // Otherwise a new file takes the name, as `modc -o` does: a process that
  // has the old file loaded keeps its pages (overwritten in place, they
  // change under it: SIGBUS).
  llvm::SmallString<256> tmp;
  int fd = -1;
  if (std::error_code ec =
          fs::createUniqueFile(target + ".tmp-%%%%%%%%", fd, tmp, fs::OF_None,
                               0777 & ~fs::getUmask()))
    return fail(ec);
  std::error_code ec = fs::copy_file(path_, fd);
  if (::close(fd) != 0 && !ec)
    ec = std::error_code(errno, std::generic_category());
  if (!ec)
    ec = fs::rename(tmp, target);
  if (ec) {
    fs::remove(tmp);
    return fail(ec);
  }
  return true;
}

Session::Session(size_t cacheBytes) : cacheLimit_(cacheBytes) {
  mlir::DialectRegistry registry;
  registerPipelineDialects(registry);
  context_ = std::make_unique<mlir::MLIRContext>(registry);
  // One compilation at a time per session: no worker threads of its own.
  context_->disableMultithreading();
}

/// One front-end run: the source and what the front end said of it.
struct FrontEnd {
  FrontEnd(const std::string &filename, llvm::StringRef source)
      : file(filename, source.str()), diags(file) {}
  SourceFile file;
  DiagnosticEngine diags;
};

Session::~Session() { resetStats(context_.get()); }

void Session::report(SessionDiagnostic d) {
  diagnostics_.push_back(std::move(d));
}

Session::Status Session::fail(Status status, const std::string &file,
                              const std::string &message) {
  report({file, 0, 0, true, message});
  return status;
}

std::string Session::diagnosticText() const {
  std::string text;
  if (frontEnd_)
    frontEnd_->diags.print(text);
  for (size_t i = frontEndCount_; i < diagnostics_.size(); ++i) {
    const SessionDiagnostic &d = diagnostics_[i];
    text += d.file;
    if (d.line > 0)
      text += ":" + std::to_string(d.line) + ":" + std::to_string(d.col);
    text += d.isError ? ": error: " : ": note: ";
    text += d.message + "\n";
  }
  return text;
}

bool Session::run(llvm::function_ref<void()> work) {
  if (settings_.onCallerThread) {
    work();
    return true;
  }
  if (!threadError().empty()) {
    report({"modc", 0, 0, true, threadError()});
    return false;
  }
  worker_->run(work);
  return true;
}

const std::string &Session::threadError() {
  // Started on first use; in a fork's child the thread is gone (only the
  // forking thread is copied): start another, leaving the parent's copy.
  if (worker_ && worker_->owner() != ::getpid())
    (void)worker_.release();
  if (!worker_ || !worker_->error().empty())
    worker_ = std::make_unique<CompilerThread>();
  return worker_->error();
}

void Session::clearResults() {
  diagnostics_.clear();
  frontEnd_.reset();
  frontEndCount_ = 0;
  statistics_.clear();
}

namespace {

/// The front end's diagnostics in the command line's order.
void collect(const DiagnosticEngine &diags, const std::string &file,
             std::vector<SessionDiagnostic> &out) {
  auto add = [&](const Diagnostic &d) {
    out.push_back({file, int(d.loc.line), int(d.loc.col),
                   d.severity == Severity::Error, d.message});
  };
  for (const Diagnostic *d : diags.inOrder()) {
    add(*d);
    for (const Diagnostic &n : d->notes)
      add(n);
  }
  if (diags.limitReached())
    out.push_back({file, 0, 0, false,
                   "too many errors, stopping after " +
                       std::to_string(diags.numErrors())});
}

struct Checked {
  std::unique_ptr<ast::File> file;
  std::unique_ptr<sema::Program> program;
};

Checked checkSource(FrontEnd &fe, const CompileOptions &options,
                    std::vector<SessionDiagnostic> &out) {
  SemaOptions semaOptions;
  for (const auto &[name, value] : options.defines)
    semaOptions.dimOverrides[name] = value;
  Checked c;
  c.file = parseFile(fe.file, fe.diags);
  if (c.file)
    c.program = analyze(*c.file, fe.diags, semaOptions);
  collect(fe.diags, fe.file.name(), out);
  return c;
}

} // namespace

Session::Status Session::check(llvm::StringRef source, llvm::StringRef filename,
                               llvm::StringRef options) {
  clearResults();
  CompileOptions parsed;
  std::string error;
  if (!CompileOptions::parse(options, parsed, error))
    return fail(UsageError, "modc", error);
  return check(source, filename, parsed);
}

Session::Status Session::check(llvm::StringRef source, llvm::StringRef filename,
                               const CompileOptions &options) {
  clearResults();
  Status status = ProgramError;
  if (!run([&] {
        frontEnd_ = std::make_unique<FrontEnd>(filename.str(), source);
        Checked c = checkSource(*frontEnd_, options, diagnostics_);
        frontEndCount_ = diagnostics_.size();
        if (!c.program)
          return;
        status = Ok;
        // --specialize names entries and arguments of the program and
        // values they must hold: checked as a compile checks them (on the
        // imported IR, only when given).
        mlir::OwningOpRef<mlir::ModuleOp> module;
        if (!options.specialize.empty())
          status =
              importSpecialized(*c.program, filename.str(), options, module);
      }))
    return UsageError;
  return status;
}

Session::Status Session::importSpecialized(
    const sema::Program &program, const std::string &filename,
    const CompileOptions &options, mlir::OwningOpRef<mlir::ModuleOp> &module) {
  module = importProgram(*context_, program, filename);
  if (!module)
    return fail(ProgramError, filename,
                "internal error: the imported IR does not verify");
  if (std::string error = specializeEntries(*module, options.specialize);
      !error.empty())
    return fail(UsageError, "modc", error);
  return Ok;
}

Session::Status Session::writeLibrary(llvm::StringRef source,
                                      llvm::StringRef filename,
                                      const CompileOptions &options,
                                      const std::string &path,
                                      const std::string &headerPath) {
  clearResults();
  std::shared_ptr<CompiledLibrary> none;
  Output output{path, headerPath};
  return runBuild(source, filename, options, none, &output);
}

Session::Status Session::runBuild(llvm::StringRef source,
                                  llvm::StringRef filename,
                                  const CompileOptions &options,
                                  std::shared_ptr<CompiledLibrary> &out,
                                  const Output *output) {
  Status status = UsageError;
  run([&] {
    resetStats(context_.get());
    status = build(source, filename.str(), options, out, output);
    statistics_ = statsReport(context_.get());
  });
  return status;
}

Session::Status Session::compile(llvm::StringRef source,
                                 llvm::StringRef filename,
                                 llvm::StringRef options,
                                 std::shared_ptr<CompiledLibrary> &out) {
  clearResults();
  out.reset();
  CompileOptions parsed;
  std::string error;
  if (!CompileOptions::parse(options, parsed, error))
    return fail(UsageError, "modc", error);
  llvm::SHA256 hash;
  std::string optionKey = parsed.key();
  for (llvm::StringRef part : {llvm::StringRef(MODC_VERSION), filename,
                               llvm::StringRef(optionKey), source}) {
    std::string length = std::to_string(part.size()) + ":";
    hash.update(length);
    hash.update(part);
  }
  std::array<uint8_t, 32> digest = hash.final();
  std::string key(digest.begin(), digest.end());
  if (auto it = cache_.find(key); it != cache_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    out = it->second->second;
    ++cacheHits_;
    return Ok;
  }
  Status status = runBuild(source, filename, parsed, out, nullptr);
  if (status == Ok)
    remember(key, out);
  return status;
}

void Session::remember(const std::string &key,
                       std::shared_ptr<CompiledLibrary> lib) {
  if (lib->size() > cacheLimit_)
    return;
  lru_.emplace_front(key, lib);
  cache_[key] = lru_.begin();
  cacheSize_ += lib->size();
  while (cacheSize_ > cacheLimit_ && !lru_.empty()) {
    cacheSize_ -= lru_.back().second->size();
    cache_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

Session::Status Session::build(llvm::StringRef source,
                               const std::string &filename,
                               const CompileOptions &options,
                               std::shared_ptr<CompiledLibrary> &out,
                               const Output *output) {
  PipelineOptions pipeline;
  pipeline.optLevel = options.optLevel;
  pipeline.mcpu = options.mcpu;
  pipeline.timing = settings_.timing;
  pipeline.verifyEach = settings_.verifyEach;
  pipeline.gpuMappedOnHost = settings_.gpuMappedOnHost;
  pipeline.target = options.target;
  pipeline.gpuArch = options.gpuArch;
  pipeline.commandLinePassOptions = settings_.commandLinePassOptions;
  mlir::TimingScope frontEndTimer = nestTimer(pipeline, "Front end and import");
  frontEnd_ = std::make_unique<FrontEnd>(filename, source);
  Checked c = checkSource(*frontEnd_, options, diagnostics_);
  frontEndCount_ = diagnostics_.size();
  if (!c.program)
    return ProgramError;

  // Errors of the passes and of import, located where the IR says.
  mlir::ScopedDiagnosticHandler handler(
      context_.get(), [&](mlir::Diagnostic &d) {
        SessionDiagnostic sd{filename, 0, 0,
                             d.getSeverity() == mlir::DiagnosticSeverity::Error,
                             d.str()};
        if (auto loc =
                d.getLocation()->findInstanceOf<mlir::FileLineColLoc>()) {
          sd.file = loc.getFilename().str();
          sd.line = int(loc.getLine());
          sd.col = int(loc.getColumn());
        }
        report(std::move(sd));
        return mlir::success();
      });
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (Status s = importSpecialized(*c.program, filename, options, module);
      s != Ok)
    return s;
  // The header is taken from the imported IR (specialisation changes no
  // signature) and written once the library is: a failed compile leaves an
  // existing header as it was.
  std::string headerText;
  if (output && !output->headerPath.empty())
    headerText = buildHeader(*module, options.target == "cuda");
  frontEndTimer.stop();
  std::string modelName = mlir::mod::getModelName(*module).str();

  if (!lowerModule(*module, pipeline))
    return ProgramError;
  llvm::LLVMContext llvmContext;
  std::string error;
  auto llvmModule = translateToLLVMIR(*module, llvmContext, pipeline, error);
  if (!llvmModule)
    return fail(ProgramError, filename, error);

  if (output) {
    std::string path =
        output->path.empty() ? "lib" + modelName + ".so" : output->path;
    // The default name is the input's own (a source named libNAME.so).
    if (output->path.empty() && llvm::sys::fs::equivalent(path, filename))
      return fail(UsageError, "modc",
                  "the output " + path + " is the input file (use -o)");
    if (!buildSharedLibrary(*llvmModule, pipeline, path, error))
      return fail(UsageError, "modc", error);
    if (!output->headerPath.empty())
      if (std::string error = writeFile(output->headerPath, headerText);
          !error.empty())
        return fail(UsageError, "modc", error);
    return Ok;
  }

  std::shared_ptr<CompiledLibrary> lib(new CompiledLibrary());
  llvm::SmallString<128> dir;
  if (llvm::sys::fs::createUniqueDirectory("modc-session", dir))
    return fail(UsageError, "modc", "cannot create a temporary directory");
  lib->dir_ = dir.str().str();
  llvm::SmallString<128> library(dir);
  llvm::sys::path::append(library, "model.so");
  if (!buildSharedLibrary(*llvmModule, pipeline, library.str().str(), error))
    return fail(UsageError, "modc", error);
  lib->path_ = library.str().str();
  uint64_t size = 0;
  llvm::sys::fs::file_size(lib->path_, size);
  lib->size_ = size_t(size);
  lib->handle_ = dlopen(lib->path_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib->handle_) {
    const char *why = dlerror();
    return fail(UsageError, "modc",
                std::string("cannot load the compiled library: ") +
                    (why ? why : "unknown error"));
  }
  out = std::move(lib);
  return Ok;
}

} // namespace modc
