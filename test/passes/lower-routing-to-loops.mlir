// mod-lower-routing-to-loops: the routing ops' buffer form as loops, the
// GPU path's lowering (the semantics of runtime/Routing.cpp): parallel per
// row where rows are independent, one sequential loop nest where order
// matters, ids checked on the device and reported by the host.
// RUN: mod-opt %s --split-input-file --mod-lower-routing-to-loops | FileCheck %s

// Top-k without capacity: one iteration per row, k passes over the E
// logits inside.
// CHECK-LABEL: func.func @topk
// CHECK-NOT:     mod.route
// CHECK:         scf.parallel (%[[R:.*]]) =
// CHECK:           scf.for {{.*}} iter_args
// CHECK:             scf.for {{.*}} iter_args
// CHECK:               memref.load %arg0[%[[R]], %{{.*}}] : memref<?x8xf32>
// CHECK:           math.exp
// CHECK:           arith.divf
func.func @topk(%l: memref<?x8xf32>, %i: memref<?x2xi64>, %w: memref<?x2xf32>) {
  mod.route.decide topk %l into %i, %w {capacity = 0.0 : f64, k = 2 : i64, normalize, num_targets = 8 : i64} : (memref<?x8xf32>, memref<?x2xi64>, memref<?x2xf32>) -> ()
  return
}

// -----

// With a capacity the rows are taken in order: a sequential loop, with the
// rows each target has taken so far in a buffer.
// CHECK-LABEL: func.func @topk_capacity
// CHECK-NOT:     scf.parallel
// CHECK:         %[[USED:.*]] = memref.alloc() : memref<8xi64>
// CHECK:         scf.for
// CHECK:         scf.for
// CHECK:           memref.store {{.*}}, %[[USED]]
// CHECK:         memref.dealloc %[[USED]]
func.func @topk_capacity(%l: memref<?x8xf32>, %i: memref<?x2xi64>, %w: memref<?x2xf32>) {
  mod.route.decide topk %l into %i, %w {capacity = 1.0 : f64, k = 2 : i64, normalize, num_targets = 8 : i64} : (memref<?x8xf32>, memref<?x2xi64>, memref<?x2xf32>) -> ()
  return
}

// -----

// Task ids: out-of-range ids route nowhere; the first bad row (atomic min)
// and, copied beside it on the device, the id there are read back by the
// host (never the ids themselves: a _device entry's are device memory) and
// reported with the CPU's message.
// CHECK-LABEL: func.func @task
// CHECK:         %[[BAD:.*]] = memref.alloc() : memref<2xi64>
// CHECK:         scf.parallel
// CHECK:           memref.atomic_rmw mins {{.*}}, %[[BAD]]
// CHECK:         scf.for
// CHECK:           %[[POS:.*]] = memref.load %[[BAD]]
// CHECK:           scf.if
// CHECK:             memref.load %arg0[
// CHECK-NOT:           device_to_host
// CHECK:             memref.store %{{.*}}, %[[BAD]][%c1
// CHECK:         %[[FIRST:.*]] = memref.load %[[BAD]][%{{.*}}] {mod.device_to_host}
// CHECK:         scf.if
// CHECK:           %[[ID:.*]] = memref.load %[[BAD]][%{{.*}}] {mod.device_to_host}
// CHECK:           call @modrt_report_task_id(%[[ID]], %[[FIRST]],
// CHECK:         memref.dealloc %[[BAD]]
func.func @task(%ids: memref<?xi32>, %i: memref<?x1xi64>, %w: memref<?x1xf32>) {
  mod.route.decide task %ids into %i, %w {num_targets = 4 : i64, message = "forward: argument 'task'"} : (memref<?xi32>, memref<?x1xi64>, memref<?x1xf32>) -> ()
  return
}

// -----

// The plan: a stable counting sort over chunks of 256 rows. Per chunk its
// entries per target (parallel over chunks); per target its count and each
// chunk's first place (parallel over targets); the targets' first entries
// (one thread); each chunk places its entries in row order (parallel over
// chunks); the entries past the counts' sum become row 0, slot -1.
// CHECK-LABEL: func.func @plan
// CHECK:         %[[C256:.*]] = arith.constant 256 : index
// CHECK:         %[[PER:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?xi64>
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.*}}, %[[PER]]
// CHECK:         scf.parallel
// CHECK:           scf.for {{.*}} iter_args
// CHECK:           memref.store %{{.*}}, %arg1
// CHECK:         %[[START:.*]] = memref.alloc(%{{.*}}) : memref<?xi64>
// CHECK:         scf.for
// CHECK:         scf.parallel
// CHECK:             memref.store %{{.*}}, %arg2
// CHECK:             memref.store %{{.*}}, %arg3
// CHECK:         scf.parallel
// CHECK:           %[[MINUS1:.*]] = arith.constant -1 : i64
// CHECK:           memref.store %[[MINUS1]], %arg3
// CHECK:         memref.dealloc %[[PER]]
// CHECK:         memref.dealloc %[[START]]
func.func @plan(%i: memref<?x2xi64>, %c: memref<8xi64>, %r: memref<?xi64>, %s: memref<?xi64>) {
  mod.route.plan %i into %c, %r, %s : (memref<?x2xi64>, memref<8xi64>, memref<?xi64>, memref<?xi64>) -> ()
  return
}

