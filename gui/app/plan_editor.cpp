// PlanEditor: widgets and dialogs; every change is a ScenarioDocument edit (undoable).
#include "plan_editor.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTreeView>
#include <QVBoxLayout>

#include "meshtwin/gui/plan_edits.hpp"
#include "meshtwin/gui/roles.hpp"
#include "meshtwin/models/units.hpp"

namespace meshtwin::gui {
namespace {

const models::MeshMode kModes[] = {models::MeshMode::None, models::MeshMode::Sidecar, models::MeshMode::Ambient};

// The mode column edits with a combo box of the three modes.
class ModeDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem&, const QModelIndex&) const override {
    auto* box = new QComboBox(parent);
    for (auto m : kModes) box->addItem(QString::fromLatin1(models::toString(m)));
    return box;
  }
  void setEditorData(QWidget* editor, const QModelIndex& index) const override {
    static_cast<QComboBox*>(editor)->setCurrentText(index.data().toString());
  }
  void setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const override {
    model->setData(index, static_cast<QComboBox*>(editor)->currentText());
  }
};

QDialog* dialog(QWidget* parent, const QString& name, const QString& title, QFormLayout*& form) {
  auto* d = new QDialog(parent);
  d->setObjectName(name);
  d->setWindowTitle(title);
  d->setAttribute(Qt::WA_DeleteOnClose);
  auto* layout = new QVBoxLayout(d);
  form = new QFormLayout;
  layout->addLayout(form);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  buttons->setObjectName(QStringLiteral("buttons"));
  layout->addWidget(buttons);
  QObject::connect(buttons, &QDialogButtonBox::accepted, d, &QDialog::accept);
  QObject::connect(buttons, &QDialogButtonBox::rejected, d, &QDialog::reject);
  return d;
}

QString iopText(const models::IntOrPercent& x) {
  return x.is_percent ? QString::number(x.percent) + QLatin1Char('%') : QString::number(x.count);
}

}  // namespace

