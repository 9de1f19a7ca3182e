// A file that breaks the rule, for the guard's own test.
#include "meshtwin/dataplane/tls.hpp"
