// Catch2 main for the GUI tests: one QApplication for every test, offscreen unless the
// test command asks for a real X server (QT_QPA_PLATFORM=xcb under xvfb-run).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <QApplication>

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  return Catch::Session().run(argc, argv);
}
