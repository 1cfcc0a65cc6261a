#!/usr/bin/env python3
"""Reads a TensorBoard log directory with the real `tensorboard` package and prints its scalars
as JSON: {tag: [[step, value, wall_time], ...]}. Tests use it to check dcl's event files.

TensorBoard's loader silently drops a record whose CRC fails (it takes it for a file still being
written), so every record is first read strictly with TensorBoard's own record reader.

Usage: read_tensorboard_events.py DIR   (exit status 1 with a message on stderr on any error)
"""
import glob
import json
import os
import sys


def fail(message):
    print(f"read_tensorboard_events: {message}", file=sys.stderr)
    sys.exit(1)


def check_records(path):
    from tensorboard.compat.proto import event_pb2
    from tensorboard.compat.tensorflow_stub import errors, pywrap_tensorflow

    reader = pywrap_tensorflow.PyRecordReader_New(path)
    count = 0
    while True:
        try:
            reader.GetNext()
        except errors.OutOfRangeError:
            break
        except errors.DataLossError as e:
            fail(f"record {count}: {e.message}")  # the message names the file
        try:
            event_pb2.Event.FromString(reader.record())
        except Exception as e:  # protobuf's DecodeError, whatever its module
            fail(f"{path}: record {count} is not a tensorflow.Event: {e}")
        count += 1
    if count == 0:
        fail(f"{path}: no records")


def main():
    if len(sys.argv) != 2:
        fail("usage: read_tensorboard_events.py DIR")
    log_dir = sys.argv[1]
    if not os.path.isdir(log_dir):
        fail(f"{log_dir}: not a directory")
    files = sorted(glob.glob(os.path.join(log_dir, "*tfevents*")))
    if not files:
        fail(f"{log_dir}: no event files (*tfevents*)")
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError as e:
        fail(f"the tensorboard package is missing ({e}): run scripts/setup-python-tools.sh")
    for path in files:
        check_records(path)

    accumulator = event_accumulator.EventAccumulator(
        log_dir, size_guidance={event_accumulator.SCALARS: 0})  # 0: keep every scalar
    accumulator.Reload()
    scalars = {
        tag: [[e.step, e.value, e.wall_time] for e in accumulator.Scalars(tag)]
        for tag in accumulator.Tags()[event_accumulator.SCALARS]
    }
    json.dump(scalars, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
