// Comments on a written scenario: a header block and one provenance comment per object
// ("# from Deployment shop/cart; rate from Prometheus, 1h"), added to the writer's text and
// read back from a file, so a scenario that is read and written again keeps them.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "meshtwin/models/scenario.hpp"

namespace meshtwin::models {

struct ScenarioComments {
  std::vector<std::string> header;  // lines before `apiVersion`, without the leading "# "
  // By object key: "workload ns/name", "service ns/name", "entryPoint name", "nodePool name",
  // "waypoint ns/name", "policy ns/name", "peerAuthentication ns/name", "route ns/name".
  std::map<std::string, std::string> objects;
};

// The keys of every object `s` has a location for, with the 1-based line the object starts on.
std::vector<std::pair<std::string, int>> commentAnchors(const Scenario& s);

// `text` (what writeScenarioYaml wrote for `s`, loaded back as `s`) with the header on top
// and each object's comment at the end of its first line. Comments for objects `s` does not
// hold are ignored.
std::string addComments(std::string_view text, const Scenario& s, const ScenarioComments& c);

// The comments of a file `s` was loaded from: its leading comment lines and the comment at
// the end of each object's first line.
ScenarioComments readComments(std::string_view text, const Scenario& s);

}  // namespace meshtwin::models
