"""Full-ranking evaluation on the fixed test set, per user, per group and per view."""
