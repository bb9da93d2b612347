//! Building a small registry over the API for a test: nodes, residents, anything created.

use chrono::NaiveDate;
use serde_json::{Value, json};
use shequ_domain::IdNumber;

use super::Api;

/// POSTs `body` to `path`, expects 201 and returns the new record's id.
pub fn created(api: &Api, path: &str, body: Value) -> i64 {
    let (s, v) = api.post(path, body);
    assert_eq!(s, 201, "{path}: {v}");
    v["id"].as_i64().unwrap()
}

/// A new node of `kind` under `parent`.
pub fn add_node(api: &Api, parent: i64, kind: &str, name: &str) -> i64 {
    created(
        api,
        "/api/v1/nodes",
        json!({"parent_id": parent, "kind": kind, "name": name}),
    )
}

/// A person living in `room` from `since`; `household` joins an existing one; `more` adds
/// fields of the person. `who` is (name, birth date, sequence number: odd for a man); the ID
/// number is generated from them.
pub fn resident(
    api: &Api,
    (name, born, seq): (&str, &str, u16),
    room: i64,
    since: &str,
    household: Option<(i64, &str)>,
    more: Value,
) -> i64 {
    let born = NaiveDate::parse_from_str(born, "%Y-%m-%d").unwrap();
    let id = IdNumber::generate("110105", born, seq).unwrap();
    let mut person = json!({"name": name, "id_number": id.as_str()});
    for (k, v) in more.as_object().unwrap() {
        person[k] = v.clone();
    }
    created(
        api,
        "/api/v1/persons",
        json!({
            "person": person,
            "residence": {
                "room_id": room,
                "household_id": household.map(|h| h.0),
                "relation": household.map(|h| h.1),
                "moved_in_on": since
            }
        }),
    )
}
