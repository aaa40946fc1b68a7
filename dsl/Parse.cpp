//===- Parse.cpp - .mod source to AST ------------------------------------===//
//
// Runs the ANTLR lexer and parser, turns their errors into located
// diagnostics and builds the AST with one typed method per grammar rule.
//
//===----------------------------------------------------------------------===//

#include "dsl/Parse.h"

#include "ModLexer.h"
#include "ModParser.h"
#include "antlr4-runtime.h"

#include <exception>

namespace modc {
namespace {

using P = ModParser;

SourceLoc locOf(antlr4::Token *tok) {
  if (!tok)
    return {};
  return {static_cast<uint32_t>(tok->getLine()),
          static_cast<uint32_t>(tok->getCharPositionInLine() + 1)};
}
SourceLoc locOf(antlr4::tree::TerminalNode *node) {
  return node ? locOf(node->getSymbol()) : SourceLoc{};
}
SourceLoc locOf(antlr4::ParserRuleContext *ctx) {
  return ctx ? locOf(ctx->getStart()) : SourceLoc{};
}

/// Makes ANTLR's messages read like the rest of modc's diagnostics.
std::string describeToken(antlr4::Token *tok) {
  if (!tok || tok->getType() == antlr4::Token::EOF)
    return "end of file";
  return "'" + tok->getText() + "'";
}

/// Reports syntax errors in panic mode: after one error, the parser's
/// recovery tends to produce more that only echo it, so further syntax
/// errors are dropped until the parser matches a `;` or `}` again (see
/// ResyncListener). Unexpected characters are always reported.
class ErrorListener : public antlr4::BaseErrorListener {
public:
  explicit ErrorListener(DiagnosticEngine &diags) : diags_(diags) {}

  void resync() { recovering_ = false; }
  void setTokens(antlr4::CommonTokenStream *tokens) { tokens_ = tokens; }

  void syntaxError(antlr4::Recognizer *, antlr4::Token *offending, size_t line,
                   size_t col, const std::string &msg,
                   std::exception_ptr) override {
    if (diags_.limitReached())
      return;
    SourceLoc loc{static_cast<uint32_t>(line), static_cast<uint32_t>(col + 1)};
    if (offending && offending->getType() == ModLexer::ERROR_CHAR) {
      recovering_ = true;
      diags_.error(loc, "unexpected character " + describeToken(offending));
      return;
    }
    if (recovering_)
      return;
    recovering_ = true;
    if (offending && offending->getType() == ModLexer::UNTERMINATED_COMMENT) {
      diags_.error(loc, "unterminated block comment");
      return;
    }
    // A missing token is reported where the previous one ends, as clang
    // does: that is where it was expected, not at the start of whatever
    // follows (often on the next line). The next token gets a note.
    if (offending && tokens_ && msg.rfind("missing ", 0) == 0)
      if (antlr4::Token *prev = previousToken(offending)) {
        std::string what = msg.substr(8, msg.find(" at ") - 8);
        SourceLoc end{static_cast<uint32_t>(prev->getLine()),
                      static_cast<uint32_t>(prev->getCharPositionInLine() +
                                            prev->getText().size() + 1)};
        Diagnostic &d = diags_.error(end, "expected " + what + " after " +
                                              describeToken(prev));
        DiagnosticEngine::note(d, loc,
                               "the next token is " + describeToken(offending));
        return;
      }
    std::string text = msg;
    // ANTLR says "extraneous input 'x' expecting ..." and similar; keep its
    // expectation list but lead with the token we stopped at.
    if (offending)
      text = "syntax error at " + describeToken(offending) + ": " + msg;
    else
      text = "syntax error: " + msg;
    // `dim`, `in`, `int`... are reserved (LANGUAGE.md §1): say so where a
    // name was expected.
    if (offending && isKeyword(offending->getType()) &&
        (msg.find("IDENT") != std::string::npos ||
         followsNameIntroducer(offending)))
      text += " (" + describeToken(offending) + " is a reserved keyword)";
    diags_.error(loc, text);
  }

private:
  static bool isKeyword(size_t type) {
    return type >= ModLexer::MODEL && type <= ModLexer::BOOL;
  }
  /// The default-channel token before `tok`, or null.
  antlr4::Token *previousToken(antlr4::Token *tok) const {
    for (size_t i = tok->getTokenIndex(); i-- > 0;) {
      antlr4::Token *prev = tokens_->get(i);
      if (prev->getChannel() == antlr4::Token::DEFAULT_CHANNEL)
        return prev;
    }
    return nullptr;
  }
  /// Whether the token before `tok` must be followed by a name (`let in`).
  bool followsNameIntroducer(antlr4::Token *tok) const {
    if (!tokens_)
      return false;
    for (size_t i = tok->getTokenIndex(); i-- > 0;) {
      antlr4::Token *prev = tokens_->get(i);
      if (prev->getChannel() != antlr4::Token::DEFAULT_CHANNEL)
        continue;
      switch (prev->getType()) {
      case ModLexer::LET:
      case ModLexer::FOR:
      case ModLexer::DIM:
      case ModLexer::DYN:
      case ModLexer::MODULE:
      case ModLexer::ENTRY:
      case ModLexer::PARAM:
      case ModLexer::MODEL:
        return true;
      default:
        return false;
      }
    }
    return false;
  }

