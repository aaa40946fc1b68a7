// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s
model m;
dim D = 4 +;
dim E = 3 $ 4;
// CHECK: [[FILE]]:3:12: error: syntax error at ';'
// CHECK: [[FILE]]:4:11: error: unexpected character '$'
