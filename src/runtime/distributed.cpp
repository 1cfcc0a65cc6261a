#include "dcl/runtime/distributed.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef DCL_WITH_NCCL  // a LibTorch built with CUDA and NCCL (the PyPI wheel; CMakeLists.txt)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "dcl/stages/stage.h"
#include "dcl/util/clock.h"

namespace dcl {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

int env_int(const char* name, int fallback, int min, int max) {
  std::string text = env_or(name, "");
  if (text.empty()) return fallback;
  size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v < min || v > max)
    throw std::invalid_argument("environment variable " + std::string(name) + "='" + text + "' is not an integer in [" +
                                std::to_string(min) + ", " + std::to_string(max) + "]");
  return v;
}

std::string heartbeat_key(int rank) { return "dcl/heartbeat/" + std::to_string(rank); }

}  // namespace

void inject_fault(int rank, int64_t step) {
  static const std::string spec = env_or("DCL_FAULT", "");
  if (spec.empty()) return;
  char what[8] = {0};
  int r = -1;
  long long s = -1;
  if (std::sscanf(spec.c_str(), "%7[a-z]:%d:%lld", what, &r, &s) != 3 || r != rank || s != step) return;
  std::fprintf(stderr, "rank %d: DCL_FAULT=%s: %s at step %lld\n", rank, spec.c_str(), what, s);
  if (std::string(what) == "kill") raise(SIGKILL);
  if (std::string(what) == "hang") raise(SIGSTOP);
}

std::string first_line(const std::string& message) { return message.substr(0, message.find('\n')); }

DistributedEnv distributed_env_from_environment() {
  DistributedEnv env;
  env.world_size = env_int("WORLD_SIZE", 1, 1, 1 << 16);
  if (env.world_size == 1) return env;
  auto required = [](const char* name) {
    std::string v = env_or(name, "");
    if (v.empty())
      throw std::invalid_argument("WORLD_SIZE is set, so this process joins a distributed job, but " +
                                  std::string(name) +
                                  " is not set (torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, "
                                  "MASTER_ADDR and MASTER_PORT)");
    return v;
  };
  required("RANK");
  env.rank = env_int("RANK", 0, 0, env.world_size - 1);
  env.local_rank = env_int("LOCAL_RANK", 0, 0, env.world_size - 1);
  env.local_world_size = env_int("LOCAL_WORLD_SIZE", 1, 1, env.world_size);
  env.master_addr = required("MASTER_ADDR");
  required("MASTER_PORT");
  env.master_port = env_int("MASTER_PORT", 0, 1, 65535);
  env.socket_interface = env_or("GLOO_SOCKET_IFNAME", "");
  // Under torchrun, its agent already serves a store at MASTER_PORT, in the protocol of the
  // launcher's PyTorch, which need not be this build's LibTorch: the job's own store (served by
  // rank 0) is then at MASTER_PORT + 1.
  if (env_or("TORCHELASTIC_USE_AGENT_STORE", "") == "True") {
    if (env.master_port == 65535) throw std::invalid_argument("MASTER_PORT=65535 leaves no port for the job's store");
    env.master_port += 1;
  }
  return env;
}

struct ProcessGroup::Impl {
  DistributedEnv env;
  std::chrono::milliseconds timeout;
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  decltype(c10d::ProcessGroupGloo::Options::devices) devices;  // the network interface Gloo binds to
  Impl* job = nullptr;  // a subgroup's job group: its heartbeats diagnose the subgroup's failures
#ifdef DCL_WITH_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;  // for CUDA tensors, when the job trains on CUDA
#endif
  // Liveness: each rank increments its own key in the store twice a second, on a connection of
  // its own, so that a survivor can tell which peer stopped.
  c10::intrusive_ptr<c10d::TCPStore> heartbeat_store;
  std::atomic<bool> stopping{false};
  std::thread heartbeat;
  double communication_seconds = 0;

  c10::intrusive_ptr<c10d::TCPStore> connect(bool server) const {
    c10d::TCPStoreOptions o;
    o.port = uint16_t(env.master_port);
    o.isServer = server;
    o.numWorkers = server ? c10::optional<std::size_t>(size_t(env.world_size)) : c10::nullopt;
    o.waitWorkers = false;
    o.timeout = timeout;
    return c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
  }

