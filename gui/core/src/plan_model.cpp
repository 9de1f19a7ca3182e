// PlanModel: rows rebuilt from the document's scenario after every edit.
#include "meshtwin/gui/plan_model.hpp"

#include <QMimeData>

#include "meshtwin/gui/plan_edits.hpp"
#include "meshtwin/gui/roles.hpp"
#include "meshtwin/gui/target_model.hpp"
#include "meshtwin/gui/topology_layout.hpp"
#include "meshtwin/models/scenario_writer.hpp"

namespace meshtwin::gui {
namespace {

std::string describe(const models::Scenario& s, const models::Change& c) {
  if (const auto* mc = std::get_if<models::ModeChange>(&c))
    return mc->whole_namespace ? "namespace " + mc->ns : "workload " + s.workloads[*mc->workload].key();
  if (const auto* aw = std::get_if<models::AddWaypoint>(&c)) {
    const auto& wp = s.waypoints[aw->waypoint];
    std::string text = "add waypoint " + wp.key() + " (for " + models::toString(wp.traffic) + ", " +
                       std::to_string(wp.replicas) + " replica(s)";
    if (wp.hpa)
      text += ", HPA " + std::to_string(wp.hpa->min_replicas) + "-" + std::to_string(wp.hpa->max_replicas) + " at " +
              std::to_string(wp.hpa->target_cpu_percent) + "% CPU";
    return text + ")";
  }
  if (const auto* bw = std::get_if<models::BindWaypoint>(&c)) {
    const auto& b = s.bindings[bw->binding];
    return std::string("use waypoint ") + (b.waypoint ? s.waypoints[*b.waypoint].key() : "none") + " for " +
           models::toString(b.scope) + " " + b.target;
  }
  if (const auto* ap = std::get_if<models::AddPolicy>(&c))
    return "add AuthorizationPolicy " + s.authz_policies[ap->policy].key();
  if (const auto* rp = std::get_if<models::RemovePolicy>(&c))
    return "remove AuthorizationPolicy " + s.authz_policies[rp->policy].key();
  if (const auto* mp = std::get_if<models::MovePolicy>(&c)) {
    std::string refs;
    for (const auto& r : mp->target_refs) refs += (refs.empty() ? "" : ", ") + r.kind + " " + r.name;
    return "move AuthorizationPolicy " + s.authz_policies[mp->policy].key() + " to " + refs;
  }
  const auto& pa = s.peer_authns[std::get<models::SetPeerAuthentication>(c).peer_authn];
  return "set PeerAuthentication " + pa.key() + " (" + models::toString(pa.mode) + ")";
}

std::string describe(const models::Gate& g) {
  if (g.kind == models::Gate::Kind::Latency)
    return "gate: p" + QString::number(g.percentile).toStdString() + " of " + g.path + " <= " +
           models::exactDuration(g.threshold_ns);
  return "gate: error rate" + (g.path.empty() ? std::string() : " of " + g.path) + " <= " + models::exactPercent(g.max_error_rate);
}

QStandardItem* cell(const std::string& text, const char* kind, int wave, int index) {
  auto* it = new QStandardItem(QString::fromStdString(text));
  it->setData(QString::fromLatin1(kind), KindRole);
  it->setData(wave, WaveRole);
  it->setData(index, IndexRole);
  it->setEditable(false);
  it->setDragEnabled(false);
  it->setDropEnabled(true);
  return it;
}

std::string rolloutText(const models::RolloutSettings& r) {
  auto iop = [](const models::IntOrPercent& x) {
    return x.is_percent ? models::exactPercent(x.percent / 100) : std::to_string(x.count);
  };
  return "maxSurge " + iop(r.max_surge) + ", maxUnavailable " + iop(r.max_unavailable);
}

}  // namespace

PlanModel::PlanModel(ScenarioDocument* doc, QObject* parent) : QStandardItemModel(parent), doc_(doc) {
  connect(doc_, &ScenarioDocument::scenarioChanged, this, &PlanModel::rebuild);
  rebuild();
}

void PlanModel::rebuild() {
  clear();
  setHorizontalHeaderLabels({tr("wave / change"), tr("mode")});
  if (!doc_->scenario()) return;
  const auto& s = *doc_->scenario();
  for (std::size_t wi = 0; wi < s.plan.waves.size(); ++wi) {
    const auto& w = s.plan.waves[wi];
    const int wave = static_cast<int>(wi);
    auto* head = cell(std::to_string(wi + 1) + ". " + w.name, "wave", wave, -1);
    head->setData(QString::fromStdString(rolloutText(w.rollout)), Qt::ToolTipRole);
    auto* rollout = cell(rolloutText(w.rollout), "wave", wave, -1);
    for (std::size_t ci = 0; ci < w.changes.size(); ++ci) {
      const auto& c = w.changes[ci];
      auto* step = cell(describe(s, c), "change", wave, static_cast<int>(ci));
      auto* mode = cell("", "change", wave, static_cast<int>(ci));
      if (const auto* mc = std::get_if<models::ModeChange>(&c)) {
        step->setData(QString::fromLatin1("setMode"), Qt::ToolTipRole);
        step->setDragEnabled(true);
        step->setData(QString::fromStdString(mc->whole_namespace ? "namespace:" + mc->ns
                                                                 : "workload:" + s.workloads[*mc->workload].key()),
                      ObjectKeyRole);
        mode->setText(QString::fromLatin1(models::toString(mc->to)));
        mode->setData(modeColor(mc->to), Qt::DecorationRole);
        mode->setEditable(true);
      } else if (const auto* aw = std::get_if<models::AddWaypoint>(&c)) {
        step->setData(QString::fromStdString("waypoint:" + s.waypoints[aw->waypoint].key()), ObjectKeyRole);
        step->setData(kWaypointColor, Qt::DecorationRole);
      }
      head->appendRow({step, mode});
    }
    for (std::size_t gi = 0; gi < w.gates.size(); ++gi)
      head->appendRow({cell(describe(w.gates[gi]), "gate", wave, static_cast<int>(gi)), cell("", "gate", wave, static_cast<int>(gi))});
    appendRow({head, rollout});
  }
}

int PlanModel::waveOf(const QModelIndex& index) {
  return index.isValid() ? index.data(WaveRole).toInt() : -1;
}

QStringList PlanModel::mimeTypes() const { return {QString::fromLatin1(kTargetMime)}; }

QMimeData* PlanModel::mimeData(const QModelIndexList& indexes) const {
  if (indexes.isEmpty() || !doc_->scenario()) return nullptr;
  const auto& idx = indexes.front();
  const auto key = idx.siblingAtColumn(Step).data(ObjectKeyRole).toString();
  if (idx.data(KindRole).toString() != QLatin1String("change") || key.isEmpty() || key.startsWith(QLatin1String("waypoint:")))
    return nullptr;
  const auto mode = models::meshModeFrom(idx.siblingAtColumn(Mode).data().toString().toStdString());
  auto* mime = new QMimeData;
  mime->setData(QString::fromLatin1(kTargetMime),
                targetMimePayload(key.mid(key.indexOf(QLatin1Char(':')) + 1), mode.value_or(models::MeshMode::Ambient)));
  return mime;
}

bool PlanModel::canDropMimeData(const QMimeData* data, Qt::DropAction, int, int, const QModelIndex& parent) const {
  QString target;
  models::MeshMode mode{};
  return waveOf(parent) >= 0 && data && parseTargetMimePayload(data->data(QString::fromLatin1(kTargetMime)), target, mode);
}

bool PlanModel::dropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column, const QModelIndex& parent) {
  if (!canDropMimeData(data, action, row, column, parent)) return false;
  QString target_text;
  models::MeshMode mode{};
  parseTargetMimePayload(data->data(QString::fromLatin1(kTargetMime)), target_text, mode);
  const auto wave = static_cast<std::size_t>(waveOf(parent));
  const auto target = MoveTarget::parse(*doc_->scenario(), target_text.toStdString());
  if (!target) {
    emit editRefused(tr("move to wave: %1: not a namespace or workload of this scenario; drag one from the list").arg(target_text));
    return false;
  }
  const auto wave_name = QString::fromStdString(doc_->scenario()->plan.waves[wave].name);
  const bool ok = doc_->edit(tr("move %1 to %2").arg(QString::fromStdString(target->text(*doc_->scenario())), wave_name),
                             [&](models::Scenario& s) { return moveToWave(s, *target, wave, mode); });
  if (!ok) emit editRefused(doc_->lastError());
  // Nothing for the view to insert: the document's change rebuilt the rows.
  return false;
}

bool PlanModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (role != Qt::EditRole || index.column() != Mode || index.data(KindRole).toString() != QLatin1String("change"))
    return false;
  const auto mode = models::meshModeFrom(value.toString().trimmed().toStdString());
  if (!mode) {
    emit editRefused(tr("set mode: %1: not a data-plane mode; use none, sidecar or ambient").arg(value.toString()));
    return false;
  }
  const auto wave = static_cast<std::size_t>(index.data(WaveRole).toInt());
  const auto change = static_cast<std::size_t>(index.data(IndexRole).toInt());
  const bool ok = doc_->edit(tr("set mode of %1 to %2").arg(index.siblingAtColumn(Step).data().toString(), value.toString()),
                             [&](models::Scenario& s) { return setChangeMode(s, wave, change, *mode); });
  if (!ok) emit editRefused(doc_->lastError());
  return ok;
}

}  // namespace meshtwin::gui
