// The byte layout every index serializes to: a fixed header (magic, format version,
// kind, metric, element, dim, rows), the kind's own body, and a CRC-32 of everything
// before it. The reader checks bounds on every read and throws Corrupt, so bytes that
// are not a whole index from this build are refused before any structure is trusted;
// whole bytes of a format this build does not read throw Incompatible (the engine then
// rebuilds the index from its segment).
//
// Format versions:
//   1  the first layout.
//   2  an HNSW body starts with the usearch version (major, minor, patch: three u16)
//      whose graph stream follows; a graph from any other usearch version is refused,
//      since usearch does not promise that its stream layout stays the same. IVF bodies
//      are unchanged, so version 1 IVF indexes still load; version 1 HNSW ones do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"

namespace elanus {

constexpr std::uint32_t format_magic = 0x58564c45;  // "ELVX" little-endian
/** The version this build writes, and the newest it reads. */
constexpr std::uint32_t format_version = 2;
/** The oldest version this build reads (for the kinds whose body has not changed since). */
constexpr std::uint32_t format_version_min = 1;

enum class Kind : std::uint8_t { HNSW = 1, IVF_FLAT = 2, IVF_SQ8 = 3, IVF_PQ = 4, BIN_IVF_FLAT = 5 };
const char* kind_name(Kind k);

std::uint32_t crc32(const std::uint8_t* data, std::size_t n);

struct Header {
  /** The format version the bytes were written in (Writer::header writes format_version). */
  std::uint32_t version = format_version;
  Kind kind;
  Metric metric;
  Element element;
  std::uint32_t dim;
  std::uint64_t rows;
};

class Writer {
 public:
  std::vector<std::uint8_t> bytes;

  template <typename T>
  void put(T v) { raw(&v, sizeof(T)); }
  void raw(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
  }
  template <typename T>
  void vec(const std::vector<T>& v) { raw(v.data(), v.size() * sizeof(T)); }

  void header(const Header& h) {
    put(format_magic);
    put(format_version);
    put(static_cast<std::uint8_t>(h.kind));
    put(static_cast<std::uint8_t>(h.metric));
    put(static_cast<std::uint8_t>(h.element));
    put(std::uint8_t{0});
    put(h.dim);
    put(h.rows);
  }
  /** Appends the checksum; the bytes are complete after this. */
  void finish() { put(crc32(bytes.data(), bytes.size())); }
};

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t n) : p_(data), n_(n) {}

  template <typename T>
  T get(const char* what) {
    T v;
    raw(&v, sizeof(T), what);
    return v;
  }
  void raw(void* out, std::size_t n, const char* what) {
    need(n, what);
    if (n) std::memcpy(out, p_ + at_, n);
    at_ += n;
  }
  template <typename T>
  void vec(std::vector<T>& v, std::size_t count, const char* what) {
    if (count > (n_ - at_) / sizeof(T)) throw Corrupt(std::string("truncated ") + what);
    v.resize(count);
    raw(v.data(), count * sizeof(T), what);
  }
  void need(std::size_t n, const char* what) const {
    if (n > n_ - at_) throw Corrupt(std::string("truncated ") + what);
  }
  std::size_t left() const { return n_ - at_; }
  const std::uint8_t* here() const { return p_ + at_; }
  void skip(std::size_t n, const char* what) { need(n, what); at_ += n; }

  /** Checks magic, version and checksum, and reads the header; the reader then covers the body. */
  Header header();

 private:
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t at_ = 0;
};

}  // namespace elanus
