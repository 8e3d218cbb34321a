"""Render docs/EVAL.md (tables) and PNG plots under docs/ from eval/results/*.json."""

from __future__ import annotations

import json
from pathlib import Path

from eval.common import RESULTS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _load(name):
    p = RESULTS / f"{name}.json"
    return json.loads(p.read_text()) if p.exists() else None


def _plots(grader_runs, sim):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    imgs = []
    for name, r in grader_runs:
        rows = r.get("rows") or []
        if not rows:
            continue
        fig, ax = plt.subplots(figsize=(4.5, 4))
        ax.scatter([x["gold"] for x in rows], [x["pred"] for x in rows], s=8, alpha=0.4)
        ax.plot([0, 1], [0, 1], "k--", lw=0.8)
        ax.set_xlabel("human score (normalised)")
        ax.set_ylabel("grader score / 5")
        ax.set_title(f"{r['split']} ({r['scorer']}): r={r['pearson']}")
        fig.tight_layout()
        f = f"eval_scatter_{name}.png"
        fig.savefig(DOCS / f, dpi=90)
        plt.close(fig)
        imgs.append(f)
    if sim and sim.get("scores"):
        fig, ax = plt.subplots(figsize=(6, 3.5))
        kinds = list(sim["scores"])
        ax.boxplot([sim["scores"][k] for k in kinds], tick_labels=kinds)
        ax.set_ylabel("score (0-5)")
        ax.set_title("Simulated candidates: score by kind")
        fig.tight_layout()
        fig.savefig(DOCS / "eval_candidates.png", dpi=90)
        plt.close(fig)
        imgs.append("eval_candidates.png")
    return imgs


KINDS = ["paraphrase", "verbatim", "partial", "vague", "fluent_wrong", "stuffed", "off_topic", "overclaim"]
GOALS = {"paraphrase": ">= 4.0", "verbatim": "", "partial": "", "vague": "<= 1.2", "fluent_wrong": "<= 1.5",
         "stuffed": "<= 1.0", "off_topic": "<= 0.5", "overclaim": ">= 1.0 below its paraphrase"}


