//===- RoutingTest.cpp - Tests of the routing helpers ---------------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//

#include "modrt/routing.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

// Routing helper used by `merge`: rows grouped by identical weight vectors.

TEST(RoutingTest, DistinctWeightVectorsGroupRows) {
  // Rows 0 and 2 mix alike, 1 and 4 alike, 3 chose nothing.
  float Dense[5][3] = {
      {0.25f, 0.75f, 2}, {1, 0, 1}, {0.25f, 0.75f, 2}, {0, 0, 0}, {1, 0, 1}};
  int64_t Order[5] = {}, Offsets[6] = {}, Count[1] = {};
  modrt_memref2d_f32 D = {&Dense[0][0], &Dense[0][0], 0, {5, 3}, {3, 1}};
  modrt_memref1d_i64 O = {Order, Order, 0, {5}, {1}};
  modrt_memref1d_i64 F = {Offsets, Offsets, 0, {6}, {1}};
  modrt_memref1d_i64 C = {Count, Count, 0, {1}, {1}};
  _mlir_ciface_modrt_route_distinct(&D, &O, &F, &C);
  ASSERT_EQ(Count[0], 3);
  EXPECT_EQ(std::vector<int64_t>(Order, Order + 5),
            (std::vector<int64_t>{0, 2, 1, 4, 3}));
  EXPECT_EQ(std::vector<int64_t>(Offsets, Offsets + 4),
            (std::vector<int64_t>{0, 2, 4, 5}));
  // No rows: no group.
  modrt_memref2d_f32 Empty = {&Dense[0][0], &Dense[0][0], 0, {0, 3}, {3, 1}};
  Offsets[0] = -1;
  _mlir_ciface_modrt_route_distinct(&Empty, &O, &F, &C);
  EXPECT_EQ(Count[0], 0);
  EXPECT_EQ(Offsets[0], 0);
}
