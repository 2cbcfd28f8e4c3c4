# SPDX-License-Identifier: MIT
"""Every permission check takes a Principal: a plain user is refused loudly, so no code path checks a
person's rights where an API key (with its own, lower role) is acting."""

from __future__ import annotations

import pytest

from chat2chart.core import hooks
from chat2chart.core.principal import Principal


def test_a_permission_check_with_a_plain_user_is_a_programming_error(alpha):
    with alpha.activate():
        with pytest.raises(TypeError, match="Principal"):
            hooks.can(alpha.users["owner"], hooks.VIEW)
        assert hooks.can(Principal.for_user(alpha.users["owner"]), hooks.VIEW)
