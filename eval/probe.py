"""The capability probe run afresh on a model (`python -m eval probe --model PATH [--ship]`): what it is trusted
with, the checks passed and the seconds it took; --ship records it in interviewer/probe_results.json."""

from __future__ import annotations

import os
from pathlib import Path


def run(model: Path | None = None, ship_it: bool = False) -> dict:
    from interviewer.config import Settings
    from interviewer.index import get_embedder
    from interviewer.llm import load_llm
    from interviewer.model_key import model_key
    from interviewer.probe import probe_version, run_probe, ship

    st = Settings(model=model) if model else Settings()
    llm = load_llm(st)
    caps = run_probe(llm, get_embedder(str(st.embedding_path())))
    key = model_key(st, llm)
    out = {"model": caps.model, "model_key": key, "probe": caps.public(), "capabilities": caps.summary(),
           # loading the model is not in the probe's seconds (the app loads it anyway); each feature's are
           "load_seconds": round(getattr(llm, "load_seconds", 0.0), 2),
           "probe_version": probe_version(), "n_threads": st.n_threads,
           # the machine is shared: seconds measured while other work ran are longer than on free cores
           "load_average_1m": round(os.getloadavg()[0], 1)}
    if ship_it:
        out["shipped"] = str(ship(key, caps))
    return out
