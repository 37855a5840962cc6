#include "format.h"

namespace elanus {

namespace {

// CRC-32 (the zlib polynomial), eight bytes per step.
struct CrcTables {
  std::uint32_t t[8][256];
  CrcTables() {
    for (std::uint32_t i = 0; i < 256; i++) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; i++)
      for (int s = 1; s < 8; s++) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
};

}  // namespace

std::uint32_t crc32(const std::uint8_t* p, std::size_t n) {
  static const CrcTables tables;
  const auto& t = tables.t;
  std::uint32_t c = 0xffffffffu;
  while (n >= 8) {
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::HNSW: return "HNSW";
    case Kind::IVF_FLAT: return "IVF_FLAT";
    case Kind::IVF_SQ8: return "IVF_SQ8";
    case Kind::IVF_PQ: return "IVF_PQ";
    case Kind::BIN_IVF_FLAT: return "BIN_IVF_FLAT";
  }
  return "?";
}

Header Reader::header() {
  constexpr std::size_t header_bytes = 4 + 4 + 4 + 4 + 8;
  if (n_ < header_bytes + 4) throw Corrupt("too short to be an index (" + std::to_string(n_) + " bytes)");
  if (get<std::uint32_t>("magic") != format_magic) throw Corrupt("not an Elanus vector index (bad magic)");
  std::uint32_t version = get<std::uint32_t>("version");
  // Checked before the checksum: a newer format may checksum differently.
  if (version > format_version)
    throw Incompatible("format version " + std::to_string(version) + " is newer than this build reads (" +
                       std::to_string(format_version_min) + " to " + std::to_string(format_version) + ")");
  if (version < format_version_min) throw Corrupt("format version " + std::to_string(version) + " does not exist");
  std::uint32_t stored;
  std::memcpy(&stored, p_ + n_ - 4, 4);
  if (crc32(p_, n_ - 4) != stored) throw Corrupt("checksum mismatch");
  n_ -= 4;
  Header h;
  h.version = version;
  std::uint8_t kind = get<std::uint8_t>("kind"), metric = get<std::uint8_t>("metric"), element = get<std::uint8_t>("element");
  get<std::uint8_t>("padding");
  h.dim = get<std::uint32_t>("dim");
  h.rows = get<std::uint64_t>("rows");
  if (kind < 1 || kind > 5) throw Corrupt("unknown index kind " + std::to_string(kind));
  if (metric > 4) throw Corrupt("unknown metric " + std::to_string(metric));
  if (element > 4) throw Corrupt("unknown element type " + std::to_string(element));
  h.kind = static_cast<Kind>(kind);
  h.metric = static_cast<Metric>(metric);
  h.element = static_cast<Element>(element);
  if (h.dim == 0 || h.dim > 65536) throw Corrupt("dimension " + std::to_string(h.dim) + " is out of range");
  if (h.rows > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) throw Corrupt("row count is out of range");
  return h;
}

}  // namespace elanus
