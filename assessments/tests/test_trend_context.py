"""The trend detector's context: baselines, noise, rater restatement and a score's decline
(``assessments.trend_context``), asserted through what a finding says and carries."""
