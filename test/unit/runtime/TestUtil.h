//===- TestUtil.h - Helpers shared by the runtime unit tests ----*- C++ -*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//

#ifndef MODRT_TEST_TESTUTIL_H
#define MODRT_TEST_TESTUTIL_H

#include "modrt/runtime.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <unistd.h>

namespace modrt_test {

/// The descriptor of the LoRA example: a frozen 1024x1024 base layer and a
/// rank-16 trainable adapter.
inline const char *loraDescriptor() {
  return "modrt 1\n"
         "model lora\n"
         "dim D 1024\n"
         "dyn N\n"
         "param base.w f32 2 1024 1024 frozen xavier\n"
         "param base.b f32 1 1024 frozen zeros\n"
         "param adapter.A f32 2 1024 16 trainable normal 0 0.02\n"
         "param adapter.B f32 2 16 1024 trainable const 0.5\n"
         "entry forward 1 0\n"
         "in x f32 2 0 1 0 1 1024 0\n"
         "out y f32 2 0 1 0 1 1024 0\n"
         "end\n";
}

/// A small model for the weight-file tests: 68 bytes of data in all.
inline const char *tinyDescriptor() {
  return "modrt 1\n"
         "model tiny\n"
         "param a.w f32 2 2 3 trainable normal 1 0.5\n"
         "param a.b f32 1 3 trainable uniform -2 2\n"
         "param emb i64 1 4 frozen uniform 10 1000\n"
         "end\n";
}

/// The header of a valid file for tinyDescriptor().
inline std::string tinyHeader() {
  return R"({"a.w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
         R"("a.b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]},)"
         R"("emb":{"dtype":"I64","shape":[4],"data_offsets":[36,68]}})";
}

/// A fresh path in the test temporary directory.
inline std::string tempPath(const std::string &Name) {
  static int Counter = 0;
  return testing::TempDir() + "modrt_" + std::to_string(::getpid()) + "_" +
         std::to_string(Counter++) + "_" + Name;
}

inline void writeFile(const std::string &Path, const std::string &Bytes) {
  std::FILE *F = std::fopen(Path.c_str(), "wb");
  ASSERT_NE(F, nullptr) << Path;
  ASSERT_EQ(std::fwrite(Bytes.data(), 1, Bytes.size(), F), Bytes.size());
  ASSERT_EQ(std::fclose(F), 0);
}

inline std::string readFile(const std::string &Path) {
  std::string Bytes;
  std::FILE *F = std::fopen(Path.c_str(), "rb");
  if (!F)
    return Bytes;
  char Buffer[65536];
  size_t N;
  while ((N = std::fread(Buffer, 1, sizeof(Buffer), F)) > 0)
    Bytes.append(Buffer, N);
  std::fclose(F);
  return Bytes;
}

/// A safetensors file: the 8-byte little-endian length of Header, Header,
/// then Data.
inline std::string safetensorsFile(const std::string &Header,
                                   const std::string &Data) {
  std::string File;
  uint64_t Length = Header.size();
  for (int I = 0; I < 8; ++I)
    File.push_back(char((Length >> (8 * I)) & 0xff));
  return File + Header + Data;
}

/// The bytes of every parameter of M, in order.
inline std::vector<std::string> snapshot(modrt_model *M,
                                         const modrt_info *Info) {
  std::vector<std::string> Params;
  for (int32_t I = 0; I < Info->num_params; ++I) {
    size_t Size = size_t(Info->params[I].count);
    switch (Info->params[I].dtype) {
    case MODRT_F32:
    case MODRT_I32:
      Size *= 4;
      break;
    case MODRT_F16:
    case MODRT_BF16:
      Size *= 2;
      break;
    case MODRT_I64:
      Size *= 8;
      break;
    case MODRT_BOOL:
      break;
    }
    Params.emplace_back(static_cast<const char *>(modrt_param_data(M, I)),
                        Size);
  }
  return Params;
}

} // namespace modrt_test

#endif // MODRT_TEST_TESTUTIL_H
