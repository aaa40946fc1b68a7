// Reshapes over two dyns (the counts agree as polynomials in B and T).
model reshape_dyns;
dyn B;
dyn T;
entry f(x: f32[B, T, 2]) -> f32[B, 2 * T] { return reshape(x, [B, 2 * T]) * 2.0; }
entry g(x: f32[B, T, 6]) -> f32[3, 2 * B, T] { return reshape(x, [3, 2 * B, T]); }
