//===- Json.cpp - A small bounded JSON parser -----------------------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//

#include "Json.h"

namespace modrt {
namespace json {

/// Recursive-descent parser filling a Document. Recursion is bounded by
/// Limits::MaxDepth, so hostile nesting cannot exhaust the stack.
class Parser {
public:
  Parser(Document &D, const char *Text, size_t Length, const Limits &L)
      : D(D), Text(Text), Length(Length), L(L) {}

  Status run() {
    // Decoding only ever shrinks a string, so the input length bounds the
    // decoded bytes of all strings together.
    D.Strings.reset(std::malloc(Length + 1));
    if (!D.Strings.get())
      return noMemory();
    uint32_t Root;
    if (Status S = parseValue(0, Root); S != Status::Ok)
      return S;
    skipWhitespace();
    if (Pos != Length)
      return fail("unexpected characters after the value");
    return Status::Ok;
  }

private:
  Status fail(const char *Message) {
    D.Error = Message;
    D.ErrorOffset = Pos;
    return Status::Malformed;
  }

  Status noMemory() {
    D.Error = "out of memory";
    D.ErrorOffset = Pos;
    return Status::NoMemory;
  }

  void skipWhitespace() {
    while (Pos < Length && (Text[Pos] == ' ' || Text[Pos] == '\t' ||
                            Text[Pos] == '\n' || Text[Pos] == '\r'))
      ++Pos;
  }

  Status newNode(Kind K, uint32_t &Index) {
    if (D.Nodes.size() >= L.MaxNodes)
      return fail("too many values");
    Node N{};
    N.K = K;
    N.FirstChild = NoNode;
    N.NextSibling = NoNode;
    if (!D.Nodes.push(N))
      return noMemory();
    Index = static_cast<uint32_t>(D.Nodes.size() - 1);
    return Status::Ok;
  }

  Status parseValue(uint32_t Depth, uint32_t &Index) {
    skipWhitespace();
    if (Pos >= Length)
      return fail("unexpected end of input");
    char C = Text[Pos];
    if (C == '{' || C == '[')
      return parseContainer(Depth, Index);
    if (C == '"') {
      uint32_t Offset, Len;
      if (Status S = parseString(Offset, Len); S != Status::Ok)
        return S;
      if (Status S = newNode(Kind::String, Index); S != Status::Ok)
        return S;
      D.Nodes[Index].StringOffset = Offset;
      D.Nodes[Index].StringLength = Len;
      return Status::Ok;
    }
    if (C == '-' || (C >= '0' && C <= '9')) {
      int64_t Value;
      if (Status S = parseInteger(Value); S != Status::Ok)
        return S;
      if (Status S = newNode(Kind::Integer, Index); S != Status::Ok)
        return S;
      D.Nodes[Index].Integer = Value;
      return Status::Ok;
    }
    if (matchLiteral("true") || matchLiteral("false")) {
      if (Status S = newNode(Kind::Bool, Index); S != Status::Ok)
        return S;
      D.Nodes[Index].Boolean = C == 't';
      return Status::Ok;
    }
    if (matchLiteral("null"))
      return newNode(Kind::Null, Index);
    return fail("unexpected character");
  }

  bool matchLiteral(const char *Word) {
    size_t Len = std::strlen(Word);
    if (Length - Pos < Len || std::memcmp(Text + Pos, Word, Len) != 0)
      return false;
    Pos += Len;
    return true;
  }