PlanEditor::PlanEditor(ScenarioDocument* doc, QWidget* parent)
    : QWidget(parent), doc_(doc), plan_(doc) {
  target_view_ = new QTreeView;
  target_view_->setObjectName(QStringLiteral("target-tree"));
  target_view_->setModel(&targets_);
  target_view_->setDragEnabled(true);
  target_view_->setDragDropMode(QAbstractItemView::DragOnly);
  target_view_->setContextMenuPolicy(Qt::CustomContextMenu);
  target_view_->setSelectionMode(QAbstractItemView::SingleSelection);
  connect(target_view_, &QWidget::customContextMenuRequested, this, &PlanEditor::targetMenu);

  plan_view_ = new QTreeView;
  plan_view_->setObjectName(QStringLiteral("plan-tree"));
  plan_view_->setModel(&plan_);
  plan_view_->setDragEnabled(true);
  plan_view_->setAcceptDrops(true);
  plan_view_->setDropIndicatorShown(true);
  plan_view_->setDragDropMode(QAbstractItemView::DragDrop);
  plan_view_->setDefaultDropAction(Qt::CopyAction);
  plan_view_->setContextMenuPolicy(Qt::CustomContextMenu);
  plan_view_->setItemDelegateForColumn(PlanModel::Mode, new ModeDelegate(plan_view_));
  plan_view_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::SelectedClicked);
  connect(plan_view_, &QWidget::customContextMenuRequested, this, &PlanEditor::planMenu);
  connect(&plan_, &PlanModel::editRefused, this, &PlanEditor::message);

  auto* buttons = new QHBoxLayout;
  add_waypoint_ = new QPushButton(tr("Add waypoint\u2026"));
  add_waypoint_->setObjectName(QStringLiteral("add-waypoint"));
  up_ = new QPushButton(tr("Wave up"));
  down_ = new QPushButton(tr("Wave down"));
  rollout_ = new QPushButton(tr("Rollout\u2026"));
  add_gate_ = new QPushButton(tr("Add gate\u2026"));
  remove_ = new QPushButton(tr("Remove"));
  for (auto* b : {add_waypoint_, up_, down_, rollout_, add_gate_, remove_}) buttons->addWidget(b);
  buttons->addStretch(1);
  connect(add_waypoint_, &QPushButton::clicked, this, [this] { openAddWaypoint(currentWave()); });
  connect(rollout_, &QPushButton::clicked, this, [this] { openRollout(currentWave()); });
  connect(add_gate_, &QPushButton::clicked, this, [this] { openAddGate(currentWave()); });
  auto moveBy = [this](int delta) {
    const int w = currentWave();
    const int to = w + delta;
    if (w < 0 || to < 0 || !doc_->scenario() || to >= static_cast<int>(doc_->scenario()->plan.waves.size())) return;
    run(tr("move wave %1 %2").arg(w + 1).arg(delta < 0 ? tr("up") : tr("down")), [w, to](models::Scenario& s) {
      return moveWave(s, static_cast<std::size_t>(w), static_cast<std::size_t>(to));
    });
    plan_view_->setCurrentIndex(plan_.index(to, 0));
  };
  connect(up_, &QPushButton::clicked, this, [moveBy] { moveBy(-1); });
  connect(down_, &QPushButton::clicked, this, [moveBy] { moveBy(+1); });
  connect(remove_, &QPushButton::clicked, this, [this] {
    const auto idx = plan_view_->currentIndex().siblingAtColumn(0);
    const auto kind = idx.data(KindRole).toString();
    const auto wave = static_cast<std::size_t>(idx.data(WaveRole).toInt());
    const auto i = static_cast<std::size_t>(idx.data(IndexRole).toInt());
    if (kind == QLatin1String("gate"))
      run(tr("remove %1").arg(idx.data().toString()), [=, this](models::Scenario& s) { return removeGate(s, wave, i); });
    else if (kind == QLatin1String("change"))
      run(tr("remove %1 from the plan").arg(idx.data().toString()), [=, this](models::Scenario& s) { return removeModeChange(s, wave, i); });
  });

  auto* right = new QWidget;
  auto* rl = new QVBoxLayout(right);
  rl->setContentsMargins(0, 0, 0, 0);
  rl->addWidget(plan_view_, 1);
  rl->addLayout(buttons);
  auto* split = new QSplitter;
  split->addWidget(target_view_);
  split->addWidget(right);
  split->setStretchFactor(1, 2);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(split);

  connect(doc_, &ScenarioDocument::scenarioChanged, this, &PlanEditor::rebuild);
  connect(plan_view_->selectionModel(), &QItemSelectionModel::currentChanged, this, &PlanEditor::updateButtons);
  connect(&plan_, &QAbstractItemModel::modelReset, this, [this] {
    plan_view_->expandAll();
    plan_view_->resizeColumnToContents(0);
  });
  rebuild();
}

void PlanEditor::rebuild() {
  if (doc_->scenario()) targets_.setScenario(*doc_->scenario());
  else targets_.clear();
  target_view_->expandAll();
  target_view_->resizeColumnToContents(0);
  plan_view_->expandAll();
  plan_view_->resizeColumnToContents(0);
  updateButtons();
}

int PlanEditor::currentWave() const { return PlanModel::waveOf(plan_view_->currentIndex()); }

void PlanEditor::updateButtons() {
  const bool wave = currentWave() >= 0;
  for (auto* b : {add_waypoint_, up_, down_, rollout_, add_gate_}) b->setEnabled(wave);
  const auto kind = plan_view_->currentIndex().siblingAtColumn(0).data(KindRole).toString();
  remove_->setEnabled(kind == QLatin1String("gate") || kind == QLatin1String("change"));
}

void PlanEditor::run(const QString& what, const ScenarioEdit& e) {
  if (doc_->edit(what, e)) emit message(tr("%1: done (Ctrl+Z undoes it)").arg(what));
  else emit message(doc_->lastError());
}

