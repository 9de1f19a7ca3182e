// TLS for HBONE and Istio mTLS: contexts built from a workload certificate and the mesh
// root, TLS 1.3 only, ALPN, and peer verification at the node's clock with SPIFFE identity.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "meshtwin/dataplane/asio.hpp"
#include "meshtwin/dataplane/ca.hpp"

namespace meshtwin::dataplane {

// The node's clock. Tests skew it; production passes the system clock.
using Clock = std::function<UnixTime()>;
UnixTime systemNow();

// What a proxy presents and trusts. `certificate` is absent for a TLS client without
// identity (a plaintext peer does not reach here at all).
struct TlsCredentials {
  std::optional<IssuedCertificate> certificate;
  Certificate root;
};

enum class TlsRole { Client, Server };

// The ALPN protocols meshtwin speaks: "h2" for HBONE (Istio's ztunnel offers only h2), and
// "istio" for sidecar-to-sidecar mTLS carrying the application's bytes.
inline constexpr const char* kAlpnH2 = "h2";
inline constexpr const char* kAlpnIstio = "istio";

// An SSL context and what its verification callback needs; the callback points here, so
// the object must outlive every connection made with it (hold the shared_ptr).
struct TlsContext {
  explicit TlsContext(asio::ssl::context::method m) : ssl(m) {}
  asio::ssl::context ssl;
  Certificate root{nullptr};
  Clock clock;
  std::vector<unsigned char> alpn_wire;  // length-prefixed protocol names
};

// A context that requires a peer certificate chaining to `creds.root` as of `clock()` and
// carrying exactly one SPIFFE URI SAN. A server picks the first of its `alpn` the client
// offers and refuses a client that offers none of them.
Result<std::shared_ptr<TlsContext>> makeTlsContext(TlsRole role, const TlsCredentials& creds,
                                                 const std::vector<std::string>& alpn, Clock clock);

// After a completed handshake: the peer's verified identity (verification ran during the
// handshake with the same rules), and the negotiated ALPN ("" when none).
Result<WorkloadIdentity> peerIdentity(SSL* ssl);
std::string negotiatedAlpn(SSL* ssl);
// Why the handshake's verification failed, as verifyPeer said it (clock, chain, SAN), or ""
// when verification did not fail. Kept on the SSL object because OpenSSL's own text
// ("certificate verify failed") does not say why.
std::string verifyFailure(SSL* ssl);

}  // namespace meshtwin::dataplane
