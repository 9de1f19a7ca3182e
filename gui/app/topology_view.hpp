// The topology view: draws a TopologyLayout (zones, nodes, pods, ztunnels, waypoints,
// traffic edges); wheel zooms, dragging the background pans, clicking selects.
#pragma once

#include <QGraphicsView>

#include "meshtwin/gui/topology_layout.hpp"

namespace meshtwin::gui {

class TopologyView : public QGraphicsView {
  Q_OBJECT

 public:
  explicit TopologyView(QWidget* parent = nullptr);
  ~TopologyView() override;
  void setTopology(TopologyLayout layout);
  // Selects the items `key` names (an object and its group), without emitting.
  void selectKey(const QString& key);
  [[nodiscard]] const TopologyLayout& topology() const { return layout_; }
  [[nodiscard]] QStringList selectedKeys() const;

 signals:
  void objectSelected(const QString& key);

 protected:
  void wheelEvent(QWheelEvent* e) override;
  void resizeEvent(QResizeEvent* e) override;

 private:
  void onSceneSelection();
  TopologyLayout layout_;
  std::vector<QGraphicsItem*> halos_;  // drawn around the selected items, which are small
  bool selecting_ = false;
  bool zoomed_ = false;  // the user zoomed: layouts no longer fit the view  // selectKey is running: the scene's selection signal is ours
};

}  // namespace meshtwin::gui
