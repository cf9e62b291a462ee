"""Every query and write of spreadsheet returns: build a return workbook, read one back, preview, apply.

Functions here flush and never commit: the confirming view commits once, so an upload is all or nothing.
Rows are judged by the web forms' own validation (UpdateForm, ValueForm) and written by the web forms'
own services (save_update, save_value): the same rules, versions, lock check and audit.

Between preview and confirm the upload travels in the confirm form as a signed token (itsdangerous),
not in a table or a file: nothing is left behind to clean up, any worker can confirm it, and the
signature binds it to the user, the agency, the quarter and its age. Confirming re-reads the rows and
judges them again against the database as it is then; the versions the rows carry make a second
confirmation of the same token a conflict, not a duplicate write.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from app.actions import service as actions_service
from app.actions.forms import update_form_for
from app.actions.models import Action, Update
from app.actions.rollup import Status
from app.actions.service import UpdateError
from app.auth.models import Agency, User
from app.errors import ConflictError
from app.extensions import db
from app.kpis import service as kpis_service
from app.kpis.forms import ValueForm
from app.kpis.models import Indicator, IndicatorValue
from app.kpis.scoring import compute_rate
from app.returns_io import template as layout
from app.returns_io.upload_file import Cell, FileRefused, Row, column_letter, read_csv, read_xlsx
from app.strategy import service as calendar
from app.strategy.quarters import Quarter, QuarterError
from app.strategy.service import QuarterLockedError

PENDING_MAX_AGE = 60 * 60  # seconds between the preview and its confirmation; then upload again
_WORKBOOK_SALT = "return-workbook-details"
_PENDING_SALT = "pending-upload"
DOWNLOADED, PREVIEWED = "workbook", "preview"  # what a row's version is checked against
_LABEL_OF = {s.value: s.label for s in Status if s is not Status.NO_UPDATE}
_STATUS_OF = {label.lower(): value for value, label in _LABEL_OF.items()}
FILENAME_LIMIT = 100  # characters of the uploaded file's name kept for the audit trail


@dataclass
class Problem:
    """Why (part of) an upload is refused: where, and a message in plain words."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    @property
    def where(self) -> str:
        """"Actions sheet, row 5, column F (Status this quarter)", or "The file" for the whole file."""
        if self.sheet is None:
            return "The file"
        parts = [f"{self.sheet} sheet" if self.sheet != "CSV" else "The file"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


@dataclass
class RowPreview:
    """One row as the upload would save it: New, Changed, Unchanged or Left blank, with old -> new."""

    sheet: str
    row: int
    subject: str
    outcome: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (what, old, new)


@dataclass
class Outcome:
    """What an upload would do (preview) or did (confirm)."""

    filename: str
    submit: bool
    rows: list[RowPreview] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    token: str | None = None  # the signed pending upload, for the confirm form

    @property
    def to_save(self) -> list[RowPreview]:
        return [r for r in self.rows if r.outcome in ("New", "Changed")]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


class UploadRefused(Exception):
    """Confirming found a problem (a conflict, the lock): nothing may be kept; the view rolls back."""

    def __init__(self, outcome: Outcome):
        super().__init__("upload refused")
        self.outcome = outcome


def clean_filename(name: str | None) -> str:
    """The uploaded file's name without folders or control characters, cut to FILENAME_LIMIT."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return (base or "upload")[:FILENAME_LIMIT]


def _source(actor: User, agency: Agency, filename: str) -> str:
    return f"uploaded by {actor.name} for {agency.name} from file {filename}"


def _col(headings, index: int) -> str:
    return f"{column_letter(index)} ({headings[index]})"


def _number_text(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# --- the workbook out --------------------------------------------------------------------------------


def _details_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_WORKBOOK_SALT)


def _agency_actions(agency: Agency, quarter: Quarter) -> list[Action]:
    return actions_service.actions_for(quarter, agency_id=agency.id)


def _agency_indicators(agency: Agency, quarter: Quarter) -> list[Indicator]:
    return [i for i in kpis_service.indicators(agency_id=agency.id) if i.takes_value_in(quarter)]


def _own_updates(actions: list[Action], agency: Agency, quarter: Quarter) -> dict[int, Update]:
    found = actions_service.updates_in(quarter, [a.id for a in actions])
    return {a.id: next((u for u in found.get(a.id, []) if u.agency_id == agency.id), None) for a in actions}


def workbook_for(agency: Agency, quarter: Quarter) -> bytes:
    """The agency's return workbook for `quarter`, prefilled with last quarter's return and this quarter's so far."""
    actions = _agency_actions(agency, quarter)
    current = _own_updates(actions, agency, quarter)
    rows = []
    for action in actions:
        upd = current[action.id]
        last = actions_service.previous_update(action, agency.id, quarter)
        last_shown = last if last is not None and last.is_reported else None  # a draft is not last quarter's return
        last_subs = {s.sub_action_id: s.status for s in last_shown.sub_statuses} if last_shown else {}
        subs_now = {s.sub_action_id: s.status for s in upd.sub_statuses} if upd else {}
        # A carried-forward action's sub-actions are new rows: match last year's by number.
        last_by_number = {}
        if last_shown is not None and last_shown.action_id != action.id:
            last_by_number = {sub.number: last_subs.get(sub.id) for sub in last_shown.action.sub_actions}
        rows.append(layout.ActionRow(
            code=action.code, title=action.title,
            last_status=_LABEL_OF.get(last_shown.status, "") if last_shown else "",
            last_commentary=last_shown.commentary if last_shown else "",
            status=_LABEL_OF.get(upd.status, "") if upd else "",
            commentary=upd.commentary if upd else "", mitigation=upd.mitigation if upd else "",
            sub_actions=[layout.SubActionRow(
                sub.number, sub.text,
                _LABEL_OF.get(last_subs.get(sub.id) or last_by_number.get(sub.number) or "", ""),
                _LABEL_OF.get(subs_now.get(sub.id, ""), "")) for sub in action.sub_actions]))
    indicators = _agency_indicators(agency, quarter)
    values = {}
    ind_rows = []
    for ind in indicators:
        value = kpis_service.find_value(ind, quarter)
        values[ind.code] = value.version if value else 0
        last = kpis_service.previous_value(ind, quarter)
        ind_rows.append(layout.IndicatorRow(
            code=ind.code, name=ind.name, unit=ind.unit.replace("_", " "), counting=ind.counting or "",
            last_value=_number_text(last.value) if last is not None and last.is_reported else "",
            is_rate=ind.is_rate,
            value=_number_text(value.value) if value and value.numerator is None else "",
            numerator=_number_text(value.numerator) if value else "",
            denominator=_number_text(value.denominator) if value else "",
            note=value.note if value else ""))
    details = {"v": layout.TEMPLATE_VERSION, "a": agency.id, "q": quarter.slug,
               "u": {a.code: (current[a.id].version if current[a.id] else 0) for a in actions}, "i": values}
    return layout.build_workbook(layout.WorkbookData(
        agency=agency.name, quarter_label=quarter.label, quarter_slug=quarter.slug,
        downloaded_at=datetime.now(UTC).strftime("%d %b %Y %H:%M UTC"),
        token=_details_serializer().dumps(details), actions=rows, indicators=ind_rows))


def workbook_filename(agency: Agency, quarter: Quarter) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in agency.short_name).strip("-") or "agency"
    return f"return-{safe}-{quarter.slug}.xlsx"


