// meshtwin-gui [SCENARIO]: the desktop planner.
#include <QApplication>
#include <QCommandLineParser>

#include "main_window.hpp"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("meshtwin-gui"));
  QApplication::setApplicationVersion(QStringLiteral(MESHTWIN_VERSION));
  QCommandLineParser cli;
  cli.setApplicationDescription(QStringLiteral("Plan an Istio sidecar -> ambient migration: edit the scenario's plan, "
                                               "simulate it, read and compare the results."));
  cli.addHelpOption();
  cli.addVersionOption();
  cli.addPositionalArgument(QStringLiteral("SCENARIO"), QStringLiteral("scenario file to open (meshtwin/v1 YAML)"),
                            QStringLiteral("[SCENARIO]"));
  cli.process(app);
  meshtwin::gui::MainWindow w;
  if (!cli.positionalArguments().isEmpty()) w.openScenario(cli.positionalArguments().front());
  w.show();
  return QApplication::exec();
}
