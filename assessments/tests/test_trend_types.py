"""The trend detector's types and its public entry points (``assessments.trend_types``,
``assessments.trends``): validation, configuration, replay and ordering."""
