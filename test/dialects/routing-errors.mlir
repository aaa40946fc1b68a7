// Every verifier rule of the routing ops.
// RUN: mod-opt %s --split-input-file --verify-diagnostics

func.func @f(%l: tensor<?x3xf32>) {
  // expected-error @+1 {{k = 4 must be between 1 and the number of targets 3}}
  %i, %w = mod.topk %l {num_targets = 3 : i64, k = 4 : i64, normalize = true, capacity = 0.0 : f64} : tensor<?x3xf32> -> tensor<?x4xi64>, tensor<?x4xf32>
  return
}

// -----

func.func @f(%l: tensor<?x3xf32>) {
  // expected-error @+1 {{capacity must not be negative}}
  %i, %w = mod.topk %l {num_targets = 3 : i64, k = 1 : i64, normalize = true, capacity = -1.0 : f64} : tensor<?x3xf32> -> tensor<?x1xi64>, tensor<?x1xf32>
  return
}

// -----

func.func @f(%l: tensor<?x3xf32>) {
  // expected-error @+1 {{unknown tie rule 'random'}}
  %i, %w = mod.topk %l {num_targets = 3 : i64, k = 1 : i64, normalize = true, capacity = 0.0 : f64, tie = "random"} : tensor<?x3xf32> -> tensor<?x1xi64>, tensor<?x1xf32>
  return
}

// -----

func.func @f(%l: tensor<?x3xf32>) {
  // expected-error @+1 {{has 3 columns but 4 targets}}
  %i, %w = mod.softmax_gate %l {num_targets = 4 : i64} : tensor<?x3xf32> -> tensor<?x4xi64>, tensor<?x4xf32>
  return
}

// -----

func.func @f(%l: tensor<?xi32>) {
  // expected-error @+1 {{expects a [rows, targets] float tensor}}
  %i, %w = mod.weights %l {num_targets = 4 : i64} : tensor<?xi32> -> tensor<?x4xi64>, tensor<?x4xf32>
  return
}

// -----

func.func @f(%l: tensor<?x4xf32>) {
  // expected-error @+1 {{expects ids of type tensor<?xi32> or tensor<?xi64>}}
  %i, %w = mod.hash %l {num_targets = 4 : i64} : tensor<?x4xf32> -> tensor<?x1xi64>, tensor<?x1xf32>
  return
}

// -----

func.func @f(%l: tensor<?xi32>) {
  // expected-error @+1 {{needs at least one target, got 0}}
  %i, %w = mod.task %l {num_targets = 0 : i64, entry = "f", arg = "l"} : tensor<?xi32> -> tensor<?x1xi64>, tensor<?x1xf32>
  return
}

// -----

func.func @f(%l: tensor<?xi32>) {
  // expected-error @+1 {{yields 2 slots per row, expected 1}}
  %i, %w = mod.task %l {num_targets = 3 : i64, entry = "f", arg = "l"} : tensor<?xi32> -> tensor<?x2xi64>, tensor<?x2xf32>
  return
}

// -----

func.func @f(%l: tensor<5x3xf32>) {
  // expected-error @+1 {{decides 4 rows for an input of 5}}
  %i, %w = mod.expert_choice %l {num_targets = 3 : i64, capacity = 1.0 : f64} : tensor<5x3xf32> -> tensor<4x3xi64>, tensor<4x3xf32>
  return
}

// -----

