// Non-negative least squares by the normal equations over a shrinking set of columns.
#include "meshtwin/twin/fit.hpp"

#include <algorithm>
#include <cmath>

namespace meshtwin::twin {

double LinearFit::predict(const std::vector<double>& row) const {
  double v = 0;
  for (std::size_t j = 0; j < row.size() && j < coef.size(); ++j) v += coef[j] * row[j];
  return v;
}

bool solveLinear(std::vector<std::vector<double>> a, std::vector<double> b, std::vector<double>& z) {
  const std::size_t n = b.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
    double scale = 0;
    for (std::size_t r = 0; r < n; ++r) scale = std::max(scale, std::fabs(a[r][c]));
    if (std::fabs(a[piv][c]) <= 1e-12 * std::max(scale, 1e-300)) return false;
    std::swap(a[c], a[piv]);
    std::swap(b[c], b[piv]);
    for (std::size_t r = c + 1; r < n; ++r) {
      const double f = a[r][c] / a[c][c];
      for (std::size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  z.assign(n, 0);
  for (std::size_t i = n; i-- > 0;) {
    double s = b[i];
    for (std::size_t k = i + 1; k < n; ++k) s -= a[i][k] * z[k];
    z[i] = s / a[i][i];
  }
  return true;
}

LinearFit fitNonNegative(const std::vector<std::vector<double>>& x, const std::vector<double>& y) {
  LinearFit f;
  f.points = y.size();
  const std::size_t m = x.empty() ? 0 : x.front().size();
  f.coef.assign(m, 0);
  std::vector<std::size_t> active;
  for (std::size_t j = 0; j < m; ++j) {
    bool any = false;
    for (const auto& row : x) any = any || row[j] != 0;
    if (any) active.push_back(j);
  }
  while (!active.empty()) {
    const std::size_t k = active.size();
    std::vector<std::vector<double>> ata(k, std::vector<double>(k, 0));
    std::vector<double> atb(k, 0), z;
    for (std::size_t i = 0; i < y.size(); ++i) {
      for (std::size_t a = 0; a < k; ++a) {
        atb[a] += x[i][active[a]] * y[i];
        for (std::size_t b = 0; b < k; ++b) ata[a][b] += x[i][active[a]] * x[i][active[b]];
      }
    }
    if (!solveLinear(ata, atb, z)) {  // collinear: drop the last column and retry
      active.pop_back();
      continue;
    }
    const auto worst = std::min_element(z.begin(), z.end());
    if (*worst < 0) {
      active.erase(active.begin() + (worst - z.begin()));
      continue;
    }
    std::fill(f.coef.begin(), f.coef.end(), 0.0);
    for (std::size_t a = 0; a < k; ++a) f.coef[active[a]] = z[a];
    break;
  }
  double mean = 0;
  for (double v : y) mean += v;
  mean = y.empty() ? 0 : mean / static_cast<double>(y.size());
  double sse = 0, sst = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double r = f.predict(x[i]) - y[i];
    sse += r * r;
    sst += (y[i] - mean) * (y[i] - mean);
    if (y[i] != 0) f.max_abs_rel_residual = std::max(f.max_abs_rel_residual, std::fabs(r / y[i]));
  }
  f.r2 = sst > 0 ? 1 - sse / sst : (sse == 0 ? 1 : 0);
  f.rmse = y.empty() ? 0 : std::sqrt(sse / static_cast<double>(y.size()));
  return f;
}

}  // namespace meshtwin::twin
