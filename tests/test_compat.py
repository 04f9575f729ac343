"""Each RecBole shim in strikebench.compat, exercised on its patched path."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import scipy.sparse as sp
import torch

from strikebench import compat


def _config(model, tmp_path, **extra):
    from tests.conftest import TINY_SETTINGS

    settings = dict(TINY_SETTINGS, data_path=str(tmp_path / "data"), checkpoint_dir=str(tmp_path / "saved"),
                    show_progress=False, epochs=1, train_batch_size=16, **extra)
    return compat.recbole_config(model, "tiny", settings)


def test_numpy2_aliases_let_recbole_config_build(tiny_data, tmp_path):
    # Config.compatibility_settings runs `np.float = np.float_`, removed in numpy 2.
    assert np.float_ is np.float64 and np.complex_ is np.complex128 and np.unicode_ is np.str_
    config = _config("BPR", tmp_path)
    assert config["model"] == "BPR"


def test_dok_matrix_update_builds_lightgcn_graph(tiny_data, tmp_path):
    from strikebench.training.models import build_model

    d = sp.dok_matrix((2, 2), dtype=np.float32)
    d._update({(0, 1): 1.0, (1, 0): 2.0})
    assert d.toarray().tolist() == [[0.0, 1.0], [2.0, 0.0]]

    config = _config("LightGCN", tmp_path)
    model = build_model("LightGCN", config, tiny_data.recbole_dataset)
    adjacency = model.norm_adj_matrix.to_dense()
    n = tiny_data.n_users + tiny_data.n_items
    assert adjacency.shape == (n, n)
    # Every training interaction is an edge in both directions of the normalised adjacency.
    u, i = tiny_data.user[0], tiny_data.item[0]
    assert adjacency[u, tiny_data.n_users + i] > 0 and adjacency[tiny_data.n_users + i, u] > 0


def test_recbole_trainer_saves_and_reloads_with_weights_only(tiny_data, tmp_path):
    from recbole.data.utils import create_samplers, get_dataloader
    from recbole.trainer import Trainer

    from strikebench.training.company_data import company_dataset
    from strikebench.training.models import build_model

    config = _config("BPR", tmp_path)
    rows = np.arange(len(tiny_data))
    built = [company_dataset(tiny_data, rows)] * 3
    train_sampler, valid_sampler, _ = create_samplers(config, tiny_data.recbole_dataset, built)
    train = get_dataloader(config, "train")(config, built[0], train_sampler, shuffle=True)
    model = build_model("BPR", config, built[0])
    trainer = Trainer(config, model)
    trainer._save_checkpoint(0)  # RecBole would pickle its Config here
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer._train_epoch(train, 0)
    saved = torch.load(trainer.saved_model_file, weights_only=True)  # loads without pickle
    assert saved["config"] == {"model": "BPR"}
    valid = get_dataloader(config, "valid")(config, built[1], valid_sampler, shuffle=False)
    trainer.evaluate(valid, load_best_model=True)  # RecBole's own reload path, through the shim
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])


def test_pop_counts_items_exactly_whatever_the_batch(tiny_data, tmp_path):
    from recbole.data.interaction import Interaction

    from strikebench.training.models import build_model

    config = _config("Pop", tmp_path)
    model = build_model("Pop", config, tiny_data.recbole_dataset)
    # One batch with item 3 three times and item 5 once: RecBole alone would count 3 once.
    model.calculate_loss(Interaction({"user_id": torch.tensor([1, 2, 3, 4]), "item_id": torch.tensor([3, 3, 5, 3])}))
    assert model.item_cnt[3, 0].item() == 3 and model.item_cnt[5, 0].item() == 1
    assert model.max_cnt.item() == 3


def test_clean_argv_hides_hydra_flags_from_recbole(tmp_path, tiny_data, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["strikebench", "--cfg=job", "model=bpr"])
    config = _config("BPR", tmp_path)
    assert "cfg" not in config.final_config_dict
    assert sys.argv == ["strikebench", "--cfg=job", "model=bpr"]  # restored


def test_running_a_cell_never_imports_recbole_quick_start(tmp_path):
    # quick_start imports ray, which breaks on current setuptools.
    code = (
        "import sys; from strikebench.app.cli import main; "
        f"rc = main(['model=pop', 'strike.participation=0.1', 'trainer=tiny', 'results_dir={tmp_path}']); "
        "assert rc == 0; assert 'recbole.quick_start' not in sys.modules, 'quick_start imported'; "
        "assert 'ray' not in sys.modules, 'ray imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]


def test_recbole_config_keeps_the_gpu_assignment_and_the_chosen_device(tmp_path, tiny_data, monkeypatch):
    # RecBole would set CUDA_VISIBLE_DEVICES to its gpu_id ("0") and pick CUDA when it can.
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "7")
    config = _config("BPR", tmp_path, device="cpu")
    assert config["device"] == torch.device("cpu")
    import os

    assert os.environ["CUDA_VISIBLE_DEVICES"] == "7"


def test_recbole_counts_the_repeated_rows_its_rm_dup_inter_removes(tiny_data, tmp_path):
    from recbole.data import create_dataset

    inter = tmp_path / "data" / "tiny" / "tiny.inter"
    lines = inter.read_text().splitlines()
    inter.write_text("\n".join(lines + lines[1:4]) + "\n")  # three of the 60 rows twice
    kept = create_dataset(_config("Pop", tmp_path))
    assert (kept.removed_duplicates, len(kept.inter_feat)) == (0, 63)
    removed = create_dataset(_config("Pop", tmp_path, rm_dup_inter="first"))
    assert (removed.removed_duplicates, len(removed.inter_feat)) == (3, 60)
