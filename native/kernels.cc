// Three versions of each dense kernel: AVX-512 (16 lanes, masked tails), AVX2 with FMA
// and F16C (8 lanes, scalar tails), and portable C++. Each x86 version is compiled with
// a target attribute, not -march, and picked at run time by kernels().
#include "kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
// GCC 12's _mm512_reduce_add_ps starts from an "undefined" register and warns about it.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#define ELANUS_X86 1
#endif

namespace elanus {

namespace {

enum { E_F32 = 0, E_F16 = 1, E_BF16 = 2, E_I8 = 3 };

template <int E>
inline float load1(const void* p, std::size_t i) {
  if constexpr (E == E_F32) return static_cast<const float*>(p)[i];
  else if constexpr (E == E_F16) return f16_to_f32(static_cast<const std::uint16_t*>(p)[i]);
  else if constexpr (E == E_I8) return static_cast<float>(static_cast<const std::int8_t*>(p)[i]);
  else return bf16_to_f32(static_cast<const std::uint16_t*>(p)[i]);
}

// ---- portable -------------------------------------------------------------------------

template <int E>
float dot_generic(const float* q, const void* x, std::size_t d) {
  float s[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= d; i += 4)
    for (int j = 0; j < 4; j++) s[j] += q[i + j] * load1<E>(x, i + j);
  float r = (s[0] + s[1]) + (s[2] + s[3]);
  for (; i < d; i++) r += q[i] * load1<E>(x, i);
  return r;
}

template <int E>
float l2_generic(const float* q, const void* x, std::size_t d) {
  float s[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= d; i += 4)
    for (int j = 0; j < 4; j++) {
      float t = q[i + j] - load1<E>(x, i + j);
      s[j] += t * t;
    }
  float r = (s[0] + s[1]) + (s[2] + s[3]);
  for (; i < d; i++) {
    float t = q[i] - load1<E>(x, i);
    r += t * t;
  }
  return r;
}

template <int E>
float dot_norm_generic(const float* q, const void* x, std::size_t d, float* xx) {
  float s = 0, n = 0;
  for (std::size_t i = 0; i < d; i++) {
    float v = load1<E>(x, i);
    s += q[i] * v;
    n += v * v;
  }
  *xx = n;
  return s;
}

float l2_sq8_generic(const float* a, const float* step, const std::uint8_t* c, std::size_t d) {
  float s = 0;
  for (std::size_t i = 0; i < d; i++) {
    float t = a[i] - step[i] * c[i];
    s += t * t;
  }
  return s;
}

float dot_sq8_generic(const float* w, const std::uint8_t* c, std::size_t d) {
  float s = 0;
  for (std::size_t i = 0; i < d; i++) s += w[i] * c[i];
  return s;
}

#ifdef ELANUS_X86

// ---- AVX2 + FMA + F16C ----------------------------------------------------------------

#define T_AVX2 __attribute__((target("avx2,fma,f16c")))

template <int E>
T_AVX2 inline __m256 load8(const void* p, std::size_t i) {
  if constexpr (E == E_F32) {
    return _mm256_loadu_ps(static_cast<const float*>(p) + i);
  } else if constexpr (E == E_I8) {
    __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(static_cast<const std::int8_t*>(p) + i));
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
  } else {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const std::uint16_t*>(p) + i));
    if constexpr (E == E_F16) return _mm256_cvtph_ps(h);
    else return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
}

T_AVX2 inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <int E>
T_AVX2 float dot_avx2(const float* q, const void* x, std::size_t d) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load8<E>(x, i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), load8<E>(x, i + 8), a1);
  }
  for (; i + 8 <= d; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load8<E>(x, i), a0);
  float r = hsum8(_mm256_add_ps(a0, a1));
  for (; i < d; i++) r += q[i] * load1<E>(x, i);
  return r;
}

