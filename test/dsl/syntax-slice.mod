// Slices and `...` parse (LANGUAGE.md §4, §6): index items, ranges with
// either end, ':' and '...' in a slice; '...' first in a module's types.
// RUN: modc %s --emit=ast | FileCheck %s
model s;
dyn N;
module M<D>(h: f32[..., D]) -> f32[..., D] { return h[..., 1:, :D - 1, 0, :]; }
// CHECK:        Module M @6:8
// CHECK-NEXT:     TemplateParam D : int @6:10
// CHECK-NEXT:     Arg h f32[..., 1 dims] @6:16
// CHECK-NEXT:       Name D @6:25
// CHECK-NEXT:     Result f32[..., 1 dims] @6:32
// CHECK-NEXT:       Name D @6:41
// CHECK-NEXT:     Return @6:46
// CHECK-NEXT:       Index @6:53
// CHECK-NEXT:         Name h @6:53
// CHECK-NEXT:         Ellipsis @6:55
// CHECK-NEXT:         Range lower @6:60
// CHECK-NEXT:           Int 1 @6:60
// CHECK-NEXT:         Range upper @6:64
// CHECK-NEXT:           Binary - @6:67
// CHECK-NEXT:             Name D @6:65
// CHECK-NEXT:             Int 1 @6:69
// CHECK-NEXT:         Int 0 @6:72
// CHECK-NEXT:         Range @6:75
