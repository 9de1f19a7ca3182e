// queryThrough: the import's queries run by kube::PrometheusClient, its answers and errors as they come.
#include <chrono>

#include "meshtwin/importer/prometheus.hpp"
#include "meshtwin/kube/prometheus.hpp"

namespace meshtwin::importer {

namespace {

std::chrono::system_clock::time_point at(std::int64_t unix_s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_s));
}

kube::Result<QueryAnswer> answer(kube::Result<kube::PromAnswer> r) {
  if (!r.ok()) return r.error();
  return QueryAnswer{std::move(r->data), std::move(r->warnings)};
}

}  // namespace

QueryFn queryThrough(const kube::PrometheusClient& client) {
  return [&client](const NamedQuery& q) -> kube::Result<QueryAnswer> {
    if (q.range)
      return answer(client.queryRange(q.promql, at(q.start_s), at(q.end_s), std::chrono::seconds(q.step_s)));
    return answer(client.query(q.promql, at(q.time_s)));
  };
}

}  // namespace meshtwin::importer
