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
// Kernel-level functions take memrefs through MLIR's C interface
// (`_mlir_ciface_NAME(descriptor *...)`); their func-dialect declarations
// come from the same prototypes, each descriptor struct of modrt/routing.h
// standing for a fully dynamic strided memref of its rank and element type:
//
//   func::FuncOp fn = MODC_KERNEL_FUNCTION(module, modrt_route_plan);
//   if (failed(modc::abi::call(b, loc, fn, {indices, e, counts, rows, slots})))
//
//===----------------------------------------------------------------------===//

#ifndef MODC_CONVERSION_RUNTIMEABI_H
#define MODC_CONVERSION_RUNTIMEABI_H

#include "modrt/kernels.h"
#include "modrt/routing.h"
#include "modrt/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

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

/// The memref descriptors of the runtime's headers: rank and element type.
template <typename T> struct Descriptor;
#define MODC_DESCRIPTOR(T, R, ELEM)                                            \
  template <> struct Descriptor<T> {                                           \
    static constexpr int64_t rank = R;                                         \
    static mlir::Type element(mlir::MLIRContext *ctx) { return ELEM; }         \
  };
MODC_DESCRIPTOR(modrt_memref1d_i8, 1, mlir::IntegerType::get(ctx, 8))
MODC_DESCRIPTOR(modrt_memref1d_i32, 1, mlir::IntegerType::get(ctx, 32))
MODC_DESCRIPTOR(modrt_memref1d_i64, 1, mlir::IntegerType::get(ctx, 64))
MODC_DESCRIPTOR(modrt_memref2d_i64, 2, mlir::IntegerType::get(ctx, 64))
MODC_DESCRIPTOR(modrt_memref2d_f32, 2, mlir::Float32Type::get(ctx))
MODC_DESCRIPTOR(modrt_memref2d_bf16, 2, mlir::BFloat16Type::get(ctx))
MODC_DESCRIPTOR(modrt_memref2d_f16, 2, mlir::Float16Type::get(ctx))
MODC_DESCRIPTOR(modrt_memref3d_f32, 3, mlir::Float32Type::get(ctx))
#undef MODC_DESCRIPTOR

/// A memref of any sizes, strides and offset.
mlir::MemRefType anyStridedMemref(mlir::Type element, int64_t rank);

/// The func-dialect type of a parameter of a C-interface function.
template <typename T> mlir::Type kernelType(mlir::MLIRContext *ctx) {
  if constexpr (std::is_pointer_v<T>) {
    using D = std::remove_cv_t<std::remove_pointer_t<T>>;
    return anyStridedMemref(Descriptor<D>::element(ctx), Descriptor<D>::rank);
  } else {
    return llvmType<T>(ctx);
  }
}

template <typename F> struct KernelTypeOf;
template <typename... A> struct KernelTypeOf<void(A...)> {
  static mlir::FunctionType get(mlir::MLIRContext *ctx) {
    return mlir::FunctionType::get(ctx, {kernelType<A>(ctx)...}, {});
  }
};
template <typename... A>
struct KernelTypeOf<void(A...) noexcept> : KernelTypeOf<void(A...)> {};

/// The declaration of kernel function `name` (without `_mlir_ciface_`),
/// created with `type` and the C interface if missing.
mlir::func::FuncOp declareKernel(mlir::ModuleOp module, llvm::StringRef name,
                                 mlir::FunctionType type);

/// Calls `fn` with `args`, each memref cast to the declared parameter type.
/// An argument that cannot match (another element type or rank, a scalar of
/// another type) is an error at `loc`: a compiler bug caught before it
/// becomes a wrong call.
mlir::LogicalResult call(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::func::FuncOp fn, mlir::ValueRange args);

/// The message arguments of the runtime's checks: memref<Nxi8> views of
/// private constant globals `modc.msg.K` of one module. Built once per pass
/// run (one scan of the module for the names already taken); a text used
/// twice shares one global.
class Messages {
public:
  explicit Messages(mlir::ModuleOp module);
  mlir::Value get(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef text);

private:
  mlir::ModuleOp module;
  unsigned next = 0;
  llvm::StringMap<std::string> byText;
};

} // namespace abi
} // namespace modc

/// The LLVM declaration of the runtime function FN (a C identifier declared
/// in the runtime's public headers) in MODULE.
#define MODC_RUNTIME_FUNCTION(module, fn)                                      \
  ::modc::abi::declare(                                                        \
      (module), #fn,                                                           \
      ::modc::abi::FunctionTypeOf<decltype(::fn)>::get((module).getContext()))

/// The func-dialect declaration of kernel function FN (the C identifier is
/// `_mlir_ciface_` FN, declared in the runtime's public headers) in MODULE.
#define MODC_KERNEL_FUNCTION(module, fn)                                       \
  ::modc::abi::declareKernel(                                                  \
      (module), #fn,                                                           \
      ::modc::abi::KernelTypeOf<decltype(::_mlir_ciface_##fn)>::get(           \
          (module).getContext()))

#endif // MODC_CONVERSION_RUNTIMEABI_H
