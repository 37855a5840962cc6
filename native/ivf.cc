// The IVF family. Rows are clustered around nlist centroids (k-means on a seeded sample)
// and stored list by list, contiguously, with their row ids; a search scores the query
// against every centroid, scans the nprobe nearest lists and skips disallowed rows.
//   IVF_FLAT      rows as given (f32, f16 or bf16)
//   IVF_SQ8       one byte per dimension: min + step * code, min/step per dimension
//   IVF_PQ        m bytes per row: the residual (row - centroid) split into m sub-vectors,
//                 each replaced by the nearest of 2^nbits sub-centroids; scored with
//                 lookup tables (asymmetric distance)
//   BIN_IVF_FLAT  bit vectors clustered by k-majority under HAMMING or JACCARD
// COSINE normalizes rows and queries and then is inner product, so a list scan never
// divides. Scores of SQ8 and PQ are those of the coded rows (approximate, like Milvus).
#include <numeric>

#include "index.h"
#include "kernels.h"
#include "kmeans.h"

namespace elanus {

namespace {

constexpr std::uint64_t kmeans_seed = 0x454c414e5553ull;  // "ELANUS"
constexpr std::size_t train_rows_min = 10000;
constexpr std::size_t train_rows_per_list = 64;
constexpr std::size_t nprobe_default = 8;

/** Lists: offsets into ids/codes, list by list. */
struct Lists {
  std::vector<std::uint64_t> offsets;  // nlist + 1
  std::vector<std::int32_t> ids;

  void build(const std::vector<std::uint32_t>& assign, std::size_t nlist) {
    offsets.assign(nlist + 1, 0);
    for (std::uint32_t a : assign) offsets[a + 1]++;
    for (std::size_t l = 0; l < nlist; l++) offsets[l + 1] += offsets[l];
    ids.resize(assign.size());
    std::vector<std::uint64_t> fill(offsets.begin(), offsets.end() - 1);
    for (std::size_t r = 0; r < assign.size(); r++) ids[fill[assign[r]]++] = static_cast<std::int32_t>(r);
  }

  void write(Writer& w) const {
    for (std::size_t l = 0; l + 1 < offsets.size(); l++) w.put(static_cast<std::uint32_t>(offsets[l + 1] - offsets[l]));
    w.vec(ids);
  }

  /** Reads list sizes and ids, and checks that the ids are each row exactly once. */
  void read(Reader& r, std::size_t nlist, std::size_t rows) {
    offsets.assign(nlist + 1, 0);
    for (std::size_t l = 0; l < nlist; l++) offsets[l + 1] = offsets[l] + r.get<std::uint32_t>("list sizes");
    if (offsets[nlist] != rows) throw Corrupt("list sizes add up to " + std::to_string(offsets[nlist]) + ", not " + std::to_string(rows) + " rows");
    r.vec(ids, rows, "row ids");
    std::vector<std::uint8_t> seen(rows, 0);
    for (std::int32_t id : ids) {
      if (id < 0 || static_cast<std::size_t>(id) >= rows || seen[id]) throw Corrupt("row ids are not a permutation of the rows");
      seen[id] = 1;
    }
  }

  std::size_t bytes() const { return offsets.capacity() * 8 + ids.capacity() * 4; }
};

std::size_t train_rows(std::size_t rows, std::size_t nlist) {
  return std::min(rows, std::max(train_rows_min, nlist * train_rows_per_list));
}

/** The nprobe nearest lists to a query, nearest first. */
template <typename Key>
std::vector<std::uint32_t> nearest_lists(std::size_t nlist, std::size_t nprobe, Key key) {
  std::vector<std::pair<float, std::uint32_t>> all(nlist);
  for (std::size_t l = 0; l < nlist; l++) {
    float k = key(l);
    all[l] = {k != k ? std::numeric_limits<float>::infinity() : k, static_cast<std::uint32_t>(l)};
  }
  nprobe = std::min(nprobe, nlist);
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(nprobe), all.end());
  std::vector<std::uint32_t> out(nprobe);
  for (std::size_t i = 0; i < nprobe; i++) out[i] = all[i].second;
  return out;
}

// ---- dense ------------------------------------------------------------------------------

class IvfIndex final : public VectorIndex {
 public:
  Kind kind_;
  Metric metric_;
  Element element_;
  std::size_t dim_ = 0, rows_ = 0, nlist_ = 0;
  std::size_t pq_m_ = 0, pq_nbits_ = 0;
  std::vector<float> centroids_;  // nlist * dim
  Lists lists_;
  std::vector<std::uint8_t> codes_;  // rows * code_bytes, in list order
  std::vector<float> sq_min_, sq_step_;  // IVF_SQ8: dim each
  std::vector<float> pq_books_;  // IVF_PQ: m * ksub * dsub
  std::vector<float> pq_books_t_;  // the same, m * dsub * ksub (not serialized)

