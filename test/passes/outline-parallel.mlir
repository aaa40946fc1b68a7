// Outermost parallel loops that only compute are outlined into a body over
// [lo, hi) of their first dimension and a launcher call; loops that call or
// allocate, nested loops and loops with reductions stay.
// RUN: mod-opt %s --mod-outline-parallel | FileCheck %s

// CHECK-LABEL: func.func @elementwise
// CHECK-NOT:     scf.parallel
// CHECK:         %[[N:.*]] = arith.divsi
// CHECK:         call @__modc_par_launch_0(%[[N]], %{{.*}}, %arg0, %arg1, %{{.*}})
// CHECK-NEXT:    return
func.func @elementwise(%a: memref<?x8xf32>, %b: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %a, %c0 : memref<?x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<?x8xf32>
    %e = math.exp %v : f32
    memref.store %e, %b[%i, %j] : memref<?x8xf32>
    scf.reduce
  }
  return
}

// CHECK-LABEL: func.func @calls
// CHECK:         scf.parallel
// CHECK-NOT:     __modc_par_launch
func.func private @opaque(f32) -> f32
func.func @calls(%a: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %a[%i] : memref<?xf32>
    %r = func.call @opaque(%v) : (f32) -> f32
    memref.store %r, %a[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// CHECK-LABEL: func.func @allocates
// CHECK:         scf.parallel
// CHECK-NOT:     __modc_par_launch
func.func @allocates(%a: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %t = memref.alloc() : memref<4xf32>
    %v = memref.load %t[%c0] : memref<4xf32>
    memref.store %v, %a[%i] : memref<?xf32>
    memref.dealloc %t : memref<4xf32>
    scf.reduce
  }
  return
}

// The outlined body: the original loop, its first dimension cut to
// [lb + lo * step, min(ub, lb + hi * step)); constants re-created inside.
// CHECK:       func.func private @__modc_par_body_0(%[[LO:.*]]: index, %[[HI:.*]]: index, %[[A:.*]]: memref<?x8xf32>, %[[B:.*]]: memref<?x8xf32>, %[[UB:.*]]: index)
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK:         %[[FROM:.*]] = arith.addi
// CHECK:         %[[TO:.*]] = arith.minsi %[[UB]]
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}) = (%[[FROM]], %{{.*}}) to (%[[TO]], %[[C8]])
// CHECK:           math.exp
// CHECK:       func.func private @__modc_par_launch_0(index, index, memref<?x8xf32>, memref<?x8xf32>, index)
