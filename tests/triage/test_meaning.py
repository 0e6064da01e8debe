"""The sentence model run in numpy (intake/triage/meaning.py) gives the vectors the reference
implementation gives, and refuses weights it was not built with.

The expected numbers were computed once, outside the project, by the reference: a throwaway
venv with torch 2.13.0 (CPU) and sentence-transformers, loading the same package's model
folder, ``SentenceTransformer(folder, device="cpu")`` with ``max_seq_length = 128``, then
``encode(TEXTS, normalize_embeddings=True)``: the first six numbers of each vector, and the
cosines of the pairs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from intake.triage import meaning

TEXTS = [
    "Families miss out on benefits they qualify for. Many families in public housing qualify "
    "for benefits but never apply because the rules are confusing.",
    "Eligible households do not get assistance.",
    "Park restrooms are locked when people need them",
    # longer than 128 tokens: cut as the reference cuts it
    " ".join(["The permit office loses paper forms and applicants call again and again."] * 20),
]
EXPECTED = np.array(
    [
        (0.0189123, 0.0181412, 0.0628239, 0.0057146, 0.0636448, 0.0490710),
        (-0.0080509, 0.0084375, 0.0041636, 0.0017871, 0.0287416, -0.0047338),
        (0.0118973, 0.0237932, 0.0579682, -0.0564426, -0.0319407, 0.0154760),
        (-0.0441932, 0.0039694, 0.0881270, 0.0497926, 0.0326067, 0.0452638),
    ]
)
# cosines of (0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)
EXPECTED_COSINES = [0.586075, 0.138801, 0.176352, 0.097928, 0.107744, 0.100357]


def test_vectors_match_the_reference_implementation() -> None:
    together = meaning.encoder().embed(TEXTS)
    alone = np.concatenate([meaning.encoder().embed([text]) for text in TEXTS])

    for vectors in (together, alone):  # padding in a batch changes nothing
        assert vectors.shape == (4, meaning.DIMENSIONS)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert np.abs(vectors[:, :6] - EXPECTED).max() < 1e-4
        cosines = (vectors @ vectors.T)[np.triu_indices(4, 1)]
        assert np.abs(cosines - EXPECTED_COSINES).max() < 1e-4


def test_a_paraphrase_in_other_words_is_nearer_than_another_problem() -> None:
    families, households, restrooms, _ = meaning.encoder().embed(TEXTS)

    assert families @ households > 0.5 > families @ restrooms


def test_weights_other_than_the_pinned_ones_are_refused(tmp_path: Path) -> None:
    folder = meaning.model_directory()
    shutil.copy(folder / "tokenizer.json", tmp_path / "tokenizer.json")
    original = (folder / "model.safetensors").read_bytes()
    (tmp_path / "model.safetensors").write_bytes(original[:-1] + bytes([original[-1] ^ 1]))

    with pytest.raises(meaning.ModelUnavailable, match="refusing a model file"):
        meaning.Encoder(tmp_path)


@pytest.mark.parametrize("present", [[], ["tokenizer.json"], ["model.safetensors"]])
def test_a_model_file_missing_is_said_plainly(tmp_path: Path, present: list[str]) -> None:
    for name in present:  # the package installed, some of its files gone
        shutil.copy(meaning.model_directory() / name, tmp_path / name)

    with pytest.raises(meaning.ModelUnavailable, match="is missing"):
        meaning.Encoder(tmp_path)
