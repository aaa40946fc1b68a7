// Values and callables are two namespaces (LANGUAGE.md §1): an argument may
// be named like a builtin or a router (`task`, `sum`), a dim like a module,
// and a template parameter shadows a file-level dim of the same name.
// RUN: modc %s --check
// RUN: modc %s --print-params | FileCheck %s
model names;
dim Lin = 6;
dim K = 100;
dyn N;

module Lin<I, K>(x: f32[N, I]) -> f32[N, K] {
  param w: f32[I, K];
  return x @ w;
}

proj: Lin<Lin, 3>;
experts: Lin<3, 3>[2];

entry forward(x: f32[N, Lin], task: i32[N], sum: f32[N, 3]) -> f32[N, 3] {
  let softmax = proj(x);
  return (route softmax to experts by task(task) combine sum) + sum;
}
// CHECK:      proj.w f32[6,3]
// CHECK-NEXT: experts.0.w f32[3,3]
