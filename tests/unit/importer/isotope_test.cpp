// The isotope reader: topologies into workloads, services, scripts and entry points; its sizes
// and durations; and errors that name file:line:col with a hint, leaving the Draft untouched.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "meshtwin/importer/isotope.hpp"

using namespace meshtwin;
using namespace meshtwin::importer;

namespace {

std::string fileText(const std::string& name) {
  std::ifstream in(std::string(MESHTWIN_SOURCE_DIR) + "/tests/data/import/isotope/" + name);
  REQUIRE(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string joined(const std::vector<IsotopeError>& errors) {
  std::string out;
  for (const auto& e : errors) out += format(e) + "\n";
  return out;
}

Draft readOk(const std::string& file, ImportReport& report, const IsotopeOptions& opts = {}) {
  Draft d;
  const auto errors = readIsotope(fileText(file), "tests/data/import/isotope/" + file, d, report, opts);
  INFO(joined(errors));
  REQUIRE(errors.empty());
  return d;
}

// "call a.ns 1024 0.60" / "sleep 1000000" / "concurrent[...]": a script as text.
std::vector<std::string> script(const DraftWorkload& w) {
  std::vector<std::string> out;
  auto call = [](const DraftCall& c) {
    std::ostringstream s;
    s << c.service << " " << c.request_bytes << " " << c.probability;
    return s.str();
  };
  for (const auto& st : w.script) {
    if (st.calls.empty()) out.push_back("sleep " + std::to_string(st.sleep_ns));
    else if (st.calls.size() == 1) out.push_back("call " + call(st.calls[0]));
    else {
      std::string c = "concurrent";
      for (const auto& x : st.calls) c += " [" + call(x) + "]";
      out.push_back(c);
    }
  }
  return out;
}

std::vector<IsotopeError> errorsOf(const std::string& text, Draft& d) {
  ImportReport report;
  return readIsotope(text, "topo.yaml", d, report);
}

}  // namespace

TEST_CASE("isotope sizes and durations read the way isotope's Go code reads them", "[importer][isotope]") {
  CHECK(isotopeBytes("1 KB") == 1024);
  CHECK(isotopeBytes("10K") == 10240);
  CHECK(isotopeBytes("16mb") == 16 * 1024 * 1024);
  CHECK(isotopeBytes("1.5 KB") == 1536);
  CHECK(isotopeBytes("2KiB") == 2048);
  CHECK(isotopeBytes("512") == 512);
  CHECK(isotopeBytes("256B") == 256);
  CHECK_FALSE(isotopeBytes("1 KBytes"));
  CHECK_FALSE(isotopeBytes("-1"));
  CHECK_FALSE(isotopeBytes("KB"));
  CHECK(goDurationNs("10ms") == 10'000'000);
  CHECK(goDurationNs("1.5s") == 1'500'000'000);
  CHECK(goDurationNs("1m30s") == 90'000'000'000);
  CHECK(goDurationNs("250us") == 250'000);
  CHECK(goDurationNs("250\xC2\xB5s") == 250'000);
  CHECK(goDurationNs("0") == 0);
  CHECK_FALSE(goDurationNs("10"));
  CHECK_FALSE(goDurationNs("ms"));
  CHECK_FALSE(goDurationNs(""));
  CHECK_FALSE(goDurationNs("10 parsecs"));
}

TEST_CASE("isotope: a 13-service shop becomes workloads, services, scripts and two entry points", "[importer][isotope]") {
  ImportReport report;
  const auto d = readOk("online-shop.yaml", report);
  REQUIRE(d.workloads.size() == 13);
  REQUIRE(d.services.size() == 13);
  for (const auto& s : d.services) {
    CHECK(s.ns == "default");
    CHECK(s.workloads == std::vector<std::string>{s.name});
    REQUIRE(s.ports.size() == 1);
    CHECK(s.ports[0].port == 8080);
  }
  auto& dd = const_cast<Draft&>(d);
  const auto* fe = dd.findWorkload("default", "frontend");
  REQUIRE(fe);
  CHECK(fe->replicas == 3);
  CHECK(fe->request_bytes == 1024);
  CHECK(fe->response_bytes == 24 * 1024);
  CHECK(script(*fe) == std::vector<std::string>{
                           "call auth 512 1",
                           "concurrent [catalog 0 1] [recommendations 0 0.6] [cart 0 0.4]",
                           "sleep 1000000",
                           "call checkout 4096 0.05",
                       });
  CHECK(fe->notes.at(0) == "from isotope service frontend at tests/data/import/isotope/online-shop.yaml:13:3");
  const auto* users = dd.findWorkload("default", "users");
  CHECK(users->replicas == 3);
  CHECK(users->response_bytes == 2048);  // the default
  CHECK(script(*users) == std::vector<std::string>{"sleep 2000000"});
  CHECK(dd.findWorkload("default", "cart")->replicas == 2);
  CHECK(dd.findWorkload("default", "tax")->response_bytes == 256);
  CHECK(script(*dd.findWorkload("default", "checkout")) ==
        std::vector<std::string>{"call cart 0 1", "concurrent [tax 0 1] [shipping 0 1] [inventory 512 1]",
                                 "call payments 2048 1", "call users 256 1"});
  CHECK(dd.findService("default", "recommendations")->ports[0].protocol == models::Protocol::Grpc);
  CHECK(dd.findService("default", "cart")->ports[0].protocol == models::Protocol::Http);

  REQUIRE(d.entry_points.size() == 2);
  CHECK(d.entry_points[0].name == "frontend");
  CHECK(d.entry_points[0].service == "frontend.default");
  CHECK(d.entry_points[0].rps.empty());
  CHECK(d.entry_points[1].name == "search");

  auto assumed = [&](const std::string& object, const std::string& part) {
    for (const auto& a : report.assumptions) {
      if (a.object == object && a.message.find(part) != std::string::npos) return true;
    }
    return false;
  };
  CHECK(assumed("workload default/cart", "answers 0.5% errors"));
  CHECK(assumed("workload default/recommendations", "numRbacPolicies 2"));
  CHECK(assumed("isotope topology tests/data/import/isotope/online-shop.yaml", "carries no load"));
  CHECK(report.kinds.at("isotope service").mapped == 13);
  CHECK(report.sources == std::vector<std::string>{"tests/data/import/isotope/online-shop.yaml"});
}

TEST_CASE("isotope: namespaces, default scripts and type, a sleep beside concurrent calls", "[importer][isotope]") {
  ImportReport report;
  IsotopeOptions opts;
  opts.ns = "isotope";
  auto d = readOk("two-namespaces.yaml", report, opts);
  const auto* gw = d.findWorkload("edge", "gateway");
  REQUIRE(gw);
  CHECK(script(*gw) == std::vector<std::string>{"sleep 3000000", "concurrent [ledger.core 0 1] [accounts.core 0 1]",
                                                "sleep 1500000"});
  CHECK(gw->request_bytes == 10240);
  const auto* ledger = d.findWorkload("core", "ledger");
  REQUIRE(ledger);
  CHECK(script(*ledger) == std::vector<std::string>{"sleep 5000000"});  // the default script
  CHECK(d.findService("core", "ledger")->ports[0].protocol == models::Protocol::Grpc);
  CHECK(d.findService("core", "accounts")->ports[0].protocol == models::Protocol::Http);
  bool beside = false;
  for (const auto& a : report.assumptions) beside |= a.message.find("a sleep runs beside concurrent calls") != std::string::npos;
  CHECK(beside);
}

TEST_CASE("isotope errors name file:line:col and a hint, and leave the Draft as it was", "[importer][isotope]") {
  Draft d;
  d.workloads.push_back({});
  d.workloads[0].ns = "default";
  d.workloads[0].name = "existing";
  ImportReport report;
  auto errors = readIsotope(fileText("bad-call.yaml"), "bad-call.yaml", d, report);
  REQUIRE(errors.size() == 1);
  CHECK(format(errors[0]) ==
        "bad-call.yaml:6:11: isotope service frontend: calls undefined service \"catalgo\" (did you mean \"catalog\"?)");
  CHECK(d.workloads.size() == 1);
  CHECK(report.assumptions.empty());

  errors = errorsOf("services:\n- name: a\n  script:\n  - call: [b\n", d);
  REQUIRE(errors.size() == 1);
  CHECK(format(errors[0]).find("topo.yaml:5:1: isotope topology: YAML error") == 0);

  errors = errorsOf("services:\n- name: a\n  script:\n  - fetch: b\n- name: b\n", d);
  REQUIRE(errors.size() == 1);
  CHECK(toString(errors[0].origin) == "topo.yaml:4:5");
  CHECK(errors[0].message == "unknown command \"fetch\"");
  CHECK(errors[0].hint.find("sleep: <duration>") != std::string::npos);

  errors = errorsOf("services:\n- name: a\n  script:\n  - - - call: b\n- name: b\n", d);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message == "concurrent commands may not be nested");

  errors = errorsOf("services:\n- name: a\n  script:\n  - sleep: 10\n  - call: {service: b, size: lots}\n- name: b\n", d);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].message == "sleep \"10\" is not a duration");
  CHECK(toString(errors[1].origin) == "topo.yaml:5:30");
  CHECK(errors[1].message == "call size \"lots\" is not a size");

  errors = errorsOf("services:\n- name: existing\n", d);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message.find("already in the import") != std::string::npos);

  errors = errorsOf("services:\n- name: a\n- name: a\n- name: Bad_Name\n- {type: http}\n", d);
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].message == "is defined twice");
  CHECK(errors[1].message == "name is not a DNS label");
  CHECK(errors[2].message == "a service has no name");
  CHECK(d.workloads.size() == 1);
}
