"""Finding the rows that are the same person: blocking, scoring, clustering.

Scores are sums of evidence weights (log2 odds, as in Fellegi-Sunter record linkage):
each field that agrees adds, each that clearly disagrees takes away, a missing one says
nothing. The weights below were set by hand on Febrl and dupehell data with seeds other
than the ones the benchmark reports, and every weight has a plain-words explanation, so
that an owner can see why two rows were put together.

Candidates come from several blocking keys (same email, same phone, similar-sounding
surname with the same initial, same date of birth, same street...), so that a typo in
one field still leaves another key to find the pair, and the cost grows with the number
of rows, not its square: a key shared by too many rows is only paired within a sliding
window. Groups are built by complete linkage: two groups join only when every pair
across them is at least plausible, so that a chain A~B~C never pulls in an unrelated C.

Two real given names under one roof are a family, not one person (the household guard),
unless the book shows otherwise: households_apart looks at whether such rows share a
date of birth, which family members do not.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain

import jellyfish
import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler, LCSseq, Levenshtein

from . import normal

# A pair at or above SUGGEST is listed as a likely duplicate. Groups join only when every
# pair across them scores at least LINK (complete linkage).
SUGGEST = 6.0
CORROBORATION = 2.0  # what fields agreeing beside a mangled name add (_corroborated)
LINK = -8.0
# Confidence is a logistic of the score, set from what the benchmark data show: about
# half of the candidate pairs scoring 2-4 are one person, 80% at 4-6, 92-99% above 6.
CONFIDENCE_MID = 2.5
TITLE_SAME = 2.0  # one job title: as much as a company that looks like another
BLOCK_CAP = 12  # a blocking key shared by more rows pairs each only with its neighbours
WINDOW = 4
MAX_GROUP = 12
VETO = -100.0
# Sharing a state and a country weighs by how few rows of the book share them (one in a
# thousand says more than one in three), at most as much as the same company.
REGION_MAX = 3.0
# The guard that keeps family members and colleagues apart (see score_parts). None: each
# book decides (households_apart); True or False forces it (the benchmark shows both).
HOUSEHOLDS: bool | None = None
# households_apart lets the book's own evidence lift the guard only when at least this
# many pairs of rows under one roof and two given names share their date of birth.
HOUSEHOLD_EVIDENCE = 5


@dataclass(slots=True)
class Person:
    """One row, in the normal forms matching uses, and what it looked like."""

    id: int
    first: str = ""
    last: str = ""
    email: str = ""
    phones: tuple[str, ...] = ()
    company: str = ""
    number: str = ""
    street: str = ""
    address2: str = ""
    city: str = ""
    postcode: str = ""
    state: str = ""
    country: str = ""
    dob: str = ""  # YYYYMMDD
    roots: frozenset = frozenset()
    title: str = ""  # job title, folded
    profile: str = ""  # a web profile's address (LinkedIn), normal.profile_key
    phone_garbled: bool = False  # its digits cannot be a phone number (normal.phone_garbled)
    # What sharing this state and country says (region_weights); 0: not weighed by the
    # book, each of the two that agrees adds 0.5.
    region_weight: float = 0.0
    shown: dict = field(default_factory=dict)  # field -> what the owner typed

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first, self.last) if p)


def person(id: int, *, name: str = "", first: str = "", last: str = "", email: str = "",
           phone: str = "", company: str = "", address: str = "", number: str = "",
           address2: str = "", city: str = "", postcode: str = "", state: str = "",
           country: str = "", dob: str = "", title: str = "", profile: str = "",
           region: str | None = None, e164: str | None = None) -> Person:
    """A Person from what the owner typed (any field may be empty). e164: the phone
    already parsed (validation did it), to save parsing it again."""
    typed_address = " ".join(x for x in (number.strip(), address.strip()) if x)
    if first or last:
        f, lst = normal.name_part(first), normal.name_part(last)
    else:
        f, lst = normal.split_name(name)
    if address and not number:
        number, street = normal.split_street(address)
    else:
        number, street = normal.fold(number), normal.street_key(address)
    garbled = False
    if not phone:
        phones: tuple[str, ...] = ()
    elif e164 is not None:
        phones = normal.phone_keys_parsed(phone, e164)
        garbled = bool(phones) and not e164 and normal.phone_garbled(phone, region)
    else:
        phones, garbled = normal.phone_keys_checked(phone, region)
    p = Person(id, f, lst, normal.email_key(email) if email else "", phones,
               normal.company_key(company),
               number, street, normal.street_key(address2), normal.fold(city),
               normal.postcode_key(postcode), normal.fold(state), normal.fold(country),
               "".join(ch for ch in dob if ch.isdigit())[:8], normal.given_roots(f),
               normal.fold(title), normal.profile_key(profile) if profile else "")
    p.phone_garbled = garbled
    p.shown = shown = {"name": name or " ".join(x for x in (first, last) if x),
                       "email": email, "phone": phone, "company": company, "region": region,
                       "address": typed_address, "postcode": postcode, "city": city,
                       "title": title}
    # Only when typed: a dict of eleven keys or more takes twice the memory of ten.
    if state:
        shown["state"] = state
    if country:
        shown["country"] = country
    if profile:
        shown["profile"] = profile
    return p


# ---- scoring -------------------------------------------------------------------------

def _jw(a: str, b: str) -> float:
    return JaroWinkler.normalized_similarity(a, b)


def _first_weight(af: str, bf: str, aroots, broots) -> tuple[float, str]:
    if not af or not bf:
        return 0.0, ""
    if af == bf:
        return 5.0, "same"
    if aroots & broots:
        return 4.0, "nickname"
    a1, b1 = af.split()[0], bf.split()[0]
    if a1 == b1:
        return 4.0, "same"
    if min(len(a1), len(b1)) >= 3 and (a1.startswith(b1) or b1.startswith(a1)):
        # Mel and Melba, Jan and Janine; Kirr and Kirra is a letter dropped
        return (3.0, "close") if _jw(af, bf) >= 0.92 else (1.0, "shortened")
    known = normal.known_given_names()
    if a1 in known and b1 in known and Levenshtein.distance(a1, b1, score_cutoff=2) > 1:
        # Oliver and Olivia, Margaret and Mia: two real names, not a typo of one
        return -3.0, "different given names"
    sim = _jw(af, bf)
    if sim >= 0.92:
        return 3.0, "close"
    if len(a1) == 1 or len(b1) == 1:
        return (1.0, "initial") if a1[0] == b1[0] else (-3.0, "different")
    if sim >= 0.85:
        return 1.0, "close"
    if a1.startswith(b1) or b1.startswith(a1):
        return 1.0, "shortened"
    if sim >= 0.7 or _letters_within(a1, b1):
        # a heavy typo, an abbreviation (Wm, Thos) or another name: no evidence either way
        return 0.0, "unlike"
    return -3.0, "different"


def _last_weight(a: str, b: str) -> tuple[float, str]:
    if not a or not b:
        return 0.0, ""
    if a == b:
        return 6.0, "same"
    sim = _jw(a, b)
    if sim >= 0.92:
        return 4.0, "close"
    if sim >= 0.85:
        return 2.0, "close"
    if a.replace(" ", "") == b.replace(" ", ""):
        return 5.0, "same"
    if a.startswith(b) or b.startswith(a):
        return 1.0, "shortened"
    if sim >= 0.7 or _letters_within(a, b):
        return 0.0, "unlike"
    return -4.0, "different"


def _letters_within(a: str, b: str) -> bool:
    """The shorter's letters (two or more) all in the longer, in order: how names are
    abbreviated (Wm for William, Thos for Thomas, Jn for John) or lose letters in a
    hurried copy (Sctt): not the same name, nor evidence of another."""
    n = min(len(a), len(b))
    return n >= 2 and LCSseq.similarity(a, b, score_cutoff=n) == n


def _names(a: Person, b: Person) -> tuple[float, list[tuple[str, str]]]:
    wf, lf = _first_weight(a.first, b.first, a.roots, b.roots)
    wl, ll = _last_weight(a.last, b.last)
    best = (wf + wl, [("first", lf), ("last", ll)])
    if wf + wl < 4 and a.first and a.last and b.first and b.last:
        # "Smith, John" typed as "Smith John": the parts swapped
        sf, lsf = _first_weight(a.first, b.last, a.roots, normal.given_roots(b.last))
        sl, _ = _last_weight(a.last, b.first)
        if lsf in ("same", "close", "nickname") and sf + sl - 1.0 > best[0]:
            best = (sf + sl - 1.0, [("swapped", "swapped")])
    return best


def _email_weight(pa: Person, pb: Person) -> tuple[float, str]:
    a, b = pa.email, pb.email
    if not a or not b:
        return 0.0, ""
    if a == b:
        return 9.0, "same"
    la, lb = a.partition("@")[0], b.partition("@")[0]
    if "*" in la or "*" in lb:
        # An export that hides most of the address (cha***@example.com) can only be
        # checked on what it shows.
        shown_a, shown_b = la.split("*")[0], lb.split("*")[0]
        n = min(len(shown_a), len(shown_b))
        if a.partition("@")[2] == b.partition("@")[2] and shown_a[:n] == shown_b[:n]:
            return 1.0, "masked"
        return -2.0, "different"
    # An address made of the person's name (jane.smith@...) says no more than the name:
    # the same one at two providers, or two that differ where the names differ, is no
    # evidence either way.
    from_name = _from_name(la, pa) and _from_name(lb, pb)
    if la == lb and len(la) >= 4:
        return (0.0, "same name part") if from_name else (6.0, "same local")
    if Levenshtein.distance(a, b, score_cutoff=2) <= 2 and len(a) > 8:
        if from_name and (pa.first != pb.first or pa.last != pb.last or
                          _DIGITS.sub("", la) == _DIGITS.sub("", lb)):
            # walter.marino@ and walter.martin@ differ as the names do, and
            # jane.smith1@ and jane.smith2@ are two Jane Smiths' addresses
            return -2.0, "different"
        return 6.0, "typo"
    return -2.0, "different"


_DIGITS = re.compile(r"\d+")


def _from_name(local: str, p: Person) -> bool:
    return bool(p.first) and bool(p.last) and p.last[:4] in local and \
        (p.first[:3] in local or local.startswith(p.first[:1]))


def _phone_weight(a: tuple[str, ...], b: tuple[str, ...],
                  garbled: bool = False) -> tuple[float, str]:
    """garbled: one of the two cannot be a phone number, so that it differing says nothing
    (it may still agree: the same garble typed twice)."""
    if not a or not b:
        return 0.0, ""
    if len(a) == 2 and a[-1] == b[-1] and not a[-1].endswith(a[0][-6:]):
        # every digit typed the same, and digits after the number: the same switchboard
        # and the same extension, one desk (a landline or a switchboard alone is shared)
        return 12.0, "same extension"
    for x in a:
        if x in b:
            return 8.0, "same"
    if Levenshtein.distance(a[-1], b[-1], score_cutoff=1) <= 1 and len(a[-1]) >= 8:
        return 4.0, "typo"
    if garbled:
        return 0.0, "garbled"
    return -2.0, "different"


def _dob_weight(a: str, b: str) -> tuple[float, str]:
    if len(a) != 8 or len(b) != 8:
        return 0.0, ""
    if a == b:
        return 7.0, "same"
    if a[:4] + a[6:] + a[4:6] == b:
        return 4.0, "swapped"  # day and month swapped
    if sum(x != y for x, y in zip(a, b, strict=True)) == 1:
        return 4.0, "typo"
    if a[:4] == b[:4] and (a[4:6] == b[4:6] or a[6:] == b[6:]):
        return 0.0, "partly"  # two typos, or two people born the same year
    return -6.0, "different"


def _text_weight(a: str, b: str, same: float, close: float, differ: float,
                 cut: float = 0.9) -> tuple[float, str]:
    if not a or not b:
        return 0.0, ""
    if a == b:
        return same, "same"
    if _jw(a, b) >= cut:
        return close, "close"
    return differ, "different"


def _lines(a: Person, b: Person) -> tuple[str, str]:
    """b's street and second address line, the other way round when b typed them so
    ('Rose Cottage' first, 'Mill Lane' second, where a has them the other way)."""
    if a.street and b.address2 and a.street != b.street and \
            _jw(a.street, b.address2) >= 0.9 and _jw(a.street, b.street) < 0.9:
        return b.address2, b.street
    return b.street, b.address2


def _street_weight(a: Person, b_street: str, b_number: str) -> tuple[float, str]:
    w, level = _text_weight(a.street, b_street, 3.0, 2.0, -1.0)
    if level in ("same", "close") and a.number and b_number and a.number != b_number:
        return 0.5, "other number"  # 43 and 112 High Street: two homes
    return w, level


def compare(a: Person, b: Person, households: bool = True) -> float:
    """The evidence weight that a and b are the same person (VETO when they cannot be)."""
    return score_parts(a, b, households)[0]


def score_parts(a: Person, b: Person,
                households: bool = True) -> tuple[float, dict[str, str]]:
    """(score, what each field said). households: keep the household guard (two known
    given names under one roof are two people); households_apart decides it per book."""
    levels: dict[str, str] = {}
    total, name_levels = _names(a, b)
    levels.update(name_levels)
    b_street, b_address2 = _lines(a, b)
    for key, (w, level) in (
        ("email", _email_weight(a, b)),
        ("phone", _phone_weight(a.phones, b.phones, a.phone_garbled or b.phone_garbled)),
        ("dob", _dob_weight(a.dob, b.dob)),
        ("street", _street_weight(a, b_street, b.number)),
        ("number", _text_weight(a.number, b.number, 1.5, 0.0, -1.0, 1.1)),
        ("address2", _text_weight(a.address2, b_address2, 1.0, 0.5, 0.0)),
        ("city", _text_weight(a.city, b.city, 2.0, 1.5, -1.0)),
        ("postcode", _text_weight(a.postcode, b.postcode, 3.0, 1.0, -1.0, 0.85)),
        ("state", _text_weight(a.state, b.state, 0.5, 0.0, -1.0, 1.1)),
        ("country", _text_weight(a.country, b.country, 0.5, 0.0, -1.0, 1.1)),
        ("company", _text_weight(a.company, b.company, 3.0, 2.0, -1.0, 0.85)),
        # Titles change with promotions and are typed every which way: agreeing counts
        # a little, differing nothing.
        ("title", _text_weight(a.title, b.title, TITLE_SAME, TITLE_SAME / 2, 0.0)),
    ):
        if level:
            total += w
            levels[key] = level
    if a.profile and b.profile:
        # A LinkedIn profile is one person's, as an email is; people keep an old one too.
        w, levels["profile"] = (9.0, "same") if a.profile == b.profile else (-1.0, "different")
        total += w
    if (a.state or a.country) and (a.state, a.country) == (b.state, b.country):
        # both the same: as much as few rows of this book share them (region_weights)
        total += max(0.0, a.region_weight - 0.5 * ((a.state != "") + (a.country != "")))
        levels["region"] = "same"
    if total < SUGGEST and _corroborated(levels) and not _other_desks(a, b):
        total = min(total + CORROBORATION, SUGGEST)  # the guards below still apply
    return _guarded(total, levels, households)


def _corroborated(levels: dict[str, str]) -> bool:
    """Two or more fields besides the name agree (the state or country counting as one),
    at least one of them more than a town or a region, nothing that tells people apart
    (email, phone, date of birth) differs, and a name part is there to compare that does
    not differ outright. A name typed badly then still lets the rest show one person:
    dupehell's contacts with mangled names ("RMIWCAEL voh" for Michael Johnston)."""
    if any(levels.get(k) == "different" for k in ("email", "phone", "dob")):
        return False
    if {levels.get("first") or None, levels.get("last") or None} <= \
            {"different", "different given names", None}:
        return False
    agree = {k for k in _NOT_NAMES if levels.get(k) in _AGREE}
    solid = {k for k in agree if not _coarse(k, levels)}
    region = levels.get("state") == "same" or levels.get("country") == "same"
    return bool(solid) and len(agree) + region >= 2


