// mod-lower-routing-to-runtime refuses what it cannot call correctly.
// RUN: mod-opt %s --split-input-file --mod-lower-routing-to-runtime --verify-diagnostics > /dev/null

func.func @strided_weight(%x: memref<?x8xf32>, %c: memref<2xi64>, %w: memref<8x16xf32, strided<[32, 1]>>, %o: memref<?x16xf32>) {
  // expected-error @+1 {{needs dense row-major weights}}
  mod.grouped_matmul %x counts %c weights(%w, %w) into %o : (memref<?x8xf32>, memref<2xi64>, memref<8x16xf32, strided<[32, 1]>>, memref<8x16xf32, strided<[32, 1]>>, memref<?x16xf32>) -> ()
  return
}

// -----

func.func @still_tensors(%i: tensor<?x2xi64>, %c: tensor<4xi64>, %r: tensor<?xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{must be bufferized before mod-lower-routing-to-runtime}}
  %a, %b, %d = mod.route.plan %i into %c, %r, %r : (tensor<?x2xi64>, tensor<4xi64>, tensor<?xi64>, tensor<?xi64>) -> (tensor<4xi64>, tensor<?xi64>, tensor<?xi64>)
  return %a : tensor<4xi64>
}
