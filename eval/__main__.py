"""python -m eval grader|calibrate|train-grader|llm-weight|injection|honesty|robustness|simulate|bench|render [--json]"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)

    g = sub.add_parser("grader", help="grader accuracy vs human grades (SAF split or JSONL file)")
    g.add_argument("--dataset", default="saf", help="'saf', 'interview' (eval/data/interview) or a JSONL file of "
                   "{question,reference,answer,score[,kind]}")
    g.add_argument("--split", default=None, choices=["training", "unseen_answers", "unseen_questions", "dev", "test", "blind"],
                   help="SAF: training|unseen_answers (default)|unseen_questions; interview: dev (default)|test|blind")
    g.add_argument("--scorer", default="embedding", choices=["embedding", "llm", "hybrid"])
    g.add_argument("--saf-dir", default=None)
    g.add_argument("--limit", type=int, default=None, help="grade a seeded random subset of this many answers")
    g.add_argument("--seed", type=int, default=0)

    c = sub.add_parser("calibrate", help="fit interviewer/calibration.json on SAF training only")
    c.add_argument("--saf-dir", default=None)
    c.add_argument("--no-grid", action="store_true")
    c.add_argument("--dry-run", action="store_true", help="do not write calibration.json")

    tg = sub.add_parser("train-grader", help="fit interviewer/grader_model.json on the interview set's dev half")
    tg.add_argument("--dry-run", action="store_true", help="do not write grader_model.json")

    lw = sub.add_parser("llm-weight", help="fit the weight of a model's judgement in the grade, per model, by "
                        "grouped CV on the interview set's dev half")
    lw.add_argument("--model", type=Path, default=None, help="GGUF file (default: the configured model)")
    lw.add_argument("--questions", type=int, default=None, help="use a seeded sample of this many dev questions")
    lw.add_argument("--seed", type=int, default=0)
    lw.add_argument("--dry-run", action="store_true", help="write no fit")
    lw.add_argument("--ship", action="store_true", help="also write the fit into interviewer/model_fits.json")

    pr = sub.add_parser("probe", help="run the capability probe afresh on a model")
    pr.add_argument("--model", type=Path, default=None, help="GGUF file (default: the configured model)")
    pr.add_argument("--ship", action="store_true", help="record it in interviewer/probe_results.json")

    i = sub.add_parser("injection", help="prompt-injection attacks on weak answers to bank questions")
    i.add_argument("--knowledge", default=None)
    i.add_argument("--questions", type=int, default=None, help="use at most this many bank questions")

    h = sub.add_parser("honesty", help="overclaim detection on the honesty set (eval/data/honesty)")
    h.add_argument("--split", default="dev", choices=["dev", "test"])

    rb = sub.add_parser("robustness", help="generic padding and answers to another question, on dev answers")

    s = sub.add_parser("simulate", help="scripted candidates over whole interviews")
    s.add_argument("--questions", type=int, default=10)
    s.add_argument("--model", type=Path, default=None, help="GGUF: measure its answer-aware follow-ups and "
                   "corrections on weak dev answers instead (INTERVIEWER_N_THREADS sets its threads)")
    s.add_argument("--items", type=int, default=8, help="with --model: how many weak dev answers (seeded sample)")

    b = sub.add_parser("bench", help="latency and throughput")
    b.add_argument("--turns", type=int, default=8)
    b.add_argument("--adapt", action="store_true", help="let the model rephrase each question (adapt_questions)")

    sub.add_parser("render", help="write docs/EVAL.md and plots from eval/results/*.json")

    sp = sub.add_parser("asr", help="speech-to-text word error rate and speed on espeak-ng readings of bank answers")
    sp.add_argument("--no-baseline", action="store_true", help="skip the second pass without the question as prompt")
    sp.add_argument("--json", action="store_true", help="print the result as JSON")
    sp.add_argument("--out", default=None, help="result file (default eval/results/asr.json)")
    sp.add_argument("--options", nargs="*", default=None, metavar="NAME",
                    help="time decoding options one at a time instead (all, or the named ones; eval.asr.OPTIONS) "
                         "into eval/results/asr_options.json")

    for p in (g, c, tg, lw, pr, i, h, rb, s, b):
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.add_argument("--out", default=None, help="result file (default eval/results/<name>.json)")
    a = ap.parse_args(argv)

    from eval.common import write_result

    if a.cmd == "grader" and a.dataset == "interview":
        from eval import interview

        res = interview.run(a.split or "dev")
        write_result(f"interview_{a.split or 'dev'}", res, a.out)
        _emit({k: v for k, v in res.items() if k != "rows"}, a.json)
    elif a.cmd == "grader":
        from eval import grader_eval

        a.split = a.split or "unseen_answers"
        res = grader_eval.run(a.dataset, a.split, a.scorer, a.saf_dir, a.limit, a.seed)
        tag = (f"{a.split}_{a.scorer}" if a.dataset == "saf" else f"file_{a.scorer}") + (f"_n{a.limit}" if a.limit else "")
        write_result(f"grader_{tag}", res, a.out)
        short = {k: v for k, v in res.items() if k != "rows"}
        _emit(short, a.json)
    elif a.cmd == "calibrate":
        from eval import calibrate

        res = calibrate.run(a.saf_dir, verbose=not a.json, write=not a.dry_run, grid=not a.no_grid)
        write_result("calibrate", res, a.out)
        _emit(res, a.json)
    elif a.cmd == "train-grader":
        from eval import train_grader

        res = train_grader.run(write=not a.dry_run, verbose=not a.json)
        write_result("train_grader", res, a.out)
        _emit(res, a.json)
    elif a.cmd == "llm-weight":
        from eval import llm_weight

        res = llm_weight.run(a.model, a.questions, a.seed, write=not a.dry_run, ship=a.ship, verbose=not a.json)
        write_result(f"llm_weight_{res['model'].removesuffix('.gguf')}", res, a.out)
        _emit(res, a.json)
    elif a.cmd == "probe":
        from eval import probe

        res = probe.run(a.model, a.ship)
        write_result(f"probe_{res['model'].removesuffix('.gguf')}", res, a.out)
        _emit(res, a.json)
    elif a.cmd == "injection":
        from eval import injection

        res = injection.run(a.knowledge, a.questions)
        write_result("injection", res, a.out)
        _emit(res, a.json)
    elif a.cmd == "honesty":
        from eval import honesty

        res = honesty.run(a.split)
        write_result(f"honesty_{a.split}", res, a.out)
        _emit({k: v for k, v in res.items() if k != "rows"}, a.json)
    elif a.cmd == "robustness":
        from eval import robustness

        res = robustness.run()
        write_result("robustness", res, a.out)
        _emit(res, a.json)
    elif a.cmd == "simulate":
        from eval import simulate

        if a.model:
            res = simulate.model_run(a.model, a.items)
            write_result(f"simulate_{res['model'].removesuffix('.gguf')}", res, a.out)
            _emit({k: v for k, v in res.items() if not k.endswith("rows")}, a.json)
            return 0
        res = simulate.run(a.questions)
        write_result("simulate", res, a.out)
        _emit(res, a.json)
    elif a.cmd == "bench":
        from eval import bench

        res = bench.run(a.turns, a.adapt)
        write_result("bench_adapt" if a.adapt else "bench", res, a.out)
        _emit(res, a.json)
    elif a.cmd == "asr":
        from eval import asr

        if a.options is not None:
            res = asr.options(a.options)
            write_result("asr_options", res, a.out)
            _emit(res, a.json)
            return 0
        res = asr.run(baseline=not a.no_baseline)
        write_result("asr", res, a.out)
        _emit({k: v for k, v in res.items() if k not in ("rows", "delivery")}, a.json)
    elif a.cmd == "render":
        from eval import render

        print(render.run())
    return 0


def _emit(res: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(res, ensure_ascii=False))
    else:
        for k, v in res.items():
            if not isinstance(v, (list, dict)):
                print(f"{k}: {v}")
            else:
                print(f"{k}: {json.dumps(v, ensure_ascii=False)[:400]}")


if __name__ == "__main__":
    sys.exit(main())
