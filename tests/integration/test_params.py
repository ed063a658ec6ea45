"""Argument checking, table-driven over every method and every argument of
the server's method table (and the fields of bulk items): wrong types,
missing, empty, huge and deeply nested values, and unknown names.  Each bad
value must be answered invalid_params naming the field ("invalid_params:
controls[1].links[0].id: ..."), a value the docs call valid must succeed,
and the connection must answer a ping afterwards.  Nesting beyond the
server's depth limit is the documented exception: too_large, then the
connection is closed."""
import unittest

import time

import msgpack

from cwtest import ERROR_NAMES, INVALID_PARAMS, TOO_LARGE, ServerTest, evidence, method_table

# Argument kinds.
NAME = "name"      # slug or id: non-empty, bounded
TEXT = "text"      # free text: may be empty, at most 64 KiB
ENUM = "enum"      # one of a few words
TOKEN = "token"    # any string (no --auth here: every token is accepted)
TIME = "time"      # integer seconds, RFC 3339 string or msgpack timestamp
INT = "int"        # integer in a range the base value sits in
COUNT0 = "count0"  # integer 0 or more (a page's offset)
BOOL = "bool"
DURATION = "duration"  # seconds, or a string such as 90s, 15m, 12h, 30d
ITEMS = "items"    # list of maps (schema given)
STRS = "strs"      # a string or a non-empty list of strings (evidence controls)
ATTRS = "attrs"    # map of name to list of strings (or one string)
OBJ = "obj"        # one map of named fields (a dry run's assume item)
WORDS = "words"    # a word of a few, or a list of them (possibly empty)

# What a case expects.
OK, BAD, MISSING, SKIP = "ok", "bad", "missing", "skip"


def arg(kind, required=False, items=None, empty_ok=False):
    return {"kind": kind, "required": required, "items": items, "empty_ok": empty_ok}


LINK = {"framework": arg(NAME, True), "id": arg(NAME, True), "level": arg(ENUM)}
CONTROL = {"id": arg(NAME, True), "title": arg(TEXT), "owner": arg(TEXT), "status": arg(ENUM),
           "links": arg(ITEMS, items=LINK)}
EVIDENCE = {"id": arg(NAME, True), "controls": arg(STRS, True), "kind": arg(TEXT),
            "title": arg(TEXT), "source": arg(TEXT), "uri": arg(TEXT), "sha256": arg(ENUM, empty_ok=True),
            "collected_at": arg(TIME, True), "valid_until": arg(TIME),
            "result": arg(ENUM, True)}
SCOPE = {"framework": arg(NAME, True), "id": arg(NAME, True), "applicable": arg(BOOL),
         "justification": arg(TEXT), "reasons": arg(WORDS)}
ASSET = {"id": arg(NAME, True), "name": arg(TEXT), "owner": arg(TEXT),
         "classification": arg(TEXT)}
# A risk's title may not be empty; its id lists may.
RISK = {"id": arg(NAME, True), "title": arg(NAME, True), "description": arg(TEXT),
        "assets": arg(STRS, empty_ok=True), "threat": arg(TEXT), "owner": arg(TEXT),
        "likelihood": arg(INT, True), "impact": arg(INT, True),
        "residual_likelihood": arg(INT), "residual_impact": arg(INT), "treatment": arg(ENUM),
        "controls": arg(STRS, empty_ok=True), "accepted_by": arg(TEXT),
        "accepted_at": arg(TIME), "acceptance_expires": arg(TIME), "review_at": arg(TIME)}
AUDIT = {"id": arg(NAME, True), "title": arg(TEXT), "framework": arg(NAME, True),
         "scope": arg(STRS, True), "planned_start": arg(TIME), "planned_end": arg(TIME),
         "auditor": arg(TEXT), "status": arg(ENUM)}
FINDING = {"id": arg(NAME, True), "audit": arg(NAME, True), "framework": arg(NAME, True),
           "requirement": arg(NAME, True), "kind": arg(ENUM, True), "status": arg(ENUM),
           "description": arg(TEXT), "raised_at": arg(TIME, True), "closed_at": arg(TIME),
           "owner": arg(TEXT), "root_cause": arg(TEXT), "corrective_action": arg(TEXT),
           "due_at": arg(TIME), "effectiveness_checked_at": arg(TIME),
           "effectiveness": arg(ENUM)}
# Catalogue rows from CSV or OSCAL leave columns empty: an empty parent is
# a root, an empty kind the default one.
REQUIREMENT = {"id": arg(NAME, True), "parent": arg(NAME, empty_ok=True),
               "kind": arg(NAME, empty_ok=True),
               "title": arg(TEXT), "description": arg(TEXT), "attributes": arg(ATTRS),
               "assessable": arg(BOOL), "status": arg(ENUM)}
# source is also a joint row's set (an array of 2..64 ids): test_joint.py
# covers that form; here the single-id form.
# What a dry run takes as written first: always beside dry_run.
DRY = {"dry_run": arg(BOOL)}
ASSUMING = dict(DRY, assume=arg(OBJ))
MAPPING = {"source_framework": arg(NAME, True), "source": arg(NAME, True),
           "target_framework": arg(NAME, True), "target": arg(NAME, True),
           "relationship": arg(ENUM, True), "strength": arg(INT), "rationale": arg(ENUM, empty_ok=True),
           "origin": arg(NAME, True), "note": arg(TEXT)}

ORG = "acme"
FW = "params-fw"       # a small test catalogue
SHA = "ab" * 32


