// Distance kernels for the scans and IVF lists: a float query against one stored row of
// f32, f16, bf16 or i8 (decoded in registers, so scores use the query at full precision),
// 8-bit scalar-quantized rows, and bit vectors. Chosen once at load from what the CPU
// offers (AVX-512, AVX2+FMA+F16C, or portable C++): one build runs on any x86-64.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common.h"

namespace elanus {

struct Kernels {
  // [element] for F32, F16, BF16, I8.
  float (*dot[4])(const float* q, const void* x, std::size_t d);
  float (*l2[4])(const float* q, const void* x, std::size_t d);
  /** q·x, and x·x into *xx. */
  float (*dot_norm[4])(const float* q, const void* x, std::size_t d, float* xx);
  /** Σ (a_i - step_i·c_i)²: L2 to an SQ8 row with a = q - min. */
  float (*l2_sq8)(const float* a, const float* step, const std::uint8_t* c, std::size_t d);
  /** Σ w_i·c_i: the data-dependent part of q·x for an SQ8 row, with w = q·step. */
  float (*dot_sq8)(const float* w, const std::uint8_t* c, std::size_t d);
  const char* isa;
};

const Kernels& kernels();

std::uint32_t hamming_bits(const std::uint8_t* a, const std::uint8_t* b, std::size_t bytes);
/** 1 - |a∩b| / |a∪b|, and 0 when both are empty (Milvus). */
float jaccard_distance(const std::uint8_t* a, const std::uint8_t* b, std::size_t bytes);

inline float binary_distance(Metric m, const std::uint8_t* a, const std::uint8_t* b, std::size_t bytes) {
  return m == Metric::HAMMING ? static_cast<float>(hamming_bits(a, b, bytes)) : jaccard_distance(a, b, bytes);
}

inline int element_slot(Element e) { return e == Element::F32 ? 0 : e == Element::F16 ? 1 : e == Element::I8 ? 3 : 2; }

/**
 * A dense query ready to be scored against rows of one element type: the key is the
 * metric's score turned so that smaller is nearer (similarities negated).
 */
class DenseScorer {
 public:
  DenseScorer(Metric metric, Element element, const float* q, std::size_t dim)
      : metric_(metric), q_(q), dim_(dim) {
    const Kernels& k = kernels();
    int s = element_slot(element);
    dot_ = k.dot[s];
    l2_ = k.l2[s];
    dot_norm_ = k.dot_norm[s];
    if (metric == Metric::COSINE) {
      double n = 0;
      for (std::size_t i = 0; i < dim; i++) n += static_cast<double>(q[i]) * q[i];
      qnorm_ = static_cast<float>(std::sqrt(n));
    }
  }

  float key(const void* row) const {
    switch (metric_) {
      case Metric::L2: return l2_(q_, row, dim_);
      case Metric::IP: return -dot_(q_, row, dim_);
      default: {
        float xx = 0;
        float d = dot_norm_(q_, row, dim_, &xx);
        float den = qnorm_ * std::sqrt(xx);
        return den > 0 ? -(d / den) : 0.0f;
      }
    }
  }

 private:
  Metric metric_;
  const float* q_;
  std::size_t dim_;
  float qnorm_ = 0;
  float (*dot_)(const float*, const void*, std::size_t);
  float (*l2_)(const float*, const void*, std::size_t);
  float (*dot_norm_)(const float*, const void*, std::size_t, float*);
};

/** The score callers see, from a key. */
inline float score_of(Metric m, float key) { return larger_is_nearer(m) ? -key : key; }

}  // namespace elanus
