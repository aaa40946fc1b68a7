// Every expression form of the grammar parses, with precedence as in
// LANGUAGE.md §6: `|>` lowest, then + -, then * / @, unary -, postfix.
// RUN: modc %s --emit=ast | FileCheck %s
model syntax;
dim D = (2 + 3) * 4 - 8 / 2;
dyn N;
entry f(x: f32[N, D]) -> f32[N, D] {
  let a = -x * 2.5e-1 + x @ w |> relu;
  let t = route x to [e0, e1] by topk(g(x), 1, normalize = false) combine merge;
  for i in 0..D { a = arr[i + 1](a); }
  return (a, x);
}
// CHECK:      Dim D @5:5
// CHECK-NEXT:   Binary - @5:21
// CHECK-NEXT:     Binary * @5:17
// CHECK-NEXT:       Binary + @5:12
// CHECK-NEXT:         Int 2 @5:10
// CHECK-NEXT:         Int 3 @5:14
// CHECK-NEXT:       Int 4 @5:19
// CHECK-NEXT:     Binary / @5:25
// CHECK:      Let a @8:7
// CHECK-NEXT:   Pipe @8:31
// CHECK-NEXT:     Binary + @8:23
// CHECK-NEXT:       Binary * @8:14
// CHECK-NEXT:         Neg @8:11
// CHECK-NEXT:           Name x @8:12
// CHECK-NEXT:         Float 2.5e-1 @8:16
// CHECK-NEXT:       Binary @ @8:27
// CHECK-NEXT:         Name x @8:25
// CHECK-NEXT:         Name w @8:29
// CHECK-NEXT:     Name relu @8:34
// CHECK:      Let t @9:7
// CHECK-NEXT:   Route @9:11
// CHECK-NEXT:     Input @9:17
// CHECK-NEXT:       Name x @9:17
// CHECK-NEXT:     Targets @9:22
// CHECK-NEXT:       List @9:22
// CHECK-NEXT:         Name e0 @9:23
// CHECK-NEXT:         Name e1 @9:27
// CHECK-NEXT:     Router @9:34
// CHECK-NEXT:       Call @9:34
// CHECK-NEXT:         Name topk @9:34
// CHECK-NEXT:         Call @9:39
// CHECK:              NamedArg normalize @9:48
// CHECK-NEXT:           Bool false @9:60
// CHECK-NEXT:     Combine @9:75
// CHECK-NEXT:       Name merge @9:75
// CHECK:      For i @10:3
// CHECK-NEXT:   Int 0 @10:12
// CHECK-NEXT:   Name D @10:15
// CHECK-NEXT:   Assign a @10:19
// CHECK-NEXT:     Call @10:23
// CHECK-NEXT:       Index @10:23
// CHECK-NEXT:         Name arr @10:23
// CHECK-NEXT:         Binary + @10:29
// CHECK:      Return @11:3
// CHECK-NEXT:   Tuple @11:10
// CHECK-NEXT:     Name a @11:11
// CHECK-NEXT:     Name x @11:14
