#!/usr/bin/env python3
"""Reads a Prometheus text exposition with the Prometheus project's own parser.

  prom_parse.py FILE    prints one JSON object: "families", each family's type and help
                        by the name the parser gives it (a counter's without _total), and
                        "samples", every sample as [name, labels, value]

Fails if a line does not parse, if a sample line was not read as a sample of a declared
family (the parser makes an untyped family of a sample that does not match its TYPE
line), or if the count of samples differs from the count of sample lines.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    families = {}
    samples = []
    for family in text_string_to_metric_families(text):
        if family.name in families:
            sys.exit(f"family {family.name} comes twice")
        if family.type == "untyped" or not family.documentation:
            sys.exit(f"family {family.name}: no TYPE or HELP line of its own")
        families[family.name] = {"type": family.type, "help": family.documentation}
        samples.extend([s.name, s.labels, s.value] for s in family.samples)
    lines = [l for l in text.splitlines() if l and not l.startswith("#")]
    if len(lines) != len(samples):
        sys.exit(f"{len(lines)} sample lines, {len(samples)} samples parsed")
    json.dump({"families": families, "samples": samples}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