void PlanEditor::moveTo(const QString& target_text, int wave, models::MeshMode mode) {
  if (!doc_->scenario()) return;
  const auto target = MoveTarget::parse(*doc_->scenario(), target_text.toStdString());
  if (!target) return;
  std::string new_name;
  if (wave == static_cast<int>(doc_->scenario()->plan.waves.size())) {
    bool ok = false;
    const auto name = QInputDialog::getText(this, tr("New wave"), tr("Name of the new wave:"), QLineEdit::Normal,
                                            QStringLiteral("wave-%1").arg(wave + 1), &ok);
    if (!ok || name.isEmpty()) return;
    new_name = name.toStdString();
  }
  run(tr("move %1 to wave %2").arg(QString::fromStdString(target->text(*doc_->scenario()))).arg(wave + 1),
      [=, this](models::Scenario& s) { return moveToWave(s, *target, static_cast<std::size_t>(wave), mode, new_name); });
}

void PlanEditor::targetMenu(const QPoint& pos) {
  const auto idx = target_view_->indexAt(pos);
  if (!idx.isValid() || !doc_->scenario()) return;
  const auto target = TargetModel::targetOf(idx);
  QMenu menu(this);
  const auto& waves = doc_->scenario()->plan.waves;
  for (auto mode : kModes) {
    auto* sub = menu.addMenu(tr("Move to %1 in").arg(QString::fromLatin1(models::toString(mode))));
    for (std::size_t w = 0; w <= waves.size(); ++w) {
      const auto text = w < waves.size() ? QString::fromStdString(waves[w].name) : tr("a new wave\u2026");
      sub->addAction(text, this, [=, this] { moveTo(target, static_cast<int>(w), mode); });
    }
  }
  menu.exec(target_view_->viewport()->mapToGlobal(pos));
}

void PlanEditor::planMenu(const QPoint& pos) {
  const auto idx = plan_view_->indexAt(pos).siblingAtColumn(0);
  if (!idx.isValid()) return;
  plan_view_->setCurrentIndex(idx);
  const int wave = PlanModel::waveOf(idx);
  const auto kind = idx.data(KindRole).toString();
  QMenu menu(this);
  if (kind == QLatin1String("change") && !idx.data(ObjectKeyRole).toString().startsWith(QLatin1String("waypoint:")) &&
      idx.data(ObjectKeyRole).isValid()) {
    auto* sub = menu.addMenu(tr("Set mode"));
    for (auto mode : kModes) {
      sub->addAction(QString::fromLatin1(models::toString(mode)), this, [this, idx, mode] {
        plan_.setData(idx.siblingAtColumn(PlanModel::Mode), QString::fromLatin1(models::toString(mode)));
      });
    }
    menu.addAction(remove_->text(), remove_, &QPushButton::click);
  }
  if (kind == QLatin1String("gate")) menu.addAction(tr("Remove gate"), remove_, &QPushButton::click);
  menu.addSeparator();
  menu.addAction(tr("Add waypoint\u2026"), this, [=, this] { openAddWaypoint(wave); });
  menu.addAction(tr("Add gate\u2026"), this, [=, this] { openAddGate(wave); });
  menu.addAction(tr("Rollout settings\u2026"), this, [=, this] { openRollout(wave); });
  menu.addAction(tr("Rename wave\u2026"), this, [=, this] { openRenameWave(wave); });
  menu.addAction(up_->text(), up_, &QPushButton::click);
  menu.addAction(down_->text(), down_, &QPushButton::click);
  menu.exec(plan_view_->viewport()->mapToGlobal(pos));
}