# --- reading rows ------------------------------------------------------------------------------------


def _text(cells: list[Cell], index: int) -> str:
    return cells[index].text.strip() if index < len(cells) else ""


def _formula_problems(sheet: str, number: int, cells: list[Cell], headings) -> list[Problem]:
    return [Problem("The cell holds a formula: type the figure or the text itself", sheet, number,
                    _col(headings, i) if i < len(headings) else column_letter(i))
            for i, c in enumerate(cells) if c.formula]


def _data_rows(rows: list[Row]) -> list[Row]:
    return [(n, cells) for n, cells in rows if n > layout.HEADER_ROW]


def _action_entries(rows: list[Row], problems: list[Problem]) -> list[dict]:
    """The Actions sheet as entries: one per action, carrying its sub-action rows."""
    sheet, cols = layout.ACTIONS_SHEET, layout.ACTION_COLUMNS
    entries: dict[str, dict] = {}
    for number, cells in _data_rows(rows):
        formulas = _formula_problems(sheet, number, cells, cols)
        if formulas:
            problems.extend(formulas)
            continue
        code = _text(cells, layout.A_CODE).upper()
        if not code:
            problems.append(Problem("Enter the action code, or remove the row", sheet, number, _col(cols, 0)))
            continue
        sub = _text(cells, layout.A_SUB)
        entry = entries.setdefault(code, {"code": code, "row": None, "status": "", "commentary": "",
                                          "mitigation": "", "subs": []})
        if sub:
            entry["subs"].append([number, sub, _text(cells, layout.A_STATUS)])
            entry.setdefault("first_row", number)
            continue
        if entry["row"] is not None:
            problems.append(Problem(f"{code} appears twice (rows {entry['row']} and {number}): keep one row",
                                    sheet, number, _col(cols, 0)))
            continue
        entry.update(row=number, status=_text(cells, layout.A_STATUS),
                     commentary=cells[layout.A_COMMENTARY].text if len(cells) > layout.A_COMMENTARY else "",
                     mitigation=cells[layout.A_MITIGATION].text if len(cells) > layout.A_MITIGATION else "")
    for entry in entries.values():
        if entry["row"] is None:
            entry["row"] = entry.pop("first_row")
        entry.pop("first_row", None)
    return list(entries.values())


