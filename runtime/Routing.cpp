//===- Routing.cpp - Routing decisions, dispatch plans and checks ---------===//
//
// The run-time half of routing (LANGUAGE.md §7), called by generated code
// through MLIR's C interface (`_mlir_ciface_NAME(descriptor*...)`):
// - one decision function per router, writing per row K slots of
//   (target index, weight), index -1 for an empty slot;
// - a plan grouping the chosen rows by target (row order kept), so each
//   target runs once on its packed rows;
// - the weighted scatter of target outputs back to their rows;
// - run-time checks (ids in range), which record an error for the entry
//   wrapper to return (code 1) instead of reading out of bounds.
//
// The generated code lowers these with the pass mod-lower-routing
// (conversion/LowerRouting.cpp); the two must change together.
//
//===----------------------------------------------------------------------===//

#include "modrt/routing.h"
#include "modrt/hash.h"
#include "modrt/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

namespace {

/// Element i (or (i, j)) of a memref descriptor of modrt/routing.h; T
/// must be its element type.
template <typename T, typename M> T &at(M *m, int64_t i) {
  static_assert(std::is_same_v<T, std::remove_pointer_t<decltype(m->aligned)>>);
  return m->aligned[m->offset + i * m->strides[0]];
}
template <typename T, typename M> T &at(M *m, int64_t i, int64_t j) {
  static_assert(std::is_same_v<T, std::remove_pointer_t<decltype(m->aligned)>>);
  return m->aligned[m->offset + i * m->strides[0] + j * m->strides[1]];
}

using Logits = modrt_memref2d_f32;
using Slots = modrt_memref2d_i64;
using List = modrt_memref1d_i64;
using Text = modrt_memref1d_i8;

/// The first error raised by generated code during the current entry call.
struct KernelError {
  int code = 0;
  char message[512] = {0};
};
thread_local KernelError kernelError;

/// A capacity in rows, min(ceil(wanted), rows) for wanted >= 0: clamped in
/// double before the conversion (a huge capacity overflowed it).
int64_t capacityRows(double wanted, int64_t rows) {
  return int64_t(std::min(std::ceil(wanted), double(rows)));
}

void raise(int code, const char *fmt, ...) {
  if (kernelError.code != 0)
    return;
  kernelError.code = code;
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(kernelError.message, sizeof(kernelError.message), fmt, args);
  va_end(args);
}

std::string messageOf(Text *msg) {
  if (!msg || msg->sizes[0] <= 0)
    return "";
  std::string s;
  for (int64_t i = 0; i < msg->sizes[0]; ++i)
    s.push_back(char(at<int8_t>(msg, i)));
  return s;
}

/// a > b with NaN above every number (torch.topk's order), a strict weak
/// order that std::stable_sort needs (plain `>` is none once NaN appears).
bool greater(double a, double b) {
  if (std::isnan(a))
    return !std::isnan(b);
  return !std::isnan(b) && a > b;
}

/// Softmax of `n` values, computed in double.
void softmaxInto(const std::vector<double> &in, std::vector<double> &out) {
  double m = -INFINITY;
  for (double v : in)
    m = std::max(m, v);
  double sum = 0;
  out.resize(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    out[i] = std::exp(in[i] - m);
    sum += out[i];
  }
  for (double &v : out)
    v /= sum;
}

void clearSlots(Slots *idx, Logits *w) {
  for (int64_t r = 0; r < idx->sizes[0]; ++r)
    for (int64_t j = 0; j < idx->sizes[1]; ++j) {
      at<int64_t>(idx, r, j) = -1;
      at<float>(w, r, j) = 0.0f;
    }
}

void raiseTaskId(Text *msg, int64_t row, int64_t id, int64_t numTargets) {
  raise(MODRT_EINVAL, "%s, row %lld: task id %lld is outside [0, %lld)",
        messageOf(msg).c_str(), (long long)row, (long long)id,
        (long long)numTargets);
}

void raiseIndex(Text *msg, int64_t pos, int64_t id, int64_t bound) {
  raise(MODRT_EINVAL, "%s: id %lld at position %lld is outside [0, %lld)",
        messageOf(msg).c_str(), (long long)id, (long long)pos,
        (long long)bound);
}

template <typename Ids>
void routeIds(Ids *ids, int64_t numTargets, Slots *idx, Logits *w, Text *msg,
              bool hash) {
  using Id = std::remove_pointer_t<decltype(ids->aligned)>;
  int64_t rows = ids->sizes[0];
  for (int64_t r = 0; r < rows; ++r) {
    Id id = at<Id>(ids, r);
    int64_t target;
    if (hash) {
      target = int64_t(modrt_fmix32(uint32_t(uint64_t(int64_t(id)))) %
                       uint32_t(numTargets));
    } else {
      target = int64_t(id);
      if (target < 0 || target >= numTargets) {
        raiseTaskId(msg, r, target, numTargets);
        target = -1;
      }
    }
    at<int64_t>(idx, r, 0) = target;
    at<float>(w, r, 0) = target >= 0 ? 1.0f : 0.0f;
  }
}

template <typename Ids> void checkIndex(Ids *ids, int64_t bound, Text *msg) {
  using Id = std::remove_pointer_t<decltype(ids->aligned)>;
  for (int64_t i = 0; i < ids->sizes[0]; ++i) {
    int64_t id = int64_t(at<Id>(ids, i));
    if (id < 0 || id >= bound) {
      raiseIndex(msg, i, id, bound);
      modrt_kernel_fail_now();
      return;
    }
  }
}

} // namespace

