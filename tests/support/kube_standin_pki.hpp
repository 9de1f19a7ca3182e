// A test PKI made at test time with OpenSSL: a server CA and a server certificate for
// 127.0.0.1/localhost, a client CA and a client certificate, and an unrelated CA.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace meshtwin::test {

struct TestPki {
  std::string ca_pem;  // signs the server certificate
  std::string server_cert_pem, server_key_pem;
  std::string client_ca_pem;  // signs the client certificate
  std::string client_cert_pem, client_key_pem;  // CN=jane, O=platform-team
  std::string other_ca_pem;   // signs nothing of the above
};

namespace pki_detail {

struct KeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct CertFree {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const noexcept { BIO_free_all(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

inline Key newKey() {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  check(ctx && EVP_PKEY_keygen_init(ctx.get()) == 1 && EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") == 1 &&
            EVP_PKEY_generate(ctx.get(), &key) == 1,
        "EC key generation");
  return Key(key);
}

inline void addExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx{};
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr && X509_add_ext(cert, ext, -1) == 1, "X509 extension");
  X509_EXTENSION_free(ext);
}

inline void setName(X509* cert, const std::string& cn, const std::string& org) {
  X509_NAME* name = X509_get_subject_name(cert);
  const auto* cn_bytes = reinterpret_cast<const unsigned char*>(cn.c_str());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn_bytes, -1, -1, 0) == 1, "subject CN");
  if (!org.empty()) {
    const auto* org_bytes = reinterpret_cast<const unsigned char*>(org.c_str());
    check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, org_bytes, -1, -1, 0) == 1, "subject O");
  }
}

// A certificate for `key` signed by (issuer, issuer_key); a self-signed CA when issuer is null.
inline Cert issue(EVP_PKEY* key, const std::string& cn, const std::string& org, X509* issuer, EVP_PKEY* issuer_key,
                  const char* usage, const char* sans) {
  static long serial = 1000;
  Cert cert(X509_new());
  check(cert && X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_new");
  check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600) != nullptr, "notAfter");
  check(X509_set_pubkey(cert.get(), key) == 1, "public key");
  setName(cert.get(), cn, org);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer name");
  addExt(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer == nullptr) {
    addExt(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    addExt(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    addExt(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    addExt(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    addExt(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    addExt(cert.get(), signer, NID_ext_key_usage, usage);
    if (sans != nullptr) addExt(cert.get(), signer, NID_subject_alt_name, sans);
  }
  check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

inline std::string drain(BIO* bio) {
  std::string out(BIO_ctrl_pending(bio), '\0');
  check(BIO_read(bio, out.data(), static_cast<int>(out.size())) == static_cast<int>(out.size()), "BIO_read");
  return out;
}

inline std::string pem(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return drain(bio.get());
}

inline std::string pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "PEM_write_bio_PrivateKey");
  return drain(bio.get());
}

}  // namespace pki_detail

inline TestPki makeTestPki() {
  using namespace pki_detail;
  TestPki out;
  Key ca_key = newKey(), server_key = newKey(), client_ca_key = newKey(), client_key = newKey(), other_key = newKey();
  Cert ca = issue(ca_key.get(), "stand-in cluster CA", "", nullptr, nullptr, nullptr, nullptr);
  Cert server = issue(server_key.get(), "kube-apiserver", "", ca.get(), ca_key.get(), "serverAuth",
                      "IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc");
  Cert client_ca = issue(client_ca_key.get(), "stand-in client CA", "", nullptr, nullptr, nullptr, nullptr);
  Cert client = issue(client_key.get(), "jane", "platform-team", client_ca.get(), client_ca_key.get(), "clientAuth", nullptr);
  Cert other = issue(other_key.get(), "unrelated CA", "", nullptr, nullptr, nullptr, nullptr);
  out.ca_pem = pem(ca.get());
  out.server_cert_pem = pem(server.get());
  out.server_key_pem = pem(server_key.get());
  out.client_ca_pem = pem(client_ca.get());
  out.client_cert_pem = pem(client.get());
  out.client_key_pem = pem(client_key.get());
  out.other_ca_pem = pem(other.get());
  return out;
}

}  // namespace meshtwin::test
