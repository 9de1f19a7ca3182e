// Istio authorization semantics as pure functions: L4 conversion for ztunnel, matching,
// and the ALLOW/DENY evaluation order.
#include "meshtwin/models/policy.hpp"

#include <algorithm>

namespace meshtwin::models {

const char* toString(AuthzAction a) {
  switch (a) {
    case AuthzAction::Allow: return "ALLOW";
    case AuthzAction::Deny: return "DENY";
    case AuthzAction::Audit: return "AUDIT";
    case AuthzAction::Custom: return "CUSTOM";
  }
  return "?";
}

const char* toString(MtlsMode m) {
  switch (m) {
    case MtlsMode::Unset: return "UNSET";
    case MtlsMode::Permissive: return "PERMISSIVE";
    case MtlsMode::Strict: return "STRICT";
    case MtlsMode::Disable: return "DISABLE";
  }
  return "?";
}

namespace {

bool isHttpConditionKey(const std::string& key) {
  // Keys ztunnel understands: source.*, destination.ip/port, connection.sni. Everything
  // under request.* (headers, auth claims) needs an L7 proxy.
  return key.rfind("request.", 0) == 0 || key.rfind("experimental.", 0) == 0;
}

bool sourceHasHttp(const AuthzSource& s) {
  return !s.request_principals.empty() || !s.not_request_principals.empty();
}
bool operationHasHttp(const AuthzOperation& o) {
  return !o.hosts.empty() || !o.not_hosts.empty() || !o.methods.empty() || !o.not_methods.empty() ||
         !o.paths.empty() || !o.not_paths.empty();
}

// The rule with every HTTP attribute removed (for DENY at ztunnel).
AuthzRule stripHttp(const AuthzRule& r) {
  AuthzRule out;
  for (auto s : r.from) {
    s.request_principals.clear();
    s.not_request_principals.clear();
    const bool empty = s.principals.empty() && s.not_principals.empty() && s.namespaces.empty() &&
                       s.not_namespaces.empty() && s.ip_blocks.empty() && s.not_ip_blocks.empty();
    if (!empty) out.from.push_back(std::move(s));
  }
  for (auto o : r.to) {
    o.hosts.clear();
    o.not_hosts.clear();
    o.methods.clear();
    o.not_methods.clear();
    o.paths.clear();
    o.not_paths.clear();
    if (!o.ports.empty() || !o.not_ports.empty()) out.to.push_back(std::move(o));
  }
  for (const auto& c : r.when) {
    if (!isHttpConditionKey(c.key)) out.when.push_back(c);
  }
  return out;
}

bool anyMatches(const std::vector<std::string>& patterns, const std::string& v) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return stringMatches(p, v); });
}

// A positive list must match (if present); a negative list must not match (if present).
// A value the request lacks (no identity, no HTTP at L4) fails every positive list and
// matches no negative pattern, so `notPrincipals: ["*"]` selects peers without identity.
bool fieldMatches(const std::vector<std::string>& pos, const std::vector<std::string>& neg,
                  const std::optional<std::string>& value) {
  if (!pos.empty() && (!value || !anyMatches(pos, *value))) return false;
  if (!neg.empty() && value && anyMatches(neg, *value)) return false;
  return true;
}

bool ipMatches(const std::string& block, const std::string& ip) {
  // Exact address or an IPv4 CIDR block.
  const auto slash = block.find('/');
  if (slash == std::string::npos) return block == ip;
  auto parse = [](const std::string& s, std::uint32_t& out) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    char tail = 0;
    if (std::sscanf(s.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 || c > 255 || d > 255)
      return false;
    out = (a << 24) | (b << 16) | (c << 8) | d;
    return true;
  };
  std::uint32_t net = 0, addr = 0;
  int bits = 0;
  if (!parse(block.substr(0, slash), net) || !parse(ip, addr) || std::sscanf(block.c_str() + slash + 1, "%d", &bits) != 1 ||
      bits < 0 || bits > 32)
    return false;
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (net & mask) == (addr & mask);
}

bool sourceMatches(const AuthzSource& s, const RequestAttrs& r) {
  if (!fieldMatches(s.principals, s.not_principals, r.source_principal)) return false;
  // request principals come from a validated JWT, which these attributes never carry.
  if (!fieldMatches(s.request_principals, s.not_request_principals, std::nullopt)) return false;
  // The source namespace is known only from a verified identity.
  const std::optional<std::string> ns = r.source_principal ? std::optional(r.source_namespace) : std::nullopt;
  if (!fieldMatches(s.namespaces, s.not_namespaces, ns)) return false;
  if (!s.ip_blocks.empty() &&
      std::none_of(s.ip_blocks.begin(), s.ip_blocks.end(), [&](const auto& b) { return ipMatches(b, r.source_ip); }))
    return false;
  if (std::any_of(s.not_ip_blocks.begin(), s.not_ip_blocks.end(), [&](const auto& b) { return ipMatches(b, r.source_ip); }))
    return false;
  return true;
}

bool operationMatches(const AuthzOperation& o, const RequestAttrs& r) {
  const auto port = std::optional<std::string>(std::to_string(r.destination_port));
  return fieldMatches(o.ports, o.not_ports, port) && fieldMatches(o.hosts, o.not_hosts, r.host) &&
         fieldMatches(o.methods, o.not_methods, r.method) && fieldMatches(o.paths, o.not_paths, r.path);
}

