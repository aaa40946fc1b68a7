/* lora_demo.c - runs the compiled examples/lora.mod from C.
 *
 * Initialises the parameters deterministically, saves them as safetensors,
 * loads them into a second instance (as a host would load a checkpoint),
 * then runs lora_forward on a small batch and prints what it computed. */
#include "lora.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define D 1024

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "lora_weights.safetensors";
  const modrt_info *info = lora_describe();
  printf("model %s: %d parameter tensors, %d entries\n", info->model_name,
         info->num_params, info->num_entries);

  lora *init = lora_create();
  if (!init || lora_init(init, 42) != 0 || lora_save(init, path) != 0) {
    fprintf(stderr, "init/save failed: %s\n", init ? lora_error(init) : "");
    return 1;
  }
  lora_destroy(init);

  lora *m = lora_create();
  if (lora_load(m, path) != 0) {
    fprintf(stderr, "load failed: %s\n", lora_error(m));
    return 1;
  }
  const int64_t n = 4;
  float *x = malloc(sizeof(float) * n * D);
  float *y = malloc(sizeof(float) * n * D);
  for (int64_t i = 0; i < n * D; ++i)
    x[i] = (float)sin(0.01 * (double)i);
  int rc = lora_forward(m, n, x, y);
  if (rc != 0) {
    fprintf(stderr, "forward failed (%d): %s\n", rc, lora_error(m));
    return 1;
  }
  double sum = 0.0;
  for (int64_t i = 0; i < n * D; ++i)
    sum += y[i];
  for (int64_t r = 0; r < n; ++r)
    printf("y[%lld][0:4] = %9.5f %9.5f %9.5f %9.5f\n", (long long)r,
           y[r * D + 0], y[r * D + 1], y[r * D + 2], y[r * D + 3]);
  printf("sum(y) = %.6f\n", sum);

  /* A negative batch size is reported, not a crash. */
  rc = lora_forward(m, -1, x, y);
  printf("lora_forward(N = -1) -> %d: %s\n", rc, lora_error(m));
  free(x);
  free(y);
  lora_destroy(m);
  return 0;
}
