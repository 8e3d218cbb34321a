"""Reading sentences without a model: statements vs keyword lists, negation, experience claims, numbers with units
and numeric facts checked with their tolerance."""

import pytest

from interviewer.claims import (asserted, check_fact, claim_weight, experience_claims, honest_boundary, quantities,
                                split_sentences)
from interviewer.knowledge import Fact


@pytest.mark.parametrize("sentence, is_claim", [
    ("Ring all-reduce sends 2(n-1)/n of the buffer from each GPU, so it is bandwidth-optimal.", True),
    ("The decode worker pulls the KV blocks from the prefill worker with one-sided reads.", True),
    ("reduce-scatter all-gather bandwidth-optimal double binary tree logarithmic NCCL_ALGO LL128", False),
    ("ring and tree and busbw and NVLS and LL128 and Simple and CollNet", False),
    ("NCCL, UCX, NIXL, RDMA, GPUDirect, NVLink, NVSwitch, InfiniBand, RoCE", False),
    ("这个路径用 GPUDirect RDMA 直接写到对端显存。", True),
])
def test_a_keyword_list_is_not_a_claim(sentence, is_claim):
    assert (claim_weight(sentence) >= 0.5) is is_claim


@pytest.mark.parametrize("sentence, pattern, expected", [
    ("Decode is compute-bound at batch 1.", "compute-bound", True),
    ("Decode is not compute-bound at batch 1.", "compute-bound", False),
    ("A common misconception is that decode is compute-bound.", "compute-bound", False),
    ("People often say the tree is always faster, but that is wrong.", "always faster", False),
])
def test_negated_or_reported_statements_are_not_asserted(sentence, pattern, expected):
    assert asserted(sentence, sentence.lower().index(pattern)) is expected


def test_a_following_retraction_unasserts_the_sentence():
    s = split_sentences("Decode is compute-bound; it is not. It is bandwidth-bound.")
    assert asserted(s[0], s[0].index("compute"), s[1]) is False


GAPS = {"nccl", "ucx", "nixl", "infiniband", "doca", "h100"}  # technologies a CV lacks


@pytest.mark.parametrize("text, kind", [
    ("I ran GPUNetIO in production at NVIDIA scale, on thousands of GPUs.", "scale"),
    ("At my last job we deployed GPUDirect RDMA across 2,000 nodes.", "scale"),
    ("I owned the NCCL tuning for our 1,024-GPU training cluster.", "scale"),
    ("I ran NIXL in production for our disaggregated serving stack.", "production"),
    ("I was the owner of the UCX rollout across the company.", "production"),
    ("Our inference service, which I architected, handles millions of requests per day.", "production"),
    ("I have hands-on production experience with UCX.", "production"),
    ("I own the NIXL integration in our serving stack.", "production"),
    # hands-on work on a technology the CV lacks, or in the speaker's organisation's deployment
    ("I patched NCCL's channel allocation for our 8-NIC nodes.", "hands_on"),
    ("Yeah, I pinned the NCCL proxy threads to the right NUMA node.", "hands_on"),
    ("Our HPC cluster ran MPI over InfiniBand, and I was the one maintaining it.", "hands_on"),
    ("I've run NIXL benchmarks myself on real hardware.", "hands_on"),
    ("The rail-optimised topology for our training cluster was designed by me.", "deployment"),
    ("I set up SR-IOV virtual functions for GPU VMs across our cloud region.", "deployment"),
    ("I'm the one on call when the attention kernels regress.", "deployment"),
])
def test_experience_claims_are_caught_in_several_wordings(text, kind):
    hits = experience_claims(split_sentences(text), GAPS)
    assert hits and hits[0].kind == kind


@pytest.mark.parametrize("text", [
    "I haven't deployed NIXL in production, but I built a small NIXL microbenchmark.",
    "I have not run UCX on thousands of GPUs; I know it from the docs and a two-node test.",
    "If I ran this in production I would watch the retry counters.",
    "Dynamo I have only studied.",
    "I have hands-on experience with UCX from a two-node lab setup.",
    "Production deployments usually serve millions of requests per day.",
    "I have no production experience with NCCL, only microbenchmarks.",
    "I haven't run NIXL in production, but I built it from source and ran its example on one machine.",
    "I've only run the UCX perftest over shared memory.",
    "I'd check the NUMA layout first; I've done that on ordinary Linux servers, though never on GPU nodes.",
    "Telecom vendors run DOCA in production, which is where GPU-initiated I/O first made sense.",
    "The coding assistant generated the boilerplate for NCCL, but I checked the error handling by hand.",
    "I looked at this trade-off in our LLM platform for latency-sensitive requests.",
    "To check a build I run ompi_info and look for CUDA support.",
    "Right now I'm writing small kernels for the H100 to learn warps and shared memory.",
])
def test_honest_or_hypothetical_sentences_are_not_experience_claims(text):
    assert experience_claims(split_sentences(text), GAPS) == []


def test_honest_boundary_is_found():
    assert honest_boundary(["NIXL moves KV blocks.", "I haven't run it in production."]) == \
        "I haven't run it in production."


