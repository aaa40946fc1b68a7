// f32 matmuls into zeroed buffers call the runtime GEMM (2-D) or batched GEMM
// (3-D); a matmul accumulating into live data keeps the linalg op.
// RUN: mod-opt %s --mod-matmul-to-runtime | FileCheck %s

// The fill just before is dead: the GEMM writes all of C.
// CHECK-LABEL: func.func @plain
// CHECK-NOT:     linalg.fill
// CHECK-NOT:     linalg.matmul
// CHECK:         call @modrt_matmul_f32(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x?xf32, strided<[?, ?], offset: ?>>
func.func @plain(%a: memref<?x8xf32>, %b: memref<8x4xf32>, %c: memref<?x4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x4xf32>)
  linalg.matmul ins(%a, %b : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  return
}

// CHECK-LABEL: func.func @batched
// CHECK-NOT:     linalg.batch_matmul
// CHECK:         call @modrt_batch_matmul_f32(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
func.func @batched(%a: memref<?x3x8xf32>, %b: memref<?x8x5xf32>, %c: memref<?x3x5xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x3x5xf32>)
  linalg.batch_matmul ins(%a, %b : memref<?x3x8xf32>, memref<?x8x5xf32>) outs(%c : memref<?x3x5xf32>)
  return
}

// CHECK-LABEL: func.func @accumulates
// CHECK:         linalg.matmul
// CHECK-NOT:     call @modrt_matmul_f32
func.func @accumulates(%a: memref<?x8xf32>, %b: memref<8x4xf32>, %c: memref<?x4xf32>) {
  linalg.matmul ins(%a, %b : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  return
}

// CHECK-LABEL: func.func @integers
// CHECK:         linalg.batch_matmul
func.func @integers(%a: memref<2x3x8xi32>, %b: memref<2x8x5xi32>, %c: memref<2x3x5xi32>) {
  %zero = arith.constant 0 : i32
  linalg.fill ins(%zero : i32) outs(%c : memref<2x3x5xi32>)
  linalg.batch_matmul ins(%a, %b : memref<2x3x8xi32>, memref<2x8x5xi32>) outs(%c : memref<2x3x5xi32>)
  return
}

// Training's transposed products read the transposed operand as a strided
// view; a matmul marked mod.zero_init converts without a visible fill.
// CHECK-LABEL: func.func @transposed
// CHECK:         %[[T:.*]] = memref.transpose %{{.*}} (d0, d1) -> (d1, d0)
// CHECK:         call @modrt_matmul_f32(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK:         memref.transpose
// CHECK:         call @modrt_matmul_f32
func.func @transposed(%a: memref<8x?xf32>, %b: memref<8x4xf32>, %c: memref<?x4xf32>, %d: memref<?x4xf32>, %e: memref<?x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x4xf32>)
  linalg.matmul_transpose_a ins(%a, %b : memref<8x?xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  linalg.matmul_transpose_b {mod.zero_init} ins(%d, %b : memref<?x4xf32>, memref<8x4xf32>) outs(%e : memref<?x8xf32>)
  return
}
