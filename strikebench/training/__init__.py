"""Training a RecBole model on one company's data with PyTorch Lightning."""
