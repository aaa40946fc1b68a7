//===- ShapeTest.cpp - Symbolic dims, broadcasting, matmul shapes ---------===//

#include "dsl/Shape.h"

#include <gtest/gtest.h>

using namespace modc::sema;

namespace {

const std::vector<std::string> kDyns = {"N", "T"};

Dim lin(int64_t c, std::vector<std::pair<int, int64_t>> terms) {
  return Dim{c, std::move(terms)};
}

TEST(DimTest, AddCancelsTerms) {
  auto sum = addDims(lin(3, {{0, 2}}), lin(-3, {{0, 1}}), -1);
  ASSERT_TRUE(sum);
  EXPECT_EQ(*sum, lin(6, {{0, 1}}));
  auto zero = addDims(Dim::symbol(0), Dim::symbol(0), -1);
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->isStatic());
  EXPECT_EQ(zero->constant, 0);
}

TEST(DimTest, AddKeepsSymbolsSorted) {
  auto sum = addDims(Dim::symbol(1), Dim::symbol(0));
  ASSERT_TRUE(sum);
  ASSERT_EQ(sum->terms.size(), 2u);
  EXPECT_EQ(sum->terms[0].first, 0);
  EXPECT_EQ(sum->terms[1].first, 1);
  EXPECT_EQ(sum->str(kDyns), "N + T");
}

TEST(DimTest, OverflowIsReported) {
  EXPECT_FALSE(addDims(Dim::of(kMaxDim), Dim::of(1)));
  EXPECT_FALSE(scaleDim(Dim::of(int64_t(1) << 40), int64_t(1) << 40));
  EXPECT_TRUE(addDims(Dim::of(kMaxDim - 1), Dim::of(1)));
}

TEST(DimTest, Printing) {
  EXPECT_EQ(lin(16, {{1, 1}}).str(kDyns), "T + 16");
  EXPECT_EQ(lin(0, {{0, 2}}).str(kDyns), "2 * N");
  EXPECT_EQ(lin(-1, {{0, -1}}).str(kDyns), "-N - 1");
  EXPECT_EQ(Dim::of(7).str(kDyns), "7");
}

TEST(DimTest, Substitute) {
  std::vector<std::optional<Dim>> subst(2);
  subst[0] = lin(16, {{1, 1}}); // N := T + 16
  auto d = substitute(lin(1, {{0, 2}}), subst);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, lin(33, {{1, 2}}));
}

TEST(BroadcastTest, NumpyRules) {
  std::vector<Dim> a = {Dim::symbol(0), Dim::of(4)};
  std::vector<Dim> b = {Dim::of(4)};
  auto r = broadcastShapes(a, b);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, a);
  // [N, 1] + [1, 4] -> [N, 4]
  r = broadcastShapes({Dim::symbol(0), Dim::of(1)}, {Dim::of(1), Dim::of(4)});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Dim>{Dim::symbol(0), Dim::of(4)}));
  // Scalars broadcast to anything.
  r = broadcastShapes({}, a);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, a);
}

TEST(BroadcastTest, DifferentSymbolsDoNotBroadcast) {
  EXPECT_FALSE(broadcastShapes({Dim::symbol(0)}, {Dim::symbol(1)}));
  EXPECT_FALSE(broadcastShapes({Dim::of(3)}, {Dim::of(4)}));
  EXPECT_FALSE(broadcastShapes({Dim::symbol(0)}, {Dim::of(4)}));
}