  DiagnosticEngine &diags_;
  antlr4::CommonTokenStream *tokens_ = nullptr;
  bool recovering_ = false;
};

/// Ends the panic mode of ErrorListener when the parser is back in step: it
/// matched the `;` or `}` that ends a statement or a declaration.
class ResyncListener : public antlr4::tree::ParseTreeListener {
public:
  explicit ResyncListener(ErrorListener &errors) : errors_(errors) {}

  void visitTerminal(antlr4::tree::TerminalNode *node) override {
    size_t type = node->getSymbol()->getType();
    if (type == ModLexer::SEMI || type == ModLexer::RBRACE)
      errors_.resync();
  }
  void visitErrorNode(antlr4::tree::ErrorNode *) override {}
  void enterEveryRule(antlr4::ParserRuleContext *) override {}
  void exitEveryRule(antlr4::ParserRuleContext *) override {}

private:
  ErrorListener &errors_;
};

/// Rejects inputs nested deeper than the recursive-descent parser can take
/// without exhausting the stack.
bool checkNesting(antlr4::CommonTokenStream &tokens, DiagnosticEngine &diags) {
  constexpr int kMaxDepth = 256;
  int depth = 0, prefixRun = 0;
  for (antlr4::Token *tok : tokens.getTokens()) {
    if (tok->getChannel() != antlr4::Token::DEFAULT_CHANNEL)
      continue;
    switch (tok->getType()) {
    case ModLexer::LPAREN:
    case ModLexer::LBRACK:
    case ModLexer::LBRACE:
      ++depth;
      ++prefixRun;
      break;
    case ModLexer::RPAREN:
    case ModLexer::RBRACK:
    case ModLexer::RBRACE:
      depth = depth > 0 ? depth - 1 : 0;
      prefixRun = 0;
      break;
    case ModLexer::MINUS:
    case ModLexer::ROUTE:
    case ModLexer::TO:
    case ModLexer::BY:
    case ModLexer::COMBINE:
    case ModLexer::PIPE:
      ++prefixRun;
      break;
    default:
      prefixRun = 0;
      break;
    }
    if (depth > kMaxDepth || prefixRun > kMaxDepth) {
      diags.error(locOf(tok), "expression nested too deeply (limit " +
                                  std::to_string(kMaxDepth) + ")");
      return false;
    }
  }
  return true;
}

/// Rejects parse trees deeper than the recursive AST builder and the
/// analyzer can walk. Left-associative chains (`x + x + ... + x`) are deep
/// without any parenthesis, so checkNesting does not see them; this walk is
/// iterative.
bool checkTreeDepth(antlr4::tree::ParseTree *root, DiagnosticEngine &diags) {
  constexpr size_t kMaxTreeDepth = 2000;
  std::vector<std::pair<antlr4::tree::ParseTree *, size_t>> stack = {{root, 1}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (depth > kMaxTreeDepth) {
      SourceLoc loc;
      if (auto *ctx = dynamic_cast<antlr4::ParserRuleContext *>(node))
        loc = locOf(ctx);
      else if (auto *term = dynamic_cast<antlr4::tree::TerminalNode *>(node))
        loc = locOf(term);
      diags.error(loc, "expression nested too deeply (limit " +
                           std::to_string(kMaxTreeDepth) +
                           " levels; split long chains of operators with "
                           "'let')");
      return false;
    }
    // Leftmost child on top: the first node past the limit is then on the
    // left spine, which starts where the too-deep expression starts.
    for (auto it = node->children.rbegin(); it != node->children.rend(); ++it)
      stack.push_back({*it, depth + 1});
  }
  return true;
}

class Builder {
public:
  std::unique_ptr<ast::File> build(P::FileContext *ctx) {
    auto file = std::make_unique<ast::File>();
    for (P::DeclContext *d : ctx->decl()) {
      // After a syntax error the declarations that parsed cleanly are still
      // built (and checked); a broken one is left out, its name kept.
      if (hasError(d)) {
        firstDeclSeen = true;
        for (antlr4::tree::ParseTree *child : d->children)
          if (auto *t = dynamic_cast<antlr4::tree::TerminalNode *>(child);
              t && t->getSymbol()->getType() == ModLexer::IDENT) {
            file->brokenNames.push_back(t->getText());
            break;
          }
        if (d->getStart() && d->getStart()->getType() == ModLexer::MODEL)
          file->hasModel = file->modelFirst = true;
        continue;
      }
      buildDecl(d, *file);
    }
    return file;
  }

