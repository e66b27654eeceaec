"""Loading: YAML text with positions → JSON Schema validation → semantic checks → immutable specs.

Never imports the runtime. Every problem found is reported at once, each located by file, line,
column and JSON path.
"""
