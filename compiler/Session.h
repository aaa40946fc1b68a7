//===- Session.h - The compiler as a library ---------------------*- C++
//-*-===//
//
// One Session per thread: source text in, structured diagnostics out, a
// compiled model out, with an MLIR context reused across compilations and a
// cache of compiled libraries keyed by content (source, file name, options,
// compiler version). What program-induction experiments call instead of one
// process per candidate (INTERFACE.md §5); the C API (include/modc/modc.h)
// and the Python package `modc` wrap it. Sessions share nothing mutable:
// two of them on two threads behave as one after the other.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_COMPILER_SESSION_H
#define MODC_COMPILER_SESSION_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
class ModuleOp;
class TimingScope;
template <typename OpTy> class OwningOpRef;
} // namespace mlir

namespace modc {

class CompilerThread;
struct FrontEnd;
namespace sema {
struct Program;
} // namespace sema

/// One diagnostic of the last check or compile, in the order the command
/// line prints them (an error, then its notes).
struct SessionDiagnostic {
  std::string file;
  int line = 0; ///< 0: no location
  int col = 0;
  bool isError = true;
  std::string message;
};

/// The stack the front end, import and the pipelines run on: deep but
/// legal programs (a sum of ~2,000 terms, 2,000 nesting levels) need more
/// than a caller's thread may have (512 KiB-8 MiB), so they run on a thread
/// of this stack size (reserved, committed only as used).
constexpr unsigned kCompilerStackBytes = 256u << 20;

/// Runs `work` on a thread with kCompilerStackBytes of stack and waits;
/// "" or, without running it, why no such thread could start.
std::string runOnCompilerStack(llvm::function_ref<void()> work);

/// "" for a --target this build compiles for, else the message.
std::string targetError(llvm::StringRef target);

/// `NAME=VALUE` with a non-negative integer VALUE (at most 2^62), as -D takes.
bool parseDefine(llvm::StringRef text, std::string &name, int64_t &value);

/// The options of one compilation, in the command line's syntax.
struct CompileOptions {
  unsigned optLevel = 2;
  std::map<std::string, int64_t> defines;
  std::string target = "cpu";
  std::string mcpu = "native";
  std::vector<std::string> specialize;
  /// The GPU of --target=cuda (sm_80 or sm_90).
  std::string gpuArch = "sm_90";

  /// `-O2 -D D=64 --target=cpu --mcpu=native --specialize E.A=V
  /// --gpu-arch=sm_90`; false
  /// with a message on an unknown or malformed option.
  static bool parse(llvm::StringRef text, CompileOptions &out,
                    std::string &error);
  /// A canonical spelling (the cache key's part).
  std::string key() const;
};

/// A compiled model: the shared library's bytes, loaded into this process.
class CompiledLibrary {
public:
  ~CompiledLibrary();
  CompiledLibrary(const CompiledLibrary &) = delete;
  CompiledLibrary &operator=(const CompiledLibrary &) = delete;

  /// The address of exported symbol `name` (e.g. "lora_create"), or null.
  void *symbol(const char *name) const;
  /// Writes the same `.so` as `modc -o path`.
  bool write(const std::string &path, std::string &error) const;
  /// The loaded file (a private temporary, removed with the library).
  const std::string &path() const { return path_; }
  size_t size() const { return size_; }

private:
  friend class Session;
  CompiledLibrary() = default;
  std::string path_;
  std::string dir_;
  size_t size_ = 0;
  void *handle_ = nullptr;
};

/// What the command line adds to a session's compilations; none of it
/// changes the library (nor the cache key).
struct DriverSettings {
  /// `--mlir-timing`: the phases time under this scope.
  mlir::TimingScope *timing = nullptr;
  /// `--verify-each`.
  bool verifyEach = false;
  /// MLIR's `--mlir-*` pass-manager options of the command line apply.
  bool commandLinePassOptions = false;
  /// Run on the calling thread (which must have kCompilerStackBytes of
  /// stack, as modc's driver thread has) instead of the session's own.
  bool onCallerThread = false;
  /// `--gpu-mapped-on-host` (PipelineOptions::gpuMappedOnHost).
  bool gpuMappedOnHost = false;
};

class Session {
public:
  /// `cacheBytes` bounds the total size of the cached libraries (least
  /// recently used ones are dropped first; 0 disables the cache).
  explicit Session(size_t cacheBytes = 64u << 20);
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  enum Status { Ok = 0, ProgramError = 1, UsageError = 2 };

