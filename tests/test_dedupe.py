"""Matching: the normal forms (idempotent), each kind of evidence, the guards that keep
family members and colleagues apart, and no chaining of unrelated people."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmsheets.dedupe import evidence, find_groups, match, normal, person


def pair(a: dict, b: dict) -> tuple[match.Person, match.Person]:
    return person(0, region="GB", **a), person(1, region="GB", **b)


def grouped(*rows: dict, never=frozenset()) -> list[list[int]]:
    people = [person(i, region="GB", **r) for i, r in enumerate(rows)]
    return [g.members for g in find_groups(people, never)]


# ---- normal forms ----------------------------------------------------------------

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(texts)
def test_fold_is_idempotent(s):
    assert normal.fold(normal.fold(s)) == normal.fold(s)


@given(texts)
def test_email_key_is_idempotent(s):
    once = normal.email_key(s)
    assert normal.email_key(once) == once


@given(texts)
def test_street_and_company_keys_are_idempotent(s):
    assert normal.street_key(normal.street_key(s)) == normal.street_key(s)
    once = normal.company_key(s)
    assert normal.company_key(once) == once


@given(texts)
def test_profile_key_is_idempotent(s):
    once = normal.profile_key(s)
    assert normal.profile_key(once) == once


@given(st.text(alphabet="0123456789 +-()", max_size=20))
def test_phone_keys_are_digits_of_the_number(s):
    for key in normal.phone_keys(s, "GB"):
        assert key.isdigit() and len(key) >= 6


def test_normal_forms_that_owners_rely_on():
    assert normal.email_key(" J.Smith+shop@GoogleMail.com ") == "jsmith@gmail.com"
    assert normal.email_key("j.smith+news@example.com") == "j.smith@example.com"
    assert normal.phone_keys("020 7946 0018", "GB")[0] == normal.phone_keys(
        "+44 20 7946 0018", "GB")[0] == "442079460018"
    assert normal.split_name("Smith, John") == ("john", "smith")
    assert normal.split_name("Mr. José  Núñez Jr.") == ("jose", "nunez")
    assert normal.company_key("The Acme Holdings Ltd.") == "acme holdings"
    assert normal.street_key("12 High St.") == "12 high street"
    assert "robert" in normal.given_roots("bob")
    assert normal.profile_key("https://www.LinkedIn.com/in/Jane-Smith-4821/?trk=public") == \
        normal.profile_key("uk.linkedin.com/in/jane-smith-4821") == "linkedin.com/in/jane-smith-4821"


# ---- evidence --------------------------------------------------------------------

def test_same_email_ignoring_case_dots_and_tags():
    a, b = pair({"name": "Jane Doe", "email": "Jane.Doe@gmail.com"},
                {"name": "Jane Doe", "email": "janedoe+shop@gmail.com"})
    assert match.compare(a, b) >= match.SUGGEST
    assert "same email janedoe@gmail.com, ignoring case, dots and +tags" in evidence(a, b)


def test_a_masked_email_is_checked_on_what_it_shows():
    a, b = pair({"name": "Arthur Robertson", "email": "chandra.chase123341@example.com"},
                {"name": "Arthur Robertsn", "email": "cha***@example.com"})
    assert match.score_parts(a, b)[1]["email"] == "masked"
    assert "masked email fits (chandra.chase123341@example.com, cha***@example.com)" in \
        evidence(a, b)
    a, b = pair({"name": "Arthur Robertson", "email": "chandra.chase123341@example.com"},
                {"name": "Arthur Robertson", "email": "bob***@example.com"})
    assert match.score_parts(a, b)[1]["email"] == "different"


def test_same_phone_in_two_formats():
    a, b = pair({"name": "Jon Smith", "phone": "020 7946 0018"},
                {"name": "John Smith", "phone": "+44 20 7946 0018"})
    words = evidence(a, b)
    assert "same phone +44 20 7946 0018" in words
    assert "'Jon' and 'John' can be the same given name and same surname" in words
    assert match.compare(a, b) >= match.SUGGEST


def test_nickname_and_postcode():
    a, b = pair({"name": "Bob Marley", "postcode": "N1 9GU", "address": "5 Mill Rd"},
                {"name": "Robert Marley", "postcode": "n19gu", "address": "5 Mill Road"})
    words = evidence(a, b)
    assert "'Bob' and 'Robert' can be the same given name and same surname" in words
    assert "same address ('5 Mill Rd', '5 Mill Road')" in words
    assert "same postcode N19GU" in words
    assert match.compare(a, b) >= match.SUGGEST


def test_swapped_name_parts_and_company_suffix():
    a, b = pair({"first": "Smith", "last": "Anna", "company": "Acme Ltd",
                 "email": "anna@acme.example"},
                {"first": "Anna", "last": "Smith", "company": "ACME Limited",
                 "email": "anna@acme.example"})
    words = evidence(a, b)
    assert words[0] == "'Smith Anna' is 'Anna Smith' with first and last name swapped"
    assert "same company 'ACME Limited'" in words


def test_same_date_of_birth_counts():
    a, b = pair({"name": "Ann Lee", "dob": "1980-02-03", "city": "Leeds"},
                {"name": "Anne Lee", "dob": "1980-02-03", "city": "Leeds"})
    assert "same date of birth" in evidence(a, b)
    assert match.compare(a, b) >= match.SUGGEST


def test_a_placeholder_date_of_birth_is_no_evidence():
    # Two John Smiths in two towns, born the same day: the same person, probably...
    smiths = [{"name": "John Smith", "city": "Leeds"}, {"name": "John Smith", "city": "York"}]
    assert grouped(*({**r, "dob": "1980-01-01"} for r in smiths)) == [[0, 1]]
    # ...unless that day is what the book types for "unknown".
    others = [{"name": f"{f} {s}", "dob": "1900-01-01"}
              for f, s in zip(("Ann", "Raj", "Li", "Ola", "Tom", "Eve", "Kai", "Zoe", "Ian",
                               "Amy", "Sam", "Ned"),
                              ("Hill", "Shah", "Wong", "Ade", "Frey", "Moss", "Park", "Dunn",
                               "Roy", "Cole", "Bose", "Lyle"), strict=True)]
    people = [person(i, **r) for i, r in
              enumerate([*({**r, "dob": "1900-01-01"} for r in smiths), *others])]
    assert match.placeholder_dates(people) == {"19000101"}
    assert find_groups(people) == []


def test_a_state_everyone_shares_tells_no_one_apart():
    rows = [{"name": f"{f} {s}", "city": c} for f in ("Ann", "Raj", "John") for s in
            ("Smith", "Shah") for c in ("Leeds", "York", "Hull")]
    plain = [person(i, **r) for i, r in enumerate(rows)]
    placed = [person(i, state="CA", country="US", **r) for i, r in enumerate(rows)]
    match.forget_uninformative(placed)
    assert all(p.state == "" and p.country == "" for p in placed)
    assert match.candidate_pairs(placed) == match.candidate_pairs(plain)
    # a state that only some rows share still counts
    mixed = [person(i, state="CA" if i % 3 else "NV", **r) for i, r in enumerate(rows)]
    match.forget_uninformative(mixed)
    assert {p.state for p in mixed} == {"", "nv"}


def test_a_shared_name_alone_is_not_a_duplicate():
    a, b = pair({"name": "Charlie Hill", "email": "charlie.hill@icloud.com"},
                {"name": "Charlie Hill", "email": "charlie.hill@yahoo.co.uk"})
    assert match.compare(a, b) < match.SUGGEST
    assert grouped({"name": "Charlie Hill"}, {"name": "Charlie Hill"}) == []


# ---- households, colleagues, chains --------------------------------------------

def test_family_sharing_an_address_and_a_landline_are_two_people():
    home = {"address": "12 Oak Street", "postcode": "LS1 4AP", "phone": "0113 496 0001"}
    assert grouped({"name": "John Smith", **home}, {"name": "Mary Smith", **home}) == []


def test_colleagues_sharing_a_switchboard_are_two_people():
    office = {"company": "Acme Ltd", "phone": "020 7946 0000", "city": "London"}
    assert grouped({"name": "Priya Shah", **office}, {"name": "Tom Okafor", **office}) == []


def test_people_with_similar_but_different_given_names_are_two_people():
    base = {"last": "Morris", "postcode": "M1 1AE", "phone": "0161 496 0001"}
    assert grouped({"first": "Oliver", **base}, {"first": "Olivia", **base}) == []


_COUPLES = [("John", "Mary"), ("Peter", "Susan"), ("David", "Linda"), ("James", "Karen"),
            ("Paul", "Helen"), ("Mark", "Sarah"), ("Brian", "Carol"), ("Kevin", "Donna")]
_HOMES = [("Smith", "Oak Street"), ("Patel", "Mill Lane"), ("Jones", "Park Road"),
          ("Okafor", "Church Lane"), ("Brown", "Elm Grove"), ("Nowak", "Kings Road"),
          ("Taylor", "Bridge Street"), ("Evans", "Station Road")]


def _two_under_one_roof(same_birthday: bool) -> list[dict]:
    """Eight homes, each with two rows under one surname and two given names, and one
    more home where neither row has a date of birth."""
    rows = []
    for n, ((a, b), (surname, street)) in enumerate(zip(_COUPLES, _HOMES, strict=True)):
        home = {"last": surname, "address": f"{n + 3} {street}", "postcode": f"LS{n} 4AP"}
        born = f"{1950 + 3 * n}-03-{n + 10}"
        rows.append({"first": a, "dob": born, **home})
        rows.append({"first": b, "dob": born if same_birthday else f"{1952 + 3 * n}-08-0{n + 1}",
                     **home})
    home = {"last": "Dixon", "address": "12 Rose Avenue", "postcode": "M1 1AE"}
    return rows + [{"first": "Kylie", **home}, {"first": "Madison", **home}]


def test_families_in_a_book_stay_apart():
    rows = _two_under_one_roof(same_birthday=False)
    people = [person(i, region="GB", **r) for i, r in enumerate(rows)]
    assert match.households_apart(people)
    assert grouped(*rows) == []


def test_a_book_whose_rows_under_one_roof_share_birthdays_lifts_the_household_guard():
    # Rows that share a surname, a house and a date of birth under two given names are
    # one person whose given name was mistyped or replaced: in such a book, two given
    # names under one roof are no longer taken for a family.
    rows = _two_under_one_roof(same_birthday=True)
    people = [person(i, region="GB", **r) for i, r in enumerate(rows)]
    assert not match.households_apart(people)
    groups = grouped(*rows)
    assert [16, 17] in groups  # the Dixons have no dates of birth: the book decided
    assert len(groups) == 9
    # fewer than HOUSEHOLD_EVIDENCE such rows is no evidence: the guard stays
    few = rows[: 2 * (match.HOUSEHOLD_EVIDENCE - 1)] + rows[16:]
    assert match.households_apart([person(i, region="GB", **r) for i, r in enumerate(few)])


def test_address_lines_typed_the_other_way_round_are_one_address():
    a, b = pair({"name": "Dale Ottens", "number": "44", "address": "Bellchambers Crescent",
                 "address2": "Antigua", "postcode": "5290"},
                {"name": "Dale Ottens", "number": "44", "address": "Antigua",
                 "address2": "Bellchambers Crescent", "postcode": "5290"})
    assert match.score_parts(a, b)[1]["street"] == "same"
    assert any(e.startswith("same address") for e in evidence(a, b))


def test_same_name_and_town_with_other_contacts_are_two_people():
    # A common name in one town, each with their own email, phone and street.
    a, b = pair({"name": "Dale Ward", "email": "dale.ward889@icloud.com",
                 "phone": "07656 912957", "address": "13 High Street", "city": "Fuchsbury"},
                {"name": "Dale Ward", "email": "dale.ward@yahoo.co.uk",
                 "phone": "07291 776762", "address": "100 Kings Road", "city": "Fuchsbury"})
    assert match.compare(a, b) < match.SUGGEST
    # a house number on another street and a birthday in the same month say nothing
    a, b = pair({"name": "Alice Holley", "address": "170 Manor Road", "dob": "1980-05-02"},
                {"name": "Alice Holley", "address": "170 North Street", "dob": "1980-05-27"})
    assert match.compare(a, b) < match.SUGGEST


def test_a_pair_is_found_when_its_postcode_and_state_are_mistyped():
    a, b = pair({"first": "John", "last": "Cosenza", "number": "54",
                 "address": "Wentworth Avenue", "postcode": "4305", "state": "NSW",
                 "city": "St Kilda"},
                {"first": "John", "last": "Cosenza", "number": "54",
                 "address": "Wentworth Avenue", "postcode": "4035", "city": "St Kilda"})
    assert match.candidate_pairs([a, b]) == [(0, 1)]


def test_a_row_mistyped_everywhere_is_found_within_a_narrow_region():
    # Every field has a typo but the region and the first letters of the given name.
    rows = [{"first": "Derrick", "last": "Bradford", "company": "Renegade Partners",
             "city": "Bridgwater", "state": "CT", "country": "BR"},
            {"first": "Dexrrik", "last": "Nadfrd", "company": "Ieynegade Parwtners",
             "city": "Bbrddgwuater", "state": "CT", "country": "BR"}]
    people = [person(i, **r) for i, r in enumerate(rows)]
    assert match.candidate_pairs(people) == [(0, 1)]
    assert match.candidate_pairs([person(i, **{**r, "state": "", "country": ""})
                                  for i, r in enumerate(rows)]) == []
    # Not one first letter left, but the same job title in the same narrow region.
    rows = [{**rows[0], "title": "Release Manager"},
            {**rows[1], "first": "ecfyrick", "title": "release manager"}]
    assert match.candidate_pairs([person(i, **r) for i, r in enumerate(rows)]) == [(0, 1)]
    assert match.candidate_pairs([person(i, **{**r, "title": ""})
                                  for i, r in enumerate(rows)]) == []


def test_region_keys_add_nothing_where_a_region_holds_many_rows():
    # Twenty rows in one region: its keys would pair them all, so they are left out
    # (NARROW_CAP). (find_groups would also clear a state everyone shares.)
    rows = [{"first": f, "last": s, "company": "Acme Widgets", "city": "Sacramento",
             "email": f"{f}.{s}{n}@example.com".lower()}
            for n, (f, s) in enumerate((f, s) for f in ("Ann", "Anton", "Anya", "Andre")
                                       for s in ("Smith", "Smyth", "Smart", "Smolen", "Smale"))]
    plain = match.candidate_pairs([person(i, **r) for i, r in enumerate(rows)])
    placed = match.candidate_pairs([person(i, state="CA", country="US", **r)
                                    for i, r in enumerate(rows)])
    assert placed == plain


def test_a_given_name_cut_short_is_not_another_name():
    # "Mel" and "Melba" are both real names, but one is the start of the other.
    contact = {"email": "fperry825498@example.com", "phone": "0161 496 0143",
               "city": "Utrecht"}
    assert grouped({"name": "Melba McDonald", **contact},
                   {"name": "Mel McDonald", **contact}) == [[0, 1]]


def test_the_same_extension_is_one_desk():
    office = {"company": "Five Arrows Group", "city": "Tonawanda", "region": "US"}
    a = person(0, name="Frank Gannon", phone="+1 315 555 0168 x5748", **office)
    b = person(1, name="Fbfok Gnnanjhn", phone="+1-315-555-0168 ext. 5748", **office)
    assert match.compare(a, b) >= match.SUGGEST
    assert "same phone and extension +1 315-555-0168 ext. 5748" in evidence(a, b)
    # another extension on the switchboard, or the desk handed to someone else
    c = person(2, name="Fbfok Gnnanjhn", phone="+1 315 555 0168 x5749", **office)
    d = person(3, name="Tom Okafor", phone="+1 315 555 0168 x5748", **office)
    assert match.compare(a, c) < match.SUGGEST
    assert match.compare(a, d) < match.SUGGEST
    # digits before the number are no extension: a shared landline stays a landline
    e = person(4, name="Priya Shah", phone="0044 20 7946 0018", region="GB")
    f = person(5, name="Tom Shah", phone="0044 20 7946 0018", region="GB")
    assert match.score_parts(e, f)[1]["phone"] == "same"


def test_fields_that_agree_beside_a_mangled_name_show_one_person():
    """A surname typed beyond recognition, with the email, a close given name and the
    region agreeing: listed, at the least confidence a listed pair has. Not when a field
    that tells people apart differs, nor when both names differ outright."""
    place = {"city": "Toronto", "state": "NW", "country": "BW", "region": "US"}
    a = person(0, first="Michael", last="Johnston", email="finn360354@example.com",
               company="AbbVie", **place)
    b = person(1, first="RMIWCAEL", last="voh", email="finn360354@example.com",
               company="jlbbVine", **{**place, "city": "Tyfronto"})
    assert match.compare(a, b) == match.SUGGEST
    assert "same email finn360354@example.com" in evidence(a, b)
    c = person(2, first="RMIWCAEL", last="voh", email="finn360354@example.com",
               company="jlbbVine", phone="+1 315 555 0168", **{**place, "city": "Tyfronto"})
    d = person(3, first="Michael", last="Johnston", email="finn360354@example.com",
               company="AbbVie", phone="+1 212 555 0199", **place)
    assert match.compare(c, d) < match.SUGGEST  # two phones: two people sharing an inbox
    e = person(4, first="Keisha", last="Brown", email="finn360354@example.com",
               company="AbbVie", **place)
    assert match.compare(a, e) < match.SUGGEST  # another person at the same desk
    # A surname on one row and a given name on the other: no name to corroborate.
    x = person(5, last="Hodby", dob="1936-08-17", address="20 Mckillop Circuit",
               postcode="2290", city="Emerald", state="NSW")
    y = person(6, first="Matthew", dob="1936-08-17", address="14 Hughes Crescent",
               postcode="2298", city="Belmont", state="NSW")
    assert match.compare(x, y, households=False) < match.SUGGEST
    # Colleagues with a town, a region and a company in common stay two people.
    office = {"company": "Acme Ltd", "city": "London", "state": "LND"}
    assert grouped({"name": "Priya Shah", **office}, {"name": "Pryia Chadha", **office}) == []


def test_one_job_title_is_evidence_but_never_enough_alone():
    """A name typed badly, a company and a town that look alike, one region: below the
    line; the same job title on both rows lifts the pair onto the Duplicates tab, and
    says so. Colleagues with one title at one company stay two people."""
    place = {"state": "NM", "country": "AD", "region": "US"}
    a = dict(first="xcecilia", last="Fernandqeiz", company="Plisade Group", city="Hmbturg",
             **place)
    b = dict(first="Cenilia", last="Fnrnandez", company="alisade Group", city="Hamurb", **place)
    assert match.compare(person(0, **a), person(1, **b)) < match.SUGGEST
    a, b = person(0, title="Delivery Manager", **a), person(1, title="delivery manager ", **b)
    assert match.compare(a, b) >= match.SUGGEST
    assert "same job title 'delivery manager'" in evidence(a, b)
    shop = {"company": "Acme Ltd", "city": "London", "title": "Sales Assistant"}
    assert grouped({"name": "Priya Shah", **shop}, {"name": "Tom Baker", **shop},
                   {"name": "Ann Lee", "city": "Leeds"}, {"name": "Bo Chan", "city": "York"}) == []
    assert grouped({"name": "Priya Shah", "title": "Owner"}, {"name": "Priya Shah", "title": "Owner"},
                   {"name": "Ann Lee", "title": "Owner"}) == []  # a name and a title: a maybe


def test_one_linkedin_profile_is_one_person():
    """A profile's address is one person's, as an email is: it shows two rows with other
    emails to be one, and lets a mistyped given name through the family guard."""
    a = person(0, name="Jane Smith", email="jane@acme.com",
               profile="https://www.linkedin.com/in/jane-smith-4821/", region="US")
    b = person(1, name="J. Smyth", email="jsmith@gmail.com",
               profile="linkedin.com/in/Jane-Smith-4821", region="US")
    assert match.compare(a, b) >= match.SUGGEST
    assert "same LinkedIn profile linkedin.com/in/Jane-Smith-4821" in evidence(a, b)
    c = person(2, name="Mary Smith", email="jane@acme.com", region="US",
               profile="https://www.linkedin.com/in/jane-smith-4821/")
    assert match.compare(a, c) >= match.SUGGEST
    # two namesakes, each with their own profile, are not one person
    d = person(3, name="Jane Smith", profile="linkedin.com/in/jane-smith-77", region="US")
    assert match.compare(a, d) < match.SUGGEST
    assert grouped({"name": "Jane Smith", "profile": "linkedin.com/in/js-1"},
                   {"name": "Jane Smith", "profile": "linkedin.com/in/js-2"}) == []


def test_a_garbled_phone_is_no_evidence_that_two_rows_differ():
    """Digits no phone number has (two fields run together) say nothing when they do not
    match; two real numbers that differ still do."""
    assert normal.phone_garbled("+1 183685501474548", "US")
    assert not normal.phone_garbled("+1-836-555-0147 x4548", "US")
    assert not normal.phone_garbled("020 7946 0018", "GB")
    assert not normal.phone_garbled("07700 900123", None)  # no country to go by
    base = {"company": "Red Cedar Partners", "city": "Stirling", "region": "US"}
    a = person(0, first="Peggy", last="Chavez", phone="+1-836-555-0147 x4548", **base)
    b = person(1, first="Peggy", last="Chave", phone="+1 183685501474548", **base)
    c = person(2, first="Peggy", last="Chave", phone="+1 212 555 0199", **base)
    assert match.score_parts(a, b)[1]["phone"] == "garbled"
    assert match.score_parts(a, c)[1]["phone"] == "different"
    assert match.compare(a, b) > match.compare(a, c)
    assert not any("different phones" in e for e in evidence(a, b))
    assert "but different phones" in evidence(a, c)


def test_an_abbreviated_name_is_not_another_name():
    """Wm for William, Wms for Williams, Ctt for Scott: the letters of one, in order, in
    the other. No evidence either way, so that the rest of the row decides; two real
    given names still differ."""
    assert match._first_weight("wm", "william", frozenset(), frozenset())[1] == "unlike"
    assert match._last_weight("wms", "williams")[1] == "unlike"
    assert match._last_weight("ctt", "scott")[1] == "unlike"
    assert match._last_weight("scott", "baker")[1] == "different"
    assert match._first_weight("ann", "joanna", normal.given_roots("ann"),
                               normal.given_roots("joanna"))[1] == "different given names"
    work = {"company": "Hartley & Sons", "city": "Leeds", "email": "hartley@example.com"}
    assert grouped({"first": "Wm", "last": "Hartley", **work},
                   {"first": "William", "last": "Hartley", **work}) == [[0, 1]]


def test_a_state_few_rows_share_says_more_than_the_shops_own():
    """Two rows in a state where few customers live are likelier one person than two in
    the state most of the book is in (the weight comes from the book, at most
    REGION_MAX), and the Duplicates tab says why."""
    book = [person(i, name=f"Filler {i}", email=f"f{i}@example.com",
                   state=("CA", "NV", "OR")[i % 3], country="US", region="US")
            for i in range(60)]
    one = dict(first="Stephanie", last="Berry", email="sberry@elevation.example",
               company="Elevation Capital", country="US", region="US")
    other = {**one, "first": "Stepfanie", "last": "Barrie", "email": "stephb@mail.example"}
    a, b = person(60, state="AK", **one), person(61, state="AK", **other)
    c, d = person(62, state="CA", **one), person(63, state="CA", **other)
    people = [*book, a, b, c, d]
    match.forget_uninformative(people)
    assert a.country == "" and a.state == "ak"  # every row's country: no evidence
    assert a.region_weight == match.REGION_MAX > c.region_weight >= 0.5
    assert match.compare(a, b) - match.compare(c, d) == \
        pytest.approx(match.REGION_MAX - c.region_weight)
    assert "same state 'AK', which few rows share" in evidence(a, b)
    assert not any("few rows share" in e for e in evidence(c, d))
    # the pair in the rare state is listed, the same pair in the common one is not
    assert [g.members for g in find_groups([*book, a, b])] == [[60, 61]]
    assert find_groups([*book, c, d]) == []


def test_one_mailbox_and_one_desk_outweigh_two_given_names():
    """A family shares an inbox and a landline, so two given names there are two people;
    nobody shares both an inbox and a desk's own extension."""
    desk = {"email": "derek.buckley366581@example.com", "company": "Continental Dynamics",
            "region": "US"}
    a = person(0, first="Christina", last="Jensen", phone="+1-491-555-0100 x2148", **desk)
    b = person(1, first="Maria", last="Jensen", phone="+1 491 555 0100 ext 2148", **desk)
    assert match.compare(a, b) >= match.SUGGEST
    home = {"email": "jensens@example.com", "phone": "+1-491-555-0100", "region": "US"}
    assert match.compare(person(2, first="Christina", last="Jensen", **home),
                         person(3, first="Maria", last="Jensen", **home)) == match.VETO


