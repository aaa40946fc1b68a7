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

// A bf16 Linear weight, transposed and widened into copies that the general
// (ownership-based) deallocation frees (a pointer compared, a conditional
// dealloc): the GEMM reads the bf16 weight in place and both copying ops
// go; the allocations, which the deallocation code still names, stay.
#wid = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @bf16_weight_general_dealloc
// CHECK-NOT:     linalg.transpose
// CHECK-NOT:     linalg.generic
// CHECK:         %[[T:.*]] = memref.transpose %arg1
// CHECK:         call @modrt_matmul_f32_bf16(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xbf16
// CHECK-NOT:     linalg.transpose
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @bf16_weight_general_dealloc(%a: memref<?x8xf32>, %w: memref<4x8xbf16>, %c: memref<?x4xf32>, %own: i1) {
  %t = memref.alloc() : memref<8x4xbf16>
  linalg.transpose ins(%w : memref<4x8xbf16>) outs(%t : memref<8x4xbf16>) permutation = [1, 0]
  %f = memref.alloc() : memref<8x4xf32>
  linalg.generic {indexing_maps = [#wid, #wid], iterator_types = ["parallel", "parallel"]} ins(%t : memref<8x4xbf16>) outs(%f : memref<8x4xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %v = arith.extf %in : bf16 to f32
    linalg.yield %v : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x4xf32>)
  linalg.matmul ins(%a, %f : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  %pt = memref.extract_aligned_pointer_as_index %t : memref<8x4xbf16> -> index
  %pf = memref.extract_aligned_pointer_as_index %f : memref<8x4xf32> -> index
  scf.if %own {
    memref.dealloc %t : memref<8x4xbf16>
    memref.dealloc %f : memref<8x4xf32>
  }
  return
}

// The bf16 data of an activation (a backward product's dY), freed once its
// widened copy was made: the GEMM reads the bf16 data instead of the copy,
// so the dealloc moves after the call (it was a use after free).
// CHECK-LABEL: func.func @bf16_activation_freed_before
// CHECK:         %[[H:.*]] = memref.alloc() : memref<8x4xbf16>
// CHECK-NOT:     memref.dealloc %[[H]]
// CHECK:         call @modrt_matmul_f32_bf16
// CHECK-NEXT:    memref.dealloc %[[H]]
func.func @bf16_activation_freed_before(%a: memref<?x8xf32>, %x: memref<8x4xf32>, %c: memref<?x4xf32>) {
  %h = memref.alloc() : memref<8x4xbf16>
  linalg.generic {indexing_maps = [#wid, #wid], iterator_types = ["parallel", "parallel"]} ins(%x : memref<8x4xf32>) outs(%h : memref<8x4xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %v = arith.truncf %in : f32 to bf16
    linalg.yield %v : bf16
  }
  %f = memref.alloc() : memref<8x4xf32>
  linalg.generic {indexing_maps = [#wid, #wid], iterator_types = ["parallel", "parallel"]} ins(%h : memref<8x4xbf16>) outs(%f : memref<8x4xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %v = arith.extf %in : bf16 to f32
    linalg.yield %v : f32
  }
  memref.dealloc %h : memref<8x4xbf16>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x4xf32>)
  linalg.matmul ins(%a, %f : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  memref.dealloc %f : memref<8x4xf32>
  return
}

// Freed in another form before the matmul: the widened copy stays.
// CHECK-LABEL: func.func @bf16_activation_freed_conditionally
// CHECK:         linalg.generic
// CHECK:         call @modrt_matmul_f32(
func.func @bf16_activation_freed_conditionally(%a: memref<?x8xf32>, %x: memref<8x4xf32>, %c: memref<?x4xf32>, %own: i1) {
  %h = memref.alloc() : memref<8x4xbf16>
  linalg.generic {indexing_maps = [#wid, #wid], iterator_types = ["parallel", "parallel"]} ins(%x : memref<8x4xf32>) outs(%h : memref<8x4xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %v = arith.truncf %in : f32 to bf16
    linalg.yield %v : bf16
  }
  %f = memref.alloc() : memref<8x4xf32>
  linalg.generic {indexing_maps = [#wid, #wid], iterator_types = ["parallel", "parallel"]} ins(%h : memref<8x4xbf16>) outs(%f : memref<8x4xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %v = arith.extf %in : bf16 to f32
    linalg.yield %v : f32
  }
  %ph = memref.extract_aligned_pointer_as_index %h : memref<8x4xbf16> -> index
  scf.if %own {
    memref.dealloc %h : memref<8x4xbf16>
  }
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x4xf32>)
  linalg.matmul ins(%a, %f : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  memref.dealloc %f : memref<8x4xf32>
  return
}

// An f16 weight widened into a copy: the GEMM reads the f16 data
// (modrt_matmul_f32_f16) and the copy goes.
// CHECK-LABEL: func.func @f16_weight
// CHECK-NOT:     linalg.generic
// CHECK:         call @modrt_matmul_f32_f16(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf16
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @f16_weight(%a: memref<?x8xf32>, %w: memref<8x4xf16>, %c: memref<?x4xf32>) {
  %f = memref.alloc() : memref<8x4xf32>
  linalg.generic {indexing_maps = [#wid, #wid], iterator_types = ["parallel", "parallel"]} ins(%w : memref<8x4xf16>) outs(%f : memref<8x4xf32>) {
  ^bb0(%in: f16, %out: f32):
    %v = arith.extf %in : f16 to f32
    linalg.yield %v : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x4xf32>)
  linalg.matmul ins(%a, %f : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  memref.dealloc %f : memref<8x4xf32>
  return
}

// Bufferization's copy of a zero fill: the copy is dead (the GEMM writes
// all of C), and so is the filled buffer nothing else reads.
// CHECK-LABEL: func.func @zeroed_by_a_copy
// CHECK-NOT:     linalg.fill
// CHECK-NOT:     memref.copy
// CHECK:         %[[C:.*]] = memref.alloc
// CHECK-NOT:     memref.alloc
// CHECK:         call @modrt_matmul_f32
// CHECK:         return %[[C]]
func.func @zeroed_by_a_copy(%a: memref<?x8xf32>, %b: memref<8x4xf32>, %n: index) -> memref<?x4xf32> {
  %zero = arith.constant 0.0 : f32
  %z = memref.alloc(%n) : memref<?x4xf32>
  linalg.fill ins(%zero : f32) outs(%z : memref<?x4xf32>)
  %c = memref.alloc(%n) : memref<?x4xf32>
  memref.copy %z, %c : memref<?x4xf32> to memref<?x4xf32>
  memref.dealloc %z : memref<?x4xf32>
  linalg.matmul ins(%a, %b : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  return %c : memref<?x4xf32>
}

// The zero-filled buffer is read again later: only the copy goes.
// CHECK-LABEL: func.func @zeros_read_elsewhere
// CHECK:         linalg.fill
// CHECK-NOT:     memref.copy
// CHECK:         call @modrt_matmul_f32
// CHECK:         memref.copy
func.func @zeros_read_elsewhere(%a: memref<?x8xf32>, %b: memref<8x4xf32>, %n: index, %d: memref<?x4xf32>) -> memref<?x4xf32> {
  %zero = arith.constant 0.0 : f32
  %z = memref.alloc(%n) : memref<?x4xf32>
  linalg.fill ins(%zero : f32) outs(%z : memref<?x4xf32>)
  %c = memref.alloc(%n) : memref<?x4xf32>
  memref.copy %z, %c : memref<?x4xf32> to memref<?x4xf32>
  linalg.matmul ins(%a, %b : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  memref.copy %z, %d : memref<?x4xf32> to memref<?x4xf32>
  return %c : memref<?x4xf32>
}

// C is a view of a larger buffer: another view could read what the copy
// wrote, so the copy stays.
// CHECK-LABEL: func.func @zeroed_view
// CHECK:         memref.copy
// CHECK:         call @modrt_matmul_f32
func.func @zeroed_view(%a: memref<2x8xf32>, %b: memref<8x4xf32>, %whole: memref<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %z = memref.alloc() : memref<2x4xf32>
  linalg.fill ins(%zero : f32) outs(%z : memref<2x4xf32>)
  %c = memref.subview %whole[0, 0] [2, 4] [1, 1] : memref<4x4xf32> to memref<2x4xf32, strided<[4, 1]>>
  memref.copy %z, %c : memref<2x4xf32> to memref<2x4xf32, strided<[4, 1]>>
  linalg.matmul ins(%a, %b : memref<2x8xf32>, memref<8x4xf32>) outs(%c : memref<2x4xf32, strided<[4, 1]>>)
  return
}
