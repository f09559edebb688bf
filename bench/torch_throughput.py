"""PyTorch reference for bench/throughput.ts: training images/s of a course network.

Builds the network from the same submission JSON the grader reads, then times full training
steps (uint8 batch -> float in [0, 1], forward, cross-entropy, backward, Adam) at a fixed batch
size on the CPU with a fixed number of threads. Prints one JSON object on stdout.

    /usr/bin/python3 bench/torch_throughput.py rubric/examples/convnet.json --threads 2
"""

import argparse
import json
import statistics
import time

import torch
from torch import nn


def pair(value):
    return tuple(value) if isinstance(value, list) else (value, value)


def build(layers):
    """nn.Sequential for the layer types the course networks use."""
    modules = []
    channels = 3
    for layer in layers:
        kind = layer["type"]
        if kind == "Conv2d":
            padding = layer.get("padding", 0)
            modules.append(
                nn.Conv2d(
                    channels,
                    layer["out_channels"],
                    pair(layer["kernel_size"]),
                    stride=pair(layer.get("stride", 1)),
                    padding=padding if isinstance(padding, str) else pair(padding),
                    dilation=pair(layer.get("dilation", 1)),
                    groups=layer.get("groups", 1),
                    bias=layer.get("bias", True),
                )
            )
            channels = layer["out_channels"]
        elif kind == "Linear":
            modules.append(
                nn.Linear(layer["in_features"], layer["out_features"], bias=layer.get("bias", True))
            )
        elif kind == "ReLU":
            modules.append(nn.ReLU())
        elif kind == "MaxPool2d":
            kernel = pair(layer["kernel_size"])
            modules.append(
                nn.MaxPool2d(kernel, stride=pair(layer.get("stride", layer["kernel_size"])),
                             padding=pair(layer.get("padding", 0)))
            )
        elif kind == "Flatten":
            modules.append(nn.Flatten())
        else:
            raise SystemExit(f"torch_throughput.py: layer type {kind} is not supported here")
    return nn.Sequential(*modules)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("submission")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30, help="steps per timed run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs, after one warm-up run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with open(args.submission, encoding="utf-8") as handle:
        layers = json.load(handle)["experiments"][0]["layers"]
    model = build(layers)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    count = args.batch * args.steps
    images = torch.randint(0, 256, (count, 3, 32, 32), dtype=torch.uint8)
    labels = torch.randint(0, 10, (count,))

    def run():
        order = torch.randperm(count)
        started = time.perf_counter()
        for step in range(args.steps):
            index = order[step * args.batch:(step + 1) * args.batch]
            x = images[index].float().div_(255)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), labels[index])
            loss.backward()
            optimizer.step()
        return count / (time.perf_counter() - started)

    run()  # warm-up
    rates = [run() for _ in range(args.runs)]
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "images_per_second": rates,
        "median": statistics.median(rates),
    }))


if __name__ == "__main__":
    main()
