// Two reports side by side: per phase (matched by name) and metric, plan A's value, plan
// B's, and the difference; cells that differ are flagged for highlighting.
#pragma once

#include <QAbstractTableModel>
#include <optional>

#include "meshtwin/models/report.hpp"

namespace meshtwin::gui {

class CompareModel : public QAbstractTableModel {
 public:
  enum Column { Phase, Metric, PlanA, PlanB, Difference, ColumnCount };
  using QAbstractTableModel::QAbstractTableModel;
  void setReports(const models::Report& a, const models::Report& b);
  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
  [[nodiscard]] QVariant headerData(int section, Qt::Orientation o, int role) const override;
  // Rows whose values differ by more than 0.5% (or one in a phase only one plan has).
  [[nodiscard]] int differingRows() const;

 private:
  struct Row {
    QString phase;
    std::size_t metric = 0;
    std::optional<double> a, b;
    [[nodiscard]] bool differs() const;
  };
  std::vector<Row> rows_;
};

}  // namespace meshtwin::gui
