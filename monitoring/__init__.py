"""Probes on server and client, alert rules, dashboards and traces."""
