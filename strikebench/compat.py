"""Every shim strikebench needs to run RecBole 1.2.1 on today's stack, in one place.

Import RecBole through this module (``from strikebench.compat import recbole_config`` etc.),
never directly, so that the shims are in force before RecBole's code runs. Each shim is
covered by a test in ``tests/test_compat.py`` or ``tests/test_compat_<name>.py`` that exercises
the patched path.

Not shimmed, pinned instead: pandas 3. RecBole's ``Dataset._load_feat`` and ``_fill_nan`` call
``df[field].fillna(..., inplace=True)``, which is a silent no-op under pandas 3 copy-on-write,
so missing feature values would stay missing. pyproject pins ``pandas<3`` for that reason.

Fixed: RecBole's ``Pop`` counts an item at most once per training batch (see
``_pop_exact_counts``), which makes the non-personalised reference depend on the batch size.
RecBole's ``ADMMSLIM`` adds random noise to its scores (see ``_admmslim_no_noise``).
Counted: the repeated user-item rows RecBole's ``rm_dup_inter`` removes (``_count_removed_duplicates``).

Deferred to first use: the scikit-learn RecBole imports with its models and metrics (``_sklearn_on_first_use``).

Never imported: ``recbole.quick_start`` (it imports ray, which breaks on current setuptools).
"""
from __future__ import annotations

import contextlib
import importlib.util
import sys
import types

import numpy as np

from strikebench.errors import StrikebenchError

RECBOLE_VERSION = "1.2.1"  # every shim below is written against it
_APPLIED = False


def _numpy_aliases() -> None:
    # RecBole's Config.compatibility_settings() runs `np.float = np.float_` etc.; numpy 2 removed
    # np.float_, np.complex_ and np.unicode_. RecBole's metrics also use np.float directly, which
    # only exists after a Config was built: set the aliases Config would set, once, up front.
    for old, new in (("float_", np.float64), ("complex_", np.complex128), ("unicode_", np.str_)):
        if not hasattr(np, old):
            setattr(np, old, new)
    for old, new in (("bool", np.bool_), ("int", np.int_), ("float", np.float64), ("complex", np.complex128),
                     ("object", np.object_), ("str", np.str_), ("long", np.int_), ("unicode", np.str_)):
        if old not in np.__dict__:
            setattr(np, old, new)


def _scipy_dok_update() -> None:
    # LightGCN, NGCF, GCMC, NCL, SpectralCF build their graph with dok_matrix._update(dict),
    # removed in scipy 1.13; the dict now lives in dok_matrix._dict.
    from scipy.sparse import dok_matrix

    if not hasattr(dok_matrix, "_update"):
        def _update(self, data):
            self._dict.update(data)

        dok_matrix._update = _update


# The scikit-learn names RecBole imports at module level: SLIMElastic's, NCEPLRec's, its metrics'.
_SKLEARN_NAMES = {
    "sklearn.linear_model": ("ElasticNet",),
    "sklearn.exceptions": ("ConvergenceWarning",),
    "sklearn.utils.extmath": ("randomized_svd",),
    "sklearn.metrics": ("auc", "mean_absolute_error", "mean_squared_error"),
}