def _other_desks(a: Person, b: Person) -> bool:
    """One switchboard, two extensions: colleagues, whatever else they share."""
    return len(a.phones) == 2 and len(b.phones) == 2 and a.phones[0] == b.phones[0] and \
        a.phones[1] != b.phones[1]


def _guarded(total: float, levels: dict[str, str],
             households: bool) -> tuple[float, dict[str, str]]:
    """The score with the caps that keep namesakes, families and colleagues apart."""
    # An email, a birthday or a profile is one person's; so is a desk's extension, unless
    # both names differ outright (a desk handed to someone else).
    get = levels.get
    strong = get("email") in _AGREE or get("dob") in _AGREE or get("profile") == "same" or \
        (get("phone") == "same extension" and not
         {get("first"), get("last")} <= {"different", "different given names"})
    beyond = [k for k in _NOT_NAMES if get(k) in _AGREE]
    conflict = "different" in (get("email"), get("phone"), get("dob"))
    if not beyond:
        # The name alone: two people can share one. With a date of birth, an email or a
        # phone that differs, they are two people; with nothing else known, a maybe.
        return min(total, LINK - 1.0 if conflict else SUGGEST - 1.0), levels
    if all(_coarse(k, levels) for k in beyond):
        # Besides the name, only a town, a house number on another street or a postcode
        # that looks like another: not enough without the town, nor when an email, a
        # phone or a date of birth differs.
        if conflict or "city" not in beyond:
            return min(total, SUGGEST - 1.0), levels
    if beyond == ["dob"] and levels.get("first") in ("different given names", "different"):
        # One birthday and a surname shared by two given names, nothing else: a
        # coincidence a long list is bound to hold, not one person.
        return min(total, SUGGEST - 1.0), levels
    if not households:
        return total, levels
    if levels.get("first") == "different given names" and \
            levels.get("dob") not in _AGREE and not _one_desk(levels):
        # Two known given names that are not one another's nickname: family members or
        # colleagues sharing an address, a phone or an email, unless born the same day.
        return VETO, levels
    if levels.get("first") == "different" and not strong:
        # Another given name with only a home, a landline, a switchboard or a company in
        # common: family or colleagues, unless an email or a birthday agrees too.
        total = min(total, SUGGEST - 1.0)
    elif levels.get("last") == "different" and levels.get("phone") not in _AGREE and \
            not strong and not (levels.get("street") == "same" and levels.get("number") == "same"):
        # Another surname and not the same home: neighbours or colleagues.
        total = min(total, SUGGEST - 1.0)
    return total, levels


