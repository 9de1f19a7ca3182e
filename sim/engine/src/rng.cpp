// RngStream: xoshiro256** seeded by splitmix64 from the seed and an FNV-1a hash of the name.
#include "meshtwin/engine/rng.hpp"

namespace meshtwin::engine {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

__extension__ using u128 = unsigned __int128;  // GCC/Clang extension; the product needs 128 bits

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

RngStream::RngStream(std::uint64_t seed, std::string_view name) {
  std::uint64_t x = seed ^ fnv1a(name);
  for (auto& w : s_) w = splitmix64(x);
}

std::uint64_t RngStream::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double RngStream::standardNormal() {
  // Marsaglia's polar method; the second value is kept for the next call.
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  double u, v, s;
  do {
    u = 2 * uniform() - 1;
    v = 2 * uniform() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  const double f = std::sqrt(-2 * std::log(s) / s);
  spare_normal_ = v * f;
  has_spare_ = true;
  return u * f;
}

std::uint64_t RngStream::below(std::uint64_t n) {
  // Lemire's multiply-shift with rejection: unbiased.
  u128 m = static_cast<u128>(next()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<u128>(next()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

bool LogNormal::fromMeanP99(double mean, double p99, LogNormal& out) {
  if (!(mean > 0) || !(p99 > mean)) return false;
  const double d = std::log(p99 / mean);
  const double disc = kZ99 * kZ99 - 2 * d;
  if (disc < 0) return false;
  out.sigma = kZ99 - std::sqrt(disc);
  out.mu = std::log(mean) - out.sigma * out.sigma / 2;
  return true;
}

}  // namespace meshtwin::engine
