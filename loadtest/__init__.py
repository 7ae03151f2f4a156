"""Locust load scenarios of the credit path."""
