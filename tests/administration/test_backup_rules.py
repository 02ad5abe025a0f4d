"""What a backup's manifest says and when a restore refuses one (administration/backup_rules.py): pure."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from careconductor.administration.backup_rules import (
    Manifest,
    NotABackup,
    count_differences,
    file_destination,
    read_manifest,
    refusal,
)

MANIFEST = Manifest(
    made_at="2026-01-05T02:00:00+00:00",
    vendor="sqlite",
    database_name="/srv/cc/careconductor.sqlite3",
    version="0.1.0",
    audit_last_seq=812,
    audit_last_hash="c" * 64,
    counts={"accounts_user": 20, "privacy_auditevent": 812},
    files=3,
    key_check="k" * 64,
)


def test_a_manifest_reads_back_as_written() -> None:
    assert read_manifest(MANIFEST.to_json().encode()) == MANIFEST
    assert MANIFEST.database_member == "database.sqlite3"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (b"", "its manifest cannot be read"),
        (b'{"format": "careconductor-backup", "format_version": 1}', "its manifest cannot be read"),
        (MANIFEST.to_json().replace('"sqlite"', '"mysql"').encode(), "its database 'mysql' is not one"),
        (
            MANIFEST.to_json().replace('"files": 3', '"files": "three"').encode(),
            "its manifest cannot be read",
        ),
    ],
)
def test_a_damaged_manifest_is_not_a_backup(text: bytes, says: str) -> None:
    with pytest.raises(NotABackup, match=says):
        read_manifest(text)


@pytest.mark.parametrize(
    ("vendor", "key", "has_data", "force", "says"),
    [
        ("sqlite", "k" * 64, False, False, ""),
        ("sqlite", "k" * 64, True, True, ""),
        ("sqlite", "k" * 64, True, False, "this installation already holds data"),
        (
            "postgresql",
            "k" * 64,
            False,
            True,
            "the backup is of a SQLite database and this installation runs on PostgreSQL",
        ),
        ("sqlite", "x" * 64, False, True, "the backup was made with another secret key"),
    ],
)
def test_when_a_restore_refuses(vendor: str, key: str, has_data: bool, force: bool, says: str) -> None:
    found = refusal(MANIFEST, vendor=vendor, key_check=key, target_has_data=has_data, force=force)
    assert found.startswith(says) and bool(found) == bool(says)


def test_count_differences_name_each_table_that_differs() -> None:
    assert count_differences(MANIFEST.counts, dict(MANIFEST.counts)) == []
    assert count_differences(MANIFEST.counts, {"accounts_user": 20, "privacy_auditevent": 0}) == [
        "privacy_auditevent: 0 rows, the backup had 812"
    ]
    assert count_differences(MANIFEST.counts, {"privacy_auditevent": 812}) == [
        "accounts_user: None rows, the backup had 20"
    ]


FOLDERS = ("uploads", "education")


@pytest.mark.parametrize(
    ("name", "place"),
    [
        (
            "files/uploads/attachments/2026/12/foot.png",
            ("uploads", PurePosixPath("attachments/2026/12/foot.png")),
        ),
        ("files/education/leaflet.toml", ("education", PurePosixPath("leaflet.toml"))),
        ("files/uploads", None),
        ("files/secret_key/x", None),  # not a folder a backup holds
        ("files/uploads/../../secret_key", None),
        ("/files/uploads/x.png", None),
        ("database.sqlite3", None),
        ("manifest.json", None),
    ],
)
def test_a_file_goes_back_only_into_its_own_folder(
    name: str, place: tuple[str, PurePosixPath] | None
) -> None:
    assert file_destination(name, FOLDERS) == place
