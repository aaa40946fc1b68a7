//===- Support.cpp - Checked containers and helpers -----------------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//

#include "Support.h"

#include <cstdio>

namespace modrt {

int ErrorSink::fail(int Code, const char *Fmt, ...) {
  va_list Args;
  va_start(Args, Fmt);
  failV(Code, Fmt, Args);
  va_end(Args);
  return Code;
}

int ErrorSink::failV(int Code, const char *Fmt, va_list Args) {
  if (!Buffer || Capacity == 0)
    return Code;
  if (!Fmt) {
    Buffer[0] = '\0';
    return Code;
  }
  // vsnprintf truncates and always terminates; a format error leaves an
  // empty message rather than stale text.
  if (std::vsnprintf(Buffer, Capacity, Fmt, Args) < 0)
    Buffer[0] = '\0';
  return Code;
}

bool NameTable::init(size_t MaxNames) {
  // A load factor of at most 1/2 keeps probe sequences short.
  size_t Size = 16;
  while (Size < MaxNames * 2) {
    if (Size > SIZE_MAX / 4)
      return false;
    Size *= 2;
  }
  Used = 0;
  if (!Slots.resize(Size))
    return false;
  for (size_t I = 0; I < Size; ++I)
    Slots[I] = Slot{nullptr, 0, -1};
  return true;
}

bool NameTable::insert(std::string_view Name, int64_t Value) {
  size_t Mask = Slots.size() - 1;
  // Refuse rather than loop forever if a caller sized the table too small.
  if (Slots.empty() || Used + 1 > Slots.size() / 2)
    return false;
  for (size_t I = fnv1a64(Name.data(), Name.size()) & Mask;;
       I = (I + 1) & Mask) {
    Slot &S = Slots[I];
    if (S.Value < 0) {
      S = Slot{Name.data(), Name.size(), Value};
      ++Used;
      return true;
    }
    if (std::string_view(S.Name, S.Length) == Name)
      return false;
  }
}

int64_t NameTable::find(std::string_view Name) const {
  if (Slots.empty())
    return -1;
  size_t Mask = Slots.size() - 1;
  for (size_t I = fnv1a64(Name.data(), Name.size()) & Mask;;
       I = (I + 1) & Mask) {
    const Slot &S = Slots[I];
    if (S.Value < 0)
      return -1;
    if (std::string_view(S.Name, S.Length) == Name)
      return S.Value;
  }
}

size_t dtypeSize(modrt_dtype DType) {
  switch (DType) {
  case MODRT_F32:
  case MODRT_I32:
    return 4;
  case MODRT_F16:
  case MODRT_BF16:
    return 2;
  case MODRT_I64:
    return 8;
  case MODRT_BOOL:
    return 1;
  }
  return 0;
}

const char *dtypeName(modrt_dtype DType) {
  switch (DType) {
  case MODRT_F32:
    return "f32";
  case MODRT_F16:
    return "f16";
  case MODRT_BF16:
    return "bf16";
  case MODRT_I32:
    return "i32";
  case MODRT_I64:
    return "i64";
  case MODRT_BOOL:
    return "bool";
  }
  return "?";
}

const char *safetensorsDtypeName(modrt_dtype DType) {
  switch (DType) {
  case MODRT_F32:
    return "F32";
  case MODRT_F16:
    return "F16";
  case MODRT_BF16:
    return "BF16";
  case MODRT_I32:
    return "I32";
  case MODRT_I64:
    return "I64";
  case MODRT_BOOL:
    return "BOOL";
  }
  return "?";
}

bool checkedElementCount(const int64_t *Shape, int32_t Rank, int64_t &Count) {
  int64_t Product = 1;
  for (int32_t I = 0; I < Rank; ++I) {
    if (Shape[I] < 0 || __builtin_mul_overflow(Product, Shape[I], &Product))
      return false;
  }
  Count = Product;
  return true;
}

void formatShape(const int64_t *Shape, size_t Rank, char *Buffer,
                 size_t Capacity) {
  if (Capacity == 0)
    return;
  Buffer[0] = '\0';
  size_t Used = 0;
  // Appends Text if it fits in Limit bytes, terminator included.
  auto Append = [&](const char *Text, size_t Limit) {
    size_t Len = std::strlen(Text);
    if (Used + Len + 1 > Limit)
      return false;
    std::memcpy(Buffer + Used, Text, Len);
    Used += Len;
    Buffer[Used] = '\0';
    return true;
  };
  // Keep room for "...]" so that a truncated shape still says so.
  size_t Limit = Capacity > 8 ? Capacity - 4 : Capacity;
  bool Complete = Append("[", Limit);
  char Number[32];
  for (size_t I = 0; Complete && I < Rank; ++I) {
    std::snprintf(Number, sizeof(Number), "%s%lld", I ? ", " : "",
                  static_cast<long long>(Shape[I]));
    Complete = Append(Number, Limit);
  }
  if (!Complete)
    Append("...", Capacity);
  Append("]", Capacity);
}

} // namespace modrt
