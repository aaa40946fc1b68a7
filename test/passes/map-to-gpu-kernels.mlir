// mod-map-to-gpu-kernels: computations on buffers become parallel loops
// collapsed to one dimension, tiled by 256 threads (fewer for small static
// trip counts) and mapped to blocks and threads; host-only work stays.
// RUN: mod-opt %s --split-input-file --mod-map-to-gpu-kernels --verify-diagnostics | FileCheck %s
// RUN: mod-opt %s --split-input-file --mod-map-to-gpu-kernels --verify-diagnostics | FileCheck %s --check-prefix=MULS

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

// -----

// A sum into few outputs (a loss: one) is not one thread's loop: 65536
// threads add every 65536th square, then threads of 64 partial sums each,
// until one thread per output adds the last 16 to it.
// CHECK-LABEL: func.func @loss
// CHECK:         %[[P0:.*]] = memref.alloc() : memref<65536xf32>
// CHECK:         scf.parallel
// CHECK:           scf.parallel
// CHECK:             scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c65536
// CHECK:               memref.load %arg0
// CHECK:               arith.mulf
// CHECK:             memref.store %{{.*}}, %[[P0]]
// CHECK:         %[[P1:.*]] = memref.alloc() : memref<1024xf32>
// CHECK:             scf.for %{{.*}} = %c0{{.*}} to %c64
// CHECK:               memref.load %[[P0]]
// CHECK:         memref.dealloc %[[P0]]
// CHECK:         %[[P2:.*]] = memref.alloc() : memref<16xf32>
// CHECK:         memref.dealloc %[[P1]]
// CHECK:             %[[INIT:.*]] = memref.load %arg1[]
// CHECK:             scf.for %{{.*}} = %c0{{.*}} to %c16{{.*}} step %c1{{.*}} iter_args(%{{.*}} = %[[INIT]])
// CHECK:               memref.load %[[P2]]
// CHECK:             memref.store %{{.*}}, %arg1[]
// CHECK:         memref.dealloc %[[P2]]
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> ()>
func.func @loss(%a: memref<?x64xf32>, %s: memref<f32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "reduction"]}
      ins(%a : memref<?x64xf32>) outs(%s : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %sq = arith.mulf %x, %x : f32
    %sum = arith.addf %acc, %sq : f32
    linalg.yield %sum : f32
  }
  return
}

// -----

// Many outputs (a bias gradient over 1024 columns) keep the GPU busy with
// 64 partial sums each; a max, or a sum over a few static elements, stays
// one thread per output.
// CHECK-LABEL: func.func @columns
// CHECK:         memref.alloc() : memref<65536xf32>
// CHECK-LABEL: func.func @small
// CHECK-NOT:     memref.alloc
// CHECK-LABEL: func.func @max
// CHECK-NOT:     memref.alloc
#rows = affine_map<(d0, d1) -> (d0, d1)>
#cols = affine_map<(d0, d1) -> (d1)>
func.func @columns(%a: memref<?x1024xf32>, %s: memref<1024xf32>) {
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<?x1024xf32>) outs(%s : memref<1024xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %sum = arith.addf %x, %acc : f32
    linalg.yield %sum : f32
  }
  return
}
func.func @small(%a: memref<8x1024xf32>, %s: memref<1024xf32>) {
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<8x1024xf32>) outs(%s : memref<1024xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %sum = arith.addf %x, %acc : f32
    linalg.yield %sum : f32
  }
  return
}
func.func @max(%a: memref<?x1024xf32>, %s: memref<1024xf32>) {
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<?x1024xf32>) outs(%s : memref<1024xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %m = arith.maximumf %x, %acc : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A matmul: each thread a 4 x 4 tile of C, its 16 sums in registers across
// K, 4 elements of A and 4 of B loaded per step (indices clamped into
// bounds), each element of C stored only if in bounds.
// CHECK-LABEL: func.func @matmul
// CHECK:         scf.parallel
// CHECK:           scf.parallel
// CHECK-COUNT-16:    memref.load %arg2
// CHECK:             scf.for %{{.*}} = %c0{{.*}} to %c64{{.*}} step %c1{{.*}} iter_args(
// CHECK:               memref.load %arg0
// CHECK-COUNT-4:       memref.load %arg1
// CHECK-COUNT-3:       memref.load %arg0
// CHECK-NOT:           memref.load
// CHECK:               scf.yield
// CHECK-COUNT-16:    memref.store %{{.*}}, %arg2
// MULS-LABEL: func.func @matmul
// MULS:         iter_args(
// MULS-COUNT-16:  arith.mulf
// MULS-NOT:       arith.mulf
// MULS:           scf.yield
func.func @matmul(%a: memref<?x64xf32>, %b: memref<64x128xf32>, %c: memref<?x128xf32>) {
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x128xf32>) outs(%c : memref<?x128xf32>)
  return
}
