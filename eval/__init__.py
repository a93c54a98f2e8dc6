"""Evaluation of parlqa: question sets, retrieval and answer metrics, a local judge, runs and reports."""
