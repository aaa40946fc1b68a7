//===- CallConstants.cpp - Constants across internal calls ----------------===//

#include "compiler/CallConstants.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

#include <map>

namespace modc {

namespace {

/// Calls nested deeper than this (a result of a call passed on through
/// another's result) are not looked through.
constexpr int kMaxDepth = 16;

/// Rounds of propagation: each carries constants one call further down.
constexpr int kMaxRounds = 8;

class Propagation {
public:
  explicit Propagation(llvm::Module &module) : module(module) {}

  size_t run() {
    size_t total = 0;
    for (int round = 0; round < kMaxRounds; ++round) {
      returned.clear();
      size_t replaced = propagateArguments() + propagateResults();
      total += replaced;
      if (replaced == 0)
        break;
    }
    return total;
  }

private:
  /// The direct calls of `f`, or false when `f` may be called otherwise
  /// (exported, address taken, called through another type).
  static bool directCalls(llvm::Function &f,
                          llvm::SmallVectorImpl<llvm::CallBase *> &calls) {
    if (f.isDeclaration() || !f.hasLocalLinkage())
      return false;
    for (llvm::Use &use : f.uses()) {
      auto *call = llvm::dyn_cast<llvm::CallBase>(use.getUser());
      if (!call || !call->isCallee(&use) ||
          call->getFunctionType() != f.getFunctionType())
        return false;
      calls.push_back(call);
    }
    return !calls.empty();
  }

  /// The constant `value` always is, or nullptr. Undefined values do not
  /// count: an argument some call leaves undefined is not a constant.
  llvm::Constant *resolve(llvm::Value *value, int depth = 0) {
    if (depth > kMaxDepth)
      return nullptr;
    if (auto *c = llvm::dyn_cast<llvm::Constant>(value))
      return llvm::isa<llvm::UndefValue>(c) ? nullptr : c;
    auto *extract = llvm::dyn_cast<llvm::ExtractValueInst>(value);
    if (!extract)
      return nullptr;
    llvm::Value *aggregate = extract->getAggregateOperand();
    if (llvm::Value *inserted =
            llvm::FindInsertedValue(aggregate, extract->getIndices()))
      if (inserted != value)
        return resolve(inserted, depth + 1);
    if (auto *call = llvm::dyn_cast<llvm::CallInst>(aggregate))
      if (llvm::Function *callee = call->getCalledFunction())
        if (callee->hasLocalLinkage() && !callee->isDeclaration() &&
            call->getFunctionType() == callee->getFunctionType())
          return returnedConstant(callee, extract->getIndices(), depth + 1);
    return nullptr;
  }

  /// The constant field `indices` of what `f` returns on every path, or
  /// nullptr.
  llvm::Constant *returnedConstant(llvm::Function *f,
                                   llvm::ArrayRef<unsigned> indices,
                                   int depth) {
    auto key = std::make_pair(
        f, std::vector<unsigned>(indices.begin(), indices.end()));
    auto [it, inserted] = returned.try_emplace(key, nullptr);
    if (!inserted)
      return it->second; // Known, or in progress (a recursive call).
    llvm::Constant *common = nullptr;
    for (llvm::BasicBlock &block : *f) {
      auto *ret = llvm::dyn_cast<llvm::ReturnInst>(block.getTerminator());
      if (!ret)
        continue;
      llvm::Value *field =
          ret->getReturnValue()
              ? llvm::FindInsertedValue(ret->getReturnValue(), indices)
              : nullptr;
      llvm::Constant *c = field ? resolve(field, depth) : nullptr;
      if (!c || (common && c != common))
        return returned[key] = nullptr;
      common = c;
    }
    return returned[key] = common;
  }

  size_t propagateArguments() {
    size_t replaced = 0;
    for (llvm::Function &f : module) {
      llvm::SmallVector<llvm::CallBase *> calls;
      if (!directCalls(f, calls))
        continue;
      for (llvm::Argument &arg : f.args()) {
        if (arg.use_empty())
          continue;
        llvm::Constant *common = nullptr;
        for (llvm::CallBase *call : calls) {
          llvm::Constant *c = resolve(call->getArgOperand(arg.getArgNo()));
          if (!c || (common && c != common)) {
            common = nullptr;
            break;
          }
          common = c;
        }
        if (!common)
          continue;
        arg.replaceAllUsesWith(common);
        ++replaced;
      }
    }
    return replaced;
  }

  /// The extracts of a result field of the calls of internal functions.
  size_t propagateResults() {
    size_t replaced = 0;
    for (llvm::Function &f : module) {
      if (f.isDeclaration() || !f.hasLocalLinkage() ||
          f.getReturnType()->isVoidTy())
        continue;
      for (llvm::User *user : f.users()) {
        auto *call = llvm::dyn_cast<llvm::CallInst>(user);
        if (!call || call->getCalledFunction() != &f)
          continue;
        for (llvm::User *field : call->users()) {
          auto *extract = llvm::dyn_cast<llvm::ExtractValueInst>(field);
          if (!extract || extract->use_empty())
            continue;
          if (llvm::Constant *c = resolve(extract)) {
            extract->replaceAllUsesWith(c);
            ++replaced;
          }
        }
      }
    }
    return replaced;
  }

  llvm::Module &module;
  std::map<std::pair<llvm::Function *, std::vector<unsigned>>, llvm::Constant *>
      returned;
};

} // namespace

size_t propagateCallConstants(llvm::Module &module) {
  return Propagation(module).run();
}

} // namespace modc
