//===- RuntimeABI.h - Declarations of the runtime's functions ---*- C++ -*-===//
//
// Generated code calls the runtime (runtime/include/modrt/*.h). The LLVM
// declaration of each function is derived here from its C declaration with
// decltype, so the name and the type come from the runtime's header: a
// function that does not exist, or a call built against another type, fails
// to compile instead of failing to link or misbehaving at run time.
//
//   LLVM::LLVMFuncOp fn = MODC_RUNTIME_FUNCTION(module, modrt_create);
//
//===----------------------------------------------------------------------===//

#ifndef MODC_PASSES_RUNTIMEABI_H
#define MODC_PASSES_RUNTIMEABI_H

#include "modrt/kernels.h"
#include "modrt/runtime.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <type_traits>

namespace modc {
namespace abi {

/// The LLVM dialect type of a C parameter or result type.
template <typename T> mlir::Type llvmType(mlir::MLIRContext *ctx) {
  if constexpr (std::is_void_v<T>)
    return mlir::LLVM::LLVMVoidType::get(ctx);
  else if constexpr (std::is_pointer_v<T>)
    return mlir::LLVM::LLVMPointerType::get(ctx);
  else if constexpr (std::is_same_v<T, float>)
    return mlir::Float32Type::get(ctx);
  else if constexpr (std::is_same_v<T, double>)
    return mlir::Float64Type::get(ctx);
  else if constexpr (std::is_integral_v<T>)
    return mlir::IntegerType::get(ctx, 8 * sizeof(T));
  else
    static_assert(sizeof(T) == 0, "no LLVM type for this C type");
}

template <typename F> struct FunctionTypeOf;
template <typename R, typename... A> struct FunctionTypeOf<R(A...)> {
  static mlir::LLVM::LLVMFunctionType get(mlir::MLIRContext *ctx) {
    return mlir::LLVM::LLVMFunctionType::get(llvmType<R>(ctx),
                                             {llvmType<A>(ctx)...});
  }
};
template <typename R, typename... A>
struct FunctionTypeOf<R(A...) noexcept> : FunctionTypeOf<R(A...)> {};
template <typename R, typename... A> struct FunctionTypeOf<R(A..., ...)> {
  static mlir::LLVM::LLVMFunctionType get(mlir::MLIRContext *ctx) {
    return mlir::LLVM::LLVMFunctionType::get(
        llvmType<R>(ctx), {llvmType<A>(ctx)...}, /*isVarArg=*/true);
  }
};

template <typename R, typename... A>
struct FunctionTypeOf<R(A..., ...) noexcept> : FunctionTypeOf<R(A..., ...)> {};

/// The declaration of `name` in `module`, created with `type` if missing.
mlir::LLVM::LLVMFuncOp declare(mlir::ModuleOp module, llvm::StringRef name,
                               mlir::LLVM::LLVMFunctionType type);

} // namespace abi
} // namespace modc

/// The LLVM declaration of the runtime function FN (a C identifier declared
/// in the runtime's public headers) in MODULE.
#define MODC_RUNTIME_FUNCTION(module, fn)                                      \
  ::modc::abi::declare(                                                        \
      (module), #fn,                                                           \
      ::modc::abi::FunctionTypeOf<decltype(::fn)>::get((module).getContext()))

#endif // MODC_PASSES_RUNTIMEABI_H
