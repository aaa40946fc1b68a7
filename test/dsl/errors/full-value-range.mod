// full's value must fit its dtype (as torch.full): no wrapped integer, no
// infinity from a finite literal.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[2] {
  let a = full([2], 2147483648, dtype = i32);
  let b = full([2], -2147483649, dtype = i32);
  let c = full([2], 65520.0, dtype = f16);
  let d = full([2], 1e39);
  let e = full([2], -3.4e38, dtype = bf16);
  let ok = full([2], 65519.0, dtype = f16) + cast(full([2], -2147483648, dtype = i32), f16);
  return cast(ok, f32);
}
// CHECK: [[FILE]]:7:21: error: 'full': the value 2147483648 does not fit i32
// CHECK: [[FILE]]:8:21: error: 'full': the value -2147483649 does not fit i32
// CHECK: [[FILE]]:9:21: error: 'full': the value 65520 does not fit f16
// CHECK: [[FILE]]:10:21: error: 'full': the value 1e+39 does not fit f32
// CHECK: [[FILE]]:11:21: error: 'full': the value -3.4e+38 does not fit bf16
