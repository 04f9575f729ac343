"""Adam over stacked parameters: each cell (row of the leading dimension) its own step count.

``torch.optim.Adam`` moves every parameter it holds at every step (its moments carry on with a
zero gradient) and keeps one step count. A cell of a stacked group steps only when it has a
batch, and a cell that stopped must not move, so the update here touches the rows it is given,
with each row's own bias correction. The arithmetic is torch's single-tensor Adam
(``torch.optim.adam._single_tensor_adam``: L2 weight decay added to the gradient, no amsgrad),
checked against it in tests/training/test_stacked.py.
"""
from __future__ import annotations

import torch


class StackedAdam:
    """Parameters [A, ...] (A cells), their first and second moments, and steps per cell."""

    def __init__(self, params: dict[str, torch.Tensor], lr: float, weight_decay: float = 0.0,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = {name: p.detach().clone() for name, p in params.items()}
        self.exp_avg = {name: torch.zeros_like(p) for name, p in self.params.items()}
        self.exp_avg_sq = {name: torch.zeros_like(p) for name, p in self.params.items()}
        first = next(iter(self.params.values()))
        self.steps = torch.zeros(first.shape[0], dtype=torch.float64, device=first.device)
        self.lr, self.weight_decay, self.betas, self.eps = float(lr), float(weight_decay), betas, float(eps)

    def __len__(self) -> int:
        return len(self.steps)

    @torch.no_grad()
    def step(self, rows: slice, grads: dict[str, torch.Tensor]) -> None:
        """One Adam step for the cells ``rows`` (a slice of the stack) with their gradients."""
        beta1, beta2 = self.betas
        self.steps[rows] += 1
        steps = self.steps[rows]
        # Bias corrections in float64, as torch computes them on the host from a Python int.
        step_size = self.lr / (1 - beta1 ** steps)
        correction2_sqrt = (1 - beta2 ** steps).sqrt()
        for name, grad in grads.items():
            param = self.params[name][rows]
            exp_avg, exp_avg_sq = self.exp_avg[name][rows], self.exp_avg_sq[name][rows]
            if self.weight_decay:
                grad = grad.add(param, alpha=self.weight_decay)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            shape = (-1,) + (1,) * (param.dim() - 1)
            # param -= step_size * exp_avg / denom, with one temporary (the step size is per row)
            denom = exp_avg_sq.sqrt().div_(correction2_sqrt.to(param.dtype).view(shape)).add_(self.eps)
            param.addcdiv_(exp_avg, denom.div_(step_size.to(param.dtype).view(shape)), value=-1)

    def keep(self, index: torch.Tensor) -> None:
        """Keep only the cells ``index`` (rows, in this order): stopped cells leave the stack."""
        for table in (self.params, self.exp_avg, self.exp_avg_sq):
            for name in table:
                table[name] = table[name][index]
        self.steps = self.steps[index]

    def state(self) -> dict[str, torch.Tensor]:
        """Every tensor, by a flat name (for a checkpoint)."""
        out = {"steps": self.steps}
        for kind, table in (("params", self.params), ("exp_avg", self.exp_avg), ("exp_avg_sq", self.exp_avg_sq)):
            out.update({f"{kind}.{name}": value for name, value in table.items()})
        return out

    def load(self, state: dict[str, torch.Tensor]) -> None:
        """The tensors :meth:`state` returned (the stack may have fewer cells by then)."""
        self.steps = state["steps"].to(self.steps.device)
        for kind, table in (("params", self.params), ("exp_avg", self.exp_avg), ("exp_avg_sq", self.exp_avg_sq)):
            for name in table:
                table[name] = state[f"{kind}.{name}"].to(table[name].device)
