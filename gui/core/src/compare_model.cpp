// CompareModel: phases in plan A's order, then phases only plan B has.
#include "meshtwin/gui/compare_model.hpp"

#include <QColor>
#include <algorithm>
#include <cmath>

#include "meshtwin/gui/results_presenter.hpp"
#include "meshtwin/gui/roles.hpp"

namespace meshtwin::gui {
namespace {

const models::PhaseReport* phaseNamed(const models::Report& r, const std::string& name) {
  for (const auto& p : r.phases) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace

bool CompareModel::Row::differs() const {
  if (!a || !b) return true;
  const double scale = std::max(std::abs(*a), std::abs(*b));
  return std::abs(*a - *b) > 0.005 * scale && std::abs(*a - *b) > 1e-9;
}

void CompareModel::setReports(const models::Report& a, const models::Report& b) {
  beginResetModel();
  rows_.clear();
  std::vector<std::string> names;
  for (const auto* r : {&a, &b}) {
    for (const auto& p : r->phases) {
      if (std::find(names.begin(), names.end(), p.name) == names.end()) names.push_back(p.name);
    }
  }
  const auto& metrics = phaseMetrics();
  for (const auto& name : names) {
    const auto* pa = phaseNamed(a, name);
    const auto* pb = phaseNamed(b, name);
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      Row row;
      row.phase = QString::fromStdString(name);
      row.metric = m;
      if (pa) row.a = metrics[m].value(*pa);
      if (pb) row.b = metrics[m].value(*pb);
      rows_.push_back(row);
    }
  }
  endResetModel();
}

int CompareModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int CompareModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

int CompareModel::differingRows() const {
  return static_cast<int>(std::count_if(rows_.begin(), rows_.end(), [](const Row& r) { return r.differs(); }));
}

QVariant CompareModel::data(const QModelIndex& index, int role) const {
  if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
  const auto& row = rows_[static_cast<std::size_t>(index.row())];
  const auto& metric = phaseMetrics()[row.metric];
  if (role == HighlightRole) return row.differs();
  if (role == Qt::BackgroundRole) return row.differs() && index.column() >= PlanA ? QVariant(QColor(0xff, 0xf3, 0xc4)) : QVariant();
  if (role == Qt::TextAlignmentRole && index.column() >= PlanA) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  if (role != Qt::DisplayRole) return {};
  auto num = [&](const std::optional<double>& v) {
    return v ? QString::number(*v, 'f', metric.decimals) : QStringLiteral("-");
  };
  switch (index.column()) {
    case Phase: return row.phase;
    case Metric: return QStringLiteral("%1 (%2)").arg(QString::fromLatin1(metric.name), QString::fromLatin1(metric.unit));
    case PlanA: return num(row.a);
    case PlanB: return num(row.b);
    case Difference:
      if (!row.a || !row.b) return QStringLiteral("only in one plan");
      return (*row.b >= *row.a ? QStringLiteral("+") : QString()) + QString::number(*row.b - *row.a, 'f', metric.decimals);
    default: return {};
  }
}

QVariant CompareModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* const names[] = {"phase", "metric", "plan A", "plan B", "B - A"};
  return section >= 0 && section < ColumnCount ? QString::fromLatin1(names[section]) : QVariant();
}

}  // namespace meshtwin::gui
