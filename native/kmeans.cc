// Assignment, the hot loop, scores a block of points against a block of centroids held
// transposed (dimension-major), so the innermost loop runs over centroids with no
// reduction and the compiler vectorizes it; the same loop serves the coarse quantizer
// (d ~ 100s, k ~ 100s) and the PQ sub-quantizers (d ~ 8, k = 256). Empty clusters are
// re-seeded by splitting a large one, as faiss does.
#include "kmeans.h"

#include "kernels.h"

namespace elanus {

namespace {

constexpr std::size_t point_block = 16;
constexpr std::size_t centroid_block = 256;

// Per point in [begin, end): the best centroid and its score. For L2 the score is
// |c|² - 2 x·c (|x|² is the same for every centroid); for IP it is -x·c.
void assign_range(const float* x, std::size_t d, const float* ct, const float* cnorm, std::size_t k, bool spherical,
                  std::size_t begin, std::size_t end, std::uint32_t* out) {
  std::vector<float> acc(point_block * centroid_block);
  std::vector<float> best(point_block);
  for (std::size_t p0 = begin; p0 < end; p0 += point_block) {
    std::size_t np = std::min(point_block, end - p0);
    std::fill(best.begin(), best.end(), std::numeric_limits<float>::infinity());
    for (std::size_t i = 0; i < np; i++) out[p0 + i] = 0;
    for (std::size_t c0 = 0; c0 < k; c0 += centroid_block) {
      std::size_t nc = std::min(centroid_block, k - c0);
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (std::size_t t = 0; t < d; t++) {
        const float* crow = ct + t * k + c0;
        for (std::size_t i = 0; i < np; i++) {
          float xv = x[(p0 + i) * d + t];
          float* a = acc.data() + i * centroid_block;
          for (std::size_t j = 0; j < nc; j++) a[j] += xv * crow[j];
        }
      }
      for (std::size_t i = 0; i < np; i++) {
        const float* a = acc.data() + i * centroid_block;
        for (std::size_t j = 0; j < nc; j++) {
          float s = spherical ? -a[j] : cnorm[c0 + j] - 2 * a[j];
          if (s < best[i]) best[i] = s, out[p0 + i] = static_cast<std::uint32_t>(c0 + j);
        }
      }
    }
  }
}

}  // namespace

std::vector<std::size_t> sample_rows(std::size_t n, std::size_t want, std::uint64_t seed) {
  std::vector<std::size_t> idx(n);
  for (std::size_t i = 0; i < n; i++) idx[i] = i;
  if (want >= n) return idx;
  Rng rng(seed);
  for (std::size_t i = 0; i < want; i++) std::swap(idx[i], idx[i + rng.below(n - i)]);
  idx.resize(want);
  std::sort(idx.begin(), idx.end());
  return idx;
}

void assign_nearest(const float* x, std::size_t n, std::size_t d, const float* centroids, std::size_t k,
                    bool spherical, std::uint32_t* out, std::size_t threads) {
  std::vector<float> ct(d * k), cnorm(k, 0.0f);
  for (std::size_t j = 0; j < k; j++)
    for (std::size_t t = 0; t < d; t++) {
      float v = centroids[j * d + t];
      ct[t * k + j] = v;
      cnorm[j] += v * v;
    }
  // Chunks of whole point blocks, so that threads never share a block.
  std::size_t blocks = (n + point_block - 1) / point_block;
  parallel_for(blocks, threads, [&](std::size_t b, std::size_t e, std::size_t) {
    assign_range(x, d, ct.data(), cnorm.data(), k, spherical, b * point_block, std::min(n, e * point_block), out);
  });
}

std::vector<float> kmeans(const float* x, std::size_t n, std::size_t d, std::size_t k, bool spherical,
                          std::uint64_t seed, std::size_t threads, const StopWords* stop) {
  std::vector<float> c(k * d, 0.0f);
  if (n == 0 || k == 0) return c;
  Rng rng(seed);
  // Start from k distinct points (with repeats only when there are fewer points than k).
  std::vector<std::size_t> init = sample_rows(n, k, seed ^ 0x5eedull);
  for (std::size_t j = 0; j < k; j++) {
    std::size_t src = j < init.size() ? init[j] : init[rng.below(init.size())];
    std::memcpy(&c[j * d], x + src * d, d * sizeof(float));
    if (spherical) normalize(&c[j * d], d);
  }
  std::vector<std::uint32_t> a(n);
  std::vector<double> sum(k * d);
  std::vector<std::size_t> count(k);
  for (int it = 0; it < kmeans_iterations; it++) {
    check_cancel(stop);
    assign_nearest(x, n, d, c.data(), k, spherical, a.data(), threads);
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for (std::size_t i = 0; i < n; i++) {
      std::size_t j = a[i];
      count[j]++;
      const float* xi = x + i * d;
      double* s = &sum[j * d];
      for (std::size_t t = 0; t < d; t++) s[t] += xi[t];
    }
    for (std::size_t j = 0; j < k; j++) {
      if (!count[j]) continue;
      for (std::size_t t = 0; t < d; t++) c[j * d + t] = static_cast<float>(sum[j * d + t] / count[j]);
      if (spherical) normalize(&c[j * d], d);
    }
    // Split a large cluster for each empty one: both halves move a little apart.
    for (std::size_t j = 0; j < k; j++) {
      if (count[j]) continue;
      std::size_t big = 0;
      for (;;) {
        big = rng.below(k);
        // Pick with probability proportional to (size - 1), by rejection.
        if (count[big] > 1 && rng.below(n) < count[big] - 1) break;
        if (n <= k) break;
      }
      if (count[big] <= 1) {  // fewer points than clusters: copy a random point
        std::memcpy(&c[j * d], x + rng.below(n) * d, d * sizeof(float));
        continue;
      }
      const float eps = 1.0f / 1024;
      for (std::size_t t = 0; t < d; t++) {
        float v = c[big * d + t];
        c[j * d + t] = v * (t % 2 ? 1 + eps : 1 - eps);
        c[big * d + t] = v * (t % 2 ? 1 - eps : 1 + eps);
      }
      if (spherical) {
        normalize(&c[j * d], d);
        normalize(&c[big * d], d);
      }
      count[j] = count[big] / 2;
      count[big] -= count[j];
    }
  }
  return c;
}

void assign_nearest_bits(const std::uint8_t* x, std::size_t n, std::size_t bytes, const std::uint8_t* centroids,
                         std::size_t k, Metric metric, std::uint32_t* out, std::size_t threads) {
  parallel_for(n, threads, [&](std::size_t b, std::size_t e, std::size_t) {
    for (std::size_t i = b; i < e; i++) {
      float best = std::numeric_limits<float>::infinity();
      std::uint32_t arg = 0;
      for (std::size_t j = 0; j < k; j++) {
        float s = binary_distance(metric, x + i * bytes, centroids + j * bytes, bytes);
        if (s < best) best = s, arg = static_cast<std::uint32_t>(j);
      }
      out[i] = arg;
    }
  });
}

std::vector<std::uint8_t> kmajority(const std::uint8_t* x, std::size_t n, std::size_t bytes, std::size_t k,
                                    Metric metric, std::uint64_t seed, std::size_t threads, const StopWords* stop) {
  std::vector<std::uint8_t> c(k * bytes, 0);
  if (n == 0 || k == 0) return c;
  Rng rng(seed);
  std::vector<std::size_t> init = sample_rows(n, k, seed ^ 0x5eedull);
  for (std::size_t j = 0; j < k; j++) {
    std::size_t src = j < init.size() ? init[j] : init[rng.below(init.size())];
    std::memcpy(&c[j * bytes], x + src * bytes, bytes);
  }
  std::size_t bits = bytes * 8;
  std::vector<std::uint32_t> a(n), ones(k * bits);
  std::vector<std::size_t> count(k);
  for (int it = 0; it < kmeans_iterations; it++) {
    check_cancel(stop);
    assign_nearest_bits(x, n, bytes, c.data(), k, metric, a.data(), threads);
    std::fill(ones.begin(), ones.end(), 0);
    std::fill(count.begin(), count.end(), 0);
    for (std::size_t i = 0; i < n; i++) {
      std::size_t j = a[i];
      count[j]++;
      std::uint32_t* o = &ones[j * bits];
      const std::uint8_t* xi = x + i * bytes;
      for (std::size_t b = 0; b < bytes; b++) {
        unsigned v = xi[b];
        for (int t = 0; t < 8; t++) o[b * 8 + t] += (v >> t) & 1u;
      }
    }
    for (std::size_t j = 0; j < k; j++) {
      std::uint8_t* cj = &c[j * bytes];
      if (!count[j]) {  // an empty cluster restarts from a random point
        std::memcpy(cj, x + rng.below(n) * bytes, bytes);
        continue;
      }
      const std::uint32_t* o = &ones[j * bits];
      for (std::size_t b = 0; b < bytes; b++) {
        unsigned v = 0;
        for (int t = 0; t < 8; t++)
          if (2 * static_cast<std::size_t>(o[b * 8 + t]) > count[j]) v |= 1u << t;
        cj[b] = static_cast<std::uint8_t>(v);
      }
    }
  }
  return c;
}

}  // namespace elanus
