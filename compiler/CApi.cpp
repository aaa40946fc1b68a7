//===- CApi.cpp - The C API of the in-process compiler --------------------===//
//
// include/modc/modc.h over modc::Session. Every entry point checks its
// arguments (a null session, source or output pointer is code 2) and catches
// nothing: the compiler does not throw (ANTLR's exceptions stay in dsl/).
//
//===----------------------------------------------------------------------===//

#include "modc/modc.h"

#include "compiler/Driver.h"
#include "compiler/Session.h"
#include "vocab/Vocabulary.h"

#include <memory>
#include <mutex>
#include <new>
#include <string>

struct modc_session {
  modc::Session session;
  /// One call at a time: a session is for one thread (INTERFACE.md §5), and
  /// a second thread's call waits instead of corrupting the first's state.
  /// The diagnostics are those of the last call, read by its own thread.
  std::mutex busy;
};

struct modc_library {
  std::shared_ptr<modc::CompiledLibrary> library;
};

namespace {

llvm::StringRef text(const char *s, size_t len) {
  return s ? llvm::StringRef(s, len) : llvm::StringRef();
}

llvm::StringRef name(const char *filename) {
  return filename && *filename ? llvm::StringRef(filename)
                               : llvm::StringRef("input.mod");
}

} // namespace

extern "C" {

const char *modc_version(void) { return MODC_VERSION; }

modc_session *modc_session_create(void) {
  auto *session = new (std::nothrow) modc_session();
  // NULL where its compiler thread cannot start (an address-space limit).
  if (session && !session->session.threadError().empty()) {
    delete session;
    return nullptr;
  }
  return session;
}

void modc_session_destroy(modc_session *session) { delete session; }

int modc_check(modc_session *session, const char *src, size_t len,
               const char *filename, const char *options) {
  if (!session || (!src && len))
    return 2;
  std::lock_guard<std::mutex> lock(session->busy);
  return session->session.check(text(src, len), name(filename),
                                options ? options : "");
}

int modc_compile(modc_session *session, const char *src, size_t len,
                 const char *filename, const char *options,
                 modc_library **out) {
  if (!session || !out || (!src && len))
    return 2;
  *out = nullptr;
  std::lock_guard<std::mutex> lock(session->busy);
  std::shared_ptr<modc::CompiledLibrary> lib;
  int status = session->session.compile(text(src, len), name(filename),
                                        options ? options : "", lib);
  if (status == 0)
    *out = new modc_library{std::move(lib)};
  return status;
}

size_t modc_diagnostic_count(const modc_session *session) {
  return session ? session->session.diagnostics().size() : 0;
}

const char *modc_diagnostic(const modc_session *session, size_t i, int *line,
                            int *col, int *is_error) {
  if (!session || i >= session->session.diagnostics().size())
    return nullptr;
  const modc::SessionDiagnostic &d = session->session.diagnostics()[i];
  if (line)
    *line = d.line;
  if (col)
    *col = d.col;
  if (is_error)
    *is_error = d.isError ? 1 : 0;
  return d.message.c_str();
}

const char *modc_statistics(const modc_session *session) {
  return session ? session->session.statistics().c_str() : "";
}

void *modc_library_symbol(modc_library *library, const char *name) {
  return library ? library->library->symbol(name) : nullptr;
}

int modc_library_write(modc_library *library, const char *path) {
  if (!library || !path || !*path)
    return 2;
  std::string error;
  return library->library->write(path, error) ? 0 : 2;
}

const char *modc_library_path(modc_library *library) {
  return library ? library->library->path().c_str() : nullptr;
}

void modc_library_release(modc_library *library) { delete library; }

const char *modc_vocabulary_json(void) {
  static const std::string json = modc::vocab::toJson();
  return json.c_str();
}

} // extern "C"
