//===- Library.cpp - The compiled library's ABI ---------------------------===//
//
// The runtime (runtime/) implements everything model-independent; this file
// generates the small model-specific layer on top of it, directly as LLVM
// IR: a descriptor string, one-line forwarding wrappers, and for each entry
// a wrapper that validates the dyn sizes and pointers, looks up the
// parameter buffers and calls the kernel with memref descriptors.
//
//===----------------------------------------------------------------------===//

#include "compiler/Library.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"

#include <cstdio>
#include <cstdlib>
#include <map>

#ifndef MODC_RUNTIME_ARCHIVE
#define MODC_RUNTIME_ARCHIVE "libmodrt.a"
#endif
#ifndef MODC_MODEL_LINK_FLAGS
#define MODC_MODEL_LINK_FLAGS ""
#endif
#ifndef MODC_LINKER_DRIVER
#define MODC_LINKER_DRIVER "/usr/bin/clang++-19"
#endif

namespace modc {

namespace {

const char *descriptorDtype(ast::ElemType t) { return ast::elemTypeName(t); }

std::string formatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

void appendDim(std::string &out, const sema::Dim &d,
               const std::vector<int> &entryDyns) {
  (void)entryDyns;
  out +=
      " " + std::to_string(d.constant) + " " + std::to_string(d.terms.size());
  for (auto [sym, coeff] : d.terms)
    out += " " + std::to_string(sym) + " " + std::to_string(coeff);
}

const char *cType(ast::ElemType t) {
  switch (t) {
  case ast::ElemType::F32:
    return "float";
  case ast::ElemType::I32:
    return "int32_t";
  case ast::ElemType::I64:
    return "int64_t";
  case ast::ElemType::F16:
  case ast::ElemType::BF16:
    return "uint16_t";
  case ast::ElemType::Bool:
    return "uint8_t";
  }
  return "float";
}

} // namespace

std::string buildDescriptor(const sema::Program &program,
                            const std::vector<DerivedParamSpec> &derived) {
  std::string out = "modrt 1\nmodel " + program.modelName + "\n";
  for (auto &[name, value] : program.dims)
    out += "dim " + name + " " + std::to_string(value) + "\n";
  for (const std::string &dyn : program.dyns)
    out += "dyn " + dyn + "\n";
  for (const sema::FlatParam &p : program.flatParams()) {
    out += "param " + p.name + " " + descriptorDtype(p.type.elem) + " " +
           std::to_string(p.type.rank());
    for (const sema::Dim &d : p.type.shape)
      out += " " + std::to_string(d.constant);
    out += p.trainable ? " trainable " : " frozen ";
    out += sema::initKindName(p.init);
    for (double a : p.initArgs)
      out += " " + formatDouble(a);
    out += "\n";
  }
  std::vector<sema::FlatParam> flat = program.flatParams();
  auto indexOf = [&](const std::string &name) {
    for (size_t i = 0; i < flat.size(); ++i)
      if (flat[i].name == name)
        return std::to_string(i);
    return std::string("-1"); // Rejected by the runtime's parser.
  };
  for (const DerivedParamSpec &d : derived) {
    out += "derived " + d.name + " " + std::to_string(d.rows) + " " +
           std::to_string(d.cols) + " " + std::to_string(d.terms.size());
    for (const DerivedParamSpec::Term &t : d.terms)
      out += t.b.empty() ? " w " + formatDouble(t.scale) + " " + indexOf(t.a)
                         : " ab " + formatDouble(t.scale) + " " + indexOf(t.a) +
                               " " + indexOf(t.b);
    out += "\n";
  }
  for (const sema::EntrySpec &e : program.entries) {
    out += "entry " + e.name + " " + std::to_string(e.dyns.size());
    for (int d : e.dyns)
      out += " " + std::to_string(d);
    out += "\n";
    auto tensor = [&](const char *kind, const std::string &name,
                      const sema::TensorType &t) {
      out += std::string(kind) + " " + name + " " + descriptorDtype(t.elem) +
             " " + std::to_string(t.rank());
      for (const sema::Dim &d : t.shape)
        appendDim(out, d, e.dyns);
      out += "\n";
    };
    for (size_t i = 0; i < e.argTypes.size(); ++i)
      tensor("in", e.argNames[i], e.argTypes[i]);
    for (size_t i = 0; i < e.resultTypes.size(); ++i)
      tensor("out", e.resultNames[i], e.resultTypes[i]);
  }
  out += "end\n";
  return out;
}

bool addLibraryInterface(llvm::Module &module, const sema::Program &program,
                         const std::vector<std::vector<std::string>> &abiParams,
                         const std::vector<DerivedParamSpec> &derived,
                         std::string &error) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::Type *ptrTy = llvm::PointerType::getUnqual(ctx);
  llvm::Type *i32 = b.getInt32Ty();
  llvm::Type *i64 = b.getInt64Ty();
  llvm::Type *voidTy = b.getVoidTy();
  const std::string &name = program.modelName;

