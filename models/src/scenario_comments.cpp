// Header and per-object comments of a written scenario, added and read back by line.
#include "meshtwin/models/scenario_comments.hpp"

#include <algorithm>

namespace meshtwin::models {

namespace {

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// The comment at the end of a line the writer produced: after "  # " outside quotes.
std::string_view trailingComment(std::string_view line) {
  bool single = false, dbl = false;
  for (std::size_t i = 0; i + 2 < line.size(); ++i) {
    const char ch = line[i];
    if (ch == '\'' && !dbl) single = !single;
    else if (ch == '"' && !single) dbl = !dbl;
    else if (!single && !dbl && ch == ' ' && line[i + 1] == '#' && line[i + 2] == ' ') {
      auto rest = line.substr(i + 3);
      return rest;
    }
  }
  return {};
}

// One line only: a comment never spans lines, so newlines in a note become "; ".
std::string oneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

}  // namespace

std::vector<std::pair<std::string, int>> commentAnchors(const Scenario& s) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& p : s.pools) out.emplace_back("nodePool " + p.name, p.loc.line);
  for (const auto& w : s.workloads) out.emplace_back("workload " + w.key(), w.loc.line);
  for (const auto& sv : s.services) out.emplace_back("service " + sv.key(), sv.loc.line);
  for (const auto& ep : s.entry_points) out.emplace_back("entryPoint " + ep.name, ep.loc.line);
  for (std::size_t i = 0; i < s.waypoints.size(); ++i) {
    if (s.waypoint_initial[i]) out.emplace_back("waypoint " + s.waypoints[i].key(), s.waypoints[i].loc.line);
  }
  for (std::size_t i = 0; i < s.authz_policies.size(); ++i) {
    const auto& p = s.authz_policies[i];
    if (s.authz_initial[i]) out.emplace_back("policy " + p.ns + "/" + p.name, p.loc.line);
  }
  for (std::size_t i = 0; i < s.peer_authns.size(); ++i) {
    const auto& p = s.peer_authns[i];
    if (s.peer_authn_initial[i]) out.emplace_back("peerAuthentication " + p.ns + "/" + p.name, p.loc.line);
  }
  for (const auto& r : s.http_routes) out.emplace_back("route " + r.key(), r.loc.line);
  out.erase(std::remove_if(out.begin(), out.end(), [](const auto& a) { return a.second <= 0; }), out.end());
  return out;
}

std::string addComments(std::string_view text, const Scenario& s, const ScenarioComments& c) {
  auto lines = splitLines(text);
  std::map<int, std::string> at_line;
  for (const auto& [key, line] : commentAnchors(s)) {
    const auto it = c.objects.find(key);
    if (it == c.objects.end() || it->second.empty()) continue;
    auto& slot = at_line[line];
    slot += (slot.empty() ? "" : "; ") + oneLine(it->second);
  }
  std::string out;
  for (const auto& h : c.header) out += h.empty() ? "#\n" : "# " + oneLine(h) + "\n";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    if (const auto it = at_line.find(static_cast<int>(i + 1)); it != at_line.end()) out += "  # " + it->second;
    out += "\n";
  }
  return out;
}

ScenarioComments readComments(std::string_view text, const Scenario& s) {
  ScenarioComments c;
  const auto lines = splitLines(text);
  for (const auto& l : lines) {
    if (l.empty() || l[0] != '#') break;
    auto body = l.substr(1);
    if (!body.empty() && body[0] == ' ') body = body.substr(1);
    c.header.emplace_back(body);
  }
  for (const auto& [key, line] : commentAnchors(s)) {
    if (line > static_cast<int>(lines.size())) continue;
    const auto comment = trailingComment(lines[static_cast<std::size_t>(line - 1)]);
    if (!comment.empty()) c.objects[key] = std::string(comment);
  }
  return c;
}

}  // namespace meshtwin::models
