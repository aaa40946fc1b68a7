//===- SafetensorsTest.cpp - Tests of weight-file loading and saving ------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//

#include "Safetensors.h"
#include "Json.h"
#include "TestUtil.h"

#include "modrt/runtime.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fcntl.h>
#include <random>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace modrt_test;

namespace {

/// 68 bytes of recognisable data for the tiny model: a.w = 0.5 .. 3.0,
/// a.b = -1, -2, -3, emb = 100, 200, 300, 400.
std::string tinyData() {
  std::string Data;
  auto Append = [&](const void *P, size_t N) {
    Data.append(static_cast<const char *>(P), N);
  };
  for (int I = 1; I <= 6; ++I) {
    float V = 0.5f * float(I);
    Append(&V, 4);
  }
  for (int I = 1; I <= 3; ++I) {
    float V = -float(I);
    Append(&V, 4);
  }
  for (int I = 1; I <= 4; ++I) {
    int64_t V = 100 * I;
    Append(&V, 8);
  }
  return Data;
}

/// A tiny model initialised with non-trivial values, for checking that
/// failed loads leave everything untouched.
class LoadTest : public testing::Test {
protected:
  void SetUp() override {
    Info = modrt_describe(tinyDescriptor());
    ASSERT_NE(Info, nullptr);
    M = modrt_create(tinyDescriptor());
    ASSERT_NE(M, nullptr);
    ASSERT_EQ(modrt_init(M, 2024), MODRT_OK);
    Before = snapshot(M, Info);
  }
  void TearDown() override {
    modrt_destroy(M);
    for (const std::string &Path : Paths)
      ::unlink(Path.c_str());
  }

  std::string write(const std::string &Bytes) {
    std::string Path = tempPath("load.safetensors");
    writeFile(Path, Bytes);
    Paths.push_back(Path);
    return Path;
  }

  /// Loads Path, expecting Code, a message mentioning Mention, and no
  /// parameter changed.
  void expectFailure(const std::string &Path, int Code,
                     const std::string &Mention) {
    modrt_clear_error(M);
    EXPECT_EQ(modrt_load(M, Path.c_str()), Code) << modrt_error(M);
    std::string Message = modrt_error(M);
    EXPECT_NE(Message.find(Mention), std::string::npos)
        << "message: " << Message << "\nexpected to mention: " << Mention;
    EXPECT_TRUE(Before == snapshot(M, Info)) << "parameters changed";
  }

  /// A file for the tiny model whose header is Header (and valid data).
  void expectHeaderFailure(const std::string &Header,
                           const std::string &Mention) {
    SCOPED_TRACE(Header);
    expectFailure(write(safetensorsFile(Header, tinyData())), MODRT_EFORMAT,
                  Mention);
  }

