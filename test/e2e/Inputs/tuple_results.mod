// Independent results of one entry: each must land in its own buffer
// (regression: a shared tensor.empty made the last result a copy of the
// first).
model tup;
dim D = 4;
dyn N;
entry f(x: f32[N, D]) -> (f32[N, D], f32[N, D], f32[N, D], f32[N, D]) { return (x + 1.0, x + 2.0, x + 3.0, x + 4.0); }
entry g(x: f32[N, D]) -> (f32[N, D], f32[N, D]) { return (softmax(x), log_softmax(x, axis = 0)); }
entry h(x: f32[N, D]) -> (f32[N, D], f32[N, D]) { return (log_softmax(x, axis = 0), softmax(x)); }
