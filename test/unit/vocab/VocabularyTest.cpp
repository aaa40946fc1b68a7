//===- VocabularyTest.cpp - The table and the front end agree -------------===//
//
// The vocabulary is the one place that names the language's builtins,
// routers and aggregations: these tests enumerate it, as a program-induction
// search would, and check that semantic analysis follows it row by row
// (reserved names, argument names, required arguments, defaults).
//
//===----------------------------------------------------------------------===//

#include "vocab/Vocabulary.h"
#include "dsl/Parse.h"
#include "dsl/Sema.h"

#include <gtest/gtest.h>

#include <set>

using namespace modc;

namespace {

std::string diagnosticsOf(const std::string &text) {
  SourceFile source("t.mod", text);
  DiagnosticEngine diags(source);
  auto file = parseFile(source, diags);
  if (file)
    analyze(*file, diags, {});
  std::string out;
  diags.print(out);
  return out;
}

std::vector<const vocab::Entry *> entriesOf(vocab::Kind kind) {
  std::vector<const vocab::Entry *> out;
  for (size_t i = 0; i < vocab::numEntries(); ++i)
    if (vocab::entries()[i].kind == kind)
      out.push_back(&vocab::entries()[i]);
  return out;
}

TEST(VocabularyTest, EveryIdHasItsRow) {
  for (const vocab::Entry *e : entriesOf(vocab::Kind::Builtin))
    EXPECT_EQ(&vocab::entry(e->builtin()), e) << e->name;
  for (const vocab::Entry *e : entriesOf(vocab::Kind::Router))
    EXPECT_EQ(&vocab::entry(e->router()), e) << e->name;
  for (const vocab::Entry *e : entriesOf(vocab::Kind::Aggregation))
    EXPECT_EQ(&vocab::entry(e->aggregation()), e) << e->name;
  for (const vocab::Entry *e : entriesOf(vocab::Kind::Optimizer))
    EXPECT_EQ(&vocab::entry(e->optimizer()), e) << e->name;
  EXPECT_EQ(entriesOf(vocab::Kind::Builtin).size(), 41u);
  EXPECT_EQ(entriesOf(vocab::Kind::Router).size(), 8u);
  EXPECT_EQ(entriesOf(vocab::Kind::Aggregation).size(), 6u);
  EXPECT_EQ(entriesOf(vocab::Kind::Optimizer).size(), 3u);
}

TEST(VocabularyTest, NamesAreUniquePerKindAndLookedUp) {
  for (vocab::Kind kind : {vocab::Kind::Builtin, vocab::Kind::Router,
                           vocab::Kind::Aggregation, vocab::Kind::Optimizer}) {
    std::set<std::string_view> seen;
    for (const vocab::Entry *e : entriesOf(kind)) {
      EXPECT_TRUE(seen.insert(e->name).second) << e->name;
      EXPECT_EQ(vocab::lookup(kind, e->name), e);
      EXPECT_TRUE(vocab::isReserved(e->name));
      for (size_t i = 0; i < e->numArgs; ++i)
        EXPECT_EQ(e->find(e->args[i].name), int(i));
    }
  }
  // One name, two meanings: the builtin and the router softmax.
  EXPECT_NE(vocab::lookup(vocab::Kind::Builtin, "softmax"),
            vocab::lookup(vocab::Kind::Router, "softmax"));
  EXPECT_EQ(vocab::lookup(vocab::Kind::Router, "median"), nullptr);
  EXPECT_FALSE(vocab::isReserved("median"));
}

TEST(VocabularyTest, DefaultsFollowTheSpec) {
  auto def = [](vocab::Kind k, const char *name, const char *arg) {
    const vocab::Entry *e = vocab::lookup(k, name);
    int i = e->find(arg);
    EXPECT_GE(i, 0) << name << "." << arg;
    EXPECT_EQ(e->args[i].def, vocab::Default::Value) << name << "." << arg;
    return e->args[i].value;
  };
  using vocab::Kind;
  EXPECT_EQ(def(Kind::Builtin, "softmax", "axis"), -1);
  EXPECT_EQ(def(Kind::Builtin, "layernorm", "eps"), 1e-5);
  EXPECT_EQ(def(Kind::Builtin, "rmsnorm", "eps"), 1e-6);
  EXPECT_EQ(def(Kind::Builtin, "sum", "keepdims"), 0);
  EXPECT_EQ(def(Kind::Builtin, "attention", "causal"), 0);
  EXPECT_EQ(def(Kind::Router, "topk", "normalize"), 1);
  EXPECT_EQ(def(Kind::Router, "topk", "capacity"), 0);
  EXPECT_EQ(vocab::lookup(Kind::Router, "topk")->numRequired(), 2u);
  EXPECT_EQ(vocab::lookup(Kind::Router, "expert_choice")->numRequired(), 2u);
  EXPECT_EQ(vocab::entry(vocab::Router::Fixed).defaultCombine,
            vocab::Aggregation::Sum);
  EXPECT_EQ(vocab::entry(vocab::Router::Topk).defaultCombine,
            vocab::Aggregation::WeightedSum);
}

TEST(VocabularyTest, JsonListsEveryEntryAndArgument) {
  std::string json = vocab::toJson();
  for (size_t i = 0; i < vocab::numEntries(); ++i) {
    const vocab::Entry &e = vocab::entries()[i];
    std::string row = "{\"kind\": \"" + std::string(vocab::kindName(e.kind)) +
                      "\", \"name\": \"" + std::string(e.name) + "\"";
    EXPECT_NE(json.find(row), std::string::npos) << row;
  }
  EXPECT_NE(
      json.find("{\"name\": \"eps\", \"type\": \"number\", "
                "\"required\": false, \"default\": 1.0000000000000001e-05}"),
      std::string::npos);
  EXPECT_NE(json.find("\"default_combine\": \"sum\""), std::string::npos);
}

// Sema reads the table: every reserved name is refused as a module name,
// and every builtin refuses an argument name the table does not list and
// reports the first required argument left out.
TEST(VocabularyTest, SemaReservesEveryName) {
  for (size_t i = 0; i < vocab::numEntries(); ++i) {
    std::string name(vocab::entries()[i].name);
    std::string out =
        diagnosticsOf("model m;\ndyn N;\nmodule " + name +
                      "(x: f32[N, 4]) -> f32[N, 4] { return x; }\n");
    EXPECT_NE(out.find("'" + name + "' is the name of a builtin"),
              std::string::npos)
        << out;
  }
}

TEST(VocabularyTest, SemaBindsBuiltinArgumentsByTheTable) {
  for (const vocab::Entry *e : entriesOf(vocab::Kind::Builtin)) {
    std::string name(e->name);
    std::string out = diagnosticsOf(
        "model m;\ndyn N;\nentry f(x: f32[N, 4]) -> f32[N, 4] {\n  let y = " +
        name + "(x, bogus = 1);\n  return x;\n}\n");
    EXPECT_NE(out.find("'" + name + "' has no argument named 'bogus'"),
              std::string::npos)
        << name << ": " << out;
    if (e->numRequired() < 2 || e->args[0].type == vocab::ArgType::Tensors)
      continue;
    out = diagnosticsOf("model m;\ndyn N;\nentry f(x: f32[N, 4]) -> f32[N, 4] "
                        "{\n  let y = " +
                        name + "(x);\n  return x;\n}\n");
    EXPECT_NE(out.find("'" + name + "' needs the argument '" +
                       std::string(e->args[1].name) + "'"),
              std::string::npos)
        << name << ": " << out;
  }
}

TEST(VocabularyTest, SemaBindsRouterArgumentsByTheTable) {
  for (const vocab::Entry *e : entriesOf(vocab::Kind::Router)) {
    if (e->numArgs == 0 || e->args[0].type == vocab::ArgType::Indices)
      continue;
    std::string name(e->name);
    std::string out = diagnosticsOf(
        "model m;\ndyn N;\nmodule L(x: f32[N, 4]) -> f32[N, 4] {\n"
        "  param w: f32[4, 4] = zeros;\n  return x @ w;\n}\n"
        "experts: L[2];\nentry f(x: f32[N, 4], g: f32[N, 2]) -> f32[N, 4] {\n"
        "  return route x to experts by " +
        name + "(g, bogus = 1);\n}\n");
    EXPECT_NE(out.find("'" + name + "' has no argument named 'bogus'"),
              std::string::npos)
        << name << ": " << out;
  }
}

} // namespace