  const modrt_info *Info = nullptr;
  modrt_model *M = nullptr;
  std::vector<std::string> Before;
  std::vector<std::string> Paths;
};

TEST_F(LoadTest, LoadsAValidFile) {
  std::string Path = write(safetensorsFile(tinyHeader(), tinyData()));
  ASSERT_EQ(modrt_load(M, Path.c_str()), MODRT_OK) << modrt_error(M);
  std::vector<std::string> After = snapshot(M, Info);
  EXPECT_EQ(After[0] + After[1] + After[2], tinyData());
}

TEST_F(LoadTest, MissingFile) {
  std::string Path = testing::TempDir() + "modrt_does_not_exist.safetensors";
  expectFailure(Path, MODRT_EIO, Path);
  EXPECT_NE(std::string(modrt_error(M)).find("No such file"),
            std::string::npos);
}

TEST_F(LoadTest, NotARegularFile) {
  expectFailure(testing::TempDir(), MODRT_EIO, "not a regular file");
  // Opening a FIFO without a writer must not block.
  std::string Fifo = tempPath("fifo");
  ASSERT_EQ(::mkfifo(Fifo.c_str(), 0644), 0);
  Paths.push_back(Fifo);
  expectFailure(Fifo, MODRT_EIO, "not a regular file");
}

TEST_F(LoadTest, EmptyFile) {
  std::string Path = write("");
  expectFailure(Path, MODRT_EFORMAT, Path);
}

TEST_F(LoadTest, TruncatedHeaderLength) {
  std::string Path = write(std::string("\x10\x00\x00", 3));
  expectFailure(Path, MODRT_EFORMAT, "too short");
}

TEST_F(LoadTest, HeaderLengthBeyondTheFile) {
  std::string File = safetensorsFile(tinyHeader(), tinyData());
  File[0] = char(0xff);
  File[1] = char(0xff);
  std::string Path = write(File);
  expectFailure(Path, MODRT_EFORMAT, "exceeds the file");
  File[7] = char(0x80); // A length near 2^64.
  expectFailure(write(File), MODRT_EFORMAT, "exceeds the file");
}

TEST_F(LoadTest, HeaderLengthBeyondTheLimit) {
  // A sparse 200 MB file announcing a 150 MB header.
  std::string Path = tempPath("sparse.safetensors");
  Paths.push_back(Path);
  int Fd = ::open(Path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(Fd, 0);
  uint64_t Length = 150000000;
  unsigned char Prefix[8];
  for (int I = 0; I < 8; ++I)
    Prefix[I] = static_cast<unsigned char>(Length >> (8 * I));
  ASSERT_EQ(::write(Fd, Prefix, 8), 8);
  ASSERT_EQ(::ftruncate(Fd, 200000000), 0);
  ::close(Fd);
  expectFailure(Path, MODRT_EFORMAT, "exceeds the limit");
}

TEST_F(LoadTest, InvalidJson) {
  expectHeaderFailure(R"({"a.w": {"dtype": "F32",)", "invalid JSON header");
  expectHeaderFailure(std::string("{\"a.w\"\0:1}", 10), "invalid JSON header");
  expectHeaderFailure("", "invalid JSON header");
}

TEST_F(LoadTest, JsonNotAnObject) {
  expectHeaderFailure(R"([1, 2, 3])", "not a JSON object");
  expectHeaderFailure(R"("a.w")", "not a JSON object");
}

TEST_F(LoadTest, EntryNotAnObject) {
  expectHeaderFailure(R"({"a.w": [1]})", "parameter 'a.w'");
}

TEST_F(LoadTest, MissingKey) {
  std::string Header = tinyHeader();
  std::string Without = Header;
  Without.replace(Without.find(R"("dtype":"F32","shape":[3],)"),
                  std::strlen(R"("dtype":"F32",)"), "");
  expectHeaderFailure(Without, "parameter 'a.b': missing 'dtype'");
  Without = Header;
  Without.replace(Without.find(R"(,"data_offsets":[36,68])"),
                  std::strlen(R"(,"data_offsets":[36,68])"), "");
  expectHeaderFailure(Without, "parameter 'emb': missing 'data_offsets'");
  Without = Header;
  Without.replace(Without.find(R"("shape":[2,3],)"),
                  std::strlen(R"("shape":[2,3],)"), "");
  expectHeaderFailure(Without, "parameter 'a.w': missing 'shape'");
}

TEST_F(LoadTest, WrongDtype) {
  // a.w as F16: 12 bytes, consistent offsets, the wrong dtype.
  std::string Header =
      R"({"a.w":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},)"
      R"("a.b":{"dtype":"F32","shape":[3],"data_offsets":[12,24]},)"
      R"("emb":{"dtype":"I64","shape":[4],"data_offsets":[24,56]}})";
  expectFailure(write(safetensorsFile(Header, tinyData().substr(12))),
                MODRT_EFORMAT,
                "parameter 'a.w': dtype F16 in file, expected F32");
  // Wrong type of the dtype value itself.
  std::string Bad = tinyHeader();
  Bad.replace(Bad.find(R"("I64")"), 5, "64");
  expectHeaderFailure(Bad, "parameter 'emb': 'dtype' is not a string");
}

TEST_F(LoadTest, WrongShape) {
  std::string Header = tinyHeader();
  Header.replace(Header.find("[2,3]"), 5, "[3,2]");
  expectHeaderFailure(Header,
                      "parameter 'a.w': shape [3, 2] in file, expected [2, 3]");
  Header = tinyHeader();
  Header.replace(Header.find("[2,3]"), 5, "[6]");
  expectHeaderFailure(Header,
                      "parameter 'a.w': shape [6] in file, expected [2, 3]");
  Header = tinyHeader();
  Header.replace(Header.find("[2,3]"), 5, "[2,-3]");
  expectHeaderFailure(Header, "parameter 'a.w': 'shape' holds");
  Header = tinyHeader();
  Header.replace(Header.find("[2,3]"), 5, "7");
  expectHeaderFailure(Header, "parameter 'a.w': 'shape' is not an array");
}

TEST_F(LoadTest, OffsetsOutOfRange) {
  std::string Header = tinyHeader();
  Header.replace(Header.find("[36,68]"), 7, "[68,100]");
  expectHeaderFailure(Header, "parameter 'emb': data_offsets [68, 100] out "
                              "of range");
  Header = tinyHeader();
  Header.replace(Header.find("[24,36]"), 7, "[36,24]");
  expectHeaderFailure(Header, "parameter 'a.b': data_offsets [36, 24] out");
  Header = tinyHeader();
  Header.replace(Header.find("[24,36]"), 7, "[-12,0]");
  expectHeaderFailure(Header, "parameter 'a.b': 'data_offsets' is not");
  Header = tinyHeader();
  Header.replace(Header.find("[24,36]"), 7, "[24,36,48]");
  expectHeaderFailure(Header, "parameter 'a.b': 'data_offsets' is not");
}

TEST_F(LoadTest, OffsetsInconsistentWithShape) {
  std::string Header = tinyHeader();
  Header.replace(Header.find("[24,36]"), 7, "[24,40]");
  expectHeaderFailure(Header, "parameter 'a.b': data_offsets [24, 40] hold "
                              "16 bytes, but F32 [3] needs 12");
  // The same check applies to tensors the model does not use.
  Header = tinyHeader();
  Header.insert(1,
                R"("other":{"dtype":"F64","shape":[2],"data_offsets":[0,8]},)");
  expectHeaderFailure(Header, "tensor 'other': data_offsets [0, 8] hold 8 "
                              "bytes, but F64 [2] needs 16");
  // Shapes whose byte size overflows.
  Header = tinyHeader();
  Header.insert(1, R"("huge":{"dtype":"F32","shape":[4294967296,4294967296],)"
                   R"("data_offsets":[0,0]},)");
  expectHeaderFailure(Header, "tensor 'huge': shape is too large");
}

TEST_F(LoadTest, TruncatedData) {
  std::string File = safetensorsFile(tinyHeader(), tinyData());
  for (size_t Cut = 1; Cut <= 32; Cut += 7)
    expectFailure(write(File.substr(0, File.size() - Cut)), MODRT_EFORMAT,
                  "parameter 'emb': data_offsets [36, 68] out of range");
}

TEST_F(LoadTest, MissingTensor) {
  std::string Header =
      R"({"a.w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("other":{"dtype":"U8","shape":[12],"data_offsets":[24,36]},)"
      R"("emb":{"dtype":"I64","shape":[4],"data_offsets":[36,68]}})";
  expectHeaderFailure(Header, "parameter 'a.b' is missing from the file");
}

TEST_F(LoadTest, DuplicateTensor) {
  std::string Header = tinyHeader();
  Header.insert(1,
                R"("a.b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]},)");
  expectHeaderFailure(Header, "parameter 'a.b' appears twice");
}

