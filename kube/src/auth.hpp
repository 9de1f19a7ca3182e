// Credentials for each request, as client-go's transport adds them: a bearer token (static
// or re-read from tokenFile), basic auth, or an exec plugin's token or certificate.
#pragma once

#include <memory>
#include <string>

#include "meshtwin/kube/exec_credential.hpp"
#include "meshtwin/kube/kubeconfig.hpp"

namespace meshtwin::kube {

struct Credentials {
  std::string authorization;  // the Authorization header value, "" for none
  std::string client_cert_pem, client_key_pem;  // from an exec plugin; "" for the kubeconfig's own
};

class Authenticator {
 public:
  Authenticator(const ClusterAccess& access, ExecCacheOptions exec_options);
  [[nodiscard]] Result<Credentials> credentials() const;
  // After a 401: forget what may be stale. True when a second try may succeed.
  [[nodiscard]] bool onUnauthorized() const;

 private:
  std::string token_, token_file_, basic_;
  std::shared_ptr<ExecCredentialCache> exec_;
};

}  // namespace meshtwin::kube
