//===- FrontendTest.cpp - Parse and check programs in-process -------------===//
//
// The in-process front end (what program-induction experiments call):
// parse + check, parameter flattening and diagnostics.
//
//===----------------------------------------------------------------------===//

#include "dsl/Parse.h"
#include "dsl/Sema.h"

#include <gtest/gtest.h>

using namespace modc;

namespace {

struct Checked {
  std::unique_ptr<ast::File> file;
  std::unique_ptr<sema::Program> program;
  std::string diagnostics;
};

Checked check(const std::string &text, SemaOptions options = {}) {
  SourceFile source("t.mod", text);
  DiagnosticEngine diags(source);
  Checked c;
  c.file = parseFile(source, diags);
  if (c.file)
    c.program = analyze(*c.file, diags, options);
  diags.print(c.diagnostics);
  return c;
}

const char *kLora = R"(
model lora;
dim D = 64;
dyn N;
module Linear<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O] = xavier;
  param b: f32[O] = zeros;
  return x @ w + b;
}
module LoRA<I, O, r = 8, alpha: float = 16.0>(x: f32[N, I]) -> f32[N, O] {
  param A: f32[I, r] = normal(0.0, 0.02);
  param B: f32[r, O] = zeros;
  return (x @ A) @ B * (alpha / r);
}
frozen base: Linear<D, D>;
adapter: LoRA<D, D, 4>;
entry forward(x: f32[N, D]) -> f32[N, D] {
  return base(x) + adapter(x);
}
)";

TEST(FrontendTest, LoraParamsInStateDictOrder) {
  Checked c = check(kLora);
  ASSERT_TRUE(c.program) << c.diagnostics;
  auto params = c.program->flatParams();
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(params[0].name, "base.w");
  EXPECT_FALSE(params[0].trainable);
  EXPECT_EQ(params[1].name, "base.b");
  EXPECT_EQ(params[2].name, "adapter.A");
  EXPECT_TRUE(params[2].trainable);
  EXPECT_EQ(params[2].type.shape[1].constant, 4);
  EXPECT_EQ(params[3].name, "adapter.B");
  EXPECT_EQ(params[2].init, sema::InitKind::Normal);
  ASSERT_EQ(params[2].initArgs.size(), 2u);
  EXPECT_DOUBLE_EQ(params[2].initArgs[1], 0.02);
}

TEST(FrontendTest, TemplateDefaultsAndFloatFolding) {
  Checked c = check(kLora);
  ASSERT_TRUE(c.program) << c.diagnostics;
  // alpha / r = 16.0 / 4 folds to the constant 4.0 in the adapter body.
  bool found = false;
  for (auto &m : c.program->modules)
    if (m->displayName == "LoRA<64, 64, 4, 16.0>")
      for (auto &n : m->body.nodes)
        if (n->op == sema::Op::Const && n->constant == 4.0)
          found = true;
  EXPECT_TRUE(found);
}

TEST(FrontendTest, DimOverride) {
  SemaOptions options;
  options.dimOverrides["D"] = 32;
  Checked c = check(kLora, options);
  ASSERT_TRUE(c.program) << c.diagnostics;
  EXPECT_EQ(c.program->flatParams()[0].type.shape[0].constant, 32);
}

TEST(FrontendTest, EntryDynArguments) {
  Checked c = check(kLora);
  ASSERT_TRUE(c.program) << c.diagnostics;
  ASSERT_EQ(c.program->entries.size(), 1u);
  EXPECT_EQ(c.program->entries[0].dyns, std::vector<int>{0});
}

TEST(FrontendTest, ShapeErrorIsLocated) {
  Checked c = check("model m;\ndyn N;\nparam w: f32[3, 4];\n"
                    "entry f(x: f32[N, 5]) -> f32[N, 4] {\n"
                    "  return x @ w;\n}\n");
  EXPECT_FALSE(c.program);
  EXPECT_NE(c.diagnostics.find("t.mod:5:12: error: inner dimensions"),
            std::string::npos)
      << c.diagnostics;
}

TEST(FrontendTest, CollectsSeveralErrors) {
  Checked c = check("model m;\ndim A = B;\ndim B = A;\ndim C = 7 / 2;\n");
  EXPECT_FALSE(c.program);
  EXPECT_NE(c.diagnostics.find("defined through itself"), std::string::npos);
  EXPECT_NE(c.diagnostics.find("not an exact integer division"),
            std::string::npos)
      << c.diagnostics;
}

TEST(FrontendTest, DeepNestingIsAnErrorNotACrash) {
  std::string text = "model m;\ndim D = ";
  text += std::string(10000, '(') + "1" + std::string(10000, ')') + ";\n";
  Checked c = check(text);
  EXPECT_FALSE(c.program);
  EXPECT_NE(c.diagnostics.find("nested too deeply"), std::string::npos);
}