template <int E>
T_AVX2 float l2_avx2(const float* q, const void* x, std::size_t d) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    __m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(q + i), load8<E>(x, i));
    __m256 t1 = _mm256_sub_ps(_mm256_loadu_ps(q + i + 8), load8<E>(x, i + 8));
    a0 = _mm256_fmadd_ps(t0, t0, a0);
    a1 = _mm256_fmadd_ps(t1, t1, a1);
  }
  for (; i + 8 <= d; i += 8) {
    __m256 t = _mm256_sub_ps(_mm256_loadu_ps(q + i), load8<E>(x, i));
    a0 = _mm256_fmadd_ps(t, t, a0);
  }
  float r = hsum8(_mm256_add_ps(a0, a1));
  for (; i < d; i++) {
    float t = q[i] - load1<E>(x, i);
    r += t * t;
  }
  return r;
}

template <int E>
T_AVX2 float dot_norm_avx2(const float* q, const void* x, std::size_t d, float* xx) {
  __m256 a = _mm256_setzero_ps(), n = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    __m256 v = load8<E>(x, i);
    a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), v, a);
    n = _mm256_fmadd_ps(v, v, n);
  }
  float r = hsum8(a), rn = hsum8(n);
  for (; i < d; i++) {
    float v = load1<E>(x, i);
    r += q[i] * v;
    rn += v * v;
  }
  *xx = rn;
  return r;
}

T_AVX2 inline __m256 load8_u8(const std::uint8_t* c) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(c))));
}

T_AVX2 float l2_sq8_avx2(const float* a, const float* step, const std::uint8_t* c, std::size_t d) {
  __m256 acc = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    __m256 t = _mm256_fnmadd_ps(_mm256_loadu_ps(step + i), load8_u8(c + i), _mm256_loadu_ps(a + i));
    acc = _mm256_fmadd_ps(t, t, acc);
  }
  float r = hsum8(acc);
  for (; i < d; i++) {
    float t = a[i] - step[i] * c[i];
    r += t * t;
  }
  return r;
}

T_AVX2 float dot_sq8_avx2(const float* w, const std::uint8_t* c, std::size_t d) {
  __m256 acc = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), load8_u8(c + i), acc);
  float r = hsum8(acc);
  for (; i < d; i++) r += w[i] * c[i];
  return r;
}

// ---- AVX-512 --------------------------------------------------------------------------

#define T_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

template <int E>
T_AVX512 inline __m512 load16(const void* p, std::size_t i, __mmask16 m) {
  if constexpr (E == E_F32) {
    return _mm512_maskz_loadu_ps(m, static_cast<const float*>(p) + i);
  } else if constexpr (E == E_I8) {
    __m128i b = _mm_maskz_loadu_epi8(m, static_cast<const std::int8_t*>(p) + i);
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(b));
  } else {
    __m256i h = _mm256_maskz_loadu_epi16(m, static_cast<const std::uint16_t*>(p) + i);
    if constexpr (E == E_F16) return _mm512_cvtph_ps(h);
    else return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
}

T_AVX512 inline __mmask16 tail_mask(std::size_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
}

template <int E>
T_AVX512 float dot_avx512(const float* q, const void* x, std::size_t d) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), load16<E>(x, i, 0xffff), a0);
    a1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), load16<E>(x, i + 16, 0xffff), a1);
  }
  for (; i < d; i += 16) {
    __mmask16 m = tail_mask(d - i);
    a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + i), load16<E>(x, i, m), a0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

template <int E>
T_AVX512 float l2_avx512(const float* q, const void* x, std::size_t d) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    __m512 t0 = _mm512_sub_ps(_mm512_loadu_ps(q + i), load16<E>(x, i, 0xffff));
    __m512 t1 = _mm512_sub_ps(_mm512_loadu_ps(q + i + 16), load16<E>(x, i + 16, 0xffff));
    a0 = _mm512_fmadd_ps(t0, t0, a0);
    a1 = _mm512_fmadd_ps(t1, t1, a1);
  }
  for (; i < d; i += 16) {
    __mmask16 m = tail_mask(d - i);
    __m512 t = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, q + i), load16<E>(x, i, m));
    a0 = _mm512_fmadd_ps(t, t, a0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

template <int E>
T_AVX512 float dot_norm_avx512(const float* q, const void* x, std::size_t d, float* xx) {
  __m512 a = _mm512_setzero_ps(), n = _mm512_setzero_ps();
  for (std::size_t i = 0; i < d; i += 16) {
    __mmask16 m = tail_mask(d - i);
    __m512 v = load16<E>(x, i, m);
    a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + i), v, a);
    n = _mm512_fmadd_ps(v, v, n);
  }
  *xx = _mm512_reduce_add_ps(n);
  return _mm512_reduce_add_ps(a);
}

