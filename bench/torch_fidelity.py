"""PyTorch's side of the fidelity benchmark (see bench/fidelity.ts, which runs this script).

Reads the CIFAR-10 binaries, trains each network of a JSON request as the course notebook does
(pixels scaled to [0, 1], shuffled batches, cross-entropy on the logits, torch.optim with
PyTorch's defaults) and prints one JSON object per network on stdout.

    /usr/bin/python3 bench/torch_fidelity.py REQUEST.json

REQUEST.json: {"dataDir", "epochs", "batchSize", "lr", "seeds": [int], "threads", "limitTrain"?,
               "networks": [{"name", "layers"}]}; one line per network and seed.
"""

import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_spec import build  # noqa: E402

TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
TEST_FILE = "test_batch.bin"


def read_split(data_dir, files):
    records = np.concatenate(
        [np.fromfile(os.path.join(data_dir, f), dtype=np.uint8).reshape(-1, 3073) for f in files])
    labels = torch.from_numpy(records[:, 0].astype(np.int64))
    images = torch.from_numpy(records[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)
    return images, labels


def train_and_test(layers, train, test, request, seed):
    torch.manual_seed(seed)
    model = build(layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=request["lr"])
    loss_fn = nn.CrossEntropyLoss()
    images, labels = train
    batch = request["batchSize"]
    epochs = []
    started = time.perf_counter()
    for epoch in range(1, request["epochs"] + 1):
        model.train()
        order = torch.randperm(len(labels))
        loss_sum, correct = 0.0, 0
        epoch_start = time.perf_counter()
        for start in range(0, len(labels), batch):
            idx = order[start:start + batch]
            x, y = images[idx], labels[idx]
            optimizer.zero_grad()
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == y).sum().item()
        epochs.append({"epoch": epoch, "loss": loss_sum / len(labels),
                       "accuracy": 100.0 * correct / len(labels),
                       "seconds": time.perf_counter() - epoch_start})
    train_seconds = time.perf_counter() - started
    model.eval()
    test_images, test_labels = test
    hits = 0
    with torch.no_grad():
        for start in range(0, len(test_labels), 1000):
            hits += (model(test_images[start:start + 1000]).argmax(1) == test_labels[start:start + 1000]).sum().item()
    return {
        "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "testAccuracy": 100.0 * hits / len(test_labels),
        "epochs": epochs,
        "imagesPerSecond": request["epochs"] * len(labels) / train_seconds,
    }


def main():
    with open(sys.argv[1]) as f:
        request = json.load(f)
    torch.set_num_threads(request["threads"])
    train = read_split(request["dataDir"], TRAIN_FILES)
    if request.get("limitTrain"):
        train = (train[0][:request["limitTrain"]], train[1][:request["limitTrain"]])
    test = read_split(request["dataDir"], [TEST_FILE])
    for network in request["networks"]:
        for seed in request["seeds"]:
            result = train_and_test(network["layers"], train, test, request, seed)
            print(json.dumps({"name": network["name"], "seed": seed, "torch": torch.__version__, **result}),
                  flush=True)


if __name__ == "__main__":
    main()
