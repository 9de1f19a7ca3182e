// The proxies' request metrics carry body sizes (istio_request_bytes, istio_response_bytes),
// and their metrics endpoint serves the process's own memory and CPU time.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "meshtwin/dataplane/l7.hpp"
#include "meshtwin/dataplane/metrics.hpp"

using namespace meshtwin::dataplane;

namespace {

// The value of the first line of `text` that starts with `prefix`, or -1.
double valueOf(const std::string& text, const std::string& prefix) {
  const auto at = text.find("\n" + prefix);
  if (at == std::string::npos) return -1;
  const auto end = text.find('\n', at + 1);
  const auto line = text.substr(at + 1, end - at - 1);
  return std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
}

}  // namespace

TEST_CASE("a request records its count, duration and both body sizes") {
  MetricsRegistry r;
  describeRequestMetrics(r);
  RequestLabels l;
  l.reporter = "destination";
  recordRequest(r, l, 2.5, 1024, 4096);
  recordRequest(r, l, 3.5, 512, 0);
  const auto text = "\n" + r.render();
  CHECK(valueOf(text, "istio_request_bytes_sum{") == 1536);
  CHECK(valueOf(text, "istio_request_bytes_count{") == 2);
  CHECK(valueOf(text, "istio_response_bytes_sum{") == 4096);
  CHECK(text.find("# TYPE istio_response_bytes histogram") != std::string::npos);
  // Powers-of-ten buckets: 512 is at or under 1000, 1024 is not.
  CHECK(text.find("istio_request_bytes_bucket{") != std::string::npos);
}

TEST_CASE("the process's resident memory and CPU time are served as Prometheus names them") {
  const auto text = "\n" + renderProcessMetrics();
  CHECK(text.find("# TYPE process_resident_memory_bytes gauge") != std::string::npos);
  CHECK(text.find("# TYPE process_cpu_seconds_total counter") != std::string::npos);
  // This test process holds at least a megabyte and has used some CPU.
  CHECK(valueOf(text, "process_resident_memory_bytes ") > 1e6);
  CHECK(valueOf(text, "process_cpu_seconds_total ") > 0);
}