TEST(MatmulShapeTest, Rules) {
  std::string why;
  auto r = matmulShape({Dim::symbol(0), Dim::of(8)}, {Dim::of(8), Dim::of(3)},
                       why, kDyns);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Dim>{Dim::symbol(0), Dim::of(3)}));
  // Batched with broadcast batch dims: [B, T, D] @ [D, E].
  r = matmulShape({Dim::of(2), Dim::symbol(1), Dim::of(8)},
                  {Dim::of(8), Dim::of(5)}, why, kDyns);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Dim>{Dim::of(2), Dim::symbol(1), Dim::of(5)}));
  // Vector operands drop their dimension as in NumPy.
  r = matmulShape({Dim::of(8)}, {Dim::of(8), Dim::of(5)}, why, kDyns);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Dim>{Dim::of(5)}));
  r = matmulShape({Dim::of(8)}, {Dim::of(8)}, why, kDyns);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
}

TEST(MatmulShapeTest, InnerMismatchExplains) {
  std::string why;
  EXPECT_FALSE(matmulShape({Dim::symbol(0), Dim::of(8)},
                           {Dim::of(4), Dim::of(3)}, why, kDyns));
  EXPECT_NE(why.find("inner dimensions"), std::string::npos);
  EXPECT_NE(why.find("8"), std::string::npos);
}

TEST(DimTest, ScaleByZeroAndMinusOne) {
  auto zero = scaleDim(lin(5, {{0, 3}, {1, -2}}), 0);
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->isStatic());
  EXPECT_EQ(zero->constant, 0);
  auto neg = scaleDim(lin(5, {{0, 3}}), -1);
  ASSERT_TRUE(neg);
  EXPECT_EQ(*neg, lin(-5, {{0, -3}}));
}

TEST(DimTest, OverflowAtTheBoundary) {
  // Exactly 2^62 fits (LANGUAGE.md §1); one more does not, either sign.
  EXPECT_TRUE(scaleDim(Dim::of(int64_t(1) << 61), 2));
  EXPECT_FALSE(scaleDim(Dim::of((int64_t(1) << 61) + 1), 2));
  EXPECT_TRUE(addDims(Dim::of(-kMaxDim), Dim::of(0)));
  EXPECT_FALSE(addDims(Dim::of(-kMaxDim), Dim::of(1), -1));
  // Coefficients are bounded like constants.
  EXPECT_FALSE(scaleDim(lin(0, {{0, int64_t(1) << 40}}), int64_t(1) << 30));
  // Products that overflow int64_t itself are caught, not wrapped.
  EXPECT_FALSE(scaleDim(Dim::of(int64_t(1) << 62), int64_t(1) << 62));
}

TEST(DimTest, SubstituteOverflowAndUnbound) {
  std::vector<std::optional<Dim>> subst(2);
  subst[0] = Dim::of(kMaxDim);
  EXPECT_FALSE(substitute(lin(0, {{0, 2}}), subst));
  // A symbol without a substitution stays as it is.
  auto d = substitute(lin(1, {{1, 3}}), subst);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, lin(1, {{1, 3}}));
  // Substitution may cancel terms: N - T with N := T + 4 is 4.
  subst[0] = lin(4, {{1, 1}});
  d = substitute(lin(0, {{0, 1}, {1, -1}}), subst);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->isStatic());
  EXPECT_EQ(d->constant, 4);
}

TEST(DimTest, EqualityIsStructural) {
  // Dims are kept in a canonical form: N + T equals T + N, and N + N is
  // 2 * N.
  auto a = addDims(Dim::symbol(0), Dim::symbol(1));
  auto b = addDims(Dim::symbol(1), Dim::symbol(0));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  auto twice = addDims(Dim::symbol(0), Dim::symbol(0));
  ASSERT_TRUE(twice);
  EXPECT_EQ(*twice, lin(0, {{0, 2}}));
  EXPECT_NE(Dim::symbol(0), Dim::symbol(1));
  EXPECT_NE(Dim::symbol(0), Dim::of(0));
}

