"""Masking and hashing of personal data (ID and phone numbers).

    >>> mask_id_number("52262919850301123X"), mask_phone("13812345678")
    ('522***********123X', '138****5678')
"""

from __future__ import annotations

import hashlib

__all__ = ["mask_id_number", "mask_phone", "id_number_digest"]


def _mask(value: str, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end:]


def mask_id_number(value: str) -> str:
    return _mask(value, 3, 4)


def mask_phone(value: str) -> str:
    return _mask(value, 3, 4)


def id_number_digest(value: str) -> str:
    """A uniqueness key; salted so the column alone is not a lookup table of ID numbers."""
    return hashlib.sha256(b"lendops-id:" + value.upper().encode("ascii")).hexdigest()
