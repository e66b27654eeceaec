"""Time: clocks, durations, business calendars, recurrence and the timer queue.

This package is the only user of `holidays`, `croniter` and `dateutil`; the rest of the engine asks it
for instants and never does date arithmetic itself. It knows nothing about processes or instances.
"""
