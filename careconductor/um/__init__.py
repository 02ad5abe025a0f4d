"""Utilisation management: prior authorisation on the regulatory clock (issue 21)."""
