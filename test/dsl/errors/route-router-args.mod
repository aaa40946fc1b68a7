// Router arguments bind like builtin arguments: arity, names, duplicates,
// required ones; `all` takes none, `fixed` only indices.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

experts: Lin<D, D>[E];
param wg: f32[D, E];
entry f(x: f32[N, D]) -> f32[N, D] {
  let a = route x to experts by topk(x @ wg);
  let b = route x to experts by topk(x @ wg, 1, k = 2);
  let c = route x to experts by softmax(x @ wg, 1);
  let d = route x to experts by all(x);
  let e = route x to experts by fixed();
  let g = route x to experts by fixed(i = 1);
  let h = route x to experts by expert_choice(x @ wg, cap = 1.0);
  return x;
}
// CHECK:      [[FILE]]:16:33: error: 'topk' needs the argument 'k'
// CHECK-NEXT:   let a = route x to experts by topk(x @ wg);
// CHECK-NEXT:                                 ^
// CHECK:      [[FILE]]:17:53: error: argument 'k' of 'topk' is given twice
// CHECK-NEXT:   let b = route x to experts by topk(x @ wg, 1, k = 2);
// CHECK-NEXT:                                                     ^
// CHECK:      [[FILE]]:18:49: error: 'softmax' takes at most 1 argument
// CHECK-NEXT:   let c = route x to experts by softmax(x @ wg, 1);
// CHECK-NEXT:                                                 ^
// CHECK:      [[FILE]]:19:33: error: 'all' takes no arguments
// CHECK-NEXT:   let d = route x to experts by all(x);
// CHECK-NEXT:                                 ^
// CHECK:      [[FILE]]:20:33: error: 'fixed' needs at least one target index
// CHECK-NEXT:   let e = route x to experts by fixed();
// CHECK-NEXT:                                 ^
// CHECK:      [[FILE]]:21:39: error: 'fixed' takes only target indices
// CHECK-NEXT:   let g = route x to experts by fixed(i = 1);
// CHECK-NEXT:                                       ^
// CHECK:      [[FILE]]:22:55: error: 'expert_choice' has no argument named 'cap'
// CHECK-NEXT:   let h = route x to experts by expert_choice(x @ wg, cap = 1.0);
// CHECK-NEXT:                                                       ^