  /// "" if the session's compiler thread runs (starting it if needed),
  /// else why it cannot start (then every call fails with UsageError).
  const std::string &threadError();

  /// Parses and checks `source`; the diagnostics replace the last ones.
  Status check(llvm::StringRef source, llvm::StringRef filename,
               llvm::StringRef options);
  /// Compiles `source` to a loaded library (`out`), from the cache when the
  /// same source, file name and options were compiled before.
  Status compile(llvm::StringRef source, llvm::StringRef filename,
                 llvm::StringRef options,
                 std::shared_ptr<CompiledLibrary> &out);

  /// Compiles `source` to the shared library `path` (empty: `libNAME.so`
  /// after the model's name, in the working directory), and the C header
  /// to `headerPath` if not empty: what `modc FILE.mod -o PATH` does. The
  /// library is neither loaded nor cached.
  Status writeLibrary(llvm::StringRef source, llvm::StringRef filename,
                      const CompileOptions &options, const std::string &path,
                      const std::string &headerPath);
  /// check() with options already parsed.
  Status check(llvm::StringRef source, llvm::StringRef filename,
               const CompileOptions &options);
  void setDriverSettings(const DriverSettings &settings) {
    settings_ = settings;
  }

  const std::vector<SessionDiagnostic> &diagnostics() const {
    return diagnostics_;
  }
  /// The same diagnostics as the command line prints them: the front end's
  /// with their source line and caret (LANGUAGE.md §9), the others as
  /// `FILE:LINE:COL: error: message` or `modc: error: message`. Rendered
  /// when asked, not on every check.
  std::string diagnosticText() const;
  /// What each pass did in the last compile that ran the pipeline (none
  /// for a check, a cache hit or an error before it): `PASS: NAME = N`
  /// lines, as `modc --stats` prints them. This session's alone: the
  /// counters are kept per MLIRContext (ir/Stats.h).
  const std::string &statistics() const { return statistics_; }
  /// Compilations answered from the cache, and libraries in it.
  uint64_t cacheHits() const { return cacheHits_; }
  size_t cachedLibraries() const { return cache_.size(); }

private:
  Status fail(Status status, const std::string &file,
              const std::string &message);
  /// `program` imported into `module` and its entries specialised as
  /// `options` say: Ok, or the failure reported.
  Status importSpecialized(const sema::Program &program,
                           const std::string &filename,
                           const CompileOptions &options,
                           mlir::OwningOpRef<mlir::ModuleOp> &module);
  /// A diagnostic of import, the passes, the link or the options.
  void report(SessionDiagnostic d);
  /// Where writeLibrary puts the library; null: loaded, for compile().
  struct Output {
    const std::string &path;
    const std::string &headerPath;
  };
  /// build() on the compiler's thread, with this session's statistics.
  Status runBuild(llvm::StringRef source, llvm::StringRef filename,
                  const CompileOptions &options,
                  std::shared_ptr<CompiledLibrary> &out, const Output *output);
  Status build(llvm::StringRef source, const std::string &filename,
               const CompileOptions &options,
               std::shared_ptr<CompiledLibrary> &out, const Output *output);
  /// Runs `work` on the session's thread (false, reported, if there is
  /// none).
  bool run(llvm::function_ref<void()> work);
  void clearResults();
  void remember(const std::string &key, std::shared_ptr<CompiledLibrary> lib);

  std::unique_ptr<CompilerThread> worker_;
  std::unique_ptr<mlir::MLIRContext> context_;
  DriverSettings settings_;
  std::vector<SessionDiagnostic> diagnostics_;
  /// The last front end run (its source and diagnostics), for
  /// diagnosticText(); its diagnostics are the first frontEndCount_.
  std::unique_ptr<FrontEnd> frontEnd_;
  size_t frontEndCount_ = 0;
  std::string statistics_;
  size_t cacheLimit_;
  size_t cacheSize_ = 0;
  uint64_t cacheHits_ = 0;
  /// Most recently used first.
  std::list<std::pair<std::string, std::shared_ptr<CompiledLibrary>>> lru_;
  std::map<std::string, decltype(lru_)::iterator> cache_;
};

} // namespace modc

#endif // MODC_COMPILER_SESSION_H