def _indicator_entries(rows: list[Row], problems: list[Problem], sheet: str, columns: dict[str, int],
                       headings) -> list[dict]:
    """Indicator rows as entries (code, quarter when the file has one, value, numerator, denominator, note)."""
    entries = []
    for number, cells in rows:
        formulas = _formula_problems(sheet, number, cells, headings)
        if formulas:
            problems.extend(formulas)
            continue
        entry = {"row": number}
        for name, index in columns.items():
            entry[name] = cells[index].text if index < len(cells) else ""
        entry["code"] = entry.get("code", "").strip().upper()
        if not entry["code"]:
            problems.append(Problem("Enter the indicator code, or remove the row", sheet, number,
                                    _col(headings, columns["code"])))
            continue
        entries.append(entry)
    return entries


def _read_details(sheets: dict[str, list[Row]]) -> dict:
    rows = {n: cells for n, cells in sheets.get(layout.DETAILS_SHEET, [])}
    cells = rows.get(int(layout.DETAILS_TOKEN_CELL[1:]), [])
    token = cells[1].text if len(cells) > 1 else ""
    try:
        details = _details_serializer().loads(token)
    except BadSignature:
        raise FileRefused("This is not a return workbook downloaded from this app, or its hidden details were "
                          "changed: download a new workbook, copy your entries into it and upload that") from None
    if not isinstance(details, dict):
        raise FileRefused("This is not a return workbook downloaded from this app: download a new workbook")
    return details


def _check_details(details: dict, agency: Agency, quarter: Quarter) -> None:
    if details.get("v") != layout.TEMPLATE_VERSION:
        raise FileRefused(f"This workbook was made with an older template (version {details.get('v')}; this app "
                          f"reads version {layout.TEMPLATE_VERSION}): download a new workbook, copy your entries "
                          "into it and upload that")
    if details.get("a") != agency.id:
        agency_id = details.get("a")
        other = db.session.get(Agency, agency_id) if type(agency_id) is int and 0 < agency_id < 2**31 else None
        owner = other.name if other else "another agency"
        raise FileRefused(f"This workbook is {owner}'s, not {agency.name}'s: upload it from {owner}'s returns "
                          f"page, or download {agency.name}'s workbook")
    if details.get("q") != quarter.slug:
        try:
            label = Quarter.parse(str(details.get("q"))).label
        except QuarterError:
            label = "another quarter"
        raise FileRefused(f"This workbook is for {label}, not {quarter.label}: upload it for {label}, or "
                          f"download the workbook for {quarter.label}")


# --- judging rows ------------------------------------------------------------------------------------


