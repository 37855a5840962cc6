// HNSW: usearch's graph (index_gt, from its headers) over vectors we keep ourselves, in
// one contiguous block indexed by graph slot, with usearch's NumKong metrics. We use the
// graph class, not usearch's index_dense, because a search needs its own ef per call and
// a context that no concurrent call holds; index_dense keeps ef in shared state.
//
// Storage: f32, f16 or bf16 copies of the rows (queries are cast the same way), or i8.
// For i8 the rows are quantized here, not by usearch's cast (which assumes [-1, 1]):
//   L2      one offset and one scale for all dimensions, from the data's min and max:
//           code = round((x - offset) / scale) in [-127, 127]; a query is quantized the
//           same way (clamped); score = usearch's squared distance * scale².
//   IP      offset 0, scale = max |x| / 127; a query gets its own scale (max |q| / 127),
//           which ranks rows the same; score = integer dot * scale * query scale.
//   COSINE  rows and queries are normalized first, then as IP; the score is the inner
//           product of the quantized unit vectors, an approximation of the cosine.
// COSINE with float storage also normalizes and uses inner product. usearch's inner
// product distance is 1 - x, so every IP/COSINE score is 1 - distance (times the scales).
#include <condition_variable>
#include <mutex>

#include <usearch/index.hpp>
#include <usearch/index_plugins.hpp>

#include "index.h"

namespace elanus {

namespace {

namespace us = unum::usearch;

using graph_t = us::index_gt<float, std::uint64_t, std::uint32_t, us::aligned_allocator_gt<us::byte_t, 64>,
                             us::memory_mapping_allocator_gt<64>>;
using member_cref_t = graph_t::member_cref_t;
using member_citerator_t = graph_t::member_citerator_t;

constexpr std::size_t ef_default = 64;

/** The usearch these headers are (package.json pins it): recorded in every HNSW index written. */
constexpr std::uint16_t usearch_version[3] = {USEARCH_VERSION_MAJOR, USEARCH_VERSION_MINOR, USEARCH_VERSION_PATCH};

/** Ids of search contexts not in use; a caller waits when all are taken. */
class ContextPool {
 public:
  explicit ContextPool(std::size_t n) {
    for (std::size_t i = n; i-- > 0;) free_.push_back(i);
  }
  std::size_t acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return !free_.empty(); });
    std::size_t id = free_.back();
    free_.pop_back();
    return id;
  }
  void release(std::size_t id) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      free_.push_back(id);
    }
    ready_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::size_t> free_;
};

class ContextLease {
 public:
  explicit ContextLease(ContextPool& pool) : pool_(pool), id_(pool.acquire()) {}
  ~ContextLease() { pool_.release(id_); }
  ContextLease(const ContextLease&) = delete;
  ContextLease& operator=(const ContextLease&) = delete;
  std::size_t id() const { return id_; }

 private:
  ContextPool& pool_;
  std::size_t id_;
};

us::scalar_kind_t scalar_of(Storage s) {
  switch (s) {
    case Storage::F32: return us::scalar_kind_t::f32_k;
    case Storage::F16: return us::scalar_kind_t::f16_k;
    case Storage::BF16: return us::scalar_kind_t::bf16_k;
    case Storage::I8: return us::scalar_kind_t::i8_k;
  }
  return us::scalar_kind_t::f32_k;
}

std::size_t storage_bytes(Storage s) { return s == Storage::F32 ? 4 : s == Storage::I8 ? 1 : 2; }

class HnswIndex final : public VectorIndex {
 public:
  Metric metric_ = Metric::L2;
  Element element_ = Element::F32;
  Storage storage_ = Storage::F32;
  std::size_t dim_ = 0, rows_ = 0, M_ = 16, ef_construction_ = 200;
  float scale_ = 1, offset_ = 0;  // i8 only
  std::size_t vector_bytes_ = 0;
  std::vector<us::byte_t> vectors_;  // rows * vector_bytes_, by graph slot
  us::metric_punned_t usearch_metric_;
  graph_t graph_;
  std::unique_ptr<ContextPool> contexts_;

