// meshtwin-app: entry point; the program lives in meshtwin::dataplane_apps.
#include <iostream>

#include "meshtwin/dataplane/apps/test_app.hpp"

int main(int argc, char** argv) { return meshtwin::dataplane::apps::runAppProgram(argc, argv, std::cout, std::cerr); }
