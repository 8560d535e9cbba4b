"""ruledsl."""
