from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "careconductor.accounts"
    label = "accounts"
