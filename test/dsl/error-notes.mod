// A redefinition points at the first definition with a note; every error of
// the file is reported, in source order.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s
model m;
dim D = 4;
dim D = 5;
dim Q = 7 / 2;
dim Big = 4611686018427387904 * 2;
// CHECK:      [[FILE]]:6:5: error: redefinition of 'D'
// CHECK:      [[FILE]]:5:5: note: previous definition is here
// CHECK:      [[FILE]]:7:11: error: '7 / 2' is not an exact integer division
// CHECK:      [[FILE]]:8:31: error: integer overflow
