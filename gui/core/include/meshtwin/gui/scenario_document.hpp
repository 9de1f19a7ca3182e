// The scenario being planned: its file, its YAML text, the loaded model or the loader's
// diagnostics, and the undo stack of edits made to it.
#pragma once

#include <QObject>
#include <QString>
#include <QUndoStack>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "meshtwin/models/diagnostics.hpp"
#include "meshtwin/models/scenario.hpp"

namespace meshtwin::gui {

// An edit of the model: changes the scenario in place, or returns why it cannot.
using ScenarioEdit = std::function<std::optional<std::string>(models::Scenario&)>;

class ScenarioDocument : public QObject {
  Q_OBJECT

 public:
  explicit ScenarioDocument(QObject* parent = nullptr);

  // Reads and loads a file. False when it cannot be read or does not load; diagnostics()
  // then say why, each with its line and column.
  bool open(const QString& path);
  // Loads YAML typed by the user (the text editor's Apply). On success it replaces the
  // model as one undoable edit; on failure the model stays and diagnostics() say why.
  bool applyText(const QString& yaml);
  // Writes text() to `path` and makes it the document's file. Empty on success, otherwise
  // `<what failed>: <file>: <cause>; <hint>`.
  QString save(const QString& path);

  // Applies `edit` to a copy of the model, checks the result by writing and reloading it
  // (so indexes, placement and validation are the loader's), and pushes it on the undo
  // stack as `what`. False, with lastError(), when the edit or the reload refuses.
  bool edit(const QString& what, const ScenarioEdit& edit);

  [[nodiscard]] const std::optional<models::Scenario>& scenario() const { return scenario_; }
  [[nodiscard]] const std::vector<models::Diagnostic>& diagnostics() const { return diagnostics_; }
  [[nodiscard]] const QString& path() const { return path_; }
  // The YAML of the document: the file as read until the model is edited, then the
  // writer's text of the edited model.
  [[nodiscard]] const QString& text() const { return text_; }
  // Saving now would write the writer's text over a file that had comments.
  [[nodiscard]] bool saveDropsComments() const;
  [[nodiscard]] const QString& lastError() const { return last_error_; }
  [[nodiscard]] QUndoStack* undoStack() { return &undo_; }

  // Used by the undo commands: puts a model and its text in place.
  void replace(const models::Scenario& s, const QString& text);

 signals:
  void scenarioChanged();
  void diagnosticsChanged();

 private:
  void setDiagnostics(std::vector<models::Diagnostic> d);

  QString path_;
  QString text_;
  bool file_has_comments_ = false;
  std::optional<models::Scenario> scenario_;
  std::vector<models::Diagnostic> diagnostics_;
  QString last_error_;
  QUndoStack undo_;
};

}  // namespace meshtwin::gui
