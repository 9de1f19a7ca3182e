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
