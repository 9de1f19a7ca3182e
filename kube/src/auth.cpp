// The Authenticator: which credential a request carries.
#include "auth.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "meshtwin/kube/base64.hpp"

namespace meshtwin::kube {

namespace {

std::optional<std::string> readToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  std::string token = s.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  return token;
}

}  // namespace

Authenticator::Authenticator(const ClusterAccess& access, ExecCacheOptions exec_options)
    : token_(access.token), token_file_(access.token_file) {
  if (!access.username.empty()) basic_ = base64Encode(access.username + ":" + access.password);
  if (access.exec) exec_ = std::make_shared<ExecCredentialCache>(*access.exec, std::move(exec_options));
}

Result<Credentials> Authenticator::credentials() const {
  Credentials out;
  if (exec_) {
    auto cred = exec_->get();
    if (!cred) return cred.error();
    if (!cred->token.empty()) out.authorization = "Bearer " + cred->token;
    out.client_cert_pem = cred->client_certificate_pem;
    out.client_key_pem = cred->client_key_pem;
    return out;
  }
  if (!token_file_.empty()) {
    // Re-read every time: projected service account tokens are rotated in place.
    auto token = readToken(token_file_);
    if (token && !token->empty()) return Credentials{"Bearer " + *token, "", ""};
    if (token_.empty())
      return Error{Error::Kind::Config, 0, "", token_file_, "",
                   token ? "tokenFile is empty" : std::string("cannot read tokenFile: ") + std::strerror(errno),
                   "users[].user.tokenFile in the kubeconfig names it"};
  }
  if (!token_.empty()) out.authorization = "Bearer " + token_;
  else if (!basic_.empty()) out.authorization = "Basic " + basic_;
  return out;
}

bool Authenticator::onUnauthorized() const {
  if (!exec_) return false;
  exec_->invalidate();
  return true;
}

}  // namespace meshtwin::kube
