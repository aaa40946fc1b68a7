// mod-map-to-gpu-kernels: computations on buffers become parallel loops
// collapsed to one dimension, tiled by 256 threads (fewer for small static
// trip counts) and mapped to blocks and threads; host-only work stays.
// RUN: mod-opt %s --split-input-file --mod-map-to-gpu-kernels --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @elementwise
// CHECK:         %[[N:.*]] = memref.dim
// CHECK:         %[[TOTAL:.*]] = arith.muli %{{.*}}, %c16
// CHECK:         scf.parallel (%[[B:.*]]) = (%c0{{.*}}) to (%[[TOTAL]]) step (%[[T:.*]]) {
// CHECK:           scf.parallel (%[[I:.*]]) = (%c0{{.*}}) to (%[[T]]) step
// CHECK:             arith.cmpi ult
// CHECK:             scf.if
// CHECK:               math.exp
// CHECK:           } {mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK:         } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%a: memref<?x16xf32>, %b: memref<?x16xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<?x16xf32>) outs(%b : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// A static trip count below 256 threads: the next power of two (at least
// 32). A copy is a kernel too.
// CHECK-LABEL: func.func @small_copy
// CHECK:         %[[T:.*]] = arith.muli %c1{{.*}}, %c32
// CHECK:         scf.parallel {{.*}} to (%c10) step (%[[T]])
func.func @small_copy(%a: memref<10xf32>, %b: memref<10xf32>) {
  memref.copy %a, %b : memref<10xf32> to memref<10xf32>
  return
}

// -----

// A store on the host side becomes a one-thread kernel; a load whose value
// the host needs is marked as a read back from the device.
// CHECK-LABEL: func.func @host_side
// CHECK:         %[[V:.*]] = memref.load %arg0[%c0] {mod.device_to_host} : memref<4xi64>
// CHECK:         scf.parallel
// CHECK:           memref.store %[[V]], %arg1[%c0]
// CHECK:         mapping = [#gpu.loop_dim_map<processor = block_x
// CHECK:         memref.alloc(%{{.*}}) : memref<?xf32>
func.func @host_side(%c: memref<4xi64>, %d: memref<4xi64>) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %v = memref.load %c[%c0] : memref<4xi64>
  memref.store %v, %d[%c0] : memref<4xi64>
  %n = arith.index_cast %v : i64 to index
  %buf = memref.alloc(%n) : memref<?xf32>
  return %buf : memref<?xf32>
}

// -----

// What has no device form is an error at its location.
func.func private @reads(memref<?xf32>)
func.func @runtime_call(%a: memref<?xf32>) {
  // expected-error @+1 {{'func.call' reads tensors in the CPU runtime, which has no GPU form yet (--target=cuda)}}
  call @reads(%a) : (memref<?xf32>) -> ()
  return
}

// -----

// A reshape's shape buffer is host metadata: written and read on the host.
// CHECK-LABEL: func.func @reshape_shape
// CHECK-NOT:     scf.parallel
// CHECK:         memref.store %arg1, %[[SHAPE:.*]][%c0] : memref<2xindex>
// CHECK-NEXT:    memref.store %c4, %[[SHAPE]][%c1] : memref<2xindex>
// CHECK-NEXT:    memref.reshape %arg0(%[[SHAPE]])
func.func @reshape_shape(%a: memref<?xf32>, %n: index) -> memref<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %shape = memref.alloc() : memref<2xindex>
  memref.store %n, %shape[%c0] : memref<2xindex>
  memref.store %c4, %shape[%c1] : memref<2xindex>
  %r = memref.reshape %a(%shape) : (memref<?xf32>, memref<2xindex>) -> memref<?x?xf32>
  return %r : memref<?x?xf32>
}
