//===- Safetensors.cpp - Reading and writing safetensors files ------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//

#include "Safetensors.h"

#include "Json.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

// Tensor data is copied between files and memory as is: the format is
// little-endian, and so must the host be.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the runtime assumes a little-endian host");

namespace modrt {
namespace {

/// Longest tensor name quoted in a message.
constexpr int MaxQuotedName = 200;

int quotedLength(std::string_view Name) {
  return Name.size() > size_t(MaxQuotedName) ? MaxQuotedName : int(Name.size());
}

/// A file descriptor closed on scope exit.
class FileHandle {
public:
  explicit FileHandle(int Fd) : Fd(Fd) {}
  FileHandle(const FileHandle &) = delete;
  FileHandle &operator=(const FileHandle &) = delete;
  ~FileHandle() {
    if (Fd >= 0)
      ::close(Fd);
  }
  int get() const { return Fd; }
  /// Takes `NewFd` in place of the one held (closed).
  void reset(int NewFd) {
    if (Fd >= 0)
      ::close(Fd);
    Fd = NewFd;
  }
  /// Closes now and reports the error close() may return (for writes).
  int close() {
    int Result = ::close(Fd);
    Fd = -1;
    return Result;
  }

private:
  int Fd;
};

/// Reads exactly Size bytes at Offset. Returns 0, an errno value, or -1 if
/// the file ended first.
int readFully(int Fd, void *Buffer, uint64_t Size, uint64_t Offset) {
  unsigned char *Out = static_cast<unsigned char *>(Buffer);
  while (Size > 0) {
    size_t Chunk = Size > (uint64_t(1) << 30) ? size_t(1) << 30 : size_t(Size);
    ssize_t N = ::pread(Fd, Out, Chunk, off_t(Offset));
    if (N < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (N == 0)
      return -1;
    Out += N;
    Size -= uint64_t(N);
    Offset += uint64_t(N);
  }
  return 0;
}

/// Writes exactly Size bytes. Returns 0 or an errno value.
int writeFully(int Fd, const void *Buffer, uint64_t Size) {
  const unsigned char *In = static_cast<const unsigned char *>(Buffer);
  while (Size > 0) {
    size_t Chunk = Size > (uint64_t(1) << 30) ? size_t(1) << 30 : size_t(Size);
    ssize_t N = ::write(Fd, In, Chunk);
    if (N < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    In += N;
    Size -= uint64_t(N);
  }
  return 0;
}

/// Element size of a safetensors dtype name, 0 if unknown. Unknown dtypes
/// may appear in tensors the model does not ask for; their byte size is then
/// not checked.
uint64_t fileDtypeSize(std::string_view Name) {
  static const struct {
    const char *Name;
    uint64_t Size;
  } Table[] = {{"BOOL", 1},    {"U8", 1},      {"I8", 1},  {"F8_E5M2", 1},
               {"F8_E4M3", 1}, {"F8_E8M0", 1}, {"I16", 2}, {"U16", 2},
               {"F16", 2},     {"BF16", 2},    {"I32", 4}, {"U32", 4},
               {"F32", 4},     {"F64", 8},     {"I64", 8}, {"U64", 8},
               {"C64", 8}};
  for (const auto &Entry : Table)
    if (Name == Entry.Name)
      return Entry.Size;
  return 0;
}

/// A tensor entry of the header, validated.
struct FileTensor {
  std::string_view Name;
  std::string_view DType;
  size_t ShapeStart; // Into Loader::Shapes.
  size_t Rank;
  uint64_t Begin;
  uint64_t End;
};

/// One load: validates the file against the wanted tensors, then reads.
class Loader {
public:
  Loader(const char *Path, const TensorRef *Wanted, size_t NumWanted,
         ErrorSink &Err)
      : Path(Path), Wanted(Wanted), NumWanted(NumWanted), Err(Err) {}

  int run();

private:
  int failFormat(const char *Fmt, ...) MODRT_PRINTF(2, 3);
  int noMemory() {
    return Err.fail(MODRT_ENOMEM, "load %s: out of memory", Path);
  }

  int readHeader(int Fd, uint64_t FileSize);
  int checkMetadata(const json::Node &N);
  int checkEntry(const json::Node &N);
  int matchWanted(size_t I, const FileTensor *&Found);
  /// The tensors tile the data section (sorted by offset: no overlap, no
  /// gap, nothing after the last).
  int checkLayout();

  /// "parameter" for a tensor the caller wants, "tensor" for any other.
  const char *label(std::string_view Name) const {
    return WantedNames.find(Name) >= 0 ? "parameter" : "tensor";
  }

  const char *Path;
  const TensorRef *Wanted;
  size_t NumWanted;
  ErrorSink &Err;

  uint64_t HeaderLength = 0;
  uint64_t DataSize = 0;
  MallocBuffer HeaderText;
  json::Document Doc;
  NameTable WantedNames;
  NameTable FileNames;
  Vec<FileTensor> Tensors;
  Vec<int64_t> Shapes;
};

int Loader::failFormat(const char *Fmt, ...) {
  char Message[512];
  va_list Args;
  va_start(Args, Fmt);
  std::vsnprintf(Message, sizeof(Message), Fmt, Args);
  va_end(Args);
  return Err.fail(MODRT_EFORMAT, "load %s: %s", Path, Message);
}

int Loader::readHeader(int Fd, uint64_t FileSize) {
  if (FileSize < 8)
    return failFormat("file is too short (%" PRIu64
                      " bytes) to be a safetensors file",
                      FileSize);
  unsigned char Prefix[8];
  if (int E = readFully(Fd, Prefix, 8, 0); E != 0)
    return E < 0 ? failFormat("file is truncated")
                 : Err.fail(MODRT_EIO, "load %s: read failed: %s", Path,
                            std::strerror(E));
  for (int I = 7; I >= 0; --I)
    HeaderLength = (HeaderLength << 8) | Prefix[I];
  if (HeaderLength > FileSize - 8)
    return failFormat("header length %" PRIu64 " exceeds the file (%" PRIu64
                      " bytes)",
                      HeaderLength, FileSize);
  if (HeaderLength > MaxHeaderBytes)
    return failFormat("header length %" PRIu64 " exceeds the limit of %" PRIu64
                      " bytes",
                      HeaderLength, MaxHeaderBytes);
  DataSize = FileSize - 8 - HeaderLength;
  HeaderText.reset(std::malloc(size_t(HeaderLength) + 1));
  if (!HeaderText.get())
    return noMemory();
  if (int E = readFully(Fd, HeaderText.get(), HeaderLength, 8); E != 0)
    return E < 0 ? failFormat("file is truncated")
                 : Err.fail(MODRT_EIO, "load %s: read failed: %s", Path,
                            std::strerror(E));
  switch (Doc.parse(HeaderText.chars(), size_t(HeaderLength))) {
  case json::Status::Ok:
    break;
  case json::Status::NoMemory:
    return noMemory();
  case json::Status::Malformed:
    return failFormat("invalid JSON header at byte %zu: %s", Doc.errorOffset(),
                      Doc.errorMessage());
  }
  if (Doc.root().K != json::Kind::Object)
    return failFormat("header is not a JSON object");
  return MODRT_OK;
}

int Loader::checkMetadata(const json::Node &N) {
  // The reference implementation reads it as an optional map of strings.
  if (N.K == json::Kind::Null)
    return MODRT_OK;
  if (N.K != json::Kind::Object)
    return failFormat("'__metadata__' is not a JSON object");
  for (uint32_t C = N.FirstChild; C != json::NoNode;
       C = Doc.node(C).NextSibling)
    if (Doc.node(C).K != json::Kind::String)
      return failFormat("'__metadata__' value of '%.*s' is not a string",
                        quotedLength(Doc.key(Doc.node(C))),
                        Doc.key(Doc.node(C)).data());
  return MODRT_OK;
}

int Loader::checkEntry(const json::Node &N) {
  std::string_view Name = Doc.key(N);
  const char *Label = label(Name);
  int NameLength = quotedLength(Name);
  if (N.K != json::Kind::Object)
    return failFormat("%s '%.*s': entry is not a JSON object", Label,
                      NameLength, Name.data());
  const json::Node *DType = nullptr, *Shape = nullptr, *Offsets = nullptr;
  for (uint32_t C = N.FirstChild; C != json::NoNode;
       C = Doc.node(C).NextSibling) {
    const json::Node &Member = Doc.node(C);
    std::string_view Key = Doc.key(Member);
    const json::Node **Slot = Key == "dtype"          ? &DType
                              : Key == "shape"        ? &Shape
                              : Key == "data_offsets" ? &Offsets
                                                      : nullptr;
    if (!Slot)
      continue; // Unknown keys are tolerated, as serde does.
    if (*Slot)
      return failFormat("%s '%.*s': duplicate key '%.*s'", Label, NameLength,
                        Name.data(), int(Key.size()), Key.data());
    *Slot = &Member;
  }
  const char *Missing = !DType     ? "dtype"
                        : !Shape   ? "shape"
                        : !Offsets ? "data_offsets"
                                   : nullptr;
  if (Missing)
    return failFormat("%s '%.*s': missing '%s'", Label, NameLength, Name.data(),
                      Missing);
  if (DType->K != json::Kind::String)
    return failFormat("%s '%.*s': 'dtype' is not a string", Label, NameLength,
                      Name.data());

  FileTensor T{};
  T.Name = Name;
  T.DType = Doc.string(*DType);
  T.ShapeStart = Shapes.size();
  if (Shape->K != json::Kind::Array)
    return failFormat("%s '%.*s': 'shape' is not an array", Label, NameLength,
                      Name.data());
  for (uint32_t C = Shape->FirstChild; C != json::NoNode;
       C = Doc.node(C).NextSibling) {
    const json::Node &Extent = Doc.node(C);
    if (Extent.K != json::Kind::Integer || Extent.Integer < 0)
      return failFormat("%s '%.*s': 'shape' holds a value that is not a "
                        "non-negative integer",
                        Label, NameLength, Name.data());
    if (!Shapes.push(Extent.Integer))
      return noMemory();
  }
  T.Rank = Shapes.size() - T.ShapeStart;

  if (Offsets->K != json::Kind::Array || Offsets->NumChildren != 2)
    return failFormat("%s '%.*s': 'data_offsets' is not an array of two "
                      "integers",
                      Label, NameLength, Name.data());
  const json::Node &BeginNode = Doc.node(Offsets->FirstChild);
  const json::Node &EndNode = Doc.node(BeginNode.NextSibling);
  if (BeginNode.K != json::Kind::Integer || EndNode.K != json::Kind::Integer ||
      BeginNode.Integer < 0 || EndNode.Integer < 0)
    return failFormat("%s '%.*s': 'data_offsets' is not an array of two "
                      "non-negative integers",
                      Label, NameLength, Name.data());
  T.Begin = uint64_t(BeginNode.Integer);
  T.End = uint64_t(EndNode.Integer);
  if (T.Begin > T.End || T.End > DataSize)
    return failFormat("%s '%.*s': data_offsets [%" PRIu64 ", %" PRIu64
                      "] out of range (the data section has %" PRIu64 " bytes)",
                      Label, NameLength, Name.data(), T.Begin, T.End, DataSize);

  int64_t Count;
  if (!checkedElementCount(Shapes.data() + T.ShapeStart, int32_t(T.Rank),
                           Count) ||
      T.Rank > size_t(INT32_MAX))
    return failFormat("%s '%.*s': shape is too large", Label, NameLength,
                      Name.data());
  if (uint64_t Size = fileDtypeSize(T.DType); Size != 0) {
    uint64_t Bytes;
    if (__builtin_mul_overflow(uint64_t(Count), Size, &Bytes))
      return failFormat("%s '%.*s': shape is too large", Label, NameLength,
                        Name.data());
    if (Bytes != T.End - T.Begin) {
      char ShapeText[160];
      formatShape(Shapes.data() + T.ShapeStart, T.Rank, ShapeText,
                  sizeof(ShapeText));
      return failFormat("%s '%.*s': data_offsets [%" PRIu64 ", %" PRIu64
                        "] hold %" PRIu64 " bytes, but %.*s %s needs %" PRIu64,
                        Label, NameLength, Name.data(), T.Begin, T.End,
                        T.End - T.Begin, int(T.DType.size()), T.DType.data(),
                        ShapeText, Bytes);
    }
  }
  if (!Tensors.push(T))
    return noMemory();
  return MODRT_OK;
}

int Loader::checkLayout() {
  // As the reference implementation rules: in order of their offsets the
  // tensors tile the data section exactly, no overlap and no gap.
  Vec<uint32_t> Order;
  if (!Order.resize(Tensors.size()))
    return noMemory();
  for (size_t I = 0; I < Tensors.size(); ++I)
    Order[I] = uint32_t(I);
  std::sort(Order.data(), Order.data() + Order.size(),
            [&](uint32_t A, uint32_t B) {
              const FileTensor &X = Tensors[A], &Y = Tensors[B];
              return X.Begin != Y.Begin ? X.Begin < Y.Begin : X.End < Y.End;
            });
  uint64_t Covered = 0;
  const FileTensor *Previous = nullptr;
  for (size_t I = 0; I < Order.size(); ++I) {
    const FileTensor &T = Tensors[Order[I]];
    if (T.Begin != Covered) {
      const char *What = T.Begin < Covered ? "overlaps" : "leaves a gap after";
      if (!Previous)
        return failFormat("%s '%.*s': data_offsets [%" PRIu64 ", %" PRIu64
                          "]: the first tensor must start at 0",
                          label(T.Name), quotedLength(T.Name), T.Name.data(),
                          T.Begin, T.End);
      return failFormat("%s '%.*s': data_offsets [%" PRIu64 ", %" PRIu64
                        "] %s '%.*s', which ends at %" PRIu64,
                        label(T.Name), quotedLength(T.Name), T.Name.data(),
                        T.Begin, T.End, What, quotedLength(Previous->Name),
                        Previous->Name.data(), Covered);
    }
    Covered = T.End;
    Previous = &T;
  }
  if (Covered != DataSize)
    return failFormat("the tensors end at byte %" PRIu64
                      " of a data section of %" PRIu64 " bytes",
                      Covered, DataSize);
  return MODRT_OK;
}

int Loader::matchWanted(size_t I, const FileTensor *&Found) {
  const TensorRef &W = Wanted[I];
  int64_t Index = FileNames.find(W.Name);
  if (Index < 0)
    return failFormat("parameter '%s' is missing from the file", W.Name);
  const FileTensor &T = Tensors[size_t(Index)];
  const char *Expected = safetensorsDtypeName(W.DType);
  if (T.DType != Expected)
    return failFormat("parameter '%s': dtype %.*s in file, expected %s", W.Name,
                      quotedLength(T.DType), T.DType.data(), Expected);
  const int64_t *FileShape = Shapes.data() + T.ShapeStart;
  bool Same = T.Rank == size_t(W.Rank);
  for (size_t Axis = 0; Same && Axis < T.Rank; ++Axis)
    Same = FileShape[Axis] == W.Shape[Axis];
  if (!Same) {
    char InFile[160], Expect[160];
    formatShape(FileShape, T.Rank, InFile, sizeof(InFile));
    formatShape(W.Shape, size_t(W.Rank), Expect, sizeof(Expect));
    return failFormat("parameter '%s': shape %s in file, expected %s", W.Name,
                      InFile, Expect);
  }
  Found = &T;
  return MODRT_OK;
}

int Loader::run() {
  // O_NONBLOCK: opening a FIFO must not hang; it has no effect on the reads
  // of the regular file that is required below.
  FileHandle File(::open(Path, O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (File.get() < 0)
    return Err.fail(MODRT_EIO, "load %s: cannot open: %s", Path,
                    std::strerror(errno));
  struct stat Info;
  if (::fstat(File.get(), &Info) != 0)
    return Err.fail(MODRT_EIO, "load %s: cannot stat: %s", Path,
                    std::strerror(errno));
  if (!S_ISREG(Info.st_mode))
    return Err.fail(MODRT_EIO, "load %s: not a regular file", Path);

  if (int Code = readHeader(File.get(), uint64_t(Info.st_size)); Code)
    return Code;

  if (!WantedNames.init(NumWanted))
    return noMemory();
  for (size_t I = 0; I < NumWanted; ++I)
    WantedNames.insert(Wanted[I].Name, int64_t(I));

  const json::Node &Root = Doc.root();
  if (!FileNames.init(Root.NumChildren))
    return noMemory();
  for (uint32_t C = Root.FirstChild; C != json::NoNode;
       C = Doc.node(C).NextSibling) {
    const json::Node &Member = Doc.node(C);
    std::string_view Name = Doc.key(Member);
    if (Name == "__metadata__") {
      if (int Code = checkMetadata(Member); Code)
        return Code;
      continue;
    }
    if (int Code = checkEntry(Member); Code)
      return Code;
    if (!FileNames.insert(Name, int64_t(Tensors.size() - 1)))
      return failFormat("%s '%.*s' appears twice in the header", label(Name),
                        quotedLength(Name), Name.data());
  }

  if (int Code = checkLayout(); Code)
    return Code;

  // Every wanted tensor must be present and match before anything is read.
  Vec<const FileTensor *> Sources;
  if (!Sources.resize(NumWanted))
    return noMemory();
  uint64_t StagingBytes = 0;
  for (size_t I = 0; I < NumWanted; ++I) {
    if (int Code = matchWanted(I, Sources[I]); Code)
      return Code;
    uint64_t Bytes = Sources[I]->End - Sources[I]->Begin;
    if (__builtin_add_overflow(StagingBytes, Bytes, &StagingBytes) ||
        StagingBytes > SIZE_MAX)
      return noMemory();
  }

  MallocBuffer Staging(std::malloc(StagingBytes ? size_t(StagingBytes) : 1));
  if (!Staging.get())
    return Err.fail(MODRT_ENOMEM,
                    "load %s: out of memory (%" PRIu64 " bytes of staging)",
                    Path, StagingBytes);
  uint64_t DataStart = 8 + HeaderLength;
  uint64_t Offset = 0;
  for (size_t I = 0; I < NumWanted; ++I) {
    const FileTensor &T = *Sources[I];
    uint64_t Bytes = T.End - T.Begin;
    int E = readFully(File.get(), Staging.bytes() + Offset, Bytes,
                      DataStart + T.Begin);
    if (E < 0)
      return Err.fail(MODRT_EIO,
                      "load %s: parameter '%s': file shrank while reading",
                      Path, Wanted[I].Name);
    if (E > 0)
      return Err.fail(MODRT_EIO, "load %s: parameter '%s': read failed: %s",
                      Path, Wanted[I].Name, std::strerror(E));
    Offset += Bytes;
  }

  // A bool is one byte, 0 or 1 (INTERFACE.md §2): any other byte is a
  // malformed file, not a value some ops would read as true and others as
  // false.
  Offset = 0;
  for (size_t I = 0; I < NumWanted; ++I) {
    uint64_t Bytes = Sources[I]->End - Sources[I]->Begin;
    if (Wanted[I].DType == MODRT_BOOL)
      for (uint64_t B = 0; B < Bytes; ++B)
        if (Staging.bytes()[Offset + B] > 1)
          return Err.fail(MODRT_EFORMAT,
                          "load %s: tensor '%s': element %" PRIu64
                          " is the byte %u, not a bool (0 or 1)",
                          Path, Wanted[I].Name, B,
                          unsigned(Staging.bytes()[Offset + B]));
    Offset += Bytes;
  }

  // Everything is read and checked: only now touch the destinations.
  Offset = 0;
  for (size_t I = 0; I < NumWanted; ++I) {
    uint64_t Bytes = Sources[I]->End - Sources[I]->Begin;
    if (Bytes)
      std::memcpy(Wanted[I].Data, Staging.bytes() + Offset, size_t(Bytes));
    Offset += Bytes;
  }
  return MODRT_OK;
}

/// Appends text to a growing buffer, remembering an allocation failure.
class TextBuilder {
public:
  void append(const char *Text, size_t Length) {
    if (Ok && !Buffer.append(Text, Length))
      Ok = false;
  }
  void append(const char *Text) { append(Text, std::strlen(Text)); }
  void appendInteger(uint64_t Value) {
    char Digits[32];
    int N = std::snprintf(Digits, sizeof(Digits), "%" PRIu64, Value);
    append(Digits, size_t(N));
  }
  /// Appends Text as a JSON string literal.
  void appendQuoted(const char *Text) {
    append("\"");
    for (const char *P = Text; *P; ++P) {
      unsigned char C = static_cast<unsigned char>(*P);
      if (C == '"' || C == '\\') {
        char Escaped[2] = {'\\', char(C)};
        append(Escaped, 2);
      } else if (C < 0x20) {
        char Escaped[8];
        std::snprintf(Escaped, sizeof(Escaped), "\\u%04x", C);
        append(Escaped, 6);
      } else {
        append(P, 1);
      }
    }
    append("\"");
  }
  bool ok() const { return Ok; }
  Vec<char> &buffer() { return Buffer; }

private:
  Vec<char> Buffer;
  bool Ok = true;
};

} // namespace

int loadSafetensors(const char *Path, const TensorRef *Tensors,
                    size_t NumTensors, ErrorSink &Err) {
  return Loader(Path, Tensors, NumTensors, Err).run();
}

int saveSafetensors(const char *Path, const TensorRef *Tensors,
                    size_t NumTensors, ErrorSink &Err) {
  // The header: {"NAME":{"dtype":"F32","shape":[..],"data_offsets":[b,e]},..}
  // with the data contiguous in the given order.
  TextBuilder Header;
  Header.append("{");
  uint64_t Offset = 0;
  Vec<uint64_t> Sizes;
  if (!Sizes.resize(NumTensors))
    return Err.fail(MODRT_ENOMEM, "save %s: out of memory", Path);
  for (size_t I = 0; I < NumTensors; ++I) {
    const TensorRef &T = Tensors[I];
    int64_t Count;
    if (!checkedElementCount(T.Shape, T.Rank, Count) ||
        __builtin_mul_overflow(uint64_t(Count), dtypeSize(T.DType), &Sizes[I]))
      return Err.fail(MODRT_EINVAL, "save %s: tensor '%s' is too large", Path,
                      T.Name);
    if (I)
      Header.append(",");
    Header.appendQuoted(T.Name);
    Header.append(":{\"dtype\":\"");
    Header.append(safetensorsDtypeName(T.DType));
    Header.append("\",\"shape\":[");
    for (int32_t Axis = 0; Axis < T.Rank; ++Axis) {
      if (Axis)
        Header.append(",");
      Header.appendInteger(uint64_t(T.Shape[Axis]));
    }
    Header.append("],\"data_offsets\":[");
    Header.appendInteger(Offset);
    Header.append(",");
    Offset += Sizes[I];
    Header.appendInteger(Offset);
    Header.append("]}");
  }
  Header.append("}");
  // Pad with spaces so that the data starts 8-byte aligned, as safetensors
  // itself does.
  while (Header.ok() && Header.buffer().size() % 8 != 0)
    Header.append(" ");
  if (!Header.ok())
    return Err.fail(MODRT_ENOMEM, "save %s: out of memory", Path);
  uint64_t HeaderLength = Header.buffer().size();
  unsigned char Prefix[8];
  for (int I = 0; I < 8; ++I)
    Prefix[I] = static_cast<unsigned char>(HeaderLength >> (8 * I));

  // The bytes of the file, in order.
  auto writeAll = [&](int Fd) {
    int E = writeFully(Fd, Prefix, sizeof(Prefix));
    if (!E)
      E = writeFully(Fd, Header.buffer().data(), HeaderLength);
    for (size_t I = 0; !E && I < NumTensors; ++I)
      E = writeFully(Fd, Tensors[I].Data, Sizes[I]);
    return E;
  };

  // A symbolic link is followed (the file it names is replaced, not the
  // link); a path that is neither a regular file nor a directory (a device,
  // a FIFO) is written into as it is, never replaced by a regular file.
  // Otherwise the file is written beside its final name and renamed over it, so
  // that a failed save leaves the old file whole.
  MallocBuffer Resolved;
  const char *Target = Path;
  struct stat St;
  bool Direct = false;
  if (::lstat(Path, &St) == 0 && S_ISLNK(St.st_mode)) {
    Resolved.reset(::realpath(Path, nullptr));
    if (Resolved.get())
      Target = Resolved.chars();
    else
      Direct = true; // A dangling link: open creates the file it names.
  }
  if (!Direct && ::stat(Target, &St) == 0 && !S_ISREG(St.st_mode) &&
      !S_ISDIR(St.st_mode))
    Direct = true;
  if (Direct) {
    // O_NONBLOCK: a FIFO without a reader fails the open (ENXIO) instead of
    // blocking it. A reader gets 5 s to appear, then it is an error, not a
    // call that never returns; the writes block again.
    FileHandle File(-1);
    for (int Try = 0; Try < 500; ++Try) {
      File.reset(::open(
          Path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0644));
      if (File.get() >= 0 || errno != ENXIO)
        break;
      ::usleep(10000);
    }
    if (File.get() < 0)
      return Err.fail(MODRT_EIO, "save %s: cannot open: %s", Path,
                      errno == ENXIO ? "a FIFO with no reader"
                                     : std::strerror(errno));
    int Flags = ::fcntl(File.get(), F_GETFL);
    if (Flags >= 0)
      (void)::fcntl(File.get(), F_SETFL, Flags & ~O_NONBLOCK);
    int E = writeAll(File.get());
    if (File.close() != 0 && !E)
      E = errno;
    if (E)
      return Err.fail(MODRT_EIO, "save %s: write failed: %s", Path,
                      std::strerror(E));
    return MODRT_OK;
  }

  // The temporary file sits beside the target under a short name of its
  // own (a long target name plus a suffix could pass NAME_MAX), unique per
  // call: two threads saving to one path each write their own and the
  // last rename wins whole. It takes the old file's permissions.
  const char *Slash = std::strrchr(Target, '/');
  size_t DirLength = Slash ? size_t(Slash - Target) + 1 : 0;
  MallocBuffer TempPath(std::malloc(DirLength + 64));
  if (!TempPath.get())
    return Err.fail(MODRT_ENOMEM, "save %s: out of memory", Path);
  static std::atomic<unsigned long> Counter{0};
  bool HadTarget = ::stat(Target, &St) == 0 && S_ISREG(St.st_mode);
  FileHandle File(-1);
  for (int Try = 0; Try < 100 && File.get() < 0; ++Try) {
    std::memcpy(TempPath.chars(), Target, DirLength);
    std::snprintf(TempPath.chars() + DirLength, 64, ".modrt-save.%ld.%lu",
                  long(::getpid()), Counter.fetch_add(1));
    File.reset(::open(TempPath.chars(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                      0644));
    if (File.get() < 0 && errno != EEXIST)
      break;
  }
  if (File.get() < 0)
    return Err.fail(MODRT_EIO, "save %s: cannot create %s: %s", Path,
                    TempPath.chars(), std::strerror(errno));
  if (HadTarget)
    (void)::fchmod(File.get(), St.st_mode & 07777);
  const char *Step = "write";
  int E = writeAll(File.get());
  if (!E && ::fsync(File.get()) != 0) {
    E = errno;
    Step = "fsync";
  }
  if (File.close() != 0 && !E) {
    E = errno;
    Step = "close";
  }
  if (!E && ::rename(TempPath.chars(), Target) != 0) {
    E = errno;
    Step = "rename";
  }
  if (E) {
    ::unlink(TempPath.chars());
    return Err.fail(MODRT_EIO, "save %s: %s of %s failed: %s", Path, Step,
                    TempPath.chars(), std::strerror(E));
  }
  return MODRT_OK;
}

} // namespace modrt
