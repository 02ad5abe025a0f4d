"""The second, independent FHIR R4 validator of the tests: Medplum's validateResource (TypeScript), which shares no
code with the fhir.resources models we write resources with, so a misreading of R4 in one of them cannot pass
unseen. One node process per pytest process (per xdist worker), started on first use and stopped at session end
(tests/conftest.py); it reads a resource per line and answers a line each (tests/js/validate.mjs). Node is started
once because a start costs ~0.7 s and the suite validates thousands of answers."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import IO, Any

JS_DIR = Path(__file__).resolve().parent.parent / "js"
SCRIPT = JS_DIR / "validate.mjs"
INSTALL = "npm ci --no-audit --no-fund --prefix tests/js"


# Where Medplum is stricter than R4, each allowance is as narrow as the disagreement (CONTRIBUTING.md, Testing).
#
# ras-2 (RiskAssessment.prediction, "probability is decimal implies (probability as decimal) <= 100"): FHIRPath
# makes it empty, not false, on a prediction without probability[x], which R4 allows (0..1; our LACE and Charlson
# scores are no probabilities). Medplum fails any invariant that is not `true`; the HL7 validator had the same bug
# and fixed it (hapifhir/org.hl7.fhir.core#623). Let through only for a prediction that has no probability[x].
RAS_2 = "Constraint ras-2 not met:"
STEP = re.compile(r"(\w+)(?:\[(\d+)\])?")


def _at(resource: dict[str, Any], expression: str) -> Any:
    """The element a Medplum path ("Bundle.entry[2].resource.prediction[0]") names, or None."""
    found: Any = resource
    for step in expression.split(".")[1:]:
        match = STEP.fullmatch(step)
        if match is None or not isinstance(found, dict):
            return None
        found = found.get(match[1])
        if match[2] is not None:
            index = int(match[2])
            found = found[index] if isinstance(found, list) and index < len(found) else None
    return found


def allowed(issue: dict[str, Any], resource: dict[str, Any]) -> bool:
    if issue.get("code") != "invariant" or not str(issue.get("message", "")).startswith(RAS_2):
        return False
    prediction = _at(resource, (issue.get("expression") or [""])[0])
    return isinstance(prediction, dict) and not any(key.startswith("probability") for key in prediction)


class SecondValidatorMissing(RuntimeError):
    """Node or the Medplum packages are not installed: the tests fail rather than skip the second validator."""


class SecondValidator:
    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise SecondValidatorMissing("The second FHIR validator needs Node.js (20.19 or newer) on PATH.")
        if not (JS_DIR / "node_modules" / "@medplum" / "core").is_dir():
            raise SecondValidatorMissing(
                f"The second FHIR validator is not installed: run `{INSTALL}` (scripts/test does it)."
            )
        # stderr goes to a file, not a pipe nobody reads (a full pipe would stall node); it is shown on a crash.
        self._stderr: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in stop())
        self._process = subprocess.Popen(
            [node, str(SCRIPT)],
            cwd=JS_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
        )
        self._seen: dict[bytes, list[dict[str, Any]]] = {}
        assert self._read() == {"ready": True}

    def issues(self, resource: dict[str, Any]) -> list[dict[str, Any]]:
        """The errors the validator finds in the resource and the resources inside it, less the allowances above;
        [] when it is valid."""
        line = json.dumps(resource)
        # Tests read the same answers again and again (~60% of them in the FHIR tests): ask once per content.
        key = hashlib.blake2b(line.encode(), digest_size=16).digest()
        if key not in self._seen:
            assert self._process.stdin is not None
            self._process.stdin.write(line + "\n")
            self._process.stdin.flush()
            answer = self._read()
            self._seen[key] = [] if answer["ok"] else answer["issues"]
        return [issue for issue in self._seen[key] if not allowed(issue, resource)]

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._stderr.seek(0)
            raise RuntimeError(f"The second FHIR validator stopped:\n{self._stderr.read()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()  # the script ends when its input does
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._stderr.close()


_running: SecondValidator | None = None


def second_validator() -> SecondValidator:
    """This process's validator, started on first use."""
    global _running
    if _running is None:
        _running = SecondValidator()
    return _running


def stop_second_validator() -> None:
    """Stop this process's validator if one was started (pytest_sessionfinish in tests/conftest.py)."""
    global _running
    if _running is not None:
        _running.stop()
        _running = None
