//===- ModRouteOps.td - Tensor-level routing ops -----------*- tablegen -*-===//
//
// Routing below the mod level: what mod-lower-routing turns a route into,
// and what each target (the CPU runtime today) lowers in one place. Every op
// is in destination-passing style with the semantics of linalg: on tensors
// its results are its `outs` after the op; on buffers (after one-shot
// bufferization, which creates the buffers from tensor.empty) it has no
// results and writes its `outs` in place. mod-lower-routing-to-runtime
// turns the buffer form into calls of runtime/include/modrt/routing.h.
//
// Conventions: a decision is [R, K] slots of (target index i64, weight f32),
// index -1 for an empty slot. A plan lists the (row, slot) pairs grouped by
// target: counts[t] pairs of target 0, then of target 1, ...
//
//===----------------------------------------------------------------------===//

#ifndef MOD_ROUTE_OPS_TD
#define MOD_ROUTE_OPS_TD

include "dialects/Mod/ModAttrs.td"
include "dialects/Mod/ModDialect.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

/// A tensor (value semantics) or a strided memref (buffer semantics).
def Mod_RouteOperand : AnyTypeOf<[AnyRankedTensor, AnyStridedMemRef]>;

/// `numInits` trailing operands are the destinations; `readsInits` says
/// whether the op reads them before writing (an accumulating scatter).
class Mod_RouteOp<string mnemonic, int numInits, bit readsInits,
                  list<Trait> traits = []>
    : Mod_Op<mnemonic, traits # [DestinationStyleOpInterface,
        DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static constexpr unsigned kNumInits = }] # numInits # [{;
    static constexpr bool kReadsInits = }] # !if(readsInits, "true", "false")
    # [{;
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return ::mlir::MutableOperandRange(getOperation(),
                                         getNumOperands() - kNumInits,
                                         kNumInits);
    }
  }];
}

def Mod_RouteDecideOp : Mod_RouteOp<"route.decide", 2, 0> {
  let summary = "computes the routing decision of a router";
  let description = [{
    The decision of `router` over `input` ([R, E] logits or weights, or [R]
    ids for `task` and `hash`), written to `indices` and `weights` ([R, K]).
    The semantics of each router are those of the mod-level decision op of
    the same name (mod.topk, ...); `k`, `normalize` and `capacity` are
    theirs, `message` names the argument in a task id's range error.

    ```mlir
    %i, %w = mod.route.decide #mod<router topk> %logits into %i0, %w0
        {num_targets = 8 : i64, k = 2 : i64, capacity = 0.0 : f64, normalize}
        : (tensor<?x8xf32>, tensor<?x2xi64>, tensor<?x2xf32>)
        -> (tensor<?x2xi64>, tensor<?x2xf32>)
    ```
  }];
  let arguments = (ins Mod_RouterKindAttr:$router, Mod_RouteOperand:$input,
                       Mod_RouteOperand:$indices, Mod_RouteOperand:$weights,
                       I64Attr:$num_targets, OptionalAttr<I64Attr>:$k,
                       UnitAttr:$normalize, OptionalAttr<F64Attr>:$capacity,
                       OptionalAttr<StrAttr>:$message);
  let assemblyFormat = [{
    $router $input `into` $indices `,` $weights attr-dict `:`
    functional-type(operands, results)
  }];
}

def Mod_RoutePlanOp : Mod_RouteOp<"route.plan", 3, 0> {
  let summary = "groups the chosen (row, slot) pairs by target";
  let description = [{
    `counts[t]` = how many slots of `indices` ([R, K]) name target t
    (E = size of `counts`); `rows` and `slots` ([>= R * K]) list the pairs
    of target 0, then of target 1, ..., each target's in row order. Entries
    past the sum of the counts are unspecified.

    ```mlir
    %c, %r, %s = mod.route.plan %idx into %c0, %r0, %s0
        : (tensor<?x2xi64>, tensor<8xi64>, tensor<?xi64>, tensor<?xi64>)
        -> (tensor<8xi64>, tensor<?xi64>, tensor<?xi64>)
    ```
  }];
  let arguments = (ins Mod_RouteOperand:$indices, Mod_RouteOperand:$counts,
                       Mod_RouteOperand:$rows, Mod_RouteOperand:$slots);
  let assemblyFormat = [{
    $indices `into` $counts `,` $rows `,` $slots attr-dict `:`
    functional-type(operands, results)
  }];
}

