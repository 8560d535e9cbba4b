"""Inspecting compiled plans: ``ruledsl explain``."""
