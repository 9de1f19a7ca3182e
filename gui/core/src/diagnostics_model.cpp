// DiagnosticsModel: one row per diagnostic, `file:line:col: object: message; hint`.
#include "meshtwin/gui/diagnostics_model.hpp"

#include "meshtwin/gui/roles.hpp"

namespace meshtwin::gui {

void DiagnosticsModel::setDiagnostics(std::vector<models::Diagnostic> d) {
  beginResetModel();
  items_ = std::move(d);
  endResetModel();
}

int DiagnosticsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(items_.size());
}

QVariant DiagnosticsModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
  const auto& d = items_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case Qt::DisplayRole: return QString::fromStdString(models::format(d));
    case Qt::ToolTipRole: return QString::fromStdString(d.hint);
    case LineRole: return d.loc.line;
    case ColumnRole: return d.loc.col;
    default: return {};
  }
}

}  // namespace meshtwin::gui
