"""The model's judgement of one key point (yes / no / contradicted, from two yes/no log-probability questions),
and the weight fitted per model (`python -m eval llm-weight --model PATH`) with which it joins the grader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from interviewer.prompts import render, template

FITS_FILE = Path(__file__).with_name("model_fits.json")  # fits measured by the project, keyed by model_key
# P(yes) above which a yes/no question counts as answered yes (the two words are the only choices)
YES = 0.5


class Judgement(BaseModel):
    """The model's two probabilities for one key point of one answer."""

    covered: float  # P(the answer makes the point)
    contradicted: float  # P(the answer states something the point shows to be false)

    @property
    def label(self) -> Literal["yes", "no", "contradicted"]:
        if self.contradicted >= YES and self.contradicted > self.covered:
            return "contradicted"
        return "yes" if self.covered >= YES else "no"

    @property
    def support(self) -> float:
        """How much the model says the point is made and not contradicted (0-1), the value the grader joins."""
        return self.covered * (1.0 - self.contradicted)


def _messages(question: str, answer: str, point: str, ask: str) -> list[dict[str, str]]:
    # The answer (data between markers) comes before the point, so every point of an answer, and both questions,
    # reuse the cached prefix and only the last line is evaluated anew.
    user = render("judge_answer", question=question, answer=answer) + "\n\n" + render(ask, point=point)
    return [{"role": "system", "content": template("judge_system")}, {"role": "user", "content": user}]


def covered(llm, question: str, answer: str, point: str) -> float:
    """P(the answer makes the key point), the model's first question."""
    return llm.yes_probability(_messages(question, answer, point, "judge_covered"))


def contradicted(llm, question: str, answer: str, point: str) -> float:
    """P(the answer states something the key point shows to be false), the model's second question."""
    return llm.yes_probability(_messages(question, answer, point, "judge_contradicted"))


def judge_point(llm, question: str, answer: str, point: str) -> Judgement:
    """The model's judgement of one key point of an answer."""
    return Judgement(covered=covered(llm, question, answer, point),
                     contradicted=contradicted(llm, question, answer, point))


class ModelFit(BaseModel):
    """The weight of a model's judgement in the grade, fitted on the interview set's dev half."""

    model: str  # file name or server model, for people reading the file
    weight: float
    fitted_on: str
    n: int
    cv_mae_with: float | None = None
    cv_mae_without: float | None = None


def fits_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "model_fits"


def load_fit(key: str, data_dir: Path | None = None) -> ModelFit | None:
    """The model's fit: the user's own (<data_dir>/model_fits/<key>.json) first, then the project's."""
    if data_dir is not None:
        own = fits_dir(data_dir) / f"{key}.json"
        if own.is_file():
            try:
                return ModelFit.model_validate_json(own.read_text())
            except ValueError:
                pass  # a damaged fit file counts as none; `eval llm-weight` rewrites it
    shipped = json.loads(FITS_FILE.read_text()) if FITS_FILE.is_file() else {}
    return ModelFit.model_validate(shipped[key]) if key in shipped else None


def save_fit(key: str, fit: ModelFit, data_dir: Path | None = None) -> Path:
    """Write the fit for the user's data dir, or, without one, into the project's model_fits.json."""
    if data_dir is not None:
        path = fits_dir(data_dir) / f"{key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fit.model_dump_json(indent=2) + "\n")
        return path
    shipped = json.loads(FITS_FILE.read_text()) if FITS_FILE.is_file() else {}
    shipped[key] = fit.model_dump()
    FITS_FILE.write_text(json.dumps(shipped, indent=2, sort_keys=True) + "\n")
    return FITS_FILE


def fitted_weight(settings, llm) -> float:
    """The weight of the loaded model's judgement: the setting, else the model's fit, else 0 (grade without it)."""
    from interviewer.model_key import model_key

    if settings.judge_weight is not None:
        return settings.judge_weight
    fit = load_fit(model_key(settings, llm), settings.data_dir)
    return fit.weight if fit else 0.0
