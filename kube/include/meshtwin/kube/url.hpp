// URLs for the cluster clients: split into parts, percent-encode, build query strings.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meshtwin/kube/error.hpp"

namespace meshtwin::kube {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without the brackets of an IPv6 literal
  std::string port;    // always set: the default of the scheme when the URL has none
  std::string path;    // "" or starting with '/', no trailing '/' (a base path such as "/prometheus")
  std::string query;   // without the '?'

  // host[:port] as the Host header wants it (the port only when it is not the scheme's default).
  [[nodiscard]] std::string authority() const;
  // scheme://authority, without path or query.
  [[nodiscard]] std::string origin() const;
};

// "http(s)://host[:port][/path][?query]". A URL without a scheme is an error (kubectl
// accepts bare hosts; a kubeconfig written by a tool always has https://).
Result<Url> parseUrl(std::string_view text);

// RFC 3986: every byte but the unreserved ones (A-Z a-z 0-9 - . _ ~) as %XX.
std::string percentEncode(std::string_view text);
// %XX back to bytes and, for form bodies, '+' to a space. Malformed escapes are kept as they are.
std::string percentDecode(std::string_view text, bool plus_is_space = true);

using QueryParams = std::vector<std::pair<std::string, std::string>>;
// "a=1&b=x%20y": a query string or an application/x-www-form-urlencoded body.
std::string encodeQuery(const QueryParams& params);
// The other way round, for servers and tests.
QueryParams decodeQuery(std::string_view query);

}  // namespace meshtwin::kube
