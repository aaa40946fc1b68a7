//===- Support.h - Checked containers and helpers ---------------*- C++ -*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// Small building blocks shared by the runtime. The runtime is compiled
/// without exceptions and must never abort the host process, so nothing here
/// throws or terminates: every allocation is checked and its failure is
/// returned to the caller, who reports MODRT_ENOMEM or rejects the input.
///
//===----------------------------------------------------------------------===//

#ifndef MODRT_SUPPORT_H
#define MODRT_SUPPORT_H

#include "modrt/modrt.h"

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <type_traits>

#if defined(__GNUC__) || defined(__clang__)
#define MODRT_PRINTF(FmtIndex, ArgIndex)                                       \
  __attribute__((format(printf, FmtIndex, ArgIndex)))
#else
#define MODRT_PRINTF(FmtIndex, ArgIndex)
#endif

namespace modrt {

/// A growable array of trivially copyable values whose growth reports
/// allocation failure instead of throwing.
template <typename T> class Vec {
  static_assert(std::is_trivially_copyable<T>::value,
                "Vec moves its elements with realloc");

public:
  Vec() = default;
  Vec(const Vec &) = delete;
  Vec &operator=(const Vec &) = delete;
  ~Vec() { std::free(Data); }

  /// Appends V; false if memory is short (the vector is unchanged).
  [[nodiscard]] bool push(const T &V) {
    if (Size == Capacity && !grow(Size + 1))
      return false;
    Data[Size++] = V;
    return true;
  }

  /// Appends N elements; false if memory is short (the vector is unchanged).
  [[nodiscard]] bool append(const T *Items, size_t N) {
    if (N > SIZE_MAX - Size || (Size + N > Capacity && !grow(Size + N)))
      return false;
    if (N)
      std::memcpy(static_cast<void *>(Data + Size), Items, N * sizeof(T));
    Size += N;
    return true;
  }

  /// Resizes to N elements, zero-filling new ones; false if memory is short.
  [[nodiscard]] bool resize(size_t N) {
    if (N > Capacity && !reserve(N))
      return false;
    if (N > Size)
      std::memset(static_cast<void *>(Data + Size), 0, (N - Size) * sizeof(T));
    Size = N;
    return true;
  }

  /// Makes room for N elements without changing the size.
  [[nodiscard]] bool reserve(size_t N) {
    if (N <= Capacity)
      return true;
    if (N > SIZE_MAX / sizeof(T))
      return false;
    void *P = std::realloc(static_cast<void *>(Data), N * sizeof(T));
    if (!P)
      return false;
    Data = static_cast<T *>(P);
    Capacity = N;
    return true;
  }

  void clear() { Size = 0; }
  size_t size() const { return Size; }
  bool empty() const { return Size == 0; }
  T *data() { return Data; }
  const T *data() const { return Data; }
  T &operator[](size_t I) { return Data[I]; }
  const T &operator[](size_t I) const { return Data[I]; }
  T &back() { return Data[Size - 1]; }

private:
  bool grow(size_t Min) {
    size_t NewCapacity = Capacity < 4 ? 4 : Capacity;
    while (NewCapacity < Min) {
      if (NewCapacity > SIZE_MAX / 2)
        return false;
      NewCapacity *= 2;
    }
    return reserve(NewCapacity);
  }

  T *Data = nullptr;
  size_t Size = 0;
  size_t Capacity = 0;
};

/// Owns a block from malloc/calloc.
class MallocBuffer {
public:
  MallocBuffer() = default;
  explicit MallocBuffer(void *P) : Ptr(P) {}
  MallocBuffer(const MallocBuffer &) = delete;
  MallocBuffer &operator=(const MallocBuffer &) = delete;
  ~MallocBuffer() { std::free(Ptr); }

  void *get() const { return Ptr; }
  char *chars() const { return static_cast<char *>(Ptr); }
  unsigned char *bytes() const { return static_cast<unsigned char *>(Ptr); }
  void reset(void *P) {
    std::free(Ptr);
    Ptr = P;
  }
  void *release() {
    void *P = Ptr;
    Ptr = nullptr;
    return P;
  }

private:
  void *Ptr = nullptr;
};

/// Where a failing operation writes its message: a caller-owned buffer, or
/// nowhere when the buffer is null.
class ErrorSink {
public:
  ErrorSink() = default;
  ErrorSink(char *Buffer, size_t Capacity)
      : Buffer(Buffer), Capacity(Capacity) {}

  /// Formats the message and returns Code, so that `return Err.fail(...)`
  /// reads naturally.
  int fail(int Code, const char *Fmt, ...) MODRT_PRINTF(3, 4);
  int failV(int Code, const char *Fmt, va_list Args);

private:
  char *Buffer = nullptr;
  size_t Capacity = 0;
};

/// 64-bit FNV-1a hash of Len bytes.
inline uint64_t fnv1a64(const char *Bytes, size_t Len) {
  uint64_t Hash = 0xcbf29ce484222325ULL;
  for (size_t I = 0; I < Len; ++I) {
    Hash ^= static_cast<unsigned char>(Bytes[I]);
    Hash *= 0x100000001b3ULL;
  }
  return Hash;
}

/// An index from names to small integers (open addressing, sized once). The
/// table refers to the name bytes, which must outlive it.
class NameTable {
public:
  /// Prepares for up to MaxNames names; false if memory is short.
  [[nodiscard]] bool init(size_t MaxNames);

  /// Adds Name -> Value; if Name is already present returns false and leaves
  /// the first value in place. Never allocates.
  bool insert(std::string_view Name, int64_t Value);

  /// Returns the value of Name, or -1 if absent.
  int64_t find(std::string_view Name) const;

private:
  struct Slot {
    const char *Name;
    size_t Length;
    int64_t Value; // -1: empty slot.
  };
  Vec<Slot> Slots;
  size_t Used = 0;
};

/// Size in bytes of one element of DType; 0 for a value outside the enum.
size_t dtypeSize(modrt_dtype DType);

/// The descriptor spelling of DType ("f32"), or "?" outside the enum.
const char *dtypeName(modrt_dtype DType);

/// The safetensors spelling of DType ("F32"), or "?" outside the enum.
const char *safetensorsDtypeName(modrt_dtype DType);

/// Product of Rank dimensions, each >= 0; false if it exceeds INT64_MAX or a
/// dimension is negative.
bool checkedElementCount(const int64_t *Shape, int32_t Rank, int64_t &Count);

/// Formats a shape as "[a, b, c]" into Buffer (always NUL-terminated,
/// truncated with "..." if too long).
void formatShape(const int64_t *Shape, size_t Rank, char *Buffer,
                 size_t Capacity);

} // namespace modrt

#endif // MODRT_SUPPORT_H
