#include "dcl/experiments/step_profile.h"

#include <ATen/record_function.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>
#include <tuple>

#include "dcl/runtime/device.h"
#include "dcl/util/clock.h"

namespace dcl {

namespace {

// ATen's operator callbacks are plain function pointers, so the clock they feed is one global,
// used by one profiled step at a time and only for operators of the profiling thread.
struct OperatorClock {
  std::thread::id thread;
  struct Open {
    Clock::time_point start;
    double children = 0;  // seconds spent in operators this one called
  };
  std::vector<Open> open;
  // (stage, phase, operator) -> self seconds, calls
  std::map<std::tuple<std::string, StagePhase, std::string>, std::pair<double, int64_t>> totals;
  std::string stage = "(schedule)";
  StagePhase phase = StagePhase::Done;
};
OperatorClock* active_clock = nullptr;

std::unique_ptr<at::ObserverContext> operator_started(const at::RecordFunction&) {
  if (active_clock && std::this_thread::get_id() == active_clock->thread)
    active_clock->open.push_back({Clock::now(), 0.0});
  return nullptr;
}

void operator_ended(const at::RecordFunction& fn, at::ObserverContext*) {
  OperatorClock* c = active_clock;
  if (!c || std::this_thread::get_id() != c->thread || c->open.empty()) return;
  OperatorClock::Open op = c->open.back();
  c->open.pop_back();
  double total = seconds_since(op.start);
  auto& [self, calls] = c->totals[{c->stage, c->phase, fn.name()}];
  self += total - op.children;
  calls += 1;
  if (!c->open.empty()) c->open.back().children += total;
}

double mib(int64_t bytes) { return double(bytes) / (1 << 20); }

}  // namespace

StepProfile profile_step(Model& model, const torch::Tensor& x, const torch::Tensor& y, MemoryTracker& memory,
                         const torch::Device& device) {
  StepProfile p;
  OperatorClock clock;
  clock.thread = std::this_thread::get_id();
  synchronize(device);
  p.bytes_before = memory.current_bytes();

  // The phase now running: closed when the next one starts, or when the step ends.
  PhaseSample current{"(schedule)", StagePhase::Done, 0, p.bytes_before, 0};
  Clock::time_point started = Clock::now();
  memory.reset_peak();
  auto close_phase = [&] {
    synchronize(device);
    current.seconds = seconds_since(started);
    current.peak_bytes = memory.peak_bytes();
    p.phases.push_back(current);
  };
  auto open_phase = [&](const std::string& stage, StagePhase phase) {
    current = {stage, phase, 0, memory.current_bytes(), 0};
    clock.stage = stage;
    clock.phase = phase;
    memory.reset_peak();
    started = Clock::now();
  };
  Stage::set_observer([&](const Stage& s, StagePhase phase) {
    close_phase();
    if (phase == StagePhase::Done)
      open_phase("(schedule)", StagePhase::Done);
    else
      open_phase(s.name(), phase);
  });
  {
    // Observer, callback and clock are removed when the step ends, also by an exception.
    struct Attached {
      at::CallbackHandle handle;
      ~Attached() {
        at::removeCallback(handle);
        active_clock = nullptr;
        Stage::set_observer(nullptr);
      }
    } attached{at::addGlobalCallback(at::RecordFunctionCallback(operator_started, operator_ended))};
    active_clock = &clock;
    Clock::time_point t0 = Clock::now();
    model.schedule->step(x, y);
    close_phase();
    p.seconds = seconds_since(t0);
  }

  // Schedule segments that did nothing measurable (between two stages) are dropped.
  std::vector<PhaseSample> kept;
  for (auto& s : p.phases) {
    p.peak_bytes = std::max(p.peak_bytes, s.peak_bytes);
    if (s.stage != "(schedule)" || s.seconds > 1e-4) kept.push_back(s);
  }
  p.phases = std::move(kept);
  for (auto& [key, value] : clock.totals)
    p.ops.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), value.first, value.second});
  std::sort(p.ops.begin(), p.ops.end(),
            [](const OpSample& a, const OpSample& b) { return a.self_seconds > b.self_seconds; });
  return p;
}

