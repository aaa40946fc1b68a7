// A bool argument under --specialize (test/e2e/specialize.test).
model b;
dyn N;
entry bl(x: f32[N], m: bool[N]) -> f32[N] { return where(m, x, 0.0); }
