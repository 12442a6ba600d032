"""The SLA service's Prometheus metrics."""

from prometheus_client import Counter

CLOCKS_OPENED = Counter("complaints_sla_clocks_opened_total", "SLA clocks opened", ["policy"])
STEPS_FIRED = Counter("complaints_sla_steps_fired_total", "Warnings, breaches and escalations fired", ["kind", "policy"])
OUTCOMES = Counter("complaints_sla_outcomes_total", "Milestones stopped on time (met) or late (missed)",
                   ["outcome", "policy"])
