"""The loaded plan matches the committed seed file, and loading is idempotent."""

from sqlalchemy import func, select

from app.actions.models import Action, ActionLead, Objective, SubAction
from app.actions.seed import load_plan, read_plan
from app.auth.models import Agency
from app.extensions import db
from app.strategy.models import Strategy


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_loaded_plan_matches_the_seed_file(app):
    plan = read_plan()
    actions = [a for o in plan["objectives"] for a in o["actions"]]
    assert count(Strategy) == 1
    assert count(Objective) == len(plan["objectives"]) == 4
    assert count(Action) == len(actions)
    assert count(SubAction) == sum(len(a["sub_actions"]) for a in actions)
    assert count(ActionLead) == sum(len(a["leads"]) for a in actions)
    assert count(Agency) == len(plan["agencies"])


def test_each_action_is_loaded_as_written(app):
    plan = read_plan()
    loaded = {a.code: a for a in db.session.scalars(select(Action))}
    for objective in plan["objectives"]:
        for entry in objective["actions"]:
            action = loaded[entry["code"]]
            assert action.objective.code == objective["code"]
            assert action.title == entry["title"]
            assert action.timescale == entry["timescale"]
            assert [s.text for s in action.sub_actions] == [s["text"] for s in entry["sub_actions"]]
            assert [a.name for a in action.lead_agencies] == entry["leads"]


def test_seeding_twice_changes_nothing(app):
    before = [count(m) for m in (Agency, Strategy, Objective, Action, SubAction, ActionLead)]
    result = load_plan()
    db.session.commit()
    assert (result.agencies, result.objectives, result.actions, result.sub_actions, result.leads) == (0, 0, 0, 0, 0)
    assert [count(m) for m in (Agency, Strategy, Objective, Action, SubAction, ActionLead)] == before


def test_variant_spellings_are_one_agency(app):
    from app.auth.service import find_agency

    assert find_agency("LCSB") == find_agency("LSCB") == find_agency("Local Safeguarding Children Board")
    assert find_agency("Met police") == find_agency("MPS") == find_agency("Metropolitan Police")


def test_unnumbered_cps_row_is_its_own_action(app):
    action = db.session.scalar(select(Action).where(Action.code == "D2a"))
    assert action.number is None
    assert "Crown Prosecution Service" in action.title
    assert [a.short_name for a in action.lead_agencies] == ["CPS"]


def test_joint_leads_and_due_dates(app):
    b3 = db.session.scalar(select(Action).where(Action.code == "B3"))
    assert len(b3.leads) >= 2
    dated = db.session.scalars(select(Action).where(Action.timescale == "March 2019")).all()
    assert dated and all(a.due_date.isoformat() == "2019-03-31" for a in dated)
    ongoing = db.session.scalars(select(Action).where(Action.timescale == "Ongoing")).all()
    assert ongoing and all(a.due_date is None for a in ongoing)
