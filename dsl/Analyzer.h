//===- Analyzer.h - Semantic analysis internals ------------------*- C++
//-*-===//
//
// The elaborating analyzer shared by Sema.cpp (globals, dims, the driver),
// SemaDecl.cpp (types, parameters, instances, bodies and statements),
// SemaExpr.cpp (expressions), SemaBuiltins.cpp (builtin type rules, by the
// vocabulary table) and SemaRoute.cpp (routing and aggregation rules).
// Private to dsl/.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_DSL_ANALYZER_H
#define MODC_DSL_ANALYZER_H

#include "dsl/Sema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>
#include <unordered_map>

namespace modc {
namespace detail {

using namespace sema;
using ast::ElemType;
using ast::Expr;
using ast::ExprKind;

inline bool isFloatType(ElemType t) {
  return t == ElemType::F32 || t == ElemType::F16 || t == ElemType::BF16;
}

/// A compile-time or run-time value met during elaboration.
struct Val {
  enum Kind {
    None,     ///< an error was already reported
    Tensor,   ///< `node`
    Int,      ///< compile-time integer or symbolic dim: `dim`
    Float,    ///< compile-time float: `f`
    Instance, ///< instance `index`, element `element` (-1: not an array)
    Array,    ///< a whole instance array `index`
    Builtin,  ///< builtin `name`
    Module,   ///< a module used as a value (an error at use)
    Entry,
    TypeName,
    List,
    Tuple,
    Bool, ///< compile-time boolean: `f` is 1 or 0
    Path, ///< an instance below a model-level one (`layers[2].down`):
          ///< `name` its state_dict prefix, `module` and `inst` its decl
  } kind = None;
  const ModuleSpec *module = nullptr;
  const InstanceSpec *inst = nullptr;
  Node *node = nullptr;
  Dim dim;
  double f = 0.0;
  int index = -1;
  int64_t element = -1;
  std::string name;
  ElemType elem = ElemType::F32;
  std::vector<Val> elems;
  /// A Float that comes from a non-exact division of integers (`7 / 2`):
  /// the division's text and place, reported if an integer is needed.
  std::string division;
  SourceLoc divisionLoc;

  static Val none() { return Val(); }
  static Val tensor(Node *n) {
    Val v;
    v.kind = Tensor;
    v.node = n;
    return v;
  }
  static Val integer(Dim d) {
    Val v;
    v.kind = Int;
    v.dim = std::move(d);
    return v;
  }
  static Val flt(double f) {
    Val v;
    v.kind = Float;
    v.f = f;
    return v;
  }
  bool isStaticInt() const { return kind == Int && dim.isStatic(); }
};

inline std::string formatFloat(double f) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", f);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  return s;
}

/// Parameters and instances visible by name in a body: a module's own, or
/// the model's (shared by every entry, built once).
struct Members {
  std::unordered_map<std::string, int> params;
  std::unordered_map<std::string, int> instances;
  /// Declarations that failed (reported): a use is silently None instead of
  /// a second error.
  std::unordered_map<std::string, SourceLoc> failed;
};

/// What a train block's statements collect while it is elaborated.
struct TrainState {
  TrainSpec *spec = nullptr;
  Node *loss = nullptr;
  SourceLoc minimizeLoc;
  bool sawMinimize = false;
  /// Parameters already named by an update line, with that line.
  std::map<std::string, SourceLoc> updated;
  /// Every parameter of the model by state_dict name (index into flat).
  std::vector<FlatParam> flat;
};

/// What a body may refer to: a module's own members, or the model's.
struct Context {
  ModuleSpec *module = nullptr; ///< null in entries
  std::vector<ParamSpec> *params = nullptr;
  std::vector<InstanceSpec> *instances = nullptr;
  std::map<std::string, Val> templateArgs;
  std::shared_ptr<Members> members = std::make_shared<Members>();
  Body *body = nullptr;
  std::vector<std::string> argNames;
  std::vector<TensorType> argTypes;
  /// The function being elaborated (locations of its arguments and template
  /// parameters, for notes); null for dims and template arguments.
  const ast::Function *fn = nullptr;
  /// The Arg node of each argument, and the one Param node of each
  /// parameter read so far (a body reads a parameter through one node).
  std::vector<Node *> argNodes;
  std::map<int, Node *> paramNodes;
  /// Lexical scopes of lets and loop variables, innermost last.
  std::vector<std::map<std::string, std::pair<Val, SourceLoc>>> scopes;
  /// In a module: the dyn symbol of its first argument's leading dim, along
  /// which it must be row-independent (-1: none).
  int leadingDyn = -1;
  /// A rank-polymorphic module: how many dims `...` stands for here (-1:
  /// `...` is not allowed), and their symbols, along all of which the body
  /// must be row-independent.
  int batchRank = -1;
  std::vector<int> batchDyns;
  std::string moduleDisplay;
  /// In a train block: what `minimize` and `update` record.
  TrainState *train = nullptr;
};

class Analyzer {
public:
  Analyzer(const ast::File &file, DiagnosticEngine &diags,
           const SemaOptions &options)
      : file_(file), diags_(diags), options_(options) {}

