//===- Vocabulary.cpp - The table of builtins, routers, aggregations ------===//

#include "vocab/Vocabulary.h"

#include <cstdio>

namespace modc {
namespace vocab {

namespace {

constexpr Arg kX[] = {{"x", ArgType::Tensor}};
constexpr Arg kFloatX[] = {{"x", ArgType::FloatTensor}};
constexpr Arg kSoftmax[] = {{"x", ArgType::FloatTensor},
                            {"axis", ArgType::Int, Default::Value, -1}};
constexpr Arg kArgmax[] = {{"x", ArgType::Tensor},
                           {"axis", ArgType::Int, Default::Value, -1}};
constexpr Arg kReduce[] = {{"x", ArgType::Tensor},
                           {"axis", ArgType::Int},
                           {"keepdims", ArgType::Bool, Default::Value, 0}};
constexpr Arg kMean[] = {{"x", ArgType::FloatTensor},
                         {"axis", ArgType::Int},
                         {"keepdims", ArgType::Bool, Default::Value, 0}};
constexpr Arg kLayernorm[] = {{"x", ArgType::FloatTensor},
                              {"gamma", ArgType::FloatTensor},
                              {"beta", ArgType::FloatTensor},
                              {"eps", ArgType::Number, Default::Value, 1e-5}};
constexpr Arg kRmsnorm[] = {{"x", ArgType::FloatTensor},
                            {"gamma", ArgType::FloatTensor},
                            {"eps", ArgType::Number, Default::Value, 1e-6}};
constexpr Arg kConcat[] = {{"tensors", ArgType::Tensors},
                           {"axis", ArgType::Int, Default::Value, -1}};
constexpr Arg kReshape[] = {{"x", ArgType::Tensor}, {"shape", ArgType::Shape}};
constexpr Arg kTranspose[] = {{"x", ArgType::Tensor},
                              {"perm", ArgType::Permutation}};
constexpr Arg kEmbedding[] = {{"table", ArgType::Tensor},
                              {"ids", ArgType::IdTensor}};
constexpr Arg kOnehot[] = {{"ids", ArgType::IdTensor}, {"n", ArgType::Int}};
constexpr Arg kCast[] = {{"x", ArgType::Tensor}, {"type", ArgType::ElemType}};
constexpr Arg kAttention[] = {{"q", ArgType::FloatTensor},
                              {"k", ArgType::FloatTensor},
                              {"v", ArgType::FloatTensor},
                              {"heads", ArgType::Int, Default::Value, 1},
                              {"causal", ArgType::Bool, Default::Value, 0},
                              {"key_mask", ArgType::Tensor, Default::Absent}};

constexpr Arg kMse[] = {{"a", ArgType::FloatTensor},
                        {"b", ArgType::FloatTensor}};
constexpr Arg kCrossEntropy[] = {{"logits", ArgType::FloatTensor},
                                 {"labels", ArgType::IdTensor}};
constexpr Arg kLoadBalance[] = {{"logits", ArgType::FloatTensor},
                                {"k", ArgType::Int}};

constexpr Arg kPow[] = {{"x", ArgType::Tensor}, {"p", ArgType::Tensor}};
constexpr Arg kPair[] = {{"a", ArgType::Tensor}, {"b", ArgType::Tensor}};
constexpr Arg kClamp[] = {
    {"x", ArgType::Tensor}, {"lo", ArgType::Tensor}, {"hi", ArgType::Tensor}};

constexpr Arg kWhere[] = {
    {"cond", ArgType::Tensor}, {"a", ArgType::Tensor}, {"b", ArgType::Tensor}};

constexpr Arg kSize[] = {{"n", ArgType::Int}};
constexpr Arg kFull[] = {{"shape", ArgType::Shape},
                         {"value", ArgType::Number},
                         {"dtype", ArgType::ElemType, Default::Absent}};

constexpr Arg kSplit[] = {{"x", ArgType::Tensor},
                          {"sizes", ArgType::Shape},
                          {"axis", ArgType::Int, Default::Value, -1}};

constexpr Arg kSgd[] = {{"lr", ArgType::Number},
                        {"momentum", ArgType::Number, Default::Value, 0.0},
                        {"weight_decay", ArgType::Number, Default::Value, 0.0},
                        {"nesterov", ArgType::Bool, Default::Value, 0}};
constexpr Arg kAdam[] = {
    {"lr", ArgType::Number, Default::Value, 1e-3},
    {"beta1", ArgType::Number, Default::Value, 0.9},
    {"beta2", ArgType::Number, Default::Value, 0.999},
    {"eps", ArgType::Number, Default::Value, 1e-8},
    {"weight_decay", ArgType::Number, Default::Value, 0.0}};
constexpr Arg kAdamw[] = {
    {"lr", ArgType::Number, Default::Value, 1e-3},
    {"beta1", ArgType::Number, Default::Value, 0.9},
    {"beta2", ArgType::Number, Default::Value, 0.999},
    {"eps", ArgType::Number, Default::Value, 1e-8},
    {"weight_decay", ArgType::Number, Default::Value, 0.01}};

constexpr Arg kTopk[] = {{"logits", ArgType::FloatTensor},
                         {"k", ArgType::Int},
                         {"normalize", ArgType::Bool, Default::Value, 1},
                         {"capacity", ArgType::Number, Default::Value, 0}};
constexpr Arg kLogits[] = {{"logits", ArgType::FloatTensor}};
constexpr Arg kExpertChoice[] = {{"logits", ArgType::FloatTensor},
                                 {"capacity", ArgType::Number}};
constexpr Arg kIds[] = {{"ids", ArgType::IdTensor}};
constexpr Arg kWeights[] = {{"w", ArgType::FloatTensor}};
constexpr Arg kFixed[] = {{"targets", ArgType::Indices}};

template <size_t N> constexpr size_t count(const Arg (&)[N]) { return N; }

#define MODC_ARGS(a) a, count(a)

constexpr std::string_view kElementwise = "the argument's type";
constexpr std::string_view kMathGeneric = "linalg.generic (math dialect)";

#define MODC_UNARY(id, name, args, lowering)                                   \
  {                                                                            \
    Kind::Builtin, uint8_t(Builtin::id), name, MODC_ARGS(args),                \
        Rule::Elementwise, kElementwise, lowering                              \
  }

constexpr Entry kEntries[] = {
    MODC_UNARY(Relu, "relu", kX, "linalg.generic (arith.maximumf/maxsi)"),
    MODC_UNARY(Gelu, "gelu", kFloatX, "linalg.generic (math.erf), exact"),
    MODC_UNARY(Silu, "silu", kFloatX, "linalg.generic: x * sigmoid(x)"),
    MODC_UNARY(Sigmoid, "sigmoid", kFloatX, kMathGeneric),
    MODC_UNARY(Tanh, "tanh", kFloatX, "linalg.generic (math.tanh)"),
    MODC_UNARY(Exp, "exp", kFloatX, "linalg.generic (math.exp)"),
    MODC_UNARY(Log, "log", kFloatX, "linalg.generic (math.log)"),
    MODC_UNARY(Sqrt, "sqrt", kFloatX, "linalg.generic (math.sqrt)"),
    MODC_UNARY(Abs, "abs", kX, "linalg.generic (math.absf/absi)"),
    {Kind::Builtin, uint8_t(Builtin::Softmax), "softmax", MODC_ARGS(kSoftmax),
     Rule::AlongAxis, "the argument's type",
     "max, exp, sum, divide: linalg.generic"},
    {Kind::Builtin, uint8_t(Builtin::LogSoftmax), "log_softmax",
     MODC_ARGS(kSoftmax), Rule::AlongAxis, "the argument's type",
     "x - max - log(sum(exp)): linalg.generic"},
    {Kind::Builtin, uint8_t(Builtin::Argmax), "argmax", MODC_ARGS(kArgmax),
     Rule::AlongAxis, "i64, the axis dropped",
     "linalg.generic reduction (first maximum)"},
    {Kind::Builtin, uint8_t(Builtin::Sum), "sum", MODC_ARGS(kReduce),
     Rule::Reduce, "the axis dropped, or kept as 1 with keepdims",
     "linalg.reduce"},
    {Kind::Builtin, uint8_t(Builtin::Mean), "mean", MODC_ARGS(kMean),
     Rule::Reduce, "the axis dropped, or kept as 1 with keepdims",
     "linalg.reduce, divided"},
    {Kind::Builtin, uint8_t(Builtin::Max), "max", MODC_ARGS(kReduce),
     Rule::Reduce, "the axis dropped, or kept as 1 with keepdims",
     "linalg.reduce"},
    {Kind::Builtin, uint8_t(Builtin::Layernorm), "layernorm",
     MODC_ARGS(kLayernorm), Rule::Normalize, "the argument's type",
     "linalg.generic over the last axis (biased variance)"},
    {Kind::Builtin, uint8_t(Builtin::Rmsnorm), "rmsnorm", MODC_ARGS(kRmsnorm),
     Rule::Normalize, "the argument's type",
     "linalg.generic over the last axis"},
    {Kind::Builtin, uint8_t(Builtin::Concat), "concat", MODC_ARGS(kConcat),
     Rule::Concat, "sizes added on the axis", "tensor.insert_slice"},
    {Kind::Builtin, uint8_t(Builtin::Reshape), "reshape", MODC_ARGS(kReshape),
     Rule::Reshape, "the given shape (same element count)", "tensor.reshape"},
    {Kind::Builtin, uint8_t(Builtin::Expand), "expand", MODC_ARGS(kReshape),
     Rule::Expand, "the given shape (NumPy broadcast)",
     "linalg.generic (broadcast maps)"},
    {Kind::Builtin, uint8_t(Builtin::Transpose), "transpose",
     MODC_ARGS(kTranspose), Rule::Transpose, "dims permuted",
     "linalg.transpose"},
    {Kind::Builtin, uint8_t(Builtin::Embedding), "embedding",
     MODC_ARGS(kEmbedding), Rule::Embedding,
     "ids' shape + the table's row shape",
     "mod.check_index + linalg.generic (tensor.extract)"},
    {Kind::Builtin, uint8_t(Builtin::Onehot), "onehot", MODC_ARGS(kOnehot),
     Rule::Onehot, "f32, ids' shape + [n]", "mod.check_index + linalg.generic"},
    {Kind::Builtin, uint8_t(Builtin::Cast), "cast", MODC_ARGS(kCast),
     Rule::Cast, "the argument's shape, the given element type",
     "linalg.generic (arith casts)"},
    {Kind::Builtin, uint8_t(Builtin::Attention), "attention",
     MODC_ARGS(kAttention), Rule::Attention, "q's type [B, Tq, D]",
     "linalg.batch_matmul + softmax per head (mod.check_le when causal)"},
    {Kind::Builtin, uint8_t(Builtin::Mse), "mse", MODC_ARGS(kMse), Rule::Loss,
     "f32 scalar: mean((a - b)^2) over all elements",
     "linalg.generic reductions"},
    {Kind::Builtin, uint8_t(Builtin::CrossEntropy), "cross_entropy",
     MODC_ARGS(kCrossEntropy), Rule::Loss,
     "f32 scalar: mean over rows of -log_softmax(logits)[label]",
     "mod.check_index + log_softmax + linalg.generic reductions"},
    {Kind::Builtin, uint8_t(Builtin::LoadBalance), "load_balance",
     MODC_ARGS(kLoadBalance), Rule::Loss,
     "f32 scalar: E * sum_e f_e * P_e (f: top-k fractions, no gradient)",
     "softmax + top-k counts: linalg.generic reductions"},
    {Kind::Builtin, uint8_t(Builtin::ZLoss), "z_loss", MODC_ARGS(kLogits),
     Rule::Loss, "f32 scalar: mean over rows of logsumexp(row)^2",
     "linalg.generic reductions"},
    MODC_UNARY(Softplus, "softplus", kFloatX,
               "linalg.generic: max(x, 0) + log1p(exp(-|x|))"),
    {Kind::Builtin, uint8_t(Builtin::Pow), "pow", MODC_ARGS(kPow),
     Rule::Broadcast, "the broadcast shape, float",
     "linalg.generic (math.powf)"},
    {Kind::Builtin, uint8_t(Builtin::Minimum), "minimum", MODC_ARGS(kPair),
     Rule::Broadcast, "the broadcast shape",
     "linalg.generic (arith.minimumf/minsi)"},
    {Kind::Builtin, uint8_t(Builtin::Maximum), "maximum", MODC_ARGS(kPair),
     Rule::Broadcast, "the broadcast shape",
     "linalg.generic (arith.maximumf/maxsi)"},
    {Kind::Builtin, uint8_t(Builtin::Clamp), "clamp", MODC_ARGS(kClamp),
     Rule::Broadcast, "the broadcast shape",
     "linalg.generic: minimum(maximum(x, lo), hi)"},
    {Kind::Builtin, uint8_t(Builtin::Min), "min", MODC_ARGS(kReduce),
     Rule::Reduce, "the axis dropped, or kept as 1 with keepdims",
     "linalg.reduce"},
    {Kind::Builtin, uint8_t(Builtin::Where), "where", MODC_ARGS(kWhere),
     Rule::Broadcast, "the broadcast shape, a's element type (cond bool)",
     "linalg.generic (arith.select)"},
    {Kind::Builtin, uint8_t(Builtin::Eye), "eye", MODC_ARGS(kSize),
     Rule::Constant, "f32 [n, n] (n may be a dyn)",
     "linalg.generic (index compare)"},
    {Kind::Builtin, uint8_t(Builtin::Arange), "arange", MODC_ARGS(kSize),
     Rule::Constant, "i64 [n] (n may be a dyn)", "linalg.generic (index)"},
    {Kind::Builtin, uint8_t(Builtin::Full), "full", MODC_ARGS(kFull),
     Rule::Constant,
     "the given shape; dtype, else i64 for an integer value, f32 for a float",
     "linalg.fill"},
    {Kind::Builtin, uint8_t(Builtin::Kron), "kron", MODC_ARGS(kPair),
     Rule::Kron, "[a0 * b0, a1 * b1] (torch.kron)",
     "linalg.generic over 4 loops + tensor.collapse_shape"},
    {Kind::Builtin, uint8_t(Builtin::Split), "split", MODC_ARGS(kSplit),
     Rule::Split, "a tuple of the pieces (sizes sum to the dim)",
     "tensor.extract_slice per piece"},

    {Kind::Router, uint8_t(Router::Topk), "topk", MODC_ARGS(kTopk),
     Rule::Decision, "k targets per row, weights softmax(k chosen or all E)",
     "mod.topk -> mod.route.decide topk", Aggregation::WeightedSum},
    {Kind::Router, uint8_t(Router::Softmax), "softmax", MODC_ARGS(kLogits),
     Rule::Decision, "every target per row, weights softmax(logits)",
     "mod.softmax_gate -> mod.route.decide softmax_gate",
     Aggregation::WeightedSum},
    {Kind::Router, uint8_t(Router::ExpertChoice), "expert_choice",
     MODC_ARGS(kExpertChoice), Rule::Decision,
     "ceil(capacity * R / E) rows per target, weights softmax(logits)",
     "mod.expert_choice -> mod.route.decide expert_choice",
     Aggregation::WeightedSum},
    {Kind::Router, uint8_t(Router::Task), "task", MODC_ARGS(kIds),
     Rule::Decision, "target ids[r], weight 1",
     "mod.task -> mod.route.decide task", Aggregation::WeightedSum},
    {Kind::Router, uint8_t(Router::Hash), "hash", MODC_ARGS(kIds),
     Rule::Decision, "target fmix32(ids[r]) % E, weight 1",
     "mod.hash -> mod.route.decide hash", Aggregation::WeightedSum},
    {Kind::Router, uint8_t(Router::Weights), "weights", MODC_ARGS(kWeights),
     Rule::Decision, "every target with w[r, e] != 0, weight w[r, e]",
     "mod.weights -> mod.route.decide weights", Aggregation::WeightedSum},
    {Kind::Router, uint8_t(Router::Fixed), "fixed", MODC_ARGS(kFixed),
     Rule::Decision, "the listed targets, weight 1, global",
     "mod.apply per target + mod.aggregate", Aggregation::Sum},
    {Kind::Router, uint8_t(Router::All), "all", nullptr, 0, Rule::Decision,
     "every target, weight 1, global", "mod.apply per target + mod.aggregate",
     Aggregation::Sum},

    {Kind::Aggregation, uint8_t(Aggregation::WeightedSum), "weighted_sum",
     nullptr, 0, Rule::Combine, "the targets' result type",
     "mod.dispatch weighted_sum -> mod.route.scatter weighted"},
    {Kind::Aggregation, uint8_t(Aggregation::Sum), "sum", nullptr, 0,
     Rule::Combine, "the targets' result type",
     "mod.dispatch sum -> mod.route.scatter sum; mod.aggregate sum"},
    {Kind::Aggregation, uint8_t(Aggregation::Mean), "mean", nullptr, 0,
     Rule::Combine, "the targets' result type",
     "mod.dispatch mean -> mod.route.scatter sum, divided; mod.aggregate "
     "mean"},
    {Kind::Aggregation, uint8_t(Aggregation::Max), "max", nullptr, 0,
     Rule::Combine, "the targets' result type",
     "mod.dispatch max -> mod.route.scatter max; mod.aggregate max"},
    {Kind::Aggregation, uint8_t(Aggregation::Concat), "concat", nullptr, 0,
     Rule::Combine, "the last dim times the number of targets",
     "mod.aggregate concat (all and fixed only)"},
    {Kind::Aggregation, uint8_t(Aggregation::Merge), "merge", nullptr, 0,
     Rule::Combine, "the targets' result type",
     "mod.dispatch merge: the module once per row with merged parameters"},

    {Kind::Optimizer, uint8_t(Optimizer::Sgd), "sgd", MODC_ARGS(kSgd),
     Rule::Optimize, "updates in place; state: momentum_buffer",
     "modrt_train_step (runtime/Optimizer.cpp)"},
    {Kind::Optimizer, uint8_t(Optimizer::Adam), "adam", MODC_ARGS(kAdam),
     Rule::Optimize,
     "updates in place; state: exp_avg, exp_avg_sq (L2 in the "
     "gradient)",
     "modrt_train_step (runtime/Optimizer.cpp)"},
    {Kind::Optimizer, uint8_t(Optimizer::Adamw), "adamw", MODC_ARGS(kAdamw),
     Rule::Optimize,
     "updates in place; state: exp_avg, exp_avg_sq (decoupled "
     "weight decay)",
     "modrt_train_step (runtime/Optimizer.cpp)"},
};

#undef MODC_UNARY
#undef MODC_ARGS

constexpr size_t kNumEntries = sizeof(kEntries) / sizeof(kEntries[0]);
constexpr size_t kNumBuiltins = size_t(Builtin::Split) + 1;
constexpr size_t kNumRouters = size_t(Router::All) + 1;
constexpr size_t kNumAggregations = size_t(Aggregation::Merge) + 1;
constexpr size_t kNumOptimizers = size_t(Optimizer::Adamw) + 1;
static_assert(kNumEntries == kNumBuiltins + kNumRouters + kNumAggregations +
                                 kNumOptimizers,
              "one row per Builtin, Router, Aggregation and Optimizer");

constexpr size_t firstOf(Kind kind) {
  switch (kind) {
  case Kind::Builtin:
    return 0;
  case Kind::Router:
    return kNumBuiltins;
  case Kind::Aggregation:
    return kNumBuiltins + kNumRouters;
  case Kind::Optimizer:
    return kNumBuiltins + kNumRouters + kNumAggregations;
  }
  return 0;
}

/// Row i of each kind is the enum value i: entry(Builtin) is an index.
constexpr bool inEnumOrder() {
  for (size_t i = 0; i < kNumEntries; ++i) {
    const Entry &e = kEntries[i];
    if (i < firstOf(e.kind) || i - firstOf(e.kind) != e.id)
      return false;
  }
  return true;
}
static_assert(inEnumOrder(), "rows in the order of the kinds' enums");

void appendJsonString(std::string &out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

void appendDefault(std::string &out, const Arg &a) {
  if (a.def != Default::Value) {
    out += "null";
    return;
  }
  if (a.type == ArgType::Bool) {
    out += a.value != 0 ? "true" : "false";
    return;
  }
  char buf[32];
  if (a.type == ArgType::Int)
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(a.value));
  else
    std::snprintf(buf, sizeof buf, "%.17g", a.value);
  out += buf;
}

} // namespace

int Entry::find(std::string_view arg) const {
  for (size_t i = 0; i < numArgs; ++i)
    if (args[i].name == arg)
      return int(i);
  return -1;
}

size_t Entry::numRequired() const {
  size_t n = 0;
  while (n < numArgs && args[n].def == Default::Required)
    ++n;
  return n;
}

const Entry *entries() { return kEntries; }
size_t numEntries() { return kNumEntries; }

const Entry *lookup(Kind kind, std::string_view name) {
  for (const Entry &e : kEntries)
    if (e.kind == kind && e.name == name)
      return &e;
  return nullptr;
}

const Entry &entry(Builtin b) {
  return kEntries[firstOf(Kind::Builtin) + size_t(b)];
}
const Entry &entry(Router r) {
  return kEntries[firstOf(Kind::Router) + size_t(r)];
}
const Entry &entry(Aggregation a) {
  return kEntries[firstOf(Kind::Aggregation) + size_t(a)];
}

const Entry &entry(Optimizer o) {
  return kEntries[firstOf(Kind::Optimizer) + size_t(o)];
}

std::string_view name(Builtin b) { return entry(b).name; }
std::string_view name(Optimizer o) { return entry(o).name; }
std::string_view name(Router r) { return entry(r).name; }
std::string_view name(Aggregation a) {
  return a == Aggregation::Custom ? "custom" : entry(a).name;
}

bool isReserved(std::string_view name) {
  for (const Entry &e : kEntries)
    if (e.name == name)
      return true;
  return false;
}

std::string_view kindName(Kind kind) {
  switch (kind) {
  case Kind::Builtin:
    return "builtin";
  case Kind::Router:
    return "router";
  case Kind::Aggregation:
    return "aggregation";
  case Kind::Optimizer:
    return "optimizer";
  }
  return "";
}

std::string_view argTypeName(ArgType type) {
  switch (type) {
  case ArgType::Tensor:
    return "tensor";
  case ArgType::FloatTensor:
    return "float tensor";
  case ArgType::IdTensor:
    return "id tensor";
  case ArgType::Tensors:
    return "tensors";
  case ArgType::Indices:
    return "indices";
  case ArgType::Int:
    return "int";
  case ArgType::Number:
    return "number";
  case ArgType::Bool:
    return "bool";
  case ArgType::Shape:
    return "shape";
  case ArgType::Permutation:
    return "permutation";
  case ArgType::ElemType:
    return "element type";
  }
  return "";
}

std::string toJson() {
  std::string out = "[";
  for (size_t i = 0; i < kNumEntries; ++i) {
    const Entry &e = kEntries[i];
    out += i ? ",\n " : "";
    out += "{\"kind\": ";
    appendJsonString(out, kindName(e.kind));
    out += ", \"name\": ";
    appendJsonString(out, e.name);
    out += ", \"args\": [";
    for (size_t j = 0; j < e.numArgs; ++j) {
      const Arg &a = e.args[j];
      out += j ? ", " : "";
      out += "{\"name\": ";
      appendJsonString(out, a.name);
      out += ", \"type\": ";
      appendJsonString(out, argTypeName(a.type));
      out += ", \"required\": ";
      out += a.def == Default::Required ? "true" : "false";
      out += ", \"default\": ";
      appendDefault(out, a);
      out += "}";
    }
    out += "], \"result\": ";
    appendJsonString(out, e.result);
    out += ", \"lowering\": ";
    appendJsonString(out, e.lowering);
    if (e.kind == Kind::Router) {
      out += ", \"default_combine\": ";
      appendJsonString(out, name(e.defaultCombine));
    }
    out += "}";
  }
  out += "]\n";
  return out;
}

} // namespace vocab
} // namespace modc
