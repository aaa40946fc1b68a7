//===- GemmKernels.h - Matmul kernels for one instruction set -*- C++ -*-===//
//
// Part of modc, a compiler for modular deep-learning models.
//
//===----------------------------------------------------------------------===//
///
/// \file
/// The packing routines, micro-kernels and blocked loops of the matmul,
/// written once over a small vector vocabulary. Gemm.cpp includes this file
/// once per instruction set, inside an anonymous namespace of its own and a
/// target region, after defining:
///
///   Vec, Width              the vector type and its number of floats;
///   vzero(), vload(p), vstore(p, v), vbroadcast(p), vfma(a, b, c) (a * b +
///                           c, fused where the set has FMA), vadd(a, b);
///   Mask, vmask(n)          the first n lanes; vloadMasked(p, m) (other
///                           lanes 0, never fault), vstoreMasked(p, v, m);
///   vtranspose(v)           transposes Width vectors in place;
///   MODRT_GEMM_SHAPES(X)    X(MR, NV) for each micro-kernel: MR rows of A
///                           times NV vectors of B, MR * NV accumulators;
///   PackedShape             the index in that list of the large-M kernel;
///   StreamMaxM, StreamMaxN  B is streamed when M or N is at most these;
///   DirectMaxRows           streaming kernels with at most this many rows
///                           read A in place;
///   PackedBlocking, StreamBlocking  cache blocking of the two paths;
///   DotRows                 rows of the dot-product kernel, used when N <=
///   DotMaxN, DotMinM        DotMaxN and M >= DotMinM; vsumLanes(v) for it;
///   DotBlockFloats          the size of a depth block of B^T for it.
///   DotInPlaceMaxM,         the dot-product kernel on B transposed in memory
///   DotInPlaceKC            read in place, for M <= DotInPlaceMaxM (0: off),
///                           K in blocks of DotInPlaceKC.
///
/// and the shared types Problem, Plan, Blocking and helpers workspace() and
/// mergeTile() of Gemm.cpp.
///
//===----------------------------------------------------------------------===//

#define MODRT_UNROLL _Pragma("GCC unroll 32")
#define MODRT_INLINE inline __attribute__((always_inline))

struct KernelShape {
  int MR;
  int NV;
};

constexpr KernelShape Shapes[] = {
#define MODRT_GEMM_SHAPE(MR, NV) {MR, NV},
    MODRT_GEMM_SHAPES(MODRT_GEMM_SHAPE)
#undef MODRT_GEMM_SHAPE
};
constexpr int NumShapes = int(sizeof(Shapes) / sizeof(Shapes[0]));

inline int64_t minOf(int64_t A, int64_t B) { return A < B ? A : B; }
inline int64_t roundUp(int64_t X, int64_t To) { return (X + To - 1) / To * To; }

/// How many rows of B ahead the kernels reading B in place prefetch, into
/// L2: at 16 rows into L1 a 4- or 8-row kernel asked for its B too late to
/// cover the memory's latency (docs/gemm.md).
constexpr int64_t PrefetchRows = 32;

/// With B from memory (Problem::BFromMemory), the cost of a B vector
/// loaded again in a later pass, in the units of makePlan's cost.
constexpr double RepassCost = 3.0;

/// One step of the micro-kernel: Acc += A[0:MR] (broadcast) x B[0:NV]. The
/// MR values of A are consecutive (a packed panel) or, with DirectA, LdA
/// apart (rows of A itself).
template <int MR, int NV, bool MaskB, bool DirectA, bool StreamB>
MODRT_INLINE void kernelStep(Vec (&Acc)[MR][NV], const float *A, int64_t LdA,
                             const float *B, int64_t PrefetchOffset,
                             const Mask *BMasks) {
  Vec Bv[NV];
  MODRT_UNROLL
  for (int V = 0; V < NV; ++V) {
    // B read in place: its rows are a row stride apart, which the hardware
    // prefetchers follow poorly; ask for the row PrefetchRows ahead.
    if (StreamB)
      __builtin_prefetch(B + PrefetchOffset + V * Width, 0, 2);
    Bv[V] =
        MaskB ? vloadMasked(B + V * Width, BMasks[V]) : vload(B + V * Width);
  }
  MODRT_UNROLL
  for (int R = 0; R < MR; ++R) {
    Vec Av = vbroadcast(DirectA ? A + R * LdA : A + R);
    MODRT_UNROLL
    for (int V = 0; V < NV; ++V)
      Acc[R][V] = vfma(Av, Bv[V], Acc[R][V]);
  }
}