extern "C" {

void modrt_kernel_raise(int code, const char *message) {
  raise(code, "%s", message);
}

int modrt_kernel_error_take(modrt_model *m) {
  int code = kernelError.code;
  if (code == 0)
    return 0;
  kernelError.code = 0;
  modrt_fail(m, code, "%s", kernelError.message);
  return code;
}

void modrt_kernel_error_clear(void) { kernelError.code = 0; }

int modrt_kernel_error_pending(void) { return kernelError.code != 0; }

void _mlir_ciface_modrt_route_topk(Logits *logits, int64_t k, int64_t normalize,
                                   double capacity, Slots *idx, Logits *w) {
  int64_t rows = logits->sizes[0], e = logits->sizes[1];
  clearSlots(idx, w);
  std::vector<double> row(static_cast<size_t>(e)), probs;
  std::vector<int64_t> order(static_cast<size_t>(e));
  std::vector<int64_t> load(size_t(e), 0);
  // capacity > 0: each target keeps the first C rows (row order) choosing it.
  int64_t cap = -1;
  if (capacity > 0)
    cap = capacityRows(capacity * double(rows) * double(k) / double(e), rows);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t t = 0; t < e; ++t) {
      row[t] = at<float>(logits, r, t);
      order[t] = t;
    }
    // Largest first; ties to the lower index (stable on the index order).
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return greater(row[a], row[b]);
    });
    std::vector<double> chosen(static_cast<size_t>(k));
    for (int64_t j = 0; j < k; ++j)
      chosen[j] = row[order[j]];
    std::vector<double> weights(static_cast<size_t>(k));
    if (normalize) {
      softmaxInto(chosen, probs);
      weights = probs;
    } else {
      softmaxInto(row, probs);
      for (int64_t j = 0; j < k; ++j)
        weights[j] = probs[order[j]];
    }
    for (int64_t j = 0; j < k; ++j) {
      int64_t t = order[j];
      if (cap >= 0 && load[t] >= cap)
        continue;
      ++load[t];
      at<int64_t>(idx, r, j) = t;
      at<float>(w, r, j) = float(weights[j]);
    }
  }
}

void _mlir_ciface_modrt_route_softmax(Logits *logits, Slots *idx, Logits *w) {
  int64_t rows = logits->sizes[0], e = logits->sizes[1];
  std::vector<double> row(static_cast<size_t>(e)), probs;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t t = 0; t < e; ++t)
      row[t] = at<float>(logits, r, t);
    softmaxInto(row, probs);
    for (int64_t t = 0; t < e; ++t) {
      at<int64_t>(idx, r, t) = t;
      at<float>(w, r, t) = float(probs[t]);
    }
  }
}

