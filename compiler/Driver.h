//===- Driver.h - The compilation driver ------------------------*- C++ -*-===//
//
// Everything `modc` does, as a function of its options: the tool is a thin
// command-line wrapper, and in-process users (tests, program-induction
// experiments) call the same code.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_COMPILER_DRIVER_H
#define MODC_COMPILER_DRIVER_H

#include <string>
#include <vector>

#define MODC_VERSION "0.1.0"

namespace modc {

struct DriverOptions {
  std::string inputFile;
  std::string outputFile;
  std::string emit = "so";
  bool checkOnly = false;
  bool printParams = false;
  unsigned optLevel = 2;
  std::vector<std::string> defines;
  std::string target = "cpu";
  std::string mcpu = "native";
  /// --gpu-arch of --target=cuda.
  std::string gpuArch = "sm_90";
  /// Hidden --gpu-mapped-on-host (PipelineOptions::gpuMappedOnHost).
  bool gpuMappedOnHost = false;
  std::string headerFile;
  bool stats = false;
  bool verifyEach = false;
  /// `ENTRY.ARG=VALUE`: the integer argument ARG of ENTRY is VALUE in every
  /// element (one library per task or tenant); the argument stays in the
  /// ABI and is ignored.
  std::vector<std::string> specialize;
};

/// Runs the driver; returns the process exit status (0, 1 or 2).
int runDriver(const DriverOptions &options);

} // namespace modc

#endif // MODC_COMPILER_DRIVER_H