  /** usearch's metric callable in every form the graph asks for. */
  struct Proxy {
    const HnswIndex* ix;
    const us::byte_t* v(std::size_t slot) const { return ix->vectors_.data() + slot * ix->vector_bytes_; }
    float operator()(const us::byte_t* a, member_cref_t b) const { return ix->usearch_metric_(a, v(us::get_slot(b))); }
    float operator()(member_cref_t a, member_cref_t b) const { return ix->usearch_metric_(v(us::get_slot(a)), v(us::get_slot(b))); }
    float operator()(const us::byte_t* a, member_citerator_t b) const { return ix->usearch_metric_(a, v(get_slot(b))); }
    float operator()(member_citerator_t a, member_citerator_t b) const { return ix->usearch_metric_(v(get_slot(a)), v(get_slot(b))); }
    float operator()(const us::byte_t* a, const us::byte_t* b) const { return ix->usearch_metric_(a, b); }
  };

  Kind kind() const override { return Kind::HNSW; }
  Metric metric() const override { return metric_; }
  std::size_t dim() const override { return dim_; }
  std::size_t rows() const override { return rows_; }

  /** Measured once when built or loaded: usearch's count walks every node. */
  std::size_t memory_bytes_ = 0;
  std::size_t memory_bytes() const override { return memory_bytes_; }
  void measure() { memory_bytes_ = sizeof(*this) + vectors_.capacity() + graph_.memory_usage(); }

  void init(std::size_t contexts) {
    vector_bytes_ = dim_ * storage_bytes(storage_);
    us::metric_kind_t kind = metric_ == Metric::L2 ? us::metric_kind_t::l2sq_k : us::metric_kind_t::ip_k;
    usearch_metric_ = us::metric_punned_t::builtin(dim_, kind, scalar_of(storage_));
    if (!usearch_metric_) throw std::runtime_error("usearch has no metric for this storage type");
    us::index_config_t config(M_, 2 * M_);
    auto made = graph_t::make(config);
    if (!made) throw InvalidArgument(std::string("HNSW: ") + made.error.what());
    graph_ = std::move(made.index);
    contexts_ = std::make_unique<ContextPool>(contexts);
    if (!graph_.try_reserve(us::index_limits_t(rows_, contexts))) throw std::bad_alloc();
  }

  /** The i8 offset and scale from the data's range (rows already normalized for COSINE). */
  void fit_i8(float lo, float hi, float amax) {
    if (metric_ == Metric::L2) {
      offset_ = lo <= hi ? lo / 2 + hi / 2 : 0;
      scale_ = lo < hi ? (hi - lo) / 254 : 1;
    } else {
      offset_ = 0;
      scale_ = amax > 0 ? amax / 127 : 1;
    }
  }

  static std::int8_t quantize(float v, float offset, float scale) {
    float c = std::nearbyint((v - offset) / scale);
    if (!(c >= -127)) c = c > 0 ? 127 : -127;  // NaN and -inf land on the lowest code
    return static_cast<std::int8_t>(c > 127 ? 127 : c);
  }

  /** A float vector (normalized if COSINE) into storage form; returns the query scale for i8 IP/COSINE. */
  float store(const float* v, us::byte_t* out, bool query) const {
    switch (storage_) {
      case Storage::F32: std::memcpy(out, v, dim_ * 4); return 1;
      case Storage::F16: encode_row(Element::F16, v, dim_, out); return 1;
      case Storage::BF16: encode_row(Element::BF16, v, dim_, out); return 1;
      case Storage::I8: break;
    }
    float scale = scale_;
    if (query && metric_ != Metric::L2) {
      float amax = 0;
      for (std::size_t i = 0; i < dim_; i++)
        if (std::isfinite(v[i])) amax = std::max(amax, std::fabs(v[i]));
      scale = amax > 0 ? amax / 127 : 1;
    }
    auto* o = reinterpret_cast<std::int8_t*>(out);
    for (std::size_t i = 0; i < dim_; i++) o[i] = quantize(v[i], offset_, scale);
    return scale;
  }

