// ScenarioDocument: loading, edits as undo commands over the Scenario value, saving.
#include "meshtwin/gui/scenario_document.hpp"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QUndoCommand>
#include <QRegularExpression>

#include "meshtwin/models/loader.hpp"
#include "meshtwin/models/scenario_writer.hpp"

namespace meshtwin::gui {
namespace {

// One edit: the model before and after, both complete, so undo and redo are exact.
class ScenarioEditCommand : public QUndoCommand {
 public:
  ScenarioEditCommand(ScenarioDocument* doc, const QString& what, models::Scenario before, QString before_text,
                      models::Scenario after, QString after_text)
      : QUndoCommand(what),
        doc_(doc),
        before_(std::move(before)),
        after_(std::move(after)),
        before_text_(std::move(before_text)),
        after_text_(std::move(after_text)) {}
  void undo() override { doc_->replace(before_, before_text_); }
  void redo() override { doc_->replace(after_, after_text_); }

 private:
  ScenarioDocument* doc_;
  models::Scenario before_, after_;
  QString before_text_, after_text_;
};

std::string baseDir(const QString& path) {
  const auto dir = QFileInfo(path).absolutePath();
  return path.isEmpty() ? std::string(".") : dir.toStdString();
}

bool hasComments(const QString& yaml) {
  static const QRegularExpression comment(QStringLiteral("(^|\\s)#"));
  return comment.match(yaml).hasMatch();
}

}  // namespace

ScenarioDocument::ScenarioDocument(QObject* parent) : QObject(parent) {}

bool ScenarioDocument::open(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) {
    setDiagnostics({{{path.toStdString(), 0, 0}, "scenario", "cannot open the file: " + f.errorString().toStdString(),
                     "check the path; scenarios/ holds the shipped examples"}});
    return false;
  }
  path_ = path;
  text_ = QString::fromUtf8(f.readAll());
  file_has_comments_ = hasComments(text_);
  undo_.clear();
  auto r = models::loadScenarioText(text_.toStdString(), path.toStdString(), baseDir(path));
  setDiagnostics(r.diagnostics.sorted());
  scenario_ = std::move(r.scenario);
  undo_.setClean();
  emit scenarioChanged();
  return scenario_.has_value();
}

bool ScenarioDocument::applyText(const QString& yaml) {
  auto r = models::loadScenarioText(yaml.toStdString(), path_.isEmpty() ? "untitled.yaml" : path_.toStdString(),
                                    baseDir(path_));
  setDiagnostics(r.diagnostics.sorted());
  if (!r.ok()) {
    last_error_ = tr("apply YAML: %1: %2 error(s); the model is unchanged, fix the lines listed")
                      .arg(path_.isEmpty() ? tr("untitled") : path_)
                      .arg(r.diagnostics.size());
    return false;
  }
  if (!scenario_) {
    // Nothing to undo to: the text becomes the document.
    scenario_ = std::move(r.scenario);
    text_ = yaml;
    file_has_comments_ = hasComments(yaml);
    emit scenarioChanged();
    return true;
  }
  undo_.push(new ScenarioEditCommand(this, tr("edit YAML"), *scenario_, text_, std::move(*r.scenario), yaml));
  return true;
}

bool ScenarioDocument::edit(const QString& what, const ScenarioEdit& edit) {
  last_error_.clear();
  if (!scenario_) {
    last_error_ = tr("%1: no scenario is loaded; open a file first").arg(what);
    return false;
  }
  models::Scenario changed = *scenario_;
  if (auto err = edit(changed)) {
    last_error_ = tr("%1: %2").arg(what, QString::fromStdString(*err));
    return false;
  }
  const auto yaml = models::writeScenarioYaml(changed);
  auto r = models::loadScenarioText(yaml, scenario_->file, baseDir(path_));
  if (!r.ok()) {
    const auto sorted = r.diagnostics.sorted();
    const auto& d = sorted.front();
    last_error_ = tr("%1: %2: %3; %4")
                      .arg(what, QString::fromStdString(d.object), QString::fromStdString(d.message),
                           d.hint.empty() ? tr("the plan is unchanged") : QString::fromStdString(d.hint));
    return false;
  }
  undo_.push(new ScenarioEditCommand(this, what, *scenario_, text_, std::move(*r.scenario), QString::fromStdString(yaml)));
  return true;
}

void ScenarioDocument::replace(const models::Scenario& s, const QString& text) {
  scenario_ = s;
  text_ = text;
  setDiagnostics({});
  emit scenarioChanged();
}

bool ScenarioDocument::saveDropsComments() const {
  return file_has_comments_ && !hasComments(text_);
}

QString ScenarioDocument::save(const QString& path) {
  if (!scenario_) return tr("save: %1: the text does not load; fix the errors listed first").arg(path);
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly)) {
    return tr("save: %1: %2; choose a folder you can write to").arg(path, f.errorString());
  }
  f.write(text_.toUtf8());
  if (!f.commit()) return tr("save: %1: %2; check free space and permissions").arg(path, f.errorString());
  path_ = path;
  file_has_comments_ = hasComments(text_);
  undo_.setClean();
  return {};
}

void ScenarioDocument::setDiagnostics(std::vector<models::Diagnostic> d) {
  diagnostics_ = std::move(d);
  emit diagnosticsChanged();
}

}  // namespace meshtwin::gui
