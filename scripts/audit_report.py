"""Read pip-audit's JSON report: list the vulnerabilities, and fail when there are any or when a
package could not be audited (pip-audit itself passes when it skipped everything).

    .venv/bin/python scripts/audit_report.py .venv/pip-audit.json
"""

import json
import sys


def main(path: str) -> int:
    try:
        with open(path, encoding="utf-8") as fh:
            report = json.load(fh)
    except (OSError, ValueError) as exc:
        print(f"no pip-audit report at {path}: {exc}")
        return 1
    packages = report.get("dependencies", [])
    skipped = [p for p in packages if p.get("skip_reason")]
    vulnerable = [p for p in packages if p.get("vulns")]
    for package in vulnerable:
        for vuln in package["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"{package['name']} {package['version']}: {vuln['id']} (fixed in {fixes})")
    for package in skipped:
        print(
            f"not audited: {package['name']} {package.get('version', '')}: {package['skip_reason']}"
        )
    audited = len(packages) - len(skipped)
    print(f"pip-audit: {audited} of {len(packages)} packages audited, {len(vulnerable)} vulnerable")
    return 1 if vulnerable or skipped or not packages else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
