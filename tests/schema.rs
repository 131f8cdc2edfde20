//! docs/report.schema.json describes the JSON report as it is written:
//! real reports validate against it, and against a strict copy that
//! forbids members the schema does not describe, so a field added to the
//! report without its description fails here.

mod common;

use common::{corpus, fixture, report_json};
use serde_json::Value;

fn schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The schema with `additionalProperties: false` on every object that
/// lists its properties. Readers get the open schema (fields may be
/// added); the tests hold the report to the strict one.
fn strict(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("properties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

fn errors(schema: &Value, report: &Value) -> Vec<String> {
    let validator = jsonschema::draft202012::new(schema).expect("a valid draft 2020-12 schema");
    validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn assert_valid(name: &str, report: &Value) {
    for schema in [schema(), strict(schema())] {
        let errors = errors(&schema, report);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn real_reports_match_the_schema() {
    let access = fixture("access.log");
    let access = access.to_str().unwrap();
    let r = report_json(&[access]);
    assert_valid("access.log", &r);

    let r = report_json(&[access, "--since", "2100-01-01"]);
    assert!(r["period"]["first"].is_null(), "an empty report");
    assert_valid("empty", &r);

    let apache = corpus("apache/elastic_apache_logs.log");
    let r = report_json(&[apache.to_str().unwrap(), "--clients"]);
    assert!(!r["clients"].as_array().unwrap().is_empty());
    assert_valid("apache corpus with --clients", &r);

    let db = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/geo/maxmind-test/MaxMind-DB-test-broken-pointers-24.mmdb"
    );
    let r = report_json(&[access, "--geoip", db]);
    assert!(r["geoip"]["lookup_errors"].is_u64());
    assert_valid("access.log with a GeoIP database", &r);

    let caddy = fixture("caddy.log");
    let r = report_json(&[caddy.to_str().unwrap(), "--log-format", "json"]);
    assert!(r["response_time"].is_object(), "times are read");
    assert!(!r["vhosts"].as_array().unwrap().is_empty());
    assert_valid("caddy.log", &r);

    let (a, b) = (fixture("goals-a.log"), fixture("goals-b.log"));
    let r = report_json(&[
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--goal",
        "signup=POST /accounts/signup 3xx",
        "--funnel",
        "checkout=/cart,/checkout,signup",
    ]);
    assert!(!r["goals"].as_array().unwrap().is_empty());
    assert!(!r["goal_channels"].as_array().unwrap().is_empty());
    assert!(!r["funnels"].as_array().unwrap().is_empty());
    assert_valid("goals and funnels", &r);

    let languages = fixture("languages.log");
    let r = report_json(&[
        languages.to_str().unwrap(),
        "--log-format",
        r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{Accept-Language}i""#,
    ]);
    assert!(!r["languages"].as_array().unwrap().is_empty());
    assert_valid("languages", &r);
    let dir = tempfile::tempdir().unwrap();
    let spike = dir.path().join("spike.log");
    std::fs::write(&spike, common::scenarios::spike()).unwrap();
    let r = report_json(&[spike.to_str().unwrap()]);
    assert_eq!(r["incidents"].as_array().unwrap().len(), 1);
    assert_valid("a log with an incident", &r);
}

#[test]
fn a_wrong_report_fails_validation() {
    let access = fixture("access.log");
    let good = report_json(&[access.to_str().unwrap()]);
    let schema = schema();
    for (pointer, bad) in [
        ("/summary/hits", Value::from("18")),
        ("/summary/bounce_rate", Value::from(1.5)),
        ("/timeseries/bucket", Value::from("week")),
        ("/response_time", Value::from(12)),
        ("/goals", Value::from("none")),
    ] {
        let mut r = good.clone();
        match r.pointer_mut(pointer) {
            Some(field) => *field = bad,
            // Optional sections, absent from this report.
            None => r[&pointer[1..]] = bad,
        }
        assert!(!errors(&schema, &r).is_empty(), "{pointer} passed");
    }
    let mut r = good.clone();
    r.as_object_mut().unwrap().remove("summary");
    assert!(!errors(&schema, &r).is_empty(), "a missing summary passed");
    // Readers' schema lets fields be added; the strict one does not.
    let mut r = good;
    r["summary"]["new_figure"] = Value::from(1);
    assert!(errors(&schema, &r).is_empty());
    assert!(!errors(&strict(schema), &r).is_empty());
}

#[test]
fn reports_from_a_state_match_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("site.state");
    let access = fixture("access.log");
    let args = [access.to_str().unwrap(), "--state", state.to_str().unwrap()];
    // The first run counts the input as new, the second as continued.
    for cursor in ["new", "continued"] {
        let r = report_json(&args);
        assert_eq!(r["inputs"][0]["state"]["cursor"], cursor);
        assert_valid(cursor, &r);
    }
}
