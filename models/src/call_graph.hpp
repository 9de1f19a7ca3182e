// The service call graph (Boost.Graph) and its cycle check. Internal to models/.
#pragma once

#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::models::detail {

// Reports every call that closes a cycle (a service that, through its workloads' scripts,
// ends up calling itself): such a request would never finish.
void checkCallCycles(const Scenario& s, Diagnostics& diags);

}  // namespace meshtwin::models::detail