// -----

// The grouped product: one iteration per tile of 4 rows of one group and
// one column (found by scanning the counts), its group's weight chosen by a
// switch, each weight element loaded once for the 4 rows; rows past the
// group's end are not stored.
// CHECK-LABEL: func.func @grouped
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}) =
// CHECK:           scf.for {{.*}} -> (i64, i64, i64, i64, i64)
// CHECK:           scf.index_switch %{{.*}} -> f32, f32, f32, f32
// CHECK:           case 0 {
// CHECK:             scf.for {{.*}} -> (f32, f32, f32, f32)
// CHECK-COUNT-1:       memref.load %arg3
// CHECK-NOT:           memref.load %arg3
// CHECK:           case 1 {
// CHECK:             memref.load %arg4
// CHECK:           scf.if
// CHECK:             memref.store %{{.*}}#0
// CHECK:           scf.if
// CHECK:             memref.store %{{.*}}#1
// CHECK:           scf.if
// CHECK:             memref.store %{{.*}}#2
// CHECK:           scf.if
// CHECK:             memref.store %{{.*}}#3
func.func @grouped(%x: memref<?x8xf32>, %rows: memref<?xi64>, %c: memref<2xi64>, %w0: memref<8x16xf32>, %w1: memref<8x16xf32>, %o: memref<?x16xf32>) {
  mod.grouped_matmul %x gather %rows counts %c weights(%w0, %w1) into %o : (memref<?x8xf32>, memref<?xi64>, memref<2xi64>, memref<8x16xf32>, memref<8x16xf32>, memref<?x16xf32>) -> ()
  return
}

// -----

// The grouped product with its weighted scatter: one loop per group, in
// group order (a group places a destination row at most once, so no two
// threads of a loop write one element, and each element of y gets its
// contributions in group order); each thread 4 rows of its group.
// CHECK-LABEL: func.func @grouped_scatter
// CHECK:         scf.parallel
// CHECK:           scf.for {{.*}} -> (f32, f32, f32, f32)
// CHECK:             memref.load %arg5
// CHECK-COUNT-4:   memref.store %{{.*}}, %arg7
// CHECK:         scf.parallel
// CHECK:           scf.for {{.*}} -> (f32, f32, f32, f32)
// CHECK:             memref.load %arg6
// CHECK-COUNT-4:   memref.store %{{.*}}, %arg7
// CHECK-NOT:     scf.parallel
func.func @grouped_scatter(%h: memref<?x16xf32>, %rows: memref<?xi64>, %slots: memref<?xi64>, %c: memref<2xi64>, %rw: memref<?x2xf32>, %w0: memref<16x8xf32>, %w1: memref<16x8xf32>, %y: memref<?x8xf32>) {
  mod.grouped_matmul_scatter weighted %h, %rows, %slots, %c, %rw weights(%w0, %w1) into %y : (memref<?x16xf32>, memref<?xi64>, memref<?xi64>, memref<2xi64>, memref<?x2xf32>, memref<16x8xf32>, memref<16x8xf32>, memref<?x8xf32>) -> ()
  return
}

// -----

// Distinct weight vectors: each row's first equal row (its leader) in
// parallel over the rows; then one thread numbers the leaders in row order
// and places each group's rows in order.
// CHECK-LABEL: func.func @distinct
// CHECK:         %[[LEADER:.*]] = memref.alloc(%{{.*}}) : memref<?xindex>
// CHECK:         scf.parallel
// CHECK:           arith.bitcast
// CHECK:           memref.store %{{.*}}, %[[LEADER]]
// CHECK:         scf.for
// CHECK:           memref.store %{{.*}}, %arg3
// CHECK:           memref.store %{{.*}}, %arg1
// CHECK:         memref.dealloc %[[LEADER]]
func.func @distinct(%d: memref<?x4xf32>, %o: memref<?xi64>, %off: memref<?xi64>, %n: memref<1xi64>) {
  mod.route.distinct %d into %o, %off, %n : (memref<?x4xf32>, memref<?xi64>, memref<?xi64>, memref<1xi64>) -> ()
  return
}
