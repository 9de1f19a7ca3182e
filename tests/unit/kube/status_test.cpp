// Kubernetes Status answers decoded into Error, the typed checks, and the RBAC hint.
#include <catch2/catch.hpp>

#include "meshtwin/kube/status.hpp"

using namespace meshtwin::kube;

namespace {

HttpResponse answer(int status, std::string body) { return HttpResponse{status, {}, std::move(body)}; }

}  // namespace

TEST_CASE("a Status body gives reason and message") {
  const RequestInfo info{"get", "GET", "https://k/api/v1/namespaces/shop/pods/web-0", "", "pods", "shop", "web-0"};
  auto e = decodeStatus(answer(404, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
      "message":"pods \"web-0\" not found","reason":"NotFound","details":{"name":"web-0","kind":"pods"},"code":404})"),
                        info);
  CHECK(e.kind == Error::Kind::Http);
  CHECK(e.status == 404);
  CHECK(e.reason == "NotFound");
  CHECK(e.message == "pods \"web-0\" not found");
  CHECK(e.verb == "get");
  CHECK(isNotFound(e));
  CHECK_FALSE(isForbidden(e));
  CHECK(format(e) == "get https://k/api/v1/namespaces/shop/pods/web-0: 404 NotFound: pods \"web-0\" not found");
}

TEST_CASE("403 names the verb and resource and namespace and the RBAC rule that would grant it") {
  const RequestInfo info{"list", "GET", "https://k/apis/networking.istio.io/v1/namespaces/shop/virtualservices",
                         "networking.istio.io", "virtualservices", "shop", ""};
  auto e = decodeStatus(answer(403, R"({"kind":"Status","status":"Failure","reason":"Forbidden","code":403,
      "message":"virtualservices.networking.istio.io is forbidden: User \"jane\" cannot list resource \"virtualservices\" in API group \"networking.istio.io\" in the namespace \"shop\""})"),
                        info);
  CHECK(isForbidden(e));
  CHECK(e.message.find("User \"jane\"") != std::string::npos);
  CHECK(e.hint.find("Role in shop") != std::string::npos);
  CHECK(e.hint.find(R"({apiGroups: ["networking.istio.io"], resources: ["virtualservices"], verbs: ["list"]})") != std::string::npos);
  CHECK(e.hint.find("kubectl auth can-i list virtualservices.networking.istio.io -n shop") != std::string::npos);

  const RequestInfo all{"list", "GET", "https://k/api/v1/pods", "", "pods", "", ""};
  const auto cluster_wide = rbacHint(all);
  CHECK(cluster_wide.find("ClusterRole with rule {apiGroups: [\"\"], resources: [\"pods\"], verbs: [\"list\"]}") != std::string::npos);
  CHECK(cluster_wide.find("ClusterRoleBinding") != std::string::npos);
  CHECK(cluster_wide.find("--all-namespaces") != std::string::npos);
}

TEST_CASE("an answer without a Status body gets the reason of its code") {
  const RequestInfo info{"", "GET", "https://k/apis", "", "", "", ""};
  auto e = decodeStatus(answer(503, "upstream connect error"), info);
  CHECK(e.reason == "ServiceUnavailable");
  CHECK(e.message == "upstream connect error");
  CHECK(e.verb == "GET");
  CHECK_FALSE(e.hint.empty());
  auto gone = decodeStatus(answer(410, R"({"kind":"Status","reason":"Expired","message":"too old","code":410})"), info);
  CHECK(isExpired(gone));
  CHECK(isTooManyRequests(decodeStatus(answer(429, ""), info)));
  CHECK(isConflict(decodeStatus(answer(409, ""), info)));
  CHECK(isUnauthorized(decodeStatus(answer(401, ""), info)));
  CHECK(rbacHint(info).find("nonResourceURLs") != std::string::npos);
}

