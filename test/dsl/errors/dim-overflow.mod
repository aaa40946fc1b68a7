// Every dim must fit in 2^62: arithmetic past it is an overflow error at
// the operator that overflows.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim Half = 2305843009213693952;
dim Max = Half * 2;
dim Over = Max + 1;
dim Mul = Half * 4;
// CHECK:      [[FILE]]:7:16: error: integer overflow: the result does not fit in 2^62
// CHECK-NEXT: dim Over = Max + 1;
// CHECK-NEXT:                ^
// CHECK:      [[FILE]]:8:16: error: integer overflow: the result does not fit in 2^62
// CHECK-NEXT: dim Mul = Half * 4;
// CHECK-NEXT:                ^
