//===- Program.cpp - The checked, elaborated program ----------------------===//

#include "dsl/Program.h"

namespace modc {
namespace sema {

const char *initKindName(InitKind kind) {
  switch (kind) {
  case InitKind::Zeros:
    return "zeros";
  case InitKind::Ones:
    return "ones";
  case InitKind::Const:
    return "const";
  case InitKind::Normal:
    return "normal";
  case InitKind::Uniform:
    return "uniform";
  case InitKind::Xavier:
    return "xavier";
  }
  return "zeros";
}

namespace {
void flattenMembers(const std::vector<std::pair<int, int>> &order,
                    const std::vector<ParamSpec> &params,
                    const std::vector<InstanceSpec> &instances,
                    const std::string &prefix, bool frozen,
                    std::vector<FlatParam> &out) {
  for (auto [kind, index] : order) {
    if (kind == 0) {
      const ParamSpec &p = params[index];
      FlatParam fp;
      fp.name = prefix + p.name;
      fp.loc = p.loc;
      fp.type = p.type;
      fp.trainable = !(frozen || p.frozen);
      fp.init = p.init;
      fp.initArgs = p.initArgs;
      out.push_back(std::move(fp));
      continue;
    }
    const InstanceSpec &inst = instances[index];
    if (!inst.module)
      continue;
    if (!inst.isArray) {
      flattenModule(*inst.module, prefix + inst.name + ".",
                    frozen || inst.frozen, out);
      continue;
    }
    for (int64_t i = 0; i < inst.count; ++i)
      flattenModule(*inst.module,
                    prefix + inst.name + "." + std::to_string(i) + ".",
                    frozen || inst.frozen, out);
  }
}
} // namespace

void flattenModule(const ModuleSpec &module, const std::string &prefix,
                   bool frozen, std::vector<FlatParam> &out) {
  flattenMembers(module.memberOrder, module.params, module.instances, prefix,
                 frozen, out);
}

std::vector<FlatParam> Program::flatParams() const {
  std::vector<FlatParam> out;
  flattenMembers(memberOrder, params, instances, "", false, out);
  return out;
}

} // namespace sema
} // namespace modc