TEST(BroadcastTest, SymbolicOnes) {
  // A static 1 broadcasts against a symbolic dim on either side, at any
  // position, and missing leading dims are added.
  std::vector<Dim> a = {Dim::of(1), Dim::symbol(1), Dim::of(1)};
  std::vector<Dim> b = {Dim::symbol(0), Dim::of(1), Dim::of(8)};
  auto r = broadcastShapes(a, b);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Dim>{Dim::symbol(0), Dim::symbol(1), Dim::of(8)}));
  r = broadcastShapes({Dim::of(8)}, {Dim::of(2), Dim::of(3), Dim::of(1)});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Dim>{Dim::of(2), Dim::of(3), Dim::of(8)}));
  // A symbolic dim is not assumed to be 1: it never broadcasts.
  EXPECT_FALSE(
      broadcastShapes({Dim::symbol(0), Dim::of(4)}, {Dim::of(3), Dim::of(4)}));
  // Equal linear expressions are the same dim.
  r = broadcastShapes({lin(2, {{0, 1}})}, {lin(2, {{0, 1}})});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Dim>{lin(2, {{0, 1}})}));
  EXPECT_FALSE(broadcastShapes({lin(2, {{0, 1}})}, {lin(1, {{0, 1}})}));
  // A static 0 is an ordinary size: it broadcasts with 1, not with 4.
  r = broadcastShapes({Dim::of(0)}, {Dim::of(1)});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Dim>{Dim::of(0)}));
  EXPECT_FALSE(broadcastShapes({Dim::of(0)}, {Dim::of(4)}));
}

TEST(BroadcastTest, ScalarsAndEmpty) {
  auto r = broadcastShapes({}, {});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  r = broadcastShapes({Dim::of(1)}, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Dim>{Dim::of(1)}));
}

TEST(MatmulShapeTest, BatchBroadcastAndVectors) {
  std::string why;
  // [B, 1, N, 8] @ [T, 8, 3] -> [B, T, N, 3]
  auto r = matmulShape({Dim::symbol(0), Dim::of(1), Dim::symbol(1), Dim::of(8)},
                       {Dim::of(5), Dim::of(8), Dim::of(3)}, why, kDyns);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Dim>{Dim::symbol(0), Dim::of(5), Dim::symbol(1),
                                  Dim::of(3)}));
  // Matrix @ vector drops the last dim: [2, N, 8] @ [8] -> [2, N].
  r = matmulShape({Dim::of(2), Dim::symbol(0), Dim::of(8)}, {Dim::of(8)}, why,
                  kDyns);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Dim>{Dim::of(2), Dim::symbol(0)}));
  // Symbolic inner dims must be the same expression.
  r = matmulShape({Dim::of(2), Dim::symbol(0)}, {Dim::symbol(0), Dim::of(3)},
                  why, kDyns);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<Dim>{Dim::of(2), Dim::of(3)}));
}

TEST(MatmulShapeTest, Errors) {
  std::string why;
  EXPECT_FALSE(matmulShape({}, {Dim::of(3)}, why, kDyns));
  EXPECT_NE(why.find("rank 1 or more"), std::string::npos);
  EXPECT_FALSE(matmulShape({Dim::of(2), Dim::of(4), Dim::of(8)},
                           {Dim::of(3), Dim::of(8), Dim::of(5)}, why, kDyns));
  EXPECT_NE(why.find("batch dimensions"), std::string::npos);
  EXPECT_FALSE(matmulShape({Dim::of(4), Dim::symbol(0)},
                           {Dim::symbol(1), Dim::of(5)}, why, kDyns));
  EXPECT_NE(why.find("N and T"), std::string::npos) << why;
}

TEST(TensorTypeTest, PrintingAndStatic) {
  TensorType t{modc::ast::ElemType::I64, {Dim::symbol(0), lin(16, {{1, 1}})}};
  EXPECT_EQ(t.str(kDyns), "i64[N, T + 16]");
  EXPECT_FALSE(t.isStatic());
  TensorType s{modc::ast::ElemType::F32, {}};
  EXPECT_EQ(s.str(kDyns), "f32");
  EXPECT_TRUE(s.isStatic());
  EXPECT_NE(t, s);
}

} // namespace