/// C[MR x NV*Width] (+)= A-panel * B-panel over K steps. A holds MR floats
/// per step (a packed panel) or, with DirectA, is MR rows of A, LdA apart;
/// B holds NV * Width floats per step, LdB apart (a packed panel with LdB =
/// NV * Width, or B itself). With MaskB, vector V of each B step loads only
/// the lanes of BMasks[V], the rest reading as 0.
template <int MR, int NV, bool MaskB, bool DirectA, bool StreamB>
void microKernel(int64_t K, const float *__restrict A, int64_t LdA,
                 const float *__restrict B, int64_t LdB, const Mask *BMasks,
                 float *__restrict C, int64_t LdC, bool Accumulate) {
  // A kernel with few accumulators cannot hide the FMA latency: it gives
  // each of U consecutive steps accumulators of their own.
  constexpr int U = MR * NV >= 8 ? 1 : (8 + MR * NV - 1) / (MR * NV);
  constexpr int AStep = DirectA ? 1 : MR;
  const int64_t PrefetchOffset = StreamB ? PrefetchRows * LdB : 0;
  Vec Acc[U][MR][NV];
  MODRT_UNROLL
  for (int S = 0; S < U; ++S) {
    MODRT_UNROLL
    for (int R = 0; R < MR; ++R) {
      MODRT_UNROLL
      for (int V = 0; V < NV; ++V)
        Acc[S][R][V] = vzero();
    }
  }
  int64_t P = 0;
  for (; P + U <= K; P += U) {
    MODRT_UNROLL
    for (int S = 0; S < U; ++S)
      kernelStep<MR, NV, MaskB, DirectA, StreamB>(
          Acc[S], A + S * AStep, LdA, B + S * LdB, PrefetchOffset, BMasks);
    A += U * AStep;
    B += U * LdB;
  }
  for (; P < K; ++P) {
    kernelStep<MR, NV, MaskB, DirectA, StreamB>(Acc[0], A, LdA, B,
                                                PrefetchOffset, BMasks);
    A += AStep;
    B += LdB;
  }
  MODRT_UNROLL
  for (int S = 1; S < U; ++S) {
    MODRT_UNROLL
    for (int R = 0; R < MR; ++R) {
      MODRT_UNROLL
      for (int V = 0; V < NV; ++V)
        Acc[0][R][V] = vadd(Acc[0][R][V], Acc[S][R][V]);
    }
  }
  if (Accumulate) {
    MODRT_UNROLL
    for (int R = 0; R < MR; ++R) {
      MODRT_UNROLL
      for (int V = 0; V < NV; ++V) {
        float *Out = C + R * LdC + V * Width;
        vstore(Out, vadd(vload(Out), Acc[0][R][V]));
      }
    }
    return;
  }
  MODRT_UNROLL
  for (int R = 0; R < MR; ++R) {
    MODRT_UNROLL
    for (int V = 0; V < NV; ++V)
      vstore(C + R * LdC + V * Width, Acc[0][R][V]);
  }
}

/// Block[I] = column I of the Width x Width block whose rows start at Src,
/// Stride apart; rows from Valid on are zero.
MODRT_INLINE void loadTransposed(const float *Src, int64_t Stride,
                                 int64_t Valid, Vec *Block) {
  MODRT_UNROLL
  for (int I = 0; I < Width; ++I)
    Block[I] = I < Valid ? vload(Src + I * Stride) : vzero();
  vtranspose(Block);
}

/// Packs Rows (<= MR) rows and Kc columns of A into an MR-row panel: MR
/// floats per column, rows past Rows zero.
template <int MR>
void packA(const Matrix &A, int64_t Row, int64_t Col, int64_t Rows, int64_t Kc,
           float *__restrict Out) {
  const float *Src = A.Data + Row * A.RowStride + Col * A.ColStride;
  int64_t P = 0;
  if (Rows == MR && A.ColStride == 1) {
    // Transpose Width x Width blocks in registers: rows are read with full
    // vectors, and each column of the block is one store into the panel.
    for (; P + Width <= Kc; P += Width) {
      MODRT_UNROLL
      for (int R0 = 0; R0 < MR; R0 += Width) {
        const int Valid = MR - R0 < Width ? MR - R0 : Width;
        Vec Block[Width];
        loadTransposed(Src + R0 * A.RowStride + P, A.RowStride, Valid, Block);
        const Mask Lanes = vmask(Valid);
        MODRT_UNROLL
        for (int I = 0; I < Width; ++I) {
          float *Dst = Out + (P + I) * MR + R0;
          if (Valid == Width)
            vstore(Dst, Block[I]);
          else
            vstoreMasked(Dst, Block[I], Lanes);
        }
      }
    }
  }
  for (; P < Kc; ++P) {
    for (int64_t R = 0; R < Rows; ++R)
      Out[P * MR + R] = Src[R * A.RowStride + P * A.ColStride];
    for (int64_t R = Rows; R < MR; ++R)
      Out[P * MR + R] = 0.0f;
  }
}

/// Packs Kc rows and Cols (<= NR) columns of B into an NR-column panel, NR
/// floats per row, columns past Cols zero.
template <int NV>
void packB(const Matrix &B, int64_t Row, int64_t Col, int64_t Kc, int64_t Cols,
           float *__restrict Out) {
  constexpr int NR = NV * Width;
  const float *Src = B.Data + Row * B.RowStride + Col * B.ColStride;
  if (B.ColStride == 1) {
    Mask Lanes[NV];
    MODRT_UNROLL
    for (int V = 0; V < NV; ++V)
      Lanes[V] = vmask(Cols - V * Width);
    for (int64_t P = 0; P < Kc; ++P) {
      MODRT_UNROLL
      for (int V = 0; V < NV; ++V) {
        Vec Row = Cols == NR ? vload(Src + V * Width)
                             : vloadMasked(Src + V * Width, Lanes[V]);
        vstore(Out + P * NR + V * Width, Row);
      }
      Src += B.RowStride;
    }
    return;
  }
  int64_t P = 0;
  if (B.RowStride == 1) {
    // B transposed in memory (a PyTorch Linear weight [out, in] read in
    // place): its columns are contiguous. Transpose Width x Width blocks in
    // registers, as packA does; missing columns load as zeros.
    for (; P + Width <= Kc; P += Width) {
      MODRT_UNROLL
      for (int J0 = 0; J0 < NR; J0 += Width) {
        const int64_t Valid = Cols - J0;
        Vec Block[Width];
        loadTransposed(Src + J0 * B.ColStride + P, B.ColStride, Valid, Block);
        MODRT_UNROLL
        for (int I = 0; I < Width; ++I)
          vstore(Out + (P + I) * NR + J0, Block[I]);
      }
    }
  }
  for (; P < Kc; ++P) {
    for (int64_t J = 0; J < Cols; ++J)
      Out[P * NR + J] = Src[P * B.RowStride + J * B.ColStride];
    for (int64_t J = Cols; J < NR; ++J)
      Out[P * NR + J] = 0.0f;
  }
}

