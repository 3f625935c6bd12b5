"""Validates rendered custom resources against their CustomResourceDefinitions' openAPIV3Schema.

Stands in for the Kubernetes API server's validation of custom resources, which cannot run here
(no cluster): the schemas are the upstream CRDs themselves (Gateway API, External Secrets Operator,
from their Go modules), checked with jsonschema in strict mode (unknown fields are errors, as
`kubectl apply` reports them with its default field validation). Built-in kinds are left to
kubernetes-validate.

usage: validate_custom_resources.py RENDERED.yaml CRD.yaml [CRD.yaml ...]
Prints one line per problem and exits 1 if any; exits 2 for a custom kind without a CRD.
"""
import sys

import jsonschema
import yaml


BUILTIN_GROUPS = {
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "autoscaling.k8s.io", "certificates.k8s.io",
    "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "networking.k8s.io", "node.k8s.io",
    "rbac.authorization.k8s.io", "scheduling.k8s.io", "storage.k8s.io", "flowcontrol.apiserver.k8s.io",
}


def strict(schema):
    """The schema with additionalProperties false wherever it lists properties and keeps no unknown fields."""
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) if isinstance(v, dict) else [strict(x) for x in v] if isinstance(v, list) else v for k, v in schema.items()}
    if "properties" in out:
        out["properties"] = {k: strict(v) for k, v in schema["properties"].items()}
        if "additionalProperties" not in out and not schema.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    return out


def load_schemas(paths):
    schemas = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
                for version in crd["spec"]["versions"]:
                    schema = dict(version["schema"]["openAPIV3Schema"])
                    # metadata is validated by the API server's own rules, not the CRD's schema
                    schema.setdefault("properties", {}).pop("metadata", None)
                    schemas[(f"{group}/{version['name']}", kind)] = strict(schema)
    return schemas


def main(rendered, crd_paths):
    schemas = load_schemas(crd_paths)
    problems, missing, checked = [], [], 0
    with open(rendered, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for doc in docs:
        key = (doc.get("apiVersion", ""), doc.get("kind", ""))
        schema = schemas.get(key)
        if schema is None:
            group = key[0].split("/")[0] if "/" in key[0] else ""
            if "." not in group or group in BUILTIN_GROUPS:
                continue  # a built-in kind: kubernetes-validate's
            missing.append(f"{key[0]} {key[1]}")
            continue
        checked += 1
        body = {k: v for k, v in doc.items() if k != "metadata"}
        for err in jsonschema.Draft7Validator(schema).iter_errors(body):
            path = ".".join(str(p) for p in err.absolute_path)
            problems.append(f"{key[1]} {doc.get('metadata', {}).get('name')}: {path or '<root>'}: {err.message}")
    for line in problems:
        print(line)
    if missing:
        print("no CRD for: " + ", ".join(missing))
        return 2
    print(f"checked {checked} custom resources", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
