"""read -> stages -> plan -> apply.

Each stage is a pure function over a `Context`: it reads what earlier stages left and
adds its own findings, owned columns and owned tabs. New stages (dedupe, a dashboard)
plug into STAGES: dedupe right after reading, the dashboard after the tasks.

Work may run beside the stages in a second process (background.py). stage_read starts
one, where orders are read in this run: it checks the contacts' phone numbers while this
process loads the Orders sheet, then matches duplicate contacts while this process reads
and scores the orders. stage_dedupe leaves a finisher in `ctx.pending`, which takes the
matching's result into the place it would have had, and `Context.settle` (run before the
plan) calls it.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from . import background, duplicates_tab, forms, issues_tab, loyalty, loyalty_tab, merging, tasks
from .backends import Backend
from .carryover import OwnedTabSpec, is_ours, same_content
from .dedupe import find_groups, households_apart, people_of
from .dedupe.match import GUARD_LIFTED
from .errors import TabNameTaken, UnknownMergeGroup
from .model import Book, Cell, ColumnWrite, Issue, Tab, TabWrite, WritePlan
from .normalize import PhoneResult, as_stored, text_of
from .normalize import phones as normalize_phones
from .records import (
    Contact,
    ContactIndex,
    IdAllocator,
    Interaction,
    Order,
    read_contacts,
    read_interactions,
    read_orders,
)
from .schema import (
    CONTACTS,
    CRM_ID,
    DONE_TAB,
    FOLLOW_UPS_TAB,
    INTERACTIONS,
    ORDERS,
    STATE_TAB,
    Mapped,
    find_tab,
    map_tab,
    require_tab,
)
from .settings import Settings, read_settings

STATE = OwnedTabSpec(STATE_TAB, ("Key", "Value"), key="Key", inputs=())
FOLLOW_UPS = OwnedTabSpec(FOLLOW_UPS_TAB, tasks.HEADER, key="Key", inputs=tasks.INPUTS)
DONE = OwnedTabSpec(DONE_TAB, tasks.HEADER, key="Key", inputs=tasks.INPUTS)
NEXT_ID = "next CRM ID"
NOT_SAME = "not the same: "
NEXT_MERGE = "next merge group"


@dataclass
class Context:
    book: Book
    as_of: dt.date
    settings: Settings = field(default_factory=Settings)
    mapped: dict[str, Mapped] = field(default_factory=dict)  # by TabKind name
    contacts: list[Contact] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    ignored: set[str] = field(default_factory=set)
    # Owned columns: (tab kind, header) -> {sheet row: value}; owned tabs by name.
    owned_cells: dict[tuple[str, str], dict[int, Cell]] = field(default_factory=dict)
    owned_tabs: list[TabWrite] = field(default_factory=list)
    ids: IdAllocator = field(default_factory=lambda: IdAllocator(1))
    new_ids: dict[int, str] = field(default_factory=dict)  # sheet row -> ID given this sync
    notes: list[str] = field(default_factory=list)
    loyalty: loyalty.Loyalty | None = None
    tasks: list[list[Cell]] = field(default_factory=list)  # the Follow-ups rows
    # Duplicates: CRM ID pairs the owner said are not the same, the owner's decisions,
    # the groups found, the Merged tab's rows, and merges to make without a decision.
    never: set[frozenset[str]] = field(default_factory=set)
    decided: dict[str, duplicates_tab.Decided] = field(default_factory=dict)
    groups: list = field(default_factory=list)
    people: list = field(default_factory=list)
    households: bool = True  # two given names under one roof are a family (households_apart)
    archive: list[dict[str, Cell]] = field(default_factory=list)
    auto_merge: list[list[str]] = field(default_factory=list)
    merged: merging.Outcome | None = None
    next_merge: int = 1  # merge groups are M1, M2...: a number is never used twice
    # Changes to the owner's own Contacts cells: approved merges, and contacts added or
    # completed from Google Forms responses. Column -> {row: value}.
    owner_edits: dict[int, dict[int, Cell]] = field(default_factory=dict)
    # Google Forms responses read so far (key -> the CRM ID they went to), and this sync's.
    form_seen: dict[str, Cell] = field(default_factory=dict)
    forms: forms.Ingested | None = None
    counts: dict[str, int] = field(default_factory=dict)  # rows read, kept past release
    index: ContactIndex | None = None  # finds the contact an order points at
    # The stages of this run (set by run()), and what stages left running (see the
    # module's docstring).
    stages: list[Callable[[Context], None]] = field(default_factory=list)
    beside: background.Job = field(default_factory=background.Job)
    pending: list[Callable[[], None]] = field(default_factory=list)

    def settle(self) -> None:
        """Collect the work stages left running, each into the place it belongs."""
        while self.pending:
            self.pending.pop(0)()
        self.beside.close()

    def cancel(self) -> None:
        self.pending = []
        self.beside.cancel()

    def release_reading(self) -> None:
        """Let go of what only the stages needed (the order and interaction rows, typed
        orders, the people matched) before the write, which needs memory of its own:
        about a quarter off the peak of a 100k-contact sync. The plan is made by now."""
        self.counts = {name: len(m.records) for name, m in self.mapped.items()}
        self.counts["orders"] = len(self.orders)
        for kind in (ORDERS, INTERACTIONS):
            mapped = self.mapped.get(kind.name)
            if mapped is not None:
                self.book.forget(mapped.tab.name)
                mapped.records = []
                mapped.tab = Tab(mapped.tab.name, [])
        self.orders, self.interactions, self.people, self.loyalty = [], [], [], None


def stage_read(ctx: Context) -> None:
    """Settings, header mapping, and typed rows with their issues."""
    ctx.settings = read_settings(ctx.book)
    ctx.issues.extend(ctx.settings.issues)
    s = ctx.settings
    contacts_tab = require_tab(ctx.book, CONTACTS, s["Contacts tab"])
    contacts = map_tab(contacts_tab, CONTACTS)
    state = _state(ctx.book)
    ctx.ids = IdAllocator(_number(state.get(NEXT_ID)))
    ctx.never = _never(state)
    ctx.decided = duplicates_tab.decisions(_owned_tab(ctx.book, duplicates_tab.SPEC))
    ctx.issues.extend(duplicates_tab.unknown_decisions(ctx.decided))
    ctx.never |= duplicates_tab.never_pairs(ctx.decided)
    ctx.archive = merging.read_archive(_owned_tab(ctx.book, merging.SPEC))
    approved = [d.ids for d in ctx.decided.values() if d.decision == duplicates_tab.MERGE]
    ctx.next_merge = max(merging.next_label(ctx.archive), _number(state.get(NEXT_MERGE)))
    if approved or ctx.auto_merge:
        first = ctx.next_merge
        labelled = [(f"M{first + n}", ids) for n, ids in enumerate(approved + ctx.auto_merge)]
        width = max(contacts.last_col, len(contacts.headers), *contacts.owned.values())
        when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        ctx.merged = merging.merge(contacts, labelled, s["Merge prefers"], when, width)
        ctx.archive += ctx.merged.archive
        ctx.owner_edits = ctx.merged.edits
        ctx.notes.extend(ctx.merged.skipped)
        ctx.next_merge = max([ctx.next_merge] + [int(g[1:]) + 1 for g in ctx.merged.groups])
        contacts = map_tab(contacts_tab, CONTACTS)  # the tab as merged
    ctx.form_seen = _form_seen(state)
    ctx.forms = forms.ingest(ctx.book, contacts, set(ctx.form_seen))
    ctx.issues.extend(ctx.forms.issues)
    ctx.notes.extend(ctx.forms.notes)
    if ctx.forms.edits:
        for col, cells in ctx.forms.edits.items():
            ctx.owner_edits.setdefault(col, {}).update(cells)
        contacts = map_tab(contacts_tab, CONTACTS)  # with the new contacts
    ctx.mapped[CONTACTS.name] = contacts
    ctx.issues.extend(contacts.issues)
    if stage_orders in ctx.stages:
        # A second process (where it pays) checks the phone numbers while this one loads
        # the Orders and Interactions sheets, then matches duplicates (stage_dedupe).
        numbers = {text_of(rec.get("phone")) for rec in contacts.records} - {""} \
            if "phone" in contacts.columns else set()
        ctx.beside = background.start(_beside_read, ctx, contacts, numbers,
                                      stage_dedupe in ctx.stages, size=len(contacts.records))
        for kind in (ORDERS, INTERACTIONS):
            find_tab(ctx.book, kind, s[kind.setting])
    phones = ctx.beside.take(lambda: None)  # None: read_contacts checks them itself
    phones = phones and {text: PhoneResult(*result) for text, result in phones.items()}
    ctx.contacts, ctx.new_ids = read_contacts(contacts, s, ctx.ids, ctx.issues, phones)
    if ctx.forms.seen:
        id_of = {c.row: c.crm_id for c in ctx.contacts}
        ctx.form_seen.update({k: id_of.get(row, "") for k, row in ctx.forms.seen.items()})
    ctx.owned_cells[(CONTACTS.name, CRM_ID)] = {c.row: c.crm_id for c in ctx.contacts}
    ctx.index = ContactIndex(ctx.contacts, merging.aliases(ctx.archive))


def stage_orders(ctx: Context) -> None:
    """Typed orders and interactions with their issues, each linked to its contact."""
    s = ctx.settings
    for kind, reader, target in ((ORDERS, read_orders, "orders"),
                                 (INTERACTIONS, read_interactions, "interactions")):
        tab = find_tab(ctx.book, kind, s[kind.setting])
        if tab is None:
            if s[kind.setting]:
                require_tab(ctx.book, kind, s[kind.setting])
            ctx.notes.append(f"no {kind.name} tab: nothing to read there")
            continue
        mapped = map_tab(tab, kind)
        ctx.mapped[kind.name] = mapped
        ctx.issues.extend(mapped.issues)
        setattr(ctx, target, reader(mapped, s, ctx.index, ctx.as_of, ctx.issues))


def stage_dedupe(ctx: Context) -> None:
    """The Duplicates tab (groups, evidence, the owner's decisions), the Merged tab, and
    the groups to merge without a decision when Settings allow it. Where stage_read
    started a second process, the matching is done there, beside the orders."""
    existing = _owned_tab(ctx.book, duplicates_tab.SPEC)  # an owner's tab of that name stops here
    at_tab, at_note = len(ctx.owned_tabs), len(ctx.notes)  # where its output goes

    def finish(found: tuple) -> None:
        ctx.households, ctx.groups, tab, ctx.people = found
        tabs = [tab]
        if ctx.archive or ctx.book.tab(merging.MERGED_TAB) is not None:
            tabs.append(_merged_tab(ctx.archive))
        ctx.owned_tabs[at_tab:at_tab] = tabs
        if not ctx.households:
            ctx.notes.insert(at_note, f"duplicates: {GUARD_LIFTED}")
        _auto_merges(ctx)

    if ctx.beside.running:  # matching in the second process: take it before the plan
        ctx.pending.append(lambda: finish(ctx.beside.take(
            lambda: _duplicates(ctx, existing, False))))
    else:
        finish(_duplicates(ctx, existing, True))


def _beside_read(ctx: Context, contacts: Mapped, numbers: set[str], dedupe: bool):
    """What the second process does (background.py): the phone numbers, then (its own
    copy of) the contacts as stage_read makes them, and the duplicates among them."""
    phones = normalize_phones(numbers, ctx.settings.region)
    # As plain tuples: the other process loads them in a tenth of the time it takes over
    # the dataclasses (100k phones: 0.03 s against 0.23 s).
    yield {text: (r.ok, r.e164, r.problem) for text, r in phones.items()}
    if dedupe:
        ctx.contacts, ctx.new_ids = read_contacts(contacts, ctx.settings, ctx.ids, [], phones)
        yield _duplicates(ctx, _owned_tab(ctx.book, duplicates_tab.SPEC), False)


def _duplicates(ctx: Context, existing: Tab | None, keep_people: bool) -> tuple:
    """(households apart, groups, the Duplicates tab, the people matched or [])."""
    contacts = ctx.mapped[CONTACTS.name]
    people = people_of(contacts, ctx.contacts, ctx.settings.region)
    index = {c.crm_id: i for i, c in enumerate(ctx.contacts)}
    never = {frozenset(index[x] for x in pair) for pair in ctx.never
             if len(pair) == 2 and all(x in index for x in pair)}
    households = households_apart(people)
    groups = find_groups(people, never, households=households)
    tab = duplicates_tab.build(groups, people, ctx.contacts, contacts.tab.name, existing)
    return households, groups, tab, (people if keep_people else [])


def _auto_merges(ctx: Context) -> None:
    above = ctx.settings["Auto-merge duplicates above"]
    if above and not ctx.auto_merge:
        for g in ctx.groups:
            # Only rows whose CRM ID is already in the book: a merge is recorded by ID.
            if any(ctx.contacts[i].row in ctx.new_ids for i in g.members):
                continue
            ids = [ctx.contacts[i].crm_id for i in g.members]
            if 100 * g.confidence >= above and \
                    duplicates_tab.group_key(ids) not in ctx.decided:
                ctx.auto_merge.append(ids)


def stage_loyalty(ctx: Context) -> None:
    """RFM scores, segments and purchase-model figures per contact; the Loyalty tab."""
    if ORDERS.name not in ctx.mapped:
        return
    loy = loyalty.compute(ctx.contacts, ctx.orders, ctx.settings, ctx.as_of)
    for header, cells in loyalty_tab.contact_cells(loy, ctx.contacts).items():
        ctx.owned_cells[(CONTACTS.name, header)] = cells
    _owned_tab(ctx.book, loyalty_tab.SPEC)
    contacts_tab = ctx.mapped[CONTACTS.name].tab.name
    ctx.owned_tabs.append(loyalty_tab.build(loy, ctx.contacts, contacts_tab, ctx.as_of))
    ctx.loyalty = loy


def stage_issues(ctx: Context) -> None:
    """The Issues tab, with the owner's Status carried over."""
    existing = _owned_tab(ctx.book, issues_tab.SPEC)
    tab, ctx.ignored = issues_tab.build(ctx.issues, existing)
    ctx.owned_tabs.append(tab)


def stage_tasks(ctx: Context) -> None:
    """The Follow-ups tab (and Done), with the owner's edits carried over."""
    contacts = ctx.mapped[CONTACTS.name]
    issues = [i for i in ctx.issues if i.key not in ctx.ignored]
    found = tasks.generate(ctx.contacts, ctx.interactions, issues, ctx.loyalty,
                           ctx.settings, ctx.as_of, "opt_in" in contacts.columns)
    existing = _owned_tab(ctx.book, FOLLOW_UPS)
    done = ctx.book.tab(DONE.name)
    if done is not None and done.rows and not is_ours(done, DONE):
        done = None  # the owner's own "Done" tab: an error only if crmsheets must write one
    rows, done_rows = tasks.merge(found, existing, done, ctx.as_of,
                                  ctx.settings["Done tasks kept (days)"])
    ctx.tasks = rows
    by_id = {c.crm_id: c for c in ctx.contacts}
    for spec, content in ((FOLLOW_UPS, rows), (DONE, done_rows)):
        if spec is DONE and not content and done is None:
            continue
        if spec is DONE:
            _owned_tab(ctx.book, DONE)
        links = {}
        for n, row in enumerate(content):
            contact = by_id.get(text_of(row[11]).split("|")[1]) if "|" in text_of(row[11]) \
                else None
            if contact is not None:
                links[(n, 2)] = issues_tab.sheet_ref(contacts.tab.name, 1, contact.row)
        choices = {7: tasks.STATUSES} if spec is FOLLOW_UPS else {}
        ctx.owned_tabs.append(TabWrite(spec.name, list(spec.header), content, tasks.WIDTHS,
                                       links, choices))


def stage_state(ctx: Context) -> None:
    ctx.owned_tabs.append(_state_tab(ctx.ids.next_number, ctx.never, ctx.next_merge,
                                     ctx.form_seen))


def _merged_tab(archive: list[dict[str, Cell]]) -> TabWrite:
    header, rows = merging.archive_tab(archive)
    return TabWrite(merging.MERGED_TAB, header, rows, [6, 16, 15, 9, 6] + [14] * (len(header) - 5))


def _never(state: dict[str, Cell]) -> set[frozenset[str]]:
    """The CRM ID pairs the owner said are not the same person."""
    return {frozenset(k[len(NOT_SAME):].split()) for k in state if k.startswith(NOT_SAME)}


def _form_seen(state: dict[str, Cell]) -> dict[str, Cell]:
    """The Google Forms responses already read: key -> the CRM ID each went to."""
    return {k[len(forms.SEEN):]: v for k, v in state.items() if k.startswith(forms.SEEN)}


def _number(value: Cell, default: int = 1) -> int:
    try:
        return int(float(text_of(value)))
    except ValueError:
        return default


def _state_tab(next_id: int, never: set[frozenset[str]], next_merge: int,
               form_seen: dict[str, Cell]) -> TabWrite:
    rows = [[NEXT_ID, next_id], ["format", 1]]
    if next_merge > 1:
        rows.append([NEXT_MERGE, next_merge])
    rows += [[NOT_SAME + " ".join(sorted(pair, key=merging.crm_number)), "yes"]
             for pair in sorted(never, key=lambda p: sorted(p, key=merging.crm_number))]
    rows += [[forms.SEEN + key, crm_id or "yes"] for key, crm_id in form_seen.items()]
    return TabWrite(STATE_TAB, list(STATE.header), rows, [20, 12], hidden=True)


# The pipeline (see the module's docstring for where later stages go).
STAGES: list[Callable[[Context], None]] = [stage_read, stage_dedupe, stage_orders, stage_loyalty,
                                           stage_issues, stage_tasks, stage_state]


def _owned_tab(book: Book, spec: OwnedTabSpec):
    tab = book.tab(spec.name)
    if tab is not None and tab.rows and not is_ours(tab, spec):
        raise TabNameTaken(spec.name)
    return tab


def _state(book: Book) -> dict[str, Cell]:
    tab = _owned_tab(book, STATE)
    if tab is None:
        return {}
    return {text_of(r[0]): r[1] for r in tab.rows[1:] if len(r) >= 2}


def _differs(rows: list[list[Cell]], row: int, col: int, value: Cell, serial: bool) -> bool:
    """Does the cell at 1-based (row, col) show something other than `value`? Equal
    values show the same (a bool aside: 1 == TRUE), so only the others are compared as
    text. (A resync asks this of every owned cell: 1.5 million at 100k contacts.)"""
    line = rows[row - 1] if 0 < row <= len(rows) else ()
    old = line[col - 1] if col <= len(line) else ""
    if old == value and type(old) is not bool and type(value) is not bool:
        return False
    return text_of(old) != as_stored(value, serial)


def plan(ctx: Context) -> WritePlan:
    """The changes that realise the stages' output, and nothing that is already so."""
    out = WritePlan()
    for (kind, header), cells in ctx.owned_cells.items():
        mapped = ctx.mapped[kind]
        col = mapped.owned.get(header)
        new = col is None
        if new:  # right of everything the owner has, and of crmsheets' other columns
            col = max(mapped.last_col, len(mapped.headers), *mapped.owned.values()) + 1
            mapped.owned[header] = col
        serial, rows = mapped.tab.serial_dates, mapped.tab.rows
        changed = cells if new else \
            {row: v for row, v in cells.items() if _differs(rows, row, col, v, serial)}
        if new or changed:
            out.columns.append(ColumnWrite(mapped.tab.name, header, col, mapped.header_row, new,
                                           changed))
    if ctx.owner_edits:
        mapped = ctx.mapped[CONTACTS.name]
        for col, cells in sorted(ctx.owner_edits.items()):
            header = text_of(mapped.tab.cell(mapped.header_row, col))
            out.columns.append(ColumnWrite(mapped.tab.name, header, col, mapped.header_row,
                                           False, cells, owner=True))
        out.notes.extend(ctx.merged.lines if ctx.merged else [])
        out.notes.extend(ctx.forms.lines if ctx.forms else [])
    contacts = ctx.mapped.get(CONTACTS.name)
    if contacts is not None and any(c.tab == contacts.tab.name for c in out.columns):
        keys = [contacts.columns[f] for f in ("name", "first_name", "last_name", "company",
                                               "email") if f in contacts.columns]
        if CRM_ID in contacts.owned:
            keys.append(contacts.owned[CRM_ID])
        out.keys[contacts.tab.name] = sorted(keys)
    for tw in ctx.owned_tabs:
        existing = ctx.book.tab(tw.name)
        if not same_content(existing, tw.header, tw.rows):
            tw.exists = existing is not None
            out.tabs.append(tw)
    return out


@dataclass
class Result:
    plan: WritePlan
    ctx: Context
    written: bool = False
    where: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        ctx = self.ctx
        active = [i for i in ctx.issues if i.key not in ctx.ignored]
        rows = {name: ctx.counts.get(name, len(m.records)) for name, m in ctx.mapped.items()}
        return {
            "book": ctx.book.source,
            "as_of": ctx.as_of.isoformat(),
            "rows": rows,
            "contacts": len(ctx.contacts),
            "orders": ctx.counts.get("orders", len(ctx.orders)),
            "issues": len(active),
            "ignored": len(ctx.issues) - len(active),
            "issues_by_code": dict(sorted(Counter(i.code for i in active).items())),
            "new_crm_ids": len(ctx.new_ids),
            "changes": self.plan.lines(),
            "written": self.written,
            "notes": ctx.notes + self.where,
        }


def run(book: Book, as_of: dt.date | None = None,
        reread: Callable[[], Book] | None = None,
        stages: list[Callable[[Context], None]] | None = None) -> Result:
    """Every stage (or the first few, for a command that needs no more), then the plan.
    When Settings allow merging without a decision and such groups turn up, the stages
    run once more on a fresh read with those merges."""
    stages = stages or STAGES
    ctx = _run(Context(book, as_of or dt.date.today()), stages)
    if ctx.auto_merge and reread is not None:
        ctx = _run(Context(reread(), ctx.as_of, auto_merge=ctx.auto_merge), stages)
    return Result(plan(ctx), ctx)


def _run(ctx: Context, stages: list[Callable[[Context], None]]) -> Context:
    ctx.stages = stages
    try:
        for stage in stages:
            stage(ctx)
        ctx.settle()
    finally:
        ctx.cancel()  # if a stage stopped the run, no child is left working
    return ctx


@contextmanager
def cyclic_gc_paused():
    """A sync makes millions of small lists (one per row) that all live until it ends;
    the cyclic collector would walk them again and again for nothing (a quarter of the
    time of a 100k-contact sync). Nothing here makes reference cycles worth collecting."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def sync(backend: Backend, as_of: dt.date | None = None, dry_run: bool = False) -> Result:
    """Read, run every stage, and write what changed (unless dry_run)."""
    check_unlocked = getattr(backend, "check_unlocked", None)
    if check_unlocked and not dry_run:
        check_unlocked()
    with cyclic_gc_paused():
        result = run(backend.read(), as_of, backend.read)
        if not dry_run and not result.plan.empty:
            result.ctx.release_reading()
            result.where = backend.apply(result.plan)
            result.written = True
    return result


def unmerge(backend: Backend, group: str, dry_run: bool = False) -> Result:
    """Undo merge `group` (M1, M2... in the Merged tab): the merged-away rows come back
    exactly, the survivor's cells as they were (unless changed since), and the rows'
    pairs are remembered as not the same so that no later sync merges them again."""
    check_unlocked = getattr(backend, "check_unlocked", None)
    if check_unlocked and not dry_run:
        check_unlocked()
    book = backend.read()
    ctx = Context(book, dt.date.today())
    ctx.settings = read_settings(book)
    contacts = map_tab(require_tab(book, CONTACTS, ctx.settings["Contacts tab"]), CONTACTS)
    ctx.mapped[CONTACTS.name] = contacts
    merged_tab = _owned_tab(book, merging.SPEC)
    archive = merging.read_archive(merged_tab)
    width = max(contacts.last_col, len(contacts.headers), *contacts.owned.values())
    outcome, rest = merging.unmerge(contacts, archive, group, width)
    if not outcome.groups:
        raise UnknownMergeGroup(group, list(dict.fromkeys(text_of(r["Group"]) for r in archive)))
    ctx.merged, ctx.owner_edits = outcome, outcome.edits
    ctx.owned_tabs.append(_merged_tab(rest))
    state = _state(book)
    never = _never(state)
    ids = sorted({*outcome.restored, *outcome.restored.values()}, key=merging.crm_number)
    never.update(frozenset(p) for p in itertools.combinations(ids, 2))
    next_merge = max(merging.next_label(archive), _number(state.get(NEXT_MERGE)))
    ctx.owned_tabs.append(_state_tab(_number(state.get(NEXT_ID)), never, next_merge,
                                     _form_seen(state)))
    result = Result(plan(ctx), ctx)
    if not dry_run and not result.plan.empty:
        result.where = backend.apply(result.plan)
        result.written = True
    return result
