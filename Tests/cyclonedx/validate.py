"""Validates CycloneDX JSON documents against the CycloneDX 1.6 JSON schema in strict mode (no property the
schema does not define), with cyclonedx-python-lib, the CycloneDX project's own library.

Usage: validate.py FILE...   Prints "valid FILE" or "invalid FILE: reason" per file; exits 1 if any is invalid.
"""
import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

validator = JsonStrictValidator(SchemaVersion.V1_6)
failed = False
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        error = validator.validate_str(handle.read())
    if error is None:
        print(f"valid {path}")
    else:
        failed = True
        lines = str(error).splitlines()
        where = next((line for line in lines if line.startswith("On instance")), "")
        print(f"invalid {path}: {lines[0]} {where}")
sys.exit(1 if failed else 0)
