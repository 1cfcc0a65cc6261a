// dcl._C: the C++ trainer and saved runs for the Python package (python/dcl/). The operators are
// registered by ops.cpp when this module loads.
#include <signal.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <torch/extension.h>

#include "dcl/cli/run_cli.h"
#include "dcl/training/run_export.h"
#include "dcl/training/trainer.h"

namespace py = pybind11;

namespace {

// Runs a dcl command line in this process with the GIL released. While it runs, SIGINT and
// SIGTERM belong to the trainer (it finishes the step, writes a checkpoint and stops); Python's
// handlers are put back afterwards. Returns (exit code, error line, whether a signal stopped it).
std::tuple<int, std::string, bool> run_command(const std::vector<std::string>& args) {
  std::vector<std::string> owned = {"dcl"};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);
  struct sigaction python_int {
  }, python_term{};
  sigaction(SIGINT, nullptr, &python_int);
  sigaction(SIGTERM, nullptr, &python_term);
  dcl::stop_requested().store(false);
  std::string error;
  int code = 0;
  {
    py::gil_scoped_release released;
    code = dcl::cli::run_cli(int(owned.size()), argv.data(), &error);
  }
  sigaction(SIGINT, &python_int, nullptr);
  sigaction(SIGTERM, &python_term, nullptr);
  bool stopped = dcl::stop_requested().exchange(false);
  return {code, error, stopped};
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "dcl's C++ core: the command line, saved runs, and (torch.ops.dcl) the local losses";
  m.def("run_command", &run_command, py::arg("args"),
        "Runs `dcl ARGS...` in this process; returns (exit code, error line, stopped by a signal)");
  m.def(
      "evaluate_run",
      [](const std::string& run_dir, const std::string& data_dir, int threads) {
        py::gil_scoped_release released;
        return dcl::evaluate_run(run_dir, data_dir, threads).dump();
      },
      py::arg("run_dir"), py::arg("data_dir") = "", py::arg("threads") = 0, "dcl eval --run RUN_DIR, as a JSON string");
  py::class_<dcl::LoadedModel, std::shared_ptr<dcl::LoadedModel>>(m, "LoadedModel")
      .def(py::init([](const std::string& path, const std::string& data_dir) {
             py::gil_scoped_release released;
             return std::make_shared<dcl::LoadedModel>(dcl::load_model(path, data_dir));
           }),
           py::arg("path"), py::arg("data_dir") = "")
      .def("normalise", &dcl::LoadedModel::normalise, py::arg("images"))
      .def(
          "predict",
          [](dcl::LoadedModel& self, const torch::Tensor& x) {
            py::gil_scoped_release released;
            return self.predict(x);
          },
          py::arg("x"))
      .def("architecture", [](const dcl::LoadedModel& self) { return self.architecture().dump(); })
      .def("named_tensors", [](dcl::LoadedModel& self) { return self.model.named_state(); })
      .def_readonly("class_names", &dcl::LoadedModel::class_names)
      .def_readonly("mean", &dcl::LoadedModel::mean)
      .def_readonly("std", &dcl::LoadedModel::std)
      .def_readonly("epochs_trained", &dcl::LoadedModel::epochs_trained);
}
