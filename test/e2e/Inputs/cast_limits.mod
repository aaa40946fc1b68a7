// Float-to-int casts of NaN, infinities and values outside the integer
// type (folded constants and run-time values), and clamp with NaN bounds:
// what PyTorch gives (the minimum of the type; NaN).
model cast_limits;
dyn N;
entry folded(x: f32[N]) -> i32[N] { return cast(full([N], 3e9), i32); }
entry folded64(x: f32[N]) -> i64[N] { return cast(full([N], 1e20), i64); }
entry folded_inf(x: f32[N]) -> i32[N] { return cast(exp(full([N], 100.0)), i32); }
entry run32(x: f32[N]) -> i32[N] { return cast(x, i32); }
entry run64(x: bf16[N]) -> i64[N] { return cast(x, i64); }
entry cl(x: f32[N], lo: f32[N], hi: f32[N]) -> f32[N] { return clamp(x, lo, hi); }
entry cll(x: f32[N]) -> f32[N] { return clamp(x, -1.0, 1.0); }
