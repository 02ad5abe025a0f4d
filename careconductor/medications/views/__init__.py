"""The staff's medication screens, one module per subject: medications (the list, adding and stopping) and
reconciliation. Thin: parse the form, fetch through access_*, change through do_*, show refusals beside their
fields. urls.py names each view by its module."""
