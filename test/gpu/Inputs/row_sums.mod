// One kernel launch per row on the host (test/gpu/no-driver.test).
model rs;
dim D = 4;
dyn N;
entry rows(x: f32[N, D]) -> f32[D] { return sum(x, 0); }
