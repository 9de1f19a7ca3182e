// The loader's diagnostics as a list a view can show; each row knows its line and column so
// activating it can move a text editor's cursor there.
#pragma once

#include <QAbstractListModel>
#include <vector>

#include "meshtwin/models/diagnostics.hpp"

namespace meshtwin::gui {

class DiagnosticsModel : public QAbstractListModel {
 public:
  using QAbstractListModel::QAbstractListModel;
  void setDiagnostics(std::vector<models::Diagnostic> d);
  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;

 private:
  std::vector<models::Diagnostic> items_;
};

}  // namespace meshtwin::gui
