// A literal with more digits than any 64-bit integer is rejected the same
// way, not wrapped around.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 123456789012345678901234567890;
// CHECK:      [[FILE]]:5:9: error: integer literal 123456789012345678901234567890 does not fit in 2^62
// CHECK-NEXT: dim D = 123456789012345678901234567890;
// CHECK-NEXT:         ^
