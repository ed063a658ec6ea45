"""The organisation the CLI report tests share: ISO/IEC 27001:2022 controls
of 'acme' with evidence, and two test crosswalk rows that make a control
meet a SOC 2 criterion in full through a single row (the shipped
ISO 27001 -> SOC 2 rows that give met are joint rows, which need every
member of their set in place)."""
import json
import os
import tempfile

ORG = "acme"

MAPPINGS = [
    {"source_framework": "iso27001-2022", "source": "A.5.15", "target_framework": "soc2-2017",
     "target": "CC6.1", "relationship": "equal", "strength": 8, "origin": "cli-test"},
    {"source_framework": "iso27001-2022", "source": "A.8.15", "target_framework": "soc2-2017",
     "target": "CC7.2", "relationship": "superset_of", "strength": 7, "origin": "cli-test"},
]

CONTROLS = [
    {"id": "POL-1", "title": "Information security policy", "status": "implemented",
     "links": [{"framework": "iso27001-2022", "id": "A.5.1", "level": "full"}]},
    {"id": "AC-1", "title": "Access control", "status": "implemented",
     "links": [{"framework": "iso27001-2022", "id": "A.5.15", "level": "full"}]},
    {"id": "LOG-1", "title": "Central logging", "status": "planned",
     "links": [{"framework": "iso27001-2022", "id": "A.8.15", "level": "full"}]},
    {"id": "VULN-1", "title": "Vulnerability scanning", "status": "implemented",
     "links": [{"framework": "iso27001-2022", "id": "A.8.8", "level": "full"}]},
]

EVIDENCE = [
    {"id": "EV-1", "controls": ["POL-1"], "kind": "document", "title": "Policy v3",
     "collected_at": "2026-11-01T09:00:00Z", "result": "pass"},
    {"id": "EV-2", "controls": ["AC-1"], "kind": "test", "title": "Access review Q4",
     "collected_at": "2026-11-02T09:00:00Z", "result": "pass"},
    {"id": "EV-3", "controls": ["VULN-1"], "kind": "scan", "title": "Nessus scan",
     "collected_at": "2026-11-03T09:00:00Z", "result": "fail"},
]

AS_OF = "2026-11-20T00:00:00Z"


def load_with_call(case):
    """Loads the fixture with `crosswalk call` (no importer needed)."""
    case.ok("call", "org.put", json.dumps({"org": ORG, "name": "Acme Ltd"}))
    case.ok("call", "mapping.load", json.dumps({"mappings": MAPPINGS}))
    case.ok("call", "control.put", json.dumps({"org": ORG, "controls": CONTROLS}))
    case.ok("call", "evidence.load", json.dumps({"org": ORG, "items": EVIDENCE}))


HAVE_IMPORT = os.environ.get("CW_HAVE_IMPORT", "").upper() in ("ON", "1", "TRUE")

# The same data as the project's CSV files (tools/cli/README.md).
CROSSWALK_CSV = (
    "source_framework,source_id,target_framework,target_id,relationship,strength,rationale,origin\n"
    "iso27001-2022,A.5.15,soc2-2017,CC6.1,equal,8,semantic,cli-test\n"
    "iso27001-2022,A.8.15,soc2-2017,CC7.2,superset_of,7,functional,cli-test\n")
CONTROLS_CSV = (
    "id,title,owner,status,links\n"
    "POL-1,Information security policy,ciso,implemented,iso27001-2022/A.5.1:full\n"
    "AC-1,Access control,it,implemented,iso27001-2022/A.5.15:full\n"
    "LOG-1,Central logging,ops,planned,iso27001-2022/A.8.15:full\n"
    "VULN-1,Vulnerability scanning,sec,implemented,iso27001-2022/A.8.8:full\n")
EVIDENCE_CSV = (
    "id,controls,kind,title,source,uri,sha256,collected_at,valid_until,result\n"
    "EV-1,POL-1,document,Policy v3,wiki,,,2026-11-01T09:00:00Z,,pass\n"
    "EV-2,AC-1,test,Access review Q4,iam,,,2026-11-02T09:00:00Z,,pass\n"
    "EV-3,VULN-1,scan,Nessus scan,nessus,,,2026-11-03T09:00:00Z,,fail\n")


def write_csv_files(tmp):
    """Writes the fixture as crosswalk, controls and evidence CSV files."""
    paths = []
    for name, text in (("crosswalk.csv", CROSSWALK_CSV), ("controls.csv", CONTROLS_CSV),
                       ("evidence.csv", EVIDENCE_CSV)):
        path = os.path.join(tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        paths.append(path)
    return paths


def load_fixture(case):
    """Loads the fixture with `crosswalk load` and CSV files when the build
    has the importers, else with `crosswalk call`."""
    if not HAVE_IMPORT:
        load_with_call(case)
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = case.ok("load", "--org", ORG, *write_csv_files(tmp))
    case.assertIn("created", out)
