//===- parse_check_fuzzer.cpp - libFuzzer target for the front end --------===//
//
// Feeds arbitrary bytes through everything `modc --check` does: parse, check,
// print the diagnostics. LANGUAGE.md §9: no input, however malformed, may
// crash the compiler or make it hang. Built by `make fuzz` (MODC_FUZZ=ON)
// with AddressSanitizer and UndefinedBehaviorSanitizer; a crash, a timeout or
// a leak is a bug in dsl/.
//
// It also parses every input a second time with full LL prediction: the
// fast two-stage parse must build the same AST (the grammar resolves its
// ambiguities by precedence, where SLL and LL could in principle differ).
//
//===----------------------------------------------------------------------===//

#include "dsl/Parse.h"
#include "dsl/Sema.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // ANTLR's caches grow with every new shape of input: without this, a long
  // run ends in libFuzzer's -rss_limit_mb, which is no bug of modc.
  static unsigned inputs = 0;
  if (++inputs % 1000 == 0)
    modc::releaseParserCaches();

  modc::SourceFile source(
      "fuzz.mod", std::string(reinterpret_cast<const char *>(data), size));
  modc::DiagnosticEngine diags(source);
  std::unique_ptr<modc::ast::File> file = modc::parseFile(source, diags);

  modc::DiagnosticEngine llDiags(source);
  std::unique_ptr<modc::ast::File> llFile =
      modc::parseFile(source, llDiags, modc::ParseStrategy::FullLL);
  std::string dump, llDump;
  if (file)
    modc::ast::dump(*file, dump);
  if (llFile)
    modc::ast::dump(*llFile, llDump);
  if (bool(file) != bool(llFile) || dump != llDump) {
    std::fprintf(stderr, "two-stage and full-LL parses differ:\n%s\n---\n%s\n",
                 dump.c_str(), llDump.c_str());
    std::abort();
  }

  if (file) {
    modc::SemaOptions options;
    std::unique_ptr<modc::sema::Program> program =
        modc::analyze(*file, diags, options);
    (void)program;
  }
  std::string text;
  diags.print(text);
  return 0;
}
