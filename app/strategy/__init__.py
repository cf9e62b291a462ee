"""The strategy's calendar, below every feature: quarters and financial years (quarters.py, pure), the
strategy and its reporting periods (models.py), and the calendar's queries: the current quarter, the plan
year in force, periods and the lock check (service.py). No Flask here, and no feature package is imported.
"""