func.func @f(%l: tensor<?x3xf32>) {
  // expected-error @+1 {{differ in shape}}
  %i, %w = mod.softmax_gate %l {num_targets = 3 : i64} : tensor<?x3xf32> -> tensor<?x3xi64>, tensor<4x3xf32>
  return
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "M"}
func.func private @N(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "N"}
func.func @f(%x: tensor<?x4xf32>, %i: tensor<?x1xi64>, %w: tensor<?x1xf32>, %p: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'merge' needs targets that are instances of one module}}
  %y = mod.dispatch %x, %i, %w params(%p, %p) {targets = [@M, @N], instances = ["a", "b"], param_segments = array<i64: 1, 1>, aggregation = #mod<aggregation merge>, level = 1 : i64}
      : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// The fused strategy (one grouped computation) needs one module as well.
func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "M"}
func.func private @N(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "N"}
func.func @f(%x: tensor<?x4xf32>, %i: tensor<?x1xi64>, %w: tensor<?x1xf32>, %p: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{the 'fused' strategy needs targets that are instances of one module}}
  %y = mod.dispatch %x, %i, %w params(%p, %p) {targets = [@M, @N], instances = ["a", "b"], param_segments = array<i64: 1, 1>, aggregation = #mod<aggregation weighted_sum>, level = 1 : i64, strategy = #mod<strategy fused>}
      : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<?x4xf32>, %i: tensor<?x1xi64>, %w: tensor<?x1xf32>, %p: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'concat' is only for globally routed targets (mod.aggregate)}}
  %y = mod.dispatch %x, %i, %w params(%p) {targets = [@M], instances = ["a"], param_segments = array<i64: 1>, aggregation = #mod<aggregation concat>, level = 1 : i64}
      : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<?x4xf32>, %i: tensor<?x1xi64>, %w: tensor<?x1xf32>, %p: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{parameter segments add up to 2 but 1 parameters are passed}}
  %y = mod.dispatch %x, %i, %w params(%p) {targets = [@M], instances = ["a"], param_segments = array<i64: 2>, aggregation = #mod<aggregation sum>, level = 1 : i64}
      : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<?x4xf32>, %i: tensor<?x1xi64>, %w: tensor<?x1xf32>, %p: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{has 1 targets but 2 instance names and 1 parameter segments}}
  %y = mod.dispatch %x, %i, %w params(%p) {targets = [@M], instances = ["a", "b"], param_segments = array<i64: 1>, aggregation = #mod<aggregation sum>, level = 1 : i64}
      : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<?x4xf32>, %i: tensor<?x1xi64>, %w: tensor<?x1xf32>, %p: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{level must be at least 1}}
  %y = mod.dispatch %x, %i, %w params(%p) {targets = [@M], instances = ["a"], param_segments = array<i64: 1>, aggregation = #mod<aggregation sum>, level = 0 : i64}
      : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<5x4xf32>, %i: tensor<3x1xi64>, %w: tensor<3x1xf32>, %p: tensor<4xf32>) -> tensor<5x4xf32> {
  // expected-error @+1 {{input, decision and result must have the same number of rows}}
  %y = mod.dispatch %x, %i, %w params(%p) {targets = [@M], instances = ["a"], param_segments = array<i64: 1>, aggregation = #mod<aggregation sum>, level = 1 : i64}
      : (tensor<5x4xf32>, tensor<3x1xi64>, tensor<3x1xf32>, tensor<4xf32>) -> tensor<5x4xf32>
  return %y : tensor<5x4xf32>
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x?xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<?x4xf32>, %i: tensor<?x1xi64>, %w: tensor<?x1xf32>, %p: tensor<4xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{result has 1 dynamic dims after the rows but 0 sizes are given}}
  %y = mod.dispatch %x, %i, %w params(%p) {targets = [@M], instances = ["a"], param_segments = array<i64: 1>, aggregation = #mod<aggregation sum>, level = 1 : i64}
      : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

func.func private @plain(%w: tensor<4xf32>, %x: tensor<?x4xf32>) -> tensor<?x4xf32>
func.func @f(%x: tensor<?x4xf32>, %i: tensor<?x1xi64>, %w: tensor<?x1xf32>, %p: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{target 'plain' is not a module function}}
  %y = mod.dispatch %x, %i, %w params(%p) {targets = [@plain], instances = ["a"], param_segments = array<i64: 1>, aggregation = #mod<aggregation sum>, level = 1 : i64}
      : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<?x4xf32>, %i: tensor<?x1xi64>, %w: tensor<?x1xf32>, %p: tensor<8xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{parameters of target 0 do not match 'M'}}
  %y = mod.dispatch %x, %i, %w params(%p) {targets = [@M], instances = ["a"], param_segments = array<i64: 1>, aggregation = #mod<aggregation sum>, level = 1 : i64}
      : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<8xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<?x5xf32>, %i: tensor<?x1xi64>, %w: tensor<?x1xf32>, %p: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{do not fit the input}}
  %y = mod.dispatch %x, %i, %w params(%p) {targets = [@M], instances = ["a"], param_segments = array<i64: 1>, aggregation = #mod<aggregation sum>, level = 1 : i64}
      : (tensor<?x5xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<?x4xf32>, %i: tensor<?x1xi64>, %w: tensor<?x1xf32>, %p: tensor<4xf32>) -> tensor<?x6xf32> {
  // expected-error @+1 {{does not fit the result}}
  %y = mod.dispatch %x, %i, %w params(%p) {targets = [@M], instances = ["a"], param_segments = array<i64: 1>, aggregation = #mod<aggregation sum>, level = 1 : i64}
      : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4xf32>) -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// -----

func.func @f(%a: tensor<?x4xf32>) {
  // expected-error @+1 {{'weighted_sum' needs routing weights (mod.dispatch)}}
  %0 = mod.aggregate weighted_sum %a : tensor<?x4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%a: tensor<?x4xf32>) {
  // expected-error @+2 {{expected ::mlir::mod::Aggregation to be one of: weighted_sum, sum, mean, max, concat, merge, stack}}
  // expected-error @+1 {{failed to parse Mod_AggregationAttr parameter}}
  %0 = mod.aggregate median %a : tensor<?x4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%a: tensor<?x4xf32>, %b: tensor<?x5xf32>) {
  // expected-error @+1 {{operands must have one type}}
  %0 = mod.aggregate sum %a, %b : tensor<?x4xf32>, tensor<?x5xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%a: tensor<?x4xf32>) {
  // expected-error @+1 {{result type 'tensor<?x4xf32>' does not match concat of 2}}
  %0 = mod.aggregate concat %a, %a : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%a: tensor<?x4xf32>) {
  // expected-error @+1 {{does not match stack of 2}}
  %0 = mod.aggregate stack %a, %a : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4x2xf32>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{needs at least one operand}}
  %0 = "mod.aggregate"() {kind = #mod<aggregation sum>} : () -> tensor<4xf32>
  return
}

// -----

// The decision chooses among exactly the dispatch's targets.
func.func private @M(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.module = "M"}
func.func @f(%x: tensor<?x4xf32>, %ids: tensor<?xi64>, %p: tensor<4xf32>) -> tensor<?x4xf32> {
  %i, %w = mod.hash %ids {num_targets = 3 : i64} : tensor<?xi64> -> tensor<?x1xi64>, tensor<?x1xf32>
  // expected-error @+1 {{routes to 2 targets, but its decision chooses among 3}}
  %y = mod.dispatch %x, %i, %w params(%p, %p) {targets = [@M, @M], instances = ["a", "b"], param_segments = array<i64: 1, 1>, aggregation = #mod<aggregation sum>, level = 1 : i64}
      : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
