"""One date format in Chinese: 2026年3月1日 and 24-hour times, on every page. Date inputs stay
ISO (what <input type="date"> reads and writes)."""

DATE_FORMAT = "Y年n月j日"
SHORT_DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
