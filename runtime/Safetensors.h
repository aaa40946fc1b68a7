//===- Safetensors.h - Reading and writing safetensors files ----*- C++ -*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// Weight files in the safetensors format (INTERFACE.md section 3): an 8-byte
/// little-endian header length N, N bytes of JSON mapping each tensor name to
/// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
/// end of the header) plus an optional "__metadata__" map of strings, then
/// the raw little-endian data. Files written here load in PyTorch's
/// safetensors readers and the other way round.
///
/// Files are untrusted: every length and offset is checked before use, the
/// data is read with bounds-checked reads (never a blind mmap), and a failed
/// load leaves the destination tensors untouched.
///
//===----------------------------------------------------------------------===//

#ifndef MODRT_SAFETENSORS_H
#define MODRT_SAFETENSORS_H

#include "Support.h"

#include "modrt/modrt.h"

#include <cstddef>
#include <cstdint>

namespace modrt {

/// One of the caller's tensors: what a load expects in the file, or what a
/// save writes. Data holds product(Shape) * dtypeSize(DType) bytes; a save
/// only reads it.
struct TensorRef {
  const char *Name;
  modrt_dtype DType;
  int32_t Rank;
  const int64_t *Shape;
  void *Data;
};

/// The largest JSON header accepted, as in the reference implementation.
constexpr uint64_t MaxHeaderBytes = 100000000;

/// Fills every tensor of Tensors from the file at Path, all-or-nothing: the
/// file is validated and read into staging memory before any destination is
/// written. Tensors in the file that are not asked for are ignored (but must
/// be well-formed). Returns MODRT_OK, or MODRT_EIO (cannot open or read),
/// MODRT_EFORMAT (malformed, or a tensor missing or with another dtype or
/// shape; the first such tensor is named) or MODRT_ENOMEM, with a message
/// "load PATH: ..." in Err, calling the tensors "parameter 'NAME'".
int loadSafetensors(const char *Path, const TensorRef *Tensors,
                    size_t NumTensors, ErrorSink &Err);

/// Writes Tensors to Path, in the given order and contiguously, through a
/// temporary file beside it (".modrt-save.PID.N", unique per call, with the
/// old file's permissions) renamed over Path, so that Path never holds a
/// partial file. Returns MODRT_OK, MODRT_EIO or MODRT_ENOMEM with a message
/// "save PATH: ..." in Err.
int saveSafetensors(const char *Path, const TensorRef *Tensors,
                    size_t NumTensors, ErrorSink &Err);

} // namespace modrt

#endif // MODRT_SAFETENSORS_H