  /// Whether `tree` holds a syntax error: a rule the parser gave up on, or
  /// a token it conjured or skipped.
  static bool hasError(antlr4::tree::ParseTree *tree) {
    if (auto *rule = dynamic_cast<antlr4::ParserRuleContext *>(tree))
      if (rule->exception)
        return true;
    if (dynamic_cast<antlr4::tree::ErrorNode *>(tree))
      return true;
    for (antlr4::tree::ParseTree *child : tree->children)
      if (hasError(child))
        return true;
    return false;
  }

private:
  void buildDecl(P::DeclContext *d, ast::File &file) {
    if (auto *m = dynamic_cast<P::ModelDeclContext *>(d)) {
      if (!file.hasModel) {
        file.hasModel = true;
        file.modelName = m->IDENT()->getText();
        file.modelLoc = locOf(m->IDENT());
      } else {
        file.extraModelLocs.push_back(locOf(m));
      }
      if (!firstDeclSeen)
        file.modelFirst = true;
      firstDeclSeen = true;
      return;
    }
    firstDeclSeen = true;
    if (auto *dd = dynamic_cast<P::DimDeclContext *>(d)) {
      file.dims.push_back(
          {locOf(dd->IDENT()), dd->IDENT()->getText(), buildExpr(dd->expr())});
      return;
    }
    if (auto *dy = dynamic_cast<P::DynDeclContext *>(d)) {
      file.dyns.push_back({locOf(dy->IDENT()), dy->IDENT()->getText()});
      return;
    }
    if (auto *md = dynamic_cast<P::ModuleDeclContext *>(d)) {
      auto fn = std::make_unique<ast::Function>();
      fn->loc = locOf(md);
      fn->nameLoc = locOf(md->IDENT());
      fn->name = md->IDENT()->getText();
      if (auto *tp = md->templateParams())
        for (P::TemplateParamContext *p : tp->templateParam())
          fn->templateParams.push_back(buildTemplateParam(p));
      buildSignature(md->argList(), md->resultType(), *fn);
      buildBlock(md->block(), fn->body);
      file.modules.push_back(std::move(fn));
      return;
    }
    if (auto *ed = dynamic_cast<P::EntryDeclContext *>(d)) {
      auto fn = std::make_unique<ast::Function>();
      fn->loc = locOf(ed);
      fn->nameLoc = locOf(ed->IDENT());
      fn->name = ed->IDENT()->getText();
      buildSignature(ed->argList(), ed->resultType(), *fn);
      buildBlock(ed->block(), fn->body);
      file.entries.push_back(std::move(fn));
      return;
    }
    if (auto *td = dynamic_cast<P::TrainDeclContext *>(d)) {
      auto fn = std::make_unique<ast::Function>();
      fn->loc = locOf(td);
      fn->nameLoc = locOf(td->IDENT());
      fn->name = td->IDENT()->getText();
      buildSignature(td->argList(), nullptr, *fn);
      buildBlock(td->block(), fn->body);
      file.trains.push_back(std::move(fn));
      return;
    }
    if (auto *pd = dynamic_cast<P::ParamDeclContext *>(d)) {
      file.params.push_back(buildParam(pd->paramDef()));
      file.params.back()->order = declOrder++;
      return;
    }
    if (auto *id = dynamic_cast<P::InstanceDeclContext *>(d)) {
      file.instances.push_back(buildInstance(id->instanceDef()));
      file.instances.back()->order = declOrder++;
      return;
    }
  }

