// The cost of one mTLS connection set-up as the proxies make it: TCP connect and accept, then
// a TLS 1.3 handshake with ECDSA P-256 workload certificates, SPIFFE verification and ALPN,
// using the proxies' own TLS contexts. `meshtwin calibrate` turns it into cpuPerConnection.
#pragma once

#include "meshtwin/testbed/system.hpp"

namespace meshtwin::testbed {

struct HandshakeCost {
  int handshakes = 0;
  double client_cpu_ns = 0;  // CPU time per handshake on the connecting side (thread CPU clock)
  double server_cpu_ns = 0;  // on the accepting side
  double wall_ns = 0;        // per handshake, both sides on loopback
};

// Runs `count` handshakes on 127.0.0.1 (port 0) between two threads of this process.
Result<HandshakeCost> measureHandshakes(int count);

}  // namespace meshtwin::testbed
