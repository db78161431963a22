"""Duplicate contacts: normal forms (normal.py), matching (match.py), and the contacts
of a book as people to match, with the evidence in plain words (people.py)."""

from .match import Group, Person, confidence, find_groups, households_apart, person, score_parts
from .people import evidence, people_of

__all__ = ["Group", "Person", "confidence", "evidence", "find_groups", "households_apart",
           "people_of", "person", "score_parts"]
