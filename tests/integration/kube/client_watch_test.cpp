// The REST client's watch against the stand-in API server: events streamed as they happen,
// scripted Deployment and Gateway controllers, 410 Expired for a too-old resourceVersion,
// timeouts, broken streams, selectors and faults before the stream.
#include <catch2/catch.hpp>

#include "standin_cluster.hpp"

using namespace meshtwin;
using namespace std::chrono_literals;

namespace {

struct Events {
  std::vector<kube::WatchEvent> seen;
  [[nodiscard]] std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& e : seen) out.push_back(e.type);
    return out;
  }
};

// status.observedGeneration, 0 before a controller wrote a status.
int observedGeneration(const nlohmann::json& o) {
  return o.value("status", nlohmann::json::object()).value("observedGeneration", 0);
}

kube::WatchOptions from(const std::string& rv, int timeout_seconds = 20) {
  kube::WatchOptions o;
  o.resource_version = rv;
  o.timeout_seconds = timeout_seconds;
  return o;
}

}  // namespace

TEST_CASE("watch sees the Deployment controller's MODIFIED after the apply (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.runDeploymentController(100ms);
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto listed = client->list(test::kDeployments, "shop");
  REQUIRE(listed.ok());
  REQUIRE(client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 2)).ok());
  Events events;
  auto rv = client->watch(test::kDeployments, "shop", from(listed->resource_version), [&](const kube::WatchEvent& e) {
    events.seen.push_back(e);
    return !(e.type == "MODIFIED" && observedGeneration(e.object) == 1);
  });
  REQUIRE(rv.ok());
  REQUIRE(events.types() == std::vector<std::string>{"ADDED", "MODIFIED"});
  const auto& d = events.seen[1].object;
  CHECK(d["apiVersion"] == "apps/v1");
  CHECK(d["kind"] == "Deployment");
  CHECK(d["status"]["readyReplicas"] == 2);
  CHECK(d["status"]["availableReplicas"] == 2);
  CHECK(d["status"]["conditions"][0]["type"] == "Available");
  CHECK(d["status"]["conditions"][0]["status"] == "True");
  CHECK(*rv == d["metadata"]["resourceVersion"]);
  CHECK(cluster.api.seen().back().target ==
        "/apis/apps/v1/namespaces/shop/deployments?watch=true&resourceVersion=" + listed->resource_version +
            "&timeoutSeconds=20&allowWatchBookmarks=true");

  // A spec change runs the controller again: observedGeneration follows.
  REQUIRE(client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 3)).ok());
  int observed = 0;
  auto next = client->watch(test::kDeployments, "shop", from(*rv), [&](const kube::WatchEvent& e) {
    observed = observedGeneration(e.object);
    return observed != 2;
  });
  REQUIRE(next.ok());
  CHECK(observed == 2);
}

TEST_CASE("the Gateway controller programs a waypoint, seen through a field selector (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.addResource("gateway.networking.k8s.io/v1", "gateways", "Gateway", true);
  cluster.api.runGatewayController(50ms);
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  const std::string start = cluster.api.resourceVersion();
  const nlohmann::json other{{"apiVersion", "gateway.networking.k8s.io/v1"},
                             {"kind", "Gateway"},
                             {"metadata", {{"name", "ingress"}, {"namespace", "shop"}}},
                             {"spec", {{"gatewayClassName", "istio"}}}};
  nlohmann::json waypoint = other;
  waypoint["metadata"]["name"] = "waypoint";
  waypoint["spec"] = {{"gatewayClassName", "istio-waypoint"},
                      {"listeners", {{{"name", "mesh"}, {"port", 15008}, {"protocol", "HBONE"}}}}};
  REQUIRE(client->apply(test::kGateways, other).ok());
  REQUIRE(client->apply(test::kGateways, waypoint).ok());
  auto options = from(start);
  options.field_selector = "metadata.name=waypoint";
  std::vector<std::string> names;
  nlohmann::json programmed;
  auto rv = client->watch(test::kGateways, "shop", options, [&](const kube::WatchEvent& e) {
    names.push_back(e.object["metadata"]["name"]);
    for (const auto& c : e.object.value("status", nlohmann::json::object()).value("conditions", nlohmann::json::array()))
      if (c["type"] == "Programmed" && c["status"] == "True") programmed = c;
    return programmed.is_null();
  });
  REQUIRE(rv.ok());
  CHECK(std::all_of(names.begin(), names.end(), [](const auto& n) { return n == "waypoint"; }));
  CHECK(programmed["observedGeneration"] == 1);
}

