//===- Source.cpp - Source files, locations and diagnostics ---------------===//

#include "dsl/Source.h"

#include <algorithm>

namespace modc {

SourceFile::SourceFile(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  if (text_.size() >= 3 && text_.compare(0, 3, "\xEF\xBB\xBF") == 0)
    text_.erase(0, 3);
  lineStarts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n')
      lineStarts_.push_back(i + 1);
}

std::string SourceFile::lineText(uint32_t line) const {
  if (line == 0 || line > lineStarts_.size())
    return "";
  size_t begin = lineStarts_[line - 1];
  size_t end = text_.find('\n', begin);
  if (end == std::string::npos)
    end = text_.size();
  if (end > begin && text_[end - 1] == '\r')
    --end;
  return text_.substr(begin, end - begin);
}

Diagnostic &DiagnosticEngine::error(SourceLoc loc, std::string message) {
  if (numErrors_ >= errorLimit_) {
    overflow_ = Diagnostic{Severity::Error, loc, std::move(message), {}};
    return overflow_;
  }
  for (const Diagnostic &d : diags_) {
    if (d.loc.line == loc.line && d.loc.col == loc.col &&
        d.message == message) {
      overflow_ = Diagnostic{Severity::Error, loc, std::move(message), {}};
      return overflow_;
    }
  }
  ++numErrors_;
  diags_.push_back(Diagnostic{Severity::Error, loc, std::move(message), {}});
  return diags_.back();
}

void DiagnosticEngine::note(Diagnostic &diag, SourceLoc loc,
                            std::string message) {
  diag.notes.push_back(Diagnostic{Severity::Note, loc, std::move(message), {}});
}

void DiagnosticEngine::noteSince(size_t first, SourceLoc loc,
                                 const std::string &message) {
  for (size_t i = first; i < diags_.size(); ++i)
    note(diags_[i], loc, message);
}

void DiagnosticEngine::format(const Diagnostic &d, std::string &out) const {
  out += file_.name();
  if (d.loc.line != 0) {
    out += ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col);
  }
  out += d.severity == Severity::Error ? ": error: " : ": note: ";
  out += d.message;
  out += "\n";
  if (d.loc.line == 0)
    return;
  std::string line = file_.lineText(d.loc.line);
  // Keep the echo printable: control bytes would garble a terminal.
  for (char &c : line)
    if ((unsigned char)c < 0x20 && c != '\t')
      c = ' ';
  out += line + "\n";
  std::string caret;
  for (uint32_t i = 1; i < d.loc.col && i <= line.size(); ++i)
    caret += line[i - 1] == '\t' ? '\t' : ' ';
  out += caret + "^\n";
}

std::vector<const Diagnostic *> DiagnosticEngine::inOrder() const {
  std::vector<const Diagnostic *> sorted;
  for (const Diagnostic &d : diags_)
    sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Diagnostic *a, const Diagnostic *b) {
                     if (a->loc.line != b->loc.line)
                       return a->loc.line < b->loc.line;
                     return a->loc.col < b->loc.col;
                   });
  return sorted;
}

void DiagnosticEngine::print(std::string &out) const {
  for (const Diagnostic *d : inOrder()) {
    format(*d, out);
    for (const Diagnostic &n : d->notes)
      format(n, out);
  }
  if (numErrors_ >= errorLimit_)
    out += file_.name() + ": note: too many errors, stopping after " +
           std::to_string(errorLimit_) + "\n";
}

bool validateEncoding(const SourceFile &file, DiagnosticEngine &diags) {
  const std::string &s = file.text();
  uint32_t line = 1, col = 1;
  enum { Code, LineComment, BlockComment } state = Code;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    SourceLoc loc{line, col};
    size_t len = 1;
    if (c >= 0x80) {
      uint32_t cp;
      if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
      } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
      } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
      } else {
        diags.error(loc, "invalid UTF-8 byte in source");
        return false;
      }
      if (i + len > s.size()) {
        diags.error(loc, "truncated UTF-8 sequence in source");
        return false;
      }
      for (size_t k = 1; k < len; ++k) {
        unsigned char cc = s[i + k];
        if ((cc & 0xC0) != 0x80) {
          diags.error(loc, "invalid UTF-8 sequence in source");
          return false;
        }
        cp = (cp << 6) | (cc & 0x3F);
      }
      static const uint32_t minCp[5] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < minCp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        diags.error(loc, "invalid UTF-8 sequence in source");
        return false;
      }
    } else if (c == 0 && state == Code) {
      diags.error(loc, "NUL byte in source");
      return false;
    }
    // Track comments so that NUL bytes inside them are accepted.
    if (state == Code && c == '/' && i + 1 < s.size()) {
      if (s[i + 1] == '/')
        state = LineComment;
      else if (s[i + 1] == '*') {
        state = BlockComment;
        len = 2;
        col += 1;
      }
    } else if (state == LineComment && c == '\n') {
      state = Code;
    } else if (state == BlockComment && c == '*' && i + 1 < s.size() &&
               s[i + 1] == '/') {
      state = Code;
      len = 2;
      col += 1;
    }
    if (c == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
    i += len;
  }
  return true;
}

} // namespace modc
