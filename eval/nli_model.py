"""Pair classifier that reads meaning: does an answer sentence support a key point, contradict it, or neither.
A cross-encoder on all-MiniLM-L6-v2 (the embedder's own weights, loaded by path): its bottom layers stay as
shipped, its top layers and a three-way head are trained by `python -m eval train-nli`. The grader does not use
it: on the interview set's dev half it raised contradiction recall but not the score's accuracy (see
eval/results/train_nli.json), so it stays an experiment that the command reproduces."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

ARTIFACT = Path(__file__).resolve().parent.parent / "interviewer" / "nli_model.safetensors"
LABELS = ["supports", "contradicts", "neither"]
N_FROZEN = 2  # layers of the base model used as shipped; the layers above them are trained (2 beat 4 on dev)
MAX_LEN = 128


def _extended(mask):
    """The additive attention mask a BERT layer takes: 0 where a token is seen, a large negative where padded."""
    import torch

    return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


class PairModel:
    """The bottom of the base encoder (frozen) and the trained top (layers + head); also what training fits."""

    def __init__(self, base: Path, n_frozen: int = N_FROZEN):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.tok = AutoTokenizer.from_pretrained(str(base))
        full = AutoModel.from_pretrained(str(base), attn_implementation="eager").float()
        full.eval()
        self.n_frozen = n_frozen
        self.top = torch.nn.ModuleDict({
            "layers": torch.nn.ModuleList([copy.deepcopy(layer) for layer in full.encoder.layer[n_frozen:]]),
            "head": torch.nn.Linear(full.config.hidden_size, len(LABELS)),
        })
        full.encoder.layer = full.encoder.layer[:n_frozen]
        self.bottom = full
        for p in self.bottom.parameters():
            p.requires_grad_(False)

    def encode(self, pairs: list[tuple[str, str]]):
        return self.tok([a for a, _ in pairs], [b for _, b in pairs], truncation="longest_first",
                        max_length=MAX_LEN, padding=True, return_tensors="pt")

    def frozen(self, batch):
        """Hidden states after the frozen layers (computed once per pair when training)."""
        import torch

        with torch.no_grad():
            return self.bottom(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                               token_type_ids=batch["token_type_ids"]).last_hidden_state

    def head(self, hidden, mask):
        """Logits over LABELS from frozen hidden states: the trained layers, mean pooling, the head."""
        ext = _extended(mask)
        for layer in self.top["layers"]:
            out = layer(hidden, attention_mask=ext)
            hidden = out[0] if isinstance(out, tuple) else out
        m = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.top["head"](pooled)

    def save(self, path: Path, meta: dict) -> None:
        from safetensors.torch import save_file

        state = {k: v.detach().half().contiguous() for k, v in self.top.state_dict().items()}
        save_file(state, str(path), metadata={"n_frozen": str(self.n_frozen), "labels": json.dumps(LABELS),
                                              "meta": json.dumps(meta)})

    def load(self, path: Path) -> dict:
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(str(path), "pt") as f:
            md = f.metadata()
        if int(md["n_frozen"]) != self.n_frozen or json.loads(md["labels"]) != LABELS:
            raise ValueError(f"{path} was trained for another layout ({md}); retrain: python -m eval.train_nli")
        self.top.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()})
        self.top.eval()
        return json.loads(md.get("meta", "{}"))
