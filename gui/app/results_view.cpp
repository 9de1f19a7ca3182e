// ResultsView: Qt Charts built from presentResults / presentTimeline.
#include "results_view.hpp"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
#include <QLineSeries>
#include <QPainter>
#include <QPdfWriter>
#include <QStackedBarSeries>
#include <QValueAxis>
#include <algorithm>

#include "meshtwin/gui/results_presenter.hpp"

namespace meshtwin::gui {
namespace {

const QColor kComponentColors[] = {{0xef, 0x6c, 0x00}, {0x15, 0x65, 0xc0}, {0x7b, 0x1f, 0xa2}};

QChartView* chartView(const QString& name, const QString& title) {
  auto* chart = new QChart;
  chart->setTitle(title);
  chart->setAnimationOptions(QChart::NoAnimation);
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->setMargins(QMargins(4, 4, 4, 4));
  auto* v = new QChartView(chart);
  v->setObjectName(name);
  v->setRenderHint(QPainter::Antialiasing);
  v->setMinimumSize(320, 220);
  return v;
}

// Replaces a chart's series and axes; returns the chart.
QChart* reset(QChartView* v) {
  auto* c = v->chart();
  c->removeAllSeries();
  for (auto* a : c->axes()) {
    c->removeAxis(a);
    delete a;
  }
  return c;
}

// Phase names on the x axis, short enough to stay readable: a rollout window is "↻ <wave>".
QBarCategoryAxis* phaseAxis(QChart* c, const QStringList& phases) {
  auto* x = new QBarCategoryAxis;
  QStringList labels;
  for (auto p : phases) labels << p.replace(QStringLiteral("rollout "), QStringLiteral("\u21bb "));
  x->append(labels);
  x->setLabelsAngle(-35);
  QFont f = x->labelsFont();
  f.setPointSize(7);
  x->setLabelsFont(f);
  c->addAxis(x, Qt::AlignBottom);
  return x;
}

QValueAxis* valueAxis(QChart* c, const QString& title, Qt::Alignment side = Qt::AlignLeft) {
  auto* y = new QValueAxis;
  y->setTitleText(title);
  y->setLabelFormat(QStringLiteral("%.0f"));
  c->addAxis(y, side);
  return y;
}

void stacked(QChartView* v, const QStringList& phases, const std::vector<StackedSeries>& data, const QString& unit) {
  auto* c = reset(v);
  auto* series = new QStackedBarSeries;
  double max_total = 0;
  for (std::size_t k = 0; k < data.size(); ++k) {
    auto* set = new QBarSet(data[k].component);
    set->setColor(kComponentColors[k % 3]);
    for (double x : data[k].values) *set << x;
    series->append(set);
  }
  for (int p = 0; p < phases.size(); ++p) {
    double total = 0;
    for (const auto& d : data) total += d.values[static_cast<std::size_t>(p)];
    max_total = std::max(max_total, total);
  }
  c->addSeries(series);
  series->attachAxis(phaseAxis(c, phases));
  auto* y = valueAxis(c, unit);
  y->setRange(0, max_total > 0 ? max_total * 1.1 : 1);
  series->attachAxis(y);
}

}  // namespace

ResultsView::ResultsView(QWidget* parent) : QWidget(parent) {
  auto* grid = new QGridLayout(this);
  summary_ = new QLabel(tr("No results yet: press Run to simulate the plan."));
  summary_->setObjectName(QStringLiteral("results-summary"));
  summary_->setWordWrap(true);
  cpu_ = chartView(QStringLiteral("chart-cpu"), tr("Mesh CPU by component (millicores)"));
  memory_ = chartView(QStringLiteral("chart-memory"), tr("Mesh memory by component (MiB)"));
  latency_ = chartView(QStringLiteral("chart-latency"), tr("Latency per entry point vs gate (ms)"));
  cost_ = chartView(QStringLiteral("chart-cost"), tr("Monthly cost (USD) and nodes needed"));
  errors_ = chartView(QStringLiteral("chart-errors"), tr("Error rate (%)"));
  timeline_ = chartView(QStringLiteral("chart-timeline"), tr("Rollout timeline"));
  timeline_phase_ = new QComboBox;
  timeline_phase_->setObjectName(QStringLiteral("timeline-phase"));
  connect(timeline_phase_, &QComboBox::currentIndexChanged, this, &ResultsView::showTimeline);
  connect(timeline_phase_, &QComboBox::activated, this, [this] { picked_phase_ = timeline_phase_->currentText(); });
  grid->addWidget(summary_, 0, 0, 1, 2);
  grid->addWidget(cpu_, 1, 0);
  grid->addWidget(memory_, 1, 1);
  grid->addWidget(latency_, 2, 0);
  grid->addWidget(cost_, 2, 1);
  grid->addWidget(errors_, 3, 0);
  auto* tl = new QWidget;
  auto* tl_layout = new QGridLayout(tl);
  tl_layout->setContentsMargins(0, 0, 0, 0);
  tl_layout->addWidget(new QLabel(tr("Phase:")), 0, 0);
  tl_layout->addWidget(timeline_phase_, 0, 1);
  tl_layout->addWidget(timeline_, 1, 0, 1, 2);
  tl_layout->setColumnStretch(1, 1);
  grid->addWidget(tl, 3, 1);
}

void ResultsView::clear() {
  picked_phase_.clear();
  setReport({}, nullptr);
}

void ResultsView::setReport(const models::Report& r, const models::Scenario* s) {
  report_ = r;
  if (s) scenario_ = *s;
  else scenario_.reset();
  const auto d = presentResults(r, s);
  if (r.phases.empty()) summary_->setText(tr("No results yet: press Run to simulate the plan."));
  else {
    const auto& last = r.phases.back();
    int failing = 0;
    for (const auto& p : r.phases) {
      for (const auto& g : p.gates) failing += g.holds ? 0 : 1;
    }
    summary_->setText(tr("%1 phase(s) simulated; latest %2: mesh CPU %3 m, mesh memory %4 MiB, %5 node(s), "
                         "%6 USD/month compute + %7 USD/month cross-zone; %8 gate(s) failing")
                          .arg(r.phases.size())
                          .arg(QString::fromStdString(last.name))
                          .arg(last.mesh_cpu_millicores, 0, 'f', 0)
                          .arg(last.mesh_memory_bytes / 1048576.0, 0, 'f', 0)
                          .arg(last.nodes_needed)
                          .arg(last.compute_usd_per_month, 0, 'f', 0)
                          .arg(last.cross_zone_usd_per_month, 0, 'f', 0)
                          .arg(failing));
  }
  stacked(cpu_, d.phases, d.cpu_millicores, tr("millicores"));
  stacked(memory_, d.phases, d.memory_mib, tr("MiB"));

  // Latency: lines per entry point and percentile over the phases, gates dashed.
  {
    auto* c = reset(latency_);
    // Lines over the same phase categories as the bar charts (x = phase index).
    auto* x = phaseAxis(c, d.phases);
    auto* y = valueAxis(c, tr("ms"));
    double max_ms = 1;
    auto addLine = [&](const QString& name, const std::vector<double>& values, Qt::PenStyle style) {
      auto* line = new QLineSeries;
      line->setName(name);
      for (std::size_t i = 0; i < values.size(); ++i) {
        line->append(static_cast<double>(i), values[i]);
        max_ms = std::max(max_ms, values[i]);
      }
      c->addSeries(line);
      line->attachAxis(x);
      line->attachAxis(y);
      QPen pen = line->pen();
      pen.setStyle(style);
      pen.setWidthF(style == Qt::SolidLine ? 2.5 : 1.5);
      line->setPen(pen);
      return line;
    };
    for (const auto& e : d.latency) {
      addLine(e.entry + QStringLiteral(" p50"), e.p50_ms, Qt::SolidLine);
      addLine(e.entry + QStringLiteral(" p99"), e.p99_ms, Qt::SolidLine);
      for (const auto& [slo, pct] : {std::make_pair(&e.slo_p99_ms, "p99"), std::make_pair(&e.slo_p50_ms, "p50")}) {
        std::vector<double> gate;
        bool any = false;
        for (const auto& v : *slo) {
          any = any || v.has_value();
          gate.push_back(v.value_or(0));
        }
        if (!any) continue;
        auto* line = new QLineSeries;
        line->setName(e.entry + QStringLiteral(" %1 gate").arg(QLatin1String(pct)));
        for (std::size_t i = 0; i < slo->size(); ++i) {
          if ((*slo)[i]) {
            line->append(static_cast<double>(i), *(*slo)[i]);
            max_ms = std::max(max_ms, *(*slo)[i]);
          }
        }
        c->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
        QPen pen(QColor(0xc6, 0x28, 0x28), 1.5, Qt::DashLine);
        line->setPen(pen);
      }
    }
    y->setRange(0, max_ms * 1.1);
  }

  // Cost: compute and cross-zone stacked; nodes needed as a line on the right axis.
  {
    auto* c = reset(cost_);
    auto* series = new QStackedBarSeries;
    auto* compute = new QBarSet(tr("compute"));
    auto* xzone = new QBarSet(tr("cross-zone"));
    compute->setColor(QColor(0x45, 0x5a, 0x64));
    xzone->setColor(QColor(0xd3, 0x2f, 0x2f));
    double max_usd = 1;
    for (std::size_t i = 0; i < d.compute_usd_per_month.size(); ++i) {
      *compute << d.compute_usd_per_month[i];
      *xzone << d.cross_zone_usd_per_month[i];
      max_usd = std::max(max_usd, d.compute_usd_per_month[i] + d.cross_zone_usd_per_month[i]);
    }
    series->append(compute);
    series->append(xzone);
    c->addSeries(series);
    auto* x = phaseAxis(c, d.phases);
    series->attachAxis(x);
    auto* y = valueAxis(c, tr("USD/month"));
    y->setRange(0, max_usd * 1.15);
    series->attachAxis(y);
    auto* nodes = new QLineSeries;
    nodes->setName(tr("nodes needed"));
    double max_nodes = 1;
    for (std::size_t i = 0; i < d.nodes_needed.size(); ++i) {
      nodes->append(static_cast<double>(i), d.nodes_needed[i]);
      max_nodes = std::max(max_nodes, d.nodes_needed[i]);
    }
    c->addSeries(nodes);
    nodes->attachAxis(x);
    auto* yn = valueAxis(c, tr("nodes"), Qt::AlignRight);
    yn->setRange(0, max_nodes + 1);
    nodes->attachAxis(yn);
    nodes->setPen(QPen(QColor(0x2e, 0x7d, 0x32), 2.5));
  }

  // Error rate per phase.
  {
    auto* c = reset(errors_);
    auto* series = new QBarSeries;
    auto* set = new QBarSet(tr("errors %"));
    set->setColor(QColor(0xc6, 0x28, 0x28));
    double max_pct = 0.1;
    for (double v : d.error_percent) {
      *set << v;
      max_pct = std::max(max_pct, v);
    }
    series->append(set);
    c->addSeries(series);
    series->attachAxis(phaseAxis(c, d.phases));
    auto* y = valueAxis(c, tr("%"));
    y->setLabelFormat(QStringLiteral("%.2f"));
    y->setRange(0, max_pct * 1.2);
    series->attachAxis(y);
  }

  // Timeline: the phases with a series; the user's pick while it exists, else the first
  // rollout window (where restarts happen).
  timeline_phase_->blockSignals(true);
  timeline_phase_->clear();
  for (const auto& p : r.phases) {
    if (!p.series.empty()) timeline_phase_->addItem(QString::fromStdString(p.name));
  }
  int pick = picked_phase_.isEmpty() ? -1 : timeline_phase_->findText(picked_phase_);
  if (pick < 0) {
    pick = 0;
    for (int i = 0; i < timeline_phase_->count(); ++i) {
      if (timeline_phase_->itemText(i).startsWith(QLatin1String("rollout "))) {
        pick = i;
        break;
      }
    }
  }
  timeline_phase_->setCurrentIndex(timeline_phase_->count() ? pick : -1);
  timeline_phase_->blockSignals(false);
  showTimeline();
}

void ResultsView::showTimeline() {
  auto* c = reset(timeline_);
  const auto name = timeline_phase_->currentText().toStdString();
  const auto it = std::find_if(report_.phases.begin(), report_.phases.end(),
                               [&](const models::PhaseReport& p) { return p.name == name; });
  if (it == report_.phases.end()) {
    c->setTitle(tr("Rollout timeline (run with a series step to see one)"));
    return;
  }
  const auto t = presentTimeline(*it);
  c->setTitle(tr("Timeline of %1").arg(t.phase));
  auto* x = new QValueAxis;
  x->setTitleText(tr("s into the window"));
  x->setLabelFormat(QStringLiteral("%.0f"));
  c->addAxis(x, Qt::AlignBottom);
  auto* y = valueAxis(c, tr("ms / errors %"));
  auto* yr = valueAxis(c, tr("waypoint replicas"), Qt::AlignRight);
  double max_t = 1, max_y = 1, max_r = 1;
  auto add = [&](const QString& series_name, const std::vector<QPointF>& pts, QValueAxis* axis, const QPen& pen) {
    auto* line = new QLineSeries;
    line->setName(series_name);
    for (const auto& p : pts) {
      line->append(p);
      max_t = std::max(max_t, p.x());
      (axis == yr ? max_r : max_y) = std::max(axis == yr ? max_r : max_y, p.y());
    }
    c->addSeries(line);
    line->attachAxis(x);
    line->attachAxis(axis);
    line->setPen(pen);
  };
  add(tr("p50 ms"), t.p50_ms, y, QPen(QColor(0x00, 0x89, 0x7b), 2));
  add(tr("p99 ms"), t.p99_ms, y, QPen(QColor(0x0d, 0x47, 0xa1), 2));
  add(tr("errors %"), t.error_percent, y, QPen(QColor(0xc6, 0x28, 0x28), 2));
  for (const auto& [wp, pts] : t.waypoint_replicas) add(wp + tr(" replicas"), pts, yr, QPen(kComponentColors[2], 2, Qt::DashLine));
  x->setRange(0, max_t);
  y->setRange(0, max_y * 1.1);
  yr->setRange(0, max_r + 1);
  yr->setLabelFormat(QStringLiteral("%d"));
}

QImage ResultsView::renderImage() {
  QImage img(size() * 2, QImage::Format_ARGB32);
  img.setDevicePixelRatio(2);
  img.fill(Qt::white);
  QPainter p(&img);
  render(&p);
  return img;
}

QString ResultsView::exportPdf(const QString& path) {
  QPdfWriter pdf(path);
  pdf.setPageSize(QPageSize(QPageSize::A4));
  pdf.setPageOrientation(QPageLayout::Landscape);
  pdf.setTitle(tr("meshtwin results: %1").arg(QString::fromStdString(report_.scenario)));
  QPainter p;
  if (!p.begin(&pdf)) return tr("export PDF: %1: cannot write the file; choose a folder you can write to").arg(path);
  const auto img = renderImage();
  const QRect page = p.viewport();
  const QSize fitted = img.size().scaled(page.size(), Qt::KeepAspectRatio);
  p.drawImage(QRect(page.topLeft(), fitted), img);
  p.end();
  return {};
}

}  // namespace meshtwin::gui
