// FindingsModel: severity, code, object, phases and message per finding; the hint as tooltip.
#include "meshtwin/gui/findings_model.hpp"

#include <QColor>
#include <QStringList>

#include "meshtwin/gui/roles.hpp"

namespace meshtwin::gui {

void FindingsModel::setFindings(std::vector<models::Finding> f) {
  beginResetModel();
  items_ = std::move(f);
  endResetModel();
}

int FindingsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(items_.size());
}

int FindingsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant FindingsModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
  const auto& f = items_[static_cast<std::size_t>(index.row())];
  if (role == ObjectKeyRole) return QString::fromStdString(objectKeyOfFinding(f.object));
  if (role == Qt::ToolTipRole) return QString::fromStdString("hint: " + f.hint);
  if (role == Qt::ForegroundRole && index.column() == Severity) {
    switch (f.severity) {
      case models::Severity::Critical:
      case models::Severity::High: return QColor(0xc6, 0x28, 0x28);
      case models::Severity::Medium: return QColor(0xd8, 0x7a, 0x00);
      default: return {};
    }
  }
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case Severity: return QString::fromLatin1(models::toString(f.severity));
    case Code: return QString::fromStdString(f.code);
    case Object: return QString::fromStdString(f.object);
    case Phases: {
      QStringList phases;
      for (const auto& p : f.phases) phases << QString::fromStdString(p);
      return phases.join(QStringLiteral(", "));
    }
    case Message: return QString::fromStdString(f.message);
    default: return {};
  }
}

QVariant FindingsModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* const names[] = {"severity", "code", "object", "phases", "what happens"};
  return section >= 0 && section < ColumnCount ? QString::fromLatin1(names[section]) : QVariant();
}

}  // namespace meshtwin::gui