def ev(eid, **kw):
    return evidence(eid, ["C1"], collected_at=1700000000, valid_until=1900000000,
                    kind="log", title="t", source="s", uri="https://x", sha256=SHA, **kw)


def ctl(cid):
    return {"id": cid, "title": "t", "owner": "o", "status": "planned",
            "links": [{"framework": FW, "id": "R1", "level": "full"},
                      {"framework": FW, "id": "R2", "level": "partial"}]}


def req(rid, **kw):
    d = {"id": rid, "title": "t", "description": "d", "kind": "control",
         "attributes": {"type": ["a", "b"]}, "assessable": True, "status": "active"}
    d.update(kw)
    return d


def asset(aid):
    return {"id": aid, "name": "n", "owner": "o", "classification": "internal"}


def risk(rid):
    return {"id": rid, "title": "t", "description": "d", "assets": ["AS1"], "threat": "th",
            "owner": "o", "likelihood": 3, "impact": 4, "residual_likelihood": 2,
            "residual_impact": 2, "treatment": "mitigate", "controls": ["C1"],
            "accepted_by": "ciso", "accepted_at": 1700000000, "acceptance_expires": 1800000000,
            "review_at": 1800000000}


def audit(aid):
    return {"id": aid, "title": "t", "framework": FW, "scope": ["R1"],
            "planned_start": 1700000000, "planned_end": 1700100000, "auditor": "a",
            "status": "planned"}


# A closed observation: what one status asks of another field does not
# get in the way of varying each alone (closed_at needs status closed).
def finding(fid):
    return {"id": fid, "audit": "IA", "framework": FW, "requirement": "R2",
            "kind": "observation", "status": "closed", "description": "d",
            "raised_at": 1700000000, "closed_at": 1700000100, "owner": "o", "root_cause": "r",
            "corrective_action": "c", "due_at": 1700000200,
            "effectiveness_checked_at": 1700000100, "effectiveness": "effective"}


def mapping(origin):
    return {"source_framework": FW, "source": "R1", "target_framework": "iso27001-2022",
            "target": "A.5.1", "relationship": "subset_of", "strength": 5,
            "rationale": "semantic", "origin": origin, "note": "why"}


