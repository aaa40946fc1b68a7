//===- Descriptor.cpp - The model descriptor string -----------------------===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// Parses the descriptor string the compiler embeds in a model library. The
/// grammar, one record per line, tokens separated by spaces (runs of spaces,
/// tabs and carriage returns are accepted, blank lines are skipped):
///
///   modrt 1                                 format version, first line
///   model NAME                              second line
///   dim NAME VALUE                          a compile-time dim, VALUE >= 0
///   dyn NAME                                a runtime dim; dyn index = order
///   param NAME DTYPE RANK D0 .. D{RANK-1} trainable|frozen INIT
///   entry NAME NUMDYNS DYNIDX...            followed by its in/out lines
///   in  NAME DTYPE RANK DIM...              an input of the last entry
///   out NAME DTYPE RANK DIM...              an output of the last entry
///   train NAME NUMDYNS DYNIDX...            a train block: in lines, one
///                                           `out loss f32 0`, update lines
///   update OPT NPARAMS PARAMIDX... NHYPER HYPER...
///                                           OPT 0 sgd, 1 adam, 2 adamw
///   end                                     last line
///
/// with DTYPE one of f32 f16 bf16 i32 i64 bool; INIT one of `zeros`, `ones`,
/// `const V`, `normal MEAN STD`, `uniform LO HI`, `xavier`; and a symbolic
/// DIM written `CONST NUMTERMS (DYNIDX COEFF)*`, meaning CONST + sum(COEFF *
/// dyn[DYNIDX]). Names are [A-Za-z0-9_.]+, integers decimal int64, reals as
/// printed by %.17g (parsed locale-independently). dim, dyn, param and entry
/// records may come in any order; parameter index = order of param lines.
///
/// Everything is validated: a malformed descriptor yields null and a message,
/// never a crash. Beyond the syntax the parser checks that names are unique
/// (params; dims and dyns together; entries; the inputs and outputs of one
/// entry), that every DYNIDX of an entry names a declared dyn, that the terms
/// of its tensors only use the entry's own dyns, and that the parameters stay
/// below 2^62 bytes. Hostile sizes are bounded too: rank <= 32, at most 1024
/// dyns per entry and 64 terms per dimension, 64 MiB of text.
///
//===----------------------------------------------------------------------===//

#include "Descriptor.h"

#include "modrt/runtime.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>

namespace modrt {

static_assert(MaxDescriptorLength / 2 < size_t(INT32_MAX),
              "record counts must fit in int32_t");

namespace {

bool isNameChar(char C) {
  return (C >= 'A' && C <= 'Z') || (C >= 'a' && C <= 'z') ||
         (C >= '0' && C <= '9') || C == '_' || C == '.';
}

bool isValidName(const char *Name) {
  size_t Len = 0;
  for (; Name[Len]; ++Len)
    if (!isNameChar(Name[Len]) || Len >= MaxNameLength)
      return false;
  return Len > 0;
}

/// Parses a decimal int64 with an optional '-'; nothing else is accepted.
bool parseInteger(const char *Text, int64_t &Value) {
  const char *End = Text + std::strlen(Text);
  if (Text == End || *Text == '+')
    return false;
  auto [Ptr, Ec] = std::from_chars(Text, End, Value, 10);
  return Ec == std::errc() && Ptr == End;
}

/// Parses a finite real; from_chars is locale-independent, unlike strtod.
bool parseReal(const char *Text, double &Value) {
  const char *End = Text + std::strlen(Text);
  if (Text == End || *Text == '+')
    return false;
  auto [Ptr, Ec] = std::from_chars(Text, End, Value);
  return Ec == std::errc() && Ptr == End && std::isfinite(Value);
}

bool parseDtype(const char *Text, modrt_dtype &DType) {
  static const modrt_dtype All[] = {MODRT_F32, MODRT_F16, MODRT_BF16,
                                    MODRT_I32, MODRT_I64, MODRT_BOOL};
  for (modrt_dtype Candidate : All) {
    if (std::strcmp(Text, dtypeName(Candidate)) == 0) {
      DType = Candidate;
      return true;
    }
  }
  return false;
}

} // namespace

/// The descriptor text's format version (the `modrt N` record). Records
/// added since (train, update) are optional, so it stays 1 while
/// modrt_info's layout (MODRT_ABI_VERSION) grew.
constexpr int DescriptorVersion = 1;

/// Fills a Descriptor from text, record by record, then fixes up the
/// pointers of the modrt_info structs once every array has its final size.
class DescriptorParser {
public:
  DescriptorParser(Descriptor &D, ErrorSink &Err) : D(D), Err(Err) {}

