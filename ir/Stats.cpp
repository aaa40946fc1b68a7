//===- Stats.cpp - What each modc pass did, for `modc --stats` ------------===//

#include "ir/Stats.h"

#include "llvm/ADT/DenseMap.h"

#include <mutex>
#include <vector>

namespace modc {

namespace {
struct Counter {
  std::string pass, name;
  int64_t value;
};

/// The tables of all contexts. One lock: passes record a few counters each,
/// and contexts on other threads only contend for that instant.
struct Registry {
  std::mutex mutex;
  llvm::DenseMap<mlir::MLIRContext *, std::vector<Counter>> tables;
};

Registry &registry() {
  static Registry *r = new Registry(); // Never destroyed: used at exit.
  return *r;
}
} // namespace

void recordStat(mlir::MLIRContext *context, llvm::StringRef pass,
                llvm::StringRef name, int64_t n) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<Counter> &table = r.tables[context];
  for (Counter &c : table)
    if (c.pass == pass && c.name == name) {
      c.value += n;
      return;
    }
  table.push_back({pass.str(), name.str(), n});
}

std::string statsReport(mlir::MLIRContext *context) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::string out;
  auto it = r.tables.find(context);
  if (it == r.tables.end())
    return out;
  for (const Counter &c : it->second)
    out += c.pass + ": " + c.name + " = " + std::to_string(c.value) + "\n";
  return out;
}

void resetStats(mlir::MLIRContext *context) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.tables.erase(context);
}

} // namespace modc
