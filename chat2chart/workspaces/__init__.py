# SPDX-License-Identifier: MIT
"""A workspace's own settings (language model, embed origins, time zone, fiscal year), in its own schema."""
