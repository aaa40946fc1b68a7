//===- DescriptorTest.cpp - Tests of the descriptor parser ----------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//

#include "Descriptor.h"
#include "TestUtil.h"

#include "modrt/runtime.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace modrt_test;

namespace {

/// Parses Text without the cache, returning the error message (empty on
/// success).
std::string parseError(const std::string &Text) {
  char Message[512] = {};
  modrt::ErrorSink Err(Message, sizeof(Message));
  modrt::Descriptor *D = modrt::Descriptor::parse(Text.c_str(), Err);
  delete D;
  if (D)
    return "";
  EXPECT_NE(Message[0], '\0') << "a failed parse must say why";
  return Message;
}

TEST(DescriptorTest, ParsesTheLoraExample) {
  const modrt_info *Info = modrt_describe(loraDescriptor());
  ASSERT_NE(Info, nullptr);
  EXPECT_EQ(Info->abi_version, uint32_t(MODRT_ABI_VERSION));
  EXPECT_STREQ(Info->model_name, "lora");

  ASSERT_EQ(Info->num_dims, 1);
  EXPECT_STREQ(Info->dim_names[0], "D");
  EXPECT_EQ(Info->dim_values[0], 1024);
  ASSERT_EQ(Info->num_dyns, 1);
  EXPECT_STREQ(Info->dyn_names[0], "N");

  ASSERT_EQ(Info->num_params, 4);
  const modrt_param_info &W = Info->params[0];
  EXPECT_STREQ(W.name, "base.w");
  EXPECT_EQ(W.dtype, MODRT_F32);
  ASSERT_EQ(W.rank, 2);
  EXPECT_EQ(W.shape[0], 1024);
  EXPECT_EQ(W.shape[1], 1024);
  EXPECT_EQ(W.trainable, 0);
  EXPECT_EQ(W.count, 1024 * 1024);
  const modrt_param_info &B = Info->params[1];
  EXPECT_STREQ(B.name, "base.b");
  ASSERT_EQ(B.rank, 1);
  EXPECT_EQ(B.shape[0], 1024);
  EXPECT_EQ(B.count, 1024);
  const modrt_param_info &A = Info->params[2];
  EXPECT_STREQ(A.name, "adapter.A");
  EXPECT_EQ(A.trainable, 1);
  EXPECT_EQ(A.shape[0], 1024);
  EXPECT_EQ(A.shape[1], 16);
  EXPECT_EQ(A.count, 1024 * 16);
  EXPECT_STREQ(Info->params[3].name, "adapter.B");
  EXPECT_EQ(Info->params[3].shape[0], 16);

  ASSERT_EQ(Info->num_entries, 1);
  const modrt_entry_info &E = Info->entries[0];
  EXPECT_STREQ(E.name, "forward");
  ASSERT_EQ(E.num_dyns, 1);
  EXPECT_EQ(E.dyns[0], 0);
  ASSERT_EQ(E.num_inputs, 1);
  ASSERT_EQ(E.num_outputs, 1);
  const modrt_tensor_info &X = E.inputs[0];
  EXPECT_STREQ(X.name, "x");
  EXPECT_EQ(X.dtype, MODRT_F32);
  ASSERT_EQ(X.rank, 2);
  // x: f32[N, 1024].
  EXPECT_EQ(X.dims[0].constant, 0);
  ASSERT_EQ(X.dims[0].num_terms, 1);
  EXPECT_EQ(X.dims[0].dyn_index[0], 0);
  EXPECT_EQ(X.dims[0].coeff[0], 1);
  EXPECT_EQ(X.dims[1].constant, 1024);
  EXPECT_EQ(X.dims[1].num_terms, 0);
  EXPECT_STREQ(E.outputs[0].name, "y");
  EXPECT_EQ(E.outputs[0].rank, 2);
}

TEST(DescriptorTest, ParsesInitialisersAndLayout) {
  char Message[256] = {};
  modrt::ErrorSink Err(Message, sizeof(Message));
  modrt::Descriptor *D = modrt::Descriptor::parse(loraDescriptor(), Err);
  ASSERT_NE(D, nullptr) << Message;
  EXPECT_EQ(D->init(0).Kind, modrt::InitKind::Xavier);
  EXPECT_EQ(D->init(1).Kind, modrt::InitKind::Zeros);
  EXPECT_EQ(D->init(2).Kind, modrt::InitKind::Normal);
  EXPECT_EQ(D->init(2).A, 0.0);
  EXPECT_EQ(D->init(2).B, 0.02);
  EXPECT_EQ(D->init(3).Kind, modrt::InitKind::Const);
  EXPECT_EQ(D->init(3).A, 0.5);
  EXPECT_EQ(D->paramBytes(0), 4u * 1024 * 1024);
  EXPECT_EQ(D->paramOffset(0), 0u);
  EXPECT_EQ(D->paramOffset(1), 4u * 1024 * 1024);
  for (int32_t I = 0; I < 4; ++I)
    EXPECT_EQ(D->paramOffset(I) % 64, 0u);
  EXPECT_GE(D->blockBytes(), D->paramOffset(3) + D->paramBytes(3));
  delete D;
}

TEST(DescriptorTest, ParsesEveryDtypeAndInitialiser) {
  std::string Text = "modrt 1\nmodel all\n"
                     "param p0 f32 0 trainable zeros\n"
                     "param p1 f16 1 3 trainable ones\n"
                     "param p2 bf16 1 3 frozen const -1.5e-3\n"
                     "param p3 i32 1 3 frozen uniform -10 10\n"
                     "param p4 i64 2 0 7 frozen normal 1 2\n"
                     "param p5 bool 3 2 2 2 frozen xavier\n"
                     "end";
  const modrt_info *Info = modrt_describe(Text.c_str());
  ASSERT_NE(Info, nullptr) << parseError(Text);
  ASSERT_EQ(Info->num_params, 6);
  EXPECT_EQ(Info->params[0].rank, 0);
  EXPECT_EQ(Info->params[0].count, 1);
  EXPECT_EQ(Info->params[1].dtype, MODRT_F16);
  EXPECT_EQ(Info->params[2].dtype, MODRT_BF16);
  EXPECT_EQ(Info->params[3].dtype, MODRT_I32);
  EXPECT_EQ(Info->params[4].dtype, MODRT_I64);
  EXPECT_EQ(Info->params[4].count, 0);
  EXPECT_EQ(Info->params[5].dtype, MODRT_BOOL);
  EXPECT_EQ(Info->params[5].count, 8);
  EXPECT_EQ(Info->num_entries, 0);
  EXPECT_EQ(Info->num_dyns, 0);
}

TEST(DescriptorTest, ParsesSymbolicShapes) {
  // y: f32[2*T + P + 1, 8] from two dyns, with the entry using both.
  std::string Text = "modrt 1\nmodel m\ndyn P\ndyn T\n"
                     "entry step 2 0 1\n"
                     "in a i32 1 0 1 1 1\n"
                     "in b f32 0\n"
                     "out y f32 2 1 2 1 2 0 1 8 0\n"
                     "entry other 0\n"
                     "out z i64 1 4 0\n"
                     "end\n";
  const modrt_info *Info = modrt_describe(Text.c_str());
  ASSERT_NE(Info, nullptr) << parseError(Text);
  ASSERT_EQ(Info->num_entries, 2);
  const modrt_entry_info &E = Info->entries[0];
  ASSERT_EQ(E.num_dyns, 2);
  EXPECT_EQ(E.dyns[1], 1);
  ASSERT_EQ(E.num_inputs, 2);
  EXPECT_EQ(E.inputs[1].rank, 0);
  ASSERT_EQ(E.num_outputs, 1);
  const modrt_dim &D0 = E.outputs[0].dims[0];
  EXPECT_EQ(D0.constant, 1);
  ASSERT_EQ(D0.num_terms, 2);
  EXPECT_EQ(D0.dyn_index[0], 1);
  EXPECT_EQ(D0.coeff[0], 2);
  EXPECT_EQ(D0.dyn_index[1], 0);
  EXPECT_EQ(D0.coeff[1], 1);
  const modrt_entry_info &O = Info->entries[1];
  EXPECT_EQ(O.num_dyns, 0);
  EXPECT_EQ(O.num_inputs, 0);
  ASSERT_EQ(O.num_outputs, 1);
  EXPECT_STREQ(O.outputs[0].name, "z");
  EXPECT_EQ(O.outputs[0].dims[0].constant, 4);
}

TEST(DescriptorTest, AcceptsLooseWhitespace) {
  std::string Text = "\r\n  modrt   1\r\nmodel\tm\r\n\r\n"
                     "param  w  f32 1 4 trainable  zeros \r\nend\r\n\n";
  EXPECT_EQ(parseError(Text), "");
}

TEST(DescriptorTest, RejectsMalformedDescriptors) {
  const std::string Head = "modrt 1\nmodel m\n";
  const std::vector<std::pair<std::string, std::string>> Cases = {
      {"", "missing 'end'"},
      {"end\n", "expected 'modrt 1'"},
      {"modrt 2\nmodel m\nend\n", "unsupported descriptor version 2"},
      {"modrt 1\nend\n", "expected 'model NAME'"},
      {"modrt 1\nmodel\nend\n", "'model' record takes"},
      {"modrt 1\nmodel bad-name\nend\n", "invalid name"},
      {Head, "missing 'end'"},
      {Head + "end\nend\n", "after 'end'"},
      {Head + "end\ndim D 4\n", "after 'end'"},
      {Head + "param w f32 1 4\nend\n", "missing trainable"},
      {Head + "param w f64 1 4 trainable zeros\nend\n", "unknown dtype"},
      {Head + "param w f32 1 -4 trainable zeros\nend\n", "negative dimension"},
      {Head + "param w f32 -1 trainable zeros\nend\n", "rank -1"},
      {Head + "param w f32 1000000 1 trainable zeros\nend\n", "rank"},
      {Head + "param w f32 99999999999999999999 trainable zeros\nend\n",
       "invalid rank"},
      {Head + "param w f32 1 4x trainable zeros\nend\n", "invalid dimension"},
      {Head + "param w f32 1 +4 trainable zeros\nend\n", "invalid dimension"},
      {Head + "param w f32 1 4 sometimes zeros\nend\n",
       "expected trainable|frozen"},
      {Head + "param w f32 1 4 trainable gaussian\nend\n",
       "unknown initialiser"},
      {Head + "param w f32 1 4 trainable normal 0\nend\n",
       "missing initialiser argument"},
      {Head + "param w f32 1 4 trainable normal 0 x\nend\n",
       "invalid initialiser argument"},
      {Head + "param w f32 1 4 trainable const nan\nend\n",
       "invalid initialiser argument"},
      {Head + "param w f32 1 4 trainable const 1e999\nend\n",
       "invalid initialiser argument"},
      {Head + "param w f32 1 4 trainable zeros 1\nend\n", "unexpected fields"},
      {Head + "param w f32 3 4611686018427387904 4 4 trainable zeros\nend\n",
       "too large"},
      {Head + "param w f32 1 4 trainable zeros\n"
              "param w f32 1 4 trainable zeros\nend\n",
       "duplicate parameter 'w'"},
      {Head + "dim D -1\nend\n", "negative"},
      {Head + "dim D 1 2\nend\n", "'dim' record takes"},
      {Head + "dim D 1\ndyn D\nend\n", "duplicate dim or dyn 'D'"},
      {Head + "dyn N\ndyn N\nend\n", "duplicate"},
      {Head + "in x f32 0\nend\n", "before any 'entry'"},
      {Head + "entry f 1 0\nend\n", "out of range"},
      {Head + "entry f 2 0\nend\n", "'entry' record takes"},
      {Head + "dyn N\nentry f 2 0 0\nend\n", "listed twice"},
      {Head + "entry f 0\nentry f 0\nend\n", "duplicate entry 'f'"},
      {Head + "dyn N\nentry f 0\nin x f32 1 0 1 0 1\nend\n",
       "not a dyn of the entry"},
      {Head + "dyn N\nentry f 1 0\nin x f32 1 0 1 0\nend\n",
       "missing coefficient"},
      {Head + "dyn N\nentry f 1 0\nin x f32 1 0 1 0 1 5\nend\n",
       "unexpected fields"},
      {Head + "dyn N\nentry f 1 0\nin x f32 1 0 65 0 1\nend\n",
       "term count 65"},
      {Head + "entry f 0\nin x f32 0\nout x f32 0\nend\n",
       "duplicate argument 'x'"},
      {Head + "frobnicate\nend\n", "unknown record"},
      {Head + "end extra\n", "'end' record takes"},
      {"\x01\x02\x03garbage\xff\n", "expected 'modrt 1'"},
      {Head + "param w f32 1 4 trainable zeros\nupdate 0 1 0 4 1 0 0 0\nend\n",
       "outside a 'train'"},
      {Head + "param w f32 1 4 trainable zeros\ntrain t 0\nout loss f32 0\n"
              "update 0 2 0 0 4 1 0 0 0\nend\n",
       "'w' updated twice"},
      {Head + "param w f32 1 4 trainable zeros\ntrain t 0\nout loss f32 0\n"
              "update 0 1 0 4 1 0 0 0\nupdate 0 1 0 4 1 0 0 0\nend\n",
       "'w' updated twice"},
      {Head + "param w f32 1 4 frozen zeros\ntrain t 0\nout loss f32 0\n"
              "update 0 1 0 4 1 0 0 0\nend\n",
       "'w' is frozen"},
      {Head + "param w f32 1 4 trainable zeros\ntrain t 0\nout loss f32 0\n"
              "update 0 1 3 4 1 0 0 0\nend\n",
       "parameter index 3 out of range"},
  };
  for (const auto &[Text, Expected] : Cases) {
    SCOPED_TRACE(Text);
    EXPECT_EQ(modrt_describe(Text.c_str()), nullptr);
    EXPECT_EQ(modrt_create(Text.c_str()), nullptr);
    std::string Message = parseError(Text);
    EXPECT_NE(Message.find(Expected), std::string::npos) << Message;
  }
  EXPECT_EQ(modrt_describe(nullptr), nullptr);
  EXPECT_EQ(modrt_create(nullptr), nullptr);
}

TEST(DescriptorTest, AcceptsOneParameterInTwoTrainBlocks) {
  // Once per train block, not once per model.
  std::string Text = "modrt 1\nmodel m\nparam w f32 1 4 trainable zeros\n"
                     "train a 0\nout loss f32 0\nupdate 0 1 0 4 1 0 0 0\n"
                     "train b 0\nout loss f32 0\nupdate 0 1 0 4 1 0 0 0\n"
                     "end\n";
  EXPECT_NE(modrt_describe(Text.c_str()), nullptr) << parseError(Text);
}

TEST(DescriptorTest, RejectsEveryTruncation) {
  // Only the complete text (and the one missing its final newline) is valid:
  // every shorter prefix lacks the 'end' line.
  std::string Full = loraDescriptor();
  for (size_t Length = 0; Length + 1 < Full.size(); ++Length) {
    std::string Prefix = Full.substr(0, Length);
    EXPECT_EQ(modrt_describe(Prefix.c_str()), nullptr) << Prefix;
  }
  EXPECT_NE(modrt_describe(Full.substr(0, Full.size() - 1).c_str()), nullptr);
}

TEST(DescriptorTest, SurvivesRandomCorruption) {
  // Whatever the bytes, parsing returns (valid or not) without crashing; the
  // sanitizers catch any out-of-bounds access along the way.
  std::mt19937 Rng(12345);
  std::string Full = loraDescriptor();
  const char Alphabet[] = "0123456789 -\nabcxyz.ef";
  for (int Trial = 0; Trial < 3000; ++Trial) {
    std::string Text = Full;
    int Edits = 1 + int(Rng() % 4);
    for (int E = 0; E < Edits; ++E) {
      size_t Pos = Rng() % Text.size();
      switch (Rng() % 3) {
      case 0:
        Text[Pos] = Alphabet[Rng() % (sizeof(Alphabet) - 1)];
        break;
      case 1:
        Text.erase(Pos, 1 + Rng() % 8);
        break;
      default:
        Text.insert(Pos, 1, Alphabet[Rng() % (sizeof(Alphabet) - 1)]);
        break;
      }
      if (Text.empty())
        Text = "x";
    }
    char Message[256];
    modrt::ErrorSink Err(Message, sizeof(Message));
    delete modrt::Descriptor::parse(Text.c_str(), Err);
  }
}

TEST(DescriptorTest, CachesByContent) {
  const modrt_info *First = modrt_describe(loraDescriptor());
  ASSERT_NE(First, nullptr);
  EXPECT_EQ(modrt_describe(loraDescriptor()), First);
  // A copy elsewhere in memory maps to the same parse.
  std::string Copy = loraDescriptor();
  EXPECT_EQ(modrt_describe(Copy.c_str()), First);

  // A buffer reused for another descriptor is not confused with the first.
  std::vector<char> Buffer(512, '\0');
  std::string One = "modrt 1\nmodel one\nend\n";
  std::string Two = "modrt 1\nmodel two\nend\n";
  std::memcpy(Buffer.data(), One.c_str(), One.size() + 1);
  const modrt_info *InfoOne = modrt_describe(Buffer.data());
  ASSERT_NE(InfoOne, nullptr);
  std::memcpy(Buffer.data(), Two.c_str(), Two.size() + 1);
  const modrt_info *InfoTwo = modrt_describe(Buffer.data());
  ASSERT_NE(InfoTwo, nullptr);
  EXPECT_STREQ(InfoOne->model_name, "one");
  EXPECT_STREQ(InfoTwo->model_name, "two");
}

TEST(DescriptorTest, DescribeIsThreadSafe) {
  std::string Text = "modrt 1\nmodel threads\n"
                     "param w f32 1 8 trainable zeros\nend\n";
  std::vector<const modrt_info *> Results(8, nullptr);
  std::vector<std::thread> Threads;
  for (size_t T = 0; T < Results.size(); ++T)
    Threads.emplace_back([&, T] {
      for (int I = 0; I < 200; ++I)
        Results[T] = modrt_describe(Text.c_str());
    });
  for (std::thread &T : Threads)
    T.join();
  ASSERT_NE(Results[0], nullptr);
  for (const modrt_info *R : Results)
    EXPECT_EQ(R, Results[0]);
}

} // namespace
