"""The syntax tree of rule files: frozen attrs nodes with spans."""
