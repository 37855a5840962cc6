// Clustering for the IVF family: k-means on floats (Euclidean, or spherical for inner
// product) and k-majority on bit vectors (Hamming or Jaccard). Seeded, so the same data
// and parameters give the same centroids on every run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common.h"

namespace elanus {

constexpr int kmeans_iterations = 10;

/**
 * k centroids (k * d floats) for n points. spherical: centroids are kept at unit length
 * and points go to the largest inner product; otherwise to the smallest L2.
 */
std::vector<float> kmeans(const float* x, std::size_t n, std::size_t d, std::size_t k, bool spherical,
                          std::uint64_t seed, std::size_t threads, const StopWords* stop = nullptr);

/** For each point the index of its centroid (smallest L2, or largest IP if spherical). */
void assign_nearest(const float* x, std::size_t n, std::size_t d, const float* centroids, std::size_t k,
                    bool spherical, std::uint32_t* out, std::size_t threads);

/** k centroids (k * bytes) of bit vectors by k-majority under the metric. */
std::vector<std::uint8_t> kmajority(const std::uint8_t* x, std::size_t n, std::size_t bytes, std::size_t k,
                                    Metric metric, std::uint64_t seed, std::size_t threads, const StopWords* stop = nullptr);

void assign_nearest_bits(const std::uint8_t* x, std::size_t n, std::size_t bytes, const std::uint8_t* centroids,
                         std::size_t k, Metric metric, std::uint32_t* out, std::size_t threads);

/** Indices of a seeded sample of min(n, want) distinct rows of n, ascending. */
std::vector<std::size_t> sample_rows(std::size_t n, std::size_t want, std::uint64_t seed);

}  // namespace elanus
