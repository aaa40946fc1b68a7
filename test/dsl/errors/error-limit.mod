// More than 50 errors: the first 50 are reported in order, then one note
// says the rest were not (LANGUAGE.md §9: "up to a limit").
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s
model m;
dim D0 = 0 / 0;
dim D1 = 1 / 0;
dim D2 = 2 / 0;
dim D3 = 3 / 0;
dim D4 = 4 / 0;
dim D5 = 5 / 0;
dim D6 = 6 / 0;
dim D7 = 7 / 0;
dim D8 = 8 / 0;
dim D9 = 9 / 0;
dim D10 = 10 / 0;
dim D11 = 11 / 0;
dim D12 = 12 / 0;
dim D13 = 13 / 0;
dim D14 = 14 / 0;
dim D15 = 15 / 0;
dim D16 = 16 / 0;
dim D17 = 17 / 0;
dim D18 = 18 / 0;
dim D19 = 19 / 0;
dim D20 = 20 / 0;
dim D21 = 21 / 0;
dim D22 = 22 / 0;
dim D23 = 23 / 0;
dim D24 = 24 / 0;
dim D25 = 25 / 0;
dim D26 = 26 / 0;
dim D27 = 27 / 0;
dim D28 = 28 / 0;
dim D29 = 29 / 0;
dim D30 = 30 / 0;
dim D31 = 31 / 0;
dim D32 = 32 / 0;
dim D33 = 33 / 0;
dim D34 = 34 / 0;
dim D35 = 35 / 0;
dim D36 = 36 / 0;
dim D37 = 37 / 0;
dim D38 = 38 / 0;
dim D39 = 39 / 0;
dim D40 = 40 / 0;
dim D41 = 41 / 0;
dim D42 = 42 / 0;
dim D43 = 43 / 0;
dim D44 = 44 / 0;
dim D45 = 45 / 0;
dim D46 = 46 / 0;
dim D47 = 47 / 0;
dim D48 = 48 / 0;
dim D49 = 49 / 0;
dim D50 = 50 / 0;
dim D51 = 51 / 0;
dim D52 = 52 / 0;
dim D53 = 53 / 0;
dim D54 = 54 / 0;
dim D55 = 55 / 0;
dim D56 = 56 / 0;
dim D57 = 57 / 0;
dim D58 = 58 / 0;
dim D59 = 59 / 0;
// CHECK:      [[FILE]]:5:12: error: division by zero
// CHECK:      [[FILE]]:54:14: error: division by zero
// CHECK-NEXT: dim D49 = 49 / 0;
// CHECK-NEXT: ^
// CHECK-NEXT: [[FILE]]: note: too many errors, stopping after 50
// CHECK-NOT:  error:
