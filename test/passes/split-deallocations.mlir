// One dealloc per fresh allocation, right after the allocation's last use
// (aliases included); anything that might alias stays in the original op.
// RUN: mod-opt %s --mod-split-deallocations --split-input-file | FileCheck %s

func.func private @fresh(%n: index) -> (memref<?xf32>, memref<?xf32>) {
  %a = memref.alloc(%n) : memref<?xf32>
  %b = memref.alloc(%n) : memref<?xf32>
  return %a, %b : memref<?xf32>, memref<?xf32>
}

// CHECK-LABEL: func.func @moved
// CHECK:         %[[A:.*]] = memref.alloc
// CHECK:         %[[B:.*]] = memref.alloc
// CHECK:         memref.copy %[[A]], %[[B]]
// CHECK-NEXT:    bufferization.dealloc (%[[A]] : memref<?xf32>) if (%true)
// CHECK-NEXT:    %[[R:.*]]:2 = call @fresh
// CHECK-NEXT:    %[[BASE:[^,]*]], {{.*}} = memref.extract_strided_metadata %[[R]]#1
// CHECK-NEXT:    bufferization.dealloc (%[[BASE]] : memref<f32>) if (%true)
// CHECK-NEXT:    %[[V:.*]] = memref.subview %[[B]]
// CHECK-NEXT:    memref.copy %[[V]], %[[O:.*]] :
// CHECK-NEXT:    bufferization.dealloc (%[[B]] : memref<?xf32>) if (%true)
// CHECK-NEXT:    memref.copy %[[R]]#0, %[[O]]
// CHECK-NEXT:    %[[BASE0:[^,]*]], {{.*}} = memref.extract_strided_metadata %[[R]]#0
// CHECK-NEXT:    bufferization.dealloc (%[[BASE0]] : memref<f32>) if (%true)
// CHECK-NEXT:    return
func.func @moved(%n: index, %out: memref<2xf32>) {
  %true = arith.constant true
  %a = memref.alloc(%n) : memref<?xf32>
  %b = memref.alloc(%n) : memref<?xf32>
  memref.copy %a, %b : memref<?xf32> to memref<?xf32>
  %r:2 = call @fresh(%n) : (index) -> (memref<?xf32>, memref<?xf32>)
  %v = memref.subview %b[0] [2] [1] : memref<?xf32> to memref<2xf32, strided<[1]>>
  memref.copy %v, %out : memref<2xf32, strided<[1]>> to memref<2xf32>
  memref.copy %r#0, %out : memref<?xf32> to memref<2xf32>
  %base0, %off0, %size0, %stride0 = memref.extract_strided_metadata %r#0 : memref<?xf32> -> memref<f32>, index, index, index
  %base1, %off1, %size1, %stride1 = memref.extract_strided_metadata %r#1 : memref<?xf32> -> memref<f32>, index, index, index
  bufferization.dealloc (%a, %b, %base0, %base1 : memref<?xf32>, memref<?xf32>, memref<f32>, memref<f32>) if (%true, %true, %true, %true)
  return
}

// -----

// A returned (retained) allocation keeps its place and the retain list; the
// other moves and no longer contributes to the retained value's ownership.
// CHECK-LABEL: func.func @retained
// CHECK:         %[[A:.*]] = memref.alloc
// CHECK:         %[[B:.*]] = memref.alloc
// CHECK-NEXT:    memref.copy %[[A]], %[[B]]
// CHECK-NEXT:    bufferization.dealloc (%[[A]] : memref<4xf32>) if (%true)
// CHECK-NEXT:    %[[K:.*]] = bufferization.dealloc (%[[B]] : memref<4xf32>) if (%true) retain (%[[B]] : memref<4xf32>)
// CHECK-NEXT:    return %[[B]], %[[K]]
func.func @retained() -> (memref<4xf32>, i1) {
  %true = arith.constant true
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  memref.copy %a, %b : memref<4xf32> to memref<4xf32>
  %k = bufferization.dealloc (%a, %b : memref<4xf32>, memref<4xf32>) if (%true, %true) retain (%b : memref<4xf32>)
  return %b, %k : memref<4xf32>, i1
}

// -----

// An op whose result may alias its operand (a select of memrefs) hides the
// last use: that allocation stays at the end; the other still moves.
// CHECK-LABEL: func.func @unknown_alias
// CHECK:         %[[A:.*]] = memref.alloc
// CHECK:         %[[B:.*]] = memref.alloc
// CHECK-NEXT:    bufferization.dealloc (%[[B]] : memref<4xf32>) if (%true)
// CHECK-NEXT:    %[[S:.*]] = arith.select
// CHECK-NEXT:    memref.copy %[[S]]
// CHECK-NEXT:    bufferization.dealloc (%[[A]] : memref<4xf32>) if (%true)
// CHECK-NEXT:    return
func.func @unknown_alias(%c: i1, %other: memref<4xf32>, %out: memref<4xf32>) {
  %true = arith.constant true
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  %s = arith.select %c, %a, %other : memref<4xf32>
  memref.copy %s, %out : memref<4xf32> to memref<4xf32>
  bufferization.dealloc (%a, %b : memref<4xf32>, memref<4xf32>) if (%true, %true)
  return
}

// -----

// A memref that is not a fresh allocation (an argument, a result of a call
// that may return its argument) might alias another: nothing is split.
func.func private @passthrough(%m: memref<4xf32>) -> memref<4xf32> {
  return %m : memref<4xf32>
}

// CHECK-LABEL: func.func @not_fresh
// CHECK-NOT:     bufferization.dealloc ({{[^,]*}} : memref<4xf32>) if
// CHECK:         bufferization.dealloc (%{{.*}}, %{{.*}} : memref<4xf32>, memref<4xf32>)
// CHECK:         bufferization.dealloc (%{{.*}}, %{{.*}} : memref<4xf32>, memref<4xf32>)
// CHECK-NEXT:    return
func.func @not_fresh(%m: memref<4xf32>, %own: i1) {
  %true = arith.constant true
  %a = memref.alloc() : memref<4xf32>
  %p = call @passthrough(%a) : (memref<4xf32>) -> memref<4xf32>
  bufferization.dealloc (%a, %p : memref<4xf32>, memref<4xf32>) if (%true, %true)
  bufferization.dealloc (%a, %m : memref<4xf32>, memref<4xf32>) if (%true, %own)
  return
}

// -----

// An allocation yielded out of a loop is forwarded: it stays at the end.
// CHECK-LABEL: func.func @forwarded
// CHECK:         scf.for
// CHECK:         }
// CHECK-NEXT:    bufferization.dealloc (%{{.*}} : memref<4xf32>) if (%true)
// CHECK-NEXT:    memref.copy
// CHECK-NEXT:    bufferization.dealloc (%{{.*}} : memref<4xf32>) if (%true)
// CHECK-NEXT:    return
func.func @forwarded(%n: index, %out: memref<4xf32>) {
  %true = arith.constant true
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%x = %a) -> memref<4xf32> {
    memref.copy %b, %x : memref<4xf32> to memref<4xf32>
    scf.yield %x : memref<4xf32>
  }
  memref.copy %r, %out : memref<4xf32> to memref<4xf32>
  bufferization.dealloc (%a, %b : memref<4xf32>, memref<4xf32>) if (%true, %true)
  return
}
