//===- CallConstantsTest.cpp - Constants across internal calls ------------===//

#include "compiler/CallConstants.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

namespace {

std::unique_ptr<llvm::Module> parse(llvm::LLVMContext &context,
                                    const char *text) {
  llvm::SMDiagnostic diag;
  std::unique_ptr<llvm::Module> module =
      llvm::parseAssemblyString(text, diag, context);
  if (!module)
    diag.print("test", llvm::errs());
  return module;
}

// An exported entry calls an internal kernel with a descriptor of constant
// sizes; the kernel passes them on through a descriptor of its own to an
// internal part, whose result's second field is a constant everywhere.
const char *kChain = R"(
define i64 @entry(ptr %p) {
  %r = call i64 @kernel(ptr %p, i64 4, i64 8)
  ret i64 %r
}
define internal i64 @kernel(ptr %p, i64 %rows, i64 %cols) {
  %d0 = insertvalue { ptr, [2 x i64] } undef, ptr %p, 0
  %d1 = insertvalue { ptr, [2 x i64] } %d0, i64 %rows, 1, 0
  %d2 = insertvalue { ptr, [2 x i64] } %d1, i64 %cols, 1, 1
  %e0 = extractvalue { ptr, [2 x i64] } %d2, 0
  %e1 = extractvalue { ptr, [2 x i64] } %d2, 1, 0
  %sizes = extractvalue { ptr, [2 x i64] } %d2, 1
  %e2 = extractvalue [2 x i64] %sizes, 1
  %s = call { ptr, i64 } @part(ptr %e0, i64 %e1, i64 %e2)
  %n = extractvalue { ptr, i64 } %s, 1
  %m = call { ptr, i64 } @part(ptr %p, i64 4, i64 8)
  %k = extractvalue { ptr, i64 } %m, 1
  %sum = add i64 %n, %k
  ret i64 %sum
}
define internal { ptr, i64 } @part(ptr %p, i64 %rows, i64 %cols) {
  %size = mul i64 %rows, %cols
  store i64 %size, ptr %p
  %r0 = insertvalue { ptr, i64 } undef, ptr %p, 0
  %r1 = insertvalue { ptr, i64 } %r0, i64 32, 1
  ret { ptr, i64 } %r1
}
)";

llvm::Argument *arg(llvm::Module &m, const char *fn, unsigned i) {
  return m.getFunction(fn)->getArg(i);
}

TEST(CallConstantsTest, ConstantsFlowDownAChainOfCalls) {
  llvm::LLVMContext context;
  auto module = parse(context, kChain);
  ASSERT_TRUE(module);
  EXPECT_GT(modc::propagateCallConstants(*module), 0u);
  EXPECT_FALSE(llvm::verifyModule(*module, &llvm::errs()));
  // The kernel's sizes and, through its descriptor, the part's.
  EXPECT_TRUE(arg(*module, "kernel", 1)->use_empty());
  EXPECT_TRUE(arg(*module, "kernel", 2)->use_empty());
  EXPECT_TRUE(arg(*module, "part", 1)->use_empty());
  EXPECT_TRUE(arg(*module, "part", 2)->use_empty());
  // Pointers are not constants; the exported entry is left alone.
  EXPECT_FALSE(arg(*module, "part", 0)->use_empty());
  EXPECT_FALSE(arg(*module, "kernel", 0)->use_empty());
  EXPECT_FALSE(arg(*module, "entry", 0)->use_empty());
  // The part's constant result field replaced its extracts: the sum adds
  // two constants.
  llvm::Function *kernel = module->getFunction("kernel");
  llvm::Instruction *sum = nullptr;
  for (llvm::Instruction &inst : kernel->getEntryBlock())
    if (inst.getName() == "sum")
      sum = &inst;
  ASSERT_TRUE(sum);
  EXPECT_TRUE(llvm::isa<llvm::ConstantInt>(sum->getOperand(0)));
  EXPECT_TRUE(llvm::isa<llvm::ConstantInt>(sum->getOperand(1)));
}

/// Propagation over `text` replaces nothing: the argument `index` of each
/// of `functions` is still used.
void expectNothingReplaced(const char *text,
                           std::initializer_list<const char *> functions,
                           unsigned index) {
  llvm::LLVMContext context;
  auto module = parse(context, text);
  ASSERT_TRUE(module);
  EXPECT_EQ(modc::propagateCallConstants(*module), 0u);
  for (const char *fn : functions)
    EXPECT_FALSE(arg(*module, fn, index)->use_empty()) << fn;
}

TEST(CallConstantsTest, DifferentConstantsOrUndefinedValuesStay) {
  const char *text = R"(
define void @entry(ptr %p) {
  call void @f(ptr %p, i64 1, i64 undef)
  call void @f(ptr %p, i64 2, i64 undef)
  ret void
}
define internal void @f(ptr %p, i64 %a, i64 %b) {
  %s = add i64 %a, %b
  store i64 %s, ptr %p
  ret void
}
)";
  expectNothingReplaced(text, {"f"}, 1);
  expectNothingReplaced(text, {"f"}, 2);
}

TEST(CallConstantsTest, FunctionsCalledOtherwiseStay) {
  // @f may be called from outside, @g through @table.
  expectNothingReplaced(R"(
@table = global ptr @g
define void @entry(ptr %p) {
  call void @f(ptr %p, i64 1)
  call void @g(ptr %p, i64 1)
  ret void
}
define void @f(ptr %p, i64 %a) {
  store i64 %a, ptr %p
  ret void
}
define internal void @g(ptr %p, i64 %a) {
  store i64 %a, ptr %p
  ret void
}
)",
                        {"f", "g"}, 1);
}

} // namespace