  /// Parses an object or an array; Pos is at its opening bracket.
  Status parseContainer(uint32_t Depth, uint32_t &Index) {
    bool IsObject = Text[Pos] == '{';
    char Close = IsObject ? '}' : ']';
    if (Depth >= L.MaxDepth)
      return fail("nesting too deep");
    if (Status S = newNode(IsObject ? Kind::Object : Kind::Array, Index);
        S != Status::Ok)
      return S;
    ++Pos;
    skipWhitespace();
    if (Pos < Length && Text[Pos] == Close) {
      ++Pos;
      return Status::Ok;
    }
    uint32_t Last = NoNode;
    for (;;) {
      uint32_t KeyOffset = 0, KeyLength = 0;
      if (IsObject) {
        skipWhitespace();
        if (Pos >= Length || Text[Pos] != '"')
          return fail("expected a string key");
        if (Status S = parseString(KeyOffset, KeyLength); S != Status::Ok)
          return S;
        skipWhitespace();
        if (Pos >= Length || Text[Pos] != ':')
          return fail("expected ':'");
        ++Pos;
      }
      uint32_t Child;
      if (Status S = parseValue(Depth + 1, Child); S != Status::Ok)
        return S;
      D.Nodes[Child].KeyOffset = KeyOffset;
      D.Nodes[Child].KeyLength = KeyLength;
      if (Last == NoNode)
        D.Nodes[Index].FirstChild = Child;
      else
        D.Nodes[Last].NextSibling = Child;
      Last = Child;
      ++D.Nodes[Index].NumChildren;
      skipWhitespace();
      if (Pos >= Length)
        return fail("unexpected end of input");
      if (Text[Pos] == ',') {
        ++Pos;
        continue;
      }
      if (Text[Pos] == Close) {
        ++Pos;
        return Status::Ok;
      }
      return fail(IsObject ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }

  /// Parses an integer; fractions and exponents are rejected.
  Status parseInteger(int64_t &Value) {
    bool Negative = Text[Pos] == '-';
    if (Negative)
      ++Pos;
    if (Pos >= Length || Text[Pos] < '0' || Text[Pos] > '9')
      return fail("expected a digit");
    if (Text[Pos] == '0' && Pos + 1 < Length && Text[Pos + 1] >= '0' &&
        Text[Pos + 1] <= '9')
      return fail("leading zero in a number");
    // Accumulate the magnitude; INT64_MIN's magnitude is one more than
    // INT64_MAX's.
    uint64_t Limit = Negative ? uint64_t(INT64_MAX) + 1 : uint64_t(INT64_MAX);
    uint64_t Magnitude = 0;
    while (Pos < Length && Text[Pos] >= '0' && Text[Pos] <= '9') {
      uint64_t Digit = uint64_t(Text[Pos] - '0');
      if (Magnitude > (Limit - Digit) / 10)
        return fail("integer out of range");
      Magnitude = Magnitude * 10 + Digit;
      ++Pos;
    }
    if (Pos < Length &&
        (Text[Pos] == '.' || Text[Pos] == 'e' || Text[Pos] == 'E'))
      return fail("only integer numbers are supported");
    if (!Negative)
      Value = int64_t(Magnitude);
    else if (Magnitude == uint64_t(INT64_MAX) + 1)
      Value = INT64_MIN;
    else
      Value = -int64_t(Magnitude);
    return Status::Ok;
  }

  /// Reads 4 hex digits of a \u escape.
  bool parseHex4(uint32_t &CodeUnit) {
    if (Length - Pos < 4)
      return false;
    CodeUnit = 0;
    for (int I = 0; I < 4; ++I) {
      char C = Text[Pos + I];
      uint32_t Digit;
      if (C >= '0' && C <= '9')
        Digit = uint32_t(C - '0');
      else if (C >= 'a' && C <= 'f')
        Digit = uint32_t(C - 'a' + 10);
      else if (C >= 'A' && C <= 'F')
        Digit = uint32_t(C - 'A' + 10);
      else
        return false;
      CodeUnit = CodeUnit * 16 + Digit;
    }
    Pos += 4;
    return true;
  }

  void emit(char C) { D.Strings.chars()[StringsUsed++] = C; }

  void emitUtf8(uint32_t CodePoint) {
    if (CodePoint < 0x80) {
      emit(char(CodePoint));
    } else if (CodePoint < 0x800) {
      emit(char(0xC0 | (CodePoint >> 6)));
      emit(char(0x80 | (CodePoint & 0x3F)));
    } else if (CodePoint < 0x10000) {
      emit(char(0xE0 | (CodePoint >> 12)));
      emit(char(0x80 | ((CodePoint >> 6) & 0x3F)));
      emit(char(0x80 | (CodePoint & 0x3F)));
    } else {
      emit(char(0xF0 | (CodePoint >> 18)));
      emit(char(0x80 | ((CodePoint >> 12) & 0x3F)));
      emit(char(0x80 | ((CodePoint >> 6) & 0x3F)));
      emit(char(0x80 | (CodePoint & 0x3F)));
    }
  }

  /// Parses the escape after a backslash (Pos is past the backslash).
  Status parseEscape() {
    if (Pos >= Length)
      return fail("unterminated string");
    char C = Text[Pos++];
    switch (C) {
    case '"':
    case '\\':
    case '/':
      emit(C);
      return Status::Ok;
    case 'b':
      emit('\b');
      return Status::Ok;
    case 'f':
      emit('\f');
      return Status::Ok;
    case 'n':
      emit('\n');
      return Status::Ok;
    case 'r':
      emit('\r');
      return Status::Ok;
    case 't':
      emit('\t');
      return Status::Ok;
    case 'u':
      break;
    default:
      return fail("invalid escape in string");
    }
    uint32_t Unit;
    if (!parseHex4(Unit))
      return fail("invalid \\u escape");
    if (Unit >= 0xDC00 && Unit <= 0xDFFF)
      return fail("unpaired low surrogate in string");
    if (Unit >= 0xD800 && Unit <= 0xDBFF) {
      uint32_t Low;
      if (Length - Pos < 2 || Text[Pos] != '\\' || Text[Pos + 1] != 'u')
        return fail("unpaired high surrogate in string");
      Pos += 2;
      if (!parseHex4(Low) || Low < 0xDC00 || Low > 0xDFFF)
        return fail("unpaired high surrogate in string");
      Unit = 0x10000 + ((Unit - 0xD800) << 10) + (Low - 0xDC00);
    }
    emitUtf8(Unit);
    return Status::Ok;
  }

  /// Returns the length of the valid UTF-8 sequence at Pos (lead byte >=
  /// 0x80), or 0 if it is invalid: overlong, a surrogate, above U+10FFFF or
  /// cut short.
  size_t utf8SequenceLength() const {
    auto Byte = [&](size_t I) -> unsigned {
      return Pos + I < Length ? static_cast<unsigned char>(Text[Pos + I]) : 0u;
    };
    auto InRange = [](unsigned B, unsigned Lo, unsigned Hi) {
      return B >= Lo && B <= Hi;
    };
    unsigned B0 = Byte(0);
    if (InRange(B0, 0xC2, 0xDF))
      return InRange(Byte(1), 0x80, 0xBF) ? 2 : 0;
    if (InRange(B0, 0xE0, 0xEF)) {
      unsigned Lo = B0 == 0xE0 ? 0xA0 : 0x80;
      unsigned Hi = B0 == 0xED ? 0x9F : 0xBF;
      return InRange(Byte(1), Lo, Hi) && InRange(Byte(2), 0x80, 0xBF) ? 3 : 0;
    }
    if (InRange(B0, 0xF0, 0xF4)) {
      unsigned Lo = B0 == 0xF0 ? 0x90 : 0x80;
      unsigned Hi = B0 == 0xF4 ? 0x8F : 0xBF;
      return InRange(Byte(1), Lo, Hi) && InRange(Byte(2), 0x80, 0xBF) &&
                     InRange(Byte(3), 0x80, 0xBF)
                 ? 4
                 : 0;
    }
    return 0;
  }

  /// Parses a string (Pos is at its opening quote) into the string buffer.
  Status parseString(uint32_t &Offset, uint32_t &Len) {
    ++Pos;
    size_t Start = StringsUsed;
    for (;;) {
      if (Pos >= Length)
        return fail("unterminated string");
      unsigned char C = static_cast<unsigned char>(Text[Pos]);
      if (C == '"') {
        ++Pos;
        break;
      }
      if (C == '\\') {
        ++Pos;
        if (Status S = parseEscape(); S != Status::Ok)
          return S;
        continue;
      }
      if (C < 0x20)
        return fail("control character in string");
      if (C < 0x80) {
        emit(char(C));
        ++Pos;
        continue;
      }
      size_t N = utf8SequenceLength();
      if (N == 0)
        return fail("invalid UTF-8 in string");
      for (size_t I = 0; I < N; ++I)
        emit(Text[Pos + I]);
      Pos += N;
    }
    Offset = uint32_t(Start);
    Len = uint32_t(StringsUsed - Start);
    return Status::Ok;
  }

  Document &D;
  const char *Text;
  size_t Length;
  Limits L;
  size_t Pos = 0;
  size_t StringsUsed = 0;
};

Status Document::parse(const char *Text, size_t Length, const Limits &L) {
  Nodes.clear();
  Error = "";
  ErrorOffset = 0;
  // Offsets into the text and the string buffer are 32-bit.
  if (!Text || Length >= UINT32_MAX) {
    Error = "input too large";
    return Status::Malformed;
  }
  Limits Bounded = L;
  if (Bounded.MaxNodes > UINT32_MAX - 1)
    Bounded.MaxNodes = UINT32_MAX - 1;
  return Parser(*this, Text, Length, Bounded).run();
}

} // namespace json
} // namespace modrt