void _mlir_ciface_modrt_route_expert_choice(Logits *logits, double capacity,
                                            Slots *idx, Logits *w) {
  int64_t rows = logits->sizes[0], e = logits->sizes[1];
  clearSlots(idx, w);
  std::vector<double> p(static_cast<size_t>(rows * e)),
      row(static_cast<size_t>(e)), probs;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t t = 0; t < e; ++t)
      row[t] = at<float>(logits, r, t);
    softmaxInto(row, probs);
    for (int64_t t = 0; t < e; ++t)
      p[r * e + t] = probs[t];
  }
  int64_t c = capacityRows(capacity * double(rows) / double(e), rows);
  std::vector<int64_t> order(static_cast<size_t>(rows));
  for (int64_t t = 0; t < e; ++t) {
    for (int64_t r = 0; r < rows; ++r)
      order[r] = r;
    // Largest p[:, t] first; ties to the lower row.
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return greater(p[a * e + t], p[b * e + t]);
    });
    for (int64_t i = 0; i < c; ++i) {
      int64_t r = order[i];
      at<int64_t>(idx, r, t) = t;
      at<float>(w, r, t) = float(p[r * e + t]);
    }
  }
}

void _mlir_ciface_modrt_route_task_i32(modrt_memref1d_i32 *ids, int64_t e,
                                       Slots *idx, Logits *w, Text *msg) {
  routeIds(ids, e, idx, w, msg, false);
}
void _mlir_ciface_modrt_route_task_i64(List *ids, int64_t e, Slots *idx,
                                       Logits *w, Text *msg) {
  routeIds(ids, e, idx, w, msg, false);
}
void _mlir_ciface_modrt_route_hash_i32(modrt_memref1d_i32 *ids, int64_t e,
                                       Slots *idx, Logits *w) {
  routeIds(ids, e, idx, w, nullptr, true);
}
void _mlir_ciface_modrt_route_hash_i64(List *ids, int64_t e, Slots *idx,
                                       Logits *w) {
  routeIds(ids, e, idx, w, nullptr, true);
}

void _mlir_ciface_modrt_route_weights(Logits *weights, Slots *idx, Logits *w) {
  int64_t rows = weights->sizes[0], e = weights->sizes[1];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < e; ++t) {
      float v = at<float>(weights, r, t);
      at<int64_t>(idx, r, t) = v != 0.0f ? t : -1;
      at<float>(w, r, t) = v != 0.0f ? v : 0.0f;
    }
}

void _mlir_ciface_modrt_route_plan(Slots *idx, int64_t e, List *counts,
                                   List *rowsOut, List *slotsOut) {
  int64_t rows = idx->sizes[0], k = idx->sizes[1];
  for (int64_t t = 0; t < e; ++t)
    at<int64_t>(counts, t) = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < k; ++j) {
      int64_t t = at<int64_t>(idx, r, j);
      if (t >= 0 && t < e)
        ++at<int64_t>(counts, t);
    }
  std::vector<int64_t> next(size_t(e), 0);
  for (int64_t t = 1; t < e; ++t)
    next[t] = next[t - 1] + at<int64_t>(counts, t - 1);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < k; ++j) {
      int64_t t = at<int64_t>(idx, r, j);
      if (t < 0 || t >= e)
        continue;
      int64_t pos = next[t]++;
      at<int64_t>(rowsOut, pos) = r;
      at<int64_t>(slotsOut, pos) = j;
    }
}

/// out[i] = the target of packed row i, for the rows of a plan with these
/// counts (rows past the counts' sum: 0).
void _mlir_ciface_modrt_route_group_ids(List *counts, List *out) {
  int64_t n = out->sizes[0], e = counts->sizes[0], pos = 0;
  for (int64_t t = 0; t < e; ++t)
    for (int64_t c = at<int64_t>(counts, t); c > 0 && pos < n; --c)
      at<int64_t>(out, pos++) = t;
  while (pos < n)
    at<int64_t>(out, pos++) = 0;
}

