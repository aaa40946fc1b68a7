// Casts between every element type (same type included) and onehot over
// i32 and i64 ids (regression: i64 ids did not compile).
model cs;
dyn N;
entry a(x: f32[N]) -> f32[N] { return cast(x, f32); }
entry b(x: i32[N]) -> i32[N] { return cast(x, i32); }
entry c(x: i64[N]) -> i64[N] { return cast(x, i64); }
entry d(x: i64[N]) -> f32[N, 3] { return onehot(x, 3); }
entry e(x: f32[N]) -> i64[N] { return cast(x, i64); }
entry f(x: i64[N]) -> i32[N] { return cast(x, i32); }
entry g(x: i32[N]) -> f32[N, 3] { return onehot(x, 3); }