/// The micro-kernel with A packed or, with DirectA, read in place.
template <int MR, int NV, bool MaskB>
MODRT_INLINE void callKernel(bool DirectA, bool StreamB, int64_t K,
                             const float *A, int64_t LdA, const float *B,
                             int64_t LdB, const Mask *BMasks, float *C,
                             int64_t LdC, bool Accumulate) {
  // A read in place goes with B read in place (runTileWith).
  if (DirectA)
    microKernel<MR, NV, MaskB, true, true>(K, A, LdA, B, LdB, BMasks, C, LdC,
                                           Accumulate);
  else if (StreamB)
    microKernel<MR, NV, MaskB, false, true>(K, A, LdA, B, LdB, BMasks, C, LdC,
                                            Accumulate);
  else
    microKernel<MR, NV, MaskB, false, false>(K, A, LdA, B, LdB, BMasks, C, LdC,
                                             Accumulate);
}

/// C[Ic:Ic+Mc, Col:Col+Cols] (+)= A-rows * B-panel, micro-tile by micro-tile
/// down one column panel of C. The rows of A are PackedA's panels or, with
/// DirectA, A itself except for a partial last panel, packed in PackedA.
template <int MR, int NV, bool MaskB>
void runColumnPanel(const Problem &Pr, int64_t Ic, int64_t Mc, int64_t Pc,
                    int64_t Kc, int64_t Col, int64_t Cols, const float *PackedA,
                    bool DirectA, const float *BPanel, int64_t LdB,
                    bool StreamB, const Mask *BMasks, bool Accumulate) {
  constexpr int NR = NV * Width;
  alignas(64) float Edge[MR * NR];
  const MutableMatrix &C = Pr.C;
  const bool FullCols = Cols == NR && C.ColStride == 1;
  for (int64_t Ir = 0; Ir < Mc; Ir += MR) {
    const int64_t Rows = minOf(MR, Mc - Ir);
    const bool InPlace = DirectA && Rows == MR;
    const float *APanel = InPlace ? Pr.A.Data + (Ic + Ir) * Pr.A.RowStride + Pc
                          : DirectA ? PackedA
                                    : PackedA + Ir * Kc;
    float *CTile = C.Data + (Ic + Ir) * C.RowStride + Col * C.ColStride;
    if (FullCols && Rows == MR) {
      callKernel<MR, NV, MaskB>(InPlace, StreamB, Kc, APanel, Pr.A.RowStride,
                                BPanel, LdB, BMasks, CTile, C.RowStride,
                                Accumulate);
      continue;
    }
    callKernel<MR, NV, MaskB>(InPlace, StreamB, Kc, APanel, Pr.A.RowStride,
                              BPanel, LdB, BMasks, Edge, NR, false);
    mergeTile(Edge, NR, Rows, Cols, CTile, C.RowStride, C.ColStride,
              Accumulate);
  }
}

