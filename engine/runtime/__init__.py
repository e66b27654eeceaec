"""The runtime: instances of process definitions, driven by commands and by time.

`Engine` is the entry point; `Instance` is the state of one instance, rebuilt from its journal of
`Event`s. This package is the only user of `transitions` (in `machine.py`).
"""
