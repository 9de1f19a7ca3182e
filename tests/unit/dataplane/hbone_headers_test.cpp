// The HBONE request headers ztunnel sends besides :authority: forwarded and traceparent.
#include <catch2/catch.hpp>

#include <regex>

#include "meshtwin/dataplane/hbone.hpp"

using namespace meshtwin::dataplane;

TEST_CASE("forwarded names the client and, when known, the service host", "[dataplane][hbone]") {
  CHECK(forwardedHeader({"10.0.0.1", "", ""}) == "for=\"10.0.0.1\"");
  CHECK(forwardedHeader({"10.0.0.1", "cart.shop.svc.cluster.local", ""}) ==
        "for=\"10.0.0.1\";host=cart.shop.svc.cluster.local");
}

TEST_CASE("traceparent is W3C-shaped and random per connection", "[dataplane][hbone]") {
  TraceparentSource source;
  const auto a = source();
  const auto b = source();
  CHECK(std::regex_match(a, std::regex("00-[0-9a-f]{32}-[0-9a-f]{16}-00")));
  CHECK(a != b);
}
