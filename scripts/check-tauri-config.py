#!/usr/bin/env python3
"""Validates tauri.conf.json merged with each platform file (tauri.windows.conf.json,
tauri.macos.conf.json) against the Tauri CLI's own schema, as the CLI merges them on
that platform (JSON merge patch, RFC 7396). The Windows and macOS installers are
built only on CI runners; this catches a wrong key or value here first.

Usage: check-tauri-config.py SCHEMA   (SCHEMA: @tauri-apps/cli's config.schema.json)
"""
import json
import pathlib
import sys

import jsonschema


def merge(base, patch):
    if not isinstance(patch, dict):
        return patch
    out = dict(base) if isinstance(base, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge(out.get(k), v)
    return out


def main():
    schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
    base = json.loads(pathlib.Path("tauri.conf.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    failed = False
    for name in ["tauri.conf.json", *sorted(p.name for p in pathlib.Path(".").glob("tauri.*.conf.json"))]:
        conf = base if name == "tauri.conf.json" else merge(base, json.loads(pathlib.Path(name).read_text()))
        errors = sorted(validator.iter_errors(conf), key=lambda e: list(e.path))
        for e in errors:
            print(f"{name}: {'/'.join(map(str, e.path)) or '(root)'}: {e.message}", file=sys.stderr)
        failed |= bool(errors)
        targets = conf.get("bundle", {}).get("targets")
        print(f"{name}: valid, bundle targets {targets}" if not errors else f"{name}: INVALID")
    sys.exit(1 if failed else 0)


main()
