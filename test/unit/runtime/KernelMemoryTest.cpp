//===- KernelMemoryTest.cpp - Tests of the kernels' allocator -------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//

#include "modrt/kernels.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>

extern "C" {
void *_mlir_memref_to_llvm_alloc(size_t bytes);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes);
void _mlir_memref_to_llvm_free(void *p);
}

namespace {

TEST(KernelMemoryTest, LargeBlocksAreReusedAcrossCalls) {
  const size_t Big = size_t(4) << 20;
  void *P = _mlir_memref_to_llvm_aligned_alloc(64, Big);
  ASSERT_NE(P, nullptr);
  std::memset(P, 1, Big);
  _mlir_memref_to_llvm_free(P);
  // The same size, a slightly smaller one: the cached block comes back.
  void *Q = _mlir_memref_to_llvm_aligned_alloc(64, Big);
  EXPECT_EQ(Q, P);
  _mlir_memref_to_llvm_free(Q);
  void *R = _mlir_memref_to_llvm_alloc(Big - 1000);
  EXPECT_EQ(R, P);
  std::memset(R, 2, Big - 1000); // Usable in full.
  _mlir_memref_to_llvm_free(R);
  // Less than half of it: a fresh block, the cached one stays.
  void *S = _mlir_memref_to_llvm_alloc(Big / 4);
  EXPECT_NE(S, P);
  void *T = _mlir_memref_to_llvm_aligned_alloc(64, Big);
  EXPECT_EQ(T, P);
  _mlir_memref_to_llvm_free(S);
  _mlir_memref_to_llvm_free(T);
}

TEST(KernelMemoryTest, AlignmentIsKept) {
  for (size_t Align : {size_t(64), size_t(128), size_t(4096)}) {
    void *P = _mlir_memref_to_llvm_aligned_alloc(Align, size_t(1) << 20);
    ASSERT_NE(P, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(P) % Align, 0u);
    _mlir_memref_to_llvm_free(P);
  }
  // A cached block aligned to 64 only is not handed out for 4096.
  void *P = _mlir_memref_to_llvm_aligned_alloc(4096, size_t(2) << 20);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(P) % 4096, 0u);
  _mlir_memref_to_llvm_free(P);
}

TEST(KernelMemoryTest, ThreadsHaveTheirOwnCache) {
  const size_t Big = size_t(1) << 20;
  void *P = _mlir_memref_to_llvm_alloc(Big);
  _mlir_memref_to_llvm_free(P);
  void *Other = nullptr;
  std::thread([&] {
    Other = _mlir_memref_to_llvm_alloc(Big);
    _mlir_memref_to_llvm_free(Other);
  }).join(); // Its cache is freed when the thread ends.
  void *Q = _mlir_memref_to_llvm_alloc(Big);
  EXPECT_EQ(Q, P);
  _mlir_memref_to_llvm_free(Q);
}

TEST(KernelMemoryTest, SmallBlocksAndNull) {
  void *P = _mlir_memref_to_llvm_alloc(0);
  EXPECT_NE(P, nullptr);
  _mlir_memref_to_llvm_free(P);
  _mlir_memref_to_llvm_free(nullptr);
}

} // namespace
