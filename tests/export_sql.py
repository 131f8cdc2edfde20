#!/usr/bin/env python3
"""Runs the queries of docs/sql/ with DuckDB over exports made by logstats,
and checks that each gives the figures of logstats' own JSON report of the
same input. Called by tests/export.rs, which makes the logs:

    export_sql.py LOGSTATS WORKDIR CASES.json

CASES.json is a list of {"name", "exports": [[log, ...], ...], "args": [...],
"export_args": [...]} ("args" go to both commands, "export_args" to export):
each inner list is exported on its own (as one machine would), and the
report is made of all the logs together, in order. Exits 1 on the first
figure that differs, saying which.
"""

import json
import os
import subprocess
import sys

import duckdb

SQL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "sql")

# file, report section, key columns, figure columns, whether it holds for
# exports read together (tables of visits need one export's visit columns).
TABLES = [
    ("status_codes.sql", "status_codes", ["status"], ["hits"], True),
    ("pages.sql", "pages", ["path"], ["pageviews", "visitors"], True),
    ("countries.sql", "countries", ["country"], ["visitors", "pageviews"], True),
    ("devices.sql", "devices", ["name"], ["visitors"], True),
    ("bots.sql", "bots", ["name"], ["hits"], True),
    ("not_found.sql", "not_found", ["path"], ["hits"], True),
    ("channels.sql", "channels", ["channel"], ["visits"], False),
    ("referrers.sql", "referrers", ["host"], ["visits"], False),
    ("landing_pages.sql", "landing_pages", ["path"], ["visits", "bounces"], False),
    ("exit_pages.sql", "exit_pages", ["path"], ["visits"], False),
    ("search_terms.sql", "search_terms", ["term"], ["visits"], False),
    ("campaigns.sql", "campaigns", ["source", "medium", "campaign"], ["visits"], False),
]

SUMMARY = ["hits", "pageviews", "visitors", "bytes", "bot_hits", "static_hits",
           "status_4xx", "status_5xx"]


def fail(case, what, expected, got):
    print(f"FAIL {case}: {what}\n  report: {expected}\n  sql:    {got}")
    sys.exit(1)


def query(con, name):
    with open(os.path.join(SQL, name)) as f:
        rel = con.sql(f.read())
    return rel.columns, rel.fetchall()


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"FAIL: {' '.join(cmd)} exited {done.returncode}: {done.stderr}")
        sys.exit(1)
    return done.stdout


def check_case(logstats, work, case):
    name = case["name"]
    args = case.get("args", [])
    dirs = []
    for i, logs in enumerate(case["exports"]):
        out = os.path.join(work, name, f"host={i}")
        run([logstats, "export", *logs, *args, *case.get("export_args", []), "-o", out])
        dirs.append(out)
    everything = [log for logs in case["exports"] for log in logs]
    report = json.loads(run([logstats, "report", *everything, *args,
                             "--format", "json", "--top", "0"]))
    together = len(dirs) > 1

    con = duckdb.connect()
    globs = ", ".join(f"'{d}/**/*.parquet'" for d in dirs)
    con.sql(f"CREATE VIEW hits AS SELECT * FROM read_parquet([{globs}], "
            "hive_partitioning = true)")
    checked = []

    columns, rows = query(con, "summary.sql")
    got = dict(zip(columns, rows[0]))
    fields = SUMMARY if together else SUMMARY + ["visits", "bounces"]
    for field in fields:
        expected = report["summary"][field]
        if (got[field] or 0) != expected:
            fail(name, f"summary.sql {field}", expected, got[field])
    checked.append("summary.sql")

    columns, rows = query(con, "visits.sql")
    got = dict(zip(columns, rows[0]))
    for field in ["visits", "bounces"]:
        if (got[field] or 0) != report["summary"][field]:
            fail(name, f"visits.sql {field}", report["summary"][field], got[field])
    checked.append("visits.sql")

    for file, section, keys, figures, across in TABLES:
        if together and not across:
            continue
        columns, rows = query(con, file)
        got = [tuple(dict(zip(columns, r))[c] for c in keys + figures) for r in rows]
        expected = [tuple(row[c] for c in keys + figures) for row in report[section]]
        if got != expected:
            missing = [r for r in expected if r not in got][:5]
            extra = [r for r in got if r not in expected][:5]
            fail(name, f"{file} ({len(expected)} rows in the report, {len(got)} from SQL)",
                 f"{missing} ...", f"{extra} ...")
        checked.append(f"{file} ({len(got)} rows)")
    # Each export's own visits, added up: across machines, more than the
    # visits the sessionization finds (visits cut between machines).
    apart = con.sql("SELECT count(*) FROM (SELECT DISTINCT host, visit_id FROM hits "
                    "WHERE visit_id IS NOT NULL) AS v").fetchall()[0][0]
    print(f"ok: {name}: {report['summary']['hits']} hits, "
          f"{report['summary']['visits']} visits ({apart} counted per export); "
          f"{', '.join(checked)}")


def main():
    logstats, work, cases = sys.argv[1:4]
    with open(cases) as f:
        for case in json.load(f):
            check_case(logstats, work, case)


if __name__ == "__main__":
    main()
