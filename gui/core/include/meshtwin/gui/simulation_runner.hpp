// Runs the simulator on a worker thread through the library's RunControl: phases arrive on
// the GUI thread as they finish, Cancel stops within a simulated second, and the window's
// event loop never waits for the simulation.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <atomic>

#include "meshtwin/models/report.hpp"
#include "meshtwin/sim/simulation.hpp"

class QThread;

namespace meshtwin::gui {

class SimulationRunner : public QObject {
  Q_OBJECT

 public:
  explicit SimulationRunner(QObject* parent = nullptr);
  ~SimulationRunner() override;  // cancels a run and waits for its thread

  // Starts simulating a copy of `s`; false when a run is still going.
  bool start(const models::Scenario& s, const sim::SimOptions& opts);
  void cancel();
  [[nodiscard]] bool isRunning() const { return thread_ != nullptr; }
  // The phases delivered so far; the whole report after finished().
  [[nodiscard]] const models::Report& report() const { return report_; }
  // Wall time of the last run, from start to finished() or cancelled().
  [[nodiscard]] qint64 lastRunWallMs() const { return last_wall_ms_; }

 signals:
  void started(int total_phases);
  void phaseReady(int index, int total_phases);
  void finished();
  void cancelled();

 private:
  std::atomic<bool> cancel_{false};
  QThread* thread_ = nullptr;
  models::Report report_;
  QElapsedTimer clock_;
  qint64 last_wall_ms_ = 0;
};

}  // namespace meshtwin::gui