  Kind kind() const override { return kind_; }
  Metric metric() const override { return metric_; }
  std::size_t dim() const override { return dim_; }
  std::size_t rows() const override { return rows_; }

  /** Inner product for IP and COSINE (rows are normalized for COSINE). */
  Metric inner() const { return metric_ == Metric::L2 ? Metric::L2 : Metric::IP; }
  bool spherical() const { return metric_ != Metric::L2; }
  std::size_t ksub() const { return std::size_t{1} << pq_nbits_; }
  std::size_t dsub() const { return dim_ / pq_m_; }
  std::size_t code_bytes() const {
    switch (kind_) {
      case Kind::IVF_FLAT: return row_bytes(element_, dim_);
      case Kind::IVF_SQ8: return dim_;
      default: return pq_m_;
    }
  }

  std::size_t memory_bytes() const override {
    return sizeof(*this) + centroids_.capacity() * 4 + lists_.bytes() + codes_.capacity() + sq_min_.capacity() * 8 +
           pq_books_.capacity() * 4 + pq_books_t_.capacity() * 4;
  }

  void build(const BuildSpec& s, const void* data, std::size_t rows) {
    kind_ = s.kind, metric_ = s.metric, element_ = s.element, dim_ = s.dim, rows_ = rows;
    nlist_ = std::min(s.nlist, rows);
    if (kind_ == Kind::IVF_PQ) pq_m_ = s.pq_m, pq_nbits_ = s.pq_nbits;
    std::size_t d = dim_;
    // Rows as floats, normalized for COSINE. Plain f32 rows are used where they are.
    std::vector<float> owned;
    const float* x = static_cast<const float*>(data);
    if (element_ != Element::F32 || metric_ == Metric::COSINE) {
      owned.resize(rows * d);
      parallel_for(rows, s.threads, [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t r = b; r < e; r++) {
          decode_row(element_, static_cast<const std::uint8_t*>(data) + r * row_bytes(element_, d), d, &owned[r * d]);
          if (metric_ == Metric::COSINE) normalize(&owned[r * d], d);
        }
      });
      x = owned.data();
    }
    check_cancel(&s.stop);
    // Coarse centroids from a sample, then every row to its nearest.
    std::vector<std::size_t> sample = sample_rows(rows, train_rows(rows, nlist_), kmeans_seed);
    std::vector<float> train(sample.size() * d);
    for (std::size_t i = 0; i < sample.size(); i++) std::memcpy(&train[i * d], x + sample[i] * d, d * 4);
    centroids_ = kmeans(train.data(), sample.size(), d, nlist_, spherical(), kmeans_seed, s.threads, &s.stop);
    check_cancel(&s.stop);
    std::vector<std::uint32_t> assign(rows);
    assign_nearest(x, rows, d, centroids_.data(), nlist_, spherical(), assign.data(), s.threads);
    lists_.build(assign, nlist_);
    check_cancel(&s.stop);

