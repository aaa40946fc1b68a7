// Routes whose targets are instances of one groupable module are marked
// `fused` (merge over one: `factored`); mixed modules, bodies without a
// parameter matmul and bodies that mix rows are not (the last two say why).
// RUN: mod-opt %s --mod-fuse-routed-experts | FileCheck %s
// RUN: mod-opt %s --mod-fuse-routed-experts --mod-lower-routing | FileCheck %s --check-prefix=LOWER

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#first = affine_map<(d0, d1) -> (0, d1)>

// relu(x @ w + b)
func.func private @Lin(%w: tensor<8x8xf32> {mod.param = "w"}, %b: tensor<8xf32> {mod.param = "b"}, %x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {mod.module = "Lin"} {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e0 = tensor.empty(%n) : tensor<?x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e0 : tensor<?x8xf32>) -> tensor<?x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x8xf32>, tensor<8x8xf32>) outs(%f : tensor<?x8xf32>) -> tensor<?x8xf32>
  %e1 = tensor.empty(%n) : tensor<?x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<?x8xf32>, tensor<8xf32>) outs(%e1 : tensor<?x8xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// x * s: no matmul to group.
func.func private @Scale(%s: tensor<8xf32> {mod.param = "s"}, %x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {mod.module = "Scale"} {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %s : tensor<?x8xf32>, tensor<8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%in: f32, %p: f32, %out: f32):
    %m = arith.mulf %in, %p : f32
    linalg.yield %m : f32
  } -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// (x @ w) plus its first row: mixes rows.
func.func private @Mix(%w: tensor<8x8xf32> {mod.param = "w"}, %x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {mod.module = "Mix"} {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e0 = tensor.empty(%n) : tensor<?x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e0 : tensor<?x8xf32>) -> tensor<?x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x8xf32>, tensor<8x8xf32>) outs(%f : tensor<?x8xf32>) -> tensor<?x8xf32>
  %e1 = tensor.empty(%n) : tensor<?x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #first, #id], iterator_types = ["parallel", "parallel"]} ins(%mm, %mm : tensor<?x8xf32>, tensor<?x8xf32>) outs(%e1 : tensor<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @experts
// CHECK:         mod.dispatch {{.*}}fused
// LOWER-LABEL: func.func @experts
// LOWER:         %[[PLAN:.*]]:3 = mod.route.plan %arg1
// The gather of the rows is fused into the grouped GEMM: x itself and the
// plan's row list go in, no packed copy of x comes out.
// LOWER-NOT:     linalg.generic
// LOWER:         mod.grouped_matmul %arg0 gather %[[PLAN]]#1 counts %[[PLAN]]#0 weights(%arg3, %arg5, %arg7)
// LOWER:         mod.route.group_ids %[[PLAN]]#0
// LOWER-NOT:     mod.apply
// LOWER:         mod.route.scatter weighted {{.*}}, %[[PLAN]]#1, %[[PLAN]]#2, %arg2,
// LOWER-NOT:     mod.route.scatter
// LOWER:         return
func.func @experts(%x: tensor<?x8xf32>, %i: tensor<?x2xi64>, %g: tensor<?x2xf32>, %w0: tensor<8x8xf32>, %b0: tensor<8xf32>, %w1: tensor<8x8xf32>, %b1: tensor<8xf32>, %w2: tensor<8x8xf32>, %b2: tensor<8xf32>) -> tensor<?x8xf32> {
  %y = mod.dispatch %x, %i, %g params(%w0, %b0, %w1, %b1, %w2, %b2) {aggregation = #mod<aggregation weighted_sum>, instances = ["e.0", "e.1", "e.2"], level = 1 : i64, param_segments = array<i64: 2, 2, 2>, targets = [@Lin, @Lin, @Lin]} : (tensor<?x8xf32>, tensor<?x2xi64>, tensor<?x2xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// merge over a groupable body: exact factoring, h @ (w0 P0 + w1 P1) as
// w0 (h @ P0) + w1 (h @ P1) on all rows, no per-row loop.
// CHECK-LABEL: func.func @merged
// CHECK:         mod.dispatch {{.*}}factored
// LOWER-LABEL: func.func @merged
// LOWER:         mod.route.dense %arg1, %arg2
// LOWER-NOT:     scf.for
// LOWER-COUNT-2: linalg.matmul
// LOWER-NOT:     mod.grouped_matmul
// LOWER:         return
func.func @merged(%x: tensor<?x8xf32>, %i: tensor<?x2xi64>, %g: tensor<?x2xf32>, %w0: tensor<8x8xf32>, %b0: tensor<8xf32>, %w1: tensor<8x8xf32>, %b1: tensor<8xf32>) -> tensor<?x8xf32> {
  %y = mod.dispatch %x, %i, %g params(%w0, %b0, %w1, %b1) {aggregation = #mod<aggregation merge>, instances = ["e.0", "e.1"], level = 1 : i64, param_segments = array<i64: 2, 2>, targets = [@Lin, @Lin]} : (tensor<?x8xf32>, tensor<?x2xi64>, tensor<?x2xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// Two different modules: not a candidate, no attribute.
// CHECK-LABEL: func.func @mixed_modules
// CHECK:         mod.dispatch
// CHECK-NOT:     fused
// CHECK:         return
func.func @mixed_modules(%x: tensor<?x8xf32>, %i: tensor<?x1xi64>, %g: tensor<?x1xf32>, %w0: tensor<8x8xf32>, %b0: tensor<8xf32>, %s1: tensor<8xf32>) -> tensor<?x8xf32> {
  %y = mod.dispatch %x, %i, %g params(%w0, %b0, %s1) {aggregation = #mod<aggregation weighted_sum>, instances = ["a", "s"], level = 1 : i64, param_segments = array<i64: 2, 1>, targets = [@Lin, @Scale]} : (tensor<?x8xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @no_matmul
// CHECK:         mod.dispatch {{.*}}unfused = "no matmul with a parameter to group"
func.func @no_matmul(%x: tensor<?x8xf32>, %i: tensor<?x1xi64>, %g: tensor<?x1xf32>, %s0: tensor<8xf32>, %s1: tensor<8xf32>) -> tensor<?x8xf32> {
  %y = mod.dispatch %x, %i, %g params(%s0, %s1) {aggregation = #mod<aggregation weighted_sum>, instances = ["s.0", "s.1"], level = 1 : i64, param_segments = array<i64: 1, 1>, targets = [@Scale, @Scale]} : (tensor<?x8xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @mixes_rows
// CHECK:         mod.dispatch {{.*}}unfused = "a linalg.generic input that mixes rows"
func.func @mixes_rows(%x: tensor<?x8xf32>, %i: tensor<?x1xi64>, %g: tensor<?x1xf32>, %w0: tensor<8x8xf32>, %w1: tensor<8x8xf32>) -> tensor<?x8xf32> {
  %y = mod.dispatch %x, %i, %g params(%w0, %w1) {aggregation = #mod<aggregation weighted_sum>, instances = ["m.0", "m.1"], level = 1 : i64, param_segments = array<i64: 1, 1>, targets = [@Mix, @Mix]} : (tensor<?x8xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// With min-targets=4 the three-target route above stays unfused.
// RUN: mod-opt %s --mod-fuse-routed-experts=min-targets=4 | FileCheck %s --check-prefix=MIN
// MIN-LABEL: func.func @experts
// MIN-NOT:     fused
// MIN:         return

// bf16 weights widened to f32 (the importer's rule for half operands): the
// grouped GEMMs take the bf16 weights themselves and nothing is widened.
func.func private @HalfLin(%w: tensor<8x8xbf16> {mod.param = "w"}, %x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {mod.module = "HalfLin"} {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %ew = tensor.empty() : tensor<8x8xf32>
  %wf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<8x8xbf16>) outs(%ew : tensor<8x8xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %e = arith.extf %in : bf16 to f32
    linalg.yield %e : f32
  } -> tensor<8x8xf32>
  %e0 = tensor.empty(%n) : tensor<?x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e0 : tensor<?x8xf32>) -> tensor<?x8xf32>
  %mm = linalg.matmul ins(%x, %wf : tensor<?x8xf32>, tensor<8x8xf32>) outs(%f : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %mm : tensor<?x8xf32>
}

// The same weight also added elementwise: not grouped.
func.func private @HalfAdd(%w: tensor<8x8xbf16> {mod.param = "w"}, %x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {mod.module = "HalfAdd"} {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %ew = tensor.empty() : tensor<8x8xf32>
  %wf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<8x8xbf16>) outs(%ew : tensor<8x8xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %e = arith.extf %in : bf16 to f32
    linalg.yield %e : f32
  } -> tensor<8x8xf32>
  %e0 = tensor.empty(%n) : tensor<?x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e0 : tensor<?x8xf32>) -> tensor<?x8xf32>
  %mm = linalg.matmul ins(%x, %wf : tensor<?x8xf32>, tensor<8x8xf32>) outs(%f : tensor<?x8xf32>) -> tensor<?x8xf32>
  %e1 = tensor.empty(%n) : tensor<?x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #first, #id], iterator_types = ["parallel", "parallel"]} ins(%mm, %wf : tensor<?x8xf32>, tensor<8x8xf32>) outs(%e1 : tensor<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @half_experts
// CHECK:         mod.dispatch {{.*}}fused
// LOWER-LABEL: func.func @half_experts
// LOWER-NOT:     arith.extf
// LOWER:         mod.grouped_matmul_scatter weighted {{.*}} weights(%arg3, %arg4) {{.*}} tensor<8x8xbf16>, tensor<8x8xbf16>
// LOWER-NOT:     arith.extf
// LOWER:         return
func.func @half_experts(%x: tensor<?x8xf32>, %i: tensor<?x1xi64>, %g: tensor<?x1xf32>, %w0: tensor<8x8xbf16>, %w1: tensor<8x8xbf16>) -> tensor<?x8xf32> {
  %y = mod.dispatch %x, %i, %g params(%w0, %w1) {aggregation = #mod<aggregation weighted_sum>, instances = ["h.0", "h.1"], level = 1 : i64, param_segments = array<i64: 1, 1>, targets = [@HalfLin, @HalfLin]} : (tensor<?x8xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<8x8xbf16>, tensor<8x8xbf16>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @half_elementwise
// CHECK:         mod.dispatch {{.*}}unfused = "a half-precision parameter used other than as a matmul's right operand"
func.func @half_elementwise(%x: tensor<?x8xf32>, %i: tensor<?x1xi64>, %g: tensor<?x1xf32>, %w0: tensor<8x8xbf16>, %w1: tensor<8x8xbf16>) -> tensor<?x8xf32> {
  %y = mod.dispatch %x, %i, %g params(%w0, %w1) {aggregation = #mod<aggregation weighted_sum>, instances = ["h.0", "h.1"], level = 1 : i64, param_segments = array<i64: 1, 1>, targets = [@HalfAdd, @HalfAdd]} : (tensor<?x8xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<8x8xbf16>, tensor<8x8xbf16>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
