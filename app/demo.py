"""Demonstration users and a year of plausible updates, for trying the app out.

Everything made here is flagged `demo` and labelled "Demo data" wherever it
appears, and commentary starts with "[Demo]", so nobody mistakes it for a
real return. Deterministic (a fixed random seed), and skipped if present.
"""

import random
from dataclasses import dataclass

from sqlalchemy import select

from app.actions import service as actions_service
from app.actions.models import Action, Update
from app.actions.rollup import Status
from app.auth import service as auth_service
from app.auth.models import Agency, Role, User
from app.database import utcnow
from app.extensions import db
from app.quarters import Quarter

DEMO_DOMAIN = "demo.havering.example"
DEMO_YEAR = 2018  # 2018/19: the first year of the strategy
DEMO_CURRENT = Quarter(2019, 1)  # leads are then asked for 2019/20 Q1, with last year to look back on

_PROGRESS = [
    "Delivered as planned this quarter; attendance from all partners.",
    "Work continues; two sessions held and feedback collected.",
    "Progress on track; next steps agreed at the Strategic Group.",
    "Resources confirmed and delivery started.",
]
_SLIPPAGE = [
    "Delayed by staff vacancies; recruitment under way.",
    "Partner data not yet received, so reporting is behind schedule.",
    "Venue and funding not confirmed; options being explored.",
]
_MITIGATION = [
    "Interim cover agreed with the Community Safety team; review at next Strategic Group.",
    "Escalated to the HCSP; data-sharing agreement being finalised.",
]


@dataclass
class DemoResult:
    users: int = 0
    updates: int = 0
    password: str | None = None


def _status_for(rng: random.Random, quarter: int, due_passed: bool) -> Status:
    roll = rng.random()
    if quarter == 4 and due_passed and roll < 0.35:
        return Status.COMPLETE
    if roll < 0.12:
        return Status.RED
    if roll < 0.35:
        return Status.AMBER
    return Status.GREEN


def load_demo() -> DemoResult:
    """Add demo users and 2018/19 updates unless they exist; flushes, never commits."""
    result = DemoResult()
    if db.session.scalar(select(User).where(User.demo.is_(True)).limit(1)):
        return result
    rng = random.Random(2018)  # noqa: S311 - demo data, not security
    result.password = auth_service.generate_password()

    strategy = actions_service.strategy()
    first_year_actions = list(db.session.scalars(select(Action).where(Action.plan_year == strategy.first_year)))
    lead_agencies = sorted({lead.agency for a in first_year_actions for lead in a.leads}, key=lambda a: a.name)

    csp = auth_service.find_agency("Community Safety Partnership") or lead_agencies[0]
    people: list[tuple[str, str, Role, Agency]] = [
        (f"coordinator@{DEMO_DOMAIN}", "Demo Coordinator", Role.COORDINATOR, csp),
        (f"viewer@{DEMO_DOMAIN}", "Demo Board Member", Role.VIEWER, csp),
    ]
    for agency in lead_agencies:
        slug = "".join(ch for ch in agency.short_name.lower() if ch.isalnum())
        people.append((f"lead.{slug}@{DEMO_DOMAIN}", f"Demo Lead ({agency.short_name})", Role.LEAD, agency))
    leads_by_agency: dict[int, User] = {}
    for email, name, role, agency in people:
        user = auth_service.create_user(None, email=email, name=name, role=role, agency=agency,
                                        password=result.password, demo=True)
        result.users += 1
        if role is Role.LEAD:
            leads_by_agency[agency.id] = user

    for number in range(1, 5):
        quarter = Quarter(DEMO_YEAR, number)
        for action in first_year_actions:
            for lead in action.leads:
                if rng.random() < 0.08:
                    continue  # a few returns are always missing
                due_passed = action.due_date is not None and action.due_date <= quarter.end
                status = _status_for(rng, number, due_passed)
                author = leads_by_agency[lead.agency_id]
                text = rng.choice(_SLIPPAGE if status.needs_mitigation else _PROGRESS)
                db.session.add(Update(
                    action_id=action.id, agency_id=lead.agency_id, year=quarter.year, quarter=quarter.number,
                    status=status.value, commentary=f"[Demo] {text}",
                    mitigation=f"[Demo] {rng.choice(_MITIGATION)}" if status.needs_mitigation else "",
                    state="submitted", demo=True, updated_by_id=author.id, submitted_by_id=author.id,
                    updated_at=utcnow(), submitted_at=utcnow(),
                ))
                result.updates += 1
    strategy.current_quarter = DEMO_CURRENT.slug
    db.session.flush()
    return result
