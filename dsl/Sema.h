//===- Sema.h - Semantic analysis of .mod files ------------------*- C++
//-*-===//
//
// Resolves names, instantiates module templates, checks element types and
// symbolic shapes, and elaborates the AST into a Program (Program.h).
//
//===----------------------------------------------------------------------===//

#ifndef MODC_DSL_SEMA_H
#define MODC_DSL_SEMA_H

#include "dsl/AST.h"
#include "dsl/Program.h"
#include "dsl/Source.h"

#include <map>
#include <memory>
#include <string>

namespace modc {

struct SemaOptions {
  /// `-D NAME=VALUE`: replaces the value of `dim NAME`.
  std::map<std::string, int64_t> dimOverrides;
};

/// Checks `file`; returns null if any error was reported to `diags`.
std::unique_ptr<sema::Program> analyze(const ast::File &file,
                                       DiagnosticEngine &diags,
                                       const SemaOptions &options = {});

} // namespace modc

#endif // MODC_DSL_SEMA_H