  bool run(const char *Text, size_t Length);

private:
  bool fail(const char *Fmt, ...) MODRT_PRINTF(2, 3);
  bool noMemory() {
    Err.fail(MODRT_ENOMEM, "descriptor: out of memory");
    return false;
  }

  /// Token I of the current line, or null past the end.
  const char *token(size_t I) const {
    return I < Toks.size() ? Toks[I] : nullptr;
  }
  bool expectTokens(size_t N, const char *Record) {
    if (Toks.size() != N)
      return fail("'%s' record takes %zu fields, got %zu", Record, N - 1,
                  Toks.size() - 1);
    return true;
  }
  bool nameAt(size_t I, const char *&Name) {
    Name = token(I);
    if (!Name)
      return fail("missing name");
    if (!isValidName(Name))
      return fail("invalid name '%.64s'", Name);
    return true;
  }
  bool integerAt(size_t I, int64_t &Value, const char *What) {
    const char *Text = token(I);
    if (!Text)
      return fail("missing %s", What);
    if (!parseInteger(Text, Value))
      return fail("invalid %s '%.64s'", What, Text);
    return true;
  }
  bool realAt(size_t I, double &Value, const char *What) {
    const char *Text = token(I);
    if (!Text)
      return fail("missing %s", What);
    if (!parseReal(Text, Value))
      return fail("invalid %s '%.64s'", What, Text);
    return true;
  }
  bool dtypeAt(size_t I, modrt_dtype &DType) {
    const char *Text = token(I);
    if (!Text)
      return fail("missing dtype");
    if (!parseDtype(Text, DType))
      return fail("unknown dtype '%.64s'", Text);
    return true;
  }

  bool parseLine();
  bool parseDim();
  bool parseDyn();
  bool parseParam();
  bool parseDerived();
  bool parseEntry(bool IsTrain);
  bool parseUpdate();
  bool parseTensor(bool IsInput);
  bool finish();
  bool checkNames();
  bool checkDynIndices();

  Descriptor &D;
  ErrorSink &Err;
  Vec<const char *> Toks;
  size_t LineNumber = 0;
  bool SawEnd = false;

