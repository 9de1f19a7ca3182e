// The result charts: per phase, stacked mesh CPU and memory by component, p50/p99 per
// entry point against its gate, monthly cost and nodes needed, error rate; and the time
// series of one rollout window. Rebuilt from the report as phases arrive.
#pragma once

#include <QWidget>
#include <optional>

#include "meshtwin/models/report.hpp"
#include "meshtwin/models/scenario.hpp"

class QChartView;
class QComboBox;
class QLabel;

namespace meshtwin::gui {

class ResultsView : public QWidget {
  Q_OBJECT

 public:
  explicit ResultsView(QWidget* parent = nullptr);
  // `s` gives the gates' thresholds (SLO lines); may be null.
  void setReport(const models::Report& r, const models::Scenario* s);
  void clear();
  [[nodiscard]] const models::Report& report() const { return report_; }
  // The charts drawn into one image (PNG export) or onto PDF pages.
  [[nodiscard]] QImage renderImage();
  [[nodiscard]] QString exportPdf(const QString& path);

 private:
  void showTimeline();
  QChartView* cpu_ = nullptr;
  QChartView* memory_ = nullptr;
  QChartView* latency_ = nullptr;
  QChartView* cost_ = nullptr;
  QChartView* errors_ = nullptr;
  QChartView* timeline_ = nullptr;
  QComboBox* timeline_phase_ = nullptr;
  QLabel* summary_ = nullptr;
  QString picked_phase_;  // the timeline phase the user chose, kept while phases arrive
  models::Report report_;
  std::optional<models::Scenario> scenario_;
};

}  // namespace meshtwin::gui
