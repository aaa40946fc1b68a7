//===- Import.h - Checked program to the mod dialect ------------*- C++ -*-===//

#ifndef MODC_IMPORT_IMPORT_H
#define MODC_IMPORT_IMPORT_H

#include "dsl/Program.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

namespace modc {

/// Loads every dialect the importer and the pipeline create ops of.
void loadDialects(mlir::MLIRContext &context);

/// Builds the `mod`-dialect module of `program`; every op is located in
/// `filename`. Returns null (after emitting the error) if the result does
/// not verify.
mlir::OwningOpRef<mlir::ModuleOp> importProgram(mlir::MLIRContext &context,
                                                const sema::Program &program,
                                                llvm::StringRef filename);

} // namespace modc

#endif // MODC_IMPORT_IMPORT_H
