// The routing ops get their buffers from one-shot bufferization (tensor.empty
// destinations become allocations, written in place), and
// mod-lower-routing-to-runtime turns each buffer-form op into one call of its
// modrt/routing.h function, declared from the runtime's prototype.
// RUN: mod-opt %s --split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s --check-prefix=BUF
// RUN: mod-opt %s --split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --mod-lower-routing-to-runtime | FileCheck %s

// BUF-LABEL: func.func @route
// BUF-NOT:     bufferization.to_tensor
// BUF-NOT:     memref.copy
// BUF:         mod.route.decide topk %{{.*}} into %{{.*}}, %{{.*}} {{.*}} : (memref<?x8xf32>, memref<?x2xi64>, memref<?x2xf32>) -> ()
// BUF:         mod.route.plan {{.*}} -> ()
// BUF:         mod.grouped_matmul {{.*}} -> ()
// BUF:         mod.grouped_matmul_scatter weighted {{.*}} -> ()
// BUF:         mod.route.finish sum {{.*}} -> ()

// CHECK-DAG: func.func private @modrt_route_topk(memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, f64, memref<?x?xi64, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @modrt_route_plan(memref<?x?xi64, strided<[?, ?], offset: ?>>, i64, memref<?xi64, strided<[?], offset: ?>>, memref<?xi64, strided<[?], offset: ?>>, memref<?xi64, strided<[?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @modrt_grouped_gather_matmul_f32(
// CHECK-DAG: func.func private @modrt_grouped_matmul_scatter_f32(
// CHECK-DAG: func.func private @modrt_route_finish(
// CHECK-LABEL: func.func @route
// CHECK-NOT:   mod.
// CHECK:       %[[K:.*]] = arith.constant 2 : i64
// CHECK:       %[[NORM:.*]] = arith.constant 1 : i64
// CHECK:       call @modrt_route_topk(%{{.*}}, %[[K]], %[[NORM]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK:       %[[E:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK:       call @modrt_route_plan(%{{.*}}, %[[E]],
// The weight table: the address of each expert's weight.
// CHECK:       memref.alloca() : memref<2xi64>
// CHECK-COUNT-2: memref.extract_aligned_pointer_as_index
// CHECK:       call @modrt_grouped_gather_matmul_f32(
// CHECK:       memref.alloca() : memref<2xi64>
// CHECK:       %[[GATHER:.*]] = arith.constant 0 : i64
// CHECK:       %[[MODE:.*]] = arith.constant 0 : i64
// CHECK:       call @modrt_grouped_matmul_scatter_f32({{.*}}, %[[GATHER]], %[[MODE]])
// CHECK:       %[[SUM:.*]] = arith.constant 1 : i64
// CHECK:       call @modrt_route_finish(%{{.*}}, %{{.*}}, %[[SUM]])
func.func @route(%x: tensor<?x8xf32>, %logits: tensor<?x8xf32>, %w0: tensor<8x16xf32>, %w1: tensor<8x16xf32>, %d0: tensor<16x8xf32>, %d1: tensor<16x8xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %rk = arith.muli %n, %c2 : index
  %i0 = tensor.empty(%n) : tensor<?x2xi64>
  %g0 = tensor.empty(%n) : tensor<?x2xf32>
  %l2 = tensor.extract_slice %logits[0, 0] [%n, 2] [1, 1] : tensor<?x8xf32> to tensor<?x2xf32>
  %i, %g = mod.route.decide topk %logits into %i0, %g0 {num_targets = 8 : i64, k = 2 : i64, capacity = 0.0 : f64, normalize} : (tensor<?x8xf32>, tensor<?x2xi64>, tensor<?x2xf32>) -> (tensor<?x2xi64>, tensor<?x2xf32>)
  %cnt0 = tensor.empty() : tensor<2xi64>
  %r0 = tensor.empty(%rk) : tensor<?xi64>
  %s0 = tensor.empty(%rk) : tensor<?xi64>
  %c, %r, %s = mod.route.plan %i into %cnt0, %r0, %s0 : (tensor<?x2xi64>, tensor<2xi64>, tensor<?xi64>, tensor<?xi64>) -> (tensor<2xi64>, tensor<?xi64>, tensor<?xi64>)
  %h0 = tensor.empty(%rk) : tensor<?x16xf32>
  %h = mod.grouped_matmul %x gather %r counts %c weights(%w0, %w1) into %h0 : (tensor<?x8xf32>, tensor<?xi64>, tensor<2xi64>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %zero = arith.constant 0.0 : f32
  %y0 = tensor.empty(%n) : tensor<?x8xf32>
  %yz = linalg.fill ins(%zero : f32) outs(%y0 : tensor<?x8xf32>) -> tensor<?x8xf32>
  %y1 = mod.grouped_matmul_scatter weighted %h, %r, %s, %c, %g weights(%d0, %d1) into %yz : (tensor<?x16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<2xi64>, tensor<?x2xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %y2 = mod.route.finish sum %i into %y1 : (tensor<?x2xi64>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y2 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @task
// CHECK:       memref.get_global @modc.msg.0 : memref<15xi8>
// CHECK:       call @modrt_route_task_i32(
func.func @task(%ids: memref<?xi32>, %i: memref<?x1xi64>, %w: memref<?x1xf32>) {
  mod.route.decide task %ids into %i, %w {num_targets = 3 : i64, message = "f: argument 't'"} : (memref<?xi32>, memref<?x1xi64>, memref<?x1xf32>) -> ()
  return
}


// -----

// Weight gradients copied whole, group by group, into buffers nothing else
// uses (a train block's gradient outputs): written there in place, no
// stacked buffer and no copies.
// CHECK-LABEL: func.func @weight_grad_in_place
// CHECK-NOT:   memref.alloc(
// CHECK:       %[[T:.*]] = memref.alloca() : memref<2xi64>
// CHECK:       memref.extract_aligned_pointer_as_index %arg3
// CHECK:       memref.extract_aligned_pointer_as_index %arg4
// CHECK:       call @modrt_grouped_weight_grad_to_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NOT:   memref.copy
// CHECK-NOT:   memref.dealloc
// CHECK:       return
func.func @weight_grad_in_place(%x: memref<?x8xf32>, %c: memref<2xi64>, %dy: memref<?x16xf32>, %g0: memref<8x16xf32>, %g1: memref<8x16xf32>) {
  %dw = memref.alloc() : memref<2x8x16xf32>
  mod.grouped_weight_grad %x counts %c grad %dy into %dw : (memref<?x8xf32>, memref<2xi64>, memref<?x16xf32>, memref<2x8x16xf32>) -> ()
  %s1 = memref.subview %dw[1, 0, 0] [1, 8, 16] [1, 1, 1] : memref<2x8x16xf32> to memref<8x16xf32, strided<[16, 1], offset: 128>>
  memref.copy %s1, %g1 : memref<8x16xf32, strided<[16, 1], offset: 128>> to memref<8x16xf32>
  %s0 = memref.subview %dw[0, 0, 0] [1, 8, 16] [1, 1, 1] : memref<2x8x16xf32> to memref<8x16xf32, strided<[16, 1]>>
  memref.copy %s0, %g0 : memref<8x16xf32, strided<[16, 1]>> to memref<8x16xf32>
  memref.dealloc %dw : memref<2x8x16xf32>
  return
}

// -----

// One group's gradient is not copied out: the stacked form stays.
// CHECK-LABEL: func.func @weight_grad_stacked
// CHECK:       call @modrt_grouped_weight_grad_f32(
// CHECK:       memref.copy
func.func @weight_grad_stacked(%x: memref<?x8xf32>, %c: memref<2xi64>, %dy: memref<?x16xf32>, %g0: memref<8x16xf32>) {
  %dw = memref.alloc() : memref<2x8x16xf32>
  mod.grouped_weight_grad %x counts %c grad %dy into %dw : (memref<?x8xf32>, memref<2xi64>, memref<?x16xf32>, memref<2x8x16xf32>) -> ()
  %s0 = memref.subview %dw[0, 0, 0] [1, 8, 16] [1, 1, 1] : memref<2x8x16xf32> to memref<8x16xf32, strided<[16, 1]>>
  memref.copy %s0, %g0 : memref<8x16xf32, strided<[16, 1]>> to memref<8x16xf32>
  memref.dealloc %dw : memref<2x8x16xf32>
  return
}
