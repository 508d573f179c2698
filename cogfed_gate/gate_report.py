"""The gate's reports: text for people, SARIF 2.1.0 and JUnit XML for CI systems.

The gate writes its own SARIF and JUnit rather than checkov's so that the proof failures
(canary, coverage, unparsed files) appear next to the rule failures, and every result carries
the rule's fix.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cogfed_gate.gate import GateResult

GATE_RULE_ID = "COGFED_GATE"
GATE_RULE_NAME = "The policy gate proved that every check loaded and ran"
# GitHub code scanning reads severity from this property (0.1-10).
SECURITY_SEVERITY = {"CRITICAL": "9.5", "HIGH": "8.0", "MEDIUM": "5.5", "LOW": "3.0"}

Display = Callable[[Any], str]


def _location(record: dict[str, Any], display: Display) -> str:
    start, end = (record.get("lines") or [0, 0])[:2]
    text = f"{display(record['file_abs_path'])}:{start}-{end}"
    caller, caller_lines = record.get("caller_file_path"), record.get("caller_lines")
    if caller and caller_lines:
        text += f" (module call at {display(caller)}:{caller_lines[0]}-{caller_lines[1]})"
    return text


def _rule_name(result: GateResult, check_id: str, fallback: str | None) -> str:
    rule = result.rules.get(check_id)
    return rule.name if rule else str(fallback or check_id)


def _fix(result: GateResult, check_id: str) -> str:
    rule = result.rules.get(check_id)
    return rule.fix if rule else ""


def _severity(result: GateResult, check_id: str) -> str:
    rule = result.rules.get(check_id)
    return rule.severity if rule else "HIGH"


def _details(result: GateResult, record: dict[str, Any]) -> list[str]:
    """The check's explanation of a result, always ending with the rule's fix."""
    details = list(record.get("details") or [])
    if record["result"] == "SKIPPED":
        details = [f"Suppressed: {record.get('suppress_comment')}"]
    if not any(line.startswith(("Fix:", "To decide:")) for line in details):
        details.append(f"Fix: {_fix(result, str(record['check_id']))}")
    return details


def text(result: GateResult, *, show_passed: bool = False, display: Display = str) -> str:
    lines: list[str] = []
    shown = [r for r in result.records if r["result"] in ("FAILED", "UNDECIDED")]
    for record in sorted(
        shown, key=lambda r: (r["result"], str(r["file_abs_path"]), r["lines"][0], r["check_id"])
    ):
        check_id = record["check_id"]
        lines.append(
            f"{record['result']} {check_id} [{_severity(result, check_id)}] "
            f"{_rule_name(result, check_id, record.get('check_name'))}"
        )
        lines.append(f"  resource: {record['resource']}")
        lines.append(f"  at:       {_location(record, display)}")
        lines += [f"  {line}" for line in _details(result, record)]
        lines.append("")
    for record in result.records:
        if record["result"] == "SKIPPED":
            lines.append(
                f"SUPPRESSED {record['check_id']} on {record['resource']} at "
                f"{_location(record, display)}: {record.get('suppress_comment')}"
            )
        elif show_passed and record["result"] == "PASSED":
            lines.append(f"PASSED {record['check_id']} on {record['resource']}")
    for failure in result.proof_failures:
        lines.append(f"GATE FAILED: {failure}")
    for note in result.notes:
        lines.append(f"note: {note}")
    counts = {
        kind: sum(1 for r in result.records if r["result"] == kind)
        for kind in ("FAILED", "PASSED", "SKIPPED")
    }
    verdict = "PASSED" if result.ok else "FAILED"
    blocking = sum(1 for r in result.records if r.get("undecided"))
    undecided = len(result.undecided)
    kinds = [f"{blocking} blocking"] if blocking else []
    if undecided > blocking:
        kinds.append(
            f"{undecided - blocking} not blocking: values a module-call cycle hides from "
            "checkov; `--plan` decides them"
        )
    undecided_text = f"{undecided} undecided" + (f" ({'; '.join(kinds)})" if kinds else "")
    if result.mode in ("plan", "offline plan"):
        lines.append(
            f"cogfed-gate {verdict} ({result.mode}): {counts['FAILED'] - blocking} failed, "
            f"{undecided_text}, {counts['PASSED']} passed, {counts['SKIPPED']} suppressed"
            + (f", {len(result.proof_failures)} proof failures" if result.proof_failures else "")
        )
        return "\n".join(lines)
    canary = (
        f"canary proved all {len(result.rules)} checks loaded and ran"
        if result.canary_ok
        else "canary FAILED"
    )
    form = "" if result.mode == "static" else f" ({result.mode})"
    lines.append(
        f"cogfed-gate {verdict}{form}: {counts['FAILED'] - blocking} failed, {undecided_text}, "
        f"{counts['PASSED']} passed, "
        f"{counts['SKIPPED']} suppressed, {len(result.proof_failures)} proof failures; {canary}"
    )
    return "\n".join(lines)


def sarif(result: GateResult, display: Display = str) -> dict[str, Any]:
    rules = []
    for rule in sorted(result.rules.values(), key=lambda r: r.id):
        rules.append(
            {
                "id": rule.id,
                "name": rule.id.replace("_", ""),
                "shortDescription": {"text": rule.name},
                "fullDescription": {"text": rule.why},
                "help": {"text": f"Fix: {rule.fix}", "markdown": f"**Fix:** {rule.fix}"},
                "defaultConfiguration": {"level": "error"},
                "properties": {
                    "security-severity": SECURITY_SEVERITY.get(rule.severity, "8.0"),
                    "tags": ["security", "cognito"],
                },
            }
        )
    rules.append(
        {
            "id": GATE_RULE_ID,
            "name": "CogfedGate",
            "shortDescription": {"text": GATE_RULE_NAME},
            "fullDescription": {
                "text": "checkov can pass without having checked anything; the gate proves it did."
            },
            "help": {"text": "Read the message: it names what was not proven and the fix."},
            "defaultConfiguration": {"level": "error"},
            "properties": {"security-severity": "8.0", "tags": ["security"]},
        }
    )
    results: list[dict[str, Any]] = []
    for record in result.records:
        if record["result"] == "PASSED":
            continue
        start, end = (record.get("lines") or [1, 1])[:2]
        message = f"{record['resource']}: " + " ".join(_details(result, record))
        entry: dict[str, Any] = {
            "ruleId": record["check_id"],
            "level": "warning" if record["result"] == "UNDECIDED" else "error",
            "message": {"text": message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(record["file_abs_path"], display)},
                        "region": {"startLine": max(int(start), 1), "endLine": max(int(end), 1)},
                    }
                }
            ],
        }
        if record["result"] == "SKIPPED":
            entry["suppressions"] = [
                {"kind": "inSource", "justification": str(record.get("suppress_comment") or "")}
            ]
        results.append(entry)
    for failure in result.proof_failures:
        results.append({"ruleId": GATE_RULE_ID, "level": "error", "message": {"text": failure}})
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cogfed-gate",
                        "semanticVersion": "0.1.0",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def _uri(path: str, display: Display) -> str:
    shown = display(path)
    if Path(shown).is_absolute():
        return Path(shown).as_uri()
    return Path(shown).as_posix()


def write_sarif(result: GateResult, path: Path, display: Display = str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sarif(result, display), indent=2) + "\n", encoding="utf-8")


def junit(result: GateResult, display: Display = str) -> ET.Element:
    suites = ET.Element("testsuites", name="cogfed-gate")
    by_check: dict[str, list[dict[str, Any]]] = {}
    for record in result.records:
        by_check.setdefault(str(record["check_id"]), []).append(record)
    total = failures = skipped = 0
    for check_id in sorted(set(by_check) | set(result.rules)):
        records = by_check.get(check_id, [])
        suite = ET.SubElement(
            suites, "testsuite", name=f"{check_id} {_rule_name(result, check_id, None)}"
        )
        suite_failures = suite_skipped = 0
        for record in records:
            case = ET.SubElement(
                suite,
                "testcase",
                name=str(record["resource"]),
                classname=f"{check_id}.{display(record['file_abs_path'])}",
                file=display(record["file_abs_path"]),
                line=str((record.get("lines") or [0])[0]),
            )
            if record["result"] == "FAILED":
                suite_failures += 1
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"{check_id} failed on {record['resource']}",
                    type=_severity(result, check_id),
                )
                failure.text = "\n".join([_location(record, display), *_details(result, record)])
            elif record["result"] == "SKIPPED":
                suite_skipped += 1
                ET.SubElement(case, "skipped", message=str(record.get("suppress_comment") or ""))
            elif record["result"] == "UNDECIDED":
                # Not a failure in static mode; JUnit's nearest status that a reader sees.
                suite_skipped += 1
                skipped_element = ET.SubElement(
                    case, "skipped", message=f"{check_id} undecided on {record['resource']}"
                )
                skipped_element.text = "\n".join(
                    [_location(record, display), *_details(result, record)]
                )
        suite.set("tests", str(len(records)))
        suite.set("failures", str(suite_failures))
        suite.set("skipped", str(suite_skipped))
        total += len(records)
        failures += suite_failures
        skipped += suite_skipped
    proofs = ET.SubElement(suites, "testsuite", name=f"{GATE_RULE_ID} {GATE_RULE_NAME}")
    proof_cases = max(len(result.proof_failures), 1)
    if result.proof_failures:
        for index, failure_text in enumerate(result.proof_failures, 1):
            case = ET.SubElement(proofs, "testcase", name=f"proof {index}", classname=GATE_RULE_ID)
            failure = ET.SubElement(case, "failure", message=failure_text.splitlines()[0])
            failure.text = failure_text
    else:
        ET.SubElement(proofs, "testcase", name="canary and coverage", classname=GATE_RULE_ID)
    proofs.set("tests", str(proof_cases))
    proofs.set("failures", str(len(result.proof_failures)))
    proofs.set("skipped", "0")
    suites.set("tests", str(total + proof_cases))
    suites.set("failures", str(failures + len(result.proof_failures)))
    suites.set("skipped", str(skipped))
    return suites


def write_junit(result: GateResult, path: Path, display: Display = str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = ET.ElementTree(junit(result, display))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
