//! The OpenAPI document the server serves is valid by a validator written by others
//! (openapi-spec-validator, through scripts/openapi-validate), and says what the API does:
//! query parameters are in the query, `GET /api/v1/tag-kinds` answers in its documented shape,
//! and a creation answers with the version the first edit needs. The document is also kept as
//! a snapshot (snapshots/openapi.json), so that an API change is a diff someone reviews.

use crate::support;

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use support::{Server, sql_int};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

#[test]
fn the_served_document_passes_an_openapi_validator() {
    let srv = Server::start(20);
    let (s, doc) = support::Api::anonymous(&srv.base).get("/api/openapi.json");
    assert_eq!(s, 200, "{doc}");
    let file = std::env::temp_dir().join(format!("shequ-openapi-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let out = Command::new(repo_root().join("scripts/openapi-validate"))
        .arg(&file)
        .output()
        .expect("scripts/openapi-validate runs (python3 with venv: scripts/test installs it)");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "openapi-spec-validator refused the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Where the query parameters are declared, seen as a client generator would.
    let params = |path: &str| -> Vec<(String, String)> {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("no parameters for {path}"))
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["in"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let q = |n: &str| (n.to_string(), "query".to_string());
    let id = ("id".to_string(), "path".to_string());
    assert_eq!(
        params("/api/v1/nodes/{id}/mediation-rates"),
        [id.clone(), q("from"), q("to")]
    );
    assert_eq!(
        params("/api/v1/nodes/{id}/mediation-cases"),
        [id.clone(), q("open")]
    );
    assert_eq!(
        params("/api/v1/nodes/{id}/due-patrols"),
        [id.clone(), q("days")]
    );
    let tickets = params("/api/v1/nodes/{id}/tickets");
    for name in ["state", "overdue", "limit"] {
        assert!(
            tickets.contains(&q(name)),
            "{name} in the query: {tickets:?}"
        );
    }
}

#[test]
fn tag_kinds_answer_in_their_documented_shape() {
    let srv = Server::start(20);
    let api = support::Api::anonymous(&srv.base);
    let (s, doc) = api.get("/api/openapi.json");
    assert_eq!(s, 200);
    let schema = &doc["paths"]["/api/v1/tag-kinds"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert_eq!(schema["type"], "array", "documented as a list: {schema}");
    let item = schema["items"]["$ref"].as_str().unwrap_or_default();
    let name = item.rsplit('/').next().unwrap();
    let props = &doc["components"]["schemas"][name]["properties"];
    assert!(props.is_object(), "{name} is described: {doc}");

    let (s, kinds) = api.get("/api/v1/tag-kinds");
    assert_eq!(s, 200, "{kinds}");
    let kinds = kinds.as_array().unwrap();
    for k in kinds {
        for key in k.as_object().unwrap().keys() {
            assert!(props.get(key).is_some(), "{key} is undocumented in {name}");
        }
    }
    let dibao = kinds.iter().find(|k| k["code"] == "dibao").unwrap();
    assert_eq!(dibao["target"], "household");
    assert_eq!(
        dibao["category"],
        json!({"label": "低保类别", "values": ["A类", "B类", "C类"]})
    );
    let disability = kinds.iter().find(|k| k["code"] == "disability").unwrap();
    assert_eq!(
        disability["grade"],
        json!({"label": "残疾等级", "min": 1, "max": 4})
    );
    let risk = disability["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "risk")
        .unwrap();
    assert_eq!(risk["type"], "choice");
    assert_eq!(risk["choices"], json!(["低风险", "中风险", "高风险"]));
    // No internal enum shapes leak through.
    let text = serde_json::to_string(kinds).unwrap();
    assert!(!text.contains("\"Choice\""), "{text}");
}

#[test]
fn a_creation_answers_with_the_version_the_first_edit_needs() {
    let srv = Server::start(20);
    let head = srv.api("shuji");
    let community = sql_int(
        &srv.db,
        "SELECT s.node_id FROM user_scopes s JOIN users u ON u.id = s.user_id WHERE u.username = 'shuji'",
    );
    let (s, v) = head.post(
        "/api/v1/nodes",
        json!({"parent_id": community, "kind": "grid", "name": "第七网格"}),
    );
    assert_eq!(s, 201, "{v}");
    let grid = v["id"].as_i64().unwrap();
    let version = v["version"].clone();
    assert!(version.is_i64(), "the version comes with the id: {v}");
    // Edited at once with what the creation said, no read in between.
    let (s, e) = head.send(
        "PATCH",
        &format!("/api/v1/nodes/{grid}"),
        json!({"name": "第七网格（东）", "version": version}),
    );
    assert_eq!(s, 200, "{e}");

    let (s, v) = head.post(
        "/api/v1/mediation-cases",
        json!({"node_id": grid, "type_code": "neighbour", "summary": "停车位纠纷。",
               "parties": [{"side": "applicant", "name": "甲某"}, {"side": "respondent", "name": "乙某"}]}),
    );
    assert_eq!(s, 201, "{v}");
    let case = v["id"].as_i64().unwrap();
    let (s, e) = head.post(
        &format!("/api/v1/mediation-cases/{case}/sessions"),
        json!({"notes": "双方到场，初步沟通。", "version": v["version"]}),
    );
    assert_eq!(s, 200, "{e}");

    let (s, v) = head.post(
        "/api/v1/tickets",
        json!({"node_id": grid, "category_code": "0102", "title": "楼道堆物", "photos": support::hazard_photos()}),
    );
    assert_eq!(s, 201, "{v}");
    let (_, t) = head.get(&format!("/api/v1/tickets/{}", v["id"]));
    assert_eq!(v["version"], t["ticket"]["version"], "{t}");
}

/// The served document against the committed snapshot `tests/it/snapshots/openapi.json` (pretty,
/// keys sorted), so that any change to the API shows up as a diff in review rather than passing
/// unseen. After a deliberate change, `SHEQU_UPDATE_SNAPSHOTS=1 cargo test -p shequ --test it
/// openapi` rewrites the file; commit it with the change.
#[test]
fn the_served_document_matches_its_snapshot() {
    let srv = Server::start(20);
    let (s, doc) = support::Api::anonymous(&srv.base).get("/api/openapi.json");
    assert_eq!(s, 200, "{doc}");
    let served = format!("{}\n", serde_json::to_string_pretty(&sorted(&doc)).unwrap());
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots/openapi.json");
    if std::env::var("SHEQU_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &served).unwrap();
    }
    let kept = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; write it with SHEQU_UPDATE_SNAPSHOTS=1 cargo test -p shequ --test it openapi",
            file.display()
        )
    });
    if kept == served {
        return;
    }
    let copy =
        std::env::temp_dir().join(format!("shequ-openapi-served-{}.json", std::process::id()));
    std::fs::write(&copy, &served).unwrap();
    panic!(
        "the served OpenAPI document differs from {}:\n{}\n\
         the whole served document: {}\n  (diff -u {} {})\n\
         if the API change is meant, rewrite the snapshot with\n  \
         SHEQU_UPDATE_SNAPSHOTS=1 cargo test -p shequ --test it openapi\nand commit it with the change",
        file.display(),
        first_differences(&kept, &served),
        copy.display(),
        file.display(),
        copy.display()
    );
}

/// The same JSON with every object's keys in byte order, whatever map serde_json was built with.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let keys: std::collections::BTreeMap<&String, &Value> = m.iter().collect();
            Value::Object(
                keys.into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Where the two texts differ, as `-snapshot` / `+served` lines, the first few places in full:
/// enough to see what changed without a diff tool.
fn first_differences(kept: &str, served: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (kept.lines().collect(), served.lines().collect());
    let hunks = hunks(&a, &b);
    let mut out = format!("{} place(s) differ", hunks.len());
    for (line, gone, came) in hunks.iter().take(3) {
        out.push_str(&format!("\nat line {line} of the snapshot:\n"));
        for (sign, lines) in [('-', gone), ('+', came)] {
            for l in lines.iter().take(12) {
                out.push_str(&format!("{sign}{l}\n"));
            }
            if lines.len() > 12 {
                out.push_str(&format!("{sign}… {} more line(s)\n", lines.len() - 12));
            }
        }
    }
    out
}

/// The runs of lines that differ: after each mismatch, the nearest place (fewest lines passed
/// over on both sides) where three lines agree again, so an insertion shows as the lines
/// inserted rather than as everything after it.
fn hunks<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(usize, Vec<&'a str>, Vec<&'a str>)> {
    let agree = |x: usize, y: usize| {
        (0..3).all(|k| match (a.get(x + k), b.get(y + k)) {
            (Some(p), Some(q)) => p == q,
            (None, None) => true,
            _ => false,
        })
    };
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            (i, j) = (i + 1, j + 1);
            continue;
        }
        let (x, y) = (1..=400)
            .flat_map(|d| (0..=d).map(move |x| (i + x, j + d - x)))
            .find(|&(x, y)| x <= a.len() && y <= b.len() && agree(x, y))
            .unwrap_or((a.len(), b.len()));
        out.push((i + 1, a[i..x].to_vec(), b[j..y].to_vec()));
        (i, j) = (x, y);
    }
    out
}