class Deferred:
    """A scikit-learn callable RecBole imported, itself imported on its first call."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def real(self):
        return getattr(importlib.import_module(self.module), self.name)

    def __call__(self, *args, **kwargs):
        return self.real()(*args, **kwargs)


def _sklearn_on_first_use() -> None:
    # Importing scikit-learn takes 0.6-1 s (scipy.stats), on every run, and only SLIMElastic,
    # NCEPLRec and RecBole's AUC, MAE and RMSE use it. While RecBole's modules that name it are
    # imported, stand-in modules answer for those names; they are taken out of sys.modules after,
    # so any other import of scikit-learn gets the real one.
    users = ("sklearn", "recbole.evaluator", "recbole.model.general_recommender")  # imported: too late
    if not any(name in sys.modules for name in users):
        stand_ins = {}
        for module, names in _SKLEARN_NAMES.items():
            stand_ins[module] = types.ModuleType(module, "strikebench.compat: scikit-learn, deferred")
            for name in names:
                setattr(stand_ins[module], name, Deferred(module, name))
        sys.modules.update(stand_ins)
        try:
            import recbole.evaluator  # noqa: F401
            import recbole.model.general_recommender  # noqa: F401
        finally:
            for module in stand_ins:
                del sys.modules[module]
    from recbole.model.general_recommender import slimelastic

    if getattr(slimelastic, "_strikebench_patched", False):
        return
    init = slimelastic.SLIMElastic.__init__

    def __init__(self, *args, **kwargs):
        # warnings.simplefilter needs the real ConvergenceWarning class, not a stand-in
        for name in ("ElasticNet", "ConvergenceWarning"):
            if isinstance(getattr(slimelastic, name), Deferred):
                setattr(slimelastic, name, getattr(slimelastic, name).real())
        init(self, *args, **kwargs)

    slimelastic.SLIMElastic.__init__ = __init__
    slimelastic._strikebench_patched = True


def _trainer_weights_only() -> None:
    # torch >= 2.6 loads with weights_only=True by default, and RecBole's checkpoints pickle
    # its Config, so RecBole's own Trainer cannot reload them. Save only tensors and plain
    # values, and load with weights_only=True explicitly.
    import torch
    from recbole.trainer import trainer as trainer_module

    if getattr(trainer_module.Trainer, "_strikebench_patched", False):
        return

    def _save_checkpoint(self, epoch, verbose=True, **kwargs):
        if not self.config["single_spec"] and self.config["local_rank"] != 0:
            return
        saved_model_file = kwargs.pop("saved_model_file", self.saved_model_file)
        state = {
            "config": {"model": str(self.config["model"])},
            "epoch": epoch,
            "cur_step": self.cur_step,
            "best_valid_score": float(self.best_valid_score),
            "state_dict": self.model.state_dict(),
            "other_parameter": {
                k: v for k, v in (self.model.other_parameter() or {}).items() if torch.is_tensor(v)
            },
            "optimizer": self.optimizer.state_dict(),
        }
        torch.save(state, saved_model_file)

    class _TorchWeightsOnly:
        """The torch module as RecBole's trainer sees it, with a safe ``load``."""

        def __getattr__(self, name):
            return getattr(torch, name)

        @staticmethod
        def load(f, map_location=None, **kwargs):
            kwargs["weights_only"] = True
            return torch.load(f, map_location=map_location, **kwargs)

    trainer_module.Trainer._save_checkpoint = _save_checkpoint
    trainer_module.torch = _TorchWeightsOnly()
    trainer_module.Trainer._strikebench_patched = True


def _pop_exact_counts() -> None:
    # RecBole's Pop.calculate_loss does `item_cnt[item] = item_cnt[item] + 1`: with an item
    # twice in a batch the assignment counts it once, so Pop ranks by "batches containing the
    # item" and saturates at the number of batches (most popular items tie). Count exactly.
    import torch
    from recbole.model.general_recommender.pop import Pop

    if getattr(Pop, "_strikebench_patched", False):
        return

    def calculate_loss(self, interaction):
        item = interaction[self.ITEM_ID]
        ones = torch.ones(len(item), 1, dtype=self.item_cnt.dtype, device=self.item_cnt.device)
        self.item_cnt.index_add_(0, item.to(self.item_cnt.device), ones)
        self.max_cnt = torch.max(self.item_cnt, dim=0)[0]
        return torch.nn.Parameter(torch.zeros(1)).to(self.device)

    Pop.calculate_loss = calculate_loss
    Pop._strikebench_patched = True


