// Shared vocabulary of the addon: metrics, element types, the two error kinds a caller
// can cause, half-precision conversions, a bounded top-k heap, a seeded random source
// and a fork-join loop. Nothing here knows about N-API.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace elanus {

enum class Metric : std::uint8_t { L2 = 0, IP = 1, COSINE = 2, HAMMING = 3, JACCARD = 4 };
/** I8: signed bytes (Milvus's INT8_VECTOR), scored as the integers they are. */
enum class Element : std::uint8_t { F32 = 0, F16 = 1, BF16 = 2, BIN = 3, I8 = 4 };

/** Input the caller can fix: wrong lengths, bad parameters. */
struct InvalidArgument : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/**
 * A build stopped because its owner asked: the engine is closing, and a process cannot
 * exit while a task runs (a 30,000-row HNSW build held an exit 5 s).
 */
struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("build cancelled") {}
};

/**
 * Set once while the process exits (pool.cc's exit handler): every task still running
 * stops at its next check, so the exit can wait for the pool's threads.
 */
inline std::atomic<bool> process_exiting{false};

/**
 * What asks a task to stop: its caller's cancel word (an Int32Array the JS side sets with
 * Atomics.store; the task keeps it alive), its owner going away (the JS environment that
 * asked for it is being torn down: a worker thread ending), or the process exiting.
 */
struct StopWords {
  const std::int32_t* cancel = nullptr;
  const std::atomic<bool>* owner_gone = nullptr;
};

inline bool cancel_requested(const StopWords* s) {
  if (process_exiting.load(std::memory_order_relaxed)) return true;
  if (s == nullptr) return false;
  return (s->cancel != nullptr && __atomic_load_n(s->cancel, __ATOMIC_RELAXED) != 0) ||
         (s->owner_gone != nullptr && s->owner_gone->load(std::memory_order_relaxed));
}

inline void check_cancel(const StopWords* s) {
  if (cancel_requested(s)) throw Cancelled();
}

/** Too many tasks already wait for the pool (pool_queue_tasks_max). */
struct Busy : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/** Bytes handed to loadIndex that are not an index this build wrote. */
struct Corrupt : std::runtime_error {
  explicit Corrupt(const std::string& what) : std::runtime_error("corrupt index: " + what) {}
};

/**
 * A whole index that this build must not read: a newer format version, or an HNSW graph
 * written by another usearch version (whose stream layout is usearch's, not ours).
 */
struct Incompatible : std::runtime_error {
  explicit Incompatible(const std::string& what) : std::runtime_error("incompatible index: " + what) {}
};

inline bool larger_is_nearer(Metric m) { return m == Metric::IP || m == Metric::COSINE; }
inline bool binary_metric(Metric m) { return m == Metric::HAMMING || m == Metric::JACCARD; }

const char* metric_name(Metric m);
const char* element_name(Element e);
bool parse_metric(const std::string& s, Metric* out);
bool parse_element(const std::string& s, Element* out);

/** Bytes of one row: dim floats, dim halves, dim signed bytes, or dim bits. */
inline std::size_t row_bytes(Element e, std::size_t dim) {
  switch (e) {
    case Element::F32: return dim * 4;
    case Element::F16:
    case Element::BF16: return dim * 2;
    case Element::BIN: return dim / 8;
    case Element::I8: return dim;
  }
  return 0;
}

// IEEE half <-> float, round to nearest even; bf16 is the top half of a float.
inline float f16_to_f32(std::uint16_t h) {
  std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t man = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do { man <<= 1; e++; } while ((man & 0x400u) == 0);
      bits = sign | static_cast<std::uint32_t>(127 - 15 - e) << 23 | (man & 0x3ffu) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | man << 13;
  } else {
    bits = sign | (exp + 112) << 23 | man << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline std::uint16_t f32_to_f16(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  std::uint32_t sign = (x >> 16) & 0x8000u;
  std::uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0));
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past the largest half
  if (abs < 0x38800000u) {  // subnormal half (or zero)
    if (abs < 0x33000000u) return static_cast<std::uint16_t>(sign);
    std::uint32_t e = abs >> 23;
    std::uint32_t m = (abs & 0x7fffffu) | 0x800000u;
    std::uint32_t shift = 126 - e;  // 14..24
    std::uint32_t half = m >> shift;
    std::uint32_t rem = m & ((1u << shift) - 1);
    std::uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u))) half++;
    return static_cast<std::uint16_t>(sign | half);
  }
  std::uint32_t r = abs + 0xfffu + ((abs >> 13) & 1u) - (112u << 23);
  return static_cast<std::uint16_t>(sign | (r >> 13));
}