  // CUDA tensors go through NCCL where it is built in; everything else (and CUDA tensors
  // without NCCL, staged through the host) through Gloo.
  c10::intrusive_ptr<c10d::Work> all_reduce(std::vector<torch::Tensor>& tensors) {
#ifdef DCL_WITH_NCCL
    if (nccl && tensors.front().is_cuda()) return nccl->allreduce(tensors);
#endif
    return group->allreduce(tensors);
  }
  c10::intrusive_ptr<c10d::Work> broadcast(std::vector<torch::Tensor>& tensors, int root) {
    c10d::BroadcastOptions options;
    options.rootRank = root;
#ifdef DCL_WITH_NCCL
    if (nccl && tensors.front().is_cuda()) return nccl->broadcast(tensors, options);
#endif
    return group->broadcast(tensors, options);
  }

  template <typename W>
  void wait(W& work) {
    auto t0 = Clock::now();
    work->wait(timeout);
    communication_seconds += seconds_since(t0);
  }
};

ProcessGroup::ProcessGroup(const DistributedEnv& env, std::chrono::milliseconds timeout, bool cuda)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.env = env;
  s.timeout = timeout;
  try {
    s.store = s.connect(env.rank == 0);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    // Each rank binds to its own address: the named interface, or the address it reaches the
    // store through (loopback for a one-machine job).
    if (!env.socket_interface.empty())
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(env.socket_interface));
    else if (env.master_addr == "127.0.0.1" || env.master_addr == "localhost")
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    s.devices = options->devices;
    s.group = c10::make_intrusive<c10d::ProcessGroupGloo>(s.store, env.rank, env.world_size, options);
#ifdef DCL_WITH_NCCL
    if (cuda) {
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = timeout;
      s.nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(c10::make_intrusive<c10d::PrefixStore>("nccl", s.store),
                                                           env.rank, env.world_size, nccl_options);
    }
#else
    (void)cuda;