def _form_problems(form, sheet: str, number: int, where: dict[str, tuple[int, str]]) -> list[Problem]:
    found = []
    for name, errors in form.errors.items():
        if name not in where:
            continue
        row, column = where[name]
        found.extend(Problem(message, sheet, row, column) for message in errors)
    return found


def _status_value(text: str) -> str | None:
    """A status as stored from its label ("Green" -> "green"); "" for an empty cell; None when unknown."""
    if not text:
        return ""
    return _STATUS_OF.get(text.strip().lower())


def _unknown_status(text: str) -> str:
    return f"\u201c{text}\u201d is not a status: choose Complete, Green, Amber or Red"


def _update_snapshot(upd: Update | None, action: Action) -> dict:
    if upd is None:
        return {"status": "", "commentary": "", "mitigation": "", "subs": {}}
    by_id = {s.sub_action_id: s.status for s in upd.sub_statuses}
    return {"status": upd.status or "", "commentary": upd.commentary or "", "mitigation": upd.mitigation or "",
            "subs": {sub.number: by_id[sub.id] for sub in action.sub_actions if sub.id in by_id}}


def _conflict(kind: str, code: str, by_name: str | None, at: datetime | None) -> str:
    """The conflict message for a row changed in the app since the workbook's download or the preview."""
    when = (f" by {by_name}" if by_name else "") + (f" on {at:%d %b %Y at %H:%M}" if at else "")
    if kind == DOWNLOADED:
        return (f"{code} was changed in the app after this workbook was downloaded{when}: download a new "
                "workbook and fill it in again, or make this change in the app")
    return f"{code} was changed in the app after you previewed this upload{when}: upload the file again"


def _judge_actions(actor: User, agency: Agency, quarter: Quarter, entries: list[dict], versions: dict,
                   submit: bool, outcome: Outcome, writes: list) -> None:
    sheet, cols = layout.ACTIONS_SHEET, layout.ACTION_COLUMNS
    led = {a.code.upper(): a for a in _agency_actions(agency, quarter)}
    current = _own_updates(list(led.values()), agency, quarter)
    for entry in entries:
        number, code = entry["row"], entry["code"]
        action = led.get(code)
        if action is None:
            outcome.problems.append(Problem(f"{code} is not an action {agency.name} leads in {quarter.label}: "
                                            "remove the row", sheet, number, _col(cols, layout.A_CODE)))
            continue
        problems: list[Problem] = []
        status = _status_value(entry["status"])
        if status is None:
            problems.append(Problem(_unknown_status(entry["status"]), sheet, number, _col(cols, layout.A_STATUS)))
        by_number = {str(sub.number): sub for sub in action.sub_actions}
        subs: dict[int, str] = {}
        where = {"status": (number, _col(cols, layout.A_STATUS)),
                 "commentary": (number, _col(cols, layout.A_COMMENTARY)),
                 "mitigation": (number, _col(cols, layout.A_MITIGATION))}
        data = MultiDict({"status": status or "", "commentary": entry["commentary"],
                          "mitigation": entry["mitigation"], "version": "0",
                          ("submit_update" if submit else "save_draft"): "y"})
        for sub_row, sub_number, sub_text in entry["subs"]:
            sub = by_number.get(sub_number.removesuffix(".0"))
            if sub is None:
                problems.append(Problem(f"{code} has no sub-action {sub_number}: remove the row", sheet, sub_row,
                                        _col(cols, layout.A_SUB)))
                continue
            value = _status_value(sub_text)
            if value is None:
                problems.append(Problem(_unknown_status(sub_text), sheet, sub_row, _col(cols, layout.A_STATUS)))
                continue
            if value:
                subs[sub.number] = value
                data[f"sub_{sub.number}"] = value
            where[f"sub_{sub.number}"] = (sub_row, _col(cols, layout.A_STATUS))
        if problems:
            outcome.problems.extend(problems)
            continue
        subject = f"{code}: {action.title}"
        upd = current[action.id]
        blank = not (status or entry["commentary"].strip() or entry["mitigation"].strip() or subs)
        if blank:
            outcome.rows.append(RowPreview(sheet, number, subject, "Left blank"))
            continue
        form = update_form_for(action, formdata=data, meta={"csrf": False})
        if not form.validate():
            outcome.problems.extend(_form_problems(form, sheet, number, where))
            continue
        old = _update_snapshot(upd, action)
        new = {"status": status, "commentary": entry["commentary"].strip(),
               "mitigation": entry["mitigation"].strip(), "subs": subs}
        changes = _action_changes(old, new, upd, submit)
        if upd is not None and not changes:
            outcome.rows.append(RowPreview(sheet, number, subject, "Unchanged"))
            continue
        downloaded = versions.get(code, 0)
        if (upd.version if upd else 0) != downloaded:
            outcome.problems.append(Problem(
                _conflict(DOWNLOADED, code, upd.updated_by.name if upd and upd.updated_by else None,
                          upd.updated_at if upd else None),
                sheet, number, _col(cols, layout.A_CODE)))
            continue
        outcome.rows.append(RowPreview(sheet, number, subject, "New" if upd is None else "Changed", changes))
        sub_ids = {sub.number: sub.id for sub in action.sub_actions}
        writes.append((("update", code, number, sheet), dict(
            action=action, version=downloaded, status=Status(new["status"]) if new["status"] else None,
            commentary=new["commentary"], mitigation=new["mitigation"],
            sub_statuses={sub_ids[n]: Status(s) for n, s in new["subs"].items()})))