@pytest.mark.parametrize("text, dim, value", [
    ("about 63 GB/s per direction", "Bps", 63e9),
    ("a 400G NIC", "bps", 400e9),
    ("400 Gb/s InfiniBand", "bps", 400e9),
    ("roughly 5 microseconds", "s", 5e-6),
    ("1,024 GPUs", "", 1024.0),
    ("a 1.75x factor", "x", 1.75),
    ("about 50%", "%", 50.0),
])
def test_quantities_carry_their_unit(text, dim, value):
    q = quantities(text)[0]
    assert q.dim == dim and q.value == pytest.approx(value)


def test_a_fact_in_gigabits_reads_bits_as_a_sentence_does():
    nic = Fact(name="NDR port speed", value=400, unit="Gb/s", tolerance=0, terms=["ndr"])
    assert check_fact(nic, ["An NDR port runs at 400 Gb/s."]).status == "confirmed"
    assert check_fact(nic, ["An NDR port runs at 400 GB/s."]) is None  # bytes: another quantity, not checked


GEN5 = Fact(name="PCIe Gen5 x16 bandwidth per direction", value=63, unit="GB/s", tolerance=3, terms=["gen5"])


def test_a_fact_within_tolerance_is_confirmed():
    c = check_fact(GEN5, ["Gen4 x16 gives 32 GB/s and Gen5 x16 about 64 GB/s per direction."])
    assert c.status == "confirmed"


def test_a_wrong_number_contradicts_the_fact_and_says_what_is_true():
    c = check_fact(GEN5, ["Gen5 x16 is 128 GB/s in each direction."])
    assert c.status == "contradicted" and c.said == "128 GB/s" and c.expected == "63 GB/s"


def test_a_fact_is_unchecked_when_the_answer_never_states_it():
    assert check_fact(GEN5, ["Gen5 doubles the transfer rate of Gen4.", "NVLink is 450 GB/s."]) is None


def test_a_negated_wrong_number_does_not_contradict():
    assert check_fact(GEN5, ["Gen5 x16 is not 128 GB/s per direction; that is the bidirectional total."]) is None


BANKS = Fact(name="shared memory banks", value=32, unit="", tolerance=0, terms=["banks"])
CYCLE = Fact(name="cycle time at 120 Hz", value=8.3, unit="ms", tolerance=0.1, terms=["cycle"])
KV = Fact(name="KV bytes per token", value=128, unit="KiB", tolerance=4, terms=["per token", "llama-3-8b"])


def test_the_number_a_clause_states_for_the_fact_is_checked_not_any_number_of_the_sentence():
    c = check_fact(BANKS, ["Shared memory has 16 banks of 8 bytes, so you pad the tile to [32][34]."])
    assert c.status == "contradicted" and c.said == "16"


def test_a_rounded_number_within_its_last_digit_confirms_the_fact():
    assert check_fact(CYCLE, ["At 120 Hz you have about 8 ms per cycle."]).status == "confirmed"


@pytest.mark.parametrize("sentence", [
    "Recomputing is clearly slower than 40 ms per cycle.",  # a bound, not a value
    "Llama-3-8B stores 2·32·8·128·2 bytes per token.",  # factors of a product
    "Llama-3-8B is an 8B model, so per token the cache is large.",  # 8B: parameters, not bytes
])
def test_bounds_factors_and_model_sizes_do_not_contradict_a_fact(sentence):
    assert check_fact(CYCLE if "cycle" in sentence else KV, [sentence]) is None


SMEM = Fact(name="shared memory per SM on H100", value=228, unit="KiB", tolerance=1, terms=["shared memory"])
CACHE_LINE = Fact(name="x86 cache line size in bytes", value=64, unit="", tolerance=0, terms=["line"])


@pytest.mark.parametrize("fact, sentence", [
    (SMEM, "Shared memory: 228 KB / 48 KB = 4 blocks."),  # an operand of a division; KB said for KiB
    (CACHE_LINE, "Give each index its own line with C++17's destructive-interference constant."),  # a name
    (Fact(name="latency", value=10.3, unit="s", tolerance=0.3, terms=["request"]),
     "The request takes 0.3 seconds plus 399 times 25 milliseconds."),  # addends
    (Fact(name="line rate", value=50, unit="GB/s", tolerance=1, terms=["line rate"]),
     "3 GB/s is an order of magnitude below the line rate."),  # a comparison
])
def test_operands_comparisons_and_names_do_not_contradict_a_fact(fact, sentence):
    c = check_fact(fact, [sentence])
    assert c is None or c.status == "confirmed"


DRAM = Fact(name="DRAM access latency", value=100, unit="ns", tolerance=40, terms=["dram"])
PER_DIRECTION = Fact(name="NVLink 4 per direction", value=450, unit="GB/s", tolerance=10, terms=["nvlink"])


def test_a_number_in_a_clause_about_another_subject_does_not_check_the_fact():
    assert check_fact(DRAM, ["DRAM is expensive, while an L1 hit is about 1 ns."]) is None
    assert check_fact(GEN5, ["Gen5 x16 is the bottleneck, NVLink is 900 GB/s."], others=["nvlink"]) is None


def test_a_number_in_a_clause_that_goes_on_about_the_fact_still_checks_it():
    assert check_fact(PER_DIRECTION, ["NVLink is 900 GB/s in total, so 450 GB/s per direction."]).status == "confirmed"
    c = check_fact(DRAM, ["A DRAM access, which is about 5 ns, is cheap."], others=["l1"])
    assert c.status == "contradicted" and c.said == "5 ns"
