// Each template instantiates the next with two different arguments: 2^25
// distinct instantiations from 27 lines. Every instantiation is charged to
// the elaboration budget, so this ends with one error.
model m;
dyn N;
module M0<K>(x: f32[N]) -> f32[N] { a: M1<2 * K>; b: M1<2 * K + 1>; return b(a(x)); }
module M1<K>(x: f32[N]) -> f32[N] { a: M2<2 * K>; b: M2<2 * K + 1>; return b(a(x)); }
module M2<K>(x: f32[N]) -> f32[N] { a: M3<2 * K>; b: M3<2 * K + 1>; return b(a(x)); }
module M3<K>(x: f32[N]) -> f32[N] { a: M4<2 * K>; b: M4<2 * K + 1>; return b(a(x)); }
module M4<K>(x: f32[N]) -> f32[N] { a: M5<2 * K>; b: M5<2 * K + 1>; return b(a(x)); }
module M5<K>(x: f32[N]) -> f32[N] { a: M6<2 * K>; b: M6<2 * K + 1>; return b(a(x)); }
module M6<K>(x: f32[N]) -> f32[N] { a: M7<2 * K>; b: M7<2 * K + 1>; return b(a(x)); }
module M7<K>(x: f32[N]) -> f32[N] { a: M8<2 * K>; b: M8<2 * K + 1>; return b(a(x)); }
module M8<K>(x: f32[N]) -> f32[N] { a: M9<2 * K>; b: M9<2 * K + 1>; return b(a(x)); }
module M9<K>(x: f32[N]) -> f32[N] { a: M10<2 * K>; b: M10<2 * K + 1>; return b(a(x)); }
module M10<K>(x: f32[N]) -> f32[N] { a: M11<2 * K>; b: M11<2 * K + 1>; return b(a(x)); }
module M11<K>(x: f32[N]) -> f32[N] { a: M12<2 * K>; b: M12<2 * K + 1>; return b(a(x)); }
module M12<K>(x: f32[N]) -> f32[N] { a: M13<2 * K>; b: M13<2 * K + 1>; return b(a(x)); }
module M13<K>(x: f32[N]) -> f32[N] { a: M14<2 * K>; b: M14<2 * K + 1>; return b(a(x)); }
module M14<K>(x: f32[N]) -> f32[N] { a: M15<2 * K>; b: M15<2 * K + 1>; return b(a(x)); }
module M15<K>(x: f32[N]) -> f32[N] { a: M16<2 * K>; b: M16<2 * K + 1>; return b(a(x)); }
module M16<K>(x: f32[N]) -> f32[N] { a: M17<2 * K>; b: M17<2 * K + 1>; return b(a(x)); }
module M17<K>(x: f32[N]) -> f32[N] { a: M18<2 * K>; b: M18<2 * K + 1>; return b(a(x)); }
module M18<K>(x: f32[N]) -> f32[N] { a: M19<2 * K>; b: M19<2 * K + 1>; return b(a(x)); }
module M19<K>(x: f32[N]) -> f32[N] { a: M20<2 * K>; b: M20<2 * K + 1>; return b(a(x)); }
module M20<K>(x: f32[N]) -> f32[N] { a: M21<2 * K>; b: M21<2 * K + 1>; return b(a(x)); }
module M21<K>(x: f32[N]) -> f32[N] { a: M22<2 * K>; b: M22<2 * K + 1>; return b(a(x)); }
module M22<K>(x: f32[N]) -> f32[N] { a: M23<2 * K>; b: M23<2 * K + 1>; return b(a(x)); }
module M23<K>(x: f32[N]) -> f32[N] { a: M24<2 * K>; b: M24<2 * K + 1>; return b(a(x)); }
module M24<K>(x: f32[N]) -> f32[N] { a: M25<2 * K>; b: M25<2 * K + 1>; return b(a(x)); }
module M25<K>(x: f32[N]) -> f32[N] { param w: f32[1] = const(K); return x * w; }
top: M0<0>;