def _one_desk(levels: dict[str, str]) -> bool:
    """One LinkedIn profile, or one mailbox and one desk's extension: what a family or
    two colleagues do not share, whatever given names were typed."""
    return levels.get("profile") == "same" or (
        levels.get("phone") == "same extension" and levels.get("email") in ("same", "same local"))


def _coarse(key: str, levels: dict[str, str]) -> bool:
    """Agreement that many people share: a town, a job title, a postcode that only looks
    like another, a house number on another street."""
    return key in ("city", "title") or (key == "postcode" and levels[key] == "close") or \
        (key == "number" and levels.get("street") in ("different", "other number"))


# What, besides a name, can show that two rows are one person (_coarse: which of these
# agreements many people share).
_NOT_NAMES = ("email", "phone", "dob", "profile", "street", "number", "postcode", "city",
              "company", "title")
_AGREE = ("same", "typo", "swapped", "close", "same local", "same extension")


def placeholder_dates(people: list[Person]) -> set[str]:
    """Dates of birth that stand for "unknown" (1900-01-01, a form's default): held by
    more rows than BLOCK_CAP and ten times what chance gives (birthdays spread over
    about 70 years, some 25,000 days). They are no evidence that two rows are one."""
    counts = Counter(p.dob for p in people if len(p.dob) == 8)
    limit = max(BLOCK_CAP, 10 * len(people) / 25_000)
    return {d for d, n in counts.items() if n > limit}


