"""Evaluation harness: grader accuracy on human-graded data (SAF), injection robustness, simulated
candidates, latency benchmark, and the calibration fit. Run with `python -m eval <command>`."""
