// writeReportJson: the same JSON the CLI's --json writes, through QSaveFile.
#include "meshtwin/gui/report_file.hpp"

#include <QObject>
#include <QSaveFile>

namespace meshtwin::gui {

QString writeReportJson(const models::Report& r, const QString& path) {
  if (r.phases.empty()) return QObject::tr("export report: %1: no phase simulated yet; run the plan first").arg(path);
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly))
    return QObject::tr("export report: %1: %2; choose a folder you can write to").arg(path, f.errorString());
  f.write(QByteArray::fromStdString(models::toJson(r).dump(2) + "\n"));
  if (!f.commit()) return QObject::tr("export report: %1: %2; check free space and permissions").arg(path, f.errorString());
  return {};
}

}  // namespace meshtwin::gui
