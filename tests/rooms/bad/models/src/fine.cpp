// A file that keeps the rule.
#include "meshtwin/models/scenario.hpp"
