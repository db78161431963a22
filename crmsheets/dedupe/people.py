"""The contacts of a book as people to match, and why two of them look like one."""

from __future__ import annotations

import datetime as dt

from ..normalize import text_of
from ..records import Contact
from ..schema import Mapped
from . import match, normal

_FIELDS = ("name", "first_name", "last_name", "email", "phone", "company", "address", "city",
           "postcode", "state", "country", "title", "profile")


def people_of(mapped: Mapped, contacts: list[Contact], region: str | None) -> list[match.Person]:
    """One Person per contact, in the same order."""
    by_row = {rec.row: rec for rec in mapped.records}
    pick = mapped.picker(_FIELDS)
    out = []
    for i, c in enumerate(contacts):
        (name, first, last, email, phone, company, address, city, postcode, state, country,
         title, profile) = [text_of(x).strip() for x in pick(by_row[c.row].cells)]
        dob = c.birthday.strftime("%Y%m%d") if isinstance(c.birthday, dt.date) else ""
        out.append(match.person(
            i, name=name, first=first, last=last, email=email, phone=phone, company=company,
            address=address, city=city, postcode=postcode, state=state, country=country,
            dob=dob, title=title, profile=profile, region=region, e164=c.phone))
        if not out[-1].first and not out[-1].last and not name and c.name:
            out[-1].first, out[-1].last = normal.split_name(c.name)  # a company-only row
    return out


def _same_email(ea: str, eb: str, key: str) -> str:
    if ea == eb:
        return f"same email {eb}"
    how = []
    if ea.casefold() != ea or eb.casefold() != eb:
        how.append("case")
    if ea.partition("@")[0].partition("+")[0].count(".") != \
            eb.partition("@")[0].partition("+")[0].count("."):
        how.append("dots")
    if "+" in ea.partition("@")[0] or "+" in eb.partition("@")[0]:
        how.append("+tags")
    said = ", ".join(how[:-1]) + " and " + how[-1] if len(how) > 1 else (how or ["spaces"])[0]
    return f"same email {key}, ignoring {said}"


def _q(text: str) -> str:
    return f"'{text}'"


def evidence(a: match.Person, b: match.Person) -> list[str]:
    """What matched (and what did not), in words an owner reads: 'same phone +44...'."""
    _, levels = match.score_parts(a, b)
    sa, sb = a.shown, b.shown
    out: list[str] = []
    na, nb = sa["name"].strip(), sb["name"].strip()
    first, last = levels.get("first", ""), levels.get("last", "")
    if "swapped" in levels:
        out.append(f"{_q(na)} is {_q(nb)} with first and last name swapped")
    elif first == "same" and last in ("same", ""):
        out.append(f"same name {_q(nb)}" if na == nb else f"same name ({_q(na)}, {_q(nb)})")
    elif first == "nickname":
        out.append(f"{_q(a.first.split()[0].title())} and {_q(b.first.split()[0].title())} "
                   "can be the same given name" + (" and same surname" if last == "same" else ""))
    elif first in ("same", "close", "initial", "shortened") or last in ("same", "close"):
        out.append(f"{_q(na)} is close to {_q(nb)}")
    elif first or last:
        out.append(f"names differ ({_q(na)}, {_q(nb)})")
    email = levels.get("email")
    if email == "same":
        out.append(_same_email(sa["email"].strip(), sb["email"].strip(), a.email))
    elif email in ("typo", "same local"):
        out.append(f"emails nearly the same ({sa['email'].strip()}, {sb['email'].strip()})")
    elif email == "masked":
        out.append(f"masked email fits ({sa['email'].strip()}, {sb['email'].strip()})")
    phone = levels.get("phone")
    if phone == "same":
        out.append(f"same phone {normal.phone_shown(sb['phone'], sb['region'])}")
    elif phone == "same extension":
        out.append("same phone and extension "
                   f"{normal.phone_shown(sb['phone'], sb['region'])}")
    elif phone == "typo":
        out.append("phones differ by one digit")
    if levels.get("profile") == "same":
        out.append(f"same LinkedIn profile {sb['profile'].strip()}")
    dob = levels.get("dob")
    if dob == "same":
        out.append("same date of birth")
    elif dob in ("typo", "swapped"):
        out.append("dates of birth nearly the same")
    if levels.get("street") == "same" and levels.get("number") in ("same", None):
        aa, ab = sa["address"].strip(), sb["address"].strip()
        out.append(f"same address {_q(ab)}" if aa == ab else f"same address ({_q(aa)}, {_q(ab)})")
    elif levels.get("street") == "close":
        out.append("similar address")
    if levels.get("postcode") == "same":
        out.append(f"same postcode {sb['postcode'].strip().upper()}")
    if levels.get("city") == "same" and levels.get("postcode") != "same":
        out.append(f"same town {_q(sb['city'].strip())}")
    if levels.get("region") == "same" and a.region_weight >= 2:
        where = " and ".join(f"{k} {_q(sb.get(k, '').strip())}" for k in ("state", "country")
                             if getattr(a, k))  # not one most rows share
        out.append(f"same {where}, which few rows share")
    if levels.get("company") == "same":
        out.append(f"same company {_q(sb['company'].strip())}")
    elif levels.get("company") == "close":
        out.append(f"similar company ({_q(sa['company'].strip())}, {_q(sb['company'].strip())})")
    if levels.get("title") == "same":
        out.append(f"same job title {_q(sb['title'].strip())}")
    elif levels.get("title") == "close":
        out.append(f"similar job title ({_q(sa['title'].strip())}, {_q(sb['title'].strip())})")
    differ = [k for k in ("email", "phone", "dob") if levels.get(k) == "different"]
    if differ:
        words = {"email": "emails", "phone": "phones", "dob": "dates of birth"}
        out.append("but different " + " and ".join(words[k] for k in differ))
    return out
