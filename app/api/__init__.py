"""The read API (/api/v1): the plan, quarters and indicator figures as JSON, for Power BI and Excel."""