TEST_F(LoadTest, ExtraTensorsAreIgnored) {
  std::string Header =
      R"({"zzz":{"dtype":"F64","shape":[1],"data_offsets":[68,76]},)"
      R"("a.w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("q":{"dtype":"F8_E4M3","shape":[],"data_offsets":[76,77]},)"
      R"("a.b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]},)"
      R"("exotic":{"dtype":"F4","shape":[3],"data_offsets":[77,79],"x":1},)"
      R"("emb":{"dtype":"I64","shape":[4],"data_offsets":[36,68]}})";
  std::string Path =
      write(safetensorsFile(Header, tinyData() + std::string(11, '\x7f')));
  ASSERT_EQ(modrt_load(M, Path.c_str()), MODRT_OK) << modrt_error(M);
  std::vector<std::string> After = snapshot(M, Info);
  EXPECT_EQ(After[0] + After[1] + After[2], tinyData());
}

// As the reference implementation rules, the tensors tile the data section:
// data shared by two tensors, bytes no tensor owns, or bytes after the last
// tensor make the file malformed, whatever the tensors the model wants.
TEST_F(LoadTest, TensorsMustTileTheDataSection) {
  expectHeaderFailure(
      R"({"a.w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("a.b":{"dtype":"F32","shape":[3],"data_offsets":[20,32]},)"
      R"("emb":{"dtype":"I64","shape":[4],"data_offsets":[36,68]}})",
      "parameter 'a.b': data_offsets [20, 32] overlaps 'a.w', which ends at "
      "24");
  expectHeaderFailure(
      R"({"a.w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("a.b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]},)"
      R"("alias":{"dtype":"F32","shape":[3],"data_offsets":[24,36]},)"
      R"("emb":{"dtype":"I64","shape":[4],"data_offsets":[36,68]}})",
      "overlaps");
  expectHeaderFailure(
      R"({"a.w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("a.b":{"dtype":"F32","shape":[3],"data_offsets":[28,40]},)"
      R"("emb":{"dtype":"I64","shape":[4],"data_offsets":[36,68]}})",
      "leaves a gap after 'a.w', which ends at 24");
  expectFailure(
      write(safetensorsFile(
          R"({"a.w":{"dtype":"F32","shape":[2,3],"data_offsets":[4,28]},)"
          R"("a.b":{"dtype":"F32","shape":[3],"data_offsets":[28,40]},)"
          R"("emb":{"dtype":"I64","shape":[4],"data_offsets":[40,72]}})",
          std::string(4, '\0') + tinyData())),
      MODRT_EFORMAT, "the first tensor must start at 0");
  std::string Path =
      write(safetensorsFile(tinyHeader(), tinyData() + std::string(4, '\0')));
  expectFailure(Path, MODRT_EFORMAT,
                "the tensors end at byte 68 of a data section of 72 bytes");
}

TEST_F(LoadTest, MetadataIsIgnored) {
  std::string Header = tinyHeader();
  Header.insert(1, R"("__metadata__":{"format":"pt","note":"\u00e9"},)");
  std::string Path = write(safetensorsFile(Header + "   ", tinyData()));
  ASSERT_EQ(modrt_load(M, Path.c_str()), MODRT_OK) << modrt_error(M);
  std::vector<std::string> After = snapshot(M, Info);
  EXPECT_EQ(After[0] + After[1] + After[2], tinyData());

  Before = After;
  Header = tinyHeader();
  Header.insert(1, R"("__metadata__":{"format":1},)");
  expectHeaderFailure(Header, "'__metadata__' value of 'format'");
  Header = tinyHeader();
  Header.insert(1, R"("__metadata__":[],)");
  expectHeaderFailure(Header, "'__metadata__' is not a JSON object");
}

TEST_F(LoadTest, SurvivesCorruption) {
  // Flip, cut or overwrite bytes of a valid file: every load either succeeds
  // or fails with MODRT_EFORMAT and leaves the parameters as they were.
  std::string Valid = safetensorsFile(tinyHeader(), tinyData());
  std::mt19937 Rng(7);
  std::string Path = tempPath("fuzz.safetensors");
  Paths.push_back(Path);
  for (int Trial = 0; Trial < 1500; ++Trial) {
    std::string File = Valid;
    switch (Trial % 3) {
    case 0:
      File[Rng() % File.size()] = char(Rng());
      break;
    case 1:
      File.resize(Rng() % File.size());
      break;
    default:
      File[8 + Rng() % (File.size() - 8 - 68)] = "{}[]\":,0-9 x"[Rng() % 12];
      break;
    }
    writeFile(Path, File);
    std::vector<std::string> Prior = snapshot(M, Info);
    int Code = modrt_load(M, Path.c_str());
    ASSERT_TRUE(Code == MODRT_OK || Code == MODRT_EFORMAT)
        << Code << " " << modrt_error(M);
    if (Code != MODRT_OK) {
      ASSERT_TRUE(Prior == snapshot(M, Info));
    }
  }
}

TEST(SaveTest, WritesTheStandardFormat) {
  modrt_model *M = modrt_create(tinyDescriptor());
  ASSERT_NE(M, nullptr);
  const modrt_info *Info = modrt_describe(tinyDescriptor());
  std::string Data = tinyData();
  std::memcpy(modrt_param_data(M, 0), Data.data(), 24);
  std::memcpy(modrt_param_data(M, 1), Data.data() + 24, 12);
  std::memcpy(modrt_param_data(M, 2), Data.data() + 36, 32);
  std::string Path = tempPath("tiny.safetensors");
  ASSERT_EQ(modrt_save(M, Path.c_str()), MODRT_OK) << modrt_error(M);

  // Keys in parameter order, data contiguous, the header padded with spaces
  // to a multiple of 8 bytes.
  std::string Header = tinyHeader();
  Header.append((8 - Header.size() % 8) % 8, ' ');
  EXPECT_EQ(readFile(Path), safetensorsFile(Header, Data));

  // No temporary file is left behind.
  std::string Temp = Path + ".tmp." + std::to_string(::getpid());
  EXPECT_NE(::access(Temp.c_str(), F_OK), 0);

  // What was written loads back.
  modrt_model *Other = modrt_create(tinyDescriptor());
  ASSERT_NE(Other, nullptr);
  ASSERT_EQ(modrt_load(Other, Path.c_str()), MODRT_OK) << modrt_error(Other);
  EXPECT_TRUE(snapshot(M, Info) == snapshot(Other, Info));
  modrt_destroy(Other);
  modrt_destroy(M);
  ::unlink(Path.c_str());
}

TEST(SaveTest, RoundTripIsByteIdentical) {
  modrt_model *A = modrt_create(loraDescriptor());
  modrt_model *B = modrt_create(loraDescriptor());
  ASSERT_NE(A, nullptr);
  ASSERT_NE(B, nullptr);
  const modrt_info *Info = modrt_describe(loraDescriptor());
  ASSERT_EQ(modrt_init(A, 11), MODRT_OK);
  std::string First = tempPath("lora1.safetensors");
  std::string Second = tempPath("lora2.safetensors");
  ASSERT_EQ(modrt_save(A, First.c_str()), MODRT_OK) << modrt_error(A);
  ASSERT_EQ(modrt_load(B, First.c_str()), MODRT_OK) << modrt_error(B);
  EXPECT_TRUE(snapshot(A, Info) == snapshot(B, Info));
  ASSERT_EQ(modrt_save(B, Second.c_str()), MODRT_OK) << modrt_error(B);
  std::string Bytes = readFile(First);
  EXPECT_EQ(Bytes, readFile(Second));

  // The header parses, starts with '{', and the data starts 8-byte aligned
  // and ends the file.
  uint64_t Length = 0;
  for (int I = 7; I >= 0; --I)
    Length = (Length << 8) | static_cast<unsigned char>(Bytes[size_t(I)]);
  EXPECT_EQ(Length % 8, 0u);
  EXPECT_EQ(Bytes[8], '{');
  modrt::json::Document Doc;
  ASSERT_EQ(Doc.parse(Bytes.data() + 8, size_t(Length)),
            modrt::json::Status::Ok);
  uint64_t Expected = 4 * (1024 * 1024 + 1024 + 2 * 1024 * 16);
  EXPECT_EQ(Bytes.size(), 8 + Length + Expected);
  std::vector<std::string> Keys;
  for (uint32_t C = Doc.root().FirstChild; C != modrt::json::NoNode;
       C = Doc.node(C).NextSibling)
    Keys.emplace_back(Doc.key(Doc.node(C)));
  EXPECT_EQ(Keys, (std::vector<std::string>{"base.w", "base.b", "adapter.A",
                                            "adapter.B"}));
  modrt_destroy(A);
  modrt_destroy(B);
  ::unlink(First.c_str());
  ::unlink(Second.c_str());
}

TEST(SaveTest, SavingReplacesAnExistingFile) {
  modrt_model *M = modrt_create(tinyDescriptor());
  ASSERT_NE(M, nullptr);
  std::string Path = tempPath("replace.safetensors");
  writeFile(Path, std::string(100000, 'x'));
  ASSERT_EQ(modrt_save(M, Path.c_str()), MODRT_OK) << modrt_error(M);
  EXPECT_EQ(modrt_load(M, Path.c_str()), MODRT_OK) << modrt_error(M);
  modrt_destroy(M);
  ::unlink(Path.c_str());
}

TEST(SaveTest, UnwritablePathsFailWithoutLeavingFiles) {
  modrt_model *M = modrt_create(tinyDescriptor());
  ASSERT_NE(M, nullptr);
  std::string Missing =
      testing::TempDir() + "modrt_no_such_dir/sub/w.safetensors";
  EXPECT_EQ(modrt_save(M, Missing.c_str()), MODRT_EIO);
  EXPECT_NE(std::string(modrt_error(M)).find(Missing), std::string::npos)
      << modrt_error(M);
  EXPECT_NE(::access(Missing.c_str(), F_OK), 0);

  // Renaming over a non-empty directory fails after the data is written:
  // the temporary file must be gone and the directory intact.
  std::string Dir = tempPath("dir");
  ASSERT_EQ(::mkdir(Dir.c_str(), 0755), 0);
  std::string Inside = Dir + "/keep";
  writeFile(Inside, "keep");
  EXPECT_EQ(modrt_save(M, Dir.c_str()), MODRT_EIO);
  EXPECT_NE(std::string(modrt_error(M)).find("rename"), std::string::npos)
      << modrt_error(M);
  std::string Temp = Dir + ".tmp." + std::to_string(::getpid());
  EXPECT_NE(::access(Temp.c_str(), F_OK), 0);
  EXPECT_EQ(readFile(Inside), "keep");
  ::unlink(Inside.c_str());
  ::rmdir(Dir.c_str());
  modrt_destroy(M);
}

TEST(SaveTest, SymbolicLinksAreFollowed) {
  // The file a link names gets the new contents; the link stays a link.
  modrt_model *M = modrt_create(tinyDescriptor());
  ASSERT_NE(M, nullptr);
  ASSERT_EQ(modrt_init(M, 3), MODRT_OK);
  std::string File = tempPath("linked.safetensors");
  std::string Link = tempPath("link.safetensors");
  writeFile(File, "old");
  ::unlink(Link.c_str());
  ASSERT_EQ(::symlink(File.c_str(), Link.c_str()), 0);
  ASSERT_EQ(modrt_save(M, Link.c_str()), MODRT_OK) << modrt_error(M);
  struct stat St;
  ASSERT_EQ(::lstat(Link.c_str(), &St), 0);
  EXPECT_TRUE(S_ISLNK(St.st_mode));
  EXPECT_EQ(modrt_load(M, File.c_str()), MODRT_OK) << modrt_error(M);
  modrt_destroy(M);
  ::unlink(Link.c_str());
  ::unlink(File.c_str());
}

TEST(SaveTest, SpecialFilesAreWrittenIntoNotReplaced) {
  // A FIFO (as a device would be) receives the bytes a regular file would
  // hold and stays a FIFO.
  modrt_model *M = modrt_create(tinyDescriptor());
  ASSERT_NE(M, nullptr);
  ASSERT_EQ(modrt_init(M, 5), MODRT_OK);
  std::string Regular = tempPath("regular.safetensors");
  ASSERT_EQ(modrt_save(M, Regular.c_str()), MODRT_OK) << modrt_error(M);
  std::string Fifo = tempPath("fifo.safetensors");
  ::unlink(Fifo.c_str());
  ASSERT_EQ(::mkfifo(Fifo.c_str(), 0644), 0);
  std::string Read;
  std::thread Reader([&] {
    int Fd = ::open(Fifo.c_str(), O_RDONLY);
    char Buffer[4096];
    ssize_t N;
    while (Fd >= 0 && (N = ::read(Fd, Buffer, sizeof(Buffer))) > 0)
      Read.append(Buffer, size_t(N));
    if (Fd >= 0)
      ::close(Fd);
  });
  int Status = modrt_save(M, Fifo.c_str());
  Reader.join();
  EXPECT_EQ(Status, MODRT_OK) << modrt_error(M);
  EXPECT_EQ(Read, readFile(Regular));
  struct stat St;
  ASSERT_EQ(::lstat(Fifo.c_str(), &St), 0);
  EXPECT_TRUE(S_ISFIFO(St.st_mode));
  modrt_destroy(M);
  ::unlink(Fifo.c_str());
  ::unlink(Regular.c_str());
}

TEST(SaveTest, EscapesNamesInTheHeader) {
  // Names from the descriptor never need escaping, but the writer is general.
  int64_t Shape[1] = {1};
  float Value = 2.0f;
  modrt::TensorRef Tensor{"we\"ird\\name\n", MODRT_F32, 1, Shape, &Value};
  std::string Path = tempPath("escape.safetensors");
  char Message[256] = {};
  modrt::ErrorSink Err(Message, sizeof(Message));
  ASSERT_EQ(modrt::saveSafetensors(Path.c_str(), &Tensor, 1, Err), MODRT_OK)
      << Message;
  float Loaded = 0;
  modrt::TensorRef Target{"we\"ird\\name\n", MODRT_F32, 1, Shape, &Loaded};
  ASSERT_EQ(modrt::loadSafetensors(Path.c_str(), &Target, 1, Err), MODRT_OK)
      << Message;
  EXPECT_EQ(Loaded, 2.0f);
  ::unlink(Path.c_str());
}

} // namespace
