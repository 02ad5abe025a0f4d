"""The patient portal, one module per subject. Thin views: parse the form, read through queries, change through
actions. Every page goes through `portal_view` (guards.py), which fixes whose record is shown and the language;
context.py gives every page its frame."""