def _interview() -> list[str]:
    """The grader on the app's own kind of input: the interview set (dev, test, blind)."""
    runs = [(s, _load(f"interview_{s}")) for s in ("dev", "test", "blind")]
    runs = [(s, r) for s, r in runs if r]
    if not runs:
        return []
    L = ["## Grader on interview answers (the interview set)", "",
         "Answers to bank questions written by writers who never read the grader, eight kinds per question plus "
         "follow-up answers, each scored 0-5 by a strict interviewer with a label per key point "
         "(`eval/data/interview/`, split by question in `split.json`). Weights are fitted on `dev` only "
         "(`python -m eval train-grader`); `dev` figures below are in-sample. `blind` is a second set for the test "
         "questions, written afterwards from an export of the questions, key points and model answers only "
         "(`eval/data/interview_blind/`). Command: `python -m eval grader --dataset interview --split SPLIT --json`.",
         "", "| split | n | MAE (0-5) | Pearson [95% CI] | QWK | key-point accuracy | contradicted recall | "
         "covered called contradicted | follow-up MAE | overclaim flagged | overclaim gap |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s, r in runs:
        L.append(f"| {s} | {r['n']} | {r['mae']} | {r['pearson']} {r.get('pearson_ci95', '')} | {r['qwk']} | "
                 f"{r['kp_accuracy']} | {r['contradicted_recall']} | {r['contradicted_false_rate']} | "
                 f"{r['followup_mae']} | {r['overclaim_flag_rate']} | {r['overclaim_gap']} |")
    L += ["", "Goals (test): MAE <= 0.6, QWK >= 0.70, Pearson >= 0.85, key-point accuracy >= 0.85, contradicted recall "
          ">= 0.70 with <= 5% of covered points called contradicted, follow-up MAE <= 0.8, overclaim flagged >= 90%.",
          "", "Mean score per kind of answer (grader / strict interviewer):", "",
          "| kind | " + " | ".join(s for s, _ in runs) + " | goal |", "|---|" + "---|" * len(runs) + "---|"]
    for k in KINDS:
        cells = [f"{r['per_kind'].get(k)} / {r['per_kind_gold'].get(k)}" for _, r in runs]
        L.append(f"| {k} | " + " | ".join(cells) + f" | {GOALS[k]} |")
    tr = _load("train_grader")
    if tr:
        cv = tr["cv"]
        L += ["", f"Fit on dev ({tr['n']} answers, {tr['questions']} questions), 6 folds grouped by question: "
              f"key-point classifier CV accuracy {max(cv['kp_accuracy'].values())}; answer score CV MAE "
              f"{min(cv['answer_mae'].values())} linear, {cv.get('calibrated_mae')} after the monotone calibration"
              + (f", {min(cv['forest_mae'].values())} with the monotone forest" if cv.get("forest_mae") else "")
              + f"; shipped: the {cv.get('score_model', 'linear')} score; verdict agreement {cv.get('verdict_agreement')}. "
              "Linear answer weights: " + ", ".join(f"{k} {v:+.2f}" for k, v in tr["answer_weights"].items()) + "."]
    hon = [(s, _load(f"honesty_{s}")) for s in ("dev", "test")]
    hon = [(s, r) for s, r in hon if r]
    if hon:
        L += ["", "Overclaims on the honesty set (`eval/data/honesty/`: single sentences in the candidate's voice, "
              "written without reading the detector; each read as an answer to every bank question of its topic; "
              "`python -m eval honesty --split SPLIT --json`). Share flagged:", "",
              "| split | overclaims (n) | honest (n) | third-person or general talk of production (n) |",
              "|---|---|---|---|"]
        for s, r in hon:
            n = r["per_group_n"]
            L.append(f"| {s} | {r['overclaim_flagged']} ({n['overclaim']}) | {r['honest_flagged']} ({n['honest']}) | "
                     f"{r['tricky_flagged']} ({n['tricky']}) |")
    return L + [""]


def run() -> str:
    DOCS.mkdir(exist_ok=True)
    L = ["# Evaluation", "", "Generated by `python -m eval render` from `eval/results/*.json`; every number below comes "
         "from the command named next to it.", ""]
    L += _interview()
    grader_runs = sorted((p.stem[len("grader_"):], json.loads(p.read_text())) for p in RESULTS.glob("grader_*.json"))
    if grader_runs:
        L += ["## Grader accuracy vs human grades (SAF v2.0 English)", "",
              "Calibrated on `training` only (`python -m eval calibrate`). Score/5 vs the human score normalised "
              "by the question's maximum; QWK on the 0-5 integer scale. Baseline: cosine of answer and reference "
              "embeddings.", "",
              "| split | scorer | n | Pearson | Spearman | QWK | MAE | RMSE | baseline Pearson | ms/answer | command |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
        for name, r in grader_runs:
            cmd = f"`python -m eval grader --split {r['split']} --scorer {r['scorer']}" + (
                f" --limit {r['n']}`" if "_n" in name else "`")
            L.append(f"| {r['split']} | {r['scorer']} | {r['n']} | {r['pearson']} | {r['spearman']} | {r['qwk']} | "
                     f"{r['mae']} | {r['rmse']} | {r.get('baseline', {}).get('pearson')} | {r.get('ms_per_answer')} "
                     f"| {cmd} |")
        L += ["", "Goals: Pearson >= 0.70 (unseen_answers), >= 0.65 (unseen_questions).", ""]
    cal = _load("calibrate")
    if cal:
        L += ["### Calibration (training only)", "",
              "With exemplars (unseen answers to known questions) the features are chosen by 10-fold CV over "
              "answers, by pooled Pearson; without exemplars (unseen questions) by CV grouped by question, by "
              "within-question Pearson (how well answers to one question are ranked).", "",
              "| weights | features chosen by CV | CV Pearson | CV within-question Pearson | CV QWK |",
              "|---|---|---|---|---|"]
        for k, v in cal["cv"].items():
            L.append(f"| {k} | {', '.join(v['features'])} | {v['pearson']} | "
                     f"{v.get('within_question_pearson', '-')} | {v['qwk']} |")
        if "tok_demote" in cal:
            by = ", ".join(f"{d}: {r}" for d, r in cal.get("tok_recall_pearson_by_demote", {}).items())
            L.append(f"\nToken recall: weight of the question's own words {cal['tok_demote']} (within-question "
                     f"Pearson of the feature on training by weight: {by}).")
        L.append("")
    inj = _load("injection")
    if inj:
        L += ["## Prompt injection (`python -m eval injection`)", "",
              f"{inj['attacks']} attacks x {inj['questions']} bank questions x {inj['weak_answers']} weak answers, "
              f"appended and prepended: max gain **{inj['max_gain']}** points (goal <= 0.5). Ordinary sentences the "
              f"filter would drop (every bank sentence and a corpus of {inj.get('corpus_sentences', 0)} technical "
              f"sentences): **{inj.get('false_strips', 'n/a')}**.", "",
              "| kind | attack | max gain | mean gain |", "|---|---|---|---|"]
        for r in inj["table"]:
            L.append(f"| {r['kind']} | {r['attack'].replace('|', '/').replace(chr(10), ' ')[:80]} | {r['max_gain']} | "
                     f"{r['mean_gain']} |")
        L.append("")
    sim = _load("simulate")
    if sim:
        L += ["## Simulated candidates (`python -m eval simulate`)", "",
              f"- pairwise accuracy (strong above each weaker kind): **{sim['pairwise_accuracy']}** "
              f"({json.dumps(sim['pairwise_by_kind'])})",
              f"- follow-up after a weak answer: {sim['follow_up_rate_after_weak']}",
              f"- first 10 planned questions on P0 / low-medium match topics: {sim['plan_risk_share_first10']}",
              f"- largest injection gain: {sim['max_injection_gain']}", "", "| kind | mean score |", "|---|---|"]
        L += [f"| {k} | {v} |" for k, v in sim["mean_score"].items()]
        L.append("")
    for name, cmd in (("bench", "python -m eval bench"), ("bench_adapt", "python -m eval bench --adapt")):
        b = _load(name)
        if b:
            L += [f"## Latency (`{cmd}`)", "", "| metric | value |", "|---|---|"]
            L += [f"| {k} | {v} |" for k, v in b.items() if not isinstance(v, (dict, list))]
            L.append("")
    asr = _load("asr")
    if asr:
        L += ["## Speech (`python -m eval asr`)", "",
              f"{asr['clips']} espeak-ng clips of bank-style answers ({asr['words']} words): word error rate "
              f"**{asr['wer']}** with the question's terms as the prompt ({asr.get('wer_no_prompt')} without; goal "
              f"<= 0.15); delivery figures exact on {asr.get('delivery_exact')} built clips; "
              f"{asr['cpu_seconds_per_minute']} CPU-seconds per minute of audio (load average "
              f"{asr.get('load_average_1m')} during that run); a 60 s answer on the warm model: median "
              f"{asr.get('transcribe_60s_s')} s, min {asr.get('transcribe_60s_min_s')} s, "
              f"{asr.get('transcribe_60s_cpu_s')} CPU-seconds (goal <= 5 s on 2 cores).", ""]
    opts = _load("asr_options")
    if opts:
        L += ["### Decoding options, one at a time (`python -m eval asr --options`)", "",
              f"A 60 s answer on the warm model, {opts['repeats']} runs each, on {opts['threads']} shared cores (the load "
              "average says how shared; CPU-seconds are the comparable figure), and the word error rate over the clips.",
              "", "| option | min s | median s | CPU s | WER | delivery exact | load |", "|---|---|---|---|---|---|---|"]
        L += [f"| {r['option']} | {r['min_s']} | {r['median_s']} | {r['cpu_s']} | {r['wer']} | {r['delivery_exact']} | "
              f"{r['load_average_1m']} |" for r in opts["options"]]
        L.append("")
    fits = sorted(RESULTS.glob("llm_weight_*.json"))
    if fits:
        L += ["## The model's judgement, per model (`python -m eval llm-weight --model PATH`, dev half)", "",
              "| model | dev answers | CV MAE with / without | weight | command |", "|---|---|---|---|---|"]
        for f in fits:
            lw = json.loads(f.read_text())
            L.append(f"| {lw['model']} | {lw['n']} ({lw['subsample']}) | {lw['cv_mae_with_judge']} / "
                     f"{lw['cv_mae_without']} | {lw['weight']} | `{lw['command']}` |")
        L.append("")
    imgs = _plots(grader_runs, sim)
    if imgs:
        L += ["## Plots", ""] + [f"![{i}]({i})" for i in imgs] + [""]
    (DOCS / "EVAL.md").write_text("\n".join(L) + "\n")
    return str(DOCS / "EVAL.md")
