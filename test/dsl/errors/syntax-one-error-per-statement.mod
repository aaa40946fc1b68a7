// After a syntax error the parser resynchronises at the next ';' or '}':
// the error is reported once, not echoed by every token that follows, and a
// later independent syntax error is reported too.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = (4 + ;
dim E = 4 4 4 4;
dim F = 5;
// CHECK:      [[FILE]]:6:14: error: syntax error at ';': mismatched input ';' expecting {'route', 'true', 'false', 'f32', 'f16', 'bf16', 'i32', 'i64', 'bool', '(', '[', '-', FLOAT, INT, IDENT}
// CHECK-NEXT: dim D = (4 + ;
// CHECK-NEXT:              ^
// CHECK:      [[FILE]]:7:11: error: syntax error at '4': mismatched input '4' expecting ';'
// CHECK-NEXT: dim E = 4 4 4 4;
// CHECK-NEXT:           ^
