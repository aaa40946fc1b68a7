/* driver.c - runs one entry of a compiled modc library, CPU or cuda: the
 * GPU check's host program (scripts/gpu-check.sh). Only libc and dlopen:
 * it runs where only the NVIDIA driver is installed.
 *
 *   driver LIB MODEL ENTRY N OUT [REF] [REPEATS]
 *
 * Every dyn of the entry is N; parameters from MODEL_init(1); float inputs
 * from a fixed generator in [-1, 1), integer inputs 0 (a valid task or
 * token id). The first output goes to OUT (raw, native order); a train
 * block (ENTRY names one) is called twice and OUT holds both losses (the
 * second shows the first step's update). With REF, the output is compared
 * with REF's (max abs error <= 1e-3 * (1 + |ref|)) and "ok"/"FAIL"
 * printed; with REPEATS, the entry is timed (median ms).
 *
 * A cuda library's entry also runs in its device form, ENTRY_device, on
 * buffers of the CUDA driver (libcuda.so.1, or MODRT_CUDA_DRIVER) and the
 * default stream: its output must equal the host form's, and with REPEATS
 * it is timed too (no host copies). */
#include "modrt/modrt.h"

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*Entry)(void);
typedef const modrt_info *(*DescribeFn)(void);
typedef void *(*CreateFn)(void);
typedef int (*InitFn)(void *, uint64_t);
typedef const char *(*ErrorFn)(const void *);

/* The CUDA driver calls the device form needs (the runtime has made the
 * primary context current on this thread by then). */
typedef int (*MemAllocFn)(uint64_t *, size_t);
typedef int (*MemcpyHtoDFn)(uint64_t, const void *, size_t);
typedef int (*MemcpyDtoHFn)(void *, uint64_t, size_t);
typedef int (*MemFreeFn)(uint64_t);

static size_t dtypeBytes(modrt_dtype t) {
  switch (t) {
  case MODRT_F32: case MODRT_I32: return 4;
  case MODRT_I64: return 8;
  case MODRT_F16: case MODRT_BF16: return 2;
  default: return 1;
  }
}

static int64_t dimValue(const modrt_dim *d, int64_t n) {
  int64_t v = d->constant;
  for (int32_t i = 0; i < d->num_terms; ++i)
    v += d->coeff[i] * n;
  return v;
}

static int64_t elements(const modrt_tensor_info *t, int64_t n) {
  int64_t e = 1;
  for (int32_t i = 0; i < t->rank; ++i)
    e *= dimValue(&t->dims[i], n);
  return e;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: driver LIB MODEL ENTRY N OUT [REF] [REPEATS]\n");
    return 2;
  }
  const char *model = argv[2], *entryName = argv[3];
  int64_t n = atoll(argv[4]);
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "%s\n", dlerror());
    return 2;
  }
  char sym[256];
