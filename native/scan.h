// Exact scans: top-k and range search over rows [0, rows) of a caller's buffer, with an
// optional allow mask (one byte per row, nonzero = may be returned). Also the result
// buffers every search fills, shared with the indexes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common.h"

namespace elanus {

/** nq*k entries, query-major, nearest first; row -1 and score NaN where fewer were found. */
struct SearchOut {
  std::vector<std::int32_t> rows;
  std::vector<float> scores;
  void reset(std::size_t nq, std::size_t k) {
    rows.assign(nq * k, -1);
    scores.assign(nq * k, std::numeric_limits<float>::quiet_NaN());
  }
  /** Writes query q's hits (keys turned back into scores). */
  void put(std::size_t q, std::size_t k, Metric m, const std::vector<TopK::Hit>& hits, float scale = 1.0f);
};

struct RangeOut {
  std::vector<std::int32_t> offsets;  // nq + 1
  std::vector<std::int32_t> rows;
  std::vector<float> scores;
};

/** Rows of a caller's buffer: `data` holds at least rows * row_bytes(element, dim) bytes. */
struct RowsView {
  const void* data;
  std::size_t rows;
  std::size_t dim;
  Element element;
  const std::uint8_t* row(std::size_t r) const {
    return static_cast<const std::uint8_t*>(data) + r * row_bytes(element, dim);
  }
};

/** queries: nq rows of float (dense) or nq * dim/8 bytes (BIN). */
void exact_topk(const RowsView& v, Metric m, const void* queries, std::size_t nq, std::size_t k,
                const std::uint8_t* allow, SearchOut& out);

/** limit 0 = unlimited. */
void exact_range(const RowsView& v, Metric m, const void* queries, std::size_t nq, float radius,
                 float range_filter, std::size_t limit, const std::uint8_t* allow, RangeOut& out);

}  // namespace elanus
