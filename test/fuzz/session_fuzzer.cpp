//===- session_fuzzer.cpp - libFuzzer target for the in-process compiler --===//
//
// Arbitrary bytes through the C API a program-induction loop calls
// (modc/modc.h, INTERFACE.md §5): modc_check on every input, modc_compile
// on those that check, in one session reused across inputs. Nothing may
// crash, abort, leak or hang, and the session must stay usable: after each
// input it still checks and compiles a known program. Built in the ASan
// build (`make fuzz-session`), with the front end instrumented for
// coverage.
//
// The first byte chooses the options (optimisation level, a -D override, a
// bad option), the rest is the source.
//
//===----------------------------------------------------------------------===//

#include "modc/modc.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

const char *const kOptions[] = {"-O0",     "-O1",         "-O2", "-D D=3",
                                "-O2 -D N=2", "--target=cpu", "-O9", "--bogus"};

const char kKnown[] = "model k;\ndyn N;\n"
                      "entry f(x: f32[N, 2]) -> f32[N, 2] { return x * 2.0; }\n";

void die(const char *what) {
  std::fprintf(stderr, "session_fuzzer: %s\n", what);
  std::abort();
}

/// Every diagnostic is readable, and an error status has at least one.
void readDiagnostics(modc_session *s, int status) {
  size_t n = modc_diagnostic_count(s);
  int errors = 0;
  for (size_t i = 0; i < n; ++i) {
    int line = -1, col = -1, isError = -1;
    const char *m = modc_diagnostic(s, i, &line, &col, &isError);
    if (!m || line < 0 || col < 0 || (isError != 0 && isError != 1))
      die("a diagnostic is missing or malformed");
    errors += isError;
  }
  if (status != 0 && errors == 0)
    die("a failure without an error diagnostic");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static modc_session *session = modc_session_create();
  if (!session)
    die("modc_session_create failed");
  if (size == 0)
    return 0;
  const char *options = kOptions[data[0] % (sizeof(kOptions) / sizeof(*kOptions))];
  const char *src = reinterpret_cast<const char *>(data + 1);
  size_t len = size - 1;

  int status = modc_check(session, src, len, "fuzz.mod", options);
  if (status < 0 || status > 2)
    die("modc_check returned an unknown status");
  readDiagnostics(session, status);
  // Compiling is ~1000 times slower than checking: only programs that
  // check, and not too large ones.
  if (status == 0 && len < 4096) {
    modc_library *lib = nullptr;
    int rc = modc_compile(session, src, len, "fuzz.mod", options, &lib);
    if (rc < 0 || rc > 2 || (rc == 0) != (lib != nullptr))
      die("modc_compile returned an inconsistent status");
    readDiagnostics(session, rc);
    if (lib && !modc_library_path(lib))
      die("a compiled library without a path");
    modc_library_release(lib);
  }

  // The session is still usable.
  if (modc_check(session, kKnown, sizeof(kKnown) - 1, "known.mod", "") != 0 ||
      modc_diagnostic_count(session) != 0)
    die("the session no longer checks a valid program");
  return 0;
}