# method -> {"args": {name: arg}, "bases": [valid argument maps], "setup": [calls]}
# Every argument is tested on the first base that holds it; "setup" runs
# before each case so that a valid call really succeeds (deletes need
# something to delete).
TABLE = {
    "auth": {"args": {"token": arg(TOKEN, True)}, "bases": [{"token": "t"}]},
    "hello": {"args": {"client": arg(NAME), "errors": arg(ENUM)},
              "bases": [{"client": "test-params 1.0", "errors": "standard"}]},
    "ping": {"args": {}},
    "server.info": {"args": {}},
    "server.schema": {"args": {}},
    "server.stats": {"args": {}},
    "store.check": {"args": {}},
    "log.head": {"args": {}},
    "log.verify": {"args": {"from": arg(COUNT0), "to": arg(COUNT0)},
                   "bases": [{"from": 1, "to": 5}]},
    "log.list": {"args": {"org": arg(NAME), "since": arg(COUNT0), "limit": arg(INT)},
                 "bases": [{"org": ORG, "since": 0, "limit": 10}]},
    "log.compact": {"args": {"before": arg(TIME, True)}, "bases": [{"before": 1000000000}]},
    "watch.subscribe": {"args": {"org": arg(NAME, True), "frameworks": arg(STRS, empty_ok=True),
                                 "as_of_lag": arg(DURATION), "since": arg(COUNT0),
                                 "controls": arg(BOOL)},
                        "bases": [{"org": ORG, "frameworks": [FW], "as_of_lag": "1h",
                                   "since": 0, "controls": True}]},
    "watch.unsubscribe": {"args": {"subscription": arg(COUNT0, True)},
                          "bases": [{"subscription": 1}]},
    "evidence.expiring": {"args": {"org": arg(NAME, True), "within": arg(DURATION, True),
                                   "as_of": arg(TIME), "frameworks": arg(STRS, empty_ok=True)},
                          "bases": [{"org": ORG, "within": "30d", "as_of": 1800000000,
                                     "frameworks": [FW]}]},
    "status.changes": {"args": {"org": arg(NAME, True), "framework": arg(NAME, True),
                                "from": arg(TIME, True), "to": arg(TIME)},
                       "bases": [{"org": ORG, "framework": FW, "from": 1700000000,
                                  "to": 1800000000}]},
    "coverage.period": {"args": {"org": arg(NAME, True), "framework": arg(NAME, True),
                                 "from": arg(TIME, True), "to": arg(TIME),
                                 "as_recorded": arg(BOOL), "max_hops": arg(INT)},
                        "bases": [{"org": ORG, "framework": FW, "from": "RECENT",
                                   "to": "RECENT", "as_recorded": False, "max_hops": 1}]},
    "coverage.diff": {"args": {"org": arg(NAME, True), "framework": arg(NAME, True),
                               "from": arg(TIME, True), "to": arg(TIME),
                               "as_recorded": arg(BOOL), "max_hops": arg(INT)},
                      "bases": [{"org": ORG, "framework": FW, "from": "RECENT",
                                 "to": "RECENT", "as_recorded": False, "max_hops": 1}]},
    "history.compact": {"args": {"before": arg(TIME, True)}, "bases": [{"before": 1000000000}]},
    "store.set_map_max": {"args": {"bytes": arg(INT, True)}, "bases": ["CAP"]},
    "framework.list": {"args": {}},
    "framework.get": {"args": {"framework": arg(NAME, True)}, "bases": [{"framework": FW}]},
    "requirement.get": {"args": {"framework": arg(NAME, True), "id": arg(NAME, True),
                                 "as_of": arg(TIME)},
                        "bases": [{"framework": FW, "id": "R1", "as_of": "RECENT"}]},
    "requirement.list": {
        "args": {"framework": arg(NAME, True), "parent": arg(NAME), "kind": arg(NAME),
                 "leaves_only": arg(BOOL), "assessable_only": arg(BOOL), "attribute": arg(NAME),
                 "limit": arg(INT), "cursor": arg(NAME), "as_of": arg(TIME)},
        "bases": [{"framework": FW, "parent": "R1", "kind": "control", "leaves_only": True,
                   "as_of": "RECENT",
                   "assessable_only": True, "attribute": "type=a", "limit": 10,
                   "cursor": "R1"}]},
    "requirement.search": {
        "args": {"text": arg(NAME, True), "framework": arg(NAME), "limit": arg(INT)},
        "bases": [{"text": "R", "framework": FW, "limit": 10}]},
    "catalog.load": {
        "args": dict({"framework": arg(NAME, True), "name": arg(TEXT), "version": arg(TEXT),
                      "publisher": arg(TEXT), "licence": arg(TEXT),
                      "requirements": arg(ITEMS, True, REQUIREMENT), "replace": arg(BOOL)},
                     **DRY),
        "bases": [{"framework": "load-fw", "name": "n", "version": "1", "publisher": "p",
                   "licence": "l", "requirements": [req("L1"), req("L2", parent="L1")],
                   "replace": True, "dry_run": False}]},
    "catalog.delete": {"args": {"framework": arg(NAME, True)}, "bases": [{"framework": "del-fw"}],
                       "setup": [("catalog.load", {"framework": "del-fw",
                                                   "requirements": [{"id": "D1"}]})]},
    "mapping.load": {"args": dict({"mappings": arg(ITEMS, True, MAPPING)}, **ASSUMING),
                     "bases": [{"mappings": [mapping("o1"), mapping("o2")], "dry_run": False},
                               {"mappings": [mapping("o1")], "dry_run": True,
                                "assume": {"requirements": [{"framework": FW, "id": "R1"}]}}]},
    "mapping.list": {"args": {"framework": arg(NAME, True), "id": arg(NAME),
                              "target_framework": arg(NAME), "max_hops": arg(INT),
                              "limit": arg(INT), "offset": arg(COUNT0), "as_of": arg(TIME)},
                     "bases": [{"framework": FW, "id": "R1", "target_framework": "iso27001-2022",
                                "max_hops": 2, "limit": 10, "offset": 0, "as_of": "RECENT"}]},
    "mapping.export": {"args": {"framework": arg(NAME, True), "target_framework": arg(NAME)},
                       "bases": [{"framework": FW, "target_framework": "iso27001-2022"}]},
    "mapping.check": {"args": {"framework": arg(NAME)}, "bases": [{"framework": FW}]},
    "mapping.delete": {
        "args": {"source_framework": arg(NAME), "source": arg(NAME),
                 "target_framework": arg(NAME), "target": arg(NAME), "origin": arg(NAME),
                 "framework": arg(NAME)},
        "bases": [{"source_framework": FW, "source": "R1", "target_framework": "iso27001-2022",
                   "target": "A.5.1", "origin": "del", "framework": FW}],
        "setup": [("mapping.load", {"mappings": [mapping("del")]})]},
    "org.put": {"args": dict({"org": arg(NAME, True), "name": arg(TEXT), "risk_scale": arg(INT)},
                             **DRY),
                "bases": [{"org": ORG, "name": "Acme", "risk_scale": 5, "dry_run": False}]},
    "org.get": {"args": {"org": arg(NAME, True)}, "bases": [{"org": ORG}]},
    "org.list": {"args": {}},
    "org.delete": {"args": {"org": arg(NAME, True)}, "bases": [{"org": "gone"}],
                   "setup": [("org.put", {"org": "gone"})]},
    "control.put": {
        "args": dict({"org": arg(NAME, True), "controls": arg(ITEMS, False, CONTROL)},
                     **CONTROL, **ASSUMING),
        "bases": [dict(ctl("C2"), org=ORG, dry_run=False),
                  {"org": ORG, "controls": [ctl("C3"), ctl("C4")]},
                  {"org": ORG, "controls": [ctl("C5")], "dry_run": True,
                   "assume": {"org": True, "requirements": [{"framework": FW, "id": "R9"}]}}],
        "single_field": ("controls", "id")},
    "control.get": {"args": {"org": arg(NAME, True), "id": arg(NAME, True), "as_of": arg(TIME),
                             "as_recorded": arg(BOOL)},
                    "bases": [{"org": ORG, "id": "C1", "as_of": 1800000000,
                               "as_recorded": False}]},
    "control.list": {"args": {"org": arg(NAME, True), "limit": arg(INT), "cursor": arg(NAME)},
                     "bases": [{"org": ORG, "limit": 10, "cursor": "C0"}]},
    "control.delete": {"args": {"org": arg(NAME, True), "id": arg(NAME, True)},
                       "bases": [{"org": ORG, "id": "CD"}],
                       "setup": [("control.put", {"org": ORG, "id": "CD"})]},
    "evidence.put": {
        "args": dict({"org": arg(NAME, True), "items": arg(ITEMS, False, EVIDENCE)},
                     **EVIDENCE, **ASSUMING),
        "bases": [dict(ev("E2"), org=ORG, dry_run=False),
                  {"org": ORG, "items": [ev("E3"), ev("E4")]},
                  {"org": ORG, "items": [ev("E7")], "dry_run": True,
                   "assume": {"org": True, "controls": ["C9"]}}],
        "single_field": ("items", "id")},
    "evidence.load": {"args": dict({"org": arg(NAME, True), "items": arg(ITEMS, True, EVIDENCE)},
                                   **ASSUMING),
                      "bases": [{"org": ORG, "items": [ev("E5"), ev("E6")], "dry_run": False},
                                {"org": ORG, "items": [ev("E8")], "dry_run": True,
                                 "assume": {"controls": ["C1"]}}]},
    "evidence.get": {"args": {"org": arg(NAME, True), "id": arg(NAME, True)},
                     "bases": [{"org": ORG, "id": "E1"}]},
    # a page is of the whole list: limit and cursor in a base without control
    "evidence.list": {"args": {"org": arg(NAME, True), "control": arg(NAME), "limit": arg(INT),
                               "cursor": arg(NAME)},
                      "bases": [{"org": ORG, "control": "C1"},
                                {"org": ORG, "limit": 10, "cursor": "E0"}]},
    "evidence.delete": {"args": {"org": arg(NAME, True), "id": arg(NAME, True)},
                        "bases": [{"org": ORG, "id": "ED"}],
                        "setup": [("evidence.put", dict(evidence("ED", ["C1"]), org=ORG))]},
    "scope.put": {
        "args": dict({"org": arg(NAME, True), "items": arg(ITEMS, False, SCOPE)}, **SCOPE,
                     **ASSUMING),
        "bases": [{"org": ORG, "framework": FW, "id": "R2", "applicable": False,
                   "justification": "j", "dry_run": False},
                  {"org": ORG, "framework": FW, "id": "R2", "dry_run": True,
                   "assume": {"org": True}},
                  {"org": ORG, "items": [
                      {"framework": FW, "id": "R2", "applicable": True, "justification": "j"},
                      {"framework": FW, "id": "R3", "applicable": True,
                       "justification": "k", "reasons": ["legal", "business"]}]},
                  {"org": ORG, "framework": FW, "id": "R2", "applicable": True,
                   "justification": "j", "reasons": "contractual"}],
        "single_field": ("items", "framework"),
        # reasons are for an inclusion: left out, applicable is false
        "depends": {("items[1].applicable", "nil"): BAD}},
    "scope.list": {"args": {"org": arg(NAME, True), "framework": arg(NAME)},
                   "bases": [{"org": ORG, "framework": FW}]},
    "scope.delete": {"args": {"org": arg(NAME, True), "framework": arg(NAME, True),
                              "id": arg(NAME, True)},
                     "bases": [{"org": ORG, "framework": FW, "id": "R3"}],
                     "setup": [("scope.put", {"org": ORG, "framework": FW, "id": "R3"})]},
    "coverage.get": {"args": {"org": arg(NAME, True), "framework": arg(NAME, True),
                              "as_of": arg(TIME), "max_hops": arg(INT), "detail": arg(BOOL),
                              "as_recorded": arg(BOOL)},
                     "bases": [{"org": ORG, "framework": FW, "as_of": "RECENT",
                                "max_hops": 2, "detail": True, "as_recorded": False}]},
    "gap.report": {"args": {"org": arg(NAME, True), "target": arg(NAME, True),
                            "source": arg(NAME), "as_of": arg(TIME), "max_hops": arg(INT),
                            "as_recorded": arg(BOOL)},
                   "bases": [{"org": ORG, "target": FW, "source": "iso27001-2022",
                              "as_of": 1800000000, "max_hops": 1, "as_recorded": False}]},
    "framework.compare": {"args": {"source": arg(NAME, True), "target": arg(NAME, True),
                                   "max_hops": arg(INT), "as_of": arg(TIME)},
                          "bases": [{"source": FW, "target": "soc2-2017", "max_hops": 1,
                                     "as_of": "RECENT"}]},
    "soa.get": {"args": {"org": arg(NAME, True), "as_of": arg(TIME), "version": arg(INT),
                         "as_recorded": arg(BOOL)},
                "bases": [{"org": ORG, "as_of": msgpack.Timestamp(1800000000), "as_recorded": False},
                          {"org": ORG, "version": 1}]},
    # a fresh organisation each time (versions are frozen), its SoA
    # justified row by row in setUp
    "soa.approve": {"args": {"org": arg(NAME, True), "version": arg(INT, True),
                             "approver": arg(NAME, True), "force": arg(BOOL)},
                    "bases": [{"org": "soa-org", "version": 1, "approver": "ciso",
                               "force": False}]},
    "asset.put": {
        "args": dict({"org": arg(NAME, True), "items": arg(ITEMS, False, ASSET)}, **ASSET),
        "bases": [dict(asset("AS2"), org=ORG), {"org": ORG, "items": [asset("AS3"),
                                                                      asset("AS4")]}],
        "single_field": ("items", "id")},
    "asset.get": {"args": {"org": arg(NAME, True), "id": arg(NAME, True)},
                  "bases": [{"org": ORG, "id": "AS1"}]},
    "asset.list": {"args": {"org": arg(NAME, True)}, "bases": [{"org": ORG}]},
    "asset.delete": {"args": {"org": arg(NAME, True), "id": arg(NAME, True)},
                     "bases": [{"org": ORG, "id": "ASD"}],
                     "setup": [("asset.put", {"org": ORG, "id": "ASD"})]},
    "risk.put": {
        "args": dict({"org": arg(NAME, True), "items": arg(ITEMS, False, RISK)}, **RISK),
        "bases": [dict(risk("RK2"), org=ORG), {"org": ORG, "items": [risk("RK3"),
                                                                     risk("RK4")]}],
        "single_field": ("items", "id")},
    "risk.get": {"args": {"org": arg(NAME, True), "id": arg(NAME, True), "as_of": arg(TIME)},
                 "bases": [{"org": ORG, "id": "RK1", "as_of": 1800000000}]},
    "risk.list": {"args": {"org": arg(NAME, True), "as_of": arg(TIME)},
                  "bases": [{"org": ORG, "as_of": "2026-01-31T12:00:00Z"}]},
    "risk.matrix": {"args": {"org": arg(NAME, True), "as_of": arg(TIME)},
                    "bases": [{"org": ORG, "as_of": 1800000000}]},
    "risk.delete": {"args": {"org": arg(NAME, True), "id": arg(NAME, True)},
                    "bases": [{"org": ORG, "id": "RKD"}],
                    "setup": [("risk.put", {"org": ORG, "id": "RKD", "title": "t",
                                            "likelihood": 1, "impact": 1})]},
    "audit.put": {
        "args": dict({"org": arg(NAME, True), "items": arg(ITEMS, False, AUDIT)}, **AUDIT),
        "bases": [dict(audit("AU2"), org=ORG), {"org": ORG, "items": [audit("AU3"),
                                                                      audit("AU4")]}],
        "single_field": ("items", "id")},
    "audit.get": {"args": {"org": arg(NAME, True), "id": arg(NAME, True)},
                  "bases": [{"org": ORG, "id": "IA"}]},
    "audit.list": {"args": {"org": arg(NAME, True)}, "bases": [{"org": ORG}]},
    "audit.delete": {"args": {"org": arg(NAME, True), "id": arg(NAME, True)},
                     "bases": [{"org": ORG, "id": "AUD"}],
                     "setup": [("audit.put", dict(audit("AUD"), org=ORG))]},
    "audit.checklist": {"args": {"org": arg(NAME, True), "audit": arg(NAME, True),
                                 "as_of": arg(TIME)},
                        "bases": [{"org": ORG, "audit": "IA", "as_of": 1800000000}]},
    "finding.put": {
        "args": dict({"org": arg(NAME, True), "items": arg(ITEMS, False, FINDING)}, **FINDING),
        "bases": [dict(finding("FD2"), org=ORG), {"org": ORG, "items": [finding("FD3"),
                                                                        finding("FD4")]}],
        "single_field": ("items", "id"),
        # closed_at needs status closed: left out, status is open
        "depends": {("status", "nil"): BAD, ("items[1].status", "nil"): BAD}},
    "finding.get": {"args": {"org": arg(NAME, True), "id": arg(NAME, True), "as_of": arg(TIME)},
                    "bases": [{"org": ORG, "id": "FD1", "as_of": 1800000000}]},
    "finding.list": {"args": {"org": arg(NAME, True), "audit": arg(NAME), "framework": arg(NAME),
                              "requirement": arg(NAME), "as_of": arg(TIME)},
                     "bases": [{"org": ORG, "audit": "IA", "framework": FW, "requirement": "R2",
                                "as_of": 1800000000}]},
    "finding.delete": {"args": {"org": arg(NAME, True), "id": arg(NAME, True)},
                       "bases": [{"org": ORG, "id": "FDD"}],
                       "setup": [("finding.put", dict(finding("FDD"), org=ORG))]},
}

