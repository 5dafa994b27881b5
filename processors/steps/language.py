"""Language: what the letters of title and body say; a language the chain does not accept is a rejection."""

from __future__ import annotations

from collections.abc import Set

from processors.language import detect_language
from processors.steps import Doc, Fields, Rejected
from schemas import Reason


def detect(doc: Doc, *, accepted: Set[str]) -> Fields:
    """The detected language and Arabic-script share; rejected (not_arabic) when not in ``accepted``."""
    guess = detect_language(f"{doc['title']}\n{doc['body']}")
    if guess.language not in accepted:
        raise Rejected(
            Reason.NOT_ARABIC,
            f"detected language {guess.language!r} (Arabic-script share {guess.arabic_ratio:.2f})",
        )
    return {"language": guess.language, "arabic_ratio": guess.arabic_ratio}
