// TargetModel: namespaces and their workloads, with the wave whose setMode moves each one.
#include "meshtwin/gui/target_model.hpp"

#include <QMimeData>

#include "meshtwin/gui/roles.hpp"
#include "meshtwin/gui/topology_layout.hpp"
#include "meshtwin/models/mesh_state.hpp"

namespace meshtwin::gui {

QByteArray targetMimePayload(const QString& target, models::MeshMode mode) {
  return (target + QLatin1Char('\n') + QString::fromLatin1(models::toString(mode))).toUtf8();
}

bool parseTargetMimePayload(const QByteArray& payload, QString& target, models::MeshMode& mode) {
  const auto parts = QString::fromUtf8(payload).split(QLatin1Char('\n'));
  if (parts.size() != 2 || parts[0].isEmpty()) return false;
  const auto m = models::meshModeFrom(parts[1].toStdString());
  if (!m) return false;
  target = parts[0];
  mode = *m;
  return true;
}

void TargetModel::setScenario(const models::Scenario& s) {
  clear();
  setHorizontalHeaderLabels({tr("namespace / workload"), tr("before the plan"), tr("moved in")});
  // The wave that sets each target's mode (the last one wins, as in the mesh state).
  std::map<std::string, std::string> moved;
  for (const auto& w : s.plan.waves) {
    for (const auto& c : w.changes) {
      if (const auto* mc = std::get_if<models::ModeChange>(&c))
        moved[mc->whole_namespace ? mc->ns : s.workloads[*mc->workload].key()] = w.name + " -> " + models::toString(mc->to);
    }
  }
  const auto baseline = models::meshStateAt(s, 0);
  auto cells = [&](const std::string& text, const std::string& key, const char* kind, const std::string& target,
                   const std::string& mode) {
    QList<QStandardItem*> row;
    row << new QStandardItem(QString::fromStdString(text)) << new QStandardItem(QString::fromStdString(mode))
        << new QStandardItem(moved.count(target) ? QString::fromStdString(moved[target]) : tr("(not in the plan)"));
    for (auto* it : row) {
      it->setEditable(false);
      it->setData(QString::fromStdString(key), ObjectKeyRole);
      it->setData(QString::fromLatin1(kind), KindRole);
      it->setDragEnabled(true);
      it->setDropEnabled(false);
    }
    return row;
  };
  for (const auto& ns : s.namespaces) {
    const auto it = s.namespace_modes.find(ns);
    const auto ns_mode = it != s.namespace_modes.end() ? it->second : s.default_mode;
    auto row = cells(ns, "namespace:" + ns, "namespace", ns, models::toString(ns_mode));
    for (models::WorkloadId w = 0; w < s.workloads.size(); ++w) {
      if (s.workloads[w].ns != ns) continue;
      auto child = cells(s.workloads[w].name, "workload:" + s.workloads[w].key(), "workload", s.workloads[w].key(),
                         models::toString(baseline.workload_mode[w]));
      child[0]->setData(modeColor(baseline.workload_mode[w]), Qt::DecorationRole);
      row[0]->appendRow(child);
    }
    appendRow(row);
  }
}

QStringList TargetModel::mimeTypes() const { return {QString::fromLatin1(kTargetMime)}; }

QString TargetModel::targetOf(const QModelIndex& index) {
  const auto key = index.data(ObjectKeyRole).toString();
  return key.mid(key.indexOf(QLatin1Char(':')) + 1);
}

QMimeData* TargetModel::mimeData(const QModelIndexList& indexes) const {
  if (indexes.isEmpty()) return nullptr;
  auto* mime = new QMimeData;
  // Dropping into a wave moves the target to ambient; the mode is editable there.
  mime->setData(QString::fromLatin1(kTargetMime), targetMimePayload(targetOf(indexes.front()), models::MeshMode::Ambient));
  return mime;
}

}  // namespace meshtwin::gui