def _action_changes(old: dict, new: dict, upd: Update | None, submit: bool) -> list[tuple[str, str, str]]:
    label = lambda value: _LABEL_OF.get(value, "(none)") if value else "(none)"  # noqa: E731
    changes = []
    if old["status"] != new["status"]:
        changes.append(("Status", label(old["status"]), label(new["status"])))
    for name, what in (("commentary", "Commentary"), ("mitigation", "Mitigation")):
        if old[name] != new[name]:
            changes.append((what, old[name] or "(none)", new[name] or "(none)"))
    for number in sorted(set(old["subs"]) | set(new["subs"])):
        if old["subs"].get(number) != new["subs"].get(number):
            changes.append((f"Sub-action {number}", label(old["subs"].get(number)), label(new["subs"].get(number))))
    target = "submitted" if submit else "draft"
    if upd is None:
        changes.append(("State", "(none)", target.capitalize()))
    elif (changes or (submit and not upd.is_reported)) and upd.state != target:
        changes.append(("State", upd.state.capitalize(), target.capitalize()))
    return changes


def _value_snapshot(value: IndicatorValue | None) -> dict:
    if value is None:
        return {"value": None, "numerator": None, "denominator": None, "note": ""}
    return {"value": value.value, "numerator": value.numerator, "denominator": value.denominator,
            "note": value.note or ""}


