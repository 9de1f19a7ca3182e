// meshtwin-proxy: entry point; the program lives in meshtwin::dataplane_apps.
#include <iostream>

#include "meshtwin/dataplane/apps/proxy_program.hpp"

int main(int argc, char** argv) { return meshtwin::dataplane::apps::runProxyProgram(argc, argv, std::cout, std::cerr); }
