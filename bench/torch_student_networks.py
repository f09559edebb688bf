"""PyTorch's side of bench/student-networks.ts: training images/s of one network on a slice of
the real CIFAR-10 training set.

Builds the network from the layer list (bench/torch_spec.py, the design's reading of the format),
then times epochs over the first `limit` training images: shuffled batches, pixels in [0, 1],
forward, cross-entropy, backward, Adam. The first epoch is a warm-up. Prints one JSON object.

    /usr/bin/python3 bench/torch_student_networks.py REQUEST.json

REQUEST.json: {"dataDir", "layers", "batch", "limit", "runs", "threads", "seed"}
"""

import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_spec import build  # noqa: E402

RECORD = 3073


def read_slice(data_dir, count):
    """The first `count` training images (data_batch_1 onwards) and their labels."""
    records = []
    left = count
    for i in range(1, 6):
        if left <= 0:
            break
        chunk = np.fromfile(os.path.join(data_dir, f"data_batch_{i}.bin"), dtype=np.uint8,
                            count=left * RECORD).reshape(-1, RECORD)
        records.append(chunk)
        left -= len(chunk)
    records = np.concatenate(records)
    labels = torch.from_numpy(records[:, 0].astype(np.int64))
    images = torch.from_numpy(records[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)
    return images, labels


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        request = json.load(handle)
    torch.set_num_threads(request["threads"])
    torch.manual_seed(request["seed"])
    images, labels = read_slice(request["dataDir"], request["limit"])
    model = build(request["layers"])
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    batch = request["batch"]
    count = len(labels)

    def epoch():
        order = torch.randperm(count)
        started = time.perf_counter()
        for start in range(0, count, batch):
            index = order[start:start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(images[index]), labels[index])
            loss.backward()
            optimizer.step()
        return count / (time.perf_counter() - started)

    epoch()  # warm-up
    rates = [epoch() for _ in range(request["runs"])]
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "images_per_second": rates,
        "median": statistics.median(rates),
    }))


if __name__ == "__main__":
    main()
