"""Datasets as RecBole reads them, and the fixed split every cell of a study shares."""
