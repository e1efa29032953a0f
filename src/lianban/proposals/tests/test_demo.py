"""The demo proposals of `make run`: made once, through the services."""

import pytest

from lianban.accounts.demo import create_demo_accounts
from lianban.catalog import loader
from lianban.proposals.demo import create_demo_proposals
from lianban.proposals.models import Proposal

pytestmark = pytest.mark.django_db


def test_two_demo_proposals_one_taken_up_made_once():
    loader.load(loader.read())
    create_demo_accounts()
    assert create_demo_proposals() == 2
    assert create_demo_proposals() == 0
    taken, waiting = Proposal.objects.order_by("id")
    assert taken.status == "accepted" and taken.draft_bundle.lead_department.code == "scjgj"
    assert taken.draft_bundle.bundle_items.count() >= 2
    assert waiting.status == "submitted" and waiting.proposer.username == "zhangsan"
