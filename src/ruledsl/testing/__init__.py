"""Testing tools for rulebooks: example runner, hypothesis strategies, pytest plugin."""
