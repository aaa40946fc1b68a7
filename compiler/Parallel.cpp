//===- Parallel.cpp - Launchers of outlined parallel loops ----------------===//
//
// mod-outline-parallel (conversion/OutlineParallel.cpp) leaves, for each loop
// it outlined, a body function and a declared launcher with the same
// captured arguments. After translation to LLVM IR the captures are plain
// scalars and pointers (memref descriptors are expanded), so packing them
// for the runtime's thread pool is a struct store and a struct load.
//
//===----------------------------------------------------------------------===//

#include "compiler/Parallel.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

namespace modc {

int defineParallelLaunchers(llvm::Module &module) {
  static constexpr llvm::StringLiteral launchPrefix = "__modc_par_launch_";
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Type *ptrTy = llvm::PointerType::getUnqual(ctx);
  llvm::Type *voidTy = llvm::Type::getVoidTy(ctx);
  auto *rangeFnTy =
      llvm::FunctionType::get(voidTy, {ptrTy, i64, i64}, /*isVarArg=*/false);
  llvm::FunctionCallee range = module.getOrInsertFunction(
      "modrt_parallel_range",
      llvm::FunctionType::get(voidTy, {i64, i64, ptrTy, ptrTy}, false));

  std::vector<llvm::Function *> launchers;
  for (llvm::Function &f : module)
    if (f.isDeclaration() && f.getName().starts_with(launchPrefix))
      launchers.push_back(&f);
  int defined = 0;
  for (llvm::Function *launch : launchers) {
    std::string id = launch->getName().drop_front(launchPrefix.size()).str();
    llvm::Function *body = module.getFunction("__modc_par_body_" + id);
    if (!body || body->arg_size() != launch->arg_size())
      continue;
    std::vector<llvm::Type *> fields;
    for (unsigned i = 2; i < launch->arg_size(); ++i)
      fields.push_back(launch->getArg(i)->getType());
    llvm::StructType *frame = llvm::StructType::get(ctx, fields);
    // The body is called by the trampoline and by the serial path: one
    // copy of it, not one inlined into each (twice the code to generate).
    body->setLinkage(llvm::GlobalValue::InternalLinkage);
    body->addFnAttr(llvm::Attribute::NoInline);

    // void tramp(ptr frame, i64 lo, i64 hi): body(lo, hi, *frame...).
    auto *tramp =
        llvm::Function::Create(rangeFnTy, llvm::GlobalValue::InternalLinkage,
                               "__modc_par_tramp_" + id, module);
    {
      llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", tramp));
      std::vector<llvm::Value *> args = {tramp->getArg(1), tramp->getArg(2)};
      for (unsigned i = 0; i < fields.size(); ++i)
        args.push_back(b.CreateLoad(
            fields[i], b.CreateStructGEP(frame, tramp->getArg(0), i)));
      b.CreateCall(body, args);
      b.CreateRetVoid();
    }

    launch->setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", launch));
    llvm::Value *slot = b.CreateAlloca(frame);
    for (unsigned i = 0; i < fields.size(); ++i)
      b.CreateStore(launch->getArg(2 + i), b.CreateStructGEP(frame, slot, i));
    b.CreateCall(range, {launch->getArg(0), launch->getArg(1), tramp, slot});
    b.CreateRetVoid();
    ++defined;
  }
  return defined;
}

} // namespace modc
