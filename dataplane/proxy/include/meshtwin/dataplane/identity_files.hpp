// Identities on disk: the CA's own directory (root key and certificate) and a proxy's
// identity directory (the mesh root and one certificate and key per service account), as
// `meshtwin ca init` and `meshtwin ca issue` write them and the proxies read them.
#pragma once

#include <string>
#include <vector>

#include "meshtwin/dataplane/ca.hpp"
#include "meshtwin/dataplane/ztunnel.hpp"

namespace meshtwin::dataplane {

// CA directory: DIR/root.pem (certificate) and DIR/root.key (private key, mode 0600).
inline constexpr const char* kRootCertFile = "root.pem";
inline constexpr const char* kRootKeyFile = "root.key";

Result<bool> writeCaDir(const std::string& dir, const CertificateAuthority& ca);
Result<CertificateAuthority> readCaDir(const std::string& dir, const CaOptions& options = {});

// Identity directory: DIR/root.pem, and DIR/<ns>/<sa>.crt with DIR/<ns>/<sa>.key (0600) for
// each certificate. Every file is written to a temporary name and renamed, so a proxy that
// re-reads the directory on reload never sees half a file.
Result<bool> writeIdentityDir(const std::string& dir, const Certificate& root,
                              const std::vector<IssuedCertificate>& certificates);
// Reads every <ns>/<sa>.crt with its key; a certificate whose SPIFFE identity does not name
// the service account its path names, or whose key does not match it, is an error.
Result<ProxyIdentity> readIdentityDir(const std::string& dir);

// Writes `text` to `path` through a temporary file and rename; `mode` as for chmod.
Result<bool> writeFileAtomically(const std::string& path, const std::string& text, unsigned mode = 0644);

}  // namespace meshtwin::dataplane
