//===- Source.h - Source files, locations and diagnostics -------*- C++ -*-===//
//
// A located diagnostic is the user interface of the front end: every error is
// printed as `FILE:LINE:COL: error: message`, the source line and a caret,
// followed by `note:` lines pointing at related places (LANGUAGE.md §9).
//
//===----------------------------------------------------------------------===//

#ifndef MODC_DSL_SOURCE_H
#define MODC_DSL_SOURCE_H

#include <cstdint>
#include <string>
#include <vector>

namespace modc {

/// 1-based line and column (in bytes); line 0 means "no location".
struct SourceLoc {
  uint32_t line = 0;
  uint32_t col = 0;
};

/// The text of one `.mod` file, with a byte-order mark removed.
class SourceFile {
public:
  SourceFile(std::string name, std::string text);
  const std::string &name() const { return name_; }
  const std::string &text() const { return text_; }
  /// The text of 1-based line `line` without its line end.
  std::string lineText(uint32_t line) const;

private:
  std::string name_;
  std::string text_;
  std::vector<size_t> lineStarts_;
};

enum class Severity { Error, Note };

struct Diagnostic {
  Severity severity;
  SourceLoc loc;
  std::string message;
  std::vector<Diagnostic> notes;
};

/// Collects diagnostics for one file and prints them in source order.
class DiagnosticEngine {
public:
  explicit DiagnosticEngine(const SourceFile &file, unsigned errorLimit = 50)
      : file_(file), errorLimit_(errorLimit) {}

  /// Reports an error; returns it so that notes can be attached. An error
  /// identical to one already reported (a template instantiated twice) is
  /// dropped: the returned diagnostic is then a scratch one.
  Diagnostic &error(SourceLoc loc, std::string message);
  static void note(Diagnostic &diag, SourceLoc loc, std::string message);
  /// Adds a note to every error reported since `numDiagnostics()` was
  /// `first` (the instantiation stack of a template's errors).
  void noteSince(size_t first, SourceLoc loc, const std::string &message);
  size_t numDiagnostics() const { return diags_.size(); }

  bool hasErrors() const { return numErrors_ > 0; }
  unsigned numErrors() const { return numErrors_; }
  bool limitReached() const { return numErrors_ >= errorLimit_; }
  const std::vector<Diagnostic> &diagnostics() const { return diags_; }

  /// Every diagnostic sorted by location (stable for equal ones): the
  /// order `print` uses.
  std::vector<const Diagnostic *> inOrder() const;
  /// Prints every diagnostic sorted by location (stable for equal ones).
  void print(std::string &out) const;

private:
  void format(const Diagnostic &d, std::string &out) const;

  const SourceFile &file_;
  unsigned errorLimit_;
  unsigned numErrors_ = 0;
  std::vector<Diagnostic> diags_;
  Diagnostic overflow_;
};

/// Checks the raw bytes of a source file: valid UTF-8, no NUL outside
/// comments. Reports the first problem and returns false.
bool validateEncoding(const SourceFile &file, DiagnosticEngine &diags);

} // namespace modc

#endif // MODC_DSL_SOURCE_H
