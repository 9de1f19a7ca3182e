// Findings (the plan's risks) as a table; each row carries the object key of what it
// concerns so the topology can select it.
#pragma once

#include <QAbstractTableModel>
#include <vector>

#include "meshtwin/models/analysis.hpp"

namespace meshtwin::gui {

class FindingsModel : public QAbstractTableModel {
 public:
  enum Column { Severity, Code, Object, Phases, Message, ColumnCount };
  using QAbstractTableModel::QAbstractTableModel;
  void setFindings(std::vector<models::Finding> f);
  [[nodiscard]] const std::vector<models::Finding>& findings() const { return items_; }
  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
  [[nodiscard]] QVariant headerData(int section, Qt::Orientation o, int role) const override;

 private:
  std::vector<models::Finding> items_;
};

}  // namespace meshtwin::gui
