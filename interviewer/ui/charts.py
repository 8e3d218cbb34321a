"""The Progress tab's matplotlib figures: mean score per JD area (radar, or bars under three areas) and the
trend of session means."""

from __future__ import annotations


def radar_figure(by_area: dict[str, float]):
    """Mean score per JD area on a 0-5 radar (horizontal bars when there are fewer than three areas)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 5.5))
    if len(by_area) < 3:
        ax = fig.add_subplot(111)
        names = list(by_area) or ["no graded answers yet"]
        ax.barh(names, [by_area.get(n, 0) for n in names], color="#4a7bd0")
        ax.set_xlim(0, 5)
        ax.set_title("Mean score per JD area")
        fig.tight_layout()
        return fig
    import math

    names = list(by_area)
    vals = [by_area[n] for n in names]
    angles = [2 * math.pi * i / len(names) for i in range(len(names))]
    ax = fig.add_subplot(111, polar=True)
    ax.plot(angles + angles[:1], vals + vals[:1], color="#4a7bd0")
    ax.fill(angles + angles[:1], vals + vals[:1], color="#4a7bd0", alpha=0.25)
    ax.set_xticks(angles)
    ax.set_xticklabels([n if len(n) <= 22 else n[:21] + "…" for n in names], fontsize=7)
    ax.set_ylim(0, 5)
    ax.set_title("Mean score per JD area (0-5)")
    fig.tight_layout()
    return fig


def trend_figure(trend: list[dict]):
    """Each graded session's mean score, oldest first (Records.progress()["trend"])."""
    from matplotlib.figure import Figure

    pts = [(p["created_at"], p["mean_score"]) for p in trend]
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot(111)
    if pts:
        ax.plot(range(1, len(pts) + 1), [p[1] for p in pts], marker="o", color="#1b7f3b")
        ax.set_xticks(range(1, len(pts) + 1))
    ax.set_ylim(0, 5)
    ax.set_xlabel("session (oldest first)")
    ax.set_ylabel("mean score")
    ax.set_title("Score trend over sessions" + ("" if pts else " — no graded sessions yet"))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