std::optional<std::string> conditionValue(const std::string& key, const RequestAttrs& r) {
  if (key == "source.principal") return r.source_principal;
  if (key == "source.namespace") return r.source_principal ? std::optional(r.source_namespace) : std::nullopt;
  if (key == "source.ip" || key == "remote.ip") return r.source_ip;
  if (key == "destination.port") return std::to_string(r.destination_port);
  const std::string hdr = "request.headers[";
  if (key.rfind(hdr, 0) == 0 && key.back() == ']') {
    if (!r.method) return std::nullopt;  // no HTTP at L4
    std::string name = key.substr(hdr.size(), key.size() - hdr.size() - 1);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (auto it = r.headers.find(name); it != r.headers.end()) return it->second;
    return std::nullopt;
  }
  return std::nullopt;
}

bool conditionMatches(const AuthzCondition& c, const RequestAttrs& r) {
  return fieldMatches(c.values, c.not_values, conditionValue(c.key, r));
}

bool ruleMatches(const AuthzRule& rule, const RequestAttrs& r) {
  // Within a rule: every present section must match; within a section, any item.
  if (!rule.from.empty() && std::none_of(rule.from.begin(), rule.from.end(), [&](const auto& s) { return sourceMatches(s, r); }))
    return false;
  if (!rule.to.empty() && std::none_of(rule.to.begin(), rule.to.end(), [&](const auto& o) { return operationMatches(o, r); }))
    return false;
  return std::all_of(rule.when.begin(), rule.when.end(), [&](const auto& c) { return conditionMatches(c, r); });
}

}  // namespace

bool ruleHasHttpAttributes(const AuthzRule& r) {
  return std::any_of(r.from.begin(), r.from.end(), sourceHasHttp) ||
         std::any_of(r.to.begin(), r.to.end(), operationHasHttp) ||
         std::any_of(r.when.begin(), r.when.end(), [](const auto& c) { return isHttpConditionKey(c.key); });
}

bool policyHasHttpAttributes(const AuthorizationPolicy& p) {
  return p.rules && std::any_of(p.rules->begin(), p.rules->end(), ruleHasHttpAttributes);
}

ZtunnelConversion toZtunnelPolicy(const AuthorizationPolicy& p) {
  ZtunnelConversion out;
  if (p.action == AuthzAction::Audit || p.action == AuthzAction::Custom) {
    out.message = std::string("ztunnel does not support the ") + toString(p.action) + " action";
    return out;
  }
  AuthorizationPolicy eff = p;
  if (p.rules) {
    eff.rules.emplace();
    for (const auto& rule : *p.rules) {
      if (!ruleHasHttpAttributes(rule)) {
        eff.rules->push_back(rule);
      } else if (p.action == AuthzAction::Allow) {
        ++out.dropped_rules;  // L7 rules never match for ALLOW at L4
      } else {
        eff.rules->push_back(stripHttp(rule));
        ++out.stripped_rules;
      }
    }
  }
  if (out.dropped_rules > 0)
    out.message = "Within an ALLOW policy, rules matching HTTP attributes are omitted. This will be more restrictive than requested.";
  if (out.stripped_rules > 0)
    out.message = "DENY policy with HTTP attributes is enforced without the HTTP rules. This will be more restrictive than requested.";
  out.effective = std::move(eff);
  return out;
}

bool stringMatches(const std::string& pattern, const std::string& value) {
  if (pattern == "*") return !value.empty();
  if (pattern.size() > 1 && pattern.back() == '*')
    return value.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  if (pattern.size() > 1 && pattern.front() == '*')
    return value.size() >= pattern.size() - 1 &&
           value.compare(value.size() - (pattern.size() - 1), pattern.size() - 1, pattern, 1) == 0;
  return pattern == value;
}

bool policyMatches(const AuthorizationPolicy& p, const RequestAttrs& r) {
  if (!p.rules) return false;
  return std::any_of(p.rules->begin(), p.rules->end(), [&](const auto& rule) { return ruleMatches(rule, r); });
}

AuthzDecision authorize(const std::vector<const AuthorizationPolicy*>& policies, const RequestAttrs& r) {
  for (const auto* p : policies) {
    if (p->action == AuthzAction::Deny && policyMatches(*p, r))
      return {false, p->key(), "denied by DENY policy " + p->key()};
  }
  bool any_allow = false;
  for (const auto* p : policies) {
    if (p->action != AuthzAction::Allow) continue;
    any_allow = true;
    if (policyMatches(*p, r)) return {true, p->key(), "allowed by ALLOW policy " + p->key()};
  }
  if (any_allow) return {false, "", "no ALLOW policy matched"};
  return {true, "", "no ALLOW policy applies"};
}

AuthorizationPolicy strictAsDenyPolicy(const PeerAuthentication& pa) {
  AuthorizationPolicy p;
  p.ns = pa.ns;
  p.name = "istio_converted_static_strict" + (pa.name.empty() ? std::string() : "/" + pa.name);
  p.selector = pa.selector ? pa.selector : std::optional<std::map<std::string, std::string>>(std::map<std::string, std::string>{});
  p.action = AuthzAction::Deny;
  AuthzRule rule;
  AuthzSource src;
  src.not_principals = {"*"};
  rule.from.push_back(src);
  p.rules = std::vector<AuthzRule>{rule};
  p.loc = pa.loc;
  return p;
}

}  // namespace meshtwin::models
