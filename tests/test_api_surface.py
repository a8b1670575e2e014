"""The public surface speaks in public types: the API reference renders the
annotations as written, so none may name a private alias of the package."""

from __future__ import annotations

import inspect
import re

import pytest

import crossentropy

PRIVATE = re.compile(r"\b(Loss|FloatArray|IndexArray|Undefined|Losses)\b|(^|[\s\[|(])_\w")


@pytest.mark.parametrize("name", crossentropy.__all__)
def test_annotations_name_only_public_types(name: str) -> None:
    signature = inspect.signature(getattr(crossentropy, name))
    annotations = [str(signature.return_annotation)]
    annotations += [str(p.annotation) for p in signature.parameters.values()]
    private = [a for a in annotations if PRIVATE.search(a)]
    assert private == [], f"{name} shows private types in its signature"
