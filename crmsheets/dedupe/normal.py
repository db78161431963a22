"""Normal forms for matching people: names, emails, phones, companies, addresses.

Pure and idempotent (normalising a normal form gives it back). They are for comparing
only: nothing here is ever written over an owner's cell.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from anyascii import anyascii
from cleanco import basename
from nicknames import NickNamer

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"\D+")


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """'  José  O'Neil-Smith ' -> 'jose o neil smith': ASCII, lower case, one space."""
    return _NOT_ALNUM.sub(" ", anyascii(text).lower()).strip()


# ---- email ---------------------------------------------------------------------------

# Providers that ignore dots in the local part; every big provider ignores "+tag".
_DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def email_key(email: str) -> str:
    """'J.Smith+shop@GoogleMail.com' -> 'jsmith@gmail.com'; '' when it is no address."""
    e = anyascii(email).strip().lower()
    local, at, domain = e.rpartition("@")
    if not at or not local or not domain:
        return ""
    local = local.split("+", 1)[0] or local
    domain = domain.strip(". ")
    if domain in _DOTLESS:
        domain = _DOTLESS[domain]
        local = local.replace(".", "")
    return f"{local}@{domain}"


# ---- phone ---------------------------------------------------------------------------

def phone_keys(phone: str, region: str | None) -> tuple[str, ...]:
    """Digit strings that identify a number: its E.164 form without '+' when it parses
    (so '020 7946 0018' and '+44 20 7946 0018' agree), and every digit typed (so the
    same number typed twice the same odd way still agrees). Empty when under 6 digits."""
    return phone_keys_checked(phone, region)[0]


def phone_keys_checked(phone: str, region: str | None) -> tuple[tuple[str, ...], bool]:
    """(phone_keys, garbled): garbled when the digits cannot be a phone number, too
    many or too few for the numbers of their country (two fields run together, digits
    pasted twice); without a country to go by, when no number has that many digits."""
    digits = _DIGITS.sub("", phone)
    if len(digits) < 6:
        return (), False
    keys = [digits]
    try:
        parsed = phonenumbers.parse(phone, region or None)
    except phonenumbers.NumberParseException:
        return tuple(keys), not 7 <= len(digits) <= 15
    if not phonenumbers.is_possible_number(parsed):
        return tuple(keys), True
    e164 = f"{parsed.country_code}{parsed.national_number}"
    if e164 != digits:
        keys.insert(0, e164)
    return tuple(keys), False


def phone_garbled(phone: str, region: str | None) -> bool:
    """phone_keys_checked's garbled alone."""
    return phone_keys_checked(phone, region)[1]


def phone_keys_parsed(phone: str, e164: str) -> tuple[str, ...]:
    """phone_keys for a number already parsed to E.164 ("" when it did not parse)."""
    digits = _DIGITS.sub("", phone)
    if len(digits) < 6:
        return ()
    parsed = e164.lstrip("+")
    return (parsed, digits) if parsed and parsed != digits else (digits,)


def phone_shown(phone: str, region: str | None) -> str:
    """The international form an owner recognises, for evidence text."""
    try:
        parsed = phonenumbers.parse(phone, region or None)
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed,
                                              phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        pass
    return phone.strip()


# ---- names ---------------------------------------------------------------------------

_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "madam"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"}


def split_name(full: str) -> tuple[str, str]:
    """'Smith, John' and 'Mr John Smith Jr.' -> ('john', 'smith'). Middle names stay with
    the given name ('mary ann'), so that a one-word given name still compares well."""
    if "," in full:
        last, _, first = full.partition(",")
        return name_part(first), name_part(last)
    words = [w for w in fold(full).split() if w not in _TITLES and w not in _SUFFIXES]
    if not words:
        return "", ""
    if len(words) == 1:
        return words[0], ""
    return " ".join(words[:-1]), words[-1]


def name_part(text: str) -> str:
    return " ".join(w for w in fold(text).split() if w not in _TITLES and w not in _SUFFIXES)


_NICKNAMER: NickNamer | None = None


@lru_cache(maxsize=100_000)
def given_roots(first: str) -> frozenset[str]:
    """The formal names a given name may stand for: 'bob' -> {'bob', 'robert', ...}.
    Two given names are the same person's when their roots meet."""
    global _NICKNAMER
    if not first:
        return frozenset()
    if _NICKNAMER is None:
        _NICKNAMER = NickNamer()
    word = first.split()[0]
    return frozenset({word, *_NICKNAMER.canonicals_of(word)})


@lru_cache(maxsize=1)
def known_given_names() -> frozenset[str]:
    """Real given names (the nickname list's and the US census lists'): two different
    ones, not a typo of one another, are two people."""
    from importlib.resources import files

    from nicknames import name_triplets

    names = set()
    for t in name_triplets():
        names.add(t.name1)
        names.add(t.name2)
    for part in ("dist.female.first", "dist.male.first"):
        text = files("names").joinpath(part).read_text()
        names.update(line.split()[0].lower() for line in text.splitlines() if line.strip())
    return frozenset(n for n in names if len(n) > 2)


# ---- companies and places ------------------------------------------------------------

def profile_key(url: str) -> str:
    """'https://www.LinkedIn.com/in/Jane-Smith/?trk=x' -> 'linkedin.com/in/jane-smith': a
    profile's address without its scheme, 'www.', a country's sub-domain, a query or a
    trailing slash, so that two ways of copying one profile agree."""
    key = url.lower()
    while True:  # until nothing more comes off: a key is its own key
        s = re.sub(r"^\s*[a-z]+://", "", key)
        s = re.sub(r"[\s/]+$", "", re.split(r"[?#]", s, maxsplit=1)[0]).lstrip()
        host, slash, path = s.partition("/")
        s = re.sub(r"^(www|m|[a-z]{2})\.(?=linkedin\.)", "", host) + slash + path
        if s == key:
            return key
        key = s


@lru_cache(maxsize=100_000)
def company_key(company: str) -> str:
    """'The Acme Holdings Ltd.' -> 'acme holdings': legal suffixes and 'the' dropped."""
    key = fold(company)
    while True:  # "Acme Co Ltd" loses both suffixes, so a key is its own key
        base = fold(basename(key))
        if base.startswith("the "):
            base = base[4:]
        if not base or base == key:
            return key
        key = base


_STREET_WORDS = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue",
    "dr": "drive", "drv": "drive", "ln": "lane", "ct": "court", "crt": "court",
    "pl": "place", "cres": "crescent", "cr": "crescent", "cct": "circuit",
    "hwy": "highway", "blvd": "boulevard", "sq": "square", "tce": "terrace",
    "terr": "terrace", "pde": "parade", "cl": "close", "gr": "grove", "gdns": "gardens",
    "apt": "apartment", "ste": "suite", "flt": "flat", "n": "north", "s": "south",
    "e": "east", "w": "west", "mt": "mount", "pk": "park", "wy": "way",
}


@lru_cache(maxsize=200_000)
def street_key(street: str) -> str:
    """'12 High St.' -> '12 high street'."""
    return " ".join(_STREET_WORDS.get(w, w) for w in fold(street).split())


def split_street(street: str) -> tuple[str, str]:
    """'12a High Street' -> ('12a', 'high street'); the number may be missing."""
    s = street_key(street)
    m = re.match(r"^(\d+[a-z]?)\s+(.*)$", s)
    return (m[1], m[2]) if m else ("", s)


def postcode_key(postcode: str) -> str:
    return fold(postcode).replace(" ", "")