std::string format_profile(const std::string& method, const StepProfile& p, int top_ops) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line,
                "\nprofile of %s: one step, %.1f ms; %.1f MiB held before it (parameters, optimiser state, batch), "
                "peak %.1f MiB\n",
                method.c_str(), 1e3 * p.seconds, mib(p.bytes_before), mib(p.peak_bytes));
  out += line;
  // One row per stage, in the order the stages ran: time per phase, then the memory timeline.
  std::snprintf(line, sizeof line, "%-12s %9s %9s %9s %9s %9s | %9s %9s %9s %9s\n", "stage", "fwd ms", "loss ms",
                "bwd ms", "step ms", "total ms", "held MiB", "fwd peak", "bwd peak", "step peak");
  out += line;
  std::vector<std::string> order;
  for (const auto& s : p.phases)
    if (std::find(order.begin(), order.end(), s.stage) == order.end()) order.push_back(s.stage);
  for (const auto& stage : order) {
    double ms[5] = {0, 0, 0, 0, 0}, total = 0;  // indexed by StagePhase
    int64_t held = -1, peak[5] = {0, 0, 0, 0, 0};
    for (const auto& s : p.phases) {
      if (s.stage != stage) continue;
      int i = int(s.phase);
      ms[i] += 1e3 * s.seconds;
      total += 1e3 * s.seconds;
      if (held < 0) held = s.bytes_at_start;
      peak[i] = std::max(peak[i], s.peak_bytes);
    }
    const int F = int(StagePhase::Forward), L = int(StagePhase::Loss), B = int(StagePhase::Backward),
              S = int(StagePhase::Step), D = int(StagePhase::Done);
    if (stage == "(schedule)")
      std::snprintf(line, sizeof line, "%-12s %49.1f | %9.1f %9.1f\n", stage.c_str(), total, mib(held), mib(peak[D]));
    else
      std::snprintf(line, sizeof line, "%-12s %9.1f %9.1f %9.1f %9.1f %9.1f | %9.1f %9.1f %9.1f %9.1f\n", stage.c_str(),
                    ms[F], ms[L], ms[B], ms[S], total, mib(held), mib(std::max(peak[F], peak[L])), mib(peak[B]),
                    mib(peak[S]));
    out += line;
  }
  // Operators summed over stages, by phase.
  std::map<std::pair<StagePhase, std::string>, std::pair<double, int64_t>> by_op;
  double all = 0;
  for (const auto& o : p.ops) {
    auto& [s, n] = by_op[{o.phase, o.op}];
    s += o.self_seconds;
    n += o.calls;
    all += o.self_seconds;
  }
  std::vector<std::pair<double, std::string>> rows;
  for (const auto& [key, value] : by_op) {
    std::snprintf(line, sizeof line, "  %-9s %-52s %9.1f %7.1f%% %7lld\n", name_of(key.first), key.second.c_str(),
                  1e3 * value.first, 100 * value.first / std::max(all, 1e-12), (long long)value.second);
    rows.emplace_back(value.first, line);
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::snprintf(line, sizeof line,
                "top operators by self time (all stages; %.1f ms of operators in all):\n  %-9s %-52s %9s %8s %7s\n",
                1e3 * all, "phase", "operator", "ms", "share", "calls");
  out += line;
  for (size_t i = 0; i < rows.size() && int(i) < top_ops; ++i) out += rows[i].second;
  return out;
}

nlohmann::json profile_json(const StepProfile& p) {
  nlohmann::json j = {{"seconds", p.seconds}, {"bytes_before", p.bytes_before}, {"peak_bytes", p.peak_bytes}};
  j["phases"] = nlohmann::json::array();
  for (const auto& s : p.phases)
    j["phases"].push_back({{"stage", s.stage},
                           {"phase", name_of(s.phase)},
                           {"seconds", s.seconds},
                           {"bytes_at_start", s.bytes_at_start},
                           {"peak_bytes", s.peak_bytes}});
  j["operators"] = nlohmann::json::array();
  for (const auto& o : p.ops)
    j["operators"].push_back({{"stage", o.stage},
                              {"phase", name_of(o.phase)},
                              {"operator", o.op},
                              {"self_seconds", o.self_seconds},
                              {"calls", o.calls}});
  return j;
}

}  // namespace dcl