/// y[row] op= ye for the modrt_scatter_mode `mode`.
void _mlir_ciface_modrt_route_scatter(Logits *y, Logits *ye, List *rows,
                                      List *slots, int64_t begin, Logits *w,
                                      int64_t mode) {
  int64_t n = ye->sizes[0], g = ye->sizes[1];
  for (int64_t i = 0; i < n; ++i) {
    int64_t r = at<int64_t>(rows, begin + i);
    int64_t j = at<int64_t>(slots, begin + i);
    float weight = at<float>(w, r, j);
    for (int64_t c = 0; c < g; ++c) {
      float v = at<float>(ye, i, c);
      float &dst = at<float>(y, r, c);
      if (mode == MODRT_SCATTER_WEIGHTED)
        dst += weight * v;
      else if (mode == MODRT_SCATTER_SUM)
        dst += v;
      else if (v > dst || std::isnan(v))
        dst = v; // NaN wins, as torch.maximum (std::max would drop it)
    }
  }
}

/// MODRT_SCATTER_SUM (mean): divide by the number of chosen targets;
/// MODRT_SCATTER_MAX: rows nothing chose become 0.
void _mlir_ciface_modrt_route_finish(Logits *y, Slots *idx, int64_t mode) {
  int64_t rows = y->sizes[0], g = y->sizes[1], k = idx->sizes[1];
  for (int64_t r = 0; r < rows; ++r) {
    int64_t chosen = 0;
    for (int64_t j = 0; j < k; ++j)
      chosen += at<int64_t>(idx, r, j) >= 0;
    for (int64_t c = 0; c < g; ++c) {
      float &v = at<float>(y, r, c);
      if (chosen == 0)
        v = 0.0f;
      else if (mode == MODRT_SCATTER_SUM)
        v = float(double(v) / double(chosen));
    }
  }
}

/// dense[r, t] = sum of the weights of the slots of row r naming t;
/// dense[r, E] = number of chosen slots of row r.
void _mlir_ciface_modrt_route_dense(Slots *idx, Logits *w, int64_t e,
                                    Logits *dense) {
  int64_t rows = idx->sizes[0], k = idx->sizes[1];
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t t = 0; t <= e; ++t)
      at<float>(dense, r, t) = 0.0f;
    for (int64_t j = 0; j < k; ++j) {
      int64_t t = at<int64_t>(idx, r, j);
      if (t < 0 || t >= e)
        continue;
      at<float>(dense, r, t) += at<float>(w, r, j);
      at<float>(dense, r, e) += 1.0f;
    }
  }
}

/// Groups the rows of `dense` ([R, E+1], from modrt_route_dense) that mix
/// the parameters identically (the same E weights, bit for bit; rows that
/// chose nothing form their own groups): order[0..R) lists the rows group
/// by group (each group in row order, the groups in order of their first
/// row), offsets[u] is where group u starts, offsets[U] = R, and
/// numGroups[0] = U. `merge` then mixes the parameters once per group.
void _mlir_ciface_modrt_route_distinct(Logits *dense, List *order,
                                       List *offsets, List *numGroups) {
  int64_t rows = dense->sizes[0], cols = dense->sizes[1];
  std::vector<int64_t> sorted(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r)
    sorted[size_t(r)] = r;
  auto bitsOf = [&](int64_t r, int64_t c) {
    float v = at<float>(dense, r, c);
    uint32_t b;
    std::memcpy(&b, &v, sizeof(b));
    return b;
  };
  auto less = [&](int64_t a, int64_t b) {
    for (int64_t c = 0; c < cols; ++c) {
      uint32_t x = bitsOf(a, c), y = bitsOf(b, c);
      if (x != y)
        return x < y;
    }
    return a < b;
  };
  std::sort(sorted.begin(), sorted.end(), less);
  auto same = [&](int64_t a, int64_t b) {
    for (int64_t c = 0; c < cols; ++c)
      if (bitsOf(a, c) != bitsOf(b, c))
        return false;
    return true;
  };
  // Groups of equal rows, then ordered by their first (smallest) row.
  std::vector<std::pair<int64_t, int64_t>> groups; // (first row, start)
  for (int64_t i = 0; i < rows; ++i)
    if (i == 0 || !same(sorted[size_t(i - 1)], sorted[size_t(i)]))
      groups.push_back({sorted[size_t(i)], i});
  std::vector<int64_t> ends(groups.size());
  for (size_t g = 0; g < groups.size(); ++g)
    ends[g] = g + 1 < groups.size() ? groups[g + 1].second : rows;
  std::vector<size_t> byFirst(groups.size());
  for (size_t g = 0; g < groups.size(); ++g)
    byFirst[g] = g;
  std::sort(byFirst.begin(), byFirst.end(), [&](size_t a, size_t b) {
    return groups[a].first < groups[b].first;
  });
  int64_t next = 0;
  for (size_t u = 0; u < byFirst.size(); ++u) {
    size_t g = byFirst[u];
    at<int64_t>(offsets, int64_t(u)) = next;
    for (int64_t i = groups[g].second; i < ends[g]; ++i)
      at<int64_t>(order, next++) = sorted[size_t(i)];
  }
  at<int64_t>(offsets, int64_t(byFirst.size())) = next;
  at<int64_t>(numGroups, 0) = int64_t(byFirst.size());
}

