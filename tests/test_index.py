"""Ingest is idempotent and incremental; retrieval puts the right match rows on top."""

import yaml

from interviewer.index import Index
from interviewer.knowledge import load_knowledge


def test_second_ingest_writes_nothing(settings, kb):
    ix = Index(settings)
    first = ix.ingest(kb)
    assert first.added == first.chunks > 40 and first.unchanged == 0
    second = ix.ingest(kb)
    assert (second.added, second.updated, second.deleted, second.unchanged) == (0, 0, 0, first.chunks)


def test_an_edited_file_re_embeds_only_its_changed_chunks(settings, kb_copy):
    settings.knowledge_dir = kb_copy
    ix = Index(settings)
    base = ix.ingest(load_knowledge(kb_copy))
    path = kb_copy / "match_table.yaml"
    data = yaml.safe_load(path.read_text())
    data["rows"][1]["risk"]["en"] = "No production NIXL experience, and no RDMA lab either"
    removed = data["rows"].pop(11)  # comp_arch_os disappears (and from the priorities that name it)
    for p in data["priorities"]:
        p["rows"] = [r for r in p["rows"] if r != removed["id"]]
    for g in data["gaps"]:
        g["rows"] = [r for r in g["rows"] if r != removed["id"]]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    for q in (kb_copy / "questions").glob("*.yaml"):
        qd = yaml.safe_load(q.read_text())
        if qd["topic"] == removed["id"]:
            q.unlink()
    kb2 = load_knowledge(kb_copy)
    rep = ix.ingest(kb2)
    assert rep.updated == 1
    assert rep.deleted >= 1 and rep.added == 0
    assert rep.unchanged == base.chunks - rep.updated - rep.deleted
    assert ix.count() == rep.chunks


def test_kv_cache_movement_finds_the_data_movement_rows(settings, kb):
    ix = Index(settings)
    ix.ingest(kb)
    hits = ix.search("How do you move the KV cache between prefill and decode workers?", k=2, kind="match_row")
    assert hits[0].topic in {"data_movement", "dynamo_nixl"}
    assert hits[0].score > hits[-1].score or len(hits) == 1


def test_all_reduce_bandwidth_finds_the_nccl_row(settings, kb):
    ix = Index(settings)
    ix.ingest(kb)
    assert ix.search("all-reduce bandwidth", k=1, kind="match_row")[0].topic == "nccl_collectives"
    hits = ix.search("What bus bandwidth should an all-reduce reach on 8 GPUs?", k=3)
    assert any(h.topic == "nccl_collectives" for h in hits)


def test_hits_carry_metadata_for_the_planner(settings, kb):
    ix = Index(settings)
    ix.ingest(kb)
    h = ix.search("GPU-initiated networking from CUDA kernels", k=1, kind="match_row")[0]
    assert (h.topic, h.match, h.priority) == ("gpunetio", "low", "P1")
