"""Reading and checking strikebench's Hydra config."""
