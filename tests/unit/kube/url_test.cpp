// URL splitting, percent-encoding and base64 of the cluster clients.
#include <catch2/catch.hpp>

#include "meshtwin/kube/base64.hpp"
#include "meshtwin/kube/prometheus.hpp"
#include "meshtwin/kube/url.hpp"

using namespace meshtwin::kube;

TEST_CASE("percentEncode keeps only unreserved bytes") {
  CHECK(percentEncode("abcXYZ019-._~") == "abcXYZ019-._~");
  CHECK(percentEncode("a b+c&d=e/f?g#h") == "a%20b%2Bc%26d%3De%2Ff%3Fg%23h");
  CHECK(percentEncode(R"({app="x",code=~"5.."})") == "%7Bapp%3D%22x%22%2Ccode%3D~%225..%22%7D");
  CHECK(percentEncode("\xc3\xa9") == "%C3%A9");
}

TEST_CASE("percentDecode inverts percentEncode and reads '+' as a space in forms") {
  const std::string promql = R"(sum(rate(x{a="b c"}[5m])) / 2 + 1)";
  CHECK(percentDecode(percentEncode(promql)) == promql);
  CHECK(percentDecode("a+b") == "a b");
  CHECK(percentDecode("a+b", false) == "a+b");
  CHECK(percentDecode("100%") == "100%");
}

TEST_CASE("encodeQuery and decodeQuery round-trip") {
  const QueryParams params{{"labelSelector", "app in (a,b),tier!=db"}, {"limit", "500"}, {"continue", ""}};
  const std::string q = encodeQuery(params);
  CHECK(q == "labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb&limit=500&continue=");
  CHECK(decodeQuery(q) == params);
}

TEST_CASE("parseUrl splits scheme and host and port and base path and query") {
  auto u = parseUrl("https://10.0.0.1:6443/k8s/clusters/c-1/?x=1");
  REQUIRE(u.ok());
  CHECK(u->scheme == "https");
  CHECK(u->host == "10.0.0.1");
  CHECK(u->port == "6443");
  CHECK(u->path == "/k8s/clusters/c-1");
  CHECK(u->query == "x=1");
  CHECK(u->authority() == "10.0.0.1:6443");

  auto d = parseUrl("HTTPS://api.example.com");
  REQUIRE(d.ok());
  CHECK(d->port == "443");
  CHECK(d->authority() == "api.example.com");
  CHECK(d->path.empty());

  auto v6 = parseUrl("http://[::1]:9090/prom");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->authority() == "[::1]:9090");
}

TEST_CASE("parseUrl rejects what it cannot connect to") {
  CHECK_FALSE(parseUrl("api.example.com:6443").ok());
  CHECK_FALSE(parseUrl("ftp://host").ok());
  CHECK_FALSE(parseUrl("https://:6443").ok());
  CHECK_FALSE(parseUrl("https://host:66x").ok());
  CHECK(parseUrl("tcp://host").error().kind == Error::Kind::Config);
}

TEST_CASE("base64 round-trips and tolerates wrapped lines") {
  for (const std::string s : {"", "a", "ab", "abc", "abcd", "-----BEGIN CERTIFICATE-----\n"}) CHECK(base64Decode(base64Encode(s)) == s);
  CHECK(base64Encode("grafana:s3cret") == "Z3JhZmFuYTpzM2NyZXQ=");
  CHECK(base64Decode("Z3Jh\nZmFu YTpz\r\nM2NyZXQ=") == std::optional<std::string>("grafana:s3cret"));
  CHECK_FALSE(base64Decode("not*base64").has_value());
}

TEST_CASE("Prometheus times and steps are unix seconds with milliseconds") {
  using namespace std::chrono_literals;
  CHECK(prometheusTime(std::chrono::system_clock::time_point(1700000000250ms)) == "1700000000.250");
  CHECK(prometheusTime(std::chrono::system_clock::time_point(0ms)) == "0.000");
  CHECK(prometheusDuration(15s) == "15.000");
  CHECK(prometheusDuration(1500ms) == "1.500");
}
