"""`make validate`: grade single-change variants of the reference and report how trustworthy the graders are."""