    if (kind_ == Kind::IVF_SQ8) {
      sq_min_.assign(d, std::numeric_limits<float>::infinity());
      std::vector<float> hi(d, -std::numeric_limits<float>::infinity());
      for (std::size_t r = 0; r < rows; r++)
        for (std::size_t t = 0; t < d; t++) {
          float v = x[r * d + t];
          if (v < sq_min_[t]) sq_min_[t] = v;
          if (v > hi[t]) hi[t] = v;
        }
      sq_step_.assign(d, 0.0f);
      for (std::size_t t = 0; t < d; t++) {
        if (!(sq_min_[t] <= hi[t]) || !std::isfinite(sq_min_[t]) || !std::isfinite(hi[t])) sq_min_[t] = 0, hi[t] = 0;
        sq_step_[t] = (hi[t] - sq_min_[t]) / 255.0f;
      }
    }
    if (kind_ == Kind::IVF_PQ) train_pq(x, sample, assign, s.threads, &s.stop), transpose_books();
    check_cancel(&s.stop);

    std::size_t cb = code_bytes();
    codes_.assign(rows * cb, 0);
    parallel_for(rows, s.threads, [&](std::size_t b, std::size_t e, std::size_t) {
      std::vector<float> tmp(d);
      for (std::size_t i = b; i < e; i++) {
        std::size_t r = static_cast<std::size_t>(lists_.ids[i]);
        std::uint8_t* out = &codes_[i * cb];
        const float* v = x + r * d;
        if (kind_ == Kind::IVF_FLAT) {
          if (metric_ == Metric::COSINE) encode_row(element_, v, d, out);
          else std::memcpy(out, static_cast<const std::uint8_t*>(data) + r * cb, cb);
        } else if (kind_ == Kind::IVF_SQ8) {
          for (std::size_t t = 0; t < d; t++) {
            float c = sq_step_[t] > 0 ? std::nearbyint((v[t] - sq_min_[t]) / sq_step_[t]) : 0.0f;
            out[t] = static_cast<std::uint8_t>(c < 0 ? 0 : c > 255 ? 255 : c);
          }
        } else {
          const float* c = &centroids_[assign[r] * d];
          for (std::size_t t = 0; t < d; t++) tmp[t] = v[t] - c[t];
          pq_encode(tmp.data(), out);
        }
      }
    });
  }

  // Sub-quantizers trained on the residuals of the training sample.
  void train_pq(const float* x, const std::vector<std::size_t>& sample, const std::vector<std::uint32_t>& assign,
                std::size_t threads, const StopWords* stop) {
    std::size_t d = dim_, m = pq_m_, ds = dsub(), ks = ksub();
    std::size_t n = sample.size();
    pq_books_.assign(m * ks * ds, 0.0f);
    std::vector<float> sub(n * ds);
    for (std::size_t j = 0; j < m; j++) {
      for (std::size_t i = 0; i < n; i++) {
        std::size_t r = sample[i];
        const float* c = &centroids_[assign[r] * d];
        for (std::size_t t = 0; t < ds; t++) sub[i * ds + t] = x[r * d + j * ds + t] - c[j * ds + t];
      }
      std::vector<float> book = kmeans(sub.data(), n, ds, ks, false, kmeans_seed + j + 1, threads, stop);
      std::memcpy(&pq_books_[j * ks * ds], book.data(), book.size() * 4);
    }
  }

  void pq_encode(const float* residual, std::uint8_t* out) const {
    std::size_t ds = dsub(), ks = ksub();
    for (std::size_t j = 0; j < pq_m_; j++) {
      const float* book = &pq_books_[j * ks * ds];
      const float* v = residual + j * ds;
      float best = std::numeric_limits<float>::infinity();
      std::size_t arg = 0;
      for (std::size_t c = 0; c < ks; c++) {
        float s = 0;
        for (std::size_t t = 0; t < ds; t++) {
          float u = v[t] - book[c * ds + t];
          s += u * u;
        }
        if (s < best) best = s, arg = c;
      }
      out[j] = static_cast<std::uint8_t>(arg);
    }
  }

