//===- JsonTest.cpp - Tests of the bounded JSON parser --------------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//

#include "Json.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

using modrt::json::Document;
using modrt::json::Kind;
using modrt::json::Node;
using modrt::json::NoNode;
using modrt::json::Status;

namespace {

Status parse(Document &D, const std::string &Text,
             const modrt::json::Limits &L = modrt::json::Limits()) {
  return D.parse(Text.data(), Text.size(), L);
}

/// The member of object N called Key, or null.
const Node *member(const Document &D, const Node &N, std::string_view Key) {
  for (uint32_t C = N.FirstChild; C != NoNode; C = D.node(C).NextSibling)
    if (D.key(D.node(C)) == Key)
      return &D.node(C);
  return nullptr;
}

TEST(JsonTest, ParsesASafetensorsHeader) {
  Document D;
  ASSERT_EQ(parse(D, R"( {"__metadata__": {"format": "pt"},
      "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}   )"),
            Status::Ok)
      << D.errorMessage();
  const Node &Root = D.root();
  ASSERT_EQ(Root.K, Kind::Object);
  EXPECT_EQ(Root.NumChildren, 2u);
  const Node *W = member(D, Root, "w");
  ASSERT_NE(W, nullptr);
  ASSERT_EQ(W->K, Kind::Object);
  const Node *Shape = member(D, *W, "shape");
  ASSERT_NE(Shape, nullptr);
  ASSERT_EQ(Shape->K, Kind::Array);
  ASSERT_EQ(Shape->NumChildren, 2u);
  EXPECT_EQ(D.node(Shape->FirstChild).Integer, 2);
  EXPECT_EQ(D.node(D.node(Shape->FirstChild).NextSibling).Integer, 3);
  const Node *DType = member(D, *W, "dtype");
  ASSERT_NE(DType, nullptr);
  EXPECT_EQ(D.string(*DType), "F32");
  const Node *Meta = member(D, Root, "__metadata__");
  ASSERT_NE(Meta, nullptr);
  EXPECT_EQ(D.string(*member(D, *Meta, "format")), "pt");
}

TEST(JsonTest, ScalarsAndEmptyContainers) {
  Document D;
  ASSERT_EQ(parse(D, "[true, false, null, -0, 9223372036854775807, "
                     "-9223372036854775808, {}, [], \"\"]"),
            Status::Ok)
      << D.errorMessage();
  const Node &Root = D.root();
  ASSERT_EQ(Root.NumChildren, 9u);
  std::vector<const Node *> Items;
  for (uint32_t C = Root.FirstChild; C != NoNode; C = D.node(C).NextSibling)
    Items.push_back(&D.node(C));
  EXPECT_TRUE(Items[0]->K == Kind::Bool && Items[0]->Boolean);
  EXPECT_TRUE(Items[1]->K == Kind::Bool && !Items[1]->Boolean);
  EXPECT_EQ(Items[2]->K, Kind::Null);
  EXPECT_EQ(Items[3]->Integer, 0);
  EXPECT_EQ(Items[4]->Integer, INT64_MAX);
  EXPECT_EQ(Items[5]->Integer, INT64_MIN);
  EXPECT_TRUE(Items[6]->K == Kind::Object && Items[6]->NumChildren == 0);
  EXPECT_TRUE(Items[7]->K == Kind::Array && Items[7]->NumChildren == 0);
  EXPECT_TRUE(Items[8]->K == Kind::String && D.string(*Items[8]).empty());
}

TEST(JsonTest, DecodesEscapesAndUtf8) {
  Document D;
  ASSERT_EQ(parse(D, R"(["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u20ac\ud83d\ude00",
                       "\u0000x", "h\u00c3\u00a9", "é€😀"])"),
            Status::Ok)
      << D.errorMessage();
  uint32_t C = D.root().FirstChild;
  EXPECT_EQ(D.string(D.node(C)), "a\"b\\c/d\b\f\n\r\t");
  C = D.node(C).NextSibling;
  EXPECT_EQ(D.string(D.node(C)), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  C = D.node(C).NextSibling;
  EXPECT_EQ(D.string(D.node(C)), std::string("\0x", 2));
  C = D.node(C).NextSibling;
  EXPECT_EQ(D.string(D.node(C)), "h\xc3\x83\xc2\xa9");
  C = D.node(C).NextSibling;
  EXPECT_EQ(D.string(D.node(C)), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

TEST(JsonTest, RejectsMalformedInput) {
  const char *Cases[] = {
      "",
      "   ",
      "{",
      "}",
      "[1,]",
      "[,1]",
      "{\"a\" 1}",
      "{\"a\":}",
      "{\"a\":1,}",
      "{a:1}",
      "{\"a\":1}}",
      "{\"a\":1} x",
      "[1 2]",
      "01",
      "-",
      "1.5",
      "1e3",
      "9223372036854775808",
      "-9223372036854775809",
      "99999999999999999999999",
      "\"abc",
      "\"a\\x\"",
      "\"\\u12\"",
      "\"\\ud800\"",
      "\"\\ud800\\u0041\"",
      "\"\\udc00\"",
      "\"tab\there\"",
      "\"\xff\"",
      "\"\xc0\xaf\"",
      "\"\xe0\x80\xaf\"",
      "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "\"\xe2\x82\"",
      "tru",
      "nul",
      "True",
      "'a'",
  };
  for (const char *Text : Cases) {
    Document D;
    EXPECT_EQ(parse(D, Text), Status::Malformed) << Text;
    EXPECT_STRNE(D.errorMessage(), "") << Text;
  }
}

TEST(JsonTest, BoundsDepthAndSize) {
  Document D;
  std::string Deep(64, '[');
  Deep += std::string(64, ']');
  EXPECT_EQ(parse(D, Deep), Status::Ok);
  std::string TooDeep(65, '[');
  TooDeep += std::string(65, ']');
  EXPECT_EQ(parse(D, TooDeep), Status::Malformed);
  EXPECT_STREQ(D.errorMessage(), "nesting too deep");
  // A very deep document fails fast instead of exhausting the stack.
  std::string Hostile(1000000, '[');
  EXPECT_EQ(parse(D, Hostile), Status::Malformed);

  modrt::json::Limits Small;
  Small.MaxNodes = 4;
  EXPECT_EQ(parse(D, "[1,2,3]", Small), Status::Ok);
  EXPECT_EQ(parse(D, "[1,2,3,4]", Small), Status::Malformed);
  EXPECT_STREQ(D.errorMessage(), "too many values");
}

TEST(JsonTest, ReportsTheErrorOffset) {
  Document D;
  EXPECT_EQ(parse(D, "{\"a\": [1, 2,, 3]}"), Status::Malformed);
  EXPECT_EQ(D.errorOffset(), 12u);
}

TEST(JsonTest, SurvivesRandomBytes) {
  std::mt19937 Rng(99);
  const char Alphabet[] = "{}[]\":,0123456789-\\u \"abcdeftrn\xc3\xa9";
  for (int Trial = 0; Trial < 20000; ++Trial) {
    std::string Text;
    size_t Length = Rng() % 64;
    for (size_t I = 0; I < Length; ++I)
      Text.push_back(Alphabet[Rng() % (sizeof(Alphabet) - 1)]);
    Document D;
    Status S = parse(D, Text);
    EXPECT_TRUE(S == Status::Ok || S == Status::Malformed);
  }
}

} // namespace
