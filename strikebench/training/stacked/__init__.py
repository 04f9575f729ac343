"""Several cells trained at once (``trainer.stack=K``): K copies of one RecBole model, each
with its own company data, negatives, early stopping and best weights, in one process on one
device. Entry point: ``fit_cells`` (stacked when the model stacks, else one at a time); see
docs/performance.md ("Several cells at once")."""
from strikebench.training.stacked.cells import fit_alone, fit_cells, stacks
from strikebench.training.stacked.checkpoint import clear as clear_checkpoint
from strikebench.training.stacked.config import check, group_key, stack_size
from strikebench.training.stacked.group import GroupResult, fit_stacked
from strikebench.training.stacked.members import StackMember
from strikebench.training.stacked.models import STACKABLE, unsupported_reason

__all__ = ["STACKABLE", "GroupResult", "StackMember", "check", "clear_checkpoint", "fit_alone", "fit_cells",
           "fit_stacked", "group_key", "stack_size", "stacks", "unsupported_reason"]