  void search(const void* queries, std::size_t nq, const SearchParams& p, SearchOut& out) const override {
    out.reset(nq, p.k);
    if (nlist_ == 0) return;
    std::size_t d = dim_, cb = code_bytes();
    std::size_t nprobe = std::min(p.nprobe ? p.nprobe : nprobe_default, nlist_);
    const Kernels& kr = kernels();
    Metric m = inner();
    std::vector<float> q(d), a(d), w(d), table;
    TopK top(p.k);
    for (std::size_t qi = 0; qi < nq; qi++) {
      std::memcpy(q.data(), static_cast<const float*>(queries) + qi * d, d * 4);
      if (metric_ == Metric::COSINE) normalize(q.data(), d);
      std::vector<std::uint32_t> probe = nearest_lists(nlist_, nprobe, [&](std::size_t l) {
        const float* c = &centroids_[l * d];
        return m == Metric::L2 ? kr.l2[0](q.data(), c, d) : -kr.dot[0](q.data(), c, d);
      });
      top.clear();
      float qmin = 0;
      if (kind_ == Kind::IVF_SQ8) {
        for (std::size_t t = 0; t < d; t++) a[t] = q[t] - sq_min_[t], w[t] = q[t] * sq_step_[t], qmin += q[t] * sq_min_[t];
      }
      if (kind_ == Kind::IVF_PQ && m == Metric::IP) pq_table(q.data(), table);
      DenseScorer flat(m, element_, q.data(), d);
      for (std::uint32_t l : probe) {
        float base = 0;
        if (kind_ == Kind::IVF_PQ) {
          const float* c = &centroids_[l * d];
          if (m == Metric::L2) {
            for (std::size_t t = 0; t < d; t++) a[t] = q[t] - c[t];
            pq_table(a.data(), table);
          } else {
            base = -kr.dot[0](q.data(), c, d);
          }
        }
        for (std::uint64_t i = lists_.offsets[l]; i < lists_.offsets[l + 1]; i++) {
          std::int32_t row = lists_.ids[i];
          if (p.allow && !p.allow[row]) continue;
          const std::uint8_t* code = &codes_[i * cb];
          float key;
          if (kind_ == Kind::IVF_FLAT) {
            key = flat.key(code);
          } else if (kind_ == Kind::IVF_SQ8) {
            key = m == Metric::L2 ? kr.l2_sq8(a.data(), sq_step_.data(), code, d) : -(qmin + kr.dot_sq8(w.data(), code, d));
          } else {
            std::size_t ks = ksub();
            float s = 0;
            for (std::size_t j = 0; j < pq_m_; j++) s += table[j * ks + code[j]];
            key = m == Metric::L2 ? s : base - s;
          }
          top.push(key, row);
        }
      }
      out.put(qi, p.k, metric_, top.take_sorted());
    }
  }

  // table[j * ksub + c]: for L2 the squared distance of sub-vector j of v to sub-centroid
  // c; for IP their inner product. The codebooks are read transposed (sub-dimension
  // major) so the inner loop runs over the centroids and vectorizes.
  void pq_table(const float* v, std::vector<float>& table) const {
    std::size_t ds = dsub(), ks = ksub();
    table.assign(pq_m_ * ks, 0.0f);
    bool l2 = inner() == Metric::L2;
    for (std::size_t j = 0; j < pq_m_; j++) {
      float* out = &table[j * ks];
      for (std::size_t t = 0; t < ds; t++) {
        const float* col = &pq_books_t_[(j * ds + t) * ks];
        float u = v[j * ds + t];
        if (l2) {
          for (std::size_t c = 0; c < ks; c++) out[c] += (u - col[c]) * (u - col[c]);
        } else {
          for (std::size_t c = 0; c < ks; c++) out[c] += u * col[c];
        }
      }
    }
  }

  void transpose_books() {
    std::size_t ds = dsub(), ks = ksub();
    pq_books_t_.assign(pq_books_.size(), 0.0f);
    for (std::size_t j = 0; j < pq_m_; j++)
      for (std::size_t c = 0; c < ks; c++)
        for (std::size_t t = 0; t < ds; t++) pq_books_t_[(j * ds + t) * ks + c] = pq_books_[(j * ks + c) * ds + t];
  }

