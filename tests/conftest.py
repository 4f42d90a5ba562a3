"""Fixtures shared by every test folder."""

from __future__ import annotations

import copy

import pytest

from installer.release import Release
from tests.sitedata import BASE_SITE, TEST_RELEASE


@pytest.fixture
def site_data() -> dict:
    return copy.deepcopy(BASE_SITE)


@pytest.fixture
def test_release() -> Release:
    return Release.model_validate(copy.deepcopy(TEST_RELEASE))
