// Scripted controllers for the stand-in API server: a timer thread that runs a job some time after
// a write, and the status a Deployment controller and a Gateway controller write once done.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

namespace meshtwin::test::standin {

// Runs each job at its time on a thread of its own (started on first use), in time order, ties
// in the order they were scheduled.
class StandinTimer {
 public:
  using Clock = std::chrono::steady_clock;

  StandinTimer() = default;
  StandinTimer(const StandinTimer&) = delete;
  StandinTimer& operator=(const StandinTimer&) = delete;
  ~StandinTimer() { stop(); }

  // Dropped once stop() has begun.
  void after(std::chrono::milliseconds delay, std::function<void()> job) {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    jobs_.emplace(std::make_pair(Clock::now() + delay, seq_++), std::move(job));
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
    cv_.notify_one();
  }

  // Runs no more jobs (one that is running finishes first) and joins the thread. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      jobs_.clear();
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (jobs_.empty()) {
        cv_.wait(lock);
        continue;
      }
      const auto due = jobs_.begin()->first.first;
      if (Clock::now() < due) {
        cv_.wait_until(lock, due);
        continue;
      }
      auto job = std::move(jobs_.begin()->second);
      jobs_.erase(jobs_.begin());
      lock.unlock();
      job();  // takes the stand-in's lock: never while holding ours
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::pair<Clock::time_point, long>, std::function<void()>> jobs_;
  long seq_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

inline nlohmann::json trueCondition(const std::string& type, const std::string& reason, const std::string& message, long generation) {
  return {{"type", type},       {"status", "True"},   {"reason", reason},
          {"message", message}, {"observedGeneration", generation}, {"lastTransitionTime", "2024-01-01T00:00:00Z"}};
}

inline long generationOf(const nlohmann::json& o) {
  const auto& meta = o.at("metadata");
  return meta.contains("generation") && meta["generation"].is_number_integer() ? meta["generation"].get<long>() : 1;
}

// What kube-controller-manager writes once every pod of the Deployment's spec is up and available.
inline void deploymentRolledOut(nlohmann::json& d) {
  const long generation = generationOf(d);
  const auto* spec = d.contains("spec") ? &d["spec"] : nullptr;
  const long replicas = spec != nullptr && spec->contains("replicas") && (*spec)["replicas"].is_number_integer()
                            ? (*spec)["replicas"].get<long>()
                            : 1;
  const std::string name = d["metadata"].value("name", "");
  nlohmann::json status{{"observedGeneration", generation}, {"replicas", replicas},        {"updatedReplicas", replicas},
                        {"readyReplicas", replicas},         {"availableReplicas", replicas}};
  status["conditions"] = nlohmann::json::array(
      {trueCondition("Available", "MinimumReplicasAvailable", "Deployment has minimum availability.", generation),
       trueCondition("Progressing", "NewReplicaSetAvailable", "ReplicaSet \"" + name + "\" has successfully progressed.", generation)});
  for (auto& c : status["conditions"]) c.erase("observedGeneration");  // Deployment conditions carry none
  d["status"] = std::move(status);
}

// What a Gateway controller (istiod, for a waypoint) writes once the Gateway is accepted and its
// proxy deployed.
inline void gatewayProgrammed(nlohmann::json& g) {
  const long generation = generationOf(g);
  g["status"]["conditions"] = nlohmann::json::array(
      {trueCondition("Accepted", "Accepted", "Resource accepted", generation),
       trueCondition("Programmed", "Programmed", "Resource programmed, assigned to service(s)", generation)});
}

}  // namespace meshtwin::test::standin