def forget_uninformative(people: list[Person]) -> None:
    """Clear from these people's normal forms the values that tell no one apart: the
    placeholder dates of birth, and a state or a country that most rows share (a shop in
    one country: agreeing on it says nothing, and keys built on it would be huge); then
    weigh the states and countries left by how few rows share them (region_weights)."""
    dates = placeholder_dates(people)
    for place in ("state", "country"):
        counts = Counter(getattr(p, place) for p in people if getattr(p, place))
        common = {v for v, n in counts.items() if 2 * n > len(people)}
        for p in people if common else ():
            if getattr(p, place) in common:
                setattr(p, place, "")
    for p in people if dates else ():
        if p.dob in dates:
            p.dob = ""
    region_weights(people)


def region_weights(people: list[Person]) -> None:
    """Set what sharing a state and a country says for each person: log2 of the odds
    that a row of the same person agrees on them (about 0.9) over the share of rows that
    hold them (Fellegi-Sunter's u, from this book), at most REGION_MAX and at least the
    0.5 each that they weigh unweighed. Two rows in a state few customers live in are
    likelier one person than two in the state the shop is in."""
    regions = Counter((p.state, p.country) for p in people if p.state or p.country)
    placed = sum(regions.values())
    for p in people:
        held = regions.get((p.state, p.country))
        if held:
            floor = 0.5 * ((p.state != "") + (p.country != ""))
            p.region_weight = min(REGION_MAX, max(floor, math.log2(0.9 * placed / held)))


