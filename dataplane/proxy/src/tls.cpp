// TLS contexts for the proxies: TLS 1.3, ALPN, no resumption (as Istio's ztunnel), and a
// certificate verification callback that runs verifyPeer at the node's clock.
#include "meshtwin/dataplane/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace meshtwin::dataplane {
namespace {

// What verification learnt about the peer, kept on the SSL object.
struct PeerInfo {
  std::optional<WorkloadIdentity> identity;
  std::string failure;
};

int peerInfoIndex() {
  static const int index = SSL_get_ex_new_index(
      0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<PeerInfo*>(ptr);  // NOLINT(cppcoreguidelines-owning-memory)
      });
  return index;
}

PeerInfo& peerInfo(SSL* ssl) {
  auto* info = static_cast<PeerInfo*>(SSL_get_ex_data(ssl, peerInfoIndex()));
  if (info == nullptr) {
    info = new PeerInfo();  // NOLINT(cppcoreguidelines-owning-memory): freed by the ex_data callback
    SSL_set_ex_data(ssl, peerInfoIndex(), info);
  }
  return *info;
}

int verifyCallback(X509_STORE_CTX* store, void* arg) {
  const auto* ctx = static_cast<const TlsContext*>(arg);
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  std::vector<Certificate> chain;
  if (X509* leaf = X509_STORE_CTX_get0_cert(store); leaf != nullptr && X509_up_ref(leaf) == 1) chain.emplace_back(leaf);
  if (STACK_OF(X509)* rest = X509_STORE_CTX_get0_untrusted(store); rest != nullptr) {
    for (int i = 0; i < sk_X509_num(rest); ++i) {
      X509* c = sk_X509_value(rest, i);
      if (c != X509_STORE_CTX_get0_cert(store) && X509_up_ref(c) == 1) chain.emplace_back(c);
    }
  }
  auto id = verifyPeer(chain, ctx->root, ctx->clock());
  PeerInfo& info = peerInfo(ssl);
  if (!id) {
    info.failure = id.error().text();
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  info.identity = std::move(id.value());
  return 1;
}

int alpnSelect(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
               void* arg) {
  const auto* ctx = static_cast<const TlsContext*>(arg);
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, ctx->alpn_wire.data(), static_cast<unsigned>(ctx->alpn_wire.size()), in,
                            inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol: fail closed
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

UnixTime systemNow() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

Result<std::shared_ptr<TlsContext>> makeTlsContext(TlsRole role, const TlsCredentials& creds,
                                                   const std::vector<std::string>& alpn, Clock clock) {
  const std::string what = role == TlsRole::Server ? "TLS server context" : "TLS client context";
  const std::string object = creds.certificate ? creds.certificate->identity.uri() : std::string("no identity");
  auto ctx = std::make_shared<TlsContext>(role == TlsRole::Server ? asio::ssl::context::tls_server
                                                                  : asio::ssl::context::tls_client);
  ctx->root = creds.root;
  ctx->clock = std::move(clock);
  for (const auto& p : alpn) {
    ctx->alpn_wire.push_back(static_cast<unsigned char>(p.size()));
    ctx->alpn_wire.insert(ctx->alpn_wire.end(), p.begin(), p.end());
  }
  SSL_CTX* native = ctx->ssl.native_handle();
  auto fail = [&](const std::string& step) {
    return Error{what, object, step + " failed: " + opensslErrors(), {}};
  };
  if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1) {
    return fail("restricting to TLS 1.3");
  }
  // No resumption: a resumed session skips verification, and ztunnel disables it too.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(native, 0);
  if (creds.certificate) {
    if (SSL_CTX_use_certificate(native, creds.certificate->certificate.native()) != 1) return fail("loading the certificate");
    if (SSL_CTX_use_PrivateKey(native, creds.certificate->key.native()) != 1) return fail("loading the private key");
    if (SSL_CTX_check_private_key(native) != 1) return fail("matching key and certificate");
  }
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(native, verifyCallback, ctx.get());
  if (role == TlsRole::Server) {
    SSL_CTX_set_alpn_select_cb(native, alpnSelect, ctx.get());
  } else if (!ctx->alpn_wire.empty() &&
             SSL_CTX_set_alpn_protos(native, ctx->alpn_wire.data(), static_cast<unsigned>(ctx->alpn_wire.size())) != 0) {
    return fail("setting ALPN");
  }
  return ctx;
}

Result<WorkloadIdentity> peerIdentity(SSL* ssl) {
  const PeerInfo& info = peerInfo(ssl);
  if (info.identity) return *info.identity;
  return Error{"peer identity", "TLS connection",
               info.failure.empty() ? std::string("the peer was not verified") : info.failure, {}};
}

std::string negotiatedAlpn(SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &data, &len);
  return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), len);
}

std::string verifyFailure(SSL* ssl) { return peerInfo(ssl).failure; }

std::string toString(const tcp::endpoint& ep) {
  const auto addr = ep.address();
  return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" + std::to_string(ep.port());
}

std::optional<tcp::endpoint> parseEndpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size()) return std::nullopt;
  std::string host(text.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
    if (port > 65535) return std::nullopt;
  }
  ErrorCode ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return tcp::endpoint(addr, static_cast<unsigned short>(port));
}

}  // namespace meshtwin::dataplane
