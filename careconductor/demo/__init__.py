"""Synthetic demo data: `careconductor demo [--patients N] [--seed S]` builds a believable organisation."""