  ast::TemplateParam buildTemplateParam(P::TemplateParamContext *p) {
    ast::TemplateParam tp;
    tp.loc = locOf(p->IDENT());
    tp.name = p->IDENT()->getText();
    tp.isFloat = p->kind && p->kind->getType() == ModLexer::FLOAT_KW;
    if (p->expr())
      tp.defaultValue = buildExpr(p->expr());
    return tp;
  }

  void buildSignature(P::ArgListContext *args, P::ResultTypeContext *result,
                      ast::Function &fn) {
    if (args)
      for (P::ArgContext *a : args->arg())
        fn.args.push_back({locOf(a->IDENT()), a->IDENT()->getText(),
                           buildType(a->tensorType())});
    if (auto *single = dynamic_cast<P::SingleResultContext *>(result)) {
      fn.results.push_back(buildType(single->tensorType()));
    } else if (auto *tuple = dynamic_cast<P::TupleResultContext *>(result)) {
      fn.tupleResult = true;
      for (P::TensorTypeContext *t : tuple->tensorType())
        fn.results.push_back(buildType(t));
    }
  }

  static ast::ElemType elemTypeOf(P::ElemTypeContext *ctx) {
    switch (ctx->getStart()->getType()) {
    case ModLexer::F16:
      return ast::ElemType::F16;
    case ModLexer::BF16:
      return ast::ElemType::BF16;
    case ModLexer::I32:
      return ast::ElemType::I32;
    case ModLexer::I64:
      return ast::ElemType::I64;
    case ModLexer::BOOL:
      return ast::ElemType::Bool;
    default:
      return ast::ElemType::F32;
    }
  }

  ast::TypeExpr buildType(P::TensorTypeContext *ctx) {
    ast::TypeExpr t;
    t.loc = locOf(ctx);
    t.elem = elemTypeOf(ctx->elemType());
    t.hasDims = ctx->LBRACK() != nullptr;
    if (ctx->ELLIPSIS()) {
      t.batched = true;
      t.batchedLoc = locOf(ctx->ELLIPSIS());
    }
    for (P::ExprContext *e : ctx->expr())
      t.dims.push_back(buildExpr(e));
    return t;
  }

