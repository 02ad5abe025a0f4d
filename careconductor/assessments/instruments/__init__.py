"""Shipped instruments: for each, a Questionnaire (`<name>.json`) and its scoring function (`<name>.py`, with
`PANEL` naming the Questionnaire's code and a pure `score(answers) -> Result`). See engine.py and
CONTRIBUTING.md, "Adding an instrument"."""
