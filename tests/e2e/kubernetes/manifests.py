"""Prints every document of the YAML files given as one JSON list, for the Rust test to
check what the Kubernetes schemas cannot (the manifests agree with each other and with
swarm's flags)."""
import json
import sys

import yaml

docs = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        for doc in yaml.safe_load_all(f):
            if doc is not None:
                docs.append({"file": path.rsplit("/", 1)[-1], "doc": doc})
print(json.dumps(docs))
