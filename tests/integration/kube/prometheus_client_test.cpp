// PrometheusClient against a stand-in Prometheus HTTP API on 127.0.0.1: what it sends (form
// encoding, auth, times) and how it reads success, warnings and status "error".
#include <catch2/catch.hpp>

#include <mutex>

#include "../../support/kube_standin_http.hpp"
#include "../../support/kube_standin_pki.hpp"
#include "meshtwin/kube/prometheus.hpp"
#include "meshtwin/kube/url.hpp"

using namespace meshtwin;
using namespace std::chrono_literals;

namespace {

// Records the last request and answers with a fixed status and body.
struct PromStandin {
  std::mutex mu;
  test::StandinRequest last;
  int status = 200;
  std::string body = R"({"status":"success","data":{"resultType":"vector","result":[]}})";

  test::StandinHandler handler() {
    return [this](const test::StandinRequest& r) {
      std::lock_guard lock(mu);
      last = r;
      return test::StandinResponse{status, body, "application/json", {}};
    };
  }
  std::string param(const std::string& key) {
    std::lock_guard lock(mu);
    for (const auto& [k, v] : kube::decodeQuery(last.body))
      if (k == key) return v;
    return "<absent>";
  }
};

}  // namespace

TEST_CASE("prometheus query sends the PromQL form-encoded and returns data (stand-in Prometheus)") {
  PromStandin prom;
  prom.body = R"({"status":"success","data":{"resultType":"vector","result":[
      {"metric":{"destination_workload":"reviews"},"value":[1700000000.5,"12.5"]}]}})";
  test::StandinHttpServer server(prom.handler());
  kube::PrometheusClient client({server.url() + "/prom/", "tok-123\n", "", "", "", false, 5000ms});

  const std::string promql = R"(sum by (destination_workload) (rate(istio_requests_total{reporter="destination", response_code=~"5.."}[5m])) + 1 & 2)";
  const auto at = std::chrono::system_clock::time_point(1700000000250ms);
  auto answer = client.query(promql, at);
  REQUIRE(answer.ok());
  CHECK(answer->data["resultType"] == "vector");
  CHECK(answer->data["result"][0]["value"][1] == "12.5");
  CHECK(answer->warnings.empty());
  CHECK(prom.param("query") == promql);
  CHECK(prom.param("time") == "1700000000.250");
  std::lock_guard lock(prom.mu);
  CHECK(prom.last.method == "POST");
  CHECK(prom.last.target == "/prom/api/v1/query");
  CHECK(prom.last.header("authorization") == "Bearer tok-123");
  CHECK(prom.last.header("content-type") == "application/x-www-form-urlencoded");
  CHECK(prom.last.body.find(' ') == std::string::npos);
}

TEST_CASE("prometheus query_range sends start and end and step (stand-in Prometheus)") {
  PromStandin prom;
  prom.body = R"({"status":"success","data":{"resultType":"matrix","result":[]},"warnings":["PromQL info: metric might not be a counter"]})";
  test::StandinHttpServer server(prom.handler());
  kube::PrometheusClient client({server.url(), "", "grafana", "s3cret:x", "", false, 5000ms});
  const auto start = std::chrono::system_clock::time_point(1700000000s);
  auto answer = client.queryRange("up", start, start + 10min, 15s);
  REQUIRE(answer.ok());
  CHECK(answer->data["resultType"] == "matrix");
  REQUIRE(answer->warnings.size() == 1);
  CHECK(answer->warnings[0] == "PromQL info: metric might not be a counter");
  CHECK(prom.param("start") == "1700000000.000");
  CHECK(prom.param("end") == "1700000600.000");
  CHECK(prom.param("step") == "15.000");
  std::lock_guard lock(prom.mu);
  CHECK(prom.last.target == "/api/v1/query_range");
  CHECK(prom.last.header("authorization") == "Basic Z3JhZmFuYTpzM2NyZXQ6eA==");
}

TEST_CASE("prometheus status error surfaces errorType and error (stand-in Prometheus)") {
  PromStandin prom;
  prom.status = 400;
  prom.body = R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:6: parse error: unexpected \"}\""})";
  test::StandinHttpServer server(prom.handler());
  kube::PrometheusClient client({server.url(), "", "", "", "", false, 5000ms});
  auto answer = client.query("rate(}");
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.error().kind == kube::Error::Kind::Http);
  CHECK(answer.error().status == 400);
  CHECK(answer.error().reason == "bad_data");
  CHECK(answer.error().message.find("parse error") != std::string::npos);
  CHECK(kube::format(answer.error()).find("PromQL") != std::string::npos);
}

TEST_CASE("prometheus answers that are not the API's JSON are protocol errors (stand-in Prometheus)") {
  PromStandin prom;
  prom.status = 502;
  prom.body = "<html>Bad Gateway</html>";
  test::StandinHttpServer server(prom.handler());
  kube::PrometheusClient client({server.url(), "", "", "", "", false, 5000ms});
  auto answer = client.query("up");
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.error().status == 502);
  CHECK(answer.error().message.find("Bad Gateway") != std::string::npos);
}

TEST_CASE("prometheus over https checks the CA (stand-in Prometheus)") {
  const auto pki = test::makeTestPki();
  PromStandin prom;
  test::StandinHttpServer server(prom.handler(), test::StandinTls{pki.server_cert_pem, pki.server_key_pem, ""});
  kube::PrometheusClient trusted({server.url(), "", "", "", pki.ca_pem, false, 5000ms});
  CHECK(trusted.query("up").ok());
  kube::PrometheusClient untrusted({server.url(), "", "", "", pki.other_ca_pem, false, 5000ms});
  auto answer = untrusted.query("up");
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.error().kind == kube::Error::Kind::Unreachable);
  CHECK(answer.error().reason == "TLS");
  CHECK(answer.error().message.find("unable to get local issuer certificate") != std::string::npos);
  kube::PrometheusClient insecure({server.url(), "", "", "", "", true, 5000ms});
  CHECK(insecure.query("up").ok());
}

TEST_CASE("prometheus unreachable is a transport error with a hint") {
  unsigned short port = 0;
  {
    PromStandin prom;
    test::StandinHttpServer server(prom.handler());
    port = server.port();
  }  // closed: nothing listens on that port now
  kube::PrometheusClient client({"http://127.0.0.1:" + std::to_string(port), "", "", "", "", false, 2000ms});
  auto answer = client.query("up");
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.error().kind == kube::Error::Kind::Unreachable);
  CHECK(answer.error().reason == "ConnectionRefused");
  CHECK_FALSE(answer.error().hint.empty());
}
