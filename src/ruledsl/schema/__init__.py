"""The claim schema, declared as data: tables, columns, keys and derived fields."""
