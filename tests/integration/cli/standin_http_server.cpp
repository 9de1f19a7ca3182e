// Compiles the stand-in HTTP server of tests/support once for this test executable (the test
// CMake globs this folder only).
#include "../../support/kube_standin_http.cpp"  // NOLINT(bugprone-suspicious-include)
