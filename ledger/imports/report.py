"""The row-by-row error report of an import: row, column, message (row 1 is the header)."""

import csv
import io

# engine field -> CSV column, for the error report
FIELD_COLUMN = {
    "me": "me_code",
    "emc": "emc_code",
    "scenario": "scenario_code",
    "solution": "solution_code",
    "category": "category_code",
    "partners": "partner_codes",
    "original": "original_ref",
}


class Report:
    def __init__(self):
        self.rows: list[tuple[int, str, str]] = []
        self.bad_rows: set[int] = set()

    def add(self, row: int, column: str, message) -> None:
        self.rows.append((row, column, str(message)))
        self.bad_rows.add(row)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["row", "column", "message"])
        writer.writerows(sorted(self.rows, key=lambda r: (r[0], r[1])))
        return out.getvalue()


def engine_errors(report: Report, errors: dict, lines: list[int]) -> None:
    for index, fields in errors.items():
        for name, messages in fields.items():
            for message in messages:
                report.add(lines[index], FIELD_COLUMN.get(name, name), message)
