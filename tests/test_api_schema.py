"""The API is true to its schema: Schemathesis (the CLI, as a person runs it) against a real
server, every operation of /api/schema/, authenticated as an admin, with an Idempotency-Key on
the writes that take one (the schema says so; Schemathesis sends it).

Checks: no server error, every answered status documented, bodies, headers and content types
as documented, schema-violating requests refused, required headers enforced, undeclared methods
answered 405. Not checked: that every schema-valid request succeeds (random codes name no stored
object: the business rules refuse them with a documented 400).

Few examples per operation here (SCHEMATHESIS_MAX_EXAMPLES, default 5, fuzzing phase only);
`SCHEMATHESIS_MAX_EXAMPLES=100 SCHEMATHESIS_PHASES=coverage,fuzzing bash bin/test tests/test_api_schema.py`
runs the long version (README, Tests)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory
from tests.ledger.factories import world_build

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
    ]
)


def test_every_operation_is_true_to_the_schema(live_server, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    world_build()
    admin = UserFactory(roles=["platform_admin"])
    token = Token.objects.create(user=admin)
    examples = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5")
    phases = os.environ.get("SCHEMATHESIS_PHASES", "fuzzing")
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: Token {token.key}",
        "--checks",
        CHECKS,
        "--max-examples",
        examples,
        "--phases",
        phases,
        "--seed",
        "1",
        "--workers",
        "1",
        "--no-color",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    print(result.stdout)  # the whole report, shown by pytest when the test fails
    summary = result.stdout[-3000:]
    operations = re.search(r"Operations:\s+(\d+) selected / (\d+) total", result.stdout)
    assert operations and operations[1] == operations[2], summary  # no operation left out
    assert int(operations[1]) >= 70, summary
    assert result.returncode == 0, summary
