// Every file starts with `model NAME;` (LANGUAGE.md §2).
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
dim D = 4;
// CHECK:      [[FILE]]:1:1: error: the file must start with 'model NAME;'
// CHECK-NEXT: // Every file starts with `model NAME;` (LANGUAGE.md §2).
// CHECK-NEXT: ^
