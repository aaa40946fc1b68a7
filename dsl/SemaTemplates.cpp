//===- SemaTemplates.cpp - Module templates nothing instantiates ----------===//
//
// Every body is checked (LANGUAGE.md §4), also a template's that no
// instance uses. Without template arguments there are no concrete shapes to
// elaborate, so what can be decided without them is: every name resolves to
// something the module may use (the errors elaboration would give), and the
// module's instances do not lead back to it (a cycle is an error whether or
// not anything uses it, §2).
//
//===----------------------------------------------------------------------===//

#include "dsl/Analyzer.h"

#include "vocab/Vocabulary.h"

namespace modc {
namespace detail {

namespace {

/// Calls `f` on every instance declaration of `stmts`, `for` bodies
/// included.
template <typename F>
void forEachInstance(const std::vector<ast::StmtPtr> &stmts, F &&f) {
  for (const ast::StmtPtr &s : stmts) {
    if (s->kind == ast::StmtKind::Instance && s->instance)
      f(*s->instance);
    if (s->kind == ast::StmtKind::For)
      forEachInstance(s->body, f);
  }
}

} // namespace

void Analyzer::checkUninstantiatedTemplates() {
  for (auto &def : file_.modules) {
    if (def->templateParams.empty() || diags_.limitReached())
      continue;
    auto known = moduleDefs_.find(def->name);
    if (known == moduleDefs_.end() || known->second != def.get() ||
        instantiatedNames_.count(def->name))
      continue;
    if (!inReportedCycle_.count(def->name))
      checkTemplateCycle(*def);
    checkTemplateNames(*def);
  }
}

void Analyzer::checkTemplateCycle(const ast::Function &fn) {
  // Depth-first over "declares an instance of", from fn back to fn.
  std::vector<std::string> path = {fn.name};
  std::set<std::string> done;
  std::function<bool(const ast::Function &)> visit =
      [&](const ast::Function &m) -> bool {
    bool found = false;
    forEachInstance(m.body, [&](const ast::InstanceDef &inst) {
      if (found)
        return;
      auto callee = moduleDefs_.find(inst.module);
      if (callee == moduleDefs_.end())
        return;
      if (inst.module == fn.name) {
        std::string msg = "module '" + fn.name + "' instantiates itself";
        if (path.size() > 1) {
          msg += " (";
          for (const std::string &p : path)
            msg += p + " -> ";
          msg += fn.name + ")";
        }
        Diagnostic &d = error(inst.moduleLoc, msg);
        DiagnosticEngine::note(d, fn.nameLoc,
                               "'" + fn.name + "' is defined here");
        // One error per cycle, not one per module on it.
        inReportedCycle_.insert(path.begin(), path.end());
        found = true;
        return;
      }
      if (!done.insert(inst.module).second)
        return;
      path.push_back(inst.module);
      found = visit(*callee->second);
      path.pop_back();
    });
    return found;
  };
  visit(fn);
}

void Analyzer::checkTemplateNames(const ast::Function &fn) {
  std::vector<std::set<std::string>> scopes(1);
  for (const ast::TemplateParam &tp : fn.templateParams)
    scopes[0].insert(tp.name);
  for (const ast::Arg &a : fn.args)
    scopes[0].insert(a.name);
  // Parameters and instances are members wherever they are declared.
  std::function<void(const std::vector<ast::StmtPtr> &)> members =
      [&](const std::vector<ast::StmtPtr> &stmts) {
        for (const ast::StmtPtr &s : stmts) {
          if (s->kind == ast::StmtKind::Param && s->param)
            scopes[0].insert(s->param->name);
          if (s->kind == ast::StmtKind::Instance && s->instance)
            scopes[0].insert(s->instance->name);
          if (s->kind == ast::StmtKind::For)
            members(s->body);
        }
      };
  members(fn.body);

  auto resolve = [&](const std::string &name, SourceLoc loc) {
    for (const auto &scope : scopes)
      if (scope.count(name))
        return;
    if (dimDecls_.count(name) || dynIndex_.count(name) ||
        moduleDefs_.count(name) || entryDefs_.count(name) ||
        vocab::isReserved(name))
      return;
    unknownName(name, loc, nullptr);
  };
  std::function<void(const ast::Expr &)> expr = [&](const ast::Expr &e) {
    if (diags_.limitReached())
      return;
    if (e.kind == ast::ExprKind::Name)
      resolve(e.name, e.loc);
    for (const ast::ExprPtr &op : e.operands)
      if (op)
        expr(*op);
  };
  auto type = [&](const ast::TypeExpr &t) {
    for (const ast::ExprPtr &d : t.dims)
      if (d)
        expr(*d);
  };
  for (const ast::TemplateParam &tp : fn.templateParams)
    if (tp.defaultValue)
      expr(*tp.defaultValue);
  for (const ast::Arg &a : fn.args)
    type(a.type);
  for (const ast::TypeExpr &r : fn.results)
    type(r);
  std::function<void(const std::vector<ast::StmtPtr> &)> stmts =
      [&](const std::vector<ast::StmtPtr> &body) {
        for (const ast::StmtPtr &s : body) {
          switch (s->kind) {
          case ast::StmtKind::Param:
            if (s->param) {
              type(s->param->type);
              if (s->param->init)
                for (const ast::ExprPtr &a : s->param->init->args)
                  expr(*a);
            }
            break;
          case ast::StmtKind::Instance:
            if (s->instance) {
              for (const ast::ExprPtr &a : s->instance->templateArgs)
                expr(*a);
              if (s->instance->count)
                expr(*s->instance->count);
            }
            break;
          case ast::StmtKind::Let:
          case ast::StmtKind::Assign:
          case ast::StmtKind::Return:
          case ast::StmtKind::Minimize:
          case ast::StmtKind::Update:
            if (s->value)
              expr(*s->value);
            if (s->kind == ast::StmtKind::Let)
              scopes.back().insert(s->name);
            break;
          case ast::StmtKind::LetTuple:
            if (s->value)
              expr(*s->value);
            for (const std::string &n : s->names)
              scopes.back().insert(n);
            break;
          case ast::StmtKind::For:
            if (s->lo)
              expr(*s->lo);
            if (s->hi)
              expr(*s->hi);
            scopes.push_back({s->name});
            stmts(s->body);
            scopes.pop_back();
            break;
          }
        }
      };
  stmts(fn.body);
}

} // namespace detail
} // namespace modc
