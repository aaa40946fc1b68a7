// Modules instantiating modules more than 64 deep is an error.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module M0(x: f32[N]) -> f32[N] { inner: M1; return inner(x); }
module M1(x: f32[N]) -> f32[N] { inner: M2; return inner(x); }
module M2(x: f32[N]) -> f32[N] { inner: M3; return inner(x); }
module M3(x: f32[N]) -> f32[N] { inner: M4; return inner(x); }
module M4(x: f32[N]) -> f32[N] { inner: M5; return inner(x); }
module M5(x: f32[N]) -> f32[N] { inner: M6; return inner(x); }
module M6(x: f32[N]) -> f32[N] { inner: M7; return inner(x); }
module M7(x: f32[N]) -> f32[N] { inner: M8; return inner(x); }
module M8(x: f32[N]) -> f32[N] { inner: M9; return inner(x); }
module M9(x: f32[N]) -> f32[N] { inner: M10; return inner(x); }
module M10(x: f32[N]) -> f32[N] { inner: M11; return inner(x); }
module M11(x: f32[N]) -> f32[N] { inner: M12; return inner(x); }
module M12(x: f32[N]) -> f32[N] { inner: M13; return inner(x); }
module M13(x: f32[N]) -> f32[N] { inner: M14; return inner(x); }
module M14(x: f32[N]) -> f32[N] { inner: M15; return inner(x); }
module M15(x: f32[N]) -> f32[N] { inner: M16; return inner(x); }
module M16(x: f32[N]) -> f32[N] { inner: M17; return inner(x); }
module M17(x: f32[N]) -> f32[N] { inner: M18; return inner(x); }
module M18(x: f32[N]) -> f32[N] { inner: M19; return inner(x); }
module M19(x: f32[N]) -> f32[N] { inner: M20; return inner(x); }
module M20(x: f32[N]) -> f32[N] { inner: M21; return inner(x); }
module M21(x: f32[N]) -> f32[N] { inner: M22; return inner(x); }
module M22(x: f32[N]) -> f32[N] { inner: M23; return inner(x); }
module M23(x: f32[N]) -> f32[N] { inner: M24; return inner(x); }
module M24(x: f32[N]) -> f32[N] { inner: M25; return inner(x); }
module M25(x: f32[N]) -> f32[N] { inner: M26; return inner(x); }
module M26(x: f32[N]) -> f32[N] { inner: M27; return inner(x); }
module M27(x: f32[N]) -> f32[N] { inner: M28; return inner(x); }
module M28(x: f32[N]) -> f32[N] { inner: M29; return inner(x); }
module M29(x: f32[N]) -> f32[N] { inner: M30; return inner(x); }
module M30(x: f32[N]) -> f32[N] { inner: M31; return inner(x); }
module M31(x: f32[N]) -> f32[N] { inner: M32; return inner(x); }
module M32(x: f32[N]) -> f32[N] { inner: M33; return inner(x); }
module M33(x: f32[N]) -> f32[N] { inner: M34; return inner(x); }
module M34(x: f32[N]) -> f32[N] { inner: M35; return inner(x); }
module M35(x: f32[N]) -> f32[N] { inner: M36; return inner(x); }
module M36(x: f32[N]) -> f32[N] { inner: M37; return inner(x); }
module M37(x: f32[N]) -> f32[N] { inner: M38; return inner(x); }
module M38(x: f32[N]) -> f32[N] { inner: M39; return inner(x); }
module M39(x: f32[N]) -> f32[N] { inner: M40; return inner(x); }
module M40(x: f32[N]) -> f32[N] { inner: M41; return inner(x); }
module M41(x: f32[N]) -> f32[N] { inner: M42; return inner(x); }
module M42(x: f32[N]) -> f32[N] { inner: M43; return inner(x); }
module M43(x: f32[N]) -> f32[N] { inner: M44; return inner(x); }
module M44(x: f32[N]) -> f32[N] { inner: M45; return inner(x); }
module M45(x: f32[N]) -> f32[N] { inner: M46; return inner(x); }
module M46(x: f32[N]) -> f32[N] { inner: M47; return inner(x); }
module M47(x: f32[N]) -> f32[N] { inner: M48; return inner(x); }
module M48(x: f32[N]) -> f32[N] { inner: M49; return inner(x); }
module M49(x: f32[N]) -> f32[N] { inner: M50; return inner(x); }
module M50(x: f32[N]) -> f32[N] { inner: M51; return inner(x); }
module M51(x: f32[N]) -> f32[N] { inner: M52; return inner(x); }
module M52(x: f32[N]) -> f32[N] { inner: M53; return inner(x); }
module M53(x: f32[N]) -> f32[N] { inner: M54; return inner(x); }
module M54(x: f32[N]) -> f32[N] { inner: M55; return inner(x); }
module M55(x: f32[N]) -> f32[N] { inner: M56; return inner(x); }
module M56(x: f32[N]) -> f32[N] { inner: M57; return inner(x); }
module M57(x: f32[N]) -> f32[N] { inner: M58; return inner(x); }
module M58(x: f32[N]) -> f32[N] { inner: M59; return inner(x); }
module M59(x: f32[N]) -> f32[N] { inner: M60; return inner(x); }
module M60(x: f32[N]) -> f32[N] { inner: M61; return inner(x); }
module M61(x: f32[N]) -> f32[N] { inner: M62; return inner(x); }
module M62(x: f32[N]) -> f32[N] { inner: M63; return inner(x); }
module M63(x: f32[N]) -> f32[N] { inner: M64; return inner(x); }
module M64(x: f32[N]) -> f32[N] { inner: M65; return inner(x); }
module M65(x: f32[N]) -> f32[N] { inner: M66; return inner(x); }
module M66(x: f32[N]) -> f32[N] { inner: M67; return inner(x); }
module M67(x: f32[N]) -> f32[N] { inner: M68; return inner(x); }
module M68(x: f32[N]) -> f32[N] { inner: M69; return inner(x); }
module M69(x: f32[N]) -> f32[N] { inner: M70; return inner(x); }
module M70(x: f32[N]) -> f32[N] { return x; }
top: M0;
// CHECK:      [[FILE]]:69:42: error: modules nested more than 64 deep
// CHECK-NEXT: module M64(x: f32[N]) -> f32[N] { inner: M65; return inner(x); }
// CHECK-NEXT:                                          ^