  auto *descInit = llvm::ConstantDataArray::getString(
      ctx, buildDescriptor(program, derived));
  auto *desc = new llvm::GlobalVariable(
      module, descInit->getType(), /*isConstant=*/true,
      llvm::GlobalValue::PrivateLinkage, descInit, "modc.descriptor");

  auto runtimeFn = [&](const char *fn, llvm::Type *ret,
                       llvm::ArrayRef<llvm::Type *> args, bool vararg = false) {
    return module.getOrInsertFunction(
        fn, llvm::FunctionType::get(ret, args, vararg));
  };
  auto exported = [&](const std::string &suffix, llvm::Type *ret,
                      llvm::ArrayRef<llvm::Type *> args) {
    auto *fn = llvm::Function::Create(llvm::FunctionType::get(ret, args, false),
                                      llvm::GlobalValue::ExternalLinkage,
                                      name + "_" + suffix, module);
    fn->setVisibility(llvm::GlobalValue::DefaultVisibility);
    fn->addFnAttr(llvm::Attribute::NoUnwind);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", fn));
    return fn;
  };
  auto args = [](llvm::Function *fn) {
    std::vector<llvm::Value *> values;
    for (llvm::Argument &a : fn->args())
      values.push_back(&a);
    return values;
  };

  // Lifecycle: forward to the runtime, the descriptor first where needed.
  {
    auto *fn = exported("create", ptrTy, {});
    b.CreateRet(
        b.CreateCall(runtimeFn("modrt_create", ptrTy, {ptrTy}), {desc}));
    (void)fn;
  }
  {
    auto *fn = exported("destroy", voidTy, {ptrTy});
    b.CreateCall(runtimeFn("modrt_destroy", voidTy, {ptrTy}), args(fn));
    b.CreateRetVoid();
  }
  {
    auto *fn = exported("init", i32, {ptrTy, i64});
    b.CreateRet(
        b.CreateCall(runtimeFn("modrt_init", i32, {ptrTy, i64}), args(fn)));
  }
  {
    auto *fn = exported("load", i32, {ptrTy, ptrTy});
    b.CreateRet(
        b.CreateCall(runtimeFn("modrt_load", i32, {ptrTy, ptrTy}), args(fn)));
  }
  {
    auto *fn = exported("save", i32, {ptrTy, ptrTy});
    b.CreateRet(
        b.CreateCall(runtimeFn("modrt_save", i32, {ptrTy, ptrTy}), args(fn)));
  }
  {
    auto *fn = exported("set_threads", i32, {ptrTy, i32});
    b.CreateRet(b.CreateCall(runtimeFn("modrt_set_threads", i32, {ptrTy, i32}),
                             args(fn)));
  }
  {
    auto *fn = exported("error", ptrTy, {ptrTy});
    b.CreateRet(
        b.CreateCall(runtimeFn("modrt_error", ptrTy, {ptrTy}), args(fn)));
  }
  {
    exported("describe", ptrTy, {});
    b.CreateRet(
        b.CreateCall(runtimeFn("modrt_describe", ptrTy, {ptrTy}), {desc}));
  }

