// Istio AuthorizationPolicy and PeerAuthentication in Istio's own shape, and the pure
// decisions on them: what a policy becomes when ztunnel enforces it (L4 only), and whether
// a request is allowed. Shared by the simulator and the proxies.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "meshtwin/models/diagnostics.hpp"

namespace meshtwin::models {

struct TargetRef {
  std::string group;  // "" for core (Service), "gateway.networking.k8s.io" for Gateway
  std::string kind;   // Service | Gateway | ServiceEntry
  std::string name;
};

// security.istio.io/v1 AuthorizationPolicy. String lists follow Istio's matching: exact,
// "prefix*", "*suffix" or "*".
struct AuthzSource {
  std::vector<std::string> principals, not_principals;
  std::vector<std::string> request_principals, not_request_principals;  // L7 (JWT)
  std::vector<std::string> namespaces, not_namespaces;
  std::vector<std::string> ip_blocks, not_ip_blocks;
};
struct AuthzOperation {
  std::vector<std::string> ports, not_ports;
  std::vector<std::string> hosts, not_hosts;      // L7
  std::vector<std::string> methods, not_methods;  // L7
  std::vector<std::string> paths, not_paths;      // L7
};
struct AuthzCondition {
  std::string key;  // e.g. request.headers[x-user], source.principal, destination.port
  std::vector<std::string> values, not_values;
};
struct AuthzRule {
  std::vector<AuthzSource> from;
  std::vector<AuthzOperation> to;
  std::vector<AuthzCondition> when;
};

enum class AuthzAction { Allow, Deny, Audit, Custom };
const char* toString(AuthzAction a);

struct AuthorizationPolicy {
  std::string ns;
  std::string name;
  // Exactly one of: selector (may be empty = whole namespace) or targetRefs.
  std::optional<std::map<std::string, std::string>> selector;  // nullopt: no selector field
  std::vector<TargetRef> target_refs;
  AuthzAction action = AuthzAction::Allow;
  // nullopt: `rules` absent. For ALLOW, absent rules = matches nothing; [{}] = matches all.
  std::optional<std::vector<AuthzRule>> rules;
  SourceLoc loc;
  [[nodiscard]] std::string key() const { return ns + "/" + name; }
  [[nodiscard]] bool usesTargetRefs() const { return !target_refs.empty(); }
};

enum class MtlsMode { Unset, Permissive, Strict, Disable };
const char* toString(MtlsMode m);

struct PeerAuthentication {
  std::string ns;  // the root namespace (istio-system) means mesh-wide
  std::string name;
  std::optional<std::map<std::string, std::string>> selector;
  MtlsMode mode = MtlsMode::Unset;
  std::map<int, MtlsMode> port_modes;
  SourceLoc loc;
  [[nodiscard]] std::string key() const { return ns + "/" + name; }
};

// Does a rule use attributes only an L7 proxy can see (methods, paths, hosts, request
// principals, request.* conditions)?
bool ruleHasHttpAttributes(const AuthzRule& r);
bool policyHasHttpAttributes(const AuthorizationPolicy& p);

// What a policy becomes when enforced by ztunnel (L4 only), following istiod's conversion:
// ALLOW rules with HTTP attributes are dropped (they never match); DENY rules lose their
// HTTP attributes (they match more broadly); AUDIT and CUSTOM are not supported.
struct ZtunnelConversion {
  std::optional<AuthorizationPolicy> effective;  // nullopt: not enforced at all
  int dropped_rules = 0;
  int stripped_rules = 0;
  std::string message;  // istiod's status text, empty when unchanged
};
ZtunnelConversion toZtunnelPolicy(const AuthorizationPolicy& p);

// The attributes a proxy knows about a request. HTTP fields are nullopt at L4.
struct RequestAttrs {
  std::optional<std::string> source_principal;  // "cluster.local/ns/x/sa/y"; nullopt = plaintext
  std::string source_namespace;
  std::string source_ip;
  int destination_port = 0;
  std::optional<std::string> method;
  std::optional<std::string> path;
  std::optional<std::string> host;
  std::map<std::string, std::string> headers;  // lower-case names
};

bool stringMatches(const std::string& pattern, const std::string& value);
// Does any rule of the policy match the request? A field the request lacks (HTTP at L4)
// does not match.
bool policyMatches(const AuthorizationPolicy& p, const RequestAttrs& r);

struct AuthzDecision {
  bool allowed = true;
  std::string policy;  // ns/name of the deciding policy, or empty
  std::string reason;
};
// Istio's evaluation order: any matching DENY denies; with no ALLOW policy, allow; a
// matching ALLOW allows; otherwise deny. AUDIT and CUSTOM do not decide here.
AuthzDecision authorize(const std::vector<const AuthorizationPolicy*>& policies, const RequestAttrs& r);

// STRICT PeerAuthentication as ztunnel receives it: a DENY for peers without identity.
AuthorizationPolicy strictAsDenyPolicy(const PeerAuthentication& pa);

}  // namespace meshtwin::models