T_AVX512 inline __m512 load16_u8(const std::uint8_t* c, __mmask16 m) {
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, c)));
}

T_AVX512 float l2_sq8_avx512(const float* a, const float* step, const std::uint8_t* c, std::size_t d) {
  __m512 acc = _mm512_setzero_ps();
  for (std::size_t i = 0; i < d; i += 16) {
    __mmask16 m = tail_mask(d - i);
    __m512 t = _mm512_fnmadd_ps(_mm512_maskz_loadu_ps(m, step + i), load16_u8(c + i, m), _mm512_maskz_loadu_ps(m, a + i));
    acc = _mm512_fmadd_ps(t, t, acc);
  }
  return _mm512_reduce_add_ps(acc);
}

T_AVX512 float dot_sq8_avx512(const float* w, const std::uint8_t* c, std::size_t d) {
  __m512 acc = _mm512_setzero_ps();
  for (std::size_t i = 0; i < d; i += 16) {
    __mmask16 m = tail_mask(d - i);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w + i), load16_u8(c + i, m), acc);
  }
  return _mm512_reduce_add_ps(acc);
}

// ---- bits -----------------------------------------------------------------------------

__attribute__((target("popcnt"))) std::uint32_t hamming_popcnt(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
  std::uint64_t s = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    s += static_cast<std::uint64_t>(__builtin_popcountll(x ^ y));
  }
  for (; i < n; i++) s += static_cast<std::uint64_t>(__builtin_popcount(static_cast<unsigned>(a[i] ^ b[i])));
  return static_cast<std::uint32_t>(s);
}

__attribute__((target("popcnt"))) float jaccard_popcnt(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
  std::uint64_t inter = 0, uni = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    inter += static_cast<std::uint64_t>(__builtin_popcountll(x & y));
    uni += static_cast<std::uint64_t>(__builtin_popcountll(x | y));
  }
  for (; i < n; i++) {
    inter += static_cast<std::uint64_t>(__builtin_popcount(static_cast<unsigned>(a[i] & b[i])));
    uni += static_cast<std::uint64_t>(__builtin_popcount(static_cast<unsigned>(a[i] | b[i])));
  }
  return uni == 0 ? 0.0f : static_cast<float>(1.0 - static_cast<double>(inter) / static_cast<double>(uni));
}

#endif  // ELANUS_X86

std::uint32_t hamming_generic(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
  std::uint32_t s = 0;
  for (std::size_t i = 0; i < n; i++) s += static_cast<std::uint32_t>(__builtin_popcount(static_cast<unsigned>(a[i] ^ b[i])));
  return s;
}

float jaccard_generic(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
  std::uint64_t inter = 0, uni = 0;
  for (std::size_t i = 0; i < n; i++) {
    inter += static_cast<std::uint64_t>(__builtin_popcount(static_cast<unsigned>(a[i] & b[i])));
    uni += static_cast<std::uint64_t>(__builtin_popcount(static_cast<unsigned>(a[i] | b[i])));
  }
  return uni == 0 ? 0.0f : static_cast<float>(1.0 - static_cast<double>(inter) / static_cast<double>(uni));
}

struct BitKernels {
  std::uint32_t (*hamming)(const std::uint8_t*, const std::uint8_t*, std::size_t);
  float (*jaccard)(const std::uint8_t*, const std::uint8_t*, std::size_t);
};

