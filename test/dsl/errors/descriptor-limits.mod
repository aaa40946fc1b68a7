// What the library's description holds (runtime/Descriptor.cpp): declared
// tensor types of rank <= 32, dims of at most 64 dyns. Beyond, the library
// compiled but could not be created.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dyn D0;
dyn D1;
dyn D2;
dyn D3;
dyn D4;
dyn D5;
dyn D6;
dyn D7;
dyn D8;
dyn D9;
dyn D10;
dyn D11;
dyn D12;
dyn D13;
dyn D14;
dyn D15;
dyn D16;
dyn D17;
dyn D18;
dyn D19;
dyn D20;
dyn D21;
dyn D22;
dyn D23;
dyn D24;
dyn D25;
dyn D26;
dyn D27;
dyn D28;
dyn D29;
dyn D30;
dyn D31;
dyn D32;
dyn D33;
dyn D34;
dyn D35;
dyn D36;
dyn D37;
dyn D38;
dyn D39;
dyn D40;
dyn D41;
dyn D42;
dyn D43;
dyn D44;
dyn D45;
dyn D46;
dyn D47;
dyn D48;
dyn D49;
dyn D50;
dyn D51;
dyn D52;
dyn D53;
dyn D54;
dyn D55;
dyn D56;
dyn D57;
dyn D58;
dyn D59;
dyn D60;
dyn D61;
dyn D62;
dyn D63;
dyn D64;
param p: f32[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
entry f(x: f32[N, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]) -> f32[N] { return reshape(x, [N]); }
entry g(x: f32[D0 + D1 + D2 + D3 + D4 + D5 + D6 + D7 + D8 + D9 + D10 + D11 + D12 + D13 + D14 + D15 + D16 + D17 + D18 + D19 + D20 + D21 + D22 + D23 + D24 + D25 + D26 + D27 + D28 + D29 + D30 + D31 + D32 + D33 + D34 + D35 + D36 + D37 + D38 + D39 + D40 + D41 + D42 + D43 + D44 + D45 + D46 + D47 + D48 + D49 + D50 + D51 + D52 + D53 + D54 + D55 + D56 + D57 + D58 + D59 + D60 + D61 + D62 + D63 + D64]) -> f32[D0 + D1 + D2 + D3 + D4 + D5 + D6 + D7 + D8 + D9 + D10 + D11 + D12 + D13 + D14 + D15 + D16 + D17 + D18 + D19 + D20 + D21 + D22 + D23 + D24 + D25 + D26 + D27 + D28 + D29 + D30 + D31 + D32 + D33 + D34 + D35 + D36 + D37 + D38 + D39 + D40 + D41 + D42 + D43 + D44 + D45 + D46 + D47 + D48 + D49 + D50 + D51 + D52 + D53 + D54 + D55 + D56 + D57 + D58 + D59 + D60 + D61 + D62 + D63 + D64] { return x; }
// CHECK: [[FILE]]:72:10: error: a tensor type has rank at most 32, got 33
// CHECK: [[FILE]]:73:12: error: a tensor type has rank at most 32, got 33
// CHECK: [[FILE]]:74:388: error: a dimension may combine at most 64 dyns, got 65
// CHECK: [[FILE]]:74:775: error: a dimension may combine at most 64 dyns, got 65
