/* Trains `other` and `small` (two libraries of two-models.mod) in one
   process, or one of them alone (-DONLY_OTHER, -DONLY_SMALL). */
#include <stdio.h>
#ifndef ONLY_SMALL
#include "other.h"
#endif
#ifndef ONLY_OTHER
#include "small.h"
#endif

int main(void) {
  float x[5 * 6], t[5 * 6], xs[5 * 8], ts[5 * 8], loss;
  int i, step;
  for (i = 0; i < 30; i++) {
    x[i] = (float)(i % 7) * 0.1f - 0.3f;
    t[i] = (float)(i % 5) * 0.2f;
  }
  for (i = 0; i < 40; i++) {
    xs[i] = (float)(i % 3) * 0.1f;
    ts[i] = (float)(i % 4) * 0.2f;
  }
#ifndef ONLY_SMALL
  {
    other *o = other_create();
    other_init(o, 3);
    for (step = 0; step < 3; step++) {
      int rc = other_fit(o, 5, x, t, &loss);
      printf("other step %d rc=%d loss=%.9g\n", step, rc, loss);
    }
    other_destroy(o);
  }
#endif
#ifndef ONLY_OTHER
  {
    small *s = small_create();
    small_init(s, 1);
    for (step = 0; step < 3; step++) {
      int rc = small_fit(s, 5, xs, ts, &loss);
      printf("small step %d rc=%d loss=%.9g\n", step, rc, loss);
    }
    small_destroy(s);
  }
#endif
  return 0;
}
