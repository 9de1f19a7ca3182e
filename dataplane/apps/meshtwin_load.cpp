// meshtwin-load: entry point; the program lives in meshtwin::dataplane_apps.
#include <iostream>

#include "meshtwin/dataplane/apps/load_generator.hpp"

int main(int argc, char** argv) { return meshtwin::dataplane::apps::runLoadProgram(argc, argv, std::cout, std::cerr); }