TEST(FrontendTest, GarbageIsRejected) {
  std::string bytes;
  unsigned state = 12345;
  for (int i = 0; i < 100000; ++i) {
    state = state * 1103515245u + 12345u;
    bytes.push_back(char(state >> 16));
  }
  Checked c = check(bytes);
  EXPECT_FALSE(c.program);
  EXPECT_NE(c.diagnostics.find("error:"), std::string::npos);
  Checked empty = check("");
  EXPECT_FALSE(empty.program);
  EXPECT_NE(empty.diagnostics.find("model NAME"), std::string::npos);
}

TEST(FrontendTest, HugeLiteral) {
  Checked c = check("model m;\ndim D = 99999999999999999999999;\n");
  EXPECT_FALSE(c.program);
  EXPECT_NE(c.diagnostics.find("does not fit in 2^62"), std::string::npos);
}

size_t countErrors(const std::string &diagnostics) {
  size_t n = 0;
  for (size_t at = diagnostics.find(": error: "); at != std::string::npos;
       at = diagnostics.find(": error: ", at + 1))
    ++n;
  return n;
}

TEST(FrontendTest, SyntaxErrorIsNotEchoed) {
  // One bad token in a call used to produce a cascade up to the error limit.
  Checked c = check("model m;\ndyn N;\n"
                    "entry f(x: f32[N]) -> f32[N] {\n"
                    "  let a = softmax(x, dim = 1);\n"
                    "  let b = x;\n  let c = x;\n  return x;\n}\n");
  // The broken entry is left out of the file (the rest is still checked);
  // no program comes out of a file with errors.
  EXPECT_FALSE(c.program);
  EXPECT_LE(countErrors(c.diagnostics), 2u) << c.diagnostics;
  EXPECT_NE(c.diagnostics.find("t.mod:4:22: error: syntax error at 'dim'"),
            std::string::npos)
      << c.diagnostics;
  EXPECT_NE(c.diagnostics.find("reserved keyword"), std::string::npos);
}

TEST(FrontendTest, NulInsideBlockComment) {
  std::string text = "model m;\n/* a ";
  text.push_back('\0');
  text += " b */\ndim D = 4;\n";
  Checked c = check(text);
  EXPECT_TRUE(c.program) << c.diagnostics;
}

TEST(FrontendTest, TemplateErrorsAreNotRepeated) {
  Checked c = check("model m;\ndyn N;\n"
                    "module M<K>(x: f32[N]) -> f32[N] { return x + nope; }\n"
                    "a: M<1>;\nb: M<2>;\nc: M<3>;\n");
  EXPECT_FALSE(c.program);
  EXPECT_EQ(countErrors(c.diagnostics), 1u) << c.diagnostics;
  EXPECT_NE(c.diagnostics.find("note: in M<1>, instantiated here"),
            std::string::npos)
      << c.diagnostics;
}

TEST(FrontendTest, UnrollingIsBounded) {
  // 4096^3 iterations with empty bodies: an error quickly, not a hang.
  Checked c = check("model m;\ndyn N;\nentry f(x: f32[N]) -> f32[N] {\n"
                    "  for i in 0..4096 { for j in 0..4096 {\n"
                    "    for k in 0..4096 { } } }\n  return x;\n}\n");
  EXPECT_FALSE(c.program);
  EXPECT_NE(c.diagnostics.find("unrolls to more than"), std::string::npos)
      << c.diagnostics;
  EXPECT_EQ(countErrors(c.diagnostics), 1u) << c.diagnostics;
}

TEST(FrontendTest, ParsesAgainAfterReleasingCaches) {
  Checked before = check(kLora);
  ASSERT_TRUE(before.program) << before.diagnostics;
  releaseParserCaches();
  Checked after = check(kLora);
  ASSERT_TRUE(after.program) << after.diagnostics;
  std::string a, b;
  ast::dump(*before.file, a);
  ast::dump(*after.file, b);
  EXPECT_EQ(a, b);
  // And with full LL prediction, the same tree.
  SourceFile source("t.mod", kLora);
  DiagnosticEngine diags(source);
  auto ll = parseFile(source, diags, ParseStrategy::FullLL);
  ASSERT_TRUE(ll);
  std::string c;
  ast::dump(*ll, c);
  EXPECT_EQ(a, c);
}

TEST(FrontendTest, ModuleCycleThroughMemo) {
  Checked c = check("model m;\ndyn N;\n"
                    "module A(x: f32[N]) -> f32[N] { b: B; return b(x); }\n"
                    "module B(x: f32[N]) -> f32[N] { a: A; return a(x); }\n"
                    "top: A;\n");
  EXPECT_FALSE(c.program);
  EXPECT_NE(c.diagnostics.find("instantiates itself (A -> B -> A)"),
            std::string::npos)
      << c.diagnostics;
}

} // namespace