  llvm::StringMap<unsigned> paramIndex;
  std::vector<sema::FlatParam> flat = program.flatParams();
  for (size_t i = 0; i < flat.size(); ++i)
    paramIndex[flat[i].name] = unsigned(i);
  for (size_t i = 0; i < derived.size(); ++i)
    paramIndex[derived[i].name] = unsigned(flat.size() + i);
  auto checkDyn = runtimeFn("modrt_check_dyn", i32, {ptrTy, ptrTy, ptrTy, i64});
  auto paramData = runtimeFn("modrt_param_data", ptrTy, {ptrTy, i32});
  auto fail = runtimeFn("modrt_fail", i32, {ptrTy, i32, ptrTy}, true);

  for (size_t ei = 0; ei < program.entries.size(); ++ei) {
    const sema::EntrySpec &entry = program.entries[ei];
    llvm::Function *kernel = module.getFunction(entry.name);
    if (!kernel) {
      error = "no kernel for entry '" + entry.name + "'";
      return false;
    }
    kernel->setName("modc.kernel." + entry.name);
    kernel->setLinkage(llvm::GlobalValue::InternalLinkage);

    std::vector<llvm::Type *> argTypes = {ptrTy};
    for (size_t i = 0; i < entry.dyns.size(); ++i)
      argTypes.push_back(i64);
    for (size_t i = 0; i < entry.argTypes.size() + entry.resultTypes.size();
         ++i)
      argTypes.push_back(ptrTy);
    llvm::Function *fn = exported(entry.name, i32, argTypes);
    std::vector<llvm::Value *> fnArgs = args(fn);
    llvm::Value *model = fnArgs[0];
    llvm::Value *entryName = b.CreateGlobalStringPtr(entry.name);

    auto failWith = [&](llvm::Value *cond, llvm::Value *code) {
      auto *bad = llvm::BasicBlock::Create(ctx, "fail", fn);
      auto *good = llvm::BasicBlock::Create(ctx, "ok", fn);
      b.CreateCondBr(cond, bad, good);
      b.SetInsertPoint(bad);
      b.CreateRet(code);
      b.SetInsertPoint(good);
    };

    failWith(b.CreateIsNull(model), b.getInt32(1));
    std::map<int, llvm::Value *> dynValue;
    for (size_t i = 0; i < entry.dyns.size(); ++i) {
      int sym = entry.dyns[i];
      llvm::Value *v = fnArgs[1 + i];
      dynValue[sym] = v;
      llvm::Value *rc = b.CreateCall(
          checkDyn,
          {model, entryName, b.CreateGlobalStringPtr(program.dyns[sym]), v});
      failWith(b.CreateICmpNE(rc, b.getInt32(0)), rc);
    }
    auto dimValue = [&](const sema::Dim &d) -> llvm::Value * {
      llvm::Value *v = b.getInt64(d.constant);
      for (auto [sym, coeff] : d.terms)
        v = b.CreateAdd(v, b.CreateMul(dynValue[sym], b.getInt64(coeff)));
      return v;
    };

    // Kernel arguments: an expanded memref descriptor per buffer
    // (allocated, aligned, offset, sizes..., strides...).
    std::vector<llvm::Value *> kernelArgs;
    auto pushMemref = [&](llvm::Value *ptr, std::vector<llvm::Value *> sizes) {
      kernelArgs.push_back(ptr);
      kernelArgs.push_back(ptr);
      kernelArgs.push_back(b.getInt64(0));
      for (llvm::Value *s : sizes)
        kernelArgs.push_back(s);
      std::vector<llvm::Value *> strides(sizes.size());
      llvm::Value *stride = b.getInt64(1);
      for (size_t k = sizes.size(); k-- > 0;) {
        strides[k] = stride;
        stride = b.CreateMul(stride, sizes[k]);
      }
      for (llvm::Value *s : strides)
        kernelArgs.push_back(s);
    };
    for (const std::string &p : abiParams[ei]) {
      auto it = paramIndex.find(p);
      if (it == paramIndex.end()) {
        error =
            "entry '" + entry.name + "' reads unknown parameter '" + p + "'";
        return false;
      }
      llvm::Value *data =
          b.CreateCall(paramData, {model, b.getInt32(it->second)});
      std::vector<llvm::Value *> sizes;
      if (it->second < flat.size()) {
        for (const sema::Dim &d : flat[it->second].type.shape)
          sizes.push_back(b.getInt64(d.constant));
      } else {
        const DerivedParamSpec &d = derived[it->second - flat.size()];
        sizes = {b.getInt64(d.rows), b.getInt64(d.cols)};
      }
      pushMemref(data, sizes);
    }
    size_t numIn = entry.argTypes.size();
    for (size_t i = 0; i < numIn + entry.resultTypes.size(); ++i) {
      const sema::TensorType &t =
          i < numIn ? entry.argTypes[i] : entry.resultTypes[i - numIn];
      const std::string &argName =
          i < numIn ? entry.argNames[i] : entry.resultNames[i - numIn];
      llvm::Value *ptr = fnArgs[1 + entry.dyns.size() + i];
      std::vector<llvm::Value *> sizes;
      llvm::Value *count = b.getInt64(1);
      for (const sema::Dim &d : t.shape) {
        sizes.push_back(dimValue(d));
        count = b.CreateMul(count, sizes.back());
      }
      // A NULL buffer is fine only when it holds no element.
      llvm::Value *bad = b.CreateAnd(b.CreateIsNull(ptr),
                                     b.CreateICmpNE(count, b.getInt64(0)));
      auto *badBlock = llvm::BasicBlock::Create(ctx, "null", fn);
      auto *good = llvm::BasicBlock::Create(ctx, "ok", fn);
      b.CreateCondBr(bad, badBlock, good);
      b.SetInsertPoint(badBlock);
      std::string msg = entry.name + ": " +
                        (i < numIn ? "input '" : "output '") + argName +
                        "' is NULL";
      b.CreateRet(b.CreateCall(fail, {model, b.getInt32(1),
                                      b.CreateGlobalStringPtr("%s"),
                                      b.CreateGlobalStringPtr(msg)}));
      b.SetInsertPoint(good);
      pushMemref(ptr, sizes);
    }
    if (kernel->arg_size() != kernelArgs.size()) {
      error = "kernel of entry '" + entry.name + "' takes " +
              std::to_string(kernel->arg_size()) + " arguments, expected " +
              std::to_string(kernelArgs.size());
      return false;
    }
    b.CreateCall(runtimeFn("modrt_kernel_error_clear", voidTy, {}), {});
    // The model's threads serve the kernel's parallel work during the call.
    b.CreateCall(runtimeFn("modrt_begin_call", voidTy, {ptrTy}), {model});
    // Recovery point: a failed allocation in the kernel jumps back here.
    llvm::Value *jmpBuf =
        b.CreateCall(runtimeFn("modrt_kernel_enter", ptrTy, {}), {});
    llvm::FunctionCallee setjmp = runtimeFn("_setjmp", i32, {ptrTy});
    llvm::cast<llvm::Function>(setjmp.getCallee())
        ->addFnAttr(llvm::Attribute::ReturnsTwice);
    llvm::CallInst *jumped = b.CreateCall(setjmp, {jmpBuf});
    jumped->addFnAttr(llvm::Attribute::ReturnsTwice);
    auto *run = llvm::BasicBlock::Create(ctx, "run", fn);
    auto *done = llvm::BasicBlock::Create(ctx, "done", fn);
    b.CreateCondBr(b.CreateICmpEQ(jumped, b.getInt32(0)), run, done);
    b.SetInsertPoint(run);
    b.CreateCall(kernel, kernelArgs);
    b.CreateBr(done);
    b.SetInsertPoint(done);
    b.CreateCall(runtimeFn("modrt_kernel_leave", voidTy, {}), {});
    b.CreateCall(runtimeFn("modrt_end_call", voidTy, {ptrTy}), {model});
    b.CreateRet(b.CreateCall(runtimeFn("modrt_kernel_error_take", i32, {ptrTy}),
                             {model}));
  }
  return true;
}