  std::unique_ptr<Program> run();

private:
  // Declarations.
  void collectGlobals();
  std::optional<int64_t> evalDim(const std::string &name);
  /// Evaluates every dim, dependencies first, reporting cycles.
  void orderDims();
  /// Duplicate template parameters and arguments of every module and entry.
  void checkSignatureNames();
  /// Where `name` is already defined in the function scope of `ctx`
  /// (argument, template parameter, parameter, instance), if it is.
  std::optional<SourceLoc> functionScopeName(const std::string &name,
                                             const Context &ctx) const;
  /// Counts elaboration work (unrolled statements, created operations);
  /// false once the budget is spent, after reporting it once at `loc`.
  bool spend(SourceLoc loc, uint64_t units = 1);
  /// Flat parameter tensors and elements below a module, memoized and
  /// saturated at kMaxDim: bounds what --print-params and codegen expand.
  std::pair<int64_t, int64_t> paramFootprint(const ModuleSpec &m);
  /// The number of nodes a call of `m` becomes once every module it
  /// applies or routes to is inlined (saturating): a chain of modules each
  /// applying the next twice doubles it per level.
  uint64_t inlinedSize(const ModuleSpec &m);
  /// Spends what a call inlines (`size`): only for a program without errors
  /// so far, the one that gets imported and compiled (a chain of entries
  /// already refused for its depth is not also over budget).
  bool spendInlined(SourceLoc loc, uint64_t size) {
    return diags_.hasErrors() || spend(loc, size);
  }
  /// The same for a call of entry `index` (entries call entries).
  uint64_t inlinedEntrySize(size_t index);
  /// The nodes of `body` plus what its calls inline (`instances`: the
  /// instances its applies and routes name).
  uint64_t bodySize(const Body &body,
                    const std::vector<InstanceSpec> &instances);
  /// The module a route target or aggregation of `route` (in a body whose
  /// instances are `instances`) calls.
  static const ModuleSpec *
  routeCallee(const RouteInfo &route, size_t target,
              const std::vector<InstanceSpec> &instances);
  /// Reports a model whose parameters exceed those bounds.
  void checkModelSize();
  /// Module templates no instance uses (SemaTemplates.cpp): their names and
  /// their instance cycles, which need no template arguments.
  void checkUninstantiatedTemplates();
  /// Reports `name` as unknown, or as a model-level parameter or instance
  /// out of reach: from a module (`atModelLevel` null), or with
  /// `atModelLevel` appended where a compile-time value was needed.
  void unknownName(const std::string &name, SourceLoc loc,
                   const char *atModelLevel);
  void checkTemplateCycle(const ast::Function &fn);
  void checkTemplateNames(const ast::Function &fn);
  ModuleSpec *instantiate(const ast::InstanceDef &def, Context *outer,
                          bool &ok);
  /// Creates and elaborates one instantiation; `tctx` holds the template
  /// arguments. `batchRank` is the number of dims `...` stands for.
  ModuleSpec *elaborateModule(const ast::Function &fn, Context tctx,
                              const std::string &mangled,
                              const std::string &display, int batchRank,
                              bool &ok);
  /// The instantiation of rank-polymorphic `m` with `batchRank` dims for
  /// `...` (m itself when it has that many, or no `...`).
  const ModuleSpec *batchVariant(const ModuleSpec &m, int batchRank);
  /// The symbol of the i-th dim `...` stands for (a dyn of its own).
  int batchDyn(int i);
  /// Whether `d` mentions a dim the enclosing module must keep rows along.
  bool mentionsRowDim(const Dim &d, const Context &ctx) const;
  /// "its leading dyn 'N'" or "its '...' dims", for messages.
  std::string rowDimsText(const Context &ctx) const;
  bool buildInstance(const ast::InstanceDef &def, Context *ctx,
                     InstanceSpec &out);
  bool buildParam(const ast::ParamDef &def, Context &ctx, ParamSpec &out);
  bool buildType(const ast::TypeExpr &t, Context &ctx, TensorType &out,
                 bool allowDyn);
  /// The function's argument nodes, a scope, then its statements.
  bool runBody(const std::vector<ast::StmtPtr> &stmts, Context &ctx,
               const ast::Function &fn, std::vector<Val> &returned,
               bool &sawReturn, SourceLoc &returnLoc);
  void elaborateBody(const std::vector<ast::StmtPtr> &stmts, Context &ctx,
                     const ast::Function &fn,
                     const std::vector<TensorType> &resultTypes);
  void elaborateEntry(const ast::Function &fn);
  /// A `train` block (SemaTrain.cpp).
  void elaborateTrain(const ast::Function &fn);
  bool execMinimize(const ast::Stmt &s, Context &ctx);
  bool execUpdate(const ast::Stmt &s, Context &ctx);
  /// The model's members as entries and train blocks see them.
  std::shared_ptr<Members> modelMembers();
  /// The start of an entry or a train block (`what` in messages): its name
  /// checked against the library's own functions (nullopt after an error),
  /// `ctx` set up for the model's members, then buildEntryArgs' result.
  std::optional<bool> beginExported(const ast::Function &fn, const char *what,
                                    EntrySpec &entry, Context &ctx,
                                    std::set<int> &used);
  /// Types and dyns of an entry's or train block's arguments; false after
  /// an error.
  bool buildEntryArgs(const ast::Function &fn, Context &ctx, EntrySpec &entry,
                      std::set<int> &used);
  /// Arithmetic has no bool form (true would count as the i1 -1): for a
  /// bool `t`, an error at `loc` saying `what` (e.g. "'relu'") needs a cast,
  /// and false.
  bool requireArithmetic(const TensorType &t, SourceLoc loc,
                         const std::string &what);
  /// At most kMaxEntryDyns dyns in one library function; false after an
  /// error.
  bool checkDynCount(const ast::Function &fn, const std::set<int> &used);
  /// Every dyn in `argTypes` (the arguments of `fn`) must be readable from
  /// their shapes (solveDyns): `f32[P + T]` alone determines neither. False
  /// after reporting the first that is not.
  bool checkDynsSolvable(const ast::Function &fn,
                         const std::vector<TensorType> &argTypes);
  /// max, min or argmax (`name`) of `n` over `axis` of `t`: an error if the
  /// axis is statically empty, else a run-time check when it is a dyn.
  bool requireNonEmptyAxis(Node *n, const TensorType &t, int64_t axis,
                           const std::string &name, SourceLoc loc);
  /// The sizes `shape` of the result of `n` (`what`): an error at `loc` if
  /// one is negative for all dyns, else a run-time check where it may be.
  bool requireNonNegativeSizes(Node *n, const std::vector<Dim> &shape,
                               const std::string &what, SourceLoc loc);
  /// Index of entry `name` in program_->entries, elaborating it first if
  /// needed; -1 on error (reported at `loc`).
  int requireEntry(const std::string &name, SourceLoc loc);

