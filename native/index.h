// The one interface behind every built index (HNSW in hnsw.cc, the IVF family in ivf.cc)
// and the entry points that build, serialize and load them. An index is immutable once
// built or loaded, so any number of searches may run on it at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "format.h"
#include "scan.h"

namespace elanus {

/** Named limits on what a caller may ask for. */
constexpr std::size_t dim_max = 65536;
constexpr std::size_t hnsw_m_max = 2048;
constexpr std::size_t ef_max = 1u << 20;
constexpr std::size_t nlist_max = 65536;
constexpr std::size_t build_threads_max = 256;
constexpr std::size_t top_k_max = 1u << 20;

enum class Storage : std::uint8_t { F32 = 0, F16 = 1, BF16 = 2, I8 = 3 };
const char* storage_name(Storage s);

struct BuildSpec {
  Kind kind = Kind::HNSW;
  Metric metric = Metric::L2;
  Element element = Element::F32;
  std::size_t dim = 0;
  std::size_t threads = 1;
  // HNSW
  std::size_t M = 16;
  std::size_t ef_construction = 200;
  Storage storage = Storage::F32;
  // IVF
  std::size_t nlist = 0;
  std::size_t pq_m = 0;
  std::size_t pq_nbits = 8;
  /** Checked between rows and phases; a set word stops the build with Cancelled. */
  StopWords stop;
};

struct SearchParams {
  std::size_t k = 10;
  /** 0 = the default (64). */
  std::size_t ef = 0;
  /** 0 = the default (8). */
  std::size_t nprobe = 0;
  /** rows() bytes, nonzero = may be returned; null = every row. */
  const std::uint8_t* allow = nullptr;
  /** How many rows `allow` allows, when the caller knows (0 = count them). */
  std::size_t allowed = 0;
};

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;
  virtual Kind kind() const = 0;
  virtual Metric metric() const = 0;
  virtual std::size_t dim() const = 0;
  virtual std::size_t rows() const = 0;
  /** queries: nq * dim floats, or nq * dim/8 bytes for binary indexes. */
  virtual void search(const void* queries, std::size_t nq, const SearchParams& p, SearchOut& out) const = 0;
  /** The whole serialized index (header, body, checksum). */
  virtual void serialize(Writer& w) const = 0;
  virtual std::size_t memory_bytes() const = 0;
};

/** Checks the spec (throws InvalidArgument) and builds over `rows` rows of `data`. */
std::unique_ptr<VectorIndex> build_index(const BuildSpec& spec, const void* data, std::size_t rows);
/** Throws Corrupt for anything that is not a whole index written by this format version. */
std::unique_ptr<VectorIndex> load_index(const std::uint8_t* bytes, std::size_t n);

std::unique_ptr<VectorIndex> build_hnsw(const BuildSpec& spec, const void* data, std::size_t rows);
std::unique_ptr<VectorIndex> load_hnsw(const Header& h, Reader& r);
std::unique_ptr<VectorIndex> build_ivf(const BuildSpec& spec, const void* data, std::size_t rows);
std::unique_ptr<VectorIndex> load_ivf(const Header& h, Reader& r);

/** Search contexts an index keeps for concurrent searches (more callers wait for one). */
std::size_t search_contexts();

}  // namespace elanus
