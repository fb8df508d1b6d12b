"""Value generators for the formats the Tijori OpenAPI document names beyond JSON Schema's own.

Each one draws values the API accepts, as its own code decides (src/kyc/verhoeff.ts,
src/db/cursor.ts); without them a fuzzer would call any string of the right pattern valid.
"""

import base64

import schemathesis
from hypothesis import strategies as st

# Verhoeff's tables (src/kyc/verhoeff.ts).
D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]
INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def with_check_digit(base: str) -> str:
    c = 0
    for i, ch in enumerate(reversed(base)):
        c = D[c][P[(i + 1) % 8][int(ch)]]
    return base + str(INV[c])


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


INT8_MAX = 2**63 - 1
MAX_TIME_MS = 8_640_000_000_000_000

schemathesis.openapi.format("aadhaar", st.from_regex(r"\A[2-9][0-9]{10}\Z").map(with_check_digit))
schemathesis.openapi.format("id-cursor", st.from_regex(r"\A[A-Za-z0-9_]{1,64}\Z").map(b64))
schemathesis.openapi.format("seq-cursor", st.integers(1, INT8_MAX).map(lambda n: b64(str(n))))
schemathesis.openapi.format(
    "time-seq-cursor",
    st.tuples(st.integers(0, MAX_TIME_MS), st.integers(0, INT8_MAX)).map(lambda t: b64(f"{t[0]}.{t[1]}")),
)