#define LOOKUP(var, type, suffix)                                              \
  snprintf(sym, sizeof(sym), "%s_%s", model, suffix);                         \
  type var = (type)dlsym(lib, sym);                                            \
  if (!var) {                                                                  \
    fprintf(stderr, "no %s\n", sym);                                           \
    return 2;                                                                  \
  }
  LOOKUP(describe, DescribeFn, "describe");
  LOOKUP(create, CreateFn, "create");
  LOOKUP(init, InitFn, "init");
  LOOKUP(error, ErrorFn, "error");
  LOOKUP(entry, Entry, entryName);
  snprintf(sym, sizeof(sym), "%s_%s_device", model, entryName);
  Entry deviceEntry = (Entry)dlsym(lib, sym);
  const modrt_info *info = describe();
  const modrt_entry_info *e = NULL;
  int isTrain = 0;
  for (int32_t i = 0; i < info->num_entries; ++i)
    if (!strcmp(info->entries[i].name, entryName))
      e = &info->entries[i];
  for (int32_t i = 0; i < info->num_trains; ++i)
    if (!strcmp(info->trains[i].name, entryName)) {
      e = &info->trains[i];
      isTrain = 1;
    }
  if (!e || e->num_outputs < 1) {
    fprintf(stderr, "no entry %s\n", entryName);
    return 2;
  }
  void *m = create();
  if (!m || init(m, 1)) {
    fprintf(stderr, "create/init failed\n");
    return 1;
  }
  /* The arguments: the model, the dyns, the inputs, the outputs. */
  void *args[16];
  int64_t dyns[8];
  int numArgs = 0;
  if (e->num_dyns + e->num_inputs + e->num_outputs > 15 || e->num_dyns > 8) {
    fprintf(stderr, "entry too wide for this driver\n");
    return 2;
  }
  uint32_t state = 12345u;
  for (int32_t i = 0; i < e->num_inputs; ++i) {
    const modrt_tensor_info *t = &e->inputs[i];
    int64_t count = elements(t, n);
    void *buf = calloc((size_t)(count > 0 ? count : 1), dtypeBytes(t->dtype));
    if (t->dtype == MODRT_F32)
      for (int64_t k = 0; k < count; ++k) {
        state = state * 1664525u + 1013904223u;
        ((float *)buf)[k] = (float)((state >> 8) * (1.0 / 8388608.0)) - 1.0f;
      }
    args[e->num_dyns + i] = buf;
  }
  int64_t outCount = 0;
  for (int32_t i = 0; i < e->num_outputs; ++i) {
    const modrt_tensor_info *t = &e->outputs[i];
    int64_t count = elements(t, n);
    if (i == 0)
      outCount = count;
    args[e->num_dyns + e->num_inputs + i] =
        calloc((size_t)(count > 0 ? count : 1), dtypeBytes(t->dtype));
  }
  numArgs = e->num_dyns + e->num_inputs + e->num_outputs;
  for (int32_t i = 0; i < e->num_dyns; ++i)
    dyns[i] = n;
  /* Integers (the dyns) and pointers are passed the same way on x86-64
   * and aarch64: one register or stack slot each. */
  intptr_t a[16];
  for (int i = 0; i < numArgs; ++i)
    a[i] = i < e->num_dyns ? (intptr_t)dyns[i] : (intptr_t)args[i];
  typedef int (*Fn)(void *, intptr_t, intptr_t, intptr_t, intptr_t, intptr_t,
                    intptr_t, intptr_t, intptr_t, intptr_t, intptr_t,
                    intptr_t, intptr_t, intptr_t, intptr_t, intptr_t);
  Fn call = (Fn)entry;
  int repeats = argc > 7 ? atoi(argv[7]) : 0;
  int rc = call(m, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
                a[10], a[11], a[12], a[13], a[14]);
  if (rc) {
    printf("FAIL %s.%s N=%lld: code %d: %s\n", model, entryName, (long long)n,
           rc, error(m));
    return 1;
  }
  const float *out = (const float *)args[e->num_dyns + e->num_inputs];
  float losses[2];
  if (isTrain) {
    losses[0] = out[0];
    rc = call(m, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
              a[10], a[11], a[12], a[13], a[14]);
    if (rc) {
      printf("FAIL %s.%s N=%lld: second step: code %d: %s\n", model,
             entryName, (long long)n, rc, error(m));
      return 1;
    }
    losses[1] = out[0];
    out = losses;
    outCount = 2;
  }
  FILE *f = fopen(argv[5], "wb");
  if (!f || fwrite(out, 4, (size_t)outCount, f) != (size_t)outCount) {
    fprintf(stderr, "cannot write %s\n", argv[5]);
    return 2;
  }
  fclose(f);
  int status = 0;
  if (argc > 6 && strcmp(argv[6], "-")) {
    FILE *r = fopen(argv[6], "rb");
    float *ref = malloc((size_t)(outCount > 0 ? outCount : 1) * 4);
    if (!r || fread(ref, 4, (size_t)outCount, r) != (size_t)outCount) {
      fprintf(stderr, "cannot read %s\n", argv[6]);
      return 2;
    }
    fclose(r);
    double worst = 0;
    int ok = 1;
    for (int64_t k = 0; k < outCount; ++k) {
      double d = fabs((double)out[k] - ref[k]);
      if (!(d <= 1e-3 * (1 + fabs(ref[k]))))
        ok = 0;
      if (d > worst || d != d)
        worst = d;
    }
    printf("%s %s.%s N=%lld: max abs error %.3g\n", ok ? "ok" : "FAIL", model,
           entryName, (long long)n, worst);
    status = ok ? 0 : 1;
  }
  /* The device form: the same inputs in GPU memory, the first output
   * compared with the host form's. */
  intptr_t d[17];
  void *cuda = NULL;
  int haveDevice = 0;
  if (deviceEntry && !isTrain && numArgs < 15) {
    const char *path = getenv("MODRT_CUDA_DRIVER");
    cuda = dlopen(path && *path ? path : "libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  }
  if (cuda) {
    MemAllocFn memAlloc = (MemAllocFn)dlsym(cuda, "cuMemAlloc_v2");
    MemcpyHtoDFn toDevice = (MemcpyHtoDFn)dlsym(cuda, "cuMemcpyHtoD_v2");
    MemcpyDtoHFn toHost = (MemcpyDtoHFn)dlsym(cuda, "cuMemcpyDtoH_v2");
    if (!memAlloc || !toDevice || !toHost) {
      printf("FAIL %s.%s_device: the driver lacks cuMemAlloc/cuMemcpy\n",
             model, entryName);
      return 1;
    }
    for (int i = 0; i < numArgs; ++i) {
      d[i] = a[i];
      if (i < e->num_dyns)
        continue;
      int k = i - e->num_dyns;
      const modrt_tensor_info *t = k < e->num_inputs
                                       ? &e->inputs[k]
                                       : &e->outputs[k - e->num_inputs];
      size_t bytes = (size_t)elements(t, n) * dtypeBytes(t->dtype);
      uint64_t p = 0;
      if (bytes && (memAlloc(&p, bytes) ||
                    (k < e->num_inputs && toDevice(p, args[i], bytes)))) {
        printf("FAIL %s.%s_device: cannot stage the arguments\n", model,
               entryName);
        return 1;
      }
      d[i] = (intptr_t)p;
    }
    d[numArgs] = 0; /* the default stream */
    for (int i = numArgs + 1; i < 16; ++i)
      d[i] = 0;
    Fn deviceCall = (Fn)deviceEntry;
    rc = deviceCall(m, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8],
                    d[9], d[10], d[11], d[12], d[13], d[14]);
    if (rc) {
      printf("FAIL %s.%s_device N=%lld: code %d: %s\n", model, entryName,
             (long long)n, rc, error(m));
      return 1;
    }
    float *dout = malloc((size_t)(outCount > 0 ? outCount : 1) * 4);
    if (outCount && toHost(dout, (uint64_t)d[e->num_dyns + e->num_inputs],
                           (size_t)outCount * 4)) {
      printf("FAIL %s.%s_device: cannot read the output back\n", model,
             entryName);
      return 1;
    }
    double worst = 0;
    for (int64_t k = 0; k < outCount; ++k) {
      double diff = fabs((double)dout[k] - out[k]);
      if (diff > worst || diff != diff)
        worst = diff;
    }
    int same = worst <= 1e-5;
    printf("%s %s.%s_device N=%lld: max abs difference to the host form "
           "%.3g\n",
           same ? "ok" : "FAIL", model, entryName, (long long)n, worst);
    if (!same)
      status = 1;
    haveDevice = 1;
  }
  if (repeats > 0) {
    double *ms = malloc(sizeof(double) * (size_t)repeats);
    for (int i = 0; i < repeats; ++i) {
      double t0 = now();
      call(m, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
           a[10], a[11], a[12], a[13], a[14]);
      ms[i] = now() - t0;
    }
    qsort(ms, (size_t)repeats, sizeof(double), cmp);
    printf("time %s.%s N=%lld: median %.3f ms\n", model, entryName,
           (long long)n, ms[repeats / 2]);
    if (haveDevice) {
      Fn deviceCall = (Fn)deviceEntry;
      for (int i = 0; i < repeats; ++i) {
        double t0 = now();
        deviceCall(m, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8],
                   d[9], d[10], d[11], d[12], d[13], d[14]);
        ms[i] = now() - t0;
      }
      qsort(ms, (size_t)repeats, sizeof(double), cmp);
      printf("time %s.%s_device N=%lld: device median %.3f ms\n", model,
             entryName, (long long)n, ms[repeats / 2]);
    }
  }
  return status;
}
