// A cycle A -> B -> A went unnoticed (the memo of A was found before the
// cycle check) and flattening the parameters recursed for ever.
model m;
dyn N;
module A(x: f32[N, 4]) -> f32[N, 4] {
  param w: f32[4, 4];
  b: B;
  return b(x @ w);
}
module B(x: f32[N, 4]) -> f32[N, 4] {
  a: A;
  return a(x);
}
top: A;
entry f(x: f32[N, 4]) -> f32[N, 4] { return top(x); }
