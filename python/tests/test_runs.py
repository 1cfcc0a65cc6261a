"""Training, evaluation, export and loading from Python, on the tiny dataset (conftest.py)."""
import os
import signal
import threading

import pytest
import torch

import dcl

FAST = dict(epochs=1, batch_size=64, threads=1, loader_threads=1)


@pytest.fixture(scope="module")
def trained(tiny_data, tmp_path_factory):
    directory, _, _ = tiny_data
    out = tmp_path_factory.mktemp("runs") / "fc-dcl"
    summary = dcl.train(data="fmnist", arch="fc", method="dcl", out=str(out), data_dir=str(directory), **FAST)
    return out, summary


def test_train_returns_the_summary(trained):
    out, summary = trained
    assert summary == dcl.runs._read_json(os.path.join(out, "summary.json"))
    assert 0 <= summary["test_error"] < 50  # the bars are learned well above chance (90% error)


def test_invalid_flags_raise_the_command_lines_one_line_error(tiny_data, tmp_path):
    with pytest.raises(dcl.DclError) as e:
        dcl.train(data="fmnist", arch="fc", method="dcl", out=str(tmp_path / "r"), batch_size=0)
    assert e.value.exit_code in (1, 2)
    assert "--batch-size" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(dcl.DclError, match="unknown method|--method"):
        dcl.train(data="fmnist", arch="fc", method="nosuch", out=str(tmp_path / "r"))
    with pytest.raises(ValueError, match="nproc"):
        dcl.train(data="fmnist", arch="fc", method="dcl", out=str(tmp_path / "r"), nproc=2)


def test_loaded_run_predicts_exactly_what_dcl_eval_reports(trained, tiny_data):
    out, _ = trained
    _, _, (images, labels) = tiny_data
    evaluated = dcl.evaluate(str(out))
    model = dcl.load(str(out))
    assert isinstance(model, torch.nn.Module)
    assert model.class_names[0] == "T-shirt/top" and len(model.class_names) == 10
    predicted = model.predict(torch.from_numpy(images).unsqueeze(1))
    correct = int((predicted == torch.from_numpy(labels).long()).sum())
    assert correct == round(evaluated["head_accuracy"] * evaluated["samples"])
    assert evaluated["samples"] == len(labels)


def test_export_is_readable_by_torch_load_and_loads_back(trained, tiny_data, tmp_path):
    out, _ = trained
    _, _, (images, _) = tiny_data
    file = tmp_path / "fc-dcl.pt"
    architecture = dcl.export(str(out), str(file))
    tensors = torch.load(str(file))  # plain PyTorch: a dict of name -> tensor
    assert set(tensors) == set(architecture["tensors"])
    assert "shared.dictionary.embeddings" in tensors
    model = dcl.load(str(out))
    for name, tensor in tensors.items():
        assert list(tensor.shape) == architecture["tensors"][name]
        torch.testing.assert_close(tensor, model.get_buffer(name), rtol=0, atol=0)
    exported = dcl.load(str(file))
    x = torch.from_numpy(images[:32]).unsqueeze(1)
    torch.testing.assert_close(exported(x), model(x), rtol=0, atol=0)
    assert exported.class_names == model.class_names and exported.config["method"] == "dcl"


def test_a_damaged_export_is_refused_by_name(trained, tmp_path):
    out, _ = trained
    file = tmp_path / "e.pt"
    dcl.export(str(out), str(file))
    file.write_bytes(b"not a zip")
    with pytest.raises(RuntimeError, match="torch.save"):
        dcl.load(str(file))
    with pytest.raises(ValueError, match="no such run directory or export file"):
        dcl.load(str(tmp_path / "missing"))


def test_ctrl_c_writes_a_checkpoint_and_the_run_resumes(tiny_data, tmp_path):
    directory, _, _ = tiny_data
    out = tmp_path / "interrupted"
    python_handler = signal.getsignal(signal.SIGINT)
    done = threading.Event()

    def interrupt_after_the_first_epoch():  # the trainer's own handler is installed by then
        while not done.is_set() and not (out / "metrics.jsonl").exists():
            done.wait(0.05)
        if not done.is_set():
            os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt_after_the_first_epoch)
    thread.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            dcl.train(data="fmnist", arch="fc", method="dcl", out=str(out), data_dir=str(directory),
                      **dict(FAST, epochs=30))
    finally:
        done.set()
        thread.join()
    assert signal.getsignal(signal.SIGINT) is python_handler  # Python's Ctrl-C is back
    assert (out / "checkpoint.pt").exists() and not (out / "summary.json").exists()
    assert dcl.load(str(out)).epochs_trained < 30
    summary = dcl.train(out=str(out), resume=True)
    assert "test_error" in summary and dcl.load(str(out)).epochs_trained == 30


def test_compare_returns_the_table(tiny_data, tmp_path):
    directory, _, _ = tiny_data
    rows = dcl.compare(["dcl", "dcl-s"], out=str(tmp_path / "cmp"), data="fmnist", arch="fc",
                       data_dir=str(directory), **FAST)
    assert [r["method"] for r in rows] == ["dcl", "dcl-s"]
    assert all(float(r["test_error_mean"]) < 90 for r in rows)