def test_no_chaining_through_a_shared_row():
    # A and C are each close to B (shared email with one, shared phone with the other),
    # but A and C are plainly two people: B may join one of them, never both.
    groups = grouped(
        {"name": "Sam Taylor", "email": "sam@example.com", "dob": "1970-01-01"},
        {"name": "Sam Taylor", "email": "sam@example.com", "phone": "07700 900123"},
        {"name": "Sam Taylor", "phone": "07700 900123", "dob": "1999-12-31"},
    )
    assert groups in ([[0, 1]], [[1, 2]])


def test_true_triples_stay_together():
    groups = grouped(
        {"name": "Ada Lovelace", "email": "ada@example.com"},
        {"name": "A. Lovelace", "email": "ADA@example.com", "phone": "020 7946 0001"},
        {"name": "Ada Lovelace", "phone": "+44 20 7946 0001"},
    )
    assert groups == [[0, 1, 2]]


def test_never_pairs_are_not_grouped():
    a = {"name": "Ada Lovelace", "email": "ada@example.com"}
    assert grouped(a, dict(a)) == [[0, 1]]
    assert grouped(a, dict(a), never={frozenset((0, 1))}) == []


def test_blocking_grows_about_linearly():
    people = [person(i, name=f"Person {i} Surname{i % 997}", email=f"p{i}@example.com",
                     phone=f"0161 496 {i % 10000:04d}", region="GB") for i in range(5000)]
    pairs = match.candidate_pairs(people)
    assert len(pairs) < 20 * len(people)