def _admmslim_no_noise() -> None:
    # RecBole's ADMMSLIM adds uniform noise (up to 1e-5) to every score it returns, drawn from
    # torch's global generator: ties are broken at random, and scores depend on how many
    # random numbers were drawn before. strikebench breaks ties by item index (docs/design.md rule 4)
    # and scores must not depend on the evaluation batch, so its scores are returned as computed.
    from recbole.model.general_recommender import admmslim

    if getattr(admmslim, "_strikebench_patched", False):
        return
    admmslim.add_noise = lambda t, mag=1e-5: t
    admmslim._strikebench_patched = True


def _count_removed_duplicates() -> None:
    # RecBole's Dataset._remove_duplication drops repeated user-item pairs when rm_dup_inter is
    # 'first' or 'last', without saying how many: keep the count on the dataset, for the record.
    from recbole.data.dataset import Dataset

    if getattr(Dataset, "_strikebench_counts_duplicates", False):
        return
    remove = Dataset._remove_duplication

    def _remove_duplication(self):
        before = len(self.inter_feat)
        remove(self)
        self.removed_duplicates = before - len(self.inter_feat)

    Dataset._remove_duplication = _remove_duplication
    Dataset._strikebench_counts_duplicates = True


def _require_recbole() -> None:
    # pip leaves recbole out on Python 3.12 (pyproject.toml): there it is installed on its own.
    if importlib.util.find_spec("recbole") is None:
        raise StrikebenchError(f"recbole is not installed: pip install --no-deps recbole=={RECBOLE_VERSION} "
                               "(its metadata asks for ray<=2.6.3, which strikebench never imports)")


def apply() -> None:
    """Apply every shim once. Safe to call many times."""
    global _APPLIED
    if _APPLIED:
        return
    _require_recbole()
    _numpy_aliases()
    _scipy_dok_update()
    _sklearn_on_first_use()
    _trainer_weights_only()
    _pop_exact_counts()
    _admmslim_no_noise()
    _count_removed_duplicates()
    _APPLIED = True


@contextlib.contextmanager
def clean_argv():
    """RecBole's Config parses sys.argv: `--cfg=job` from Hydra would become a config entry."""
    saved = sys.argv
    sys.argv = saved[:1]
    try:
        yield
    finally:
        sys.argv = saved


def model_class(name: str):
    """The model class for a config's ``model.name``: a RecBole model name (``BPR``), or the
    dotted import path of your own RecBole-style class (``mypackage.models.MyMF``).

    Raises ValueError when neither resolves.
    """
    apply()
    import importlib

    from recbole.utils import get_model

    name = str(name)
    if "." in name:
        module_name, _, class_name = name.rpartition(".")
        try:
            return getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as exc:
            raise ValueError(f"cannot import {name!r}: {exc}") from None
    try:
        return get_model(name)
    except (ValueError, AttributeError, ImportError) as exc:
        raise ValueError(str(exc)) from None


def recbole_config(model, dataset: str, config_dict: dict):
    """A RecBole Config built with the shims in force and a clean argv.

    ``model`` is a RecBole model name, a dotted path to a custom class, or the class itself.
    RecBole's Config._init_device sets CUDA_VISIBLE_DEVICES to its ``gpu_id`` (default "0"),
    which on a Slurm GPU node would point the process at another job's GPU, and it picks CUDA
    whenever one is visible, whatever device was asked for: the environment is restored and
    the device strikebench chose (``config_dict["device"]``) is kept.
    """
    apply()
    import os

    import torch
    from recbole.config import Config

    if isinstance(model, str) and "." in model:
        model = model_class(model)
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    try:
        with clean_argv():
            config = Config(model=model, dataset=dataset, config_dict=config_dict)
    finally:
        if visible is None:
            os.environ.pop("CUDA_VISIBLE_DEVICES", None)
        else:
            os.environ["CUDA_VISIBLE_DEVICES"] = visible
    if config_dict.get("device"):
        config["device"] = torch.device(str(config_dict["device"]))
    return config