  // Statements and expressions.
  bool execStmts(const std::vector<ast::StmtPtr> &stmts, Context &ctx,
                 std::vector<Val> &returned, bool &sawReturn,
                 SourceLoc &returnLoc);
  Val eval(const Expr &e, Context &ctx);
  Val evalName(const Expr &e, Context &ctx);
  /// The callable the name `e` denotes (instances, builtins, modules,
  /// entries; with `values`, dims and dyns first, as evalName searches),
  /// or nullopt.
  std::optional<Val> callableNamed(const Expr &e, Context &ctx, bool values);
  /// `e` in a call, pipe or route-target position, or left of a `.`:
  /// callables first.
  Val evalCallee(const Expr &e, Context &ctx);
  /// `base.name`: a parameter read or an instance below `base`.
  Val evalMember(const Expr &e, Context &ctx);
  Val evalBinary(const Expr &e, Context &ctx);
  /// `base[items]`: an instance array element or a tensor slice
  /// (SemaSlice.cpp).
  /// `callee`: in a call position (the base is looked up as a callable
  /// first).
  Val evalIndex(const Expr &e, Context &ctx, bool callee = false);
  Val evalSlice(const Expr &e, Node *x, Context &ctx);
  /// A slice bound on a dim of `size`: a linear dim whose dyns the
  /// arguments determine; provably negative ones count from the end.
  /// `written` gets the bound as written, for messages.
  std::optional<Dim> sliceBound(const Expr &e, const Dim &size, Context &ctx,
                                std::string &written);
  Val evalCall(const Expr &e, Context &ctx);
  /// Builtins (SemaBuiltins.cpp). `args`/`names` are the evaluated call
  /// arguments and their names ("" for positional ones).
  /// The slot of `entry` each call argument binds to (positional first,
  /// then by name), or nullopt after a located error: too many, unknown,
  /// repeated or missing arguments.
  std::optional<std::vector<size_t>>
  bindArguments(const vocab::Entry &entry, SourceLoc callLoc,
                const std::vector<SourceLoc> &argLocs,
                const std::vector<std::string> &argNames,
                const std::vector<SourceLoc> &argNameLocs);
  Val evalBuiltin(const Expr &e, const std::string &name,
                  std::vector<Val> &args, Context &ctx);
  /// `route X to T by R [combine A]` (SemaRoute.cpp).
  Val evalRoute(const Expr &e, Context &ctx);
  Val callEntry(const Val &callee, std::vector<Val> args, SourceLoc loc,
                Context &ctx);
  /// Unifies argument types with a module's signature (binding its dyns);
  /// returns the result type, or nullopt after reporting at `loc`.
  /// `callee` gets the instantiation to call (see batchVariant).
  std::optional<TensorType> unifyCall(const InstanceSpec &inst,
                                      const std::vector<TensorType> &args,
                                      SourceLoc loc,
                                      const ModuleSpec **callee = nullptr);
  /// Checks that reducing `axis` of a value of `type` keeps the enclosing
  /// module row-independent.
  bool checkRowIndependent(const TensorType &type, int64_t axis, SourceLoc loc,
                           const std::string &what, Context &ctx);
  /// Normalises `axis` for rank `rank`; reports and returns nullopt if out
  /// of range.
  std::optional<int64_t> normalizeAxis(int64_t axis, size_t rank,
                                       SourceLoc loc);
  Val apply(const Val &callee, std::vector<Val> args, SourceLoc loc,
            Context &ctx);
  Val binaryOp(ast::BinaryOp op, Val a, Val b, SourceLoc loc, Context &ctx);
  std::optional<int64_t> constInt(const Expr &e, Context &ctx,
                                  const char *what);
  /// Where an integer is needed: reports `v` if it is the float result of a
  /// non-exact integer division, and returns true then.
  bool reportInexactDivision(const Val &v);
  std::optional<double> constNumber(const Expr &e, Context &ctx,
                                    const char *what);

