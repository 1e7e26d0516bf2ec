"""A network as a straight-line program of stages over numbered values.

Value 0 is the model input.  Each :class:`Node` applies one stage to earlier
values and defines a new one, so sequential stacks, residual additions and
concatenations all run through the same engine loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .stages import Elementwise, Stage


@dataclass
class Node:
    """``values[output] = stage(*values[inputs])``."""

    stage: Stage
    inputs: tuple[int, ...]
    output: int


@dataclass
class Network:
    """A model as a program of stages, with the shapes that flow through it.

    Attributes
    ----------
    nodes : list of Node
        In execution order; value 0 is the input.
    output : int
        The value holding the model output.
    input_shape : tuple of int
        Shape of one model input.
    n_outputs : int
        Number of output units K (the output is flattened).
    device : torch.device
        Where the stages' tensors live.
    """

    nodes: list[Node]
    output: int
    input_shape: tuple[int, ...]
    n_outputs: int
    device: torch.device
    last_use: dict[int, int] = field(init=False)

    def __post_init__(self):
        # Index of the last node reading each value; the output lives to the end.
        self.last_use = {0: -1}
        for index, node in enumerate(self.nodes):
            for value in node.inputs:
                self.last_use[value] = index
        self.last_use[self.output] = len(self.nodes)

    @property
    def activations(self) -> list[Elementwise]:
        """The piecewise-linear stages, in order: the layers that cut regions."""
        return [node.stage for node in self.nodes if isinstance(node.stage, Elementwise)]

    def run(self, values: dict, start: int, stop: int, apply) -> dict:
        """Run nodes ``start:stop`` on ``values`` (id -> tensor) with ``apply(node, inputs)``; drop dead values."""
        for index in range(start, stop):
            node = self.nodes[index]
            values[node.output] = apply(node, [values[i] for i in node.inputs])
            for value in node.inputs:
                if self.last_use[value] <= index:
                    values.pop(value, None)
        return values

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Evaluate the program on inputs ``(B, *input_shape)``: outputs ``(B, K)``."""
        values = self.run({0: x}, 0, len(self.nodes), lambda node, inputs: node.stage.evaluate(*inputs))
        out = values[self.output]
        return out.reshape(out.shape[0], -1)

    def first_non_finite(self, x: torch.Tensor) -> tuple[str, float] | None:
        """The first stage whose output on inputs ``x (B, *input_shape)`` is not finite.

        Returns its name and the largest magnitude entering it, or None when every value is finite.
        """
        values = {0: x}
        for node in self.nodes:
            inputs = [values[i] for i in node.inputs]
            values[node.output] = node.stage.evaluate(*inputs)
            if not bool(torch.isfinite(values[node.output]).all()):
                return node.stage.name, max(float(v.abs().max()) for v in inputs)
        return None

    def input_jacobian(self, x) -> np.ndarray:
        """``(K, *input_shape)`` gradient of each output at one input ``x`` (float64)."""
        point = torch.as_tensor(x, dtype=torch.float64, device=self.device)
        jacobian = torch.autograd.functional.jacobian(lambda p: self.forward(p[None])[0], point)
        return jacobian.reshape(self.n_outputs, *self.input_shape).cpu().numpy()
