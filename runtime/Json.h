//===- Json.h - A small bounded JSON parser ---------------------*- C++ -*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// Parses the JSON header of a safetensors file. The input is untrusted, so
/// the parser is strict (RFC 8259 syntax, valid UTF-8 in strings), bounded
/// (nesting depth, number of values) and allocation-checked. Duplicate object
/// keys are kept in order; callers decide whether they are an error. Numbers
/// must be integers that fit in int64_t: safetensors headers hold nothing else,
/// and rejecting fractions avoids locale-dependent float parsing.
///
/// The document is a flat array of nodes in pre-order; containers link their
/// children through sibling indices, and strings are decoded (escapes
/// resolved) into one buffer.
///
//===----------------------------------------------------------------------===//

#ifndef MODRT_JSON_H
#define MODRT_JSON_H

#include "Support.h"

#include <cstdint>
#include <string_view>

namespace modrt {
namespace json {

enum class Kind : uint8_t { Null, Bool, Integer, String, Array, Object };

/// One JSON value. Object members carry their key; the member order of the
/// text is kept.
struct Node {
  Kind K;
  bool Boolean;
  uint32_t NumChildren;
  uint32_t FirstChild;  // Index of the first element/member, or NoNode.
  uint32_t NextSibling; // Next element/member of the parent, or NoNode.
  uint32_t KeyOffset;   // Member key, in the string buffer.
  uint32_t KeyLength;
  uint32_t StringOffset; // String value, in the string buffer.
  uint32_t StringLength;
  int64_t Integer;
};

constexpr uint32_t NoNode = UINT32_MAX;

/// Bounds on the input a parse accepts.
struct Limits {
  uint32_t MaxDepth = 64;
  uint32_t MaxNodes = 4u << 20;
};

enum class Status { Ok, Malformed, NoMemory };

/// A parsed document.
class Document {
public:
  /// Parses Text (exactly one value, surrounded by optional whitespace).
  Status parse(const char *Text, size_t Length, const Limits &L = Limits());

  /// After a failed parse: what went wrong and at which byte.
  const char *errorMessage() const { return Error; }
  size_t errorOffset() const { return ErrorOffset; }

  const Node &root() const { return Nodes[0]; }
  const Node &node(uint32_t Index) const { return Nodes[Index]; }
  std::string_view key(const Node &N) const {
    return std::string_view(Strings.chars() + N.KeyOffset, N.KeyLength);
  }
  std::string_view string(const Node &N) const {
    return std::string_view(Strings.chars() + N.StringOffset, N.StringLength);
  }

private:
  friend class Parser;
  Vec<Node> Nodes;
  MallocBuffer Strings;
  const char *Error = "";
  size_t ErrorOffset = 0;
};

} // namespace json
} // namespace modrt

#endif // MODRT_JSON_H
