#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d1)>
    %indices, %weights = mod.topk %10 {capacity = 0.000000e+00 : f64, k = 2 : i64, normalize = true, num_targets = 3 : i64} : tensor<?x3xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
    %2 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel"]} ins(%0, %arg2 : tensor<?x4xf32>, tensor<4xf32>) outs(%1 : tensor<?x4xf32>) {
    %10 = mod.apply @Lin_4_3(%8, %9, %7) {instance = "gate", num_params = 2 : i64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<?x4xf32>) -> tensor<?x3xf32>