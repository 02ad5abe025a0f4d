"""Coordination screens, one module per subject. Thin: parse the form, fetch through access_*, change through
do_*, show refusals beside their fields. urls.py names each view by its module."""