  Node *addNode(Context &ctx, Op op, TensorType type, SourceLoc loc,
                std::vector<Node *> operands = {}) {
    ++work_;
    auto n = std::make_unique<Node>();
    n->op = op;
    n->type = std::move(type);
    n->loc = loc;
    n->operands = std::move(operands);
    Node *raw = n.get();
    ctx.body->nodes.push_back(std::move(n));
    return raw;
  }
  /// The number `v` (an int or float, not a dyn) as a scalar of `elem`.
  Node *constNode(Context &ctx, ElemType elem, const Val &v, SourceLoc loc) {
    Node *n = addNode(ctx, Op::Const, TensorType{elem, {}}, loc);
    setNumber(*n, v);
    return n;
  }
  /// Stores the number `v` in `n.constant` (and exactly in
  /// `n.intConstant` for an int).
  static void setNumber(Node &n, const Val &v) {
    bool isFloat = v.kind == Val::Float;
    n.constant = isFloat ? v.f : double(v.dim.constant);
    n.intConstant = isFloat ? 0 : v.dim.constant;
  }
  std::string typeStr(const TensorType &t) const {
    return t.str(program_->dyns);
  }

  Diagnostic &error(SourceLoc loc, std::string msg) {
    return diags_.error(loc, std::move(msg));
  }

