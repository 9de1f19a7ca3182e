// Retries of the cluster clients in one place: which answers are worth another attempt, the
// exponential backoff with jitter (or the server's Retry-After), and the bounds on both.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "meshtwin/kube/error.hpp"
#include "meshtwin/kube/http_client.hpp"

namespace meshtwin::kube {

struct RetryPolicy {
  int max_attempts = 5;                             // the first try included
  std::chrono::milliseconds initial_backoff{250};   // before the first retry, doubling after
  std::chrono::milliseconds max_backoff{8000};      // one wait, also caps a Retry-After
  std::chrono::milliseconds max_total{60000};       // no retry starts later than this after the first try
  double jitter = 0.5;                              // a wait is d * (1 - jitter * U[0,1))
};

// The time source and the sleep of the retry loop, so tests need not wait.
struct RetryClock {
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
  static RetryClock real();
};

// "Retry-After: 3" as seconds; nullopt for an absent, negative or HTTP-date value.
std::optional<std::chrono::seconds> parseRetryAfter(std::string_view value);

// 429 and 5xx answers (not 501), and connections reset or closed before an answer.
[[nodiscard]] bool isRetryable(const Result<HttpResponse>& outcome);

// The wait before each retry. Seeded, so a schedule can be reproduced.
class Backoff {
 public:
  explicit Backoff(RetryPolicy policy, std::uint64_t seed = 1) : policy_(policy), rng_(seed) {}
  // The wait before retry number `retry` (1 = the second attempt): the server's Retry-After
  // when given (capped at max_backoff), else initial_backoff * 2^(retry-1) capped and jittered.
  std::chrono::milliseconds delay(int retry, std::optional<std::chrono::seconds> retry_after);
  [[nodiscard]] const RetryPolicy& policy() const { return policy_; }

 private:
  RetryPolicy policy_;
  std::mt19937_64 rng_;
};

struct RetryOutcome {
  Result<HttpResponse> last;
  int attempts = 0;
  bool out_of_time = false;  // stopped because the next wait would pass max_total
};

// Runs `attempt` until it gives a non-retryable outcome or the bounds are reached; `on_retry`
// hears about every retry (what failed and how long it waits).
RetryOutcome runWithRetries(Backoff& backoff, const RetryClock& clock, const std::function<Result<HttpResponse>()>& attempt,
                            const std::function<void(const std::string&)>& on_retry);

}  // namespace meshtwin::kube
