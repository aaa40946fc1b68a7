// Every router and every aggregation imports to its mod op, located at the
// `route` keyword.
// RUN: modc %s --emit=mod --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s
model routes;
dim D = 8;
dim E = 3;
dyn N;
dyn B;
dyn T;

module Lin<I>(x: f32[N, I]) -> f32[N, I] {
  param w: f32[I, I] = xavier;
  return relu(x @ w);
}
module Seq<I>(x: f32[B, T, I]) -> f32[B, T, I] {
  param w: f32[I, I] = xavier;
  return x @ w;
}
module Fuse<I, K>(x: f32[N, I], outs: f32[N, K, I]) -> f32[N, I] {
  param q: f32[I] = ones;
  return sum(outs, axis = 1) * q + x;
}

experts: Lin<D>[E];
seqs: Seq<D>[E];
a: Lin<D>;
b: Lin<D>;
fuse: Fuse<D, 2>;

entry tok(x: f32[N, D], g: f32[N, E], ids: i32[N], ids64: i64[N]) -> f32[N, D] {
  let y0 = route x to experts by topk(g, 2, normalize = false, capacity = 1.5);
  let y1 = route x to experts by softmax(g) combine mean;
  let y2 = route x to experts by expert_choice(g, 1.0) combine max;
  let y3 = route x to experts by task(ids) combine sum;
  let y4 = route x to experts by hash(ids64);
  let y5 = route x to experts by weights(g) combine merge;
  let y6 = route x to [a, b] by fixed(1, 0) combine concat;
  let y7 = route x to [a, b] by all combine fuse;
  let y8 = route x to experts by all;
  let y9 = route x to experts by fixed(2) combine merge;
  let z = y0 + y1 + y2 + y3 + y4 + y5 + y7 + y8 + y9;
  return z + sum(reshape(y6, [N, 2, D]), axis = 1);
}

entry seq(x: f32[B, T, D], g: f32[B, E], gt: f32[B, T, E]) -> f32[B, T, D] {
  let per_example = route x to seqs by topk(g, 1);
  return per_example + route x to experts by softmax(gt);
}


// CHECK-LABEL: func.func @tok(
// CHECK: mod.topk %arg1 {capacity = 1.500000e+00 : f64, k = 2 : i64, normalize = false, num_targets = 3 : i64} : tensor<?x3xf32> -> tensor<?x2xi64>, tensor<?x2xf32> loc("{{.*}}import-routes.mod":31:12)
// CHECK: mod.dispatch %arg0, {{.*}} {aggregation = #mod<aggregation weighted_sum>, instances = ["experts.0", "experts.1", "experts.2"], level = 1 : i64, param_segments = array<i64: 1, 1, 1>, targets = [@Lin_8, @Lin_8, @Lin_8]} {{.*}} loc("{{.*}}import-routes.mod":31:12)
// CHECK: mod.softmax_gate %arg1 {num_targets = 3 : i64} {{.*}} loc("{{.*}}import-routes.mod":32:12)
// CHECK: mod.dispatch {{.*}}aggregation = #mod<aggregation mean>{{.*}} loc("{{.*}}import-routes.mod":32:12)
// CHECK: mod.expert_choice %arg1 {capacity = 1.000000e+00 : f64, num_targets = 3 : i64} {{.*}} loc("{{.*}}import-routes.mod":33:12)
// CHECK: mod.dispatch {{.*}}aggregation = #mod<aggregation max>
// CHECK: mod.task %arg2 {arg = "ids", entry = "tok", num_targets = 3 : i64} : tensor<?xi32> -> tensor<?x1xi64>, tensor<?x1xf32> loc("{{.*}}import-routes.mod":34:12)
// CHECK: mod.dispatch {{.*}}aggregation = #mod<aggregation sum>
// CHECK: mod.hash %arg3 {num_targets = 3 : i64} : tensor<?xi64> {{.*}} loc("{{.*}}import-routes.mod":35:12)
// CHECK: mod.dispatch {{.*}}aggregation = #mod<aggregation weighted_sum>
// CHECK: mod.weights {{.*}} loc("{{.*}}import-routes.mod":36:12)
// CHECK: mod.dispatch {{.*}}aggregation = #mod<aggregation merge>
// fixed(1, 0) applies b then a, concatenated in the listed order.
// CHECK: %[[B:.*]] = mod.apply @Lin_8({{.*}}) {instance = "b", num_params = 1 : i64}
// CHECK: %[[A:.*]] = mod.apply @Lin_8({{.*}}) {instance = "a", num_params = 1 : i64}
// CHECK: mod.aggregate concat %[[B]], %[[A]] : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x16xf32> loc("{{.*}}import-routes.mod":37:12)
// Custom aggregation: the outputs stacked before the last axis, then fuse(x, outs).
// CHECK: %[[OUTS:.*]] = mod.aggregate stack {{.*}} -> tensor<?x2x8xf32> loc("{{.*}}import-routes.mod":38:12)
// CHECK: mod.apply @Fuse_8_2(%{{.*}}, %arg0, %[[OUTS]]) {instance = "fuse", num_params = 1 : i64}
// `all` with the default `sum`:
// CHECK: mod.aggregate sum {{.*}} -> tensor<?x8xf32>
// fixed(2) combine merge: one application with the summed parameters.
// CHECK: mod.apply @Lin_8({{.*}}) {instance = "merge", num_params = 1 : i64}

// Per-example routing of [B, T, D] (logits [B, E]): rows are examples.
// CHECK-LABEL: func.func @seq(
// CHECK: mod.topk %arg1 {capacity = 0.000000e+00 : f64, k = 1 : i64, normalize = true, num_targets = 3 : i64} : tensor<?x3xf32> -> tensor<?x1xi64>, tensor<?x1xf32>
// CHECK: mod.dispatch %arg0, {{.*}} dims(%{{.*}}) {aggregation = #mod<aggregation weighted_sum>, {{.*}}level = 1 : i64{{.*}}targets = [@Seq_8, @Seq_8, @Seq_8]} : (tensor<?x?x8xf32>
// Per-token routing of [B, T, D] (logits [B, T, E]): B*T rows.
// CHECK: tensor.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : tensor<?x?x8xf32> into tensor<?x8xf32>
// CHECK: mod.softmax_gate
// CHECK: mod.dispatch {{.*}}level = 2 : i64
// CHECK: tensor.reshape