  const ast::File &file_;
  DiagnosticEngine &diags_;
  const SemaOptions &options_;
  std::unique_ptr<Program> program_;

  // Global declarations by name.
  std::map<std::string, const ast::DimDecl *> dimDecls_;
  std::map<std::string, int64_t> dimValues_;
  /// Dims being evaluated, outermost first (a cycle is reported with it),
  /// and dims whose value could not be computed (reported once).
  std::vector<std::string> dimStack_;
  std::set<std::string> dimsFailed_;
  /// Elaboration work done so far; see spend().
  uint64_t work_ = 0;
  uint64_t workBudget_ = 0; ///< set on first use, from the file's size
  bool workExceeded_ = false;
  std::map<const ModuleSpec *, std::pair<int64_t, int64_t>> footprints_;
  std::map<const ModuleSpec *, uint64_t> inlined_;
  std::map<size_t, uint64_t> inlinedEntries_;
  /// Model-level parameters and instances whose declaration failed.
  std::map<std::string, SourceLoc> failedModelMembers_;
  /// The model's members as entries see them; built on first use.
  std::shared_ptr<Members> modelMembers_;
  std::map<std::string, int> dynIndex_;
  std::map<std::string, const ast::Function *> moduleDefs_;
  std::map<std::string, const ast::Function *> entryDefs_;
  std::map<std::string, const ast::Function *> trainDefs_;
  std::map<std::string, ModuleSpec *> instantiated_;
  std::vector<std::string> instantiating_;
  /// How each module was instantiated, to instantiate it again with
  /// another number of `...` dims.
  struct Instantiation {
    const ast::Function *fn = nullptr;
    std::map<std::string, Val> templateArgs;
    std::string mangled, display;
  };
  std::map<const ModuleSpec *, Instantiation> instantiations_;
  /// Modules elaborated at least once, by name.
  std::set<std::string> instantiatedNames_;
  /// Uninstantiated templates on a cycle already reported.
  std::set<std::string> inReportedCycle_;
  /// Entry elaboration state: index into program_->entries, or -2 while in
  /// progress, -3 after failure.
  std::map<std::string, int> entryState_;
  /// Entries being elaborated, outermost first (a call cycle's chain).
  std::vector<std::string> entryStack_;
  bool entryDepthReported_ = false;
};

} // namespace detail
} // namespace modc

#endif // MODC_DSL_ANALYZER_H