  std::unique_ptr<ast::ParamDef> buildParam(P::ParamDefContext *ctx) {
    auto p = std::make_unique<ast::ParamDef>();
    p->loc = locOf(ctx->IDENT());
    p->name = ctx->IDENT()->getText();
    p->frozen = ctx->FROZEN() != nullptr;
    p->type = buildType(ctx->tensorType());
    if (auto *init = ctx->initializer()) {
      ast::Initializer i;
      i.loc = locOf(init);
      i.kind = init->IDENT()->getText();
      i.hasParens = init->LPAREN() != nullptr;
      for (P::ExprContext *e : init->expr())
        i.args.push_back(buildExpr(e));
      p->init = std::move(i);
    }
    return p;
  }

  std::unique_ptr<ast::InstanceDef> buildInstance(P::InstanceDefContext *ctx) {
    auto inst = std::make_unique<ast::InstanceDef>();
    inst->loc = locOf(ctx->IDENT(0));
    inst->name = ctx->IDENT(0)->getText();
    inst->frozen = ctx->FROZEN() != nullptr;
    inst->module = ctx->IDENT(1)->getText();
    inst->moduleLoc = locOf(ctx->IDENT(1));
    if (auto *targs = ctx->templateArgs())
      for (P::ExprContext *e : targs->expr())
        inst->templateArgs.push_back(buildExpr(e));
    if (ctx->expr())
      inst->count = buildExpr(ctx->expr());
    return inst;
  }

  void buildBlock(P::BlockContext *ctx, std::vector<ast::StmtPtr> &out) {
    for (P::StmtContext *s : ctx->stmt())
      out.push_back(buildStmt(s));
  }

  ast::StmtPtr buildStmt(P::StmtContext *s) {
    ast::StmtPtr st = buildStmtKind(s);
    st->start = locOf(s);
    return st;
  }

  ast::StmtPtr buildStmtKind(P::StmtContext *s) {
    using ast::StmtKind;
    if (auto *p = dynamic_cast<P::ParamStmtContext *>(s)) {
      auto st = std::make_unique<ast::Stmt>(StmtKind::Param, locOf(s));
      st->param = buildParam(p->paramDef());
      return st;
    }
    if (auto *i = dynamic_cast<P::InstanceStmtContext *>(s)) {
      auto st = std::make_unique<ast::Stmt>(StmtKind::Instance, locOf(s));
      st->instance = buildInstance(i->instanceDef());
      return st;
    }
    if (auto *l = dynamic_cast<P::LetStmtContext *>(s)) {
      auto st = std::make_unique<ast::Stmt>(StmtKind::Let, locOf(l->IDENT()));
      st->name = l->IDENT()->getText();
      st->value = buildExpr(l->expr());
      return st;
    }
    if (auto *lt = dynamic_cast<P::LetTupleStmtContext *>(s)) {
      auto st = std::make_unique<ast::Stmt>(StmtKind::LetTuple, locOf(s));
      for (auto *id : lt->IDENT()) {
        st->names.push_back(id->getText());
        st->nameLocs.push_back(locOf(id));
      }
      st->value = buildExpr(lt->expr());
      return st;
    }
    if (auto *a = dynamic_cast<P::AssignStmtContext *>(s)) {
      ast::ExprPtr target = buildExpr(a->target);
      auto st = std::make_unique<ast::Stmt>(StmtKind::Assign, target->loc);
      // Only a name can be re-bound; Sema reports any other target.
      if (target->kind == ast::ExprKind::Name)
        st->name = target->name;
      else
        st->target = std::move(target);
      st->value = buildExpr(a->value);
      return st;
    }
    if (auto *f = dynamic_cast<P::ForStmtContext *>(s)) {
      auto st = std::make_unique<ast::Stmt>(StmtKind::For, locOf(s));
      st->name = f->IDENT()->getText();
      st->nameLocs.push_back(locOf(f->IDENT()));
      st->lo = buildExpr(f->expr(0));
      st->hi = buildExpr(f->expr(1));
      buildBlock(f->block(), st->body);
      return st;
    }
    if (auto *m = dynamic_cast<P::MinimizeStmtContext *>(s)) {
      auto st = std::make_unique<ast::Stmt>(StmtKind::Minimize, locOf(s));
      st->value = buildExpr(m->expr());
      return st;
    }
    if (auto *u = dynamic_cast<P::UpdateStmtContext *>(s)) {
      auto st = std::make_unique<ast::Stmt>(StmtKind::Update, locOf(s));
      std::vector<P::ExprContext *> exprs = u->expr();
      for (size_t i = 0; i + 1 < exprs.size(); ++i)
        st->targets.push_back(buildExpr(exprs[i]));
      st->value = buildExpr(exprs.back());
      return st;
    }
    auto *r = static_cast<P::ReturnStmtContext *>(s);
    auto st = std::make_unique<ast::Stmt>(StmtKind::Return, locOf(s));
    st->value = buildExpr(r->expr());
    return st;
  }

