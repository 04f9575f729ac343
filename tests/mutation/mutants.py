"""The planted bugs: each is text substitutions in strikebench/, and the tests that must catch it.

A substitution must match exactly once in the current code; :func:`plant` fails loudly otherwise,
so that when code moves the mutant is updated instead of silently planting nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class MutantDoesNotApply(RuntimeError):
    pass


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str  # the bug, in words
    path: str  # the file, relative to the repository root
    edits: tuple[tuple[str, str], ...]  # (text that must occur exactly once, its replacement)
    killers: tuple[str, ...]  # pytest node ids that must fail with the mutant planted

    def planted(self, text: str) -> str:
        for old, new in self.edits:
            found = text.count(old)
            if found != 1:
                raise MutantDoesNotApply(f"{self.name}: {self.path} holds {found} copies of {old!r} (expected 1): "
                                         "the code moved; update tests/mutation/mutants.py")
            text = text.replace(old, new)
        return text


def plant(mutant: Mutant, root: Path) -> None:
    """Write ``mutant`` into the repository copy at ``root``."""
    path = Path(root) / mutant.path
    path.write_text(mutant.planted(path.read_text()))


MUTANTS = (
    Mutant("M1", "rounding: ceil instead of round-half-up in participant_count",
           "strikebench/levers/participants.py",
           (("math.floor(participation * group_size + 0.5)", "math.ceil(participation * group_size)"),),
           ("tests/levers/test_strike_core.py::test_participant_counts_off_the_half_grid",
            "tests/levers/test_strike_core.py::test_the_record_counts_the_participants_off_the_grid")),
    Mutant("M2", "mask: the history mask deleted (users are shown what they already consumed)",
           "strikebench/evaluation/ranking.py",
           (('keys.view(-1).index_fill_(0, rows * keys.shape[1] + items, float("-inf"))', "pass"),
            ('keys.masked_fill_(history, float("-inf"))', "pass")),
           ("tests/evaluation/test_evaluation.py::test_per_user_metrics_by_hand",
            "tests/evaluation/test_history_mask.py::test_the_user_mask_adds_the_true_history_but_keeps_the_companys_popularity")),
    Mutant("M3", "numerator: the loss share's numerator swapped, M(p) - M(0)",
           "strikebench/analysis/gap.py",
           (('out["loss_share"] = (out["full_value"] - out["value"])', 'out["loss_share"] = (out["value"] - out["full_value"])'),),
           ("tests/analysis/test_analysis_gap.py::test_loss_share_point_and_ci_by_hand",)),
    Mutant("M4", "resume: the fit never resumes (ckpt_path=None), though the record says it did",
           "strikebench/training/lightning_fit.py",
           (("ckpt_path=str(resume) if resumed_from is not None else None)", "ckpt_path=None)"),),
           ("tests/training/test_resume.py::test_a_killed_cell_resumes_and_ends_as_if_never_interrupted",)),
    Mutant("M5", "popularity source: fallback popularity and known items from the full data's training rows",
           "strikebench/app/cell.py",
           (("per_user = evaluate_company(cfg, name, fit, held, view, holdout, device, timings)",
             "per_user = evaluate_company(cfg, name, fit, held, view, holdout, device, timings, split)"),
            ("def evaluate_company(cfg, name, fit, held, view, holdout: Holdout, device, timings: dict) -> pd.DataFrame:",
             "def evaluate_company(cfg, name, fit, held, view, holdout: Holdout, device, timings: dict, split=None) -> pd.DataFrame:"),
            ("    per_user = evaluate(fit.score_fn, ctx, batch_size=int(cfg.eval.batch_size))",
             "    ctx.popularity = torch.as_tensor(np.bincount(held.item[split.train], minlength=held.n_items),\n"
             "                                     dtype=torch.float32, device=device)\n"
             "    per_user = evaluate(fit.score_fn, ctx, batch_size=int(cfg.eval.batch_size))")),
           ("tests/evaluation/test_company_popularity.py::test_the_participants_fallback_and_the_known_items_are_the_companys",)),
    Mutant("M6", "nesting: the participants' permutation depends on the participation level",
           "strikebench/levers/participants.py",
           (("order = streams.rng(seed, streams.PARTICIPANTS).permutation(len(group))",
             "order = streams.rng(seed + count, streams.PARTICIPANTS).permutation(len(group))"),),
           ("tests/levers/test_strike_core.py::test_participants_are_nested_across_participation_levels",)),
    Mutant("M7", "strike: participants' validation rows stay with the company",
           "strikebench/levers/strike.py",
           (("gone_valid = participant_rows(view.valid, user, users)",
             "gone_valid = participant_rows(view.valid[:0], user, users)"),),
           ("tests/levers/test_strike_core.py::test_strike_removes_exactly_the_participants_train_and_valid",
            "tests/levers/test_levers_invariants.py::test_strike_removes_only_and_all_participants_training_side")),
    Mutant("M8", "poison: replacement items may be ones the user already has",
           "strikebench/levers/poison.py",
           (("excluded = np.searchsorted(pool, np.intersect1d(user_items, pool))",
             "excluded = np.searchsorted(pool, np.intersect1d(user_items[:0], pool))"),),
           ("tests/levers/test_levers_invariants.py::test_poisoning_conserves_counts_and_never_uses_an_item_the_user_has",)),
    Mutant("M9", "unknown items: items in no training row are not demoted below known ones",
           "strikebench/evaluation/ranking.py",
           (("    keys.index_fill_(1, torch.nonzero(~known_items).flatten(), UNKNOWN_ITEM_SCORE)\n", ""),),
           ("tests/evaluation/test_evaluation.py::test_ties_break_by_item_index_and_unknown_items_rank_last",)),
    Mutant("M10", "ties: equal scores ordered by the larger item index first",
           "strikebench/evaluation/ranking.py",
           (("index = torch.sort(index, dim=1).values", "index = torch.sort(index, dim=1, descending=True).values"),),
           ("tests/evaluation/test_evaluation.py::test_ties_break_by_item_index_and_unknown_items_rank_last",
            "tests/evaluation/test_evaluation.py::test_top_k_equals_a_stable_sort")),
)
