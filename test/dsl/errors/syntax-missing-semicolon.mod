// A declaration without its ';' is a syntax error at the next token.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4
dim E = 5;
// CHECK:      [[FILE]]:5:1: error: syntax error at 'dim': missing ';' at 'dim'
// CHECK-NEXT: dim E = 5;
// CHECK-NEXT: ^
