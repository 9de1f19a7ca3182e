// meshtwin: command-line entry point.
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) { return meshtwin::cli::run(argc, argv, std::cout, std::cerr); }