HUGE_STR = "h" * (1 << 20)
HUGE_N = 100_000

# A value of every msgpack type, each labelled.
VALUES = {"int": 7, "negative": -7, "str": "x", "nil": None, "bin": b"x", "bool": True,
          "float": 1.5, "array": [1], "map": {"a": 1}, "ext": msgpack.ExtType(5, b"ab"),
          "timestamp": msgpack.Timestamp(1700000000)}
# The labels each kind accepts as a type (whether the value then passes is
# another matter, decided in cases()).
ACCEPTS = {NAME: {"str"}, TEXT: {"str"}, ENUM: {"str"}, TOKEN: {"str"},
           TIME: {"int", "negative", "str", "timestamp"}, INT: {"int", "negative"}, COUNT0: {"int", "negative"},
           DURATION: {"int", "negative", "str"},
           BOOL: {"bool"}, ITEMS: {"array"}, STRS: {"str", "array"}, ATTRS: {"map"},
           OBJ: {"map"},
           WORDS: {"str", "array"}}



def nest(k, kind):
    v = 1
    for _ in range(k):
        v = [v] if kind == "array" else {"k": v}
    return v


def depth(o):
    if isinstance(o, (list, tuple)) and o:
        return 1 + max(depth(x) for x in o)
    if isinstance(o, dict) and o:
        return 1 + max(max(depth(k), depth(v)) for k, v in o.items())
    return 0


