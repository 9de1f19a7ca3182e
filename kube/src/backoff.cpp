// The retry loop and its backoff schedule.
#include "meshtwin/kube/backoff.hpp"

#include <algorithm>
#include <cctype>
#include <thread>

namespace meshtwin::kube {

namespace {

std::string describe(const Result<HttpResponse>& outcome) {
  if (!outcome) return outcome.error().reason + " (" + outcome.error().message + ")";
  return std::to_string(outcome->status);
}

std::optional<std::chrono::seconds> retryAfterOf(const Result<HttpResponse>& outcome) {
  if (!outcome) return std::nullopt;
  return parseRetryAfter(outcome->header("Retry-After"));
}

}  // namespace

RetryClock RetryClock::real() {
  return RetryClock{[] { return std::chrono::steady_clock::now(); },
                    [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }};
}

std::optional<std::chrono::seconds> parseRetryAfter(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return std::nullopt;
  long long seconds = 0;
  for (const char c : value) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return std::nullopt;  // an HTTP-date: not honoured
    seconds = seconds * 10 + (c - '0');
  }
  return std::chrono::seconds(seconds);
}

bool isRetryable(const Result<HttpResponse>& outcome) {
  if (!outcome) return outcome.error().kind == Error::Kind::Unreachable && outcome.error().reason == transport_reason::kReset;
  const int s = outcome->status;
  return s == 429 || (s >= 500 && s != 501 && s <= 599);
}

std::chrono::milliseconds Backoff::delay(int retry, std::optional<std::chrono::seconds> retry_after) {
  if (retry_after) return std::min<std::chrono::milliseconds>(*retry_after, policy_.max_backoff);
  const int doublings = std::clamp(retry - 1, 0, 30);
  const auto uncapped = policy_.initial_backoff.count() * (1LL << doublings);
  const auto capped = std::min<long long>(uncapped, policy_.max_backoff.count());
  const double cut = policy_.jitter * std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(capped) * (1.0 - cut)));
}

RetryOutcome runWithRetries(Backoff& backoff, const RetryClock& clock, const std::function<Result<HttpResponse>()>& attempt,
                            const std::function<void(const std::string&)>& on_retry) {
  const auto start = clock.now();
  const int max_attempts = std::max(1, backoff.policy().max_attempts);
  RetryOutcome out{attempt(), 1, false};
  while (isRetryable(out.last) && out.attempts < max_attempts) {
    const auto wait = backoff.delay(out.attempts, retryAfterOf(out.last));
    if (clock.now() + wait - start > backoff.policy().max_total) {
      out.out_of_time = true;
      break;
    }
    if (on_retry)
      on_retry(describe(out.last) + ", retrying in " + std::to_string(wait.count()) + " ms (attempt " +
               std::to_string(out.attempts + 1) + " of " + std::to_string(max_attempts) + ")");
    clock.sleep(wait);
    out.last = attempt();
    ++out.attempts;
  }
  return out;
}

}  // namespace meshtwin::kube
