// SimulationRunner: one QThread per run; results cross to the GUI thread as queued calls.
#include "meshtwin/gui/simulation_runner.hpp"

#include <QThread>

namespace meshtwin::gui {

SimulationRunner::SimulationRunner(QObject* parent) : QObject(parent) {}

SimulationRunner::~SimulationRunner() {
  if (thread_) {
    cancel_ = true;
    thread_->wait();
    delete thread_;
  }
}

bool SimulationRunner::start(const models::Scenario& s, const sim::SimOptions& opts) {
  if (thread_) return false;
  cancel_ = false;
  report_ = {};
  report_.generator = "meshtwin-gui";
  report_.scenario = s.name;
  report_.scenario_file = s.file;
  report_.profile = s.profile.name;
  report_.profile_kind = s.profile.provenance.kind;
  report_.seed = opts.seed ? opts.seed : s.seed;
  const int total = static_cast<int>(sim::phaseCount(s, opts));
  clock_.start();
  thread_ = QThread::create([this, s, opts] {
    sim::RunControl control;
    control.cancelled = [this] { return cancel_.load(std::memory_order_relaxed); };
    control.phase_done = [this](const models::PhaseReport& pr, std::size_t index, std::size_t total_phases) {
      QMetaObject::invokeMethod(
          this,
          [this, pr, index, total_phases] {
            report_.phases.push_back(pr);
            emit phaseReady(static_cast<int>(index), static_cast<int>(total_phases));
          },
          Qt::QueuedConnection);
    };
    const bool complete = sim::simulateScenario(s, opts, control).has_value();
    QMetaObject::invokeMethod(
        this,
        [this, complete] {
          thread_->wait();
          delete thread_;
          thread_ = nullptr;
          last_wall_ms_ = clock_.elapsed();
          if (complete) emit finished();
          else emit cancelled();
        },
        Qt::QueuedConnection);
  });
  thread_->start();
  emit started(total);
  return true;
}

void SimulationRunner::cancel() { cancel_ = true; }

}  // namespace meshtwin::gui
