from django.apps import AppConfig


class ChartConfig(AppConfig):
    """Staff pages about one patient or a list of patients: the top of the import graph, where every
    app's data about a patient comes together. No models."""

    name = "careconductor.chart"
    label = "chart"
