/* Loads a model library, creates, runs and destroys a model, and unloads
 * the library, many times: the heap must not grow (the runtime's parsed
 * descriptor used to stay behind at every unload). */
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

typedef void *(*create_fn)(void);
typedef void (*destroy_fn)(void *);
typedef int (*init_fn)(void *, unsigned long long);
typedef int (*fwd_fn)(void *, long long, const float *, float *);

static size_t heap(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

static int cycle(const char *path, const float *x, float *y) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return 1;
  create_fn create = (create_fn)dlsym(h, "ul_create");
  destroy_fn destroy = (destroy_fn)dlsym(h, "ul_destroy");
  init_fn init = (init_fn)dlsym(h, "ul_init");
  fwd_fn dense = (fwd_fn)dlsym(h, "ul_dense");
  void *m = create();
  int rc = !m || init(m, 1) || dense(m, 64, x, y);
  destroy(m);
  dlclose(h);
  return rc;
}

int main(int argc, char **argv) {
  static float x[64 * 128], y[64 * 128];
  for (int i = 0; i < 64 * 128; ++i)
    x[i] = (float)(i % 7) * 0.1f;
  for (int i = 0; i < 5; ++i) /* the process's first-use costs */
    if (cycle(argv[1], x, y))
      return 1;
  size_t before = heap();
  int n = 200;
  for (int i = 0; i < n; ++i)
    if (cycle(argv[1], x, y))
      return 1;
  long grown = (long)heap() - (long)before;
  printf("heap grew by %ld bytes over %d cycles\n", grown, n);
  puts(grown < 64 * 1024 ? "PASS unload cycles" : "FAIL unload cycles");
  return 0;
}
