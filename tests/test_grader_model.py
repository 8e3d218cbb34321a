"""The grader's fitted score model: the shipped forest scores as sklearn's trees do, round-trips through its file,
and never rewards a penalty (each tree is monotone in every signed answer signal)."""

import numpy as np

from eval.train_grader import _forest, _trees
from interviewer.grader import ANSWER_FEATURES, ANSWER_SIGNS, GraderModel, load_model, save_model


def _signals(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, len(ANSWER_FEATURES)))
    sign = np.array([ANSWER_SIGNS[f] for f in ANSWER_FEATURES])
    return X, np.clip(2.5 + X @ sign + rng.normal(0, 0.3, n), 0, 5)


def test_the_forest_scores_as_the_fitted_trees_and_survives_its_file(tmp_path):
    X, y = _signals(120)
    rf = _forest(X, y, leaf=2)
    trees = _trees(rf)
    ours = np.array([np.mean([t.predict(x) for t in trees]) for x in X[:30]])
    assert np.allclose(ours, rf.predict(X[:30]), atol=1e-4)
    m = load_model().model_copy(update={"forest": trees})
    save_model(m, tmp_path / "m.json")
    back = GraderModel.model_validate_json((tmp_path / "m.json").read_text())
    assert back.forest == trees


def test_a_penalty_signal_never_raises_the_forest_score():
    X, y = _signals(200, seed=1)
    trees = _trees(_forest(X, y, leaf=1))
    score = lambda x: np.mean([t.predict(x) for t in trees])  # noqa: E731
    for f, sign in ANSWER_SIGNS.items():
        if not sign:
            continue
        i = ANSWER_FEATURES.index(f)
        for x in X[:20]:
            lo, hi = x.copy(), x.copy()
            lo[i], hi[i] = 0.0, 1.0
            assert (score(hi) - score(lo)) * sign >= -1e-9, f


def test_the_shipped_model_says_how_it_scores():
    m = load_model()
    assert m.fitted_on == "interview dev"
    assert m.cv.get("score_model", "linear") == ("forest" if m.forest else "linear")