TEST_CASE("a watch from a resourceVersion older than the history is Expired (stand-in API server)") {
  test::StandinCluster cluster;
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  REQUIRE(client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 2)).ok());
  const std::string old = cluster.api.resourceVersion();
  REQUIRE(client->apply(test::kDeployments, test::deploymentObject("shop", "reviews", 3)).ok());
  cluster.api.compactHistory();
  int calls = 0;
  auto rv = client->watch(test::kDeployments, "shop", from(old), [&](const kube::WatchEvent&) { return ++calls < 100; });
  REQUIRE_FALSE(rv.ok());
  CHECK(kube::isExpired(rv.error()));
  CHECK(rv.error().status == 410);
  CHECK(rv.error().reason == "Expired");
  CHECK(rv.error().verb == "watch");
  CHECK(rv.error().message == "too old resource version: " + old + " (" + cluster.api.resourceVersion() + ")");
  CHECK(calls == 0);

  // From the list's resourceVersion the watch works again.
  auto listed = client->list(test::kDeployments, "shop");
  REQUIRE(listed.ok());
  auto again = client->watch(test::kDeployments, "shop", from(listed->resource_version, 1), [&](const kube::WatchEvent&) { return true; });
  CHECK(again.ok());

  cluster.api.expireWatchesBefore("5000");
  auto before = client->watch(test::kDeployments, "shop", from("4999"), [&](const kube::WatchEvent&) { return true; });
  REQUIRE_FALSE(before.ok());
  CHECK(before.error().message == "too old resource version: 4999 (5000)");
}

TEST_CASE("events reach on_event while the stream is open, and a watch without resourceVersion starts with ADDED (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.addObject("deployments", test::deploymentObject("shop", "reviews", 1));
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  Events events;
  // The second object is made only once the first event arrived: a watch that handed events on
  // only at the end of its stream would never see it.
  auto rv = client->watch(test::kDeployments, "shop", from(""), [&](const kube::WatchEvent& e) {
    events.seen.push_back(e);
    if (events.seen.size() == 1) cluster.api.addObject("deployments", test::deploymentObject("shop", "ratings", 1));
    return events.seen.size() < 2;
  });
  REQUIRE(rv.ok());
  REQUIRE(events.types() == std::vector<std::string>{"ADDED", "ADDED"});
  CHECK(events.seen[0].object["metadata"]["name"] == "reviews");
  CHECK(events.seen[1].object["metadata"]["name"] == "ratings");
  CHECK(*rv == cluster.api.resourceVersion());
  CHECK(cluster.api.seen().back().target.find("resourceVersion") == std::string::npos);
}

TEST_CASE("a watch ends at timeoutSeconds with a BOOKMARK, even when the client timeout is shorter (stand-in API server)") {
  test::StandinCluster cluster;
  test::Recorder rec;
  auto options = rec.options();
  options.timeout = 500ms;  // the read deadline is timeoutSeconds plus this
  auto client = kube::Client::create(cluster.access(), options);
  REQUIRE(client.ok());
  const std::string start = cluster.api.resourceVersion();
  cluster.api.addObject("pods", test::podObject("ops", "not-watched", "x"));  // another resource moves the resourceVersion
  Events events;
  auto rv = client->watch(test::kDeployments, "", from(start, 1), [&](const kube::WatchEvent& e) {
    events.seen.push_back(e);
    return true;
  });
  REQUIRE(rv.ok());
  REQUIRE(events.types() == std::vector<std::string>{"BOOKMARK"});
  CHECK(*rv == cluster.api.resourceVersion());
  CHECK(*rv != start);
  CHECK_FALSE(rec.warned("ended early"));

  auto no_bookmarks = from(*rv, 1);
  no_bookmarks.allow_bookmarks = false;
  auto same = client->watch(test::kDeployments, "", no_bookmarks, [&](const kube::WatchEvent&) { return true; });
  REQUIRE(same.ok());
  CHECK(*same == *rv);  // no event: where it started
}

TEST_CASE("a stream that breaks off ends the watch with a warning and the last resourceVersion (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.api.addObject("deployments", test::deploymentObject("shop", "reviews", 1));
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  std::string seen_rv;
  auto rv = client->watch(test::kDeployments, "shop", from(""), [&](const kube::WatchEvent& e) {
    seen_rv = e.object["metadata"]["resourceVersion"];
    cluster.api.breakWatches();
    return true;
  });
  REQUIRE(rv.ok());
  CHECK(*rv == seen_rv);
  CHECK(rec.warned("watch deployments: the stream ended early"));
  CHECK(rec.warned("watch again from resourceVersion " + seen_rv));
  CHECK(test::countSeen(cluster.api, "watch=true") == 1);  // not retried: events were handed on
}

TEST_CASE("a watch retries a 429 before the stream, and a 403 names the verb watch (stand-in API server)") {
  test::StandinCluster cluster;
  cluster.addPods(6);
  cluster.api.failNext(429, 1, 0, "pods", "GET");
  test::Recorder rec;
  auto client = kube::Client::create(cluster.access(), rec.options());
  REQUIRE(client.ok());
  auto options = from("");
  options.label_selector = "app=web";
  int added = 0;
  auto rv = client->watch(test::kPods, "", options, [&](const kube::WatchEvent& e) {
    CHECK(e.object["metadata"]["labels"]["app"] == "web");
    return ++added < 3;
  });
  INFO((rv.ok() ? "" : kube::format(rv.error())));
  REQUIRE(rv.ok());
  CHECK(added == 3);
  CHECK(test::countSeen(cluster.api, "watch=true") == 2);

  cluster.api.forbid("pods", "watch");
  auto denied = client->watch(test::kPods, "shop", options, [&](const kube::WatchEvent&) { return true; });
  REQUIRE_FALSE(denied.ok());
  CHECK(kube::isForbidden(denied.error()));
  CHECK(denied.error().hint.find(R"(verbs: ["watch"])") != std::string::npos);
  CHECK(denied.error().message.find("cannot watch resource \"pods\"") != std::string::npos);
}
