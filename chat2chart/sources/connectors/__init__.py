# SPDX-License-Identifier: MIT
"""Connectors to live databases and REST APIs: vetted parameters, read-only sessions, capped answers."""
