//===- Stats.cpp - What each modc pass did, for `modc --stats` ------------===//

#include "ir/Stats.h"

#include <mutex>
#include <vector>

namespace modc {

namespace {
struct Counter {
  std::string pass, name;
  int64_t value;
};
std::mutex mutex;
std::vector<Counter> &counters() {
  static std::vector<Counter> all;
  return all;
}
} // namespace

void recordStat(llvm::StringRef pass, llvm::StringRef name, int64_t n) {
  std::lock_guard<std::mutex> lock(mutex);
  for (Counter &c : counters())
    if (c.pass == pass && c.name == name) {
      c.value += n;
      return;
    }
  counters().push_back({pass.str(), name.str(), n});
}

std::string statsReport() {
  std::lock_guard<std::mutex> lock(mutex);
  std::string out;
  for (const Counter &c : counters())
    out += c.pass + ": " + c.name + " = " + std::to_string(c.value) + "\n";
  return out;
}

void resetStats() {
  std::lock_guard<std::mutex> lock(mutex);
  counters().clear();
}

} // namespace modc
