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
  EXPECT_EQ(*r,
            (std::vector<Dim>{Dim::of(2), Dim::symbol(1), Dim::of(5)}));
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

} // namespace
