"""Training a RecBole model on one company's data with PyTorch Lightning.

``fit.fit_company`` reads as its steps: ``recbole_config`` (the cell's config as RecBole's),
``loaders`` (RecBole's training loader or the ``fast`` path, on ``company_data``'s copies;
``sequences`` for sequential models), ``models`` (which model, built how), ``recipes`` (what
one epoch of RecBole's trainer does), ``module`` (the LightningModule), ``lightning_fit``
(early stopping, checkpoints, resuming) and ``scoring`` (user ids -> scores). ``check`` holds
the rules about the model and trainer config sections. Validation is injected by the caller
(``strikebench.evaluation.validation``): training never imports the evaluator.
"""
