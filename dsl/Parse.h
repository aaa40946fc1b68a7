//===- Parse.h - .mod source to AST -----------------------------*- C++ -*-===//
//
// The only entry point into the ANTLR-generated parser. ANTLR's runtime
// (exceptions, RTTI, its own types) stays behind this function.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_DSL_PARSE_H
#define MODC_DSL_PARSE_H

#include "dsl/AST.h"
#include "dsl/Source.h"

#include <memory>

namespace modc {

/// How the ANTLR parser predicts alternatives. TwoStage (fast SLL, then
/// full LL only for a file SLL cannot parse) is what modc uses; FullLL
/// exists so that tests and the fuzzer can check both give the same AST.
enum class ParseStrategy { TwoStage, FullLL };

/// Parses `file`. Syntax errors go to `diags`; the result is null if any
/// error was reported.
std::unique_ptr<ast::File>
parseFile(const SourceFile &file, DiagnosticEngine &diags,
          ParseStrategy strategy = ParseStrategy::TwoStage);

/// Frees ANTLR's prediction caches (DFA states, prediction contexts). They
/// are shared by every parse in the process and grow with each new shape of
/// input; a process that parses many different files (the fuzzer, a
/// program-induction loop) calls this between parses to bound its memory.
/// Parsing is slower until the caches are warm again. Not while another
/// thread parses.
void releaseParserCaches();

} // namespace modc

#endif // MODC_DSL_PARSE_H
