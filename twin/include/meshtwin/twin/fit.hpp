// Least squares for `meshtwin calibrate`: profile parameters are non-negative costs, so the
// fit is y ~ X b with b >= 0 (small active-set: a coefficient that comes out negative is
// pinned at 0 and the rest refitted).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace meshtwin::twin {

struct LinearFit {
  std::vector<double> coef;  // one per column of X; 0 for a column pinned or without data
  std::size_t points = 0;
  double r2 = 0;                  // 1 - SSE / SST (around the mean of y)
  double rmse = 0;                // in y's unit
  double max_abs_rel_residual = 0;  // max |fitted - y| / |y| over points with y != 0
  [[nodiscard]] double predict(const std::vector<double>& row) const;
};

// Rows of X (each with the same number of columns) against y. Columns that are all zero get 0.
LinearFit fitNonNegative(const std::vector<std::vector<double>>& x, const std::vector<double>& y);

// Solves A z = b (n x n, row-major) by Gaussian elimination with partial pivoting; false when
// A is singular.
bool solveLinear(std::vector<std::vector<double>> a, std::vector<double> b, std::vector<double>& z);

}  // namespace meshtwin::twin