  void build(const BuildSpec& s, const void* data, std::size_t rows) {
    metric_ = s.metric, element_ = s.element, storage_ = s.storage, dim_ = s.dim, rows_ = rows;
    M_ = s.M, ef_construction_ = s.ef_construction;
    std::size_t threads = std::min(s.threads, std::max<std::size_t>(1, rows));
    init(std::max(search_contexts(), threads));
    vectors_.assign(rows * vector_bytes_, 0);
    std::size_t d = dim_, in_bytes = row_bytes(element_, d);
    const auto* src = static_cast<const std::uint8_t*>(data);
    auto as_float = [&](std::size_t r, float* out) {
      decode_row(element_, src + r * in_bytes, d, out);
      if (metric_ == Metric::COSINE) normalize(out, d);
    };
    if (storage_ == Storage::I8) {
      // One pass to fit the quantizer; rows are decoded again while inserting.
      float lo = std::numeric_limits<float>::infinity(), hi = -lo, amax = 0;
      std::vector<float> v(d);
      for (std::size_t r = 0; r < rows; r++) {
        as_float(r, v.data());
        for (float x : v)
          if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x), amax = std::max(amax, std::fabs(x));
      }
      fit_i8(lo, hi, amax);
    }
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::string error;
    std::mutex error_mutex;
    Proxy proxy{this};
    parallel_for(threads, threads, [&](std::size_t, std::size_t, std::size_t t) {
      std::vector<float> v(d);
      std::vector<us::byte_t> stored(vector_bytes_);
      us::index_update_config_t config;
      config.expansion = ef_construction_;
      config.thread = t;
      for (std::size_t r; !failed && (r = next.fetch_add(1)) < rows;) {
        if (cancel_requested(&s.stop)) {
          failed = true;
          break;
        }
        as_float(r, v.data());
        store(v.data(), stored.data(), false);
        auto copy = [&](graph_t::member_ref_t member) {
          std::memcpy(vectors_.data() + us::get_slot(member) * vector_bytes_, stored.data(), vector_bytes_);
        };
        auto added = graph_.add(static_cast<std::uint64_t>(r), stored.data(), proxy, config, copy);
        if (!added) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!failed.exchange(true)) error = added.error.what();
        }
      }
    });
    check_cancel(&s.stop);
    if (failed) throw std::runtime_error("HNSW insert failed: " + error);
    measure();
  }

  void search(const void* queries, std::size_t nq, const SearchParams& p, SearchOut& out) const override {
    out.reset(nq, p.k);
    if (rows_ == 0) return;
    std::size_t allowed = rows_;
    if (p.allow) {
      allowed = p.allowed;
      if (allowed == 0)
        for (std::size_t r = 0; r < rows_; r++) allowed += p.allow[r] != 0;
      if (allowed == 0) return;
    }
    us::index_search_config_t config;
    config.expansion = std::max(p.k, p.ef ? p.ef : ef_default);
    // With no more allowed rows than the walk keeps, the walk would visit the whole graph
    // to fill its list anyway: a scan of the allowed rows is cheaper and exact.
    config.exact = p.allow && allowed <= config.expansion;
    ContextLease lease(*contexts_);
    config.thread = lease.id();
    Proxy proxy{this};
    std::vector<float> q(dim_);
    std::vector<us::byte_t> stored(vector_bytes_);
    const std::uint8_t* allow = p.allow;
    auto allowed_row = [allow](member_cref_t m) noexcept { return allow[static_cast<std::uint64_t>(m.key)] != 0; };
    for (std::size_t qi = 0; qi < nq; qi++) {
      std::memcpy(q.data(), static_cast<const float*>(queries) + qi * dim_, dim_ * 4);
      if (metric_ == Metric::COSINE) normalize(q.data(), dim_);
      float qscale = store(q.data(), stored.data(), true);
      auto result = allow ? graph_.search(stored.data(), p.k, proxy, config, allowed_row)
                          : graph_.search(stored.data(), p.k, proxy, config);
      if (!result) throw std::runtime_error(std::string("HNSW search failed: ") + result.error.what());
      for (std::size_t i = 0; i < result.size() && i < p.k; i++) {
        auto match = result[i];
        out.rows[qi * p.k + i] = static_cast<std::int32_t>(static_cast<std::uint64_t>(match.member.key));
        out.scores[qi * p.k + i] = score(match.distance, qscale);
      }
    }
  }

  float score(float distance, float qscale) const {
    bool i8 = storage_ == Storage::I8;
    if (metric_ == Metric::L2) return i8 ? distance * scale_ * scale_ : distance;
    float dot = 1 - distance;
    return i8 ? dot * scale_ * qscale : dot;
  }

  void serialize(Writer& w) const override {
    w.header({format_version, Kind::HNSW, metric_, element_, static_cast<std::uint32_t>(dim_), rows_});
    // The usearch that writes the graph stream below (format version 2).
    w.put(usearch_version[0]);
    w.put(usearch_version[1]);
    w.put(usearch_version[2]);
    w.put(static_cast<std::uint8_t>(storage_));
    w.put(static_cast<std::uint32_t>(M_));
    w.put(static_cast<std::uint32_t>(ef_construction_));
    w.put(scale_);
    w.put(offset_);
    w.vec(vectors_);
    std::size_t at = w.bytes.size();
    w.put(std::uint64_t{0});  // graph length, filled in below
    auto saved = graph_.save_to_stream([&](const void* p, std::size_t n) {
      w.raw(p, n);
      return true;
    });
    if (!saved) throw std::runtime_error(std::string("HNSW serialize failed: ") + saved.error.what());
    std::uint64_t len = w.bytes.size() - at - 8;
    std::memcpy(&w.bytes[at], &len, 8);
    w.finish();
  }

  void load(const Header& h, Reader& r) {
    metric_ = h.metric, element_ = h.element, dim_ = h.dim, rows_ = h.rows;
    if (h.version < 2) throw Incompatible("format version " + std::to_string(h.version) + " does not record which usearch wrote the HNSW graph");
    std::uint16_t major = r.get<std::uint16_t>("usearch major"), minor = r.get<std::uint16_t>("usearch minor"),
                  patch = r.get<std::uint16_t>("usearch patch");
    if (major != usearch_version[0] || minor != usearch_version[1] || patch != usearch_version[2])
      throw Incompatible("the HNSW graph was written by usearch " + std::to_string(major) + "." + std::to_string(minor) + "." +
                         std::to_string(patch) + "; this build uses usearch " + std::to_string(usearch_version[0]) + "." +
                         std::to_string(usearch_version[1]) + "." + std::to_string(usearch_version[2]));
    if (binary_metric(metric_) || element_ == Element::BIN) throw Corrupt("metric or element type does not fit HNSW");
    std::uint8_t storage = r.get<std::uint8_t>("storage");
    if (storage > 3) throw Corrupt("unknown HNSW storage type");
    storage_ = static_cast<Storage>(storage);
    M_ = r.get<std::uint32_t>("M");
    ef_construction_ = r.get<std::uint32_t>("efConstruction");
    if (M_ < 2 || M_ > hnsw_m_max) throw Corrupt("HNSW M out of range");
    scale_ = r.get<float>("scale");
    offset_ = r.get<float>("offset");
    if (!(scale_ > 0) || !std::isfinite(scale_) || !std::isfinite(offset_)) throw Corrupt("bad i8 quantizer");
    init(search_contexts());
    r.vec(vectors_, rows_ * vector_bytes_, "vectors");
    std::uint64_t len = r.get<std::uint64_t>("graph length");
    if (len != r.left()) throw Corrupt("graph length does not match the bytes");
    check_graph_stream(r.here(), len);
    Reader graph_bytes(r.here(), len);
    auto loaded = graph_.load_from_stream([&](void* p, std::size_t n) {
      if (n > graph_bytes.left()) return false;
      graph_bytes.raw(p, n, "graph");
      return true;
    });
    if (!loaded) throw Corrupt(std::string("HNSW graph: ") + loaded.error.what());
    if (graph_bytes.left() != 0) throw Corrupt("bytes left after the HNSW graph");
    r.skip(len, "graph");
    if (!graph_.try_reserve(us::index_limits_t(rows_, search_contexts()))) throw std::bad_alloc();
    check_links();
    measure();
  }

  // Before usearch reads the graph: its header and per-node levels must describe exactly
  // `len` bytes for this M and row count, so no node can be read past its allocation.
  void check_graph_stream(const std::uint8_t* p, std::size_t len) const {
    us::index_serialized_header_t head;
    if (len < sizeof(head)) throw Corrupt("truncated HNSW graph header");
    std::memcpy(&head, p, sizeof(head));
    if (head.size != rows_) throw Corrupt("HNSW graph holds " + std::to_string(head.size) + " nodes, not " + std::to_string(rows_));
    if (head.connectivity != M_ || head.connectivity_base != 2 * M_) throw Corrupt("HNSW graph connectivity does not match M");
    if (rows_ == 0) {
      if (len != sizeof(head)) throw Corrupt("bytes after an empty HNSW graph");
      return;
    }
    if (head.entry_slot >= rows_ || head.max_level > 64) throw Corrupt("HNSW graph entry point out of range");
    std::size_t levels_bytes = rows_ * sizeof(std::int16_t);
    if (len - sizeof(head) < levels_bytes) throw Corrupt("truncated HNSW levels");
    std::uint64_t expect = sizeof(head) + levels_bytes;
    for (std::size_t i = 0; i < rows_; i++) {
      std::int16_t level;
      std::memcpy(&level, p + sizeof(head) + i * 2, 2);
      if (level < 0 || static_cast<std::uint64_t>(level) > head.max_level) throw Corrupt("HNSW node level out of range");
      if (i == head.entry_slot && static_cast<std::uint64_t>(level) != head.max_level) throw Corrupt("HNSW entry point is not on the top level");
      expect += graph_.memory_usage_per_node(level);
    }
    if (expect != len) throw Corrupt("HNSW graph length does not match its nodes");
  }

  // After: every key is a distinct row and every link points at a node.
  void check_links() const {
    std::vector<std::uint8_t> seen(rows_, 0);
    for (std::size_t s = 0; s < rows_; s++) {
      std::uint64_t key = graph_.at(static_cast<std::uint32_t>(s)).key;
      if (key >= rows_ || seen[key]) throw Corrupt("HNSW node keys are not a permutation of the rows");
      seen[key] = 1;
      std::size_t top = graph_.level_of(static_cast<std::uint32_t>(s));
      for (std::size_t level = 0; level <= top; level++) {
        auto links = graph_.neighbors(static_cast<std::uint32_t>(s), level);
        if (links.size() > (level ? M_ : 2 * M_)) throw Corrupt("HNSW node has too many links");
        for (auto it = links.begin(); it != links.end(); ++it)
          if (it.slot() >= rows_ || graph_.level_of(it.slot()) < level) throw Corrupt("HNSW link out of range");
      }
    }
  }
};

}  // namespace

std::unique_ptr<VectorIndex> build_hnsw(const BuildSpec& s, const void* data, std::size_t rows) {
  if (s.M < 2 || s.M > hnsw_m_max) throw InvalidArgument("M must be an integer in [2, " + std::to_string(hnsw_m_max) + "], got " + std::to_string(s.M));
  if (s.ef_construction < 1 || s.ef_construction > ef_max) throw InvalidArgument("efConstruction must be an integer in [1, " + std::to_string(ef_max) + "], got " + std::to_string(s.ef_construction));
  auto index = std::make_unique<HnswIndex>();
  index->build(s, data, rows);
  return index;
}

std::unique_ptr<VectorIndex> load_hnsw(const Header& h, Reader& r) {
  auto index = std::make_unique<HnswIndex>();
  index->load(h, r);
  return index;
}

}  // namespace elanus
