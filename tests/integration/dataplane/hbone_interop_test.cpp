// Interoperability: an HBONE client written with Python's ssl and h2 (not our code) talks to
// the ztunnel's HBONE port: TLS 1.3, ALPN h2, the pod's SPIFFE certificate, CONNECT with
// :authority = pod ip:port, and 400 for a method other than CONNECT.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "mesh_harness.hpp"

using namespace meshtwin::test;

namespace {

std::string runCommand(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  while (const auto n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  pclose(p);
  return out;
}

void writeFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

}  // namespace

TEST_CASE("a Python h2 client speaks HBONE to the ztunnel", "[dataplane][ztunnel][interop]") {
  if (!std::filesystem::exists("/usr/bin/python3") ||
      std::system("/usr/bin/python3 -c 'import h2' >/dev/null 2>&1") != 0) {
    FAIL("python3-h2 is missing; scripts/install-deps.sh installs it");
  }
  MeshHarness mesh;
  const auto dir = std::filesystem::temp_directory_path() / ("meshtwin-hbone-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // The client is "other": a mesh identity, but not the ztunnel's own code.
  auto cert = mesh.ca().issueUnbound({"demo", "other"}, kT0);
  REQUIRE(cert.ok());
  writeFile(dir / "client.crt", cert->certificate.toPem().value());
  writeFile(dir / "client.key", cert->key.toPem().value());
  writeFile(dir / "root.crt", mesh.ca().root().toPem().value());
  const auto hbone = mesh.hboneOf("server");
  const std::string authority = mesh.snapshot().pod_app.at(mesh.podKey(mesh.pod("server")));
  const std::string cmd = "/usr/bin/python3 tests/integration/dataplane/hbone_client.py " +
                          hbone.address().to_string() + " " + std::to_string(hbone.port()) + " " + authority + " " +
                          (dir / "client.crt").string() + " " + (dir / "client.key").string() + " " +
                          (dir / "root.crt").string() + " ping-from-python";
  const auto out = runCommand(cmd);
  std::filesystem::remove_all(dir);
  INFO(out);
  const auto j = nlohmann::json::parse(out);
  CHECK(j["tls_version"] == "TLSv1.3");
  CHECK(j["alpn"] == "h2");
  CHECK(j["peer_uri_sans"] == nlohmann::json::array({"spiffe://cluster.local/ns/demo/sa/server"}));
  CHECK(j["connect_status"] == 200);
  CHECK(j["echo"] == "ping-from-python");
  CHECK(j["get_status"] == 400);
  CHECK(mesh.counter("server", "istio_tcp_connections_opened_total",
                     {{"reporter", "destination"}, {"source_principal", "spiffe://cluster.local/ns/demo/sa/other"},
                      {"response_flags", "-"}}) == 1);
}
