//===- CNames.h - Names a generated C/C++ header cannot use -----*- C++ -*-===//
//
// The header modc writes for a library (`--header`) names the model type,
// each entry's arguments and dyns: none of them may be a C or C++ keyword
// or one of the header's own type names.
//
//===----------------------------------------------------------------------===//

#ifndef MODC_SUPPORT_CNAMES_H
#define MODC_SUPPORT_CNAMES_H

#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>

namespace modc {

/// True for a C23 or C++20 keyword, a type name or macro the header uses or
/// gets from <stdint.h> and <stddef.h> (INT64_MAX, MODRT_...), a macro GNU C
/// predefines (`linux`), or a name of the library's symbol table that is
/// not the model's: the runtime's (`modrt`, `modrt_...`) and MLIR's
/// (`_mlir_ciface_...`).
inline bool isReservedInCHeader(std::string_view name) {
  auto startsWith = [&](std::string_view p) {
    return name.substr(0, p.size()) == p;
  };
  auto endsWith = [&](std::string_view p) {
    return name.size() >= p.size() && name.substr(name.size() - p.size()) == p;
  };
  if (name == "modrt" || startsWith("modrt_") || startsWith("MODRT_") ||
      startsWith("_mlir"))
    return true;
  // C reserves every name that starts with two underscores or with one and
  // an upper-case letter (C11 7.1.3) for the compiler, which uses them:
  // __LINE__, _Float16, __int128, __attribute__, _Nonnull, ...
  if (startsWith("__") ||
      (name.size() > 1 && name[0] == '_' && name[1] >= 'A' && name[1] <= 'Z'))
    return true;
  // <stdint.h>'s limits and constant macros: INT8_MIN ... UINTMAX_C.
  if ((startsWith("INT") || startsWith("UINT")) &&
      (endsWith("_MIN") || endsWith("_MAX") || endsWith("_C")))
    return true;
  static constexpr std::string_view kNames[] = {"NULL",
                                                "PTRDIFF_MAX",
                                                "PTRDIFF_MIN",
                                                "SIG_ATOMIC_MAX",
                                                "SIG_ATOMIC_MIN",
                                                "SIZE_MAX",
                                                "WCHAR_MAX",
                                                "WCHAR_MIN",
                                                "WINT_MAX",
                                                "WINT_MIN",
                                                "_Alignas",
                                                "_Alignof",
                                                "_Atomic",
                                                "_BitInt",
                                                "_Bool",
                                                "_Complex",
                                                "_Decimal128",
                                                "_Decimal32",
                                                "_Decimal64",
                                                "_Generic",
                                                "_Imaginary",
                                                "_Noreturn",
                                                "_Static_assert",
                                                "_Thread_local",
                                                "alignas",
                                                "alignof",
                                                "and",
                                                "and_eq",
                                                "asm",
                                                "auto",
                                                "bitand",
                                                "bitor",
                                                "bool",
                                                "break",
                                                "case",
                                                "catch",
                                                "char",
                                                "char16_t",
                                                "char32_t",
                                                "char8_t",
                                                "class",
                                                "co_await",
                                                "co_return",
                                                "co_yield",
                                                "compl",
                                                "concept",
                                                "const",
                                                "const_cast",
                                                "consteval",
                                                "constexpr",
                                                "constinit",
                                                "continue",
                                                "decltype",
                                                "default",
                                                "delete",
                                                "do",
                                                "double",
                                                "dynamic_cast",
                                                "else",
                                                "enum",
                                                "explicit",
                                                "export",
                                                "extern",
                                                "false",
                                                "float",
                                                "for",
                                                "friend",
                                                "goto",
                                                "if",
                                                "inline",
                                                "int",
                                                "int16_t",
                                                "int32_t",
                                                "int64_t",
                                                "int8_t",
                                                "linux",
                                                "long",
                                                "mutable",
                                                "namespace",
                                                "new",
                                                "noexcept",
                                                "not",
                                                "not_eq",
                                                "nullptr",
                                                "offsetof",
                                                "operator",
                                                "or",
                                                "or_eq",
                                                "private",
                                                "protected",
                                                "public",
                                                "register",
                                                "reinterpret_cast",
                                                "requires",
                                                "restrict",
                                                "return",
                                                "short",
                                                "signed",
                                                "size_t",
                                                "sizeof",
                                                "static",
                                                "static_assert",
                                                "static_cast",
                                                "struct",
                                                "switch",
                                                "template",
                                                "this",
                                                "thread_local",
                                                "throw",
                                                "true",
                                                "try",
                                                "typedef",
                                                "typeid",
                                                "typename",
                                                "typeof",
                                                "typeof_unqual",
                                                "uint16_t",
                                                "uint32_t",
                                                "uint64_t",
                                                "uint8_t",
                                                "unix",
                                                "union",
                                                "unsigned",
                                                "using",
                                                "virtual",
                                                "void",
                                                "volatile",
                                                "wchar_t",
                                                "while",
                                                "xor",
                                                "xor_eq"};
  return std::find(std::begin(kNames), std::end(kNames), name) !=
         std::end(kNames);
}

/// True for the suffix of a function every compiled library exports
/// (`NAME_init`, ...).
inline bool isLibraryFunctionName(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "create",    "destroy",     "init",           "load",
      "save",      "set_threads", "error",          "describe",
      "get_param", "set_param",   "save_optimizer", "load_optimizer"};
  return std::find(std::begin(kNames), std::end(kNames), name) !=
         std::end(kNames);
}

/// Why an entry or train block cannot be named `name` (a library function's
/// name, or one of the compiler's own `__modc...` functions), or "" if it
/// can. Sema and the IR verifier say the same.
inline std::string exportedNameProblem(std::string_view name) {
  if (name.substr(0, 6) == "__modc")
    return "names beginning with __modc are the compiler's";
  if (isLibraryFunctionName(name))
    return "NAME_" + std::string(name) +
           " is a function of every compiled library";
  return "";
}

} // namespace modc

#endif // MODC_SUPPORT_CNAMES_H