void PlanEditor::openAddWaypoint(int wave) {
  if (wave < 0 || !doc_->scenario()) {
    emit message(tr("add waypoint: no wave selected; select a wave in the plan first"));
    return;
  }
  const auto& s = *doc_->scenario();
  QFormLayout* form = nullptr;
  auto* d = dialog(this, QStringLiteral("waypoint-dialog"),
                   tr("Add a waypoint in %1").arg(QString::fromStdString(s.plan.waves[static_cast<std::size_t>(wave)].name)), form);
  auto* ns = new QComboBox;
  ns->setObjectName(QStringLiteral("waypoint-namespace"));
  for (const auto& n : s.namespaces) ns->addItem(QString::fromStdString(n));
  auto* name = new QLineEdit;
  name->setObjectName(QStringLiteral("waypoint-name"));
  name->setPlaceholderText(tr("e.g. data-waypoint"));
  auto* traffic = new QComboBox;
  traffic->addItems({QStringLiteral("service"), QStringLiteral("workload"), QStringLiteral("all")});
  auto* replicas = new QSpinBox;
  replicas->setObjectName(QStringLiteral("waypoint-replicas"));
  replicas->setRange(1, 10000);
  replicas->setValue(2);
  auto* zones = new QListWidget;
  zones->setObjectName(QStringLiteral("waypoint-zones"));
  for (const auto& z : s.zones) {
    auto* it = new QListWidgetItem(QString::fromStdString(z.name), zones);
    it->setCheckState(Qt::Checked);
  }
  zones->setMaximumHeight(80);
  auto* hpa = new QGroupBox(tr("HorizontalPodAutoscaler"));
  hpa->setObjectName(QStringLiteral("waypoint-hpa"));
  hpa->setCheckable(true);
  hpa->setChecked(true);
  auto* hpa_form = new QFormLayout(hpa);
  auto* min = new QSpinBox;
  min->setRange(1, 10000);
  min->setValue(2);
  auto* max = new QSpinBox;
  max->setObjectName(QStringLiteral("waypoint-hpa-max"));
  max->setRange(1, 10000);
  max->setValue(4);
  auto* target_cpu = new QSpinBox;
  target_cpu->setRange(1, 100);
  target_cpu->setValue(70);
  target_cpu->setSuffix(QStringLiteral(" %"));
  hpa_form->addRow(tr("min replicas"), min);
  hpa_form->addRow(tr("max replicas"), max);
  hpa_form->addRow(tr("target CPU"), target_cpu);
  auto* bind = new QCheckBox(tr("bind it to the namespace (istio.io/use-waypoint)"));
  bind->setChecked(true);
  form->addRow(tr("namespace"), ns);
  form->addRow(tr("name"), name);
  form->addRow(tr("for (scope)"), traffic);
  form->addRow(tr("replicas"), replicas);
  form->addRow(tr("zones"), zones);
  form->addRow(hpa);
  form->addRow(bind);
  connect(d, &QDialog::accepted, this, [=, this] {
    WaypointSpec spec;
    spec.ns = ns->currentText().toStdString();
    spec.name = name->text().trimmed().toStdString();
    spec.traffic = traffic->currentIndex() == 0 ? models::WaypointFor::Service
                   : traffic->currentIndex() == 1 ? models::WaypointFor::Workload
                                                  : models::WaypointFor::All;
    spec.replicas = replicas->value();
    bool all = true;
    for (int i = 0; i < zones->count(); ++i) {
      if (zones->item(i)->checkState() == Qt::Checked) spec.zones.push_back(zones->item(i)->text().toStdString());
      else all = false;
    }
    if (all) spec.zones.clear();
    if (hpa->isChecked()) spec.hpa = models::Hpa{min->value(), max->value(), target_cpu->value()};
    spec.bind_namespace = bind->isChecked();
    run(tr("add waypoint %1/%2").arg(ns->currentText(), name->text()),
        [=, this](models::Scenario& sc) { return addWaypoint(sc, static_cast<std::size_t>(wave), spec); });
  });
  d->open();
}

