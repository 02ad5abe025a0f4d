"""A library of data files: the ones shipped in the package plus a deployer's own in a folder of the data home,
re-read whenever a file is added, changed or removed (no restart). Care-plan templates and education
materials are both kept this way; each passes its own parser and order.

A shipped file that does not parse is a bug and raises; a deployer's broken file is left out, and why is
kept for the screens and the `check` commands."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

from .errors import ActionRefused

Source = Literal["shipped", "deployer"]
Signature = tuple[tuple[str, int, int], ...]


class FromFile(Protocol):
    """A frozen dataclass that says where it was read from (set by FileLibrary.read)."""

    @property
    def source(self) -> str: ...

    @property
    def path(self) -> Path | None: ...


T = TypeVar("T", bound=FromFile)


class FileLibrary(Generic[T]):
    def __init__(
        self,
        *,
        shipped_dir: Callable[[], Path],
        deployer_dir: Callable[[], Path],
        parse: Callable[[str, str], T],
        order: Callable[[tuple[str, T]], Any],
        max_bytes: int,
    ) -> None:
        # Folders are asked for on each load, so settings (and tests) may move them.
        self.shipped_dir = shipped_dir
        self.deployer_dir = deployer_dir
        self.parse = parse
        self.order = order
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._cache: tuple[Signature, dict[str, T], tuple[str, ...]] | None = None

    def read(self, path: Path, source: Source = "deployer") -> T:
        """The item in the file at `path`. ActionRefused says what is wrong, naming the file."""
        try:
            if path.stat().st_size > self.max_bytes:
                raise ActionRefused(f"{path.name} is larger than {self.max_bytes // 1000} kB.")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ActionRefused(f"{path.name} is not a readable UTF-8 text file: {exc}") from exc
        return replace(self.parse(text, path.name), source=source, path=path)  # type: ignore[type-var]

    def _files(self) -> tuple[list[tuple[Path, Source]], list[str]]:
        files: list[tuple[Path, Source]] = [(p, "shipped") for p in sorted(self.shipped_dir().glob("*.toml"))]
        folder = self.deployer_dir()
        try:
            found = (
                sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))
                if folder.is_dir()
                else []
            )
        except OSError as exc:
            return files, [f"{folder} cannot be read: {exc}"]
        return files + [(p, "deployer") for p in found], []

    @staticmethod
    def _signature(files: list[tuple[Path, Source]]) -> Signature:
        sig = []
        for path, _ in files:
            try:
                st = path.stat()
            except OSError:
                continue  # removed since the listing; the next call sees it gone
            # mtime and size: an edit saved within the clock's resolution still changes the size most times
            sig.append((str(path), st.st_mtime_ns, st.st_size))
        return tuple(sig)

    def load(self) -> tuple[dict[str, T], tuple[str, ...]]:
        """Every usable item by file stem, in the library's order, and why each broken deployer file was left
        out. A deployer's file replaces the shipped one of the same name."""
        files, folder_errors = self._files()
        signature = self._signature(files)
        cached = self._cache
        if cached is not None and cached[0] == signature and not folder_errors:
            return cached[1], cached[2]
        with self._lock:
            found: dict[str, T] = {}
            errors = list(folder_errors)
            for path, source in files:
                if source == "shipped":
                    found[path.stem] = self.read(path, "shipped")  # a broken shipped file is a bug: raise
                    continue
                try:
                    found[path.stem] = self.read(path, "deployer")
                except ActionRefused as exc:
                    errors.append(str(exc))
            ordered = dict(sorted(found.items(), key=self.order))
            self._cache = (signature, ordered, tuple(errors))
            return ordered, tuple(errors)