def _judge_values(actor: User, agency: Agency, quarter: Quarter | None, entries: list[dict], versions: dict,
                  outcome: Outcome, writes: list, sheet: str, headings, columns: dict[str, int],
                  kind: str) -> dict:
    """Judge indicator rows; `quarter` None means each row names its own (a bulk file). Returns the versions seen."""
    owned = {i.code.upper(): i for i in kpis_service.indicators(agency_id=agency.id)}
    seen: dict[str, int] = {}
    keys: dict[tuple[str, str], int] = {}
    locked: dict[Quarter, bool] = {}
    col = lambda name: _col(headings, columns[name]) if name in columns else None  # noqa: E731
    for entry in entries:
        number, code = entry["row"], entry["code"]
        indicator = owned.get(code)
        if indicator is None:
            outcome.problems.append(Problem(f"{code} is not an indicator {agency.name} owns: remove the row",
                                            sheet, number, col("code")))
            continue
        row_quarter = quarter
        if row_quarter is None:
            try:
                row_quarter = calendar.parse_strategy_quarter(entry.get("quarter", "").strip())
            except QuarterError as exc:
                outcome.problems.append(Problem(f"{exc}", sheet, number, col("quarter")))
                continue
        if not indicator.takes_value_in(row_quarter):
            outcome.problems.append(Problem(f"{code} is reported once a year, in Q4: enter it for "
                                            f"{row_quarter.fy_label} Q4", sheet, number, col("quarter")))
            continue
        key = (code, row_quarter.slug)
        if key in keys:
            outcome.problems.append(Problem(f"{code} for {row_quarter.label} appears twice (rows {keys[key]} and "
                                            f"{number}): keep one row", sheet, number, col("code")))
            continue
        keys[key] = number
        subject = f"{code}: {indicator.name}" + ("" if quarter else f", {row_quarter.label}")
        parts = (entry.get("value", ""), entry.get("numerator", ""), entry.get("denominator", ""))
        if not any(p.strip() for p in parts):
            outcome.rows.append(RowPreview(sheet, number, subject, "Left blank"))
            continue
        if row_quarter not in locked:
            locked[row_quarter] = calendar.is_locked(row_quarter)
        if locked[row_quarter]:
            outcome.problems.append(Problem(str(QuarterLockedError(row_quarter)), sheet, number,
                                            col("quarter") or col("code")))
            continue
        form = ValueForm(formdata=MultiDict({"value": parts[0], "numerator": parts[1], "denominator": parts[2],
                                             "note": entry.get("note", ""), "version": "0"}),
                         unit=indicator.unit, meta={"csrf": False})
        if not form.validate():
            where = {name: (number, col(name)) for name in ("value", "numerator", "denominator", "note")}
            outcome.problems.extend(_form_problems(form, sheet, number, where))
            continue
        existing = kpis_service.find_value(indicator, row_quarter)
        seen[f"{code}|{row_quarter.slug}"] = existing.version if existing else 0
        new_value = form.parsed_value
        if form.parsed_numerator is not None:
            new_value = compute_rate(form.parsed_numerator, form.parsed_denominator, indicator.unit)
        old = _value_snapshot(existing)
        new = {"value": new_value, "numerator": form.parsed_numerator, "denominator": form.parsed_denominator,
               "note": (form.note.data or "").strip()}
        changes = [(what, _number_text(old[name]) if name != "note" else old[name] or "(none)",
                    _number_text(new[name]) if name != "note" else new[name] or "(none)")
                   for name, what in (("value", "Value"), ("numerator", "Numerator"),
                                      ("denominator", "Denominator"), ("note", "Note"))
                   if old[name] != new[name]]
        changes = [(w, o or "(none)", n or "(none)") for w, o, n in changes]
        if existing is not None and not existing.is_reported:
            changes.append(("State", "Draft", "Submitted"))
        if existing is not None and not changes:
            outcome.rows.append(RowPreview(sheet, number, subject, "Unchanged"))
            continue
        baseline = versions.get(code if quarter else f"{code}|{row_quarter.slug}")
        if baseline is None and quarter is None:
            baseline = seen[f"{code}|{row_quarter.slug}"]  # first preview of a bulk file: now is the baseline
        if (existing.version if existing else 0) != (baseline or 0):
            who = existing.entered_by.name if existing and existing.entered_by else None
            outcome.problems.append(Problem(_conflict(kind, code, who, existing.entered_at if existing
                                                      else None), sheet, number, col("code")))
            continue
        outcome.rows.append(RowPreview(sheet, number, subject, "New" if existing is None else "Changed", changes))
        writes.append((("value", code, number, sheet), dict(
            indicator=indicator, quarter=row_quarter, version=baseline or 0, value=form.parsed_value,
            numerator=form.parsed_numerator, denominator=form.parsed_denominator, note=form.note.data or "",
            provisional=existing.provisional if existing else False)))
    return seen


def _apply(actor: User, agency: Agency, quarter: Quarter | None, writes: list, submit: bool, outcome: Outcome,
           source: str) -> None:
    """Write every judged row through the web forms' services; any refusal refuses the whole upload."""
    for (kind, code, number, sheet), kwargs in writes:
        try:
            if kind == "update":
                actions_service.save_update(actor, kwargs.pop("action"), agency, quarter, submit=submit,
                                            source=source, **kwargs)
            else:
                kpis_service.save_value(actor, kwargs.pop("indicator"), kwargs.pop("quarter"), source=source,
                                        **kwargs)
        except ConflictError:
            outcome.problems.append(Problem(f"{code} was changed in the app while this upload was being saved: "
                                            "upload the file again", sheet, number))
        except (QuarterLockedError, UpdateError) as exc:
            outcome.problems.append(Problem(str(exc), sheet, number))
        if outcome.problems:
            raise UploadRefused(outcome)


