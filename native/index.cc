#include "index.h"

#include <cstdlib>

#include "pool.h"

namespace elanus {

const char* storage_name(Storage s) {
  switch (s) {
    case Storage::F32: return "f32";
    case Storage::F16: return "f16";
    case Storage::BF16: return "bf16";
    case Storage::I8: return "i8";
  }
  return "?";
}

std::size_t search_contexts() {
  // Searches run only on the pool's threads, one at a time on each, so one context per
  // thread means no search ever waits for one. (At exit the pool reports 0 threads.)
  return std::max<std::size_t>(1, Pool::instance().threads());
}

std::unique_ptr<VectorIndex> build_index(const BuildSpec& s, const void* data, std::size_t rows) {
  if (s.dim == 0 || s.dim > dim_max) throw InvalidArgument("dim must be an integer in [1, " + std::to_string(dim_max) + "], got " + std::to_string(s.dim));
  if (s.threads == 0 || s.threads > build_threads_max) throw InvalidArgument("threads must be in [1, " + std::to_string(build_threads_max) + "]");
  if (rows > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) throw InvalidArgument("too many rows");
  bool binary = s.kind == Kind::BIN_IVF_FLAT;
  if (binary != binary_metric(s.metric))
    throw InvalidArgument(std::string("metric ") + metric_name(s.metric) + " is not valid for " + kind_name(s.kind));
  if (binary != (s.element == Element::BIN))
    throw InvalidArgument(std::string("element ") + element_name(s.element) + " is not valid for " + kind_name(s.kind));
  if (binary && s.dim % 8) throw InvalidArgument("binary dim must be a multiple of 8, got " + std::to_string(s.dim));
  // Milvus builds only the HNSW family on INT8_VECTOR; the IVF code keeps no int8 rows.
  if (s.element == Element::I8 && s.kind != Kind::HNSW)
    throw InvalidArgument(std::string("element i8 is not valid for ") + kind_name(s.kind));
  return s.kind == Kind::HNSW ? build_hnsw(s, data, rows) : build_ivf(s, data, rows);
}

std::unique_ptr<VectorIndex> load_index(const std::uint8_t* bytes, std::size_t n) {
  Reader r(bytes, n);
  Header h = r.header();
  std::unique_ptr<VectorIndex> index = h.kind == Kind::HNSW ? load_hnsw(h, r) : load_ivf(h, r);
  if (r.left() != 0) throw Corrupt(std::to_string(r.left()) + " unexpected bytes after the index");
  return index;
}

}  // namespace elanus
