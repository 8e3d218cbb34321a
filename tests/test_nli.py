"""The contradiction pair classifier's training pieces: wrong versions of correct sentences, the split of the
real all-MiniLM-L6-v2 into frozen bottom and trained top, and the artifact's round trip."""

import random

import pytest
import torch

from eval.nli_model import LABELS, PairModel
from eval.train_nli import perturb
from interviewer.config import default_embedding_path

PAIRS = [("Ring all-reduce is a reduce-scatter followed by an all-gather.",
          "Each GPU sends 2(n-1)/n x S bytes, so bandwidth is nearly independent of n."),
         ("RDMA write is one-sided.", "The receiver's CPU is not involved.")]


@pytest.fixture(scope="module")
def model():
    return PairModel(default_embedding_path())


def test_perturb_changes_a_number_swaps_paired_terms_and_negates():
    s = "Ring all-reduce is a reduce-scatter followed by an all-gather and sends 2 messages per step."
    wrong = perturb(s, random.Random(0))
    assert any("reduce-scatter" in w and w.index("all-gather") < w.index("reduce-scatter") for w in wrong)
    assert any("2 messages" not in w and "messages" in w for w in wrong)
    assert any(" is not " in w for w in wrong)
    assert s not in wrong


def test_perturb_leaves_a_sentence_without_handles_alone():
    assert perturb("Amdahl limits the gain.", random.Random(0)) == []


def test_frozen_bottom_then_untrained_top_is_the_base_model(model):
    from transformers import AutoModel

    full = AutoModel.from_pretrained(str(default_embedding_path()), attn_implementation="eager").eval()
    enc = model.encode(PAIRS)
    with torch.no_grad():
        ref = full(**enc).last_hidden_state
        h = model.frozen(enc)
        from eval.nli_model import _extended

        for layer in model.top["layers"]:
            out = layer(h, attention_mask=_extended(enc["attention_mask"]))
            h = out[0] if isinstance(out, tuple) else out
    mask = enc["attention_mask"].bool()
    assert torch.allclose(h[mask], ref[mask], atol=1e-4)


def test_artifact_round_trip_and_layout_check(model, tmp_path):
    path = tmp_path / "nli.safetensors"
    torch.nn.init.normal_(model.top["head"].weight)
    model.save(path, {"epochs": 1})
    enc = model.encode(PAIRS)
    before = model.head(model.frozen(enc), enc["attention_mask"]).detach()
    other = PairModel(default_embedding_path())
    assert other.load(path) == {"epochs": 1}
    after = other.head(other.frozen(enc), enc["attention_mask"]).detach()
    assert after.shape == (2, len(LABELS))
    assert torch.allclose(before, after, atol=2e-2)  # stored in fp16
    with pytest.raises(ValueError, match="eval.train_nli"):
        PairModel(default_embedding_path(), n_frozen=3).load(path)