# --- the return workbook back in ---------------------------------------------------------------------


def _pending_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_PENDING_SALT)


def _judge_workbook(actor: User, agency: Agency, quarter: Quarter, pending: dict, outcome: Outcome,
                    writes: list) -> None:
    if calendar.is_locked(quarter):
        outcome.problems.append(Problem(str(QuarterLockedError(quarter))))
        return
    details = pending["details"]
    _judge_actions(actor, agency, quarter, pending["actions"], details.get("u") or {}, pending["submit"],
                   outcome, writes)
    columns = {"code": layout.I_CODE, "value": layout.I_VALUE, "numerator": layout.I_NUMERATOR,
               "denominator": layout.I_DENOMINATOR, "note": layout.I_NOTE}
    _judge_values(actor, agency, quarter, pending["values"], details.get("i") or {}, outcome, writes,
                  layout.INDICATORS_SHEET, layout.INDICATOR_COLUMNS, columns, DOWNLOADED)


def preview_workbook(actor: User, agency: Agency, quarter: Quarter, data: bytes, filename: str,
                     submit: bool) -> Outcome:
    """Read and judge an uploaded return workbook; nothing is written. The outcome carries a confirm token."""
    outcome = Outcome(clean_filename(filename), submit)
    try:
        if not outcome.filename.lower().endswith(".xlsx"):
            if outcome.filename.lower().endswith((".xlsm", ".xltm", ".xlsb")):
                raise FileRefused("The file is a macro-enabled workbook: save it as an Excel Workbook (.xlsx) "
                                  "and upload that")
            raise FileRefused("The file must be an Excel workbook (.xlsx): upload the workbook you downloaded")
        sheets = read_xlsx(data, outcome.filename)
        details = _read_details(sheets)
        _check_details(details, agency, quarter)
    except FileRefused as exc:
        outcome.problems.append(Problem(str(exc)))
        return outcome
    problems: list[Problem] = []
    actions = _action_entries(sheets.get(layout.ACTIONS_SHEET, []), problems)
    columns = {"code": layout.I_CODE, "value": layout.I_VALUE, "numerator": layout.I_NUMERATOR,
               "denominator": layout.I_DENOMINATOR, "note": layout.I_NOTE}
    values = _indicator_entries(_data_rows(sheets.get(layout.INDICATORS_SHEET, [])), problems,
                                layout.INDICATORS_SHEET, columns, layout.INDICATOR_COLUMNS)
    outcome.problems.extend(problems)
    pending = {"k": "workbook", "u": actor.id, "a": agency.id, "q": quarter.slug, "f": outcome.filename,
               "submit": submit, "details": {"u": details.get("u"), "i": details.get("i")},
               "actions": actions, "values": values}
    _judge_workbook(actor, agency, quarter, pending, outcome, [])
    if not outcome.problems and outcome.to_save:
        outcome.token = _pending_serializer().dumps(pending)
    return outcome


def _load_pending(token: str, kind: str, actor: User, agency: Agency, quarter: Quarter | None) -> dict | str:
    try:
        pending = _pending_serializer().loads(token or "", max_age=PENDING_MAX_AGE)
    except SignatureExpired:
        return "This preview is more than an hour old: upload the file again"
    except BadSignature:
        return "This preview could not be found: upload the file again"
    if (not isinstance(pending, dict) or pending.get("k") != kind or pending.get("u") != actor.id
            or pending.get("a") != agency.id or (quarter is not None and pending.get("q") != quarter.slug)):
        return "This preview is not yours or not for this page: upload the file again"
    return pending


