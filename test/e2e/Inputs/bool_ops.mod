// bool reductions and extrema (false < true): max is any, min is all,
// maximum/minimum are or/and, argmax finds the first true.
model bool_ops;
dyn N;
entry anyp(x: f32[N, 3]) -> bool[N] { return max(x > 0.0, 1); }
entry allp(x: f32[N, 3]) -> bool[N] { return min(x > 0.0, 1); }
entry orr(a: f32[N], b: f32[N]) -> bool[N] { return maximum(a > 0.0, b > 0.0); }
entry andd(a: f32[N], b: f32[N]) -> bool[N] { return minimum(a > 0.0, b > 0.0); }
entry am(x: f32[N, 3]) -> i64[N] { return argmax(x > 0.0, 1); }
entry cmp(a: f32[N], b: f32[N]) -> bool[N] { return (a > 0.0) < (b > 0.0); }
entry cl(a: f32[N], b: f32[N]) -> bool[N] { return clamp(a > 0.0, b > 0.0, b > 0.0); }