#endif
    s.heartbeat_store = s.connect(false);
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(env.rank) + " of " + std::to_string(env.world_size) +
                             ": could not join the job at " + env.master_addr + ":" + std::to_string(env.master_port) +
                             " within " + std::to_string(timeout.count() / 1000) + " s: " + first_line(e.what()));
  }
  s.heartbeat = std::thread([&s] {
    while (!s.stopping.load()) {
      try {
        s.heartbeat_store->add(heartbeat_key(s.env.rank), 1);
      } catch (const std::exception&) {
        return;  // the store (rank 0) is gone; the next collective reports it
      }
      for (int i = 0; i < 5 && !s.stopping.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

ProcessGroup::ProcessGroup() : impl_(std::make_unique<Impl>()) {}

std::shared_ptr<ProcessGroup> ProcessGroup::subgroup(const std::vector<int>& ranks) {
  Impl& s = *impl_;
  auto self = std::find(ranks.begin(), ranks.end(), s.env.rank);
  if (self == ranks.end()) throw std::logic_error("ProcessGroup::subgroup: this rank is not one of the ranks");
  std::string name = "dcl/subgroup";
  for (int r : ranks) name += "/" + std::to_string(r);
  std::shared_ptr<ProcessGroup> sub(new ProcessGroup());
  Impl& t = *sub->impl_;
  t.env = s.env;
  t.env.rank = int(self - ranks.begin());
  t.env.world_size = int(ranks.size());
  t.timeout = s.timeout;
  t.store = s.store;
  t.job = s.job ? s.job : &s;
  auto options = c10d::ProcessGroupGloo::Options::create(s.timeout);
  options->devices = s.devices;
  t.devices = s.devices;
  t.group = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>(name, s.store),
                                                        t.env.rank, t.env.world_size, options);
  return sub;
}

int ProcessGroup::job_rank() const { return impl_->job ? impl_->job->env.rank : impl_->env.rank; }

ProcessGroup::~ProcessGroup() {
  impl_->stopping.store(true);
  if (impl_->heartbeat.joinable()) impl_->heartbeat.join();
}

int ProcessGroup::rank() const { return impl_->env.rank; }
int ProcessGroup::world_size() const { return impl_->env.world_size; }

void ProcessGroup::all_reduce_sum(torch::Tensor& t) {
  std::vector<torch::Tensor> tensors{t};
  auto work = impl_->all_reduce(tensors);
  impl_->wait(work);
}

std::vector<double> ProcessGroup::all_reduce_sum(const std::vector<double>& values) {
  torch::Tensor t = torch::tensor(values, torch::kFloat64);
  all_reduce_sum(t);
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

void ProcessGroup::average(std::vector<torch::Tensor>& tensors) {
  if (tensors.empty()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> flat;
  for (auto& t : tensors) flat.push_back(t.reshape(-1));
  torch::Tensor all = torch::cat(flat);
  all_reduce_sum(all);
  all.div_(double(world_size()));
  int64_t at = 0;
  for (auto& t : tensors) {
    t.copy_(all.narrow(0, at, t.numel()).view_as(t));
    at += t.numel();
  }
}

void ProcessGroup::broadcast_from_rank0(std::vector<torch::Tensor>& tensors) { broadcast(tensors, 0); }

void ProcessGroup::broadcast(std::vector<torch::Tensor>& tensors, int root) {
  for (auto& t : tensors) {
    torch::NoGradGuard no_grad;
    torch::Tensor dense = t.contiguous();
    std::vector<torch::Tensor> one{dense};
    auto work = impl_->broadcast(one, root);
    impl_->wait(work);
    if (!dense.is_same(t)) t.copy_(dense);
  }
}

void ProcessGroup::barrier() {
  auto work = impl_->group->barrier();
  impl_->wait(work);
}

namespace {

template <typename W>
class PendingWork : public ProcessGroup::Pending {
 public:
  PendingWork(W work, std::chrono::milliseconds timeout, double& seconds)
      : work_(std::move(work)), timeout_(timeout), seconds_(seconds) {}
  void wait() override {
    auto t0 = Clock::now();
    work_->wait(timeout_);
    seconds_ += seconds_since(t0);
  }

 private:
  W work_;
  std::chrono::milliseconds timeout_;
  double& seconds_;
};

}  // namespace

std::unique_ptr<ProcessGroup::Pending> ProcessGroup::all_reduce_sum_async(torch::Tensor& t) {
  std::vector<torch::Tensor> tensors{t};
  auto work = impl_->all_reduce(tensors);
  return std::make_unique<PendingWork<decltype(work)>>(std::move(work), impl_->timeout, impl_->communication_seconds);
}

std::unique_ptr<ProcessGroup::Pending> ProcessGroup::send_async(const torch::Tensor& t, int peer, int tag) {
  // Gloo moves host memory; a CUDA tensor goes through NCCL where it is built in, else via the host.
  std::vector<torch::Tensor> tensors{t.contiguous()};
  c10::intrusive_ptr<c10d::Work> work;
#ifdef DCL_WITH_NCCL
  if (impl_->nccl && t.is_cuda()) work = impl_->nccl->send(tensors, peer, tag);
#endif
  if (!work) {
    if (tensors.front().is_cuda()) tensors.front() = tensors.front().cpu();
    work = impl_->group->send(tensors, peer, tag);
  }
  return std::make_unique<PendingWork<decltype(work)>>(std::move(work), impl_->timeout, impl_->communication_seconds);
}

void ProcessGroup::recv(torch::Tensor& t, int peer, int tag) {
  torch::NoGradGuard no_grad;
#ifdef DCL_WITH_NCCL
  if (impl_->nccl && t.is_cuda() && t.is_contiguous()) {
    std::vector<torch::Tensor> tensors{t};
    auto work = impl_->nccl->recv(tensors, peer, tag);
    impl_->wait(work);
    return;
  }
#endif
  std::vector<torch::Tensor> tensors{
      t.is_cuda() || !t.is_contiguous() ? torch::empty(t.sizes(), t.options().device(torch::kCPU)) : t};
  auto work = impl_->group->recv(tensors, peer, tag);
  impl_->wait(work);
  if (!tensors.front().is_same(t)) t.copy_(tensors.front());
}

std::string ProcessGroup::diagnose_failure() {
  Impl& s = impl_->job ? *impl_->job : *impl_;
  try {
    auto store = s.connect(false);
    auto read = [&] {
      std::vector<int64_t> beats;
      for (int r = 0; r < s.env.world_size; ++r) beats.push_back(store->add(heartbeat_key(r), 0));
      return beats;
    };
    std::vector<int64_t> before = read();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    std::vector<int64_t> after = read();
    std::string silent;
    for (int r = 0; r < s.env.world_size; ++r)
      if (r != s.env.rank && after[size_t(r)] == before[size_t(r)])
        silent += (silent.empty() ? "" : ", ") + std::to_string(r);
    if (silent.empty()) return "every peer still answers, so a peer failed on its own (see its error)";
    return "rank " + silent + " stopped answering (exited, was killed or hangs)";
  } catch (const std::exception&) {
    return "rank 0, which hosts the job's store at " + s.env.master_addr + ":" + std::to_string(s.env.master_port) +
           ", is gone (exited, was killed or hangs)";
  }
}

double ProcessGroup::take_communication_seconds() {
  double s = impl_->communication_seconds;
  impl_->communication_seconds = 0;
  return s;
}

struct DataParallelExchange::Flight {
  Stage* stage = nullptr;
  std::vector<torch::Tensor> grads;  // the stage's gradients, in parameter order
  std::vector<torch::Tensor> buckets;
  std::vector<std::unique_ptr<ProcessGroup::Pending>> pending;
};

DataParallelExchange::DataParallelExchange(std::shared_ptr<ProcessGroup> group, int64_t bucket_elements)
    : group_(std::move(group)), bucket_elements_(bucket_elements) {}

DataParallelExchange::~DataParallelExchange() = default;

void DataParallelExchange::start(Stage& stage) {
  torch::NoGradGuard no_grad;
  auto flight = std::make_unique<Flight>();
  flight->stage = &stage;
  // Every rank runs the same graph, so the same parameters have gradients on every rank (one
  // without is skipped everywhere, and its optimiser skips it as in a single process).
  for (auto& p : stage.parameters())
    if (p.grad().defined()) flight->grads.push_back(p.grad());
  std::vector<torch::Tensor> run;
  int64_t elements = 0;
  auto launch = [&] {
    if (run.empty()) return;
    std::vector<torch::Tensor> flat;
    for (auto& g : run) flat.push_back(g.reshape({-1}));
    torch::Tensor bucket = torch::cat(flat).mul_(share_);
    flight->pending.push_back(with_peer_diagnosis(*group_, "the gradient all-reduce of stage " + stage.name(),
                                                  [&] { return group_->all_reduce_sum_async(bucket); }));
    flight->buckets.push_back(bucket);
    run.clear();
    elements = 0;
  };
  for (auto& g : flight->grads) {
    if (elements > 0 && elements + g.numel() > bucket_elements_) launch();
    run.push_back(g);
    elements += g.numel();
  }
  launch();
  flights_.push_back(std::move(flight));
}

void DataParallelExchange::finish(Stage& stage) {
  torch::NoGradGuard no_grad;
  for (auto it = flights_.begin(); it != flights_.end(); ++it) {
    if ((*it)->stage != &stage) continue;
    Flight& f = **it;
    size_t g = 0;
    for (size_t b = 0; b < f.buckets.size(); ++b) {
      with_peer_diagnosis(*group_, "the gradient all-reduce of stage " + stage.name(), [&] { f.pending[b]->wait(); });
      int64_t offset = 0;
      while (g < f.grads.size() && offset < f.buckets[b].numel()) {
        int64_t n = f.grads[g].numel();
        f.grads[g].copy_(f.buckets[b].narrow(0, offset, n).view_as(f.grads[g]));
        offset += n;
        ++g;
      }
    }
    flights_.erase(it);
    return;
  }
  throw std::logic_error("DataParallelExchange::finish: no exchange in flight for stage " + stage.name());
}

}  // namespace dcl