  ast::ExprPtr make(ast::ExprKind kind, SourceLoc loc) {
    return std::make_unique<ast::Expr>(kind, loc);
  }

  ast::ExprPtr buildSliceItem(P::SliceItemContext *item) {
    using ast::ExprKind;
    if (auto *r = dynamic_cast<P::RangeItemContext *>(item)) {
      auto x = make(ExprKind::Range, locOf(r));
      x->hasLower = r->lo != nullptr;
      x->hasUpper = r->hi != nullptr;
      if (r->lo)
        x->operands.push_back(buildExpr(r->lo));
      if (r->hi)
        x->operands.push_back(buildExpr(r->hi));
      return x;
    }
    if (auto *d = dynamic_cast<P::EllipsisItemContext *>(item))
      return make(ExprKind::Ellipsis, locOf(d->ELLIPSIS()));
    return buildExpr(static_cast<P::ExprItemContext *>(item)->expr());
  }

  ast::ExprPtr buildExpr(P::ExprContext *e) {
    using ast::ExprKind;
    if (auto *c = dynamic_cast<P::CallExprContext *>(e)) {
      auto x = make(ExprKind::Call, locOf(c->LPAREN()));
      x->operands.push_back(buildExpr(c->expr()));
      if (auto *args = c->callArgs()) {
        for (P::CallArgContext *a : args->callArg()) {
          x->operands.push_back(buildExpr(a->expr()));
          x->argNames.push_back(a->IDENT() ? a->IDENT()->getText() : "");
          x->argNameLocs.push_back(a->IDENT() ? locOf(a->IDENT()) : locOf(a));
        }
      }
      // A call is located at its callee, where users look for it.
      x->loc = x->operands[0]->loc;
      return x;
    }
    if (auto *i = dynamic_cast<P::IndexExprContext *>(e)) {
      auto x = make(ExprKind::Index, locOf(i->LBRACK()));
      x->operands.push_back(buildExpr(i->expr()));
      for (P::SliceItemContext *item : i->sliceItem())
        x->operands.push_back(buildSliceItem(item));
      // Located where the indexed name starts, like a call.
      x->loc = x->operands[0]->loc;
      return x;
    }
    if (auto *m = dynamic_cast<P::MemberExprContext *>(e)) {
      auto x = make(ExprKind::Member, locOf(m->IDENT()));
      x->name = m->IDENT()->getText();
      x->operands.push_back(buildExpr(m->expr()));
      return x;
    }
    if (auto *n = dynamic_cast<P::NegExprContext *>(e)) {
      auto x = make(ExprKind::Neg, locOf(n));
      x->operands.push_back(buildExpr(n->expr()));
      return x;
    }
    if (auto *m = dynamic_cast<P::MulExprContext *>(e)) {
      auto x = make(ExprKind::Binary, locOf(m->op));
      x->op = m->op->getType() == ModLexer::STAR    ? ast::BinaryOp::Mul
              : m->op->getType() == ModLexer::SLASH ? ast::BinaryOp::Div
                                                    : ast::BinaryOp::MatMul;
      x->operands.push_back(buildExpr(m->expr(0)));
      x->operands.push_back(buildExpr(m->expr(1)));
      return x;
    }
    if (auto *a = dynamic_cast<P::AddExprContext *>(e)) {
      auto x = make(ExprKind::Binary, locOf(a->op));
      x->op = a->op->getType() == ModLexer::PLUS ? ast::BinaryOp::Add
                                                 : ast::BinaryOp::Sub;
      x->operands.push_back(buildExpr(a->expr(0)));
      x->operands.push_back(buildExpr(a->expr(1)));
      return x;
    }
    if (auto *c = dynamic_cast<P::CompareExprContext *>(e)) {
      auto x = make(ExprKind::Binary, locOf(c->op));
      switch (c->op->getType()) {
      case ModLexer::LT:
        x->op = ast::BinaryOp::Lt;
        break;
      case ModLexer::LE:
        x->op = ast::BinaryOp::Le;
        break;
      case ModLexer::GT:
        x->op = ast::BinaryOp::Gt;
        break;
      case ModLexer::GE:
        x->op = ast::BinaryOp::Ge;
        break;
      case ModLexer::EQ:
        x->op = ast::BinaryOp::Eq;
        break;
      default:
        x->op = ast::BinaryOp::Ne;
        break;
      }
      x->operands.push_back(buildExpr(c->expr(0)));
      x->operands.push_back(buildExpr(c->expr(1)));
      return x;
    }
    if (auto *p = dynamic_cast<P::PipeExprContext *>(e)) {
      auto x = make(ExprKind::Pipe, locOf(p->PIPE()));
      x->operands.push_back(buildExpr(p->expr(0)));
      x->operands.push_back(buildExpr(p->expr(1)));
      return x;
    }
    if (auto *r = dynamic_cast<P::RouteExprContext *>(e)) {
      auto x = make(ExprKind::Route, locOf(r->ROUTE()));
      for (P::ExprContext *sub : r->expr())
        x->operands.push_back(buildExpr(sub));
      return x;
    }
    if (auto *p = dynamic_cast<P::ParenExprContext *>(e)) {
      if (p->expr().size() == 1) {
        ast::ExprPtr inner = buildExpr(p->expr(0));
        inner->parenthesized = true;
        return inner;
      }
      auto x = make(ExprKind::Tuple, locOf(p));
      for (P::ExprContext *sub : p->expr())
        x->operands.push_back(buildExpr(sub));
      return x;
    }
    if (auto *l = dynamic_cast<P::ListExprContext *>(e)) {
      auto x = make(ExprKind::List, locOf(l));
      for (P::ExprContext *sub : l->expr())
        x->operands.push_back(buildExpr(sub));
      return x;
    }
    if (auto *i = dynamic_cast<P::IntExprContext *>(e)) {
      auto x = make(ExprKind::Int, locOf(i));
      x->text = i->INT()->getText();
      return x;
    }
    if (auto *f = dynamic_cast<P::FloatExprContext *>(e)) {
      auto x = make(ExprKind::Float, locOf(f));
      x->text = f->FLOAT()->getText();
      x->floatValue = std::strtod(x->text.c_str(), nullptr);
      return x;
    }
    if (auto *b = dynamic_cast<P::BoolExprContext *>(e)) {
      auto x = make(ExprKind::Bool, locOf(b));
      x->boolValue = b->TRUE() != nullptr;
      return x;
    }
    if (auto *t = dynamic_cast<P::TypeExprContext *>(e)) {
      auto x = make(ExprKind::TypeName, locOf(t));
      x->elemType = elemTypeOf(t->elemType());
      return x;
    }
    auto *n = static_cast<P::NameExprContext *>(e);
    auto x = make(ExprKind::Name, locOf(n));
    x->name = n->IDENT()->getText();
    return x;
  }

