// A character outside the language (LANGUAGE.md §1) is reported at its
// position, and checking stops after the syntax phase.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 3 $ 4;
// CHECK:      [[FILE]]:5:11: error: unexpected character '$'
// CHECK-NEXT: dim D = 3 $ 4;
// CHECK-NEXT:           ^