Kernels choose() {
  Kernels k{};
  k.dot[0] = dot_generic<E_F32>, k.dot[1] = dot_generic<E_F16>, k.dot[2] = dot_generic<E_BF16>, k.dot[3] = dot_generic<E_I8>;
  k.l2[0] = l2_generic<E_F32>, k.l2[1] = l2_generic<E_F16>, k.l2[2] = l2_generic<E_BF16>, k.l2[3] = l2_generic<E_I8>;
  k.dot_norm[0] = dot_norm_generic<E_F32>, k.dot_norm[1] = dot_norm_generic<E_F16>, k.dot_norm[2] = dot_norm_generic<E_BF16>;
  k.dot_norm[3] = dot_norm_generic<E_I8>;
  k.l2_sq8 = l2_sq8_generic;
  k.dot_sq8 = dot_sq8_generic;
  k.isa = "generic";
#ifdef ELANUS_X86
  __builtin_cpu_init();
  bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  if (avx512) {
    k.dot[0] = dot_avx512<E_F32>, k.dot[1] = dot_avx512<E_F16>, k.dot[2] = dot_avx512<E_BF16>, k.dot[3] = dot_avx512<E_I8>;
    k.l2[0] = l2_avx512<E_F32>, k.l2[1] = l2_avx512<E_F16>, k.l2[2] = l2_avx512<E_BF16>, k.l2[3] = l2_avx512<E_I8>;
    k.dot_norm[0] = dot_norm_avx512<E_F32>, k.dot_norm[1] = dot_norm_avx512<E_F16>, k.dot_norm[2] = dot_norm_avx512<E_BF16>;
    k.dot_norm[3] = dot_norm_avx512<E_I8>;
    k.l2_sq8 = l2_sq8_avx512;
    k.dot_sq8 = dot_sq8_avx512;
    k.isa = "avx512";
  } else if (avx2) {
    k.dot[0] = dot_avx2<E_F32>, k.dot[1] = dot_avx2<E_F16>, k.dot[2] = dot_avx2<E_BF16>, k.dot[3] = dot_avx2<E_I8>;
    k.l2[0] = l2_avx2<E_F32>, k.l2[1] = l2_avx2<E_F16>, k.l2[2] = l2_avx2<E_BF16>, k.l2[3] = l2_avx2<E_I8>;
    k.dot_norm[0] = dot_norm_avx2<E_F32>, k.dot_norm[1] = dot_norm_avx2<E_F16>, k.dot_norm[2] = dot_norm_avx2<E_BF16>;
    k.dot_norm[3] = dot_norm_avx2<E_I8>;
    k.l2_sq8 = l2_sq8_avx2;
    k.dot_sq8 = dot_sq8_avx2;
    k.isa = "avx2";
  }
#endif
  return k;
}

BitKernels choose_bits() {
#ifdef ELANUS_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("popcnt")) return {hamming_popcnt, jaccard_popcnt};
#endif
  return {hamming_generic, jaccard_generic};
}

const BitKernels& bit_kernels() {
  static const BitKernels k = choose_bits();
  return k;
}

}  // namespace

const Kernels& kernels() {
  static const Kernels k = choose();
  return k;
}

std::uint32_t hamming_bits(const std::uint8_t* a, const std::uint8_t* b, std::size_t bytes) {
  return bit_kernels().hamming(a, b, bytes);
}

float jaccard_distance(const std::uint8_t* a, const std::uint8_t* b, std::size_t bytes) {
  return bit_kernels().jaccard(a, b, bytes);
}

const char* metric_name(Metric m) {
  switch (m) {
    case Metric::L2: return "L2";
    case Metric::IP: return "IP";
    case Metric::COSINE: return "COSINE";
    case Metric::HAMMING: return "HAMMING";
    case Metric::JACCARD: return "JACCARD";
  }
  return "?";
}

const char* element_name(Element e) {
  switch (e) {
    case Element::F32: return "f32";
    case Element::F16: return "f16";
    case Element::BF16: return "bf16";
    case Element::BIN: return "bin";
    case Element::I8: return "i8";
  }
  return "?";
}

bool parse_metric(const std::string& s, Metric* out) {
  for (Metric m : {Metric::L2, Metric::IP, Metric::COSINE, Metric::HAMMING, Metric::JACCARD})
    if (s == metric_name(m)) return *out = m, true;
  return false;
}

bool parse_element(const std::string& s, Element* out) {
  for (Element e : {Element::F32, Element::F16, Element::BF16, Element::BIN, Element::I8})
    if (s == element_name(e)) return *out = e, true;
  return false;
}

}  // namespace elanus
