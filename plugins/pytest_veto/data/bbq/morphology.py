"""English verb and noun forms for the BBQ question rewriter
(:mod:`pytest_veto.data.bbq.questions`).

Base forms of past-tense and third-person verbs ("stole" -> "steal", "uses" -> "use"),
past-tense and participle tests, and noun plurals ("person" -> "people"). No NLP library:
a compact irregular-verb table plus regular spelling rules, enough for BBQ's questions.
"""

from __future__ import annotations

import re

# base past participle; "-" = regular participle (same as past)
_IRREGULAR = """
be was been|become became become|begin began begun|bite bit bitten|blow blew blown
break broke broken|bring brought -|build built -|buy bought -|catch caught -
choose chose chosen|come came come|cut cut -|deal dealt -|dig dug -|do did done
draw drew drawn|drink drank drunk|drive drove driven|eat ate eaten|fall fell fallen
feel felt -|fight fought -|find found -|fly flew flown|forget forgot forgotten
forgive forgave forgiven|freeze froze frozen|get got gotten|give gave given|go went gone
grow grew grown|hang hung -|have had -|hear heard -|hide hid hidden|hit hit -|hold held -
hurt hurt -|keep kept -|know knew known|lead led -|leave left -|lend lent -|lose lost -
make made -|mean meant -|meet met -|pay paid -|put put -|quit quit -|read read -
ride rode ridden|ring rang rung|rise rose risen|run ran run|say said -|see saw seen
seek sought -|sell sold -|send sent -|shake shook shaken|shoot shot -|sing sang sung
sit sat -|sleep slept -|speak spoke spoken|spend spent -|stand stood -|steal stole stolen
swim swam swum|take took taken|teach taught -|tear tore torn|tell told -|think thought -
throw threw thrown|understand understood -|wake woke woken|wear wore worn|win won -
write wrote written
"""
_PAST: dict[str, str] = {}
_PARTICIPLES: set[str] = set()
for _entry in _IRREGULAR.replace("\n", "|").split("|"):
    if _entry.strip():
        _base, _past, _part = _entry.split()
        _PAST[_past] = _base
        _PARTICIPLES.add(_past if _part == "-" else _part)
_PAST["were"] = "be"
_PARTICIPLES.add("had")

_IRREGULAR_PLURALS = {"person": "people", "man": "men", "woman": "women", "child": "children"}


def base_form(verb: str) -> str:
    """The base form of a past-tense or third-person-singular verb ("stole" -> "steal")."""
    v = verb.lower()
    if v in _PAST:
        return _PAST[v]
    if v in ("has", "does", "is", "goes"):
        return {"has": "have", "does": "do", "is": "be", "goes": "go"}[v]
    if v.endswith("ed"):
        return _base_of_regular_past(v)
    if v.endswith("ies") and len(v) > 4:
        return v[:-3] + "y"
    if v.endswith(("ches", "shes", "sses", "xes", "zzes", "oes")):
        return v[:-2]
    if v.endswith("s") and not v.endswith("ss"):
        return v[:-1]
    return v


def _base_of_regular_past(v: str) -> str:
    if v.endswith("ied") and len(v) > 4:
        return v[:-3] + "y"
    stem = v[:-2]
    if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] in "bdgmnprt":
        return stem[:-1]  # committed -> commit, planned -> plan
    if stem in ("focus", "bus", "bias"):
        return stem
    if stem.endswith(("v", "c", "dg", "u")) or re.search(r"[^aeiourlw]l$|[aeiou][sz]$", stem):
        return stem + "e"  # believed, danced, judged, argued, struggled, used, criticized
    if re.search(r"(?:[^aeiou]|qu)(?:at|id|in|ir|ur)$", stem):
        return stem + "e"  # donated, decided, declined, required, captured
    if re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", stem):
        return stem + "e"  # hoped, liked, voted (one short syllable)
    return stem


def is_past(word: str) -> bool:
    """Whether ``word`` looks like a past-tense verb ("stole", "used")."""
    w = word.lower()
    return w in _PAST or (w.endswith("ed") and len(w) > 3)


def is_participle(word: str) -> bool:
    """Whether ``word`` looks like a past participle ("stolen", "used")."""
    w = word.lower()
    return w in _PARTICIPLES or (w.endswith("ed") and len(w) > 3)


def is_third_person(word: str) -> bool:
    """Whether ``word`` looks like a third-person-singular verb ("uses", not "discuss")."""
    w = word.lower()
    return w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 2


def plural_noun(noun: str) -> str:
    """The plural of a count noun ("person" -> "people", "secretary" -> "secretaries")."""
    head, sep, last = noun.rpartition("-")
    if "-" in noun and last in _IRREGULAR_PLURALS:
        return head + sep + _IRREGULAR_PLURALS[last]
    if noun in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[noun]
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"