# What the owner is told when a book lifts the household guard.
GUARD_LIFTED = ("in this book, most rows that share a surname and a home under two given "
                "names also share a date of birth: they are taken for one person whose "
                "given name was mistyped, not for a family (where two of them are a family, "
                "type not the same in their Decision cell on the Duplicates tab)")


def households_apart(people: list[Person]) -> bool:
    """Whether two given names under one roof are two people in this book (the household
    guard stays on) or usually one person typed twice.

    The witness is the date of birth, which family members do not share: among rows with
    the same surname, street and house number under two different real given names, both
    with a date of birth, the share whose dates agree estimates how often such rows are
    one person. In a shop's or a clinic's list those are families and the dates differ;
    in a list where a given name was mistyped or replaced, most dates agree. The guard is
    lifted only when most of those pairs, and at least HOUSEHOLD_EVIDENCE of them, agree:
    with no dates of birth in the book, it stays on."""
    if HOUSEHOLDS is not None:
        return HOUSEHOLDS
    homes: dict[tuple[str, str, str, str], list[Person]] = defaultdict(list)
    unknown = placeholder_dates(people)
    for p in people:
        if p.first and p.last and p.number and p.street and len(p.dob) == 8 and \
                p.dob not in unknown:
            homes[(p.last, p.number, p.street, p.postcode or p.city)].append(p)
    same = seen = 0
    for rows in homes.values():
        if not 1 < len(rows) <= BLOCK_CAP:
            continue
        for x, a in enumerate(rows):
            for b in rows[x + 1:]:
                if _first_weight(a.first, b.first, a.roots, b.roots)[1] == \
                        "different given names":
                    seen += 1
                    same += _dob_weight(a.dob, b.dob)[1] in _AGREE
    return same < HOUSEHOLD_EVIDENCE or 2 * same <= seen