# A msgpack timestamp extension (type -1) of an impossible length: packed
# as type 99, then patched, since msgpack-python refuses negative types.
BAD_TS = msgpack.ExtType(99, b"bad")
BAD_TS_PACKED, BAD_TS_WIRE = b"\xc7\x03\x63bad", b"\xc7\x03\xffbad"


def cases(kind, required, items, empty_ok=False):
    """(label, value or builder, expectation, field suffix) for one argument.
    A builder is called with the field's depth in the request."""
    out = []
    for label, v in VALUES.items():
        if label == "nil":
            out.append(("nil", None, MISSING if required else OK, ""))
        elif label not in ACCEPTS[kind]:
            out.append(("type " + label, v, BAD, ""))
    if kind == ENUM:
        out.append(("not a member", "no-such-word", BAD, ""))
    if kind == INT:
        out += [("out of range", 0, BAD, ""), ("negative", -1, BAD, ""),
                ("beyond int64", (1 << 64) - 1, BAD, "")]
    if kind == COUNT0:
        out += [("zero", 0, OK, ""), ("negative", -1, BAD, ""),
                ("beyond int64", (1 << 64) - 1, BAD, "")]
    if kind == DURATION:
        out += [("not a duration", "soon", BAD, ""), ("no unit", "90", BAD, ""),
                ("negative", -1, BAD, ""), ("beyond a century", "40000d", BAD, ""),
                ("unit alone", "d", BAD, ""), ("days", "30d", OK, ""), ("zero", 0, OK, "")]
    if kind == TIME:
        out += [("not a time", "yesterday", BAD, ""), ("beyond range", (1 << 64) - 1, BAD, ""),
                ("bad timestamp", BAD_TS, BAD, "")]
    if kind == ITEMS:
        out.append(("item not a map", ["x"], BAD, "[0]"))
    if kind == STRS:
        out.append(("element not a string", ["C1", 7], BAD, "[1]"))
    if kind == OBJ:
        out.append(("unknown field", {"orgg": True}, BAD, ".orgg"))
        out.append(("field of the wrong type", {"controls": "C1"}, BAD, ".controls"))
        out.append(("a list element of the wrong type", {"requirements": [{"framework": 7}]},
                    BAD, ".requirements[0].framework"))
    if kind == WORDS:
        out += [("not a member", "no-such-word", BAD, ""), ("empty", "", BAD, ""),
                ("empty list", [], OK, ""), ("element not a string", ["legal", 7], BAD, "[1]"),
                ("element not a member", ["legal", "x"], BAD, "[1]"),
                ("1 MiB string", HUGE_STR, BAD, ""),
                ("100k-element array", ["eight ch"] * HUGE_N, BAD, "[0]")]
    if kind == ATTRS:
        out.append(("values not strings", {"type": [1]}, BAD, ".type[0]"))
        out.append(("value a map", {"type": {"a": "b"}}, BAD, ".type"))
    # empty
    empty = {NAME: ("", BAD), TEXT: ("", OK), ENUM: ("", BAD), TOKEN: ("", OK),
             TIME: ("", BAD), DURATION: ("", BAD), ITEMS: ([], OK), STRS: ([], BAD), ATTRS: ({}, OK),
             OBJ: ({}, OK)}.get(kind)
    if empty:
        out.append(("empty", empty[0], OK if empty_ok else empty[1], ""))
    if kind == ITEMS:
        out.append(("empty map", {}, BAD, ""))
    if kind == STRS:
        out.append(("empty string", "", BAD, ""))
    # huge
    if kind in (NAME, TEXT, ENUM, TIME, DURATION):
        out.append(("1 MiB string", HUGE_STR, BAD, ""))
    if kind == TOKEN:
        out.append(("1 MiB string", HUGE_STR, OK, ""))
    if kind in (NAME, TEXT, ENUM, TOKEN, TIME, INT, BOOL, DURATION):
        # strings, not one-byte ints: those decode to 24 times their size
        # and are refused by the framing (test_bounds.py)
        out.append(("100k-element array", ["eight ch"] * HUGE_N, BAD, ""))
    if kind == ITEMS:
        out.append(("100k items, last bad", "HUGE_ITEMS", BAD, "[%d]" % (HUGE_N - 1)))
    if kind == STRS:
        out.append(("100k ids, last bad", ["C1"] * (HUGE_N - 1) + [7], BAD,
                    "[%d]" % (HUGE_N - 1)))
        out.append(("4097 ids", ["C1"] * 4097, BAD, ""))
    if kind == ATTRS:
        out.append(("100k attributes", {"a%d" % i: ["v"] for i in range(HUGE_N)}, BAD, ""))
        out.append(("4097 values", {"type": ["v"] * 4097}, BAD, ""))
    # nesting, at the limit (a wrong type) and beyond it (too_large)
    for nk in ("array", "map"):
        out.append(("nested %s at the limit" % nk, ("NEST", nk, 0), BAD, None))
        out.append(("nested %s over the limit" % nk, ("NEST", nk, 1), "too_large", None))
    return out


class ParamsTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.start()
        self.c = self.srv.client()
        self.addCleanup(lambda: self.c.close())
        c = self.c
        c.ok("catalog.load", {"framework": FW, "requirements": [
            req("R1"), req("R2", parent="R1"), req("R3", parent="R1")]})
        c.ok("org.put", {"org": ORG})
        c.ok("control.put", {"org": ORG, "id": "C1",
                             "links": [{"framework": FW, "id": "R2"}]})
        c.ok("evidence.put", dict(evidence("E1", ["C1"]), org=ORG))
        c.ok("asset.put", {"org": ORG, "id": "AS1"})
        c.ok("risk.put", dict(risk("RK1"), org=ORG))
        c.ok("audit.put", dict(audit("IA"), org=ORG))
        c.ok("finding.put", dict(finding("FD1"), org=ORG))
        c.ok("soa.approve", {"org": ORG, "version": 1, "approver": "ciso", "force": True})
        # soa.approve's organisation, made afresh before each case with
        # every Annex A row included for a reason
        annex = [{"framework": "iso27001-2022", "id": r["id"], "applicable": True,
                  "reasons": "business"}
                 for r in c.ok("requirement.list", {"framework": "iso27001-2022",
                                                    "assessable_only": True})
                 if r["id"].startswith("A.")]
        TABLE["soa.approve"]["setup"] = [
            ("org.put", {"org": "soa-org"}), ("org.delete", {"org": "soa-org"}),
            ("org.put", {"org": "soa-org"}), ("scope.put", {"org": "soa-org", "items": annex})]
        self.table = method_table(c)
        info = c.ok("server.info")
        self.max_depth = info["limits"]["max_depth"]
        self.cap = info["storage"]["map_size_max"]
        # a time at which the organisations above are recorded (history)
        self.recent = int(time.time())
        self.count = 0

    def resolve(self, b):
        if b == "CAP":
            return {"bytes": self.cap}
        return {k: self.recent if v == "RECENT" else v for k, v in b.items()}

    # -- helpers --
    def base(self, method, name=None):
        for b in TABLE[method].get("bases", [{}]):
            b = self.resolve(b)
            if name is None or name in b:
                return clone(b)
        raise AssertionError("%s: no base holds %r" % (method, name))

    def request_ok(self, method, args):
        for m, a in TABLE[method].get("setup", []):
            self.c.ok(m, a)
        err, res = self.c.call(method, args)
        return err, res

    def expect(self, method, args, want, field, what):
        """One case on self.c: the answer, then a ping on the same
        connection (or, past the depth limit, the close)."""
        self.count += 1
        for m, a in TABLE[method].get("setup", []):
            self.c.ok(m, a)
        msgid, data = self.c.pack_request(method, args)
        self.c.send_raw(data.replace(BAD_TS_PACKED, BAD_TS_WIRE))
        if want == "too_large":
            msgs = self.c.read_until_closed(30)
            self.assertEqual(len(msgs), 1, msgs)
            self.assertEqual(msgs[0][1], 0)  # answered with msgid 0
            self.assertError(msgs[0][2], TOO_LARGE, contains="nesting")
            self.c.close()
            self.c = self.srv.client()
            self.assertEqual(self.c.call("ping"), (None, "pong"))
            return
        msg = self.c.recv_response(msgid)
        err, res = msg[2], msg[3]
        if want == OK:
            self.assertIsNone(err, "%s: %s should succeed" % (method, what))
        else:
            self.assertIsNotNone(err, "%s: %s should fail, got %r" % (method, what, res))
            self.assertEqual(err[0], INVALID_PARAMS, err)
            prefix = "%s: %s" % (ERROR_NAMES[INVALID_PARAMS], field)
            self.assertTrue(err[1].startswith(prefix) and err[1][len(prefix)] in ":[.",
                            "%s: %s: error should name %r: %r" % (method, what, field, err))
            if want == MISSING:
                self.assertEqual(err[1], prefix + ": missing")
            self.assertIsNone(res)
        self.assertEqual(self.c.call("ping"), (None, "pong"),
                         "%s: connection unusable after %s" % (method, what))

    def nested(self, args, path, nk, extra):
        """Sets the value at path so that the whole request nests exactly
        max_depth (+ extra) deep."""
        for k in range(0, 64):
            put(args, path, nest(k, nk))
            d = depth([0, 1, "m", [args]])
            if d == self.max_depth + extra:
                return args
        raise AssertionError("cannot reach depth %d at %r" % (self.max_depth + extra, path))

    def run_cases(self, method, base, path, field, spec):
        single = TABLE[method].get("single_field")
        for label, value, want, suffix in cases(spec["kind"], spec["required"], spec["items"],
                                             spec["empty_ok"]):
            with self.subTest(method=method, field=field, case=label):
                args = clone(base)
                f = field
                if isinstance(value, tuple) and value[0] == "NEST":
                    self.nested(args, path, value[1], value[2])
                    suffix = ""
                elif isinstance(value, str) and value == "HUGE_ITEMS":
                    first = get(base, path)[0]
                    filler = {k: v for k, v in first.items() if spec["items"][k]["required"]}
                    put(args, path, [filler] * (HUGE_N - 1) + [7])
                else:
                    put(args, path, value)
                if label == "nil" and single and path == [single[0]]:
                    # no list: the call is a single item, which lacks its fields
                    want, f = MISSING, single[1]
                want = TABLE[method].get("depends", {}).get((field, label), want)
                self.expect(method, args, want, f + suffix, label)
        if spec["required"]:
            with self.subTest(method=method, field=field, case="absent"):
                args = clone(base)
                remove(args, path)
                self.expect(method, args, MISSING, field, "absent")
        if spec["kind"] == ITEMS:
            # every field of the second item, and so of its sub-lists
            items = get(base, path)
            self.assertGreaterEqual(len(items), 2, "%s: base needs two %s" % (method, field))
            self.assertEqual(set(items[1]), set(spec["items"]),
                             "%s: the second of %s should hold every field" % (method, field))
            for name, sub in spec["items"].items():
                self.run_cases(method, base, path + [1, name], "%s[1].%s" % (field, name), sub)

    # -- tests --
    def test_table_matches_server(self):
        """The cases here follow server.schema: the same methods, argument
        names, required arguments and item fields."""
        self.assertEqual(set(TABLE), set(self.table),
                         "methods added to or removed from server/methods.def need a row here")
        items = self.c.ok("server.schema")["items"]

        def fields(item):
            return {f["name"]: f for f in items[item]["fields"]}

        def same_items(spec, item, where):
            got = fields(item)
            self.assertEqual(set(spec), set(got), where)
            for name, f in got.items():
                self.assertEqual(spec[name]["required"], f["required"], where + "." + name)
                if spec[name]["kind"] == ITEMS:
                    same_items(spec[name]["items"], f["item"], where + "." + name)

        for method, (_, keys, args) in self.table.items():
            with self.subTest(method=method):
                self.assertEqual(set(TABLE[method]["args"]), set(keys))
                for name in keys:
                    self.base(method, name)  # every argument has a base to vary
                for a in args:
                    spec = TABLE[method]["args"][a["name"]]
                    if a["type"] == "ITEM_OR_LIST":
                        # the item's fields are arguments too
                        self.assertFalse(spec["required"])
                        same_items(spec["items"], a["item"], method + "." + a["name"])
                        for name, f in fields(a["item"]).items():
                            self.assertEqual(TABLE[method]["args"][name]["required"],
                                             f["required"], method + "." + name)
                        continue
                    self.assertEqual(spec["required"], a["required"], method + "." + a["name"])
                    if a["type"] == "LIST":
                        same_items(spec["items"], a["item"], method + "." + a["name"])

    def test_bases_succeed(self):
        for method in sorted(TABLE):
            for b in TABLE[method].get("bases", [{}]):
                b = self.resolve(b)
                with self.subTest(method=method, base=sorted(b)):
                    err, res = self.request_ok(method, b or None)
                    self.assertIsNone(err, err)

    def test_unknown_arguments(self):
        for method in sorted(TABLE):
            with self.subTest(method=method):
                for name in ("no_such_arg", "Org", "org ", "x" * 200):
                    args = self.base(method)
                    args[name] = 1
                    err, _ = self.c.call(method, args)
                    self.assertEqual(err[0], INVALID_PARAMS, err)
                    self.assertTrue(err[1].startswith("invalid_params: %s: unknown argument"
                                                      % name[:60]), err)
                    self.assertIn("accepted: ", err[1])
                    for k in self.table[method][1]:
                        self.assertIn(k, err[1])
                    self.assertEqual(self.c.call("ping"), (None, "pong"))
                # a bin argument name is accepted like a str one
                args = {k.encode(): v for k, v in self.base(method).items()}
                for m, a in TABLE[method].get("setup", []):
                    self.c.ok(m, a)
                if args:
                    err, _ = self.c.call(method, args)
                    self.assertIsNone(err, err)
                # a non-string name
                err, _ = self.c.call(method, {7: 1})
                self.assertEqual(err[0], INVALID_PARAMS, err)
                self.assertIn("params: argument names must be strings", err[1])

    def test_single_item_fields_beside_a_list(self):
        for method, lst in (("control.put", "controls"), ("evidence.put", "items"),
                            ("scope.put", "items"), ("asset.put", "items"), ("risk.put", "items"),
                            ("audit.put", "items"), ("finding.put", "items")):
            single = self.base(method)
            bulk = self.base(method, lst)
            for name in single:
                if name in ("org", "dry_run", "assume"):  # the call's, not the item's
                    continue
                with self.subTest(method=method, field=name):
                    args = dict(bulk, **{name: single[name]})
                    self.expect(method, args, BAD, name, "%s beside %s" % (name, lst))
            # nil beside the list is the same as absent
            args = dict(bulk, id=None)
            self.expect(method, args, OK, "", "id nil beside " + lst)

    def test_every_argument(self):
        for method in sorted(TABLE):
            for name, spec in TABLE[method]["args"].items():
                base = self.base(method, name)
                self.run_cases(method, base, [name], name, spec)
        # control.put / evidence.put / scope.put single items: a missing id
        # (or framework) is named as such
        for method, field in (("control.put", "id"), ("evidence.put", "id"),
                              ("scope.put", "framework"), ("asset.put", "id"), ("risk.put", "id"),
                              ("audit.put", "id"), ("finding.put", "id")):
            args = self.base(method)
            del args[field]
            self.expect(method, args, MISSING, field, "single item without " + field)
        # nested item lists: a link of a control in a bulk put
        args = self.base("control.put", "controls")
        args["controls"][1]["links"][1]["id"] = 7
        self.expect("control.put", args, BAD, "controls[1].links[1].id", "deep field")
        args = self.base("control.put", "controls")
        args["controls"][1]["links"][0]["id"] = "NO-SUCH"
        self.expect("control.put", args, BAD, "controls[1].links[0].id", "dangling link")
        print("\n%d argument cases" % self.count)


# -- paths into nested argument maps --
def clone(o):
    if isinstance(o, dict):
        return {k: clone(v) for k, v in o.items()}
    if isinstance(o, list):
        return [clone(v) for v in o]
    return o


def get(o, path):
    for p in path:
        o = o[p]
    return o


def put(o, path, value):
    get(o, path[:-1])[path[-1]] = value


def remove(o, path):
    del get(o, path[:-1])[path[-1]]


if __name__ == "__main__":
    unittest.main()