  void serialize(Writer& w) const override {
    w.header({format_version, kind_, metric_, element_, static_cast<std::uint32_t>(dim_), rows_});
    w.put(static_cast<std::uint32_t>(nlist_));
    w.put(static_cast<std::uint32_t>(pq_m_));
    w.put(static_cast<std::uint32_t>(pq_nbits_));
    w.vec(centroids_);
    lists_.write(w);
    w.vec(sq_min_);
    w.vec(sq_step_);
    w.vec(pq_books_);
    w.vec(codes_);
    w.finish();
  }

  void load(const Header& h, Reader& r) {
    kind_ = h.kind, metric_ = h.metric, element_ = h.element, dim_ = h.dim, rows_ = h.rows;
    if (binary_metric(metric_) || element_ == Element::BIN || element_ == Element::I8) throw Corrupt("metric or element type does not fit the index kind");
    nlist_ = r.get<std::uint32_t>("nlist");
    pq_m_ = r.get<std::uint32_t>("m");
    pq_nbits_ = r.get<std::uint32_t>("nbits");
    if (nlist_ > rows_ || nlist_ > nlist_max || (rows_ > 0 && nlist_ == 0)) throw Corrupt("nlist " + std::to_string(nlist_) + " does not fit " + std::to_string(rows_) + " rows");
    if (kind_ == Kind::IVF_PQ) {
      if (pq_m_ == 0 || dim_ % pq_m_ || pq_nbits_ < 1 || pq_nbits_ > 8) throw Corrupt("bad PQ parameters");
    } else if (pq_m_ || pq_nbits_) {
      throw Corrupt("PQ parameters on a non-PQ index");
    }
    r.vec(centroids_, nlist_ * dim_, "centroids");
    lists_.read(r, nlist_, rows_);
    std::size_t sq = kind_ == Kind::IVF_SQ8 ? dim_ : 0;
    r.vec(sq_min_, sq, "SQ8 minimums");
    r.vec(sq_step_, sq, "SQ8 steps");
    r.vec(pq_books_, kind_ == Kind::IVF_PQ ? pq_m_ * ksub() * dsub() : 0, "PQ codebooks");
    r.vec(codes_, rows_ * code_bytes(), "codes");
    if (kind_ == Kind::IVF_PQ) {
      for (std::uint8_t c : codes_)
        if (c >= ksub()) throw Corrupt("PQ code out of range");
      transpose_books();
    }
  }
};

// ---- binary -----------------------------------------------------------------------------

class BinIvfIndex final : public VectorIndex {
 public:
  Metric metric_;
  std::size_t dim_ = 0, rows_ = 0, nlist_ = 0;
  std::vector<std::uint8_t> centroids_;
  Lists lists_;
  std::vector<std::uint8_t> codes_;

  Kind kind() const override { return Kind::BIN_IVF_FLAT; }
  Metric metric() const override { return metric_; }
  std::size_t dim() const override { return dim_; }
  std::size_t rows() const override { return rows_; }
  std::size_t bytes() const { return dim_ / 8; }

  std::size_t memory_bytes() const override {
    return sizeof(*this) + centroids_.capacity() + lists_.bytes() + codes_.capacity();
  }

  void build(const BuildSpec& s, const void* data, std::size_t rows) {
    metric_ = s.metric, dim_ = s.dim, rows_ = rows, nlist_ = std::min(s.nlist, rows);
    std::size_t nb = bytes();
    const auto* x = static_cast<const std::uint8_t*>(data);
    std::vector<std::size_t> sample = sample_rows(rows, train_rows(rows, nlist_), kmeans_seed);
    std::vector<std::uint8_t> train(sample.size() * nb);
    for (std::size_t i = 0; i < sample.size(); i++) std::memcpy(&train[i * nb], x + sample[i] * nb, nb);
    centroids_ = kmajority(train.data(), sample.size(), nb, nlist_, metric_, kmeans_seed, s.threads, &s.stop);
    check_cancel(&s.stop);
    std::vector<std::uint32_t> assign(rows);
    assign_nearest_bits(x, rows, nb, centroids_.data(), nlist_, metric_, assign.data(), s.threads);
    check_cancel(&s.stop);
    lists_.build(assign, nlist_);
    codes_.resize(rows * nb);
    for (std::size_t i = 0; i < rows; i++) std::memcpy(&codes_[i * nb], x + static_cast<std::size_t>(lists_.ids[i]) * nb, nb);
  }

