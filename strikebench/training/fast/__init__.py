"""A device-resident training data path for RecBole general models (trainer.data_path=fast)."""
from strikebench.training.fast.loader import FastTrainLoader, fast_train_loader, thin_interaction, unsupported_reason
from strikebench.training.fast.negatives import UniformNegativeSampler

__all__ = ["FastTrainLoader", "UniformNegativeSampler", "fast_train_loader", "thin_interaction", "unsupported_reason"]