TEST_CASE("an apply conflict's causes are decoded and the hint names fields, managers and --force-conflicts") {
  const RequestInfo info{"patch", "PATCH", "https://k/apis/apps/v1/namespaces/shop/deployments/reviews", "apps", "deployments",
                         "shop", "reviews"};
  auto e = decodeStatus(answer(409, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
      "message":"Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas",
      "reason":"Conflict","details":{"name":"reviews","group":"apps","kind":"deployments","causes":[{"reason":"FieldManagerConflict",
      "message":"conflict with \"kubectl-client-side-apply\" using apps/v1","field":".spec.replicas"}]},"code":409})"),
                        info);
  CHECK(isConflict(e));
  CHECK_FALSE(isAlreadyExists(e));
  CHECK(e.details_name == "reviews");
  REQUIRE(e.causes.size() == 1);
  CHECK(e.causes[0].reason == "FieldManagerConflict");
  CHECK(e.causes[0].message == "conflict with \"kubectl-client-side-apply\" using apps/v1");
  CHECK(e.causes[0].field == ".spec.replicas");
  CHECK(e.hint ==
        "another field manager owns .spec.replicas (owned by \"kubectl-client-side-apply\"): run again with --force-conflicts to "
        "take the fields over, or remove them from the other manager's configuration");

  auto two = decodeStatus(answer(409, R"({"kind":"Status","reason":"Conflict","code":409,"details":{"causes":[
      {"reason":"FieldManagerConflict","message":"conflict with \"helm\"","field":".spec.replicas"},
      {"reason":"FieldManagerConflict","message":"conflict with \"kubectl\" using v1 at 2024-01-01T00:00:00Z",
       "field":".metadata.labels.app"},
      {"reason":7,"field":null}]}})"),
                          info);
  REQUIRE(two.causes.size() == 3);  // a malformed cause is kept, its odd members empty
  CHECK(two.causes[2].reason.empty());
  CHECK(two.hint.rfind("another field manager owns .spec.replicas (owned by \"helm\"), "
                       ".metadata.labels.app (owned by \"kubectl\"): ",
                       0) == 0);
}

TEST_CASE("409 AlreadyExists and 404 for a missing namespace get hints of their own") {
  const RequestInfo create{"create", "POST", "https://k/apis/apps/v1/namespaces/shop/deployments", "apps", "deployments", "shop", ""};
  auto exists = decodeStatus(answer(409, R"({"kind":"Status","reason":"AlreadyExists","code":409,
      "message":"deployments.apps \"reviews\" already exists","details":{"name":"reviews","group":"apps","kind":"deployments"}})"),
                             create);
  CHECK(isAlreadyExists(exists));
  CHECK(isConflict(exists));
  CHECK(exists.hint.find("exists already") != std::string::npos);
  auto no_ns = decodeStatus(answer(404, R"({"kind":"Status","reason":"NotFound","code":404,
      "message":"namespaces \"shop\" not found","details":{"name":"shop","kind":"namespaces"}})"),
                            create);
  CHECK(no_ns.hint == "the namespace shop does not exist: create it first");
  const RequestInfo named{"delete", "DELETE", "https://k/apis/x.example/v1/namespaces/shop/things/a", "x.example", "things", "shop", "a"};
  auto no_path = decodeStatus(answer(404, R"({"kind":"Status","reason":"NotFound","code":404,
      "message":"the server could not find the requested resource"})"),
                              named);
  CHECK(no_path.details_name.empty());
  CHECK(no_path.hint.find("is the CRD installed?") != std::string::npos);
  auto gone = decodeStatus(answer(404, R"({"kind":"Status","reason":"NotFound","code":404,"message":"things.x.example \"a\" not found",
      "details":{"name":"a"}})"),
                           named);
  CHECK(gone.hint.empty());
  CHECK(rbacHint(named).find(R"(verbs: ["delete"])") != std::string::npos);
  const RequestInfo watch{"watch", "GET", "https://k/api/v1/pods?watch=true", "", "pods", "", ""};
  CHECK(rbacHint(watch).find("may not watch pods at cluster scope") != std::string::npos);
}
