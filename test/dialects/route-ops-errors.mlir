// Verifier errors of the tensor-level routing ops.
// RUN: mod-opt %s --split-input-file --verify-diagnostics > /dev/null

func.func @k_too_large(%l: tensor<?x4xf32>, %i: tensor<?x5xi64>, %w: tensor<?x5xf32>) {
  // expected-error @+1 {{topk needs 1 <= k <= num_targets slots}}
  %a, %b = mod.route.decide topk %l into %i, %w {num_targets = 4 : i64, k = 5 : i64, capacity = 0.0 : f64} : (tensor<?x4xf32>, tensor<?x5xi64>, tensor<?x5xf32>) -> (tensor<?x5xi64>, tensor<?x5xf32>)
  return
}

// -----

func.func @task_float_ids(%l: tensor<?xf32>, %i: tensor<?x1xi64>, %w: tensor<?x1xf32>) {
  // expected-error @+1 {{ids must be i32 or i64}}
  %a, %b = mod.route.decide task %l into %i, %w {num_targets = 4 : i64} : (tensor<?xf32>, tensor<?x1xi64>, tensor<?x1xf32>) -> (tensor<?x1xi64>, tensor<?x1xf32>)
  return
}

// -----

func.func @softmax_with_k(%l: tensor<?x4xf32>, %i: tensor<?x4xi64>, %w: tensor<?x4xf32>) {
  // expected-error @+1 {{only topk takes k and normalize}}
  %a, %b = mod.route.decide softmax_gate %l into %i, %w {num_targets = 4 : i64, k = 2 : i64} : (tensor<?x4xf32>, tensor<?x4xi64>, tensor<?x4xf32>) -> (tensor<?x4xi64>, tensor<?x4xf32>)
  return
}

// -----

func.func @plan_f32_indices(%i: tensor<?x2xf32>, %c: tensor<4xi64>, %r: tensor<?xi64>) {
  // expected-error @+1 {{indices must have element type 'i64'}}
  %a, %b, %d = mod.route.plan %i into %c, %r, %r : (tensor<?x2xf32>, tensor<4xi64>, tensor<?xi64>, tensor<?xi64>) -> (tensor<4xi64>, tensor<?xi64>, tensor<?xi64>)
  return
}

// -----

func.func @plan_short_lists(%i: tensor<3x2xi64>, %c: tensor<4xi64>, %r: tensor<5xi64>) {
  // expected-error @+1 {{rows and slots need room for R * K pairs}}
  %a, %b, %d = mod.route.plan %i into %c, %r, %r : (tensor<3x2xi64>, tensor<4xi64>, tensor<5xi64>, tensor<5xi64>) -> (tensor<4xi64>, tensor<5xi64>, tensor<5xi64>)
  return
}

// -----

func.func @mixed_forms(%i: memref<?x2xi64>, %c: tensor<4xi64>, %r: tensor<?xi64>) {
  // expected-error @+1 {{mixes tensor and memref operands}}
  %a, %b, %d = mod.route.plan %i into %c, %r, %r : (memref<?x2xi64>, tensor<4xi64>, tensor<?xi64>, tensor<?xi64>) -> (tensor<4xi64>, tensor<?xi64>, tensor<?xi64>)
  return
}

// -----

func.func @scatter_columns(%ye: tensor<?x4xf32>, %r: tensor<?xi64>, %w: tensor<?x2xf32>, %b: index, %y: tensor<?x8xf32>) {
  // expected-error @+1 {{the rows scattered must have y's columns}}
  %0 = mod.route.scatter weighted %ye, %r, %r, %w, %b into %y : (tensor<?x4xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?x2xf32>, index, tensor<?x8xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @dense_rows(%i: tensor<3x1xi64>, %w: tensor<3x1xf32>, %d: tensor<4x3xf32>) {
  // expected-error @+1 {{dense must have a row per decision row}}
  %0 = mod.route.dense %i, %w into %d : (tensor<3x1xi64>, tensor<3x1xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @distinct_count(%d: tensor<?x3xf32>, %o: tensor<?xi64>, %u: tensor<2xi64>) {
  // expected-error @+1 {{num_groups must hold one value}}
  %0, %1, %2 = mod.route.distinct %d into %o, %o, %u : (tensor<?x3xf32>, tensor<?xi64>, tensor<?xi64>, tensor<2xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<2xi64>)
  return
}

// -----

func.func @weights_per_group(%x: tensor<?x8xf32>, %c: tensor<3xi64>, %w: tensor<8x16xf32>, %o: tensor<?x16xf32>) {
  // expected-error @+1 {{has 2 weight operands for 3 groups}}
  %0 = mod.grouped_matmul %x counts %c weights(%w, %w) into %o : (tensor<?x8xf32>, tensor<3xi64>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @weights_one_type(%x: tensor<?x8xf32>, %c: tensor<2xi64>, %w: tensor<8x16xf32>, %v: tensor<8x4xf32>, %o: tensor<?x16xf32>) {
  // expected-error @+1 {{weights of the groups must have one type}}
  %0 = mod.grouped_matmul %x counts %c weights(%w, %v) into %o : (tensor<?x8xf32>, tensor<2xi64>, tensor<8x16xf32>, tensor<8x4xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @lhs_columns(%x: tensor<?x4xf32>, %c: tensor<2xi64>, %w: tensor<8x16xf32>, %o: tensor<?x16xf32>) {
  // expected-error @+1 {{lhs columns must equal the weights' rows}}
  %0 = mod.grouped_matmul %x counts %c weights(%w, %w) into %o : (tensor<?x4xf32>, tensor<2xi64>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @result_type(%x: tensor<?x8xf32>, %c: tensor<2xi64>, %w: tensor<8x16xf32>, %o: tensor<?x16xf32>) {
  // expected-error @+1 {{}}
  %0 = mod.grouped_matmul %x counts %c weights(%w, %w) into %o : (tensor<?x8xf32>, tensor<2xi64>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<?x16xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @weights_f32_bf16_or_f16(%x: tensor<?x8xf32>, %c: tensor<2xi64>, %w: tensor<8x16xf64>, %o: tensor<?x16xf32>) {
  // expected-error @+1 {{weights must be f32, bf16 or f16}}
  %0 = mod.grouped_matmul %x counts %c weights(%w, %w) into %o : (tensor<?x8xf32>, tensor<2xi64>, tensor<8x16xf64>, tensor<8x16xf64>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @transposed_shapes(%x: tensor<?x8xf32>, %c: tensor<2xi64>, %w: tensor<8x16xf32>, %o: tensor<?x16xf32>) {
  // expected-error @+1 {{lhs columns must equal the weights' columns}}
  %0 = mod.grouped_matmul %x counts %c weights(%w, %w) into %o {transpose_weights} : (tensor<?x8xf32>, tensor<2xi64>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @weight_grad_shape(%x: tensor<?x8xf32>, %c: tensor<2xi64>, %dy: tensor<?x16xf32>, %o: tensor<2x16x8xf32>) {
  // expected-error @+1 {{out must be [groups, lhs columns, grad columns]}}
  %0 = mod.grouped_weight_grad %x counts %c grad %dy into %o : (tensor<?x8xf32>, tensor<2xi64>, tensor<?x16xf32>, tensor<2x16x8xf32>) -> tensor<2x16x8xf32>
  return
}
