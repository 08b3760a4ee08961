"""The web load test's users (bench.load starts it): leaders who open the dashboard, log a
value with the form (its CSRF token and one-time token read from the form first) and read the
value-event API with a token.

    .venv/bin/locust -f bench/locustfile.py --headless -u 10 -r 5 -t 15s --host https://127.0.0.1:8116

BENCH_SESSION (the leader's session and CSRF cookies, as JSON) and BENCH_TOKEN (its API token)
are set by bench.load, which logs the leader in once before the run.
"""

import html
import json
import os
import random
import re

from locust import HttpUser, between, task

from bench.load import WEIGHTS

SESSION = json.loads(os.environ.get("BENCH_SESSION", "{}"))  # sessionid and csrftoken
TOKEN = os.environ.get("BENCH_TOKEN", "")


def _input(page: str, name: str) -> str:
    """The value of the form's <input name=...> (either attribute order)."""
    for tag in re.findall(r"<input[^>]*>", page):
        if re.search(rf'name="{re.escape(name)}"', tag):
            found = re.search(r'value="([^"]*)"', tag)
            return html.unescape(found.group(1)) if found else ""
    raise LookupError(name)


class Leader(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.client.verify = False  # the runner's self-signed certificate, loopback only
        host = self.host.split("://", 1)[1].split(":")[0]
        for name, value in SESSION.items():  # the runner logged the leader in once
            self.client.cookies.set(name, value, domain=host)

    @task(WEIGHTS["dashboard"])
    def dashboard(self):
        self.client.get("/", name="dashboard")

    @task(WEIGHTS["log value (form, then post)"])
    def log_value(self):
        form = self.client.get("/ledger/log/", name="log value form")
        if form.status_code != 200:
            return
        data = {
            "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            "token": _input(form.text, "token"),
            "occurred_at": _input(form.text, "occurred_at"),
            "me": "bench-lead",
            "emc": "bench-emc",
            "scenario": "bench-balcony",
            "solution": "bench-sol",
            "category": "bench-dryer",
            "user_ref": f"load-{random.randrange(5000):04d}",
            "amount": f"{random.randint(1000, 9999) / 100:.2f}",
            "currency": "CNY",
            "partners": ["bench-p0"],
        }
        with self.client.post(
            "/ledger/log/",
            data=data,
            headers={"Referer": f"{self.host}/ledger/log/"},
            allow_redirects=False,
            name="log value post",
            catch_response=True,
        ) as r:
            if r.status_code != 302 or "/ledger/log/" in r.headers.get("Location", "/ledger/log/"):
                r.failure(f"log value answered {r.status_code}: {r.text[:300]!r}")

    @task(WEIGHTS["API value events"])
    def api_list(self):
        self.client.get(
            "/api/value-events/", headers={"Authorization": f"Token {TOKEN}"}, name="API value events"
        )
