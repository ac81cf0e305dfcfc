"""Reliability and security tests: faults, load, hostile input, the served app."""
