// Writing a report to disk in the published JSON schema (the planner's Export report).
#pragma once

#include <QString>

#include "meshtwin/models/report.hpp"

namespace meshtwin::gui {

// Writes models::toJson(r) to `path` atomically. Empty on success, otherwise
// `export report: <path>: <cause>; <hint>`.
QString writeReportJson(const models::Report& r, const QString& path);

}  // namespace meshtwin::gui