void PlanEditor::openRollout(int wave) {
  if (wave < 0 || !doc_->scenario()) return;
  const auto& w = doc_->scenario()->plan.waves[static_cast<std::size_t>(wave)];
  QFormLayout* form = nullptr;
  auto* d = dialog(this, QStringLiteral("rollout-dialog"), tr("Rollout of %1").arg(QString::fromStdString(w.name)), form);
  auto* surge = new QLineEdit(iopText(w.rollout.max_surge));
  auto* unavailable = new QLineEdit(iopText(w.rollout.max_unavailable));
  form->addRow(tr("maxSurge (count or %)"), surge);
  form->addRow(tr("maxUnavailable (count or %)"), unavailable);
  connect(d, &QDialog::accepted, this, [=, this] {
    const auto s = models::parseIntOrPercent(surge->text().toStdString());
    const auto u = models::parseIntOrPercent(unavailable->text().toStdString());
    if (!s.ok() || !u.ok()) {
      emit message(tr("rollout settings: wave %1: %2; e.g. 1 or 25%")
                       .arg(wave + 1)
                       .arg(QString::fromStdString(!s.ok() ? s.error() : u.error())));
      return;
    }
    run(tr("set rollout of wave %1").arg(wave + 1), [=, this](models::Scenario& sc) {
      return setRollout(sc, static_cast<std::size_t>(wave), {s.value(), u.value()});
    });
  });
  d->open();
}

void PlanEditor::openAddGate(int wave) {
  if (wave < 0 || !doc_->scenario()) return;
  const auto& s = *doc_->scenario();
  QFormLayout* form = nullptr;
  auto* d = dialog(this, QStringLiteral("gate-dialog"), tr("Add a gate"), form);
  auto* kind = new QComboBox;
  kind->addItems({tr("latency"), tr("error rate")});
  auto* path = new QComboBox;
  path->setEditable(true);
  for (const auto& ep : s.entry_points) path->addItem(QString::fromStdString(ep.name));
  auto* pct = new QComboBox;
  pct->addItems({QStringLiteral("p50"), QStringLiteral("p90"), QStringLiteral("p99"), QStringLiteral("p99.9")});
  pct->setCurrentIndex(2);
  auto* threshold = new QLineEdit(QStringLiteral("150ms"));
  auto* max = new QLineEdit(QStringLiteral("0.5%"));
  form->addRow(tr("kind"), kind);
  form->addRow(tr("path (entry point or \"ns/workload -> service\")"), path);
  form->addRow(tr("percentile"), pct);
  form->addRow(tr("latency threshold"), threshold);
  form->addRow(tr("max error rate"), max);
  connect(d, &QDialog::accepted, this, [=, this] {
    models::Gate g;
    g.path = path->currentText().trimmed().toStdString();
    if (kind->currentIndex() == 0) {
      const auto t = models::parseDurationNs(threshold->text().toStdString());
      if (!t.ok()) {
        emit message(tr("add gate: threshold: %1").arg(QString::fromStdString(t.error())));
        return;
      }
      g.kind = models::Gate::Kind::Latency;
      g.threshold_ns = t.value();
      g.percentile = pct->currentText().mid(1).toDouble();
    } else {
      const auto m = models::parseFraction(max->text().toStdString());
      if (!m.ok()) {
        emit message(tr("add gate: max error rate: %1").arg(QString::fromStdString(m.error())));
        return;
      }
      g.kind = models::Gate::Kind::ErrorRate;
      g.max_error_rate = m.value();
    }
    run(tr("add gate on %1").arg(path->currentText()),
        [=, this](models::Scenario& sc) { return addGate(sc, static_cast<std::size_t>(wave), g); });
  });
  d->open();
}

void PlanEditor::openRenameWave(int wave) {
  if (wave < 0 || !doc_->scenario()) return;
  QFormLayout* form = nullptr;
  auto* d = dialog(this, QStringLiteral("rename-dialog"), tr("Rename wave"), form);
  auto* name = new QLineEdit(QString::fromStdString(doc_->scenario()->plan.waves[static_cast<std::size_t>(wave)].name));
  form->addRow(tr("name"), name);
  connect(d, &QDialog::accepted, this, [=, this] {
    run(tr("rename wave %1").arg(wave + 1), [=, this](models::Scenario& s) {
      return renameWave(s, static_cast<std::size_t>(wave), name->text().trimmed().toStdString());
    });
  });
  d->open();
}

}  // namespace meshtwin::gui
