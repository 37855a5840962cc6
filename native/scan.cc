// Queries go in blocks of eight so that each row, once loaded, is scored against all of
// them while it is still in cache; for one query this is a plain loop over the rows.
// With an allow mask the allowed rows are gathered a batch at a time (eight mask bytes
// per step, all-zero words skipped) and each row is prefetched a few rows ahead: a
// filter leaves scattered rows, which the hardware prefetcher cannot predict.
#include "scan.h"

#include <cstring>

#include "kernels.h"

namespace elanus {

namespace {

constexpr std::size_t query_block = 8;

/** The metric's key of `row` for query j of a block (smaller is nearer). */
class BlockScorer {
 public:
  BlockScorer(const RowsView& v, Metric m, const void* queries, std::size_t first, std::size_t count)
      : m_(m), count_(count) {
    if (v.element == Element::BIN) {
      bytes_ = v.dim / 8;
      for (std::size_t j = 0; j < count; j++) bin_[j] = static_cast<const std::uint8_t*>(queries) + (first + j) * bytes_;
    } else {
      const float* q = static_cast<const float*>(queries);
      for (std::size_t j = 0; j < count; j++) dense_.emplace_back(m, v.element, q + (first + j) * v.dim, v.dim);
    }
  }
  std::size_t count() const { return count_; }
  float key(std::size_t j, const std::uint8_t* row) const {
    return bytes_ ? binary_distance(m_, bin_[j], row, bytes_) : dense_[j].key(row);
  }

 private:
  Metric m_;
  std::size_t count_;
  std::size_t bytes_ = 0;
  const std::uint8_t* bin_[query_block] = {};
  std::vector<DenseScorer> dense_;
};

/** Asks for up to the first 1 KiB of a row to be brought into cache. */
inline void prefetch_row(const std::uint8_t* p, std::size_t bytes) {
  const std::size_t n = bytes < 1024 ? bytes : 1024;
  for (std::size_t off = 0; off < n; off += 64) __builtin_prefetch(p + off);
}

/** Calls f(r) for every row r of [0, rows) that `allow` allows (every row when null), in order. */
template <class F>
void for_allowed(const RowsView& v, const std::uint8_t* allow, F&& f) {
  if (!allow) {
    for (std::size_t r = 0; r < v.rows; r++) f(r);
    return;
  }
  constexpr std::size_t batch = 256;
  constexpr std::size_t ahead = 4;
  const std::size_t bytes = row_bytes(v.element, v.dim);
  std::size_t ids[batch];
  std::size_t r = 0;
  while (r < v.rows) {
    std::size_t n = 0;
    while (r < v.rows && n + 8 <= batch) {
      if (r + 8 <= v.rows) {
        std::uint64_t word;
        std::memcpy(&word, allow + r, 8);
        if (word != 0) {
          for (std::size_t j = 0; j < 8; j++) {
            ids[n] = r + j;
            n += allow[r + j] != 0;
          }
        }
        r += 8;
      } else {
        ids[n] = r;
        n += allow[r] != 0;
        r++;
      }
    }
    for (std::size_t i = 0; i < n && i < ahead; i++) prefetch_row(v.row(ids[i]), bytes);
    for (std::size_t i = 0; i < n; i++) {
      if (i + ahead < n) prefetch_row(v.row(ids[i + ahead]), bytes);
      f(ids[i]);
    }
  }
}

bool in_range(Metric m, float score, float radius, float range_filter) {
  if (larger_is_nearer(m)) return score > radius && score <= range_filter;
  return score < radius && score >= range_filter;
}

}  // namespace

void SearchOut::put(std::size_t q, std::size_t k, Metric m, const std::vector<TopK::Hit>& hits, float scale) {
  for (std::size_t i = 0; i < hits.size() && i < k; i++) {
    rows[q * k + i] = hits[i].row;
    scores[q * k + i] = score_of(m, hits[i].key) * scale;
  }
}

void exact_topk(const RowsView& v, Metric m, const void* queries, std::size_t nq, std::size_t k,
                const std::uint8_t* allow, SearchOut& out) {
  out.reset(nq, k);
  std::vector<TopK> heaps;
  for (std::size_t j = 0; j < query_block; j++) heaps.emplace_back(k);
  for (std::size_t first = 0; first < nq; first += query_block) {
    BlockScorer s(v, m, queries, first, std::min(query_block, nq - first));
    for (std::size_t j = 0; j < s.count(); j++) heaps[j].clear();
    for_allowed(v, allow, [&](std::size_t r) {
      const std::uint8_t* row = v.row(r);
      for (std::size_t j = 0; j < s.count(); j++) {
        float key = s.key(j, row);
        if (!heaps[j].full() || key <= heaps[j].bound()) heaps[j].push(key, static_cast<std::int32_t>(r));
      }
    });
    for (std::size_t j = 0; j < s.count(); j++) out.put(first + j, k, m, heaps[j].take_sorted());
  }
}

void exact_range(const RowsView& v, Metric m, const void* queries, std::size_t nq, float radius,
                 float range_filter, std::size_t limit, const std::uint8_t* allow, RangeOut& out) {
  out.offsets.assign(nq + 1, 0);
  out.rows.clear();
  out.scores.clear();
  std::vector<std::vector<TopK::Hit>> found(query_block);
  std::vector<TopK> capped;
  if (limit)
    for (std::size_t j = 0; j < query_block; j++) capped.emplace_back(limit);
  for (std::size_t first = 0; first < nq; first += query_block) {
    BlockScorer s(v, m, queries, first, std::min(query_block, nq - first));
    for (std::size_t j = 0; j < s.count(); j++) {
      found[j].clear();
      if (limit) capped[j].clear();
    }
    for_allowed(v, allow, [&](std::size_t r) {
      const std::uint8_t* row = v.row(r);
      for (std::size_t j = 0; j < s.count(); j++) {
        float key = s.key(j, row);
        if (!in_range(m, score_of(m, key), radius, range_filter)) continue;
        if (limit) capped[j].push(key, static_cast<std::int32_t>(r));
        else found[j].push_back({key, static_cast<std::int32_t>(r)});
      }
    });
    for (std::size_t j = 0; j < s.count(); j++) {
      std::vector<TopK::Hit> hits = limit ? capped[j].take_sorted() : std::move(found[j]);
      if (!limit) std::sort(hits.begin(), hits.end(), TopK::less);
      if (out.rows.size() + hits.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
        throw InvalidArgument("range search found more than 2^31 hits; pass a limit");
      for (const auto& h : hits) {
        out.rows.push_back(h.row);
        out.scores.push_back(score_of(m, h.key));
      }
      out.offsets[first + j + 1] = static_cast<std::int32_t>(out.rows.size());
      if (!limit) found[j] = std::vector<TopK::Hit>();
    }
  }
}

}  // namespace elanus
