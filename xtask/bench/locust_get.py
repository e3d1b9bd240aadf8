"""Locust peer of swarm's `get` scenario for `cargo xtask bench`: one task, GET BENCH_PATH,
no wait. Copied from the shared peer baseline (/work/shared/bench/locust_get.py).

    locust -f locust_get.py --headless ... GetFastHttpUser
"""
import os

from locust import FastHttpUser, task, constant

PATH = os.environ.get("BENCH_PATH", "/")


class GetFastHttpUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get(PATH)
