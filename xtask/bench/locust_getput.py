"""Locust peer of swarm's GET+PUT task set for `cargo xtask bench`: two equally weighted
tasks, GET the tiny file and PUT a small JSON body, no wait. Same as the shared peer baseline
(/work/shared/bench/locust_getput.py).

    locust -f locust_getput.py --headless ... GetPutFastHttpUser
"""
from locust import FastHttpUser, task, constant

BODY = b'{"id":1,"v":"x"}'
HDRS = {"Content-Type": "application/json"}


class GetPutFastHttpUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get("/tiny.txt")

    @task
    def put(self):
        self.client.put("/put", data=BODY, headers=HDRS)