def confidence(score: float) -> float:
    return 1.0 / (1.0 + 2.0 ** (CONFIDENCE_MID - score))


# ---- candidates ----------------------------------------------------------------------

def _code(s: str) -> str:
    return jellyfish.nysiis(s) if s else ""


def blocking_keys(p: Person) -> Iterable[str]:
    """Keys a row shares with its likely duplicates; each catches what a typo in another
    field would lose. Keys that common values make large (a surname, a town) carry a
    second field so that their blocks stay small."""
    if p.email:
        yield "e" + p.email
        local = p.email.partition("@")[0]
        if len(local) >= 5:
            yield "l" + local
            if sum(ch.isdigit() for ch in local) >= 5:  # a distinctive tail: abuck910037
                yield "j" + local[-5:]
    for ph in p.phones:
        yield "p" + ph[-9:]
    if p.profile:
        yield "w" + p.profile
    first, last = p.first.split()[0] if p.first else "", p.last
    place = p.postcode[:2] or p.city[:2] or p.state
    if last:
        yield "s" + _code(last) + first[:1] + place
        if p.postcode:
            yield "z" + p.postcode + last[:2]
    if first and p.dob:
        yield "b" + p.dob + first[:1]
    if first and last:
        yield "n" + "".join(sorted((first[:3], last[:3]))) + (p.state or p.city[:1])
        yield "f" + " ".join(sorted((first, last)))  # the whole name, either way round
    if p.street:  # one name replaced (a nickname, a marriage), the home kept
        place = p.city[:2] or p.postcode[:2]
        if last:
            yield "q" + p.street + "|" + last + place
        if first:
            yield "g" + p.street + "|" + first + place
    if p.dob:
        yield "d" + p.dob
    if p.street and p.number:
        yield "a" + p.number + p.street + (p.postcode[:3] or p.city[:3] or p.state)
    if p.number and p.postcode:
        yield "h" + p.number + p.postcode
    if last and p.number:
        yield "m" + last[:3] + p.number + (p.state or p.city[:1] or p.postcode[:1])
    if p.city and first:
        yield "t" + p.city[:3] + p.state + first[:1] + last[:2]
    if p.company and (first or last):
        yield "c" + p.company[:6] + (last or first)[:1]
    if p.state or p.country:
        # A narrow region and the start of one field: found even when every other field
        # has a typo. Only small blocks are kept (NARROW): in a list where a region holds
        # thousands of rows these keys say little, and they are left out.
        region = f"{NARROW}{p.state}|{p.country}|"
        for tag, text in (("s", last), ("f", first), ("c", p.company), ("t", p.city),
                          ("e", p.email)):
            if len(text) >= 2:
                yield region + tag + text[:3 if tag in "ce" else 2]
        if p.phones:
            yield region + "p" + p.phones[-1][-4:]
        if p.title:
            yield region + "j" + p.title


# Blocking keys that start with NARROW only count while at most NARROW_CAP rows share one.
NARROW = "~"
NARROW_CAP = 4


def candidate_pairs(people: list[Person]) -> list[tuple[int, int]]:
    """Pairs (i < j) of indexes into people that share a blocking key."""
    seen: set[tuple[int, int]] = set()
    for key, ids in _blocks(people):
        m = len(ids)
        if m < 2 or (m > NARROW_CAP and key[0] == NARROW):
            continue
        if m <= BLOCK_CAP:
            for x in range(m):
                a = ids[x]
                for y in range(x + 1, m):
                    seen.add((a, ids[y]))
        else:  # a common key: pair each row with its neighbours in name order
            order = sorted(ids, key=lambda i: (people[i].last, people[i].first, people[i].email))
            for x in range(m):
                for y in range(x + 1, min(m, x + 1 + WINDOW)):
                    a, b = order[x], order[y]
                    seen.add((a, b) if a < b else (b, a))
    return sorted(seen)


