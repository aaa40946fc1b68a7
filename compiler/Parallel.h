//===- Parallel.h - Launchers of outlined parallel loops --------*- C++ -*-===//

#ifndef MODC_COMPILER_PARALLEL_H
#define MODC_COMPILER_PARALLEL_H

namespace llvm {
class Module;
} // namespace llvm

namespace modc {

/// Defines every `__modc_par_launch_K` that mod-outline-parallel declared:
/// the launcher stores its captures in a stack struct and calls
/// `modrt_parallel_range(n, work, trampoline, &struct)`; the trampoline
/// unpacks them and calls `__modc_par_body_K(lo, hi, captures...)`.
/// Returns the number of launchers defined.
int defineParallelLaunchers(llvm::Module &module);

} // namespace modc

#endif // MODC_COMPILER_PARALLEL_H