  // Where each record's items start in the flat arrays; pointers are set
  // from these once the arrays stop growing.
  Vec<size_t> ParamShapeStart;
  Vec<size_t> EntryDynStart;
  Vec<size_t> EntryInputStart;
  Vec<size_t> EntryOutputStart;
  Vec<size_t> TrainDynStart;
  Vec<size_t> TrainInputStart;
  Vec<size_t> TrainOutputStart;
  /// `in`/`out` records belong to the last `entry` or `train`.
  bool LastIsTrain = false;
  Vec<size_t> InputDimStart;
  Vec<size_t> OutputDimStart;
  Vec<size_t> DimTermStart;
};

bool DescriptorParser::fail(const char *Fmt, ...) {
  char Message[256];
  va_list Args;
  va_start(Args, Fmt);
  std::vsnprintf(Message, sizeof(Message), Fmt, Args);
  va_end(Args);
  Err.fail(MODRT_EFORMAT, "descriptor line %zu: %s", LineNumber, Message);
  return false;
}

bool DescriptorParser::run(const char *Text, size_t Length) {
  D.Source.reset(std::malloc(Length + 1));
  D.Tokens.reset(std::malloc(Length + 1));
  if (!D.Source.get() || !D.Tokens.get())
    return noMemory();
  std::memcpy(D.Source.get(), Text, Length + 1);
  std::memcpy(D.Tokens.get(), Text, Length + 1);
  D.SourceLength = Length;

  // Cut the copy into lines and tokens in place: separators become NULs, so
  // the names in modrt_info point straight into it.
  char *Buffer = D.Tokens.chars();
  size_t Pos = 0;
  while (Pos < Length) {
    ++LineNumber;
    Toks.clear();
    while (Pos < Length && Buffer[Pos] != '\n') {
      char C = Buffer[Pos];
      if (C == ' ' || C == '\t' || C == '\r') {
        Buffer[Pos++] = '\0';
        continue;
      }
      if (!Toks.push(Buffer + Pos))
        return noMemory();
      while (Pos < Length && Buffer[Pos] != '\n' && Buffer[Pos] != ' ' &&
             Buffer[Pos] != '\t' && Buffer[Pos] != '\r')
        ++Pos;
    }
    if (Pos < Length)
      Buffer[Pos++] = '\0';
    if (Toks.empty())
      continue;
    if (!parseLine())
      return false;
  }
  ++LineNumber;
  if (!SawEnd)
    return fail("missing 'end' record");
  return finish();
}

bool DescriptorParser::parseLine() {
  const char *Record = Toks[0];
  if (SawEnd)
    return fail("'%.64s' after 'end'", Record);
  if (!D.Info.model_name) {
    // The first two records are fixed: the format version and the model.
    if (!D.Info.abi_version) {
      int64_t Version;
      if (std::strcmp(Record, "modrt") != 0)
        return fail("expected 'modrt %d'", DescriptorVersion);
      if (!expectTokens(2, "modrt") || !integerAt(1, Version, "version"))
        return false;
      if (Version != DescriptorVersion)
        return fail("unsupported descriptor version %lld (expected %d)",
                    static_cast<long long>(Version), DescriptorVersion);
      D.Info.abi_version = MODRT_ABI_VERSION;
      return true;
    }
    if (std::strcmp(Record, "model") != 0)
      return fail("expected 'model NAME'");
    return expectTokens(2, "model") && nameAt(1, D.Info.model_name);
  }
  if (std::strcmp(Record, "dim") == 0)
    return parseDim();
  if (std::strcmp(Record, "dyn") == 0)
    return parseDyn();
  if (std::strcmp(Record, "param") == 0)
    return parseParam();
  if (std::strcmp(Record, "derived") == 0)
    return parseDerived();
  if (std::strcmp(Record, "entry") == 0)
    return parseEntry(/*IsTrain=*/false);
  if (std::strcmp(Record, "train") == 0)
    return parseEntry(/*IsTrain=*/true);
  if (std::strcmp(Record, "update") == 0)
    return parseUpdate();
  if (std::strcmp(Record, "in") == 0)
    return parseTensor(/*IsInput=*/true);
  if (std::strcmp(Record, "out") == 0)
    return parseTensor(/*IsInput=*/false);
  if (std::strcmp(Record, "end") == 0) {
    SawEnd = true;
    return expectTokens(1, "end");
  }
  return fail("unknown record '%.64s'", Record);
}

bool DescriptorParser::parseDim() {
  const char *Name;
  int64_t Value;
  if (!expectTokens(3, "dim") || !nameAt(1, Name) ||
      !integerAt(2, Value, "dim value"))
    return false;
  if (Value < 0)
    return fail("dim '%s' is negative", Name);
  if (!D.DimNames.push(Name) || !D.DimValues.push(Value))
    return noMemory();
  return true;
}

bool DescriptorParser::parseDyn() {
  const char *Name;
  if (!expectTokens(2, "dyn") || !nameAt(1, Name))
    return false;
  if (!D.DynNames.push(Name))
    return noMemory();
  return true;
}

bool DescriptorParser::parseParam() {
  modrt_param_info P{};
  int64_t Rank;
  if (!nameAt(1, P.name) || !dtypeAt(2, P.dtype) || !integerAt(3, Rank, "rank"))
    return false;
  if (Rank < 0 || Rank > MaxRank)
    return fail("parameter '%s': rank %lld outside [0, %d]", P.name,
                static_cast<long long>(Rank), MaxRank);
  P.rank = int32_t(Rank);
  if (!ParamShapeStart.push(D.Shapes.size()))
    return noMemory();
  size_t I = 4;
  for (int32_t Axis = 0; Axis < P.rank; ++Axis, ++I) {
    int64_t Extent;
    if (!integerAt(I, Extent, "dimension"))
      return false;
    if (Extent < 0)
      return fail("parameter '%s': negative dimension %lld", P.name,
                  static_cast<long long>(Extent));
    if (!D.Shapes.push(Extent))
      return noMemory();
  }
  const char *Trainable = token(I++);
  if (!Trainable)
    return fail("parameter '%s': missing trainable|frozen", P.name);
  if (std::strcmp(Trainable, "trainable") == 0)
    P.trainable = 1;
  else if (std::strcmp(Trainable, "frozen") != 0)
    return fail("parameter '%s': expected trainable|frozen, got '%.64s'",
                P.name, Trainable);

  InitSpec Init{InitKind::Zeros, 0.0, 0.0};
  const char *InitName = token(I++);
  size_t NumArgs = 0;
  if (!InitName)
    return fail("parameter '%s': missing initialiser", P.name);
  if (std::strcmp(InitName, "zeros") == 0) {
    Init.Kind = InitKind::Zeros;
  } else if (std::strcmp(InitName, "ones") == 0) {
    Init.Kind = InitKind::Ones;
  } else if (std::strcmp(InitName, "xavier") == 0) {
    Init.Kind = InitKind::Xavier;
  } else if (std::strcmp(InitName, "const") == 0) {
    Init.Kind = InitKind::Const;
    NumArgs = 1;
  } else if (std::strcmp(InitName, "normal") == 0) {
    Init.Kind = InitKind::Normal;
    NumArgs = 2;
  } else if (std::strcmp(InitName, "uniform") == 0) {
    Init.Kind = InitKind::Uniform;
    NumArgs = 2;
  } else {
    return fail("parameter '%s': unknown initialiser '%.64s'", P.name,
                InitName);
  }
  if (NumArgs >= 1 && !realAt(I, Init.A, "initialiser argument"))
    return false;
  if (NumArgs >= 2 && !realAt(I + 1, Init.B, "initialiser argument"))
    return false;
  if (Toks.size() != I + NumArgs)
    return fail("parameter '%s': unexpected fields after the initialiser",
                P.name);

  const int64_t *Shape = D.Shapes.data() + ParamShapeStart.back();
  uint64_t Bytes;
  if (!checkedElementCount(Shape, P.rank, P.count) ||
      __builtin_mul_overflow(uint64_t(P.count), dtypeSize(P.dtype), &Bytes) ||
      Bytes > MaxBlockBytes)
    return fail("parameter '%s' is too large", P.name);
  if (!D.Params.push(P) || !D.Inits.push(Init) || !D.ParamBytes.push(Bytes))
    return noMemory();
  return true;
}

bool DescriptorParser::parseEntry(bool IsTrain) {
  modrt_entry_info E{};
  const char *Record = IsTrain ? "train" : "entry";
  int64_t NumDyns;
  if (!nameAt(1, E.name) || !integerAt(2, NumDyns, "dyn count"))
    return false;
  if (NumDyns < 0 || NumDyns > MaxEntryDyns)
    return fail("%s '%s': dyn count %lld outside [0, %d]", Record, E.name,
                static_cast<long long>(NumDyns), MaxEntryDyns);
  E.num_dyns = int32_t(NumDyns);
  if (!expectTokens(3 + size_t(NumDyns), Record))
    return false;
  if (!(IsTrain ? TrainDynStart : EntryDynStart).push(D.EntryDyns.size()) ||
      !(IsTrain ? TrainInputStart : EntryInputStart).push(D.Inputs.size()) ||
      !(IsTrain ? TrainOutputStart : EntryOutputStart).push(D.Outputs.size()))
    return noMemory();
  for (int32_t I = 0; I < E.num_dyns; ++I) {
    int64_t Index;
    if (!integerAt(3 + size_t(I), Index, "dyn index"))
      return false;
    // Checked against the dyn count in finish(); here only the range.
    if (Index < 0 || Index > INT32_MAX)
      return fail("%s '%s': dyn index %lld out of range", Record, E.name,
                  static_cast<long long>(Index));
    if (!D.EntryDyns.push(int32_t(Index)))
      return noMemory();
  }
  if (!(IsTrain ? D.Trains : D.Entries).push(E))
    return noMemory();
  LastIsTrain = IsTrain;
  return true;
}

/// update OPTIMIZER NPARAMS PARAM... NHYPER HYPER... for the last train.
bool DescriptorParser::parseUpdate() {
  if (D.Trains.empty() || !LastIsTrain)
    return fail("'update' record outside a 'train'");
  UpdateRecord U{};
  U.Train = int32_t(D.Trains.size() - 1);
  int64_t Kind, NumParams, NumHyper;
  if (!integerAt(1, Kind, "optimizer") ||
      !integerAt(2, NumParams, "parameter count"))
    return false;
  if (Kind < 0 || Kind > 2)
    return fail("update: unknown optimizer %lld", static_cast<long long>(Kind));
  U.Optimizer = OptimizerKind(Kind);
  if (NumParams < 1 || NumParams > int64_t(1) << 30)
    return fail("update: parameter count %lld out of range",
                static_cast<long long>(NumParams));
  U.FirstParam = D.UpdateParams.size();
  U.NumParams = size_t(NumParams);
  size_t I = 3;
  for (int64_t P = 0; P < NumParams; ++P) {
    int64_t Index;
    if (!integerAt(I++, Index, "parameter index"))
      return false;
    // Checked against the parameters in finish(); here only the range.
    if (Index < 0 || Index > INT32_MAX)
      return fail("update: parameter index %lld out of range",
                  static_cast<long long>(Index));
    if (!D.UpdateParams.push(int32_t(Index)))
      return noMemory();
  }
  if (!integerAt(I++, NumHyper, "hyper-parameter count"))
    return false;
  int64_t Expected = U.Optimizer == OptimizerKind::Sgd ? 4 : 5;
  if (NumHyper != Expected)
    return fail("update: %lld hyper-parameters, expected %lld",
                static_cast<long long>(NumHyper),
                static_cast<long long>(Expected));
  for (int64_t H = 0; H < NumHyper; ++H)
    if (!realAt(I++, U.Hyper[H], "hyper-parameter"))
      return false;
  if (Toks.size() != I)
    return fail("update: unexpected fields after the hyper-parameters");
  if (!D.Updates.push(U))
    return noMemory();
  return true;
}

bool DescriptorParser::parseTensor(bool IsInput) {
  const char *Record = IsInput ? "in" : "out";
  Vec<modrt_entry_info> &Owners = LastIsTrain ? D.Trains : D.Entries;
  if (Owners.empty())
    return fail("'%s' record before any 'entry'", Record);
  modrt_tensor_info T{};
  int64_t Rank;
  if (!nameAt(1, T.name) || !dtypeAt(2, T.dtype) || !integerAt(3, Rank, "rank"))
    return false;
  if (Rank < 0 || Rank > MaxRank)
    return fail("%s '%s': rank %lld outside [0, %d]", Record, T.name,
                static_cast<long long>(Rank), MaxRank);
  T.rank = int32_t(Rank);
  Vec<size_t> &DimStart = IsInput ? InputDimStart : OutputDimStart;
  if (!DimStart.push(D.Dims.size()))
    return noMemory();
  size_t I = 4;
  for (int32_t Axis = 0; Axis < T.rank; ++Axis) {
    modrt_dim Dim{};
    int64_t NumTerms;
    if (!integerAt(I++, Dim.constant, "dimension constant") ||
        !integerAt(I++, NumTerms, "term count"))
      return false;
    if (NumTerms < 0 || NumTerms > MaxDimTerms)
      return fail("%s '%s': term count %lld outside [0, %d]", Record, T.name,
                  static_cast<long long>(NumTerms), MaxDimTerms);
    Dim.num_terms = int32_t(NumTerms);
    if (!DimTermStart.push(D.TermDyns.size()))
      return noMemory();
    for (int32_t Term = 0; Term < Dim.num_terms; ++Term) {
      int64_t Index, Coeff;
      if (!integerAt(I++, Index, "dyn index") ||
          !integerAt(I++, Coeff, "coefficient"))
        return false;
      if (Index < 0 || Index > INT32_MAX)
        return fail("%s '%s': dyn index %lld out of range", Record, T.name,
                    static_cast<long long>(Index));
      if (!D.TermDyns.push(int32_t(Index)) || !D.TermCoeffs.push(Coeff))
        return noMemory();
    }
    if (!D.Dims.push(Dim))
      return noMemory();
  }
  if (Toks.size() != I)
    return fail("%s '%s': unexpected fields after the dimensions", Record,
                T.name);
  modrt_entry_info &E = Owners.back();
  if (!(IsInput ? D.Inputs : D.Outputs).push(T))
    return noMemory();
  ++(IsInput ? E.num_inputs : E.num_outputs);
  return true;
}

/// derived NAME ROWS COLS NTERMS then per term `w SCALE P` or
/// `ab SCALE A B` (parameter indices declared before).
bool DescriptorParser::parseDerived() {
  DerivedParam P{};
  int64_t NumTerms;
  if (!nameAt(1, P.Name) || !integerAt(2, P.Rows, "rows") ||
      !integerAt(3, P.Cols, "columns") || !integerAt(4, NumTerms, "term count"))
    return false;
  if (P.Rows < 0 || P.Cols < 0 || NumTerms < 1 || NumTerms > 64)
    return fail("derived '%s': bad shape or term count", P.Name);
  if (uint64_t(P.Rows) > MaxBlockBytes / 4 / (uint64_t(P.Cols) + 1))
    return fail("derived '%s': too large", P.Name);
  P.FirstTerm = D.DerivedTerms.size();
  P.NumTerms = size_t(NumTerms);
  size_t I = 5;
  auto shapeIs = [&](int64_t Param, int64_t R, int64_t C) {
    const modrt_param_info &Q = D.Params[size_t(Param)];
    const int64_t *Shape = D.Shapes.data() + ParamShapeStart[size_t(Param)];
    return Q.dtype == MODRT_F32 && Q.rank == 2 && (R < 0 || Shape[0] == R) &&
           (C < 0 || Shape[1] == C);
  };
  auto param = [&](size_t At, int64_t &Index) {
    if (!integerAt(At, Index, "parameter index"))
      return false;
    if (Index < 0 || Index >= int64_t(D.Params.size()))
      return fail("derived '%s': no parameter %lld", P.Name,
                  static_cast<long long>(Index));
    return true;
  };
  for (int64_t T = 0; T < NumTerms; ++T) {
    const char *Kind = token(I);
    DerivedTerm Term{0.0, -1, -1};
    int64_t A = -1, B = -1;
    if (!Kind)
      return fail("derived '%s': missing term", P.Name);
    if (!realAt(I + 1, Term.Scale, "scale"))
      return false;
    if (std::strcmp(Kind, "w") == 0) {
      if (!param(I + 2, A))
        return false;
      if (!shapeIs(A, P.Rows, P.Cols))
        return fail("derived '%s': term %lld is not f32[%lld, %lld]", P.Name,
                    static_cast<long long>(T), static_cast<long long>(P.Rows),
                    static_cast<long long>(P.Cols));
      I += 3;
    } else if (std::strcmp(Kind, "ab") == 0) {
      if (!param(I + 2, A) || !param(I + 3, B))
        return false;
      int64_t Inner = D.Shapes[ParamShapeStart[size_t(A)] + 1];
      if (!shapeIs(A, P.Rows, -1) || !shapeIs(B, Inner, P.Cols))
        return fail("derived '%s': term %lld is not [%lld, r] @ [r, %lld]",
                    P.Name, static_cast<long long>(T),
                    static_cast<long long>(P.Rows),
                    static_cast<long long>(P.Cols));
      I += 4;
    } else {
      return fail("derived '%s': unknown term '%.64s'", P.Name, Kind);
    }
    Term.A = int32_t(A);
    Term.B = int32_t(B);
    if (!D.DerivedTerms.push(Term))
      return noMemory();
  }
  if (Toks.size() != I)
    return fail("derived '%s': unexpected tokens", P.Name);
  if (!D.Derived.push(P))
    return noMemory();
  return true;
}

bool DescriptorParser::checkNames() {
  NameTable Names;
  if (!Names.init(D.Params.size()))
    return noMemory();
  for (size_t I = 0; I < D.Params.size(); ++I)
    if (!Names.insert(D.Params[I].name, int64_t(I)))
      return fail("duplicate parameter '%s'", D.Params[I].name);
  if (!D.Derived.empty()) {
    if (!Names.init(D.Params.size() + D.Derived.size()))
      return noMemory();
    for (size_t I = 0; I < D.Params.size(); ++I)
      Names.insert(D.Params[I].name, int64_t(I));
    for (size_t I = 0; I < D.Derived.size(); ++I)
      if (!Names.insert(D.Derived[I].Name, int64_t(D.Params.size() + I)))
        return fail("duplicate parameter '%s'", D.Derived[I].Name);
  }

  // dims and dyns share the namespace of values.
  if (!Names.init(D.DimNames.size() + D.DynNames.size()))
    return noMemory();
  for (size_t I = 0; I < D.DimNames.size(); ++I)
    if (!Names.insert(D.DimNames[I], int64_t(I)))
      return fail("duplicate dim '%s'", D.DimNames[I]);
  for (size_t I = 0; I < D.DynNames.size(); ++I)
    if (!Names.insert(D.DynNames[I], int64_t(I)))
      return fail("duplicate dim or dyn '%s'", D.DynNames[I]);

  // Entries and train blocks are both exported as NAME_X.
  if (!Names.init(D.Entries.size() + D.Trains.size()))
    return noMemory();
  for (size_t I = 0; I < D.Entries.size(); ++I)
    if (!Names.insert(D.Entries[I].name, int64_t(I)))
      return fail("duplicate entry '%s'", D.Entries[I].name);
  for (size_t I = 0; I < D.Trains.size(); ++I)
    if (!Names.insert(D.Trains[I].name, int64_t(D.Entries.size() + I)))
      return fail("duplicate entry '%s'", D.Trains[I].name);

  for (size_t I = 0; I < D.Entries.size() + D.Trains.size(); ++I) {
    const modrt_entry_info &E =
        I < D.Entries.size() ? D.Entries[I] : D.Trains[I - D.Entries.size()];
    if (!Names.init(size_t(E.num_inputs) + size_t(E.num_outputs)))
      return noMemory();
    for (int32_t J = 0; J < E.num_inputs; ++J)
      if (!Names.insert(E.inputs[J].name, J))
        return fail("entry '%s': duplicate argument '%s'", E.name,
                    E.inputs[J].name);
    for (int32_t J = 0; J < E.num_outputs; ++J)
      if (!Names.insert(E.outputs[J].name, J))
        return fail("entry '%s': duplicate argument '%s'", E.name,
                    E.outputs[J].name);
  }
  return true;
}

bool DescriptorParser::checkDynIndices() {
  // Marks the dyns of the entry being checked.
  Vec<uint8_t> InEntry;
  if (!InEntry.resize(D.DynNames.size()))
    return noMemory();
  size_t NumDyns = D.DynNames.size();
  for (size_t I = 0; I < D.Entries.size() + D.Trains.size(); ++I) {
    const modrt_entry_info &E =
        I < D.Entries.size() ? D.Entries[I] : D.Trains[I - D.Entries.size()];
    bool Valid = true;
    for (int32_t J = 0; J < E.num_dyns; ++J) {
      size_t Index = size_t(E.dyns[J]);
      if (Index >= NumDyns) {
        fail("entry '%s': dyn index %zu out of range (%zu dyns)", E.name, Index,
             NumDyns);
        Valid = false;
        break;
      }
      if (InEntry[Index]) {
        fail("entry '%s': dyn '%s' listed twice", E.name, D.DynNames[Index]);
        Valid = false;
        break;
      }
      InEntry[Index] = 1;
    }
    for (int32_t Side = 0; Valid && Side < 2; ++Side) {
      const modrt_tensor_info *Tensors = Side ? E.outputs : E.inputs;
      int32_t Count = Side ? E.num_outputs : E.num_inputs;
      for (int32_t T = 0; Valid && T < Count; ++T) {
        for (int32_t Axis = 0; Valid && Axis < Tensors[T].rank; ++Axis) {
          const modrt_dim &Dim = Tensors[T].dims[Axis];
          for (int32_t Term = 0; Term < Dim.num_terms; ++Term) {
            size_t Index = size_t(Dim.dyn_index[Term]);
            if (Index >= NumDyns || !InEntry[Index]) {
              fail("entry '%s': '%s' uses dyn index %zu, which is not a dyn "
                   "of the entry",
                   E.name, Tensors[T].name, Index);
              Valid = false;
              break;
            }
          }
        }
      }
    }
    for (int32_t J = 0; J < E.num_dyns; ++J)
      if (size_t(E.dyns[J]) < NumDyns)
        InEntry[size_t(E.dyns[J])] = 0;
    if (!Valid)
      return false;
  }
  return true;
}

bool DescriptorParser::finish() {
  // Every array now has its final size: set the pointers.
  for (size_t I = 0; I < D.Params.size(); ++I)
    D.Params[I].shape =
        D.Params[I].rank ? D.Shapes.data() + ParamShapeStart[I] : nullptr;
  for (size_t I = 0; I < D.Dims.size(); ++I) {
    bool HasTerms = D.Dims[I].num_terms > 0;
    D.Dims[I].dyn_index =
        HasTerms ? D.TermDyns.data() + DimTermStart[I] : nullptr;
    D.Dims[I].coeff =
        HasTerms ? D.TermCoeffs.data() + DimTermStart[I] : nullptr;
  }
  for (size_t I = 0; I < D.Inputs.size(); ++I)
    D.Inputs[I].dims =
        D.Inputs[I].rank ? D.Dims.data() + InputDimStart[I] : nullptr;
  for (size_t I = 0; I < D.Outputs.size(); ++I)
    D.Outputs[I].dims =
        D.Outputs[I].rank ? D.Dims.data() + OutputDimStart[I] : nullptr;
  // Entries and train blocks point into the shared dyn/input/output arrays.
  auto point = [&](Vec<modrt_entry_info> &List, const Vec<size_t> &DynStart,
                   const Vec<size_t> &InputStart,
                   const Vec<size_t> &OutputStart) {
    for (size_t I = 0; I < List.size(); ++I) {
      modrt_entry_info &E = List[I];
      E.dyns = E.num_dyns ? D.EntryDyns.data() + DynStart[I] : nullptr;
      E.inputs = E.num_inputs ? D.Inputs.data() + InputStart[I] : nullptr;
      E.outputs = E.num_outputs ? D.Outputs.data() + OutputStart[I] : nullptr;
    }
  };
  point(D.Entries, EntryDynStart, EntryInputStart, EntryOutputStart);
  point(D.Trains, TrainDynStart, TrainInputStart, TrainOutputStart);
  for (size_t I = 0; I < D.Trains.size(); ++I) {
    const modrt_entry_info &E = D.Trains[I];
    if (E.num_outputs != 1 || E.outputs[0].rank != 0 ||
        E.outputs[0].dtype != MODRT_F32)
      return fail("train '%s': the one output must be an f32 scalar loss",
                  E.name);
  }
  // Updates name trainable parameters, each at most once per train block:
  // Seen[P] is 1 + the last train block that named P.
  Vec<size_t> Seen;
  if (!Seen.resize(D.Params.size()))
    return noMemory();
  for (size_t T = 0; T < D.Trains.size(); ++T)
    for (size_t U = 0; U < D.Updates.size(); ++U) {
      const UpdateRecord &R = D.Updates[U];
      if (size_t(R.Train) != T)
        continue;
      for (size_t P = R.FirstParam; P < R.FirstParam + R.NumParams; ++P) {
        size_t Index = size_t(D.UpdateParams[P]);
        if (Index >= D.Params.size())
          return fail("update: parameter index %zu out of range", Index);
        if (!D.Params[Index].trainable)
          return fail("update: parameter '%s' is frozen", D.Params[Index].name);
        if (Seen[Index] == T + 1)
          return fail("update: parameter '%s' updated twice",
                      D.Params[Index].name);
        Seen[Index] = T + 1;
      }
    }

  modrt_info &Info = D.Info;
  Info.num_params = int32_t(D.Params.size());
  Info.params = D.Params.empty() ? nullptr : D.Params.data();
  Info.num_entries = int32_t(D.Entries.size());
  Info.entries = D.Entries.empty() ? nullptr : D.Entries.data();
  Info.num_dims = int32_t(D.DimNames.size());
  Info.dim_names = D.DimNames.empty() ? nullptr : D.DimNames.data();
  Info.dim_values = D.DimValues.empty() ? nullptr : D.DimValues.data();
  Info.num_dyns = int32_t(D.DynNames.size());
  Info.dyn_names = D.DynNames.empty() ? nullptr : D.DynNames.data();
  Info.num_trains = int32_t(D.Trains.size());
  Info.trains = D.Trains.empty() ? nullptr : D.Trains.data();

  if (!checkNames() || !checkDynIndices())
    return false;

  // Lay the parameters out in one block, each aligned for vector loads;
  // the derived ones after them.
  for (size_t I = 0; I < D.Derived.size(); ++I)
    if (!D.ParamBytes.push(uint64_t(D.Derived[I].Rows) *
                           uint64_t(D.Derived[I].Cols) * 4))
      return noMemory();
  if (!D.ParamOffsets.resize(D.ParamBytes.size()))
    return noMemory();
  uint64_t Offset = 0;
  for (size_t I = 0; I < D.ParamBytes.size(); ++I) {
    D.ParamOffsets[I] = Offset;
    uint64_t Padded = (D.ParamBytes[I] + ParamAlignment - 1) / ParamAlignment *
                      ParamAlignment;
    if (Padded > MaxBlockBytes - Offset)
      return fail("parameters too large in total");
    Offset += Padded;
  }
  D.BlockBytes = Offset;
  return true;
}

Descriptor *Descriptor::parse(const char *Text, ErrorSink &Err) {
  if (!Text) {
    Err.fail(MODRT_EINVAL, "descriptor: NULL");
    return nullptr;
  }
  size_t Length = strnlen(Text, MaxDescriptorLength + 1);
  if (Length > MaxDescriptorLength) {
    Err.fail(MODRT_EFORMAT, "descriptor: longer than %zu bytes",
             MaxDescriptorLength);
    return nullptr;
  }
  Descriptor *D = new (std::nothrow) Descriptor();
  if (!D) {
    Err.fail(MODRT_ENOMEM, "descriptor: out of memory");
    return nullptr;
  }
  if (!DescriptorParser(*D, Err).run(Text, Length)) {
    delete D;
    return nullptr;
  }
  return D;
}

namespace {

/// A cached descriptor. Nodes live as long as the library: models and
/// callers of modrt_describe hold pointers into them until it is unloaded.
struct CacheNode {
  const Descriptor *D;
  CacheNode *Next;
};

std::mutex CacheMutex;
CacheNode *CacheHead = nullptr;

/// At unload (dlclose, or the process's exit): a library loaded and
/// unloaded per candidate left its parsed descriptor behind each time.
__attribute__((destructor)) void freeDescriptorCache() {
  std::lock_guard<std::mutex> Lock(CacheMutex);
  while (CacheNode *N = CacheHead) {
    CacheHead = N->Next;
    delete N->D;
    delete N;
  }
}

} // namespace

const Descriptor *lookupDescriptor(const char *Text) {
  if (!Text)
    return nullptr;
  size_t Length = strnlen(Text, MaxDescriptorLength + 1);
  if (Length > MaxDescriptorLength)
    return nullptr;
  std::lock_guard<std::mutex> Lock(CacheMutex);
  // Compare contents, not just the pointer: a buffer may be reused for
  // another descriptor (generated libraries pass a string literal).
  for (CacheNode *N = CacheHead; N; N = N->Next)
    if (N->D->sourceLength() == Length &&
        std::memcmp(N->D->source(), Text, Length) == 0)
      return N->D;
  ErrorSink Discard;
  Descriptor *D = Descriptor::parse(Text, Discard);
  if (!D)
    return nullptr;
  CacheNode *N = new (std::nothrow) CacheNode{D, CacheHead};
  if (!N) {
    delete D;
    return nullptr;
  }
  CacheHead = N;
  return D;
}

} // namespace modrt

extern "C" const modrt_info *modrt_describe(const char *desc) {
  const modrt::Descriptor *D = modrt::lookupDescriptor(desc);
  return D ? &D->info() : nullptr;
}