def _blocks(people: list[Person]) -> Iterator[tuple[str, list[int]]]:
    """(key, indexes in order) of each blocking key that two or more people share.

    Nine in ten keys belong to one person only. Instead of a dict of lists over every
    key (a second per 100k people), the keys are hashed and sorted as numbers, and
    only runs of equal hashes are grouped, by the key itself (hashes can collide)."""
    keys = [set(blocking_keys(p)) for p in people]
    flat = list(chain.from_iterable(keys))
    owner = np.repeat(np.arange(len(people), dtype=np.int64),
                      np.fromiter(map(len, keys), dtype=np.int64, count=len(keys)))
    hashes = np.fromiter(map(hash, flat), dtype=np.int64, count=len(flat))
    order = np.argsort(hashes, kind="stable")  # stable: each run in people's order
    ranked = hashes[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    ends = np.r_[starts[1:], len(ranked)]
    shared = np.flatnonzero(ends - starts >= 2)
    for start, end in zip(starts[shared].tolist(), ends[shared].tolist(), strict=True):
        run = order[start:end].tolist()
        if end - start == 2 and flat[run[0]] == flat[run[1]]:
            yield flat[run[0]], owner[run].tolist()
            continue
        by_key: dict[str, list[int]] = {}
        for x in run:
            by_key.setdefault(flat[x], []).append(int(owner[x]))
        yield from ((k, ids) for k, ids in by_key.items() if len(ids) >= 2)


def worth_scoring(people: list[Person], pairs: list[tuple[int, int]],
                  households: bool = True) -> list[tuple[int, int]]:
    """The pairs that could reach SUGGEST, found with array-wide string distances (in C,
    on every core) so that the full scoring only sees those. A pair is left out only
    when its names are unlike both ways round, one name part differs outright, and no
    email, phone, date of birth, LinkedIn profile or home comes close: score_parts caps
    such a pair below SUGGEST anyway (test_the_prefilter_drops_no_pair...). Where the
    household guard is lifted, a pair that shares a given name, a surname, a postcode
    or a street is kept too (one name replaced, the home kept)."""
    if len(pairs) < 5000:
        return pairs
    left = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
    right = np.fromiter((j for _, j in pairs), dtype=np.int64, count=len(pairs))

    def column(values: list[str]):
        arr = np.array(values, dtype=object)
        return arr[left], arr[right]

    def sim(a, b, scorer=JaroWinkler.normalized_similarity):
        return process.cpdist(a, b, scorer=scorer, workers=-1)

    full = [f"{p.first} {p.last}".strip() for p in people]
    turned = [f"{p.last} {p.first}".strip() for p in people]
    fa, fb = column(full)
    keep = sim(fa, fb) >= 0.7
    keep |= sim(column(turned)[0], fb) >= 0.7
    la, lb = column([p.last for p in people])
    keep |= (la != "") & (lb != "") & (sim(la, lb) >= 0.85)
    ga, gb = column([p.first for p in people])
    keep |= ((ga != "") & (ga == lb)) | ((la != "") & (la == gb))  # parts swapped
    emails = [p.email for p in people]
    ea, eb = column(emails)
    has = (ea != "") & (eb != "")
    keep |= has & (sim(ea, eb, Levenshtein.distance) <= 2)
    oa, ob = column([p.email.partition("@")[0] for p in people])
    keep |= has & (oa == ob)
    phones = [p.phones[-1] if p.phones else "" for p in people]
    pa, pb = column(phones)
    keep |= (pa != "") & (pb != "") & (sim(pa, pb, Levenshtein.distance) <= 1)
    qa, qb = column([p.phones[0] if p.phones else "" for p in people])  # E.164 when it parsed
    keep |= (qa != "") & (qa == qb)
    wa, wb = column([p.profile for p in people])
    keep |= (wa != "") & (wa == wb)
    da, db = column([p.dob for p in people])
    keep |= (da != "") & (db != "") & (sim(da, db, Levenshtein.distance) <= 2)
    ha, hb = column([f"{p.number} {p.street}".strip() for p in people])
    keep |= (ha != "") & (ha == hb)
    if not households:
        for values in ([p.first for p in people], [p.postcode for p in people]):
            va, vb = column(values)
            keep |= (va != "") & (va == vb)
        keep |= (la != "") & (la == lb)
        sa, sb = column([p.street for p in people])
        keep |= (sa != "") & (sb != "") & (sim(sa, sb) >= 0.9)
    # Of the rest, those where neither name part differs outright (a heavy typo, or the
    # letters of one cut out of the other: _letters_within): the rest of the row may be
    # enough. Checked last, on what is left only.
    rest = np.flatnonzero(~keep)
    if len(rest):
        ta, tb = column([p.first.split()[0] if p.first else "" for p in people])
        first_ok = _not_different(ta[rest], tb[rest], sim)
        first_ok |= sim(ga[rest], gb[rest]) >= 0.7  # the whole given name, as _first_weight
        keep[rest] = first_ok & _not_different(la[rest], lb[rest], sim)
    return [pairs[k] for k in np.flatnonzero(keep)]


def _not_different(a, b, sim) -> np.ndarray:
    """Per pair of name parts: whether _first_weight or _last_weight can say anything but
    'different' (either empty, a Jaro-Winkler of 0.7 or more, or the letters of the
    shorter all in the longer, in order)."""
    empty = (a == "") | (b == "")
    short = np.minimum(np.fromiter(map(len, a), dtype=np.int64, count=len(a)),
                       np.fromiter(map(len, b), dtype=np.int64, count=len(b)))
    within = (short >= 2) & (sim(a, b, LCSseq.similarity) == short)
    return empty | within | (sim(a, b) >= 0.7)


# ---- groups --------------------------------------------------------------------------

@dataclass
class Group:
    members: list[int]  # indexes into people, in the order of the rows
    links: list[tuple[int, int, float]]  # the pairs that joined the group, with scores

    @property
    def score(self) -> float:
        return min(s for _, _, s in self.links)

    @property
    def confidence(self) -> float:
        return confidence(self.score)


def find_groups(people: list[Person], never: set[frozenset[int]] = frozenset(),
                pairs: list[tuple[int, int]] | None = None,
                suggest: float = SUGGEST, households: bool | None = None) -> list[Group]:
    """Groups of two or more people that are likely one; `never` holds pairs the owner
    said are not the same. households: see households_apart (None: the book decides).
    Values that tell no one apart are cleared from the people first (forget_uninformative)."""
    if households is None:
        households = households_apart(people)
    forget_uninformative(people)
    if pairs is None:
        pairs = candidate_pairs(people)
    scores: dict[tuple[int, int], float] = {}
    strong = []
    for i, j in worth_scoring(people, pairs, households):
        s = compare(people[i], people[j], households)
        scores[(i, j)] = s
        if s >= suggest and frozenset((i, j)) not in never:
            strong.append((s, i, j))
    strong.sort(key=lambda t: (-t[0], t[1], t[2]))

    parent = list(range(len(people)))
    members: dict[int, list[int]] = {}
    links: dict[int, list[tuple[int, int, float]]] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def cross_score(a: int, b: int) -> float:
        if frozenset((a, b)) in never:
            return VETO
        key = (a, b) if a < b else (b, a)
        s = scores.get(key)
        if s is None:
            s = scores[key] = compare(people[key[0]], people[key[1]], households)
        return s

    for s, i, j in strong:
        ri, rj = root(i), root(j)
        if ri == rj:
            continue
        mi, mj = members.get(ri, [ri]), members.get(rj, [rj])
        if len(mi) + len(mj) > MAX_GROUP:
            continue
        if len(mi) > 1 or len(mj) > 1:
            cross = [cross_score(a, b) for a in mi for b in mj]
            if min(cross) < LINK:
                continue
        parent[rj] = ri
        members[ri] = mi + mj
        links[ri] = links.get(ri, []) + links.pop(rj, []) + [(i, j, s)]
        members.pop(rj, None)
    groups = [Group(sorted(m), links[r]) for r, m in members.items()]
    groups.sort(key=lambda g: g.members[0])
    return groups


class Known:
    """The contacts of a book, ready to recognise one more row (a form response, an
    import) as someone already there, so that ingest attaches or flags it instead of
    adding the same person twice."""

    def __init__(self, people: list[Person]):
        self.people = people
        self.households = households_apart(people)
        forget_uninformative(people)
        self.blocks: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(people):
            for k in set(blocking_keys(p)):
                self.blocks[k].append(i)

    def best(self, newcomer: Person) -> tuple[int, float] | None:
        """(index of the known person, confidence) when the newcomer is likely them."""
        seen: set[int] = set()
        for k in set(blocking_keys(newcomer)):
            ids = self.blocks.get(k, ())
            seen.update(ids if len(ids) <= BLOCK_CAP * 4 else ())
        scored = [(compare(self.people[i], newcomer, self.households), i)
                  for i in sorted(seen)]
        if not scored:
            return None
        score, i = max(scored)
        return (i, confidence(score)) if score >= SUGGEST else None
