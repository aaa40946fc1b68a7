// g returns 2N rows where its signature promises N: the call fails with code
// 1 before anything is written past the caller's buffer
// (test/compiler/inconsistent-output-size.test).
#map = affine_map<()[s0] -> (s0, 4)>
#map1 = affine_map<(d0, d1) -> (d0, d1)>
module attributes {mod.model = "m"} {
  mod.dim "D" = 4
  mod.dyn "N"
  func.func @f(%arg0: tensor<?x4xf32>, %arg1: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.signature = #mod.signature<dyns = ["N"], inputs = [#mod.tensor<"x" : f32, #map>, #mod.tensor<"y" : f32, #map>], outputs = [#mod.tensor<"out" : f32, #map>]>} {
    %c0 = arith.constant 0 : index
    %dim = tensor.dim %arg0, %c0 : tensor<?x4xf32>
    %c0_0 = arith.constant 0 : index
    %dim_1 = tensor.dim %arg0, %c0_0 : tensor<?x4xf32>
    %0 = tensor.empty(%dim_1) : tensor<?x4xf32>
    %1 = linalg.generic {indexing_maps = [#map1, #map1, #map1], iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg1 : tensor<?x4xf32>, tensor<?x4xf32>) outs(%0 : tensor<?x4xf32>) {
    ^bb0(%in: f32, %in_2: f32, %out: f32):
      %2 = arith.addf %in, %in_2 : f32
      linalg.yield %2 : f32
    } -> tensor<?x4xf32>
    return %1 : tensor<?x4xf32>
  }
  func.func @g(%arg0: tensor<?x4xf32>) -> tensor<?x4xf32> attributes {mod.signature = #mod.signature<dyns = ["N"], inputs = [#mod.tensor<"x" : f32, #map>], outputs = [#mod.tensor<"y" : f32, #map>]>} {
    %c0 = arith.constant 0 : index
    %dim = tensor.dim %arg0, %c0 : tensor<?x4xf32>
    %c0_0 = arith.constant 0 : index
    %dim_1 = tensor.dim %arg0, %c0_0 : tensor<?x4xf32>
    %c0_2 = arith.constant 0 : index
    %dim_3 = tensor.dim %arg0, %c0_2 : tensor<?x4xf32>
    %0 = arith.addi %dim_1, %dim_3 : index
    %c4 = arith.constant 4 : index
    %1 = tensor.empty(%0) : tensor<?x4xf32>
    %c0_4 = arith.constant 0 : index
    %c0_5 = arith.constant 0 : index
    %dim_6 = tensor.dim %arg0, %c0_5 : tensor<?x4xf32>
    %inserted_slice = tensor.insert_slice %arg0 into %1[%c0_4, 0] [%dim_6, 4] [1, 1] : tensor<?x4xf32> into tensor<?x4xf32>
    %c0_7 = arith.constant 0 : index
    %dim_8 = tensor.dim %arg0, %c0_7 : tensor<?x4xf32>
    %2 = arith.addi %c0_4, %dim_8 : index
    %c0_9 = arith.constant 0 : index
    %dim_10 = tensor.dim %arg0, %c0_9 : tensor<?x4xf32>
    %inserted_slice_11 = tensor.insert_slice %arg0 into %inserted_slice[%2, 0] [%dim_10, 4] [1, 1] : tensor<?x4xf32> into tensor<?x4xf32>
    %c0_12 = arith.constant 0 : index
    %dim_13 = tensor.dim %arg0, %c0_12 : tensor<?x4xf32>
    %3 = arith.addi %2, %dim_13 : index
    %c0_14 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %4 = arith.muli %dim, %c1 : index
    %5 = arith.addi %c0_14, %4 : index
    %extracted_slice = tensor.extract_slice %inserted_slice_11[0, 0] [%5, 4] [1, 1] : tensor<?x4xf32> to tensor<?x4xf32>
    return %inserted_slice_11 : tensor<?x4xf32>
  }
}