  bool firstDeclSeen = false;
  unsigned declOrder = 0;
};

} // namespace

void releaseParserCaches() {
  // The caches are static members of the generated classes, reached through
  // an interpreter of each.
  antlr4::ANTLRInputStream input("");
  ModLexer lexer(&input);
  antlr4::CommonTokenStream tokens(&lexer);
  ModParser parser(&tokens);
  for (antlr4::atn::ATNSimulator *sim :
       {static_cast<antlr4::atn::ATNSimulator *>(
            lexer.getInterpreter<antlr4::atn::LexerATNSimulator>()),
        static_cast<antlr4::atn::ATNSimulator *>(
            parser.getInterpreter<antlr4::atn::ParserATNSimulator>())}) {
    sim->clearDFA();
    sim->getSharedContextCache().clear();
  }
}

std::unique_ptr<ast::File> parseFile(const SourceFile &file,
                                     DiagnosticEngine &diags,
                                     ParseStrategy strategy) {
  if (!validateEncoding(file, diags))
    return nullptr;
  try {
    antlr4::ANTLRInputStream input(file.text());
    ModLexer lexer(&input);
    ErrorListener listener(diags);
    lexer.removeErrorListeners();
    lexer.addErrorListener(&listener);
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();
    for (antlr4::Token *tok : tokens.getTokens()) {
      if (tok->getType() == ModLexer::UNTERMINATED_COMMENT) {
        diags.error(locOf(tok), "unterminated block comment");
        return nullptr;
      }
    }
    if (!checkNesting(tokens, diags))
      return nullptr;
    // `1.` is no number (LANGUAGE.md §1), and a member needs a name on its
    // left: a dot right after an integer is the lexical error it used to be.
    bool badDot = false;
    const std::vector<antlr4::Token *> &all = tokens.getTokens();
    for (size_t i = 1; i < all.size(); ++i)
      if (all[i]->getType() == ModLexer::DOT &&
          all[i - 1]->getType() == ModLexer::INT &&
          all[i - 1]->getStopIndex() + 1 == all[i]->getStartIndex()) {
        diags.error(locOf(all[i]), "unexpected character '.' (a float needs "
                                   "a digit after the point, as in 1.0)");
        badDot = true;
      }
    if (badDot)
      return nullptr;
    listener.setTokens(&tokens);
    ModParser parser(&tokens);
    parser.removeErrorListeners();
    // Two stages, as ANTLR recommends for speed: SLL prediction, bailing out
    // at the first error, is enough for almost every valid file; a file it
    // cannot parse is parsed again with full LL prediction and the error
    // listeners, which also gives the precise syntax errors.
    P::FileContext *tree = nullptr;
    if (strategy == ParseStrategy::TwoStage) {
      parser.getInterpreter<antlr4::atn::ParserATNSimulator>()
          ->setPredictionMode(antlr4::atn::PredictionMode::SLL);
      parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
      try {
        tree = parser.file();
      } catch (const antlr4::ParseCancellationException &) {
        tree = nullptr;
      }
    }
    ResyncListener resync(listener);
    if (!tree) {
      tokens.seek(0);
      parser.reset();
      parser.getInterpreter<antlr4::atn::ParserATNSimulator>()
          ->setPredictionMode(antlr4::atn::PredictionMode::LL);
      parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
      parser.addErrorListener(&listener);
      parser.addParseListener(&resync);
      tree = parser.file();
    }
    if (!checkTreeDepth(tree, diags))
      return nullptr;
    // With syntax errors, the clean declarations still go to the checker,
    // so that errors elsewhere in the file are reported too (LANGUAGE.md
    // §9); the caller sees the errors in `diags`.
    Builder builder;
    return builder.build(tree);
  } catch (const std::exception &ex) {
    diags.error({}, std::string("internal parser error: ") + ex.what());
    return nullptr;
  } catch (...) {
    diags.error({}, "internal parser error");
    return nullptr;
  }
}

} // namespace modc