std::string buildHeader(const sema::Program &program) {
  static const char *runtimeHeader =
#include "compiler/ModrtHeader.inc"
      ;
  const std::string &n = program.modelName;
  std::string guard = "MODC_MODEL_" + n + "_H";
  for (char &c : guard)
    c = char(std::toupper((unsigned char)c));
  std::string out;
  out += "/* Generated by modc for model '" + n + "'. Do not edit. */\n";
  out += "#ifndef " + guard + "\n#define " + guard + "\n\n";
  out += runtimeHeader;
  out += "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  out += "typedef struct " + n + " " + n + ";\n\n";
  out += n + "* " + n + "_create(void);\n";
  out += "void " + n + "_destroy(" + n + "* m);\n";
  out += "int " + n + "_init(" + n + "* m, uint64_t seed);\n";
  out += "int " + n + "_load(" + n + "* m, const char* path);\n";
  out += "int " + n + "_save(const " + n + "* m, const char* path);\n";
  out += "int " + n + "_set_threads(" + n + "* m, int n);\n";
  out += "const char* " + n + "_error(const " + n + "* m);\n";
  out += "const modrt_info* " + n + "_describe(void);\n\n";
  for (const sema::EntrySpec &e : program.entries) {
    out += "/* " + e.name + "(";
    for (size_t i = 0; i < e.argTypes.size(); ++i)
      out += (i ? ", " : "") + e.argNames[i] + ": " +
             program.typeString(e.argTypes[i]);
    out += ") -> ";
    for (size_t i = 0; i < e.resultTypes.size(); ++i)
      out += (i ? ", " : "") + program.typeString(e.resultTypes[i]);
    out += " */\n";
    out += "int " + n + "_" + e.name + "(" + n + "* m";
    for (int d : e.dyns)
      out += ", int64_t " + program.dyns[d];
    for (size_t i = 0; i < e.argTypes.size(); ++i)
      out += std::string(", const ") + cType(e.argTypes[i].elem) + "* " +
             e.argNames[i];
    for (size_t i = 0; i < e.resultTypes.size(); ++i)
      out += std::string(", ") + cType(e.resultTypes[i].elem) + "* " +
             e.resultNames[i];
    out += ");\n";
  }
  out += "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return out;
}

