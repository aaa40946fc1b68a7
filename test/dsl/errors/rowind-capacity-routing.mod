// Inside a module, expert_choice and topk with a capacity over the module's
// rows make the rows compete for targets: a row's result depends on the
// others. Without a capacity, topk is per row and fine.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N, 4]) -> f32[N, 4] { return x; }
module Moe(x: f32[N, 4]) -> f32[N, 4] {
  param wg: f32[4, 2];
  experts: Id[2];
  let ok = route x to experts by topk(x @ wg, 1);
  let a = route x to experts by topk(x @ wg, 1, capacity = 1.0);
  return route x to experts by expert_choice(x @ wg, 1.0);
}
// CHECK:      [[FILE]]:12:33: error: 'topk' with a capacity makes the rows compete for targets: module Moe must be row-independent along its leading dyn 'N'
// CHECK-NEXT:   let a = route x to experts by topk(x @ wg, 1, capacity = 1.0);
// CHECK-NEXT:                                 ^
// CHECK:      [[FILE]]:13:32: error: 'expert_choice' makes the rows compete for targets: module Moe must be row-independent along its leading dyn 'N'
// CHECK-NEXT:   return route x to experts by expert_choice(x @ wg, 1.0);
// CHECK-NEXT:                                ^
