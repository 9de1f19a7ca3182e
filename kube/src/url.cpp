// Splitting URLs and percent-encoding (Boost 1.74 has no URL library).
#include "meshtwin/kube/url.hpp"

#include <cctype>

namespace meshtwin::kube {

namespace {

Error badUrl(std::string_view text, std::string message) {
  return Error{Error::Kind::Config, 0, "", std::string(text), "", std::move(message),
               "a server URL looks like https://host:6443 or http://127.0.0.1:9090"};
}

bool isUnreserved(unsigned char c) { return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~'; }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits "host[:port]" or "[v6]:port" into host and port.
bool splitAuthority(std::string_view authority, std::string& host, std::string& port) {
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(authority.substr(1, close - 1));
    const auto rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    if (!rest.empty()) port = std::string(rest.substr(1));
    return true;
  }
  const auto colon = authority.rfind(':');
  host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) port = std::string(authority.substr(colon + 1));
  return true;
}

bool allDigits(const std::string& s) {
  for (const char c : s)
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  return !s.empty();
}

}  // namespace

std::string Url::authority() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out = v6 ? "[" + host + "]" : host;
  const bool default_port = (scheme == "https" && port == "443") || (scheme == "http" && port == "80");
  if (!default_port) out += ":" + port;
  return out;
}

std::string Url::origin() const { return scheme + "://" + authority(); }

Result<Url> parseUrl(std::string_view text) {
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return badUrl(text, "no scheme (http:// or https://)");
  Url url;
  url.scheme = std::string(text.substr(0, sep));
  for (char& c : url.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (url.scheme != "http" && url.scheme != "https") return badUrl(text, "scheme \"" + url.scheme + "\" is not http or https");
  auto rest = text.substr(sep + 3);
  const auto q = rest.find('?');
  if (q != std::string_view::npos) {
    url.query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  const auto slash = rest.find('/');
  if (slash != std::string_view::npos) {
    url.path = std::string(rest.substr(slash));
    rest = rest.substr(0, slash);
  }
  while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();
  if (!splitAuthority(rest, url.host, url.port) || url.host.empty()) return badUrl(text, "no host");
  if (url.port.empty()) url.port = url.scheme == "https" ? "443" : "80";
  if (!allDigits(url.port)) return badUrl(text, "port \"" + url.port + "\" is not a number");
  return url;
}

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (isUnreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4U];
      out += kHex[c & 0xFU];
    }
  }
  return out;
}

std::string percentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hexValue(text[i + 1]) >= 0 && hexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string encodeQuery(const QueryParams& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += percentEncode(key) + "=" + percentEncode(value);
  }
  return out;
}

QueryParams decodeQuery(std::string_view query) {
  QueryParams out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (!pair.empty())
      out.emplace_back(percentDecode(pair.substr(0, eq)),
                       eq == std::string_view::npos ? std::string() : percentDecode(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return out;
}

}  // namespace meshtwin::kube
