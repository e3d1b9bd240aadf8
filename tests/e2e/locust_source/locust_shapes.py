# Asks locust itself (the version the e2e test installed) for its CSV headers, the failures
# and exceptions CSV it writes for swarm's data, and its web API's JSON and routes.
# Usage: python locust_shapes.py INPUT.json  (INPUT: {"tmp", "failures", "exceptions"}).
import csv
import io
import json
import os
import sys

import locust
from locust import User, constant, task
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter, StatsEntryDict, StatsError, StatsErrorDict
from locust.web import WebUI

given = json.load(open(sys.argv[1], encoding="utf-8"))


class U(User):
    wait_time = constant(1)

    @task
    def t(self):
        pass


env = Environment(user_classes=[U])
runner = env.create_local_runner()


def text(write):
    buf = io.StringIO()
    write(csv.writer(buf))
    return buf.getvalue()


for f in given["failures"]:
    key = StatsError.create_key(f["method"], f["name"], f["error"])
    env.stats.errors[key] = StatsError(
        f["method"], f["name"], f["error"], f["occurrences"], f["first_seen"], f["last_seen"]
    )
for i, e in enumerate(given["exceptions"]):
    runner.exceptions[i] = {"count": e["count"], "msg": e["msg"], "traceback": e["context"], "nodes": {"local"}}

writer = StatsCSVFileWriter(env, PERCENTILES_TO_REPORT, os.path.join(given["tmp"], "locust"))
out = {
    "version": locust.__version__,
    "headers": {
        "stats": text(lambda w: w.writerow(writer.requests_csv_columns)),
        "stats_history": text(lambda w: w.writerow(writer.stats_history_csv_columns)),
        "failures": text(lambda w: w.writerow(writer.failures_columns)),
        "exceptions": text(lambda w: w.writerow(writer.exceptions_columns)),
    },
    "failures_csv": text(writer.failures_csv),
    # The keys of a `--json` entry and of a (serialized) error.
    "entry_keys": list(StatsEntryDict.__annotations__),
    "error_keys": list(StatsErrorDict.__annotations__),
    "exceptions_csv": text(writer.exceptions_csv),
}
writer.close_files()

# The web API, through Flask's test client (nothing listens).
env.stats.errors.clear()
runner.exceptions.clear()
web = WebUI(env, "127.0.0.1", 0, delayed_start=True)
client = web.app.test_client()
env.stats.log_request("GET", "/x", 10, 100)
env.stats.log_error("GET", "/x", "HTTP 500")
runner.log_exception("local", "boom", "tb")
requests = client.get("/stats/requests").get_json()
exceptions = client.get("/exceptions").get_json()
out["requests"] = requests
out["exceptions"] = exceptions
out["routes"] = sorted(
    [rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})] for rule in web.app.url_map.iter_rules()
)
out["worker_count"] = client.get("/worker-count").get_json()
out["get_status"] = {path: client.get(path).status_code for path in ["/stop", "/stats/reset"]}
json.dump(out, sys.stdout)
