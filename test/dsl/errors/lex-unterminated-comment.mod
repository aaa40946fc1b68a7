// Block comments do not nest and must be closed: an unterminated one is an
// error at the '/*' that opens it.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
/* this comment /* does not nest and is never closed
dim E = 5;
// CHECK:      [[FILE]]:6:1: error: unterminated block comment
// CHECK-NEXT: /* this comment /* does not nest and is never closed
// CHECK-NEXT: ^
