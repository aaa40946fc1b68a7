// A matmul against a bf16 weight reads the weight in place at -O2: one call
// of the runtime's bf16-weight GEMM per product, the transposed Linear
// layout as a strided view, no widened or transposed copy of the weight.
// RUN: modc %s --emit=llvm -o - | FileCheck %s
model bw;
dim D = 64;
dyn N;
param w: bf16[D, D] = normal(0.0, 1.0);
param v: bf16[D, D] = normal(0.0, 1.0);
entry f(x: bf16[N, D]) -> bf16[N, D] { return x @ w + x @ transpose(v, [1, 0]); }
// CHECK: define internal void @modc.kernel.f(
// CHECK-NOT: define
// CHECK-COUNT-2: call void @modrt_matmul_f32_bf16(
// CHECK-NOT: call void @modrt_matmul_f32(
// CHECK: ret void
