# SPDX-License-Identifier: MIT
"""Scheduled reports of dashboards and charts, and the delivery channels (email, Slack, signed webhooks)."""
