// A view with a dynamic offset cast to a function's identity-layout argument
// (what one-shot bufferization inserts at a call) is passed as a dense copy,
// freed after the call; a dense view keeps its cast.
// RUN: mod-opt %s --mod-copy-strided-call-arguments | FileCheck %s

func.func private @part(%rows: memref<?xi64>) {
  return
}

// CHECK-LABEL: func.func @caller
// CHECK:         %[[SLICE:.*]] = memref.subview
// CHECK:         %[[N:.*]] = memref.dim %[[SLICE]], %c0
// CHECK:         %[[COPY:.*]] = memref.alloc(%[[N]]) : memref<?xi64>
// CHECK:         memref.copy %[[SLICE]], %[[COPY]]
// CHECK:         call @part(%[[COPY]])
// CHECK:         memref.dealloc %[[COPY]]
// CHECK:         %[[DENSE:.*]] = memref.cast %arg0 : memref<8xi64> to memref<?xi64>
// CHECK:         call @part(%[[DENSE]])
func.func @caller(%all: memref<8xi64>, %begin: index, %n: index) {
  %slice = memref.subview %all[%begin] [%n] [1] : memref<8xi64> to memref<?xi64, strided<[1], offset: ?>>
  %c = memref.cast %slice : memref<?xi64, strided<[1], offset: ?>> to memref<?xi64>
  call @part(%c) : (memref<?xi64>) -> ()
  %d = memref.cast %all : memref<8xi64> to memref<?xi64>
  call @part(%d) : (memref<?xi64>) -> ()
  return
}