def Mod_RouteGroupIdsOp : Mod_RouteOp<"route.group_ids", 1, 0> {
  let summary = "the target of each packed row of a plan";
  let description = [{
    `groups[i]` = the target of packed row i for a plan with these `counts`
    (rows past the counts' sum: 0).

    ```mlir
    %g = mod.route.group_ids %c into %g0
        : (tensor<8xi64>, tensor<?xi64>) -> tensor<?xi64>
    ```
  }];
  let arguments = (ins Mod_RouteOperand:$counts, Mod_RouteOperand:$groups);
  let assemblyFormat = [{
    $counts `into` $groups attr-dict `:` functional-type(operands, results)
  }];
}

def Mod_RouteDenseOp : Mod_RouteOp<"route.dense", 1, 0> {
  let summary = "a decision as dense per-target weights";
  let description = [{
    `dense[r, t]` = the summed weight the slots of row r give target t;
    `dense[r, E]` = how many slots of row r chose a target. `dense` is
    [R, E + 1].

    ```mlir
    %d = mod.route.dense %idx, %w into %d0
        : (tensor<?x1xi64>, tensor<?x1xf32>, tensor<?x5xf32>) -> tensor<?x5xf32>
    ```
  }];
  let arguments = (ins Mod_RouteOperand:$indices, Mod_RouteOperand:$weights,
                       Mod_RouteOperand:$dense);
  let assemblyFormat = [{
    $indices `,` $weights `into` $dense attr-dict `:`
    functional-type(operands, results)
  }];
}

def Mod_RouteDistinctOp : Mod_RouteOp<"route.distinct", 3, 0> {
  let summary = "groups the rows that mix the targets identically";
  let description = [{
    Over `dense` ([R, E + 1], from mod.route.dense): `order` ([R]) lists the
    rows group by group, rows with bit-identical weights forming one group
    (each in row order, the groups in order of their first row);
    `offsets[u]` ([R + 1]) is where group u starts, `offsets[U] = R`, and
    `num_groups[0]` ([1]) = U.

    ```mlir
    %o, %f, %n = mod.route.distinct %d into %o0, %f0, %n0
        : (tensor<?x5xf32>, tensor<?xi64>, tensor<?xi64>, tensor<1xi64>)
        -> (tensor<?xi64>, tensor<?xi64>, tensor<1xi64>)
    ```
  }];
  let arguments = (ins Mod_RouteOperand:$dense, Mod_RouteOperand:$order,
                       Mod_RouteOperand:$offsets, Mod_RouteOperand:$num_groups);
  let assemblyFormat = [{
    $dense `into` $order `,` $offsets `,` $num_groups attr-dict `:`
    functional-type(operands, results)
  }];
}

def Mod_RouteScatterOp : Mod_RouteOp<"route.scatter", 1, 1> {
  let summary = "combines packed target outputs into their rows";
  let description = [{
    For packed row i of `source` ([n, G]): with `r = rows[begin + i]` and
    `j = slots[begin + i]`, `y[r] op= source[i]`, `op` being `mode`:
    `weighted` (`+= route_weights[r, j] * ...`), `sum` (`+=`) or `max`.

    ```mlir
    %y1 = mod.route.scatter #mod<scatter weighted> %ye, %r, %s, %w, %begin into %y0
        : (tensor<?x8xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?x2xf32>, index,
           tensor<?x8xf32>) -> tensor<?x8xf32>
    ```
  }];
  let arguments = (ins Mod_ScatterModeAttr:$mode, Mod_RouteOperand:$source,
                       Mod_RouteOperand:$rows, Mod_RouteOperand:$slots,
                       Mod_RouteOperand:$route_weights, Index:$begin,
                       Mod_RouteOperand:$y);
  let assemblyFormat = [{
    $mode $source `,` $rows `,` $slots `,` $route_weights `,` $begin `into` $y
    attr-dict `:` functional-type(operands, results)
  }];
}

def Mod_RouteFinishOp : Mod_RouteOp<"route.finish", 1, 1> {
  let summary = "normalises a scattered output";
  let description = [{
    `sum` (the accumulation of `mean`): each row of `y` divided by the number
    of targets its slots in `indices` chose; `max`: rows nothing chose
    become 0. (`weighted` rows nothing chose are already 0.)

    ```mlir
    %y1 = mod.route.finish #mod<scatter sum> %idx into %y0
        : (tensor<?x2xi64>, tensor<?x8xf32>) -> tensor<?x8xf32>
    ```
  }];
  let arguments = (ins Mod_ScatterModeAttr:$mode, Mod_RouteOperand:$indices,
                       Mod_RouteOperand:$y);
  let assemblyFormat = [{
    $mode $indices `into` $y attr-dict `:` functional-type(operands, results)
  }];
}

def Mod_GroupedMatmulOp : Mod_RouteOp<"grouped_matmul", 1, 0,
    [AttrSizedOperandSegments]> {
  let summary = "a matmul per group of rows, over E weight operands";
  let description = [{
    The rows of `out` ([M, N]) come in groups of `counts[g]` consecutive
    rows; group g's rows are `lhs`'s rows times `weights[g]` ([K, N], one
    operand per group, dense row-major). Without `gather` row i of the
    grouped input is `lhs[i]`; with it, `lhs[gather[i]]` (the gather of the
    routed rows fused into the product). Rows past the counts' sum are left
    as they are. With `transpose_weights` each weight is [N, K] and group
    g's rows are multiplied by its transpose (the backward product dX = dY
    W^T of mod-differentiate).

    ```mlir
    %h = mod.grouped_matmul %x gather %rows counts %c weights(%w0, %w1) into %h0
        : (tensor<?x8xf32>, tensor<?xi64>, tensor<2xi64>, tensor<8x16xf32>,
           tensor<8x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
    ```
  }];
  let arguments = (ins Mod_RouteOperand:$lhs,
                       Optional<Mod_RouteOperand>:$gather,
                       Mod_RouteOperand:$counts,
                       Variadic<Mod_RouteOperand>:$weights,
                       Mod_RouteOperand:$out,
                       UnitAttr:$transpose_weights);
  let assemblyFormat = [{
    $lhs (`gather` $gather^)? `counts` $counts `weights` `(` $weights `)`
    `into` $out attr-dict `:` functional-type(operands, results)
  }];
}