bool linkSharedLibrary(const std::string &objectPath, const std::string &soPath,
                       std::string &error) {
  const char *driverEnv = std::getenv("MODC_LINKER");
  const char *runtimeEnv = std::getenv("MODC_RUNTIME");
  std::string driver = driverEnv ? driverEnv : MODC_LINKER_DRIVER;
  std::string runtime = runtimeEnv ? runtimeEnv : MODC_RUNTIME_ARCHIVE;
  if (!llvm::sys::fs::exists(runtime)) {
    error = "runtime library not found: " + runtime +
            " (set MODC_RUNTIME to its path)";
    return false;
  }
  std::vector<llvm::StringRef> argv = {driver,
                                       "-shared",
                                       "-fuse-ld=lld",
                                       "-o",
                                       soPath,
                                       objectPath,
                                       runtime,
                                       "-lpthread",
                                       "-lm",
                                       "-Wl,--no-undefined",
                                       "-Wl,-z,noexecstack"};
  // Flags of a sanitizer build (space-separated), so that models link
  // against the instrumented runtime.
  llvm::SmallVector<llvm::StringRef> extra;
  llvm::StringRef(MODC_MODEL_LINK_FLAGS).split(extra, ' ', -1, false);
  for (llvm::StringRef flag : extra)
    argv.push_back(flag);
  std::string message;
  int rc =
      llvm::sys::ExecuteAndWait(driver, argv, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    error = "linking " + soPath + " failed" +
            (message.empty() ? "" : ": " + message) + " (" + driver + ")";
    return false;
  }
  return true;
}

} // namespace modc