  void search(const void* queries, std::size_t nq, const SearchParams& p, SearchOut& out) const override {
    out.reset(nq, p.k);
    if (nlist_ == 0) return;
    std::size_t nb = bytes();
    std::size_t nprobe = std::min(p.nprobe ? p.nprobe : nprobe_default, nlist_);
    TopK top(p.k);
    for (std::size_t qi = 0; qi < nq; qi++) {
      const std::uint8_t* q = static_cast<const std::uint8_t*>(queries) + qi * nb;
      std::vector<std::uint32_t> probe = nearest_lists(nlist_, nprobe, [&](std::size_t l) {
        return binary_distance(metric_, q, &centroids_[l * nb], nb);
      });
      top.clear();
      for (std::uint32_t l : probe)
        for (std::uint64_t i = lists_.offsets[l]; i < lists_.offsets[l + 1]; i++) {
          std::int32_t row = lists_.ids[i];
          if (p.allow && !p.allow[row]) continue;
          top.push(binary_distance(metric_, q, &codes_[i * nb], nb), row);
        }
      out.put(qi, p.k, metric_, top.take_sorted());
    }
  }

  void serialize(Writer& w) const override {
    w.header({format_version, Kind::BIN_IVF_FLAT, metric_, Element::BIN, static_cast<std::uint32_t>(dim_), rows_});
    w.put(static_cast<std::uint32_t>(nlist_));
    w.vec(centroids_);
    lists_.write(w);
    w.vec(codes_);
    w.finish();
  }

  void load(const Header& h, Reader& r) {
    metric_ = h.metric, dim_ = h.dim, rows_ = h.rows;
    if (!binary_metric(metric_) || h.element != Element::BIN || dim_ % 8) throw Corrupt("metric or element type does not fit the index kind");
    nlist_ = r.get<std::uint32_t>("nlist");
    if (nlist_ > rows_ || nlist_ > nlist_max || (rows_ > 0 && nlist_ == 0)) throw Corrupt("nlist does not fit the rows");
    r.vec(centroids_, nlist_ * bytes(), "centroids");
    lists_.read(r, nlist_, rows_);
    r.vec(codes_, rows_ * bytes(), "codes");
  }
};

}  // namespace

std::unique_ptr<VectorIndex> build_ivf(const BuildSpec& s, const void* data, std::size_t rows) {
  if (s.nlist < 1 || s.nlist > nlist_max) throw InvalidArgument("nlist must be an integer in [1, " + std::to_string(nlist_max) + "], got " + std::to_string(s.nlist));
  if (s.kind == Kind::BIN_IVF_FLAT) {
    auto index = std::make_unique<BinIvfIndex>();
    index->build(s, data, rows);
    return index;
  }
  if (s.kind == Kind::IVF_PQ) {
    if (s.pq_m < 1 || s.dim % s.pq_m) throw InvalidArgument("m must divide dim (" + std::to_string(s.dim) + "), got " + std::to_string(s.pq_m));
    if (s.pq_nbits < 1 || s.pq_nbits > 8) throw InvalidArgument("nbits must be an integer in [1, 8], got " + std::to_string(s.pq_nbits));
  }
  auto index = std::make_unique<IvfIndex>();
  index->build(s, data, rows);
  return index;
}

std::unique_ptr<VectorIndex> load_ivf(const Header& h, Reader& r) {
  if (h.kind == Kind::BIN_IVF_FLAT) {
    auto index = std::make_unique<BinIvfIndex>();
    index->load(h, r);
    return index;
  }
  auto index = std::make_unique<IvfIndex>();
  index->load(h, r);
  return index;
}

}  // namespace elanus
