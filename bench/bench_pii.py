"""PII scan benchmark: the cost of `chatbot.pii.scan` on form fields of typical and maximal size.

Run: .venv/bin/python -m bench.bench_pii    (prints figures; target: well under 1 ms for a 200-character field,
since the scan runs on every form submit before Slack's 3-second acknowledgement)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from chatbot.pii import scan

# About 200 characters each: a clean note, one with ids and dates that must not be flagged, one whose digits make
# the scan call phonenumbers, and one with several kinds of personal information.
FIELDS = {
    "clean note": (
        "Teacher reports that students in Ms. Alvarez's 3rd period Spanish class can't open the eBook in VHL Central "
        "since Monday; they see a blank page on Chromebooks. Cleared cache, same result."
    ),
    "ids and dates": (
        "Clever ID 5f3a9c2e8b1d4f6a7c9e0b12, SF 0015000000AbCdE, Zendesk #482913, case TS-2026-000123. "
        "Sync failed since 2026-11-02 09:15 for Lincoln High School; app 4.2.1 on Chrome 119.0.6045.159."
    ),
    "phone only": (
        "Parent can't get the reset email for the VHL Central student account and asked us to call her back "
        "at (217) 555-0142 after 3pm today; the teacher already re-sent the class code twice this week."
    ),
    "several kinds": (
        "Student Emma Johnson, DOB 03/07/2014, 7-year-old girl, lives at 1428 Elm Street, Apt 3B, Springfield, "
        "IL 62704; mom's cell 312-555-0199; her son's email is jayden2014@gmail.com."
    ),
}


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, float, float]:
    """Best, median and 99th-percentile seconds per call."""
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return samples[0], statistics.median(samples), samples[int(len(samples) * 0.99)]


def report(label: str, text: str, rounds: int) -> None:
    best, med, p99 = timed(lambda: scan(text), rounds)
    print(
        f"{label:<28} {len(text):>5} chars  best {best * 1e6:7.1f} µs  median {med * 1e6:7.1f} µs  "
        f"p99 {p99 * 1e6:7.1f} µs  findings {len(scan(text))}"
    )


def main() -> None:
    scan("warm up: import-time regex compilation and phonenumbers metadata 217-555-0142")
    for label, text in FIELDS.items():
        report(label, text, 5_000)
    # Slack's plain-text input holds at most 3,000 characters: the worst case per field.
    long_clean = (FIELDS["clean note"] + " " + FIELDS["ids and dates"] + " ") * 8
    report("3,000-char clean", long_clean[:3000], 500)
    long_pii = (FIELDS["several kinds"] + " ") * 16
    report("3,000-char, many findings", long_pii[:3000], 500)
    print("target: median well under 1,000 µs for a ~200-character field")


if __name__ == "__main__":
    main()