inline float bf16_to_f32(std::uint16_t h) {
  std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline std::uint16_t f32_to_bf16(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<std::uint16_t>(x >> 16);
}

/** One row of `e` (not BIN) as floats. */
inline void decode_row(Element e, const void* src, std::size_t dim, float* out) {
  if (e == Element::F32) {
    std::memcpy(out, src, dim * 4);
  } else if (e == Element::F16) {
    const auto* h = static_cast<const std::uint16_t*>(src);
    for (std::size_t i = 0; i < dim; i++) out[i] = f16_to_f32(h[i]);
  } else if (e == Element::I8) {
    // Every int8 is a float exactly.
    const auto* b = static_cast<const std::int8_t*>(src);
    for (std::size_t i = 0; i < dim; i++) out[i] = static_cast<float>(b[i]);
  } else {
    const auto* h = static_cast<const std::uint16_t*>(src);
    for (std::size_t i = 0; i < dim; i++) out[i] = bf16_to_f32(h[i]);
  }
}

/** Floats back to `e` (not BIN, not I8: nothing stores floats as int8 rows). */
inline void encode_row(Element e, const float* src, std::size_t dim, void* out) {
  if (e == Element::F32) {
    std::memcpy(out, src, dim * 4);
  } else if (e == Element::F16) {
    auto* h = static_cast<std::uint16_t*>(out);
    for (std::size_t i = 0; i < dim; i++) h[i] = f32_to_f16(src[i]);
  } else {
    auto* h = static_cast<std::uint16_t*>(out);
    for (std::size_t i = 0; i < dim; i++) h[i] = f32_to_bf16(src[i]);
  }
}

/** Scales v to unit length; a zero vector stays zero (its cosine with anything is 0). */
inline void normalize(float* v, std::size_t dim) {
  double s = 0;
  for (std::size_t i = 0; i < dim; i++) s += static_cast<double>(v[i]) * v[i];
  if (s <= 0 || !std::isfinite(s)) return;
  float inv = static_cast<float>(1.0 / std::sqrt(s));
  for (std::size_t i = 0; i < dim; i++) v[i] *= inv;
}

/**
 * The k best hits seen so far, on a key where smaller is nearer (similarities enter
 * negated). Ties go to the smaller row, so results do not depend on scan order. A NaN
 * key counts as the worst possible.
 */
class TopK {
 public:
  struct Hit {
    float key;
    std::int32_t row;
  };

  explicit TopK(std::size_t k) : k_(k) { heap_.reserve(std::min<std::size_t>(k, 1u << 16)); }

  void clear() { heap_.clear(); }
  std::size_t size() const { return heap_.size(); }
  bool full() const { return heap_.size() >= k_; }
  /** The key a new hit must beat once the heap is full. */
  float bound() const { return full() ? heap_.front().key : std::numeric_limits<float>::infinity(); }

  void push(float key, std::int32_t row) {
    if (key != key) key = std::numeric_limits<float>::infinity();
    Hit h{key, row};
    if (heap_.size() < k_) {
      heap_.push_back(h);
      std::push_heap(heap_.begin(), heap_.end(), less);
    } else if (less(h, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), less);
      heap_.back() = h;
      std::push_heap(heap_.begin(), heap_.end(), less);
    }
  }

  /** Nearest first. Leaves the heap empty. */
  std::vector<Hit> take_sorted() {
    std::sort_heap(heap_.begin(), heap_.end(), less);
    std::vector<Hit> out;
    out.swap(heap_);
    return out;
  }

  static bool less(const Hit& a, const Hit& b) { return a.key < b.key || (a.key == b.key && a.row < b.row); }

 private:
  std::size_t k_;
  std::vector<Hit> heap_;
};

/** splitmix64: small, seeded, the same sequence on every machine. */
struct Rng {
  std::uint64_t state;
  explicit Rng(std::uint64_t seed) : state(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /** Uniform in [0, n). */
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
};

/**
 * fn(begin, end, worker) over [0, n) split into `threads` contiguous chunks; the
 * calling thread takes the first. An exception in any chunk is rethrown here.
 */
template <typename F>
void parallel_for(std::size_t n, std::size_t threads, F&& fn) {
  threads = std::max<std::size_t>(1, std::min(threads, n));
  if (threads <= 1) {
    if (n) fn(std::size_t{0}, n, std::size_t{0});
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(threads);
  std::size_t chunk = (n + threads - 1) / threads;
  for (std::size_t t = 1; t < threads; t++) {
    std::size_t b = t * chunk, e = std::min(n, b + chunk);
    if (b >= e) break;
    pool.emplace_back([&, t, b, e] {
      try { fn(b, e, t); } catch (...) { errors[t] = std::current_exception(); }
    });
  }
  try { fn(std::size_t{0}, std::min(n, chunk), std::size_t{0}); } catch (...) { errors[0] = std::current_exception(); }
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace elanus