def Mod_GroupedMatmulScatterOp : Mod_RouteOp<"grouped_matmul_scatter", 1, 1> {
  let summary = "the last grouped matmul of a route, scattered into its rows";
  let description = [{
    For packed row i of group g (groups of `counts[g]` consecutive rows),
    `y[rows[i]] op= route_weights[rows[i], slots[i]] * (a_i @ weights[g])`
    (`op` and the weight as in mod.route.scatter), `a_i` being `lhs[i]`, or
    `lhs[rows[i]]` with `gather_rows`. Contributions arrive in group order.

    ```mlir
    %y1 = mod.grouped_matmul_scatter #mod<scatter weighted> %h, %r, %s, %c, %w
        weights(%d0, %d1) into %y0
        : (tensor<?x16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<2xi64>,
           tensor<?x2xf32>, tensor<16x8xf32>, tensor<16x8xf32>,
           tensor<?x8xf32>) -> tensor<?x8xf32>
    ```
  }];
  let arguments = (ins Mod_ScatterModeAttr:$mode, Mod_RouteOperand:$lhs,
                       Mod_RouteOperand:$rows, Mod_RouteOperand:$slots,
                       Mod_RouteOperand:$counts,
                       Mod_RouteOperand:$route_weights,
                       Variadic<Mod_RouteOperand>:$weights,
                       Mod_RouteOperand:$y, UnitAttr:$gather_rows);
  let assemblyFormat = [{
    $mode $lhs `,` $rows `,` $slots `,` $counts `,` $route_weights
    `weights` `(` $weights `)` `into` $y attr-dict `:`
    functional-type(operands, results)
  }];
}

def Mod_GroupedWeightGradOp : Mod_RouteOp<"grouped_weight_grad", 1, 0> {
  let summary = "the weight gradients of a grouped matmul, one per group";
  let description = [{
    For the rows of `lhs` ([M, K]) and `grad` ([M, N]) in groups of
    `counts[g]` consecutive rows, `out[g] = lhs[rows of g]^T @ grad[rows of
    g]` ([E, K, N]; zero for an empty group): dW_g of `mod.grouped_matmul`.

    ```mlir
    %dw = mod.grouped_weight_grad %x counts %c grad %dy into %dw0
        : (tensor<?x8xf32>, tensor<2xi64>, tensor<?x16xf32>,
           tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
    ```
  }];
  let arguments = (ins Mod_RouteOperand:$lhs, Mod_RouteOperand:$counts,
                       Mod_RouteOperand:$grad, Mod_RouteOperand:$out);
  let assemblyFormat = [{
    $lhs `counts` $counts `grad` $grad `into` $out attr-dict `:`
    functional-type(operands, results)
  }];
}

#endif // MOD_ROUTE_OPS_TD
