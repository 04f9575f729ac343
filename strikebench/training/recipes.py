"""Training recipes: what one epoch of RecBole's trainer for a model does."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Phase:
    """Passes over the training data with one optimiser (RecBole's Trainer has one phase)."""

    name: str
    parameters: Callable  # model -> iterable of parameters for this phase's optimiser
    passes: int = 1
    loss_kwargs: dict = field(default_factory=dict)
    before: Callable | None = None  # model -> None, run when the phase starts


def training_phases(model_name: str, config) -> list[Phase]:
    """RecBole's RecVAETrainer alternates encoder and decoder passes with their own optimisers;
    every other supported model trains all parameters with one optimiser, one pass an epoch."""
    if model_name == "RecVAE":
        return [
            Phase("encoder", lambda m: m.encoder.parameters(), int(config["n_enc_epochs"]), {"encoder_flag": True}),
            Phase("decoder", lambda m: m.decoder.parameters(), int(config["n_dec_epochs"]), {"encoder_flag": False},
                  before=lambda m: m.update_prior()),
        ]
    return [Phase("all", lambda m: m.parameters())]


class PhasedLoader:
    """Iterates RecBole's training loader once per pass of each phase, yielding (phase, batch)."""

    def __init__(self, loader, phases: list[Phase]):
        self.loader = loader
        self.phases = phases

    def __iter__(self):
        for index, phase in enumerate(self.phases):
            for _ in range(phase.passes):
                for batch in self.loader:
                    yield index, batch

    def __len__(self):
        return sum(phase.passes for phase in self.phases) * len(self.loader)
