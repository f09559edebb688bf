"""Builds a PyTorch nn.Module from a submission's layer list (the design's format, version 1).

Shared by bench/torch_fidelity.py and test/fixtures/train/torch_reference.py so that both
compare our tfjs models against one PyTorch reading of the spec.
"""

from torch import nn


def pair(v):
    return tuple(v) if isinstance(v, list) else (v, v)


class Residual(nn.Module):
    """output = body(x) + shortcut(x); the shortcut is the identity when absent."""

    def __init__(self, body, shortcut):
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x):
        return self.body(x) + (self.shortcut(x) if self.shortcut is not None else x)


def _layer(layer, shape):
    t = layer["type"]
    if t == "Conv2d":
        padding = layer.get("padding", 0)
        return nn.Conv2d(
            shape[0], layer["out_channels"], pair(layer["kernel_size"]),
            stride=pair(layer.get("stride", 1)),
            padding=padding if isinstance(padding, str) else pair(padding),
            dilation=pair(layer.get("dilation", 1)), groups=layer.get("groups", 1),
            bias=layer.get("bias", True))
    if t == "Linear":
        return nn.Linear(shape[0], layer["out_features"], bias=layer.get("bias", True))
    if t == "LeakyReLU":
        return nn.LeakyReLU(layer.get("negative_slope", 0.01))
    if t in ("ReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Flatten"):
        return getattr(nn, t)()
    if t in ("MaxPool2d", "AvgPool2d"):
        kernel = layer["kernel_size"]
        return getattr(nn, t)(pair(kernel), pair(layer.get("stride", kernel)), pair(layer.get("padding", 0)))
    if t == "AdaptiveAvgPool2d":
        return nn.AdaptiveAvgPool2d(pair(layer["output_size"]))
    if t in ("BatchNorm2d", "BatchNorm1d"):
        return getattr(nn, t)(shape[0])
    if t in ("Dropout", "Dropout2d"):
        return getattr(nn, t)(layer.get("p", 0.5))
    if t == "Residual":
        body = build(layer["body"], shape)
        shortcut = build(layer["shortcut"], shape) if "shortcut" in layer else None
        return Residual(body, shortcut)
    raise ValueError(f"unknown layer type {t!r}")


def output_shape(module, shape):
    """Shape after `module` for one input of `shape` (no batch), found by running it."""
    import torch

    was_training = module.training
    module.eval()
    with torch.no_grad():
        out = module(torch.zeros((2,) + tuple(shape)))
    module.train(was_training)
    return tuple(out.shape[1:])


def build(layers, shape=(3, 32, 32)):
    """Layers -> nn.Sequential for inputs of `shape` (C, H, W); optional sizes are inferred."""
    modules = []
    for layer in layers:
        module = _layer(layer, shape)
        modules.append(module)
        shape = output_shape(module, shape)
    return nn.Sequential(*modules)
