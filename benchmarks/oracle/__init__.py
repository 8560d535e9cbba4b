"""Independent DuckDB-SQL implementation of rules-46 (test oracle and benchmark peer)."""
