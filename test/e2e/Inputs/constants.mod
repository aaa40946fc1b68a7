// Constants and kron (LANGUAGE.md §6, v0.2): eye and arange of dims and
// dyns, full with and without a dtype, kron of parameters and of a routed
// [N, D] value with an identity; full of bool and of i64 past 2^53 (exact),
// and an i64 literal past 2^53 in arithmetic.
model cst;
dim D = 3;
dyn N;
param a: f32[2, 3] = normal(0.0, 1.0);
param b: f32[3, 2] = normal(0.0, 1.0);
entry f(x: f32[N, D]) -> (f32[N, N], i64[N], f32[2, D], i32[N, 2], f32[6, 6], f32[N, D]) {
  return (eye(N), arange(N), full([2, D], 0.5), full([N, 2], 7, dtype = i32), kron(a, b), x @ eye(D) + kron(x, eye(1)));
}
entry g(x: i64[N]) -> (bool[2], bool[2], i64[2], i64[N]) {
  return (full([2], 2, dtype = bool), full([2], 0, dtype = bool), full([2], 4611686018427387903, dtype = i64), x + 4611686018427387901);
}
