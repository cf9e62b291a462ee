"""Loading the committed action plan (seed/plan.yaml) into the database.

Idempotent: a row that already exists (agency by name or alias, objective by
code, action by plan year and code) is left exactly as it is, so running the
seed twice changes nothing and never overwrites edits made in the app.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select

from app.actions.models import Action, ActionLead, Objective, SubAction
from app.actions.timescale import derive_due_date
from app.audit.service import record
from app.auth.models import Agency
from app.extensions import db
from app.strategy.models import Strategy
from app.strategy.service import ensure_periods

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
PLAN_FILE = SEED_DIR / "plan.yaml"


@dataclass
class SeedResult:
    agencies: int = 0
    objectives: int = 0
    actions: int = 0
    sub_actions: int = 0
    leads: int = 0
    periods: int = 0

    def __str__(self) -> str:
        return (f"added {self.agencies} agencies, {self.objectives} objectives, {self.actions} actions, "
                f"{self.sub_actions} sub-actions, {self.leads} action leads, {self.periods} reporting periods")


def read_plan(path: Path = PLAN_FILE) -> dict:
    """The plan file as a dictionary."""
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def agency_index() -> dict[str, Agency]:
    """Every agency keyed by lower-cased name, short name and alias."""
    index: dict[str, Agency] = {}
    for agency in db.session.scalars(select(Agency)):
        for name in (agency.name, agency.short_name, *(agency.aliases or [])):
            index.setdefault(name.lower(), agency)
    return index


def load_plan(path: Path = PLAN_FILE) -> SeedResult:
    """Add whatever part of the plan file is missing from the database; flushes, never commits."""
    plan = read_plan(path)
    result = SeedResult()

    index = agency_index()
    for entry in plan["agencies"]:
        if entry["name"].lower() in index:
            continue
        agency = Agency(name=entry["name"], short_name=entry["short_name"],
                        aliases=list(entry.get("aliases") or []), stakeholder=bool(entry.get("stakeholder")))
        db.session.add(agency)
        db.session.flush()
        record(None, "seed", Agency.AUDIT_ENTITY, agency.id, f"Seeded agency {agency.name}")
        for name in (agency.name, agency.short_name, *agency.aliases):
            index.setdefault(name.lower(), agency)
        result.agencies += 1

    meta = plan["strategy"]
    strategy = db.session.scalar(select(Strategy).where(Strategy.name == meta["name"]))
    if strategy is None:
        strategy = Strategy(name=meta["name"], first_year=meta["first_year"], last_year=meta["last_year"],
                            review=meta.get("review"))
        db.session.add(strategy)
        db.session.flush()
    # Every quarter's reporting period exists with the strategy, so reading a page never has to create
    # one; a second seed (or an older database's strategy) gets only the periods it is missing.
    result.periods = ensure_periods()

    plan_year = meta["first_year"]
    existing_objectives = {o.code: o for o in db.session.scalars(
        select(Objective).where(Objective.strategy_id == strategy.id))}
    existing_actions = {a.code for a in db.session.scalars(select(Action).where(Action.plan_year == plan_year))}

    for obj_entry in plan["objectives"]:
        objective = existing_objectives.get(obj_entry["code"])
        if objective is None:
            objective = Objective(strategy=strategy, code=obj_entry["code"], title=obj_entry["title"])
            db.session.add(objective)
            result.objectives += 1
        for position, entry in enumerate(obj_entry["actions"]):
            if entry["code"] in existing_actions:
                continue
            action = Action(
                objective=objective, plan_year=plan_year, code=entry["code"], number=entry.get("number"),
                position=position, title=entry["title"], detail=entry.get("detail"),
                outcomes=list(entry.get("outcomes") or []), resources=entry.get("resources"),
                timescale=entry.get("timescale"), due_date=derive_due_date(entry.get("timescale")),
                lead_text=entry.get("lead_text"), lead_contact=entry.get("lead_contact"),
                impact=entry.get("impact"), note=entry.get("note"),
            )
            for sub in entry.get("sub_actions") or []:
                action.sub_actions.append(SubAction(number=sub["number"], text=sub["text"]))
                result.sub_actions += 1
            for lead_position, name in enumerate(entry["leads"]):
                agency = index.get(name.lower())
                if agency is None:
                    raise ValueError(f"Action {entry['code']} names lead {name!r}, which is not an agency")
                action.leads.append(ActionLead(agency_id=agency.id, position=lead_position))
                result.leads += 1
            db.session.add(action)
            result.actions += 1
    db.session.flush()
    return result
