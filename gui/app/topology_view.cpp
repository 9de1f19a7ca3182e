// TopologyView: one graphics item per layout item, keyed by its object key.
#include "topology_view.hpp"

#include <QGraphicsEllipseItem>
#include <QGraphicsPathItem>
#include <QGraphicsPolygonItem>
#include <QGraphicsRectItem>
#include <QGraphicsSimpleTextItem>
#include <QWheelEvent>
#include <cmath>

namespace meshtwin::gui {
namespace {

constexpr int kKeySlot = 0;  // QGraphicsItem::data slot holding the object key

QGraphicsSimpleTextItem* label(QGraphicsScene* scene, const QString& text, QPointF at, int point_size, bool bold = false) {
  auto* t = scene->addSimpleText(text);
  QFont f = t->font();
  f.setPointSize(point_size);
  f.setBold(bold);
  t->setFont(f);
  t->setPos(at);
  t->setZValue(5);
  return t;
}

}  // namespace

TopologyView::TopologyView(QWidget* parent) : QGraphicsView(parent) {
  setScene(new QGraphicsScene(this));
  setRenderHint(QPainter::Antialiasing);
  setDragMode(QGraphicsView::ScrollHandDrag);
  setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
  setBackgroundBrush(QColor(0xfb, 0xfc, 0xfd));
  connect(scene(), &QGraphicsScene::selectionChanged, this, &TopologyView::onSceneSelection);
}

// The scene (a child) clears its selection while QObject destroys it, after this class's
// part is gone: stop listening first.
TopologyView::~TopologyView() { scene()->disconnect(this); }

void TopologyView::setTopology(TopologyLayout layout) {
  const QStringList keep = selectedKeys();
  layout_ = std::move(layout);
  selecting_ = true;
  halos_.clear();  // the scene deletes them
  scene()->clear();
  auto* s = scene();
  for (const auto& e : layout_.edges) {
    QPainterPath path(e.from);
    // Bend each edge to the side so both directions of a pair and same-zone edges show.
    const QPointF mid = (e.from + e.to) / 2;
    const QPointF d = e.to - e.from;
    const double len = std::hypot(d.x(), d.y());
    const QPointF normal = len > 0 ? QPointF(-d.y() / len, d.x() / len) : QPointF(0, 0);
    path.quadTo(mid + normal * std::max(40.0, len * 0.15), e.to);
    QColor c = e.cross_zone ? QColor(0xd3, 0x2f, 0x2f) : QColor(0x54, 0x6e, 0x7a);
    c.setAlpha(e.cross_zone ? 120 : 90);
    auto* item = s->addPath(path, QPen(c, e.width_px * 0.6, Qt::SolidLine, Qt::RoundCap));
    item->setZValue(2);
    item->setToolTip(QStringLiteral("%1 calls/s, %2").arg(e.rps, 0, 'f', 1).arg(e.cross_zone ? tr("cross-zone") : tr("same zone")));
    item->setData(kKeySlot, QStringLiteral("edge"));
  }
  for (const auto& it : layout_.items) {
    QAbstractGraphicsShapeItem* g = nullptr;
    const QString key = QString::fromStdString(it.key);
    switch (it.kind) {
      case TopologyItem::Kind::Zone:
        g = s->addRect(it.rect, QPen(QColor(0x90, 0xa4, 0xae), 1.5, Qt::DashLine), it.fill);
        g->setZValue(0);
        label(s, QString::fromStdString(it.label), it.rect.topLeft() + QPointF(10, 6), 11, true);
        break;
      case TopologyItem::Kind::Node:
        g = s->addRect(it.rect, QPen(QColor(0x78, 0x90, 0x9c), 1), it.fill);
        g->setZValue(1);
        label(s, QString::fromStdString(it.label), it.rect.topLeft() + QPointF(8, 4), 8);
        break;
      case TopologyItem::Kind::Pod:
        g = s->addEllipse(it.rect, QPen(it.fill.darker(140), 1), it.fill);
        g->setZValue(3);
        break;
      case TopologyItem::Kind::WaypointPod: {
        const auto r = it.rect;
        QPolygonF diamond({QPointF(r.center().x(), r.top()), QPointF(r.right(), r.center().y()),
                           QPointF(r.center().x(), r.bottom()), QPointF(r.left(), r.center().y())});
        g = s->addPolygon(diamond, QPen(it.fill.darker(140), 1), it.fill);
        g->setZValue(3);
        break;
      }
      case TopologyItem::Kind::Ztunnel:
        g = s->addRect(it.rect, QPen(it.active ? it.fill.darker(150) : QColor(0xcf, 0xd8, 0xdc), 1), it.fill);
        g->setZValue(3);
        label(s, QStringLiteral("ztunnel"), it.rect.topLeft() + QPointF(6, 1), 7)->setOpacity(it.active ? 1 : 0.5);
        break;
    }
    g->setData(kKeySlot, key);
    g->setToolTip(QString::fromStdString(it.tooltip));
    if (it.kind != TopologyItem::Kind::Zone) g->setFlag(QGraphicsItem::ItemIsSelectable);
  }
  // Legend, above the zones.
  const std::pair<QString, QColor> legend[] = {
      {tr("no mesh"), modeColor(models::MeshMode::None)},
      {tr("sidecar"), modeColor(models::MeshMode::Sidecar)},
      {tr("ambient"), modeColor(models::MeshMode::Ambient)},
      {tr("waypoint"), kWaypointColor},
      {tr("cross-zone traffic"), QColor(0xd3, 0x2f, 0x2f)},
      {tr("same-zone traffic"), QColor(0x54, 0x6e, 0x7a)}};
  double x = 0;
  for (const auto& [text, color] : legend) {
    s->addEllipse(x, -28, 12, 12, QPen(color.darker(140)), color);
    auto* t = label(s, text, QPointF(x + 16, -30), 9);
    x += 16 + t->boundingRect().width() + 18;
  }
  s->setSceneRect(layout_.bounds.adjusted(-20, -40, 20, 20));
  // Fit the cluster the first time; later layouts (another phase) keep the user's zoom.
  if (!zoomed_) fitInView(sceneRect(), Qt::KeepAspectRatio);
  selecting_ = false;
  for (const auto& k : keep) selectKey(k);
}

void TopologyView::selectKey(const QString& key) {
  selecting_ = true;
  scene()->clearSelection();
  for (auto* h : halos_) delete h;
  halos_.clear();
  const auto keys = layout_.selectedBy(key.toStdString());
  QGraphicsItem* first = nullptr;
  for (auto* item : scene()->items()) {
    if (!(item->flags() & QGraphicsItem::ItemIsSelectable)) continue;
    if (keys.count(item->data(kKeySlot).toString().toStdString())) {
      item->setSelected(true);
      auto* halo = scene()->addRect(item->sceneBoundingRect().adjusted(-3, -3, 3, 3), QPen(QColor(0xff, 0xb3, 0x00), 2.5));
      halo->setZValue(4);
      halos_.push_back(halo);
      if (!first) first = item;
    }
  }
  if (first) ensureVisible(first);
  selecting_ = false;
}

QStringList TopologyView::selectedKeys() const {
  QStringList out;
  for (auto* item : scene()->selectedItems()) out << item->data(kKeySlot).toString();
  return out;
}

void TopologyView::onSceneSelection() {
  if (selecting_) return;
  const auto items = scene()->selectedItems();
  if (!items.isEmpty()) emit objectSelected(items.front()->data(kKeySlot).toString());
}

void TopologyView::resizeEvent(QResizeEvent* e) {
  QGraphicsView::resizeEvent(e);
  if (!zoomed_) fitInView(sceneRect(), Qt::KeepAspectRatio);
}

void TopologyView::wheelEvent(QWheelEvent* e) {
  zoomed_ = true;
  const double factor = std::pow(1.0015, e->angleDelta().y());
  scale(factor, factor);
}

}  // namespace meshtwin::gui