void _mlir_ciface_modrt_check_index_i32(modrt_memref1d_i32 *ids, int64_t bound,
                                        Text *msg) {
  checkIndex(ids, bound, msg);
}
void _mlir_ciface_modrt_check_index_i64(List *ids, int64_t bound, Text *msg) {
  checkIndex(ids, bound, msg);
}

void _mlir_ciface_modrt_report_index(int64_t id, int64_t pos, int64_t bound,
                                     Text *msg) {
  raiseIndex(msg, pos, id, bound);
}
void _mlir_ciface_modrt_report_task_id(int64_t id, int64_t row, int64_t bound,
                                       Text *msg) {
  raiseTaskId(msg, row, id, bound);
}

void _mlir_ciface_modrt_check_le(int64_t lhs, int64_t rhs, Text *msg) {
  if (lhs > rhs) {
    raise(MODRT_EINVAL, "%s (got %lld > %lld)", messageOf(msg).c_str(),
          (long long)lhs, (long long)rhs);
    modrt_kernel_fail_now();
  }
}

} // extern "C"

//===----------------------------------------------------------------------===//
// memrefCopy: the strided copy MLIR's memref-to-LLVM lowering calls for
// copies between buffers of non-identity layout (normally provided by
// libmlir_c_runner_utils, which a compiled model must not depend on).
//===----------------------------------------------------------------------===//

namespace {
struct UnrankedMemref {
  int64_t rank;
  void *descriptor;
};
} // namespace

extern "C" void memrefCopy(int64_t elemSize, UnrankedMemref *src,
                           UnrankedMemref *dst) {
  int64_t rank = src->rank;
  auto fields = [](UnrankedMemref *m, char *&aligned, int64_t &offset,
                   int64_t *&sizes, int64_t *&strides) {
    char *base = static_cast<char *>(m->descriptor);
    aligned = *reinterpret_cast<char **>(base + sizeof(void *));
    int64_t *ints = reinterpret_cast<int64_t *>(base + 2 * sizeof(void *));
    offset = ints[0];
    sizes = ints + 1;
    strides = ints + 1 + m->rank;
  };
  char *sp, *dp;
  int64_t so, doff, *ss, *sst, *ds, *dst_;
  fields(src, sp, so, ss, sst);
  fields(dst, dp, doff, ds, dst_);
  int64_t total = 1;
  for (int64_t i = 0; i < rank; ++i)
    total *= ss[i];
  if (total == 0)
    return;
  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  for (int64_t n = 0; n < total; ++n) {
    int64_t s = so, d = doff;
    for (int64_t i = 0; i < rank; ++i) {
      s += index[i] * sst[i];
      d += index[i] * dst_[i];
    }
    std::memcpy(dp + d * elemSize, sp + s * elemSize, size_t(elemSize));
    for (int64_t i = rank - 1; i >= 0; --i) {
      if (++index[i] < ss[i])
        break;
      index[i] = 0;
    }
  }
}
