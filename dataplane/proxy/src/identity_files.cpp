// Reading and writing the CA directory and proxy identity directories as PEM files.
#include "meshtwin/dataplane/identity_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <openssl/x509.h>

namespace meshtwin::dataplane {

namespace fs = std::filesystem;

namespace {

Result<std::string> readText(const fs::path& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{what, path.string(), std::strerror(errno), "check the path and its permissions"};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<bool> makeDir(const fs::path& dir, const std::string& what) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{what, dir.string(), ec.message(), "check that the parent directory is writable"};
  return true;
}

}  // namespace

Result<bool> writeFileAtomically(const std::string& path, const std::string& text, unsigned mode) {
  const std::string what = "write file";
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return Error{what, tmp, std::strerror(errno), "check that the directory exists and is writable"};
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error{what, tmp, std::strerror(e), "is the disk full?"};
    }
    done += static_cast<std::size_t>(n);
  }
  // open() applied the umask; the mode asked for is what a key file needs.
  ::fchmod(fd, static_cast<mode_t>(mode));
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return Error{what, tmp, std::strerror(e), {}};
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return Error{what, path, std::strerror(e), {}};
  }
  return true;
}

Result<bool> writeCaDir(const std::string& dir, const CertificateAuthority& ca) {
  if (auto r = makeDir(dir, "write CA directory"); !r) return r.error();
  auto cert = ca.root().toPem();
  if (!cert) return cert.error();
  auto key = ca.rootKey().toPem();
  if (!key) return key.error();
  if (auto r = writeFileAtomically((fs::path(dir) / kRootKeyFile).string(), key.value(), 0600); !r) return r.error();
  return writeFileAtomically((fs::path(dir) / kRootCertFile).string(), cert.value(), 0644);
}

Result<CertificateAuthority> readCaDir(const std::string& dir, const CaOptions& options) {
  const std::string what = "read CA directory";
  auto cert_pem = readText(fs::path(dir) / kRootCertFile, what);
  if (!cert_pem) {
    auto e = cert_pem.error();
    e.hint = "create one with `meshtwin ca init " + dir + "`";
    return e;
  }
  auto key_pem = readText(fs::path(dir) / kRootKeyFile, what);
  if (!key_pem) return key_pem.error();
  auto cert = Certificate::fromPem(cert_pem.value());
  if (!cert) return Error{what, (fs::path(dir) / kRootCertFile).string(), cert.error().cause, "not a PEM certificate"};
  auto key = PrivateKey::fromPem(key_pem.value());
  if (!key) return Error{what, (fs::path(dir) / kRootKeyFile).string(), key.error().cause, "not a PEM private key"};
  if (X509_check_private_key(cert->native(), key->native()) != 1) {
    return Error{what, dir, "root.key does not belong to root.pem (" + opensslErrors() + ")",
                 "both files must come from the same `meshtwin ca init`"};
  }
  return CertificateAuthority::fromRoot(std::move(cert).value(), std::move(key).value(), options);
}

Result<bool> writeIdentityDir(const std::string& dir, const Certificate& root,
                              const std::vector<IssuedCertificate>& certificates) {
  const std::string what = "write identity directory";
  if (auto r = makeDir(dir, what); !r) return r.error();
  for (const auto& c : certificates) {
    const auto& sa = c.identity.service_account;
    const fs::path ns_dir = fs::path(dir) / sa.ns;
    if (auto r = makeDir(ns_dir, what); !r) return r.error();
    auto cert = c.certificate.toPem();
    if (!cert) return cert.error();
    auto key = c.key.toPem();
    if (!key) return key.error();
    // The key first: a reader that sees the new certificate then finds its key.
    if (auto r = writeFileAtomically((ns_dir / (sa.name + ".key")).string(), key.value(), 0600); !r) return r.error();
    if (auto r = writeFileAtomically((ns_dir / (sa.name + ".crt")).string(), cert.value(), 0644); !r) return r.error();
  }
  auto root_pem = root.toPem();
  if (!root_pem) return root_pem.error();
  return writeFileAtomically((fs::path(dir) / kRootCertFile).string(), root_pem.value(), 0644);
}

Result<ProxyIdentity> readIdentityDir(const std::string& dir) {
  const std::string what = "read identity directory";
  auto root_pem = readText(fs::path(dir) / kRootCertFile, what);
  if (!root_pem) {
    auto e = root_pem.error();
    e.hint = "write it with `meshtwin ca issue SCENARIO --ca CA_DIR --node NODE --out " + dir + "`";
    return e;
  }
  auto root = Certificate::fromPem(root_pem.value());
  if (!root) return Error{what, (fs::path(dir) / kRootCertFile).string(), root.error().cause, "not a PEM certificate"};
  ProxyIdentity identity{std::move(root).value(), {}};
  std::error_code ec;
  std::vector<fs::path> crts;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".crt" && it.depth() == 1) crts.push_back(it->path());
  }
  if (ec) return Error{what, dir, ec.message(), "check the path and its permissions"};
  std::sort(crts.begin(), crts.end());
  for (const auto& crt_path : crts) {
    const ServiceAccount sa{crt_path.parent_path().filename().string(), crt_path.stem().string()};
    auto key_path = crt_path;
    key_path.replace_extension(".key");
    auto cert_pem = readText(crt_path, what);
    if (!cert_pem) return cert_pem.error();
    auto key_pem = readText(key_path, what);
    if (!key_pem) return key_pem.error();
    auto cert = Certificate::fromPem(cert_pem.value());
    if (!cert) return Error{what, crt_path.string(), cert.error().cause, "not a PEM certificate"};
    auto key = PrivateKey::fromPem(key_pem.value());
    if (!key) return Error{what, key_path.string(), key.error().cause, "not a PEM private key"};
    const auto sans = cert->uriSans();
    if (sans.size() != 1) {
      return Error{what, crt_path.string(), std::to_string(sans.size()) + " URI SANs, expected one SPIFFE URI",
                   "issue it with `meshtwin ca issue`"};
    }
    auto id = parseSpiffeUri(sans.front());
    if (!id) return Error{what, crt_path.string(), id.error().cause, id.error().hint};
    if (id->service_account != sa) {
      return Error{what, crt_path.string(), "the certificate names " + id->uri() + ", the path names " + sa.text(),
                   "a certificate lives at <ns>/<service account>.crt"};
    }
    if (X509_check_private_key(cert->native(), key->native()) != 1) {
      return Error{what, key_path.string(), "the key does not belong to " + crt_path.filename().string() + " (" +
                                                opensslErrors() + ")",
                   "rotation writes the key before the certificate; re-issue both"};
    }
    identity.certificates.emplace(sa, IssuedCertificate{std::move(id).value(), std::move(cert).value(),
                                                        std::move(key).value()});
  }
  return identity;
}

}  // namespace meshtwin::dataplane