def test_a_new_row_is_recognised_as_a_known_contact():
    known = match.Known([
        person(0, name="Joshua Jones", email="joshua.jones@gmail.com", phone="0161 496 0627",
               address="178 Victoria Road", postcode="BA1 1LZ", region="GB"),
        person(1, name="Mary Smith", phone="0113 496 0001", address="5 Elm Street",
               postcode="LS1 4AP", region="GB"),
    ])
    found = known.best(person(9, name="Josh Jones", phone="+44 161 496 0627", region="GB"))
    assert found is not None and found[0] == 0 and found[1] > 0.9
    # John shares Mary's home and landline: a new person, not Mary.
    assert known.best(person(9, name="John Smith", phone="0113 496 0001",
                             address="5 Elm Street", postcode="LS1 4AP", region="GB")) is None
    assert known.best(person(9, name="Someone Else", email="else@example.com")) is None


def test_the_prefilter_drops_no_pair_that_could_be_suggested():
    import random

    rnd = random.Random(5)
    firsts = sorted(normal.known_given_names())[::40]
    syllables = ["ka", "lo", "mer", "sta", "vin", "ro", "de", "ban", "th", "ul"]
    lasts = ["".join(rnd.choice(syllables) for _ in range(3)).title() for _ in range(40)]
    def letters_out(name: str) -> str:  # Wm for William
        return "".join(ch for ch in name if rnd.random() < 0.5) or name[:1]

    people = []
    for i in range(3000):
        f, s = rnd.choice(firsts), rnd.choice(lasts)
        if rnd.random() < 0.2:
            f = f[: rnd.randint(1, len(f))]
        elif rnd.random() < 0.1:
            f = letters_out(f)
        if rnd.random() < 0.1:
            s = letters_out(s)
        people.append(person(
            i, first=f, last=s, email=rnd.choice(["", f"{f}.{s}{rnd.randint(1, 40)}@x.com"]),
            phone=rnd.choice(["", f"0161 496 {rnd.randint(0, 60):04d}", "0161 496 0000 0000"]),
            address=rnd.choice(["", f"{rnd.randint(1, 9)} High Street"]),
            postcode=rnd.choice(["M1 1AE", "LS1 4AP"]), region="GB",
            company=rnd.choice(["", "Acme", "Acme Ltd", "Bolt & Co"]),
            title=rnd.choice(["", "", "Manager", "Owner", "Sales Assistant"]),
            profile=rnd.choice(["", "", f"linkedin.com/in/p{rnd.randint(1, 300)}"]),
            # one rare state (its weight the most there is), two common ones
            state=rnd.choice(["", "Kent", "Essex"]) if i % 50 else "Rutland", country="GB"))
    for k, f in enumerate(firsts[:20]):  # one given name, two unlike surnames, one home
        for s, street in (("Exclel", "Aspinall Street"), ("Riding", "Aspinall Rtreet")):
            people.append(person(len(people), first=f, last=s, address=f"{k + 20} {street}",
                                 postcode="M1 1AE", region="GB"))
    match.forget_uninformative(people)  # as find_groups does: the states' weights
    assert max(p.region_weight for p in people) == match.REGION_MAX
    pairs = match.candidate_pairs(people)
    assert len(pairs) >= 5000  # the prefilter only runs on this many
    for households in (True, False):  # with the household guard, and where it is lifted
        kept = set(match.worth_scoring(people, pairs, households))
        assert len(kept) < len(pairs)
        dropped = [(a, b) for a, b in pairs if (a, b) not in kept]
        assert all(match.compare(people[a], people[b], households) < match.SUGGEST
                   for a, b in dropped)
