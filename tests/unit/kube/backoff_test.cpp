// The retry schedule: exponential backoff with jitter, Retry-After, attempt and time bounds,
// under an injected clock.
#include <catch2/catch.hpp>

#include "meshtwin/kube/backoff.hpp"

using namespace meshtwin::kube;
using namespace std::chrono_literals;

namespace {

// A clock that moves only when the retry loop sleeps.
struct FakeClock {
  std::chrono::steady_clock::time_point t{};
  std::vector<std::chrono::milliseconds> sleeps;
  RetryClock clock() {
    return RetryClock{[this] { return t; }, [this](std::chrono::milliseconds d) {
                        sleeps.push_back(d);
                        t += d;
                      }};
  }
};

Result<HttpResponse> status(int code, std::string retry_after = "") {
  HttpResponse r{code, {}, ""};
  if (!retry_after.empty()) r.headers.push_back({"Retry-After", std::move(retry_after)});
  return r;
}

}  // namespace

TEST_CASE("Retry-After is read as seconds and dates or junk are ignored") {
  CHECK(parseRetryAfter("1") == std::optional<std::chrono::seconds>(1s));
  CHECK(parseRetryAfter(" 120 ") == std::optional<std::chrono::seconds>(120s));
  CHECK_FALSE(parseRetryAfter("").has_value());
  CHECK_FALSE(parseRetryAfter("-1").has_value());
  CHECK_FALSE(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT").has_value());
}

TEST_CASE("what is retried: 429 and 5xx but not 501 and reset connections") {
  CHECK(isRetryable(status(429)));
  CHECK(isRetryable(status(500)));
  CHECK(isRetryable(status(503)));
  CHECK_FALSE(isRetryable(status(501)));
  CHECK_FALSE(isRetryable(status(404)));
  CHECK_FALSE(isRetryable(status(200)));
  CHECK(isRetryable(Error{Error::Kind::Unreachable, 0, "", "", "ConnectionReset", "", ""}));
  CHECK_FALSE(isRetryable(Error{Error::Kind::Unreachable, 0, "", "", "TLS", "", ""}));
  CHECK_FALSE(isRetryable(Error{Error::Kind::Unreachable, 0, "", "", "Timeout", "", ""}));
}

TEST_CASE("backoff doubles and stays under the cap and within the jitter band") {
  RetryPolicy p;
  p.initial_backoff = 100ms;
  p.max_backoff = 1000ms;
  p.jitter = 0.5;
  Backoff b(p, 42);
  const std::vector<long long> nominal{100, 200, 400, 800, 1000, 1000};
  for (std::size_t i = 0; i < nominal.size(); ++i) {
    const auto d = b.delay(static_cast<int>(i) + 1, std::nullopt).count();
    CHECK(d <= nominal[i]);
    CHECK(d >= nominal[i] / 2);
  }
  Backoff same(p, 42), again(p, 42);
  CHECK(same.delay(3, std::nullopt) == again.delay(3, std::nullopt));  // seeded: reproducible
  p.jitter = 0;
  Backoff exact(p, 7);
  CHECK(exact.delay(1, std::nullopt) == 100ms);
  CHECK(exact.delay(4, std::nullopt) == 800ms);
  CHECK(exact.delay(40, std::nullopt) == 1000ms);
}

TEST_CASE("the retry loop honours Retry-After and stops after max_attempts") {
  RetryPolicy p;
  p.max_attempts = 4;
  p.initial_backoff = 100ms;
  p.jitter = 0;
  Backoff b(p);
  FakeClock fake;
  std::vector<Result<HttpResponse>> script{status(429, "2"), status(500), status(503), status(500), status(200)};
  std::size_t next = 0;
  std::vector<std::string> notes;
  auto out = runWithRetries(b, fake.clock(), [&] { return script.at(next++); }, [&](const std::string& m) { notes.push_back(m); });
  CHECK(out.attempts == 4);
  REQUIRE(out.last.ok());
  CHECK(out.last->status == 500);  // the fifth answer was never asked for
  CHECK(fake.sleeps == std::vector<std::chrono::milliseconds>{2000ms, 200ms, 400ms});
  REQUIRE(notes.size() == 3);
  CHECK(notes[0] == "429, retrying in 2000 ms (attempt 2 of 4)");
  CHECK_FALSE(out.out_of_time);
}

TEST_CASE("the retry loop stops when the next wait would pass the time budget") {
  RetryPolicy p;
  p.max_attempts = 10;
  p.max_backoff = 30s;
  p.max_total = 5s;
  Backoff b(p);
  FakeClock fake;
  int calls = 0;
  auto out = runWithRetries(b, fake.clock(), [&] { ++calls; return status(429, "3"); }, {});
  CHECK(calls == 2);  // 0 s, then 3 s; a third at 6 s would pass 5 s
  CHECK(out.out_of_time);
  CHECK(fake.sleeps == std::vector<std::chrono::milliseconds>{3000ms});
}

TEST_CASE("a success or a client error is not retried") {
  Backoff b(RetryPolicy{});
  FakeClock fake;
  int calls = 0;
  auto out = runWithRetries(b, fake.clock(), [&] { ++calls; return status(403); }, {});
  CHECK(calls == 1);
  CHECK(out.attempts == 1);
  CHECK(fake.sleeps.empty());
}