def confirm_workbook(actor: User, agency: Agency, quarter: Quarter, token: str) -> Outcome:
    """Apply a previewed workbook, all or nothing: judged again now, then written row by row.

    Raises UploadRefused (the caller rolls back) when anything is refused, including a conflict met while writing.
    """
    pending = _load_pending(token, "workbook", actor, agency, quarter)
    if isinstance(pending, str):
        raise UploadRefused(Outcome("", False, problems=[Problem(pending)]))
    outcome = Outcome(pending["f"], bool(pending["submit"]))
    writes: list = []
    _judge_workbook(actor, agency, quarter, pending, outcome, writes)
    if outcome.problems:
        raise UploadRefused(outcome)
    _apply(actor, agency, quarter, writes, outcome.submit, outcome, _source(actor, agency, outcome.filename))
    return outcome


# --- indicator values in bulk ------------------------------------------------------------------------

BULK_HEADINGS = {"code": ("indicator code", "code", "indicator"), "quarter": ("quarter", "period"),
                 "value": ("value",), "numerator": ("numerator",), "denominator": ("denominator",),
                 "note": ("note", "notes")}
BULK_SHEET = "CSV"


def _bulk_rows(data: bytes, filename: str) -> tuple[str, list[Row]]:
    name = filename.lower()
    if name.endswith(".csv"):
        return BULK_SHEET, read_csv(data)
    if name.endswith(".xlsx") or name.endswith((".xlsm", ".xltm", ".xlsb")):
        sheets = read_xlsx(data, filename)
        title, rows = next(iter(sheets.items()), ("Sheet1", []))
        return title, rows
    raise FileRefused("The file must be a CSV file (.csv) or an Excel workbook (.xlsx)")


def _bulk_columns(rows: list[Row]) -> tuple[dict[str, int], list[str], list[Row]]:
    if not rows:
        raise FileRefused("The file has no rows: it needs a heading row and a row per value")
    number, cells = rows[0]
    headings = [c.text.strip() for c in cells]
    columns: dict[str, int] = {}
    for index, heading in enumerate(headings):
        for name, accepted in BULK_HEADINGS.items():
            if heading.lower() in accepted and name not in columns:
                columns[name] = index
    if "code" not in columns or "quarter" not in columns or not (
            "value" in columns or {"numerator", "denominator"} <= set(columns)):
        raise FileRefused("The first row must be the headings: Indicator code, Quarter, and Value or "
                          "Numerator and Denominator (Note is optional)")
    return columns, headings, rows[1:]


def _judge_bulk(actor: User, agency: Agency, pending: dict, outcome: Outcome, writes: list) -> dict:
    return _judge_values(actor, agency, None, pending["values"], pending["versions"], outcome, writes,
                         pending["sheet"], pending["headings"], pending["columns"], PREVIEWED)


def preview_values(actor: User, agency: Agency, data: bytes, filename: str) -> Outcome:
    """Read and judge a CSV or xlsx of indicator values for several quarters; nothing is written."""
    outcome = Outcome(clean_filename(filename), True)
    try:
        sheet, rows = _bulk_rows(data, outcome.filename)
        columns, headings, rows = _bulk_columns(rows)
    except FileRefused as exc:
        outcome.problems.append(Problem(str(exc)))
        return outcome
    problems: list[Problem] = []
    values = _indicator_entries(rows, problems, sheet, columns, headings)
    outcome.problems.extend(problems)
    pending = {"k": "values", "u": actor.id, "a": agency.id, "q": None, "f": outcome.filename, "sheet": sheet,
               "headings": headings, "columns": columns, "versions": {}, "values": values}
    pending["versions"] = _judge_bulk(actor, agency, pending, outcome, [])
    if not outcome.problems and outcome.to_save:
        outcome.token = _pending_serializer().dumps(pending)
    return outcome


def confirm_values(actor: User, agency: Agency, token: str) -> Outcome:
    """Apply a previewed file of indicator values, all or nothing; raises UploadRefused (caller rolls back)."""
    pending = _load_pending(token, "values", actor, agency, None)
    if isinstance(pending, str):
        raise UploadRefused(Outcome("", True, problems=[Problem(pending)]))
    outcome = Outcome(pending["f"], True)
    writes: list = []
    _judge_bulk(actor, agency, pending, outcome, writes)
    if outcome.problems:
        raise UploadRefused(outcome)
    _apply(actor, agency, None, writes, True, outcome, _source(actor, agency, outcome.filename))
    return outcome