/// C[M0:M1, N0:N1] = A[M0:M1, :] @ B[:, N0:N1] with the MR x NV kernel.
/// Returns false, having written nothing, if the packing buffers cannot be
/// allocated.
template <int MR, int NV>
bool runTileWith(const Problem &Pr, const Plan &Pl, int64_t M0, int64_t M1,
                 int64_t N0, int64_t N1) {
  constexpr int NR = NV * Width;
  const int64_t K = Pr.K;
  const bool PackB = Pl.PackB;
  const int64_t KC = minOf(Pl.Block.KC, K);
  const int64_t MC = roundUp(minOf(Pl.Block.MC, M1 - M0), MR);
  const int64_t NC = PackB ? roundUp(minOf(Pl.Block.NC, N1 - N0), NR) : N1 - N0;
  // With B read in place, so is A (a few rows; more than DirectMaxRows
  // rows a whole cache page apart would not stay in L1 together).
  const bool DirectA = !PackB && Pr.A.ColStride == 1 && MR <= DirectMaxRows;
  const int64_t ASize = DirectA ? MR * KC : MC * KC;
  float *Buffer = workspace(size_t(ASize + (PackB ? KC * NC : 0) + 1));
  if (!Buffer)
    return false;
  float *PackedA = Buffer, *PackedB = Buffer + ASize;

  for (int64_t Jc = N0; Jc < N1; Jc += NC) {
    const int64_t Nc = minOf(NC, N1 - Jc);
    for (int64_t Pc = 0; Pc < K; Pc += KC) {
      const int64_t Kc = minOf(KC, K - Pc);
      const bool Accumulate = Pc > 0;
      if (PackB) {
        for (int64_t Jr = 0; Jr < Nc; Jr += NR)
          packB<NV>(Pr.B, Pc, Jc + Jr, Kc, minOf(NR, Nc - Jr),
                    PackedB + Jr * Kc);
      }
      for (int64_t Ic = M0; Ic < M1; Ic += MC) {
        const int64_t Mc = minOf(MC, M1 - Ic);
        if (!DirectA) {
          for (int64_t Ir = 0; Ir < Mc; Ir += MR)
            packA<MR>(Pr.A, Ic + Ir, Pc, minOf(MR, Mc - Ir), Kc,
                      PackedA + Ir * Kc);
        } else if (Mc % MR != 0) {
          packA<MR>(Pr.A, Ic + Mc - Mc % MR, Pc, Mc % MR, Kc, PackedA);
        }
        for (int64_t Jr = 0; Jr < Nc; Jr += NR) {
          const int64_t Col = Jc + Jr, Cols = minOf(NR, Nc - Jr);
          if (PackB) {
            runColumnPanel<MR, NV, false>(Pr, Ic, Mc, Pc, Kc, Col, Cols,
                                          PackedA, DirectA, PackedB + Jr * Kc,
                                          NR, false, nullptr, Accumulate);
            continue;
          }
          // B in place: a partial last panel loads only its columns.
          const float *BPanel = Pr.B.Data + Pc * Pr.B.RowStride + Col;
          if (Cols == NR) {
            runColumnPanel<MR, NV, false>(
                Pr, Ic, Mc, Pc, Kc, Col, Cols, PackedA, DirectA, BPanel,
                Pr.B.RowStride, true, nullptr, Accumulate);
            continue;
          }
          Mask BMasks[NV];
          for (int V = 0; V < NV; ++V)
            BMasks[V] = vmask(Cols - V * Width);
          runColumnPanel<MR, NV, true>(Pr, Ic, Mc, Pc, Kc, Col, Cols, PackedA,
                                       DirectA, BPanel, Pr.B.RowStride, true,
                                       BMasks, Accumulate);
        }
      }
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Narrow B: dot products along K
//===----------------------------------------------------------------------===//
//
// With a few columns of B, the broadcast kernels above waste the vector lanes
// past N and spend as long packing A as multiplying. Here each element of C
// is a dot product of a row of A, read in place with full vectors, and a row
// of B transposed (small, packed once per tile); lanes are summed at the end.

/// Columns of C per dot-product tile.
constexpr int DotCols = 8;

/// Packs B^T into NPad rows of KPad floats, zero past N rows and K
/// columns.
void packBTransposed(const Matrix &B, int64_t K, int64_t N, int64_t KPad,
                     int64_t NPad, float *__restrict Out) {
  for (int64_t J = 0; J < NPad; ++J)
    for (int64_t P = K - K % Width; P < KPad; ++P)
      Out[J * KPad + P] = 0.0f;
  for (int64_t J0 = 0; J0 < NPad; J0 += Width) {
    const int64_t Cols = minOf(Width, N - J0), Rows = minOf(Width, NPad - J0);
    if (B.ColStride != 1 || Cols <= 0) {
      for (int64_t J = J0; J < J0 + Rows; ++J)
        for (int64_t P = 0; P < K; ++P)
          Out[J * KPad + P] =
              J < N ? B.Data[P * B.RowStride + J * B.ColStride] : 0.0f;
      continue;
    }
    const Mask Lanes = vmask(Cols);
    for (int64_t P0 = 0; P0 + Width <= K; P0 += Width) {
      Vec Block[Width];
      MODRT_UNROLL
      for (int I = 0; I < Width; ++I)
        Block[I] = vloadMasked(B.Data + (P0 + I) * B.RowStride + J0, Lanes);
      vtranspose(Block);
      for (int64_t J = 0; J < Rows; ++J)
        vstore(Out + (J0 + J) * KPad + P0, Block[J]);
    }
    for (int64_t P = K - K % Width; P < K; ++P)
      for (int64_t J = J0; J < J0 + Rows; ++J)
        Out[J * KPad + P] =
            J < N ? B.Data[P * B.RowStride + J * B.ColStride] : 0.0f;
  }
}

/// Out[R x DotCols] = A[R rows, LdA apart] . BT[DotCols rows, LdBT apart],
/// over K; BT is zero past K up to a multiple of Width.
template <int R, bool MaskBTail = false>
void dotKernel(int64_t K, const float *__restrict A, int64_t LdA,
               const float *__restrict BT, int64_t LdBT,
               float *__restrict Out) {
  constexpr int J = DotCols;
  Vec Acc[R * J + Width];
  MODRT_UNROLL
  for (int I = 0; I < R * J + Width; ++I)
    Acc[I] = vzero();
  int64_t P = 0;
  for (; P + Width <= K; P += Width) {
    Vec Av[R];
    MODRT_UNROLL
    for (int Row = 0; Row < R; ++Row)
      Av[Row] = vload(A + Row * LdA + P);
    MODRT_UNROLL
    for (int Col = 0; Col < J; ++Col) {
      Vec Bv = vload(BT + Col * LdBT + P);
      MODRT_UNROLL
      for (int Row = 0; Row < R; ++Row)
        Acc[Row * J + Col] = vfma(Av[Row], Bv, Acc[Row * J + Col]);
    }
  }
  if (P < K) {
    const Mask Lanes = vmask(K - P);
    Vec Av[R];
    MODRT_UNROLL
    for (int Row = 0; Row < R; ++Row)
      Av[Row] = vloadMasked(A + Row * LdA + P, Lanes);
    MODRT_UNROLL
    for (int Col = 0; Col < J; ++Col) {
      // Read in place, B^T's rows end at K: the next row, or the end of
      // the weight, follows.
      Vec Bv = MaskBTail ? vloadMasked(BT + Col * LdBT + P, Lanes)
                         : vload(BT + Col * LdBT + P);
      MODRT_UNROLL
      for (int Row = 0; Row < R; ++Row)
        Acc[Row * J + Col] = vfma(Av[Row], Bv, Acc[Row * J + Col]);
    }
  }
  // Width accumulators at a time become one vector of their sums; the
  // zero vectors past R * J pad the last group.
  MODRT_UNROLL
  for (int I = 0; I < R * J; I += Width) {
    alignas(64) float Sums[Width];
    vstore(Sums, vsumLanes(Acc + I));
    for (int L = 0; L < Width && I + L < R * J; ++L)
      Out[I + L] = Sums[L];
  }
}

/// C[M0:M1, :] = A[M0:M1, :] @ B with dot products; false if the buffer for
/// B^T cannot be allocated.
template <int R>
bool runDotTile(const Problem &Pr, const Plan &Pl, int64_t M0, int64_t M1) {
  const int64_t K = Pr.K, N = Pr.N;
  // Rows of B^T one cache line longer than a multiple of the vector: with
  // K a multiple of 1024 they would all fall into one set of the L1 cache.
  const int64_t KPad = roundUp(K, Width) + 64 / int64_t(sizeof(float));
  const int64_t NPad = roundUp(N, DotCols);
  float *BT = workspace(size_t(KPad * NPad));
  if (!BT)
    return false;
  packBTransposed(Pr.B, K, N, KPad, NPad, BT);
  alignas(64) float Tile[R * DotCols];
  const Matrix &A = Pr.A;
  const MutableMatrix &C = Pr.C;
  // Blocks of K keep the block of B^T in L1 while every row of A passes.
  for (int64_t Pc = 0; Pc < K; Pc += Pl.Block.KC) {
    const int64_t Kc = minOf(Pl.Block.KC, K - Pc);
    for (int64_t I = M0; I < M1; I += R) {
      const int64_t Rows = minOf(R, M1 - I);
      const float *ARows = A.Data + I * A.RowStride + Pc;
      for (int64_t J0 = 0; J0 < N; J0 += DotCols) {
        const float *BTRows = BT + J0 * KPad + Pc;
        if (Rows == R)
          dotKernel<R>(Kc, ARows, A.RowStride, BTRows, KPad, Tile);
        else if (Rows == 2)
          dotKernel<2>(Kc, ARows, A.RowStride, BTRows, KPad, Tile);
        else
          dotKernel<1>(Kc, ARows, A.RowStride, BTRows, KPad, Tile);
        mergeTile(Tile, DotCols, Rows, minOf(DotCols, N - J0),
                  C.Data + I * C.RowStride + J0 * C.ColStride, C.RowStride,
                  C.ColStride, Pc > 0);
      }
    }
  }
  return true;
}

/// Dst[0, N) = Src[0, N) widened from 16-bit floats: IEEE half (F16), or
/// bf16 (the high 16 bits of an f32).
template <bool F16>
void widen16(const uint16_t *__restrict Src, float *__restrict Dst, int64_t N) {
  int64_t I = 0;
  for (; I + Width <= N; I += Width)
    vstore(Dst + I, F16 ? vloadF16(Src + I) : vloadBf16(Src + I));
  for (; I < N; ++I)
    Dst[I] = F16 ? generic::vloadF16(Src + I) : generic::vloadBf16(Src + I);
}

void widenBf16(const uint16_t *Src, float *Dst, int64_t N) {
  widen16<false>(Src, Dst, N);
}

void widenF16(const uint16_t *Src, float *Dst, int64_t N) {
  widen16<true>(Src, Dst, N);
}

/// C[M0:M1, N0:N1] = A @ W^T with dot products for a weight W ([N, K], rows
/// LdW apart: a PyTorch Linear weight, B transposed in memory) read in
/// place, f32 or bf16: B^T's rows are the weight's rows, so nothing is
/// packed. For each block of K, each group of DotCols weight rows stays in
/// L1 while every row of A (from L2) passes, so the weight is read from
/// memory once. f32 rows are read where they are (the last group of fewer
/// than DotCols is copied, zero rows after); bf16 rows are widened into L1
/// a group at a time. C's columns are CS apart.
template <int R, typename WT>
void dotInPlace(int64_t M0, int64_t M1, int64_t N0, int64_t N1, int64_t K,
                const float *A, int64_t LdA, const WT *W, int64_t LdW, float *C,
                int64_t LdC, int64_t CS) {
  alignas(64) float Tile[R * DotCols];
  alignas(64) float Group[DotCols * DotInPlaceKC];
  for (int64_t Pc = 0; Pc < K; Pc += DotInPlaceKC) {
    const int64_t Kc = minOf(DotInPlaceKC, K - Pc);
    for (int64_t J0 = N0; J0 < N1; J0 += DotCols) {
      const int64_t Cols = minOf(DotCols, N1 - J0);
      const float *BT = Group;
      int64_t LdBT = Kc;
      if constexpr (std::is_same_v<WT, float>) {
        if (Cols == DotCols) {
          BT = W + J0 * LdW + Pc;
          LdBT = LdW;
        }
      }
      if (BT == Group) {
        for (int64_t J = 0; J < DotCols; ++J) {
          float *Out = Group + J * Kc;
          const WT *Src = W + (J0 + J) * LdW + Pc;
          if (J >= Cols)
            std::fill(Out, Out + Kc, 0.0f);
          else if constexpr (std::is_same_v<WT, float>)
            std::copy(Src, Src + Kc, Out);
          else
            widenBf16(Src, Out, Kc);
        }
      }
      for (int64_t I = M0; I < M1; I += R) {
        const int64_t Rows = minOf(R, M1 - I);
        const float *ARows = A + I * LdA + Pc;
        if (Rows == R)
          dotKernel<R, true>(Kc, ARows, LdA, BT, LdBT, Tile);
        else if (Rows == 2)
          dotKernel<2, true>(Kc, ARows, LdA, BT, LdBT, Tile);
        else
          dotKernel<1, true>(Kc, ARows, LdA, BT, LdBT, Tile);
        mergeTile(Tile, DotCols, Rows, Cols, C + I * LdC + J0 * CS, LdC, CS,
                  Pc > 0);
      }
    }
  }
}

/// The plan's dot products in place on an f32 Linear weight.
template <int R>
void runDotInPlaceTile(const Problem &Pr, const Plan &Pl, int64_t M0,
                       int64_t M1, int64_t N0, int64_t N1) {
  dotInPlace<R>(M0, M1, N0, N1, Pr.K, Pr.A.Data, Pr.A.RowStride, Pr.B.Data,
                Pr.B.ColStride, Pr.C.Data, Pr.C.RowStride, Pr.C.ColStride);
}

/// C[M x N] = A[M x K] @ W^T for a bf16 Linear weight read in place; A and
/// C have unit column strides.
void bf16DotInPlace(int64_t M, int64_t N, int64_t K, const float *A,
                    int64_t LdA, const uint16_t *W, int64_t LdW, float *C,
                    int64_t LdC) {
  dotInPlace<DotRows>(0, M, 0, N, K, A, LdA, W, LdW, C, LdC, 1);
}

//===----------------------------------------------------------------------===//
// A few rows of A: B swept row after row
//===----------------------------------------------------------------------===//
//
// Decoding multiplies a few rows of activations by weights read from memory
// once, so its speed is the memory's. Column panels (runColumnPanel) read
// each row of B in short pieces a row stride apart, which DRAM pages and the
// hardware prefetchers serve poorly. Here each step reads SweepDepth rows of
// B front to back across the tile's columns, and the few rows of C, kept in
// L1, accumulate; B may be f32 or bf16 (widened in registers).

/// Rows of B per step, vectors of B per chunk of columns; the most rows of
/// A the f32 plan sweeps for (bf16 B is swept up to 16 rows, Gemm.cpp).
constexpr int SweepDepth = 16, SweepNV = 4;
constexpr int64_t SweepMaxM = 3;

MODRT_INLINE Vec vloadB(const float *P) { return vload(P); }
MODRT_INLINE Vec vloadB(const uint16_t *P) { return vloadBf16(P); }

/// C[0:MR, 0:SweepNV*Width] = (First ? 0 : C) + A[0:MR, 0:D] @ B[0:D, ...]
/// with rows of A LdA apart, of B LdB apart, of C LdC apart; with MaskB,
/// only the lanes of Masks are read and written (f32 B only).
template <int MR, int NV, int D, bool MaskB, typename BT>
MODRT_INLINE void sweepStep(const float *A, int64_t LdA, const BT *B,
                            int64_t LdB, float *C, int64_t LdC,
                            const Mask *Masks, bool First) {
  Vec Acc[MR][NV];
  MODRT_UNROLL
  for (int R = 0; R < MR; ++R) {
    MODRT_UNROLL
    for (int V = 0; V < NV; ++V) {
      const float *Src = C + R * LdC + V * Width;
      Acc[R][V] = First   ? vzero()
                  : MaskB ? vloadMasked(Src, Masks[V])
                          : vload(Src);
    }
  }
  MODRT_UNROLL
  for (int U = 0; U < D; ++U) {
    Vec Bv[NV];
    MODRT_UNROLL
    for (int V = 0; V < NV; ++V) {
      if constexpr (MaskB)
        Bv[V] = vloadMasked(B + U * LdB + V * Width, Masks[V]);
      else
        Bv[V] = vloadB(B + U * LdB + V * Width);
    }
    MODRT_UNROLL
    for (int R = 0; R < MR; ++R) {
      Vec Av = vbroadcast(A + R * LdA + U);
      MODRT_UNROLL
      for (int V = 0; V < NV; ++V)
        Acc[R][V] = vfma(Av, Bv[V], Acc[R][V]);
    }
  }
  MODRT_UNROLL
  for (int R = 0; R < MR; ++R) {
    MODRT_UNROLL
    for (int V = 0; V < NV; ++V) {
      if (MaskB)
        vstoreMasked(C + R * LdC + V * Width, Acc[R][V], Masks[V]);
      else
        vstore(C + R * LdC + V * Width, Acc[R][V]);
    }
  }
}

/// sweepStep for Rows (1 to 4) rows.
template <int NV, int D, bool MaskB, typename BT>
MODRT_INLINE void sweepRows(int64_t Rows, const float *A, int64_t LdA,
                            const BT *B, int64_t LdB, float *C, int64_t LdC,
                            const Mask *Masks, bool First) {
  switch (Rows) {
  case 4:
    return sweepStep<4, NV, D, MaskB>(A, LdA, B, LdB, C, LdC, Masks, First);
  case 3:
    return sweepStep<3, NV, D, MaskB>(A, LdA, B, LdB, C, LdC, Masks, First);
  case 2:
    return sweepStep<2, NV, D, MaskB>(A, LdA, B, LdB, C, LdC, Masks, First);
  default:
    return sweepStep<1, NV, D, MaskB>(A, LdA, B, LdB, C, LdC, Masks, First);
  }
}

/// D rows of B (from row P) against all rows of A, chunk by chunk across
/// the Cols columns: each chunk of B is read from memory once and from L1
/// by the further groups of four rows.
template <int D, typename BT>
void sweepDepth(int64_t M, int64_t P, int64_t Cols, const float *A, int64_t LdA,
                const BT *B, int64_t LdB, float *C, int64_t LdC,
                bool Prefetch) {
  constexpr int64_t NR = SweepNV * Width;
  const bool First = P == 0;
  A += P;
  B += P * LdB;
  int64_t J = 0;
  for (; J + NR <= Cols; J += NR) {
    // B from memory: the chunk of the next D rows, into L2 (a prefetch
    // past the end of B does not fault). Not for cached B: the prefetches
    // would take load slots from this load-bound loop.
    for (int U = 0; Prefetch && U < D; ++U) {
      const char *Next = reinterpret_cast<const char *>(B + (D + U) * LdB + J);
      for (size_t Byte = 0; Byte < NR * sizeof(BT); Byte += 64)
        __builtin_prefetch(Next + Byte, 0, 2);
    }
    for (int64_t I = 0; I < M; I += 4)
      sweepRows<SweepNV, D, false>(minOf(4, M - I), A + I * LdA, LdA, B + J,
                                   LdB, C + I * LdC + J, LdC, nullptr, First);
  }
  if (J == Cols)
    return;
  if constexpr (std::is_same_v<BT, float>) {
    Mask Masks[SweepNV];
    for (int V = 0; V < SweepNV; ++V)
      Masks[V] = vmask(Cols - J - V * Width);
    for (int64_t I = 0; I < M; I += 4)
      sweepRows<SweepNV, D, true>(minOf(4, M - I), A + I * LdA, LdA, B + J, LdB,
                                  C + I * LdC + J, LdC, Masks, First);
  } else {
    // bf16 without masked loads: single vectors (LoRA's rank), then the
    // last columns one at a time.
    for (; J + Width <= Cols; J += Width)
      for (int64_t I = 0; I < M; I += 4)
        sweepRows<1, D, false>(minOf(4, M - I), A + I * LdA, LdA, B + J, LdB,
                               C + I * LdC + J, LdC, nullptr, First);
    for (int64_t I = 0; I < M; ++I)
      for (int64_t Jj = J; Jj < Cols; ++Jj) {
        float Sum = First ? 0.0f : C[I * LdC + Jj];
        for (int U = 0; U < D; ++U)
          Sum += A[I * LdA + U] * generic::vloadBf16(B + U * LdB + Jj);
        C[I * LdC + Jj] = Sum;
      }
  }
}

/// C[M x Cols] = A[M x K] @ B[K x Cols], B f32 or bf16 read in place; A, B
/// and C with unit column strides. Blocks of columns keep C's rows within
/// 16 KiB of L1 while SweepDepth rows of B stream past.
template <typename BT>
void sweep(int64_t M, int64_t K, int64_t Cols, const float *A, int64_t LdA,
           const BT *B, int64_t LdB, float *C, int64_t LdC,
           bool Prefetch = false) {
  constexpr int64_t NR = SweepNV * Width;
  if (K == 0) {
    for (int64_t I = 0; I < M; ++I)
      std::fill(C + I * LdC, C + I * LdC + Cols, 0.0f);
    return;
  }
  const int64_t Block = roundUp(std::max<int64_t>(1, 4096 / M), NR);
  for (int64_t J0 = 0; J0 < Cols; J0 += Block) {
    const int64_t Jn = minOf(Block, Cols - J0);
    int64_t P = 0;
    for (; P + SweepDepth <= K; P += SweepDepth)
      sweepDepth<SweepDepth>(M, P, Jn, A, LdA, B + J0, LdB, C + J0, LdC,
                             Prefetch);
    for (; P < K; ++P)
      sweepDepth<1>(M, P, Jn, A, LdA, B + J0, LdB, C + J0, LdC, false);
  }
}

/// The bf16 entry of sweep, for Gemm.cpp.
void bf16Sweep(int64_t M, int64_t K, int64_t Cols, const float *A, int64_t LdA,
               const uint16_t *B, int64_t LdB, float *C, int64_t LdC) {
  sweep(M, K, Cols, A, LdA, B, LdB, C, LdC);
}

/// Runs the tile with the kernel the plan chose.
bool runTile(const Problem &Pr, const Plan &Pl, int64_t M0, int64_t M1,
             int64_t N0, int64_t N1) {
  if (Pl.Sweep) {
    sweep(M1 - M0, Pr.K, N1 - N0, Pr.A.Data + M0 * Pr.A.RowStride,
          Pr.A.RowStride, Pr.B.Data + N0, Pr.B.RowStride,
          Pr.C.Data + M0 * Pr.C.RowStride + N0, Pr.C.RowStride, Pr.BFromMemory);
    return true;
  }
  if (Pl.Dot && Pl.InPlace) {
    runDotInPlaceTile<DotRows>(Pr, Pl, M0, M1, N0, N1);
    return true;
  }
  if (Pl.Dot)
    return runDotTile<DotRows>(Pr, Pl, M0, M1);
  int Index = 0;
#define MODRT_GEMM_SHAPE(MR, NV)                                               \
  if (Pl.Shape == Index++)                                                     \
    return runTileWith<MR, NV>(Pr, Pl, M0, M1, N0, N1);
  MODRT_GEMM_SHAPES(MODRT_GEMM_SHAPE)
#undef MODRT_GEMM_SHAPE
  return false;
}

/// Columns of the widest one-row kernel (1 x 16 vectors on avx512).
constexpr int64_t widestRowKernel() {
  int64_t Most = 0;
  for (const KernelShape &S : Shapes)
    if (S.MR == 1 && int64_t(S.NV) * Width > Most)
      Most = int64_t(S.NV) * Width;
  return Most;
}

/// Chooses the path, the kernel and the blocking of a problem.
Plan makePlan(const Problem &Pr) {
  Plan Pl;
  Pl.Width = Width;
  // Few rows against B transposed in memory: packing B would cost as much
  // as the multiply, and its rows along K are B^T's.
  if (Pr.M <= DotInPlaceMaxM && Pr.N > DotMaxN && Pr.B.RowStride == 1 &&
      Pr.B.ColStride != 1 && Pr.A.ColStride == 1) {
    Pl.Dot = true;
    Pl.InPlace = true;
    Pl.MR = DotRows;
    Pl.NR = DotCols;
    Pl.PackB = false;
    Pl.Block = {DotInPlaceKC, 0, 0};
    return Pl;
  }
  // Narrow B with enough rows of A to amortise packing B^T.
  if (Pr.N <= DotMaxN && Pr.M >= DotMinM && Pr.A.ColStride == 1) {
    Pl.Dot = true;
    Pl.MR = DotRows;
    Pl.NR = int(Pr.N);
    Pl.PackB = false;
    // As deep a block as keeps B^T's block within DotBlockFloats.
    int64_t Depth = DotBlockFloats / roundUp(Pr.N, DotCols) / Width * Width;
    Pl.Block = {Depth > Width ? Depth : Width, 0, 0};
    return Pl;
  }
  // One to three rows of a grouped product in a tile narrower than the
  // widest one-row kernel (a scatter's column block: that kernel would
  // waste lanes) but at least a vector chunk wide: B swept in place, row
  // after row (the threads take columns, never rows: each would read all
  // of B). Elsewhere, and from four rows on, the column panels below,
  // prefetching into L2, are faster (docs/gemm.md).
  if (Pr.Grouped && Pr.M <= SweepMaxM && Pr.N >= SweepNV * Width &&
      Pr.N < widestRowKernel() && Pr.B.ColStride == 1 && Pr.A.ColStride == 1 &&
      Pr.C.ColStride == 1) {
    Pl.Sweep = true;
    Pl.PackB = false;
    Pl.MR = SweepMaxM;
    Pl.NR = SweepNV * Width;
    Pl.Block = {Pr.K, SweepMaxM, 0};
    return Pl;
  }
  // B is streamed in place when each of its elements is used by few rows of
  // A (packing would cost as much as the multiply) or when it is a few
  // columns wide (it stays in cache anyway).
  bool Stream =
      Pr.B.ColStride == 1 && (Pr.M <= StreamMaxM || Pr.N <= StreamMaxN);
  if (!Stream) {
    Pl.Shape = PackedShape;
    Pl.PackB = true;
    Pl.Block = PackedBlocking;
  } else {
    // The kernel that wastes least on padding, counting one unit per
    // vector FMA, per B vector loaded and per A element broadcast, and a
    // third of one per element of A packed (kernels too tall to read A in
    // place).
    double Best = 0;
    for (int I = 0; I < NumShapes; ++I) {
      if (I == PackedShape && !Pr.BFromMemory)
        continue;
      int64_t MR = Shapes[I].MR, NR = int64_t(Shapes[I].NV) * Width;
      double RowBlocks = double((Pr.M + MR - 1) / MR);
      double Vectors = double(roundUp(Pr.N, NR) / Width);
      double ColBlocks = double((Pr.N + NR - 1) / NR);
      double Cost = RowBlocks * MR * Vectors + RowBlocks * Vectors +
                    ColBlocks * RowBlocks * MR;
      if (MR > DirectMaxRows || Pr.A.ColStride != 1)
        Cost += RowBlocks * MR / 3.0;
      // B from memory: every pass after the first over a column panel
      // (one per block of MR rows) reads it again from L2 once the first
      // has waited for memory, time the first pass cannot hide.
      if (Pr.BFromMemory)
        Cost += (RowBlocks - 1) * Vectors * RepassCost;
      if (Pl.Shape < 0 || Cost < Best) {
        Best = Cost;
        Pl.Shape = I;
      }
    }
    Pl.PackB = false;
    Pl.Block = StreamBlocking;
  }
  Pl.MR = Shapes[Pl.Shape].MR;
  Pl.NR = Shapes[Pl.Shape].NV * Width;
  return Pl;
}

#undef MODRT_UNROLL
#undef MODRT_INLINE
