//! The guard of issue 11's point 5: every form a user can submit is filled, submitted and checked
//! by a browser test at 375 px. A form is known by its `id`; a browser test names the form it
//! fills through `Browser::form("id")` (support/webdriver.rs), which also refuses to run at any
//! other width than the phone's. This test reads the templates and the tests' sources and fails
//! for a form with no id, two forms with one id, a form no test fills, a test that fills a form
//! no template has (a renamed form), or a test file left out of the binary (not in `main.rs`,
//! or a binary of its own directly in tests/). There is no list of exceptions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files_under(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// The value of `name="…"` inside one tag's text, if present.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().last();
        let after = &rest[i + name.len()..];
        if before.is_some_and(char::is_whitespace) && after.starts_with("=\"") {
            let v = &after[2..];
            return v.find('"').map(|end| v[..end].to_string());
        }
        rest = &rest[i + name.len()..];
    }
    None
}

/// Every `<form …>` of the templates: `template#id pattern` → where it is. An id with template
/// expressions (`step-{{ s.action }}`) becomes a pattern whose `*` stands for any text.
fn template_forms() -> (BTreeMap<String, String>, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/templates");
    let mut files = Vec::new();
    files_under(&root, "html", &mut files);
    let mut forms = BTreeMap::new();
    let mut problems = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        let mut at = 0;
        while let Some(i) = text[at..].find("<form") {
            let start = at + i;
            let end = start + text[start..].find('>').unwrap_or(text.len() - start);
            let tag = &text[start..end];
            let line = text[..start].lines().count().max(1);
            at = end;
            match attribute(tag, "id") {
                None => problems.push(format!(
                    "{rel}:{line}: a form without an id: give it one, and a browser test that fills it"
                )),
                Some(id) => {
                    let pattern = wildcard(&id);
                    if let Some(other) = forms.insert(pattern.clone(), format!("{rel}:{line}")) {
                        problems.push(format!(
                            "{rel}:{line}: the form id {pattern} is also used at {other}"
                        ));
                    }
                }
            }
        }
    }
    (forms, problems)
}

/// `step-{{ s.action }}` → `step-*`.
fn wildcard(id: &str) -> String {
    let mut out = String::new();
    let mut rest = id;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        out.push('*');
        rest = rest[i..].find("}}").map_or("", |j| &rest[i + j + 2..]);
    }
    out.push_str(rest);
    out
}

/// A glob where `*` stands for one or more characters (a template expression is never empty).
fn matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_prefix('*') {
        Some(rest) => (1..=id.len())
            .filter(|&k| id.is_char_boundary(k))
            .any(|k| matches(rest, &id[k..])),
        None => match (pattern.chars().next(), id.chars().next()) {
            (None, None) => true,
            (Some(p), Some(c)) if p == c => matches(&pattern[p.len_utf8()..], &id[c.len_utf8()..]),
            _ => false,
        },
    }
}

/// The ids the browser tests fill: every `.form("…")` and `.form(&format!("…{x}"))` in the
/// integration tests' sources (this folder, `tests/it/`, support included); a `{…}` of a format
/// string stands for any text, like a template's `{{ … }}`. A file that `main.rs` does not
/// declare as a module is a problem: its tests never run, so its forms are not filled.
fn filled_ids(problems: &mut Vec<String>) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let main = std::fs::read_to_string(root.join("main.rs")).unwrap();
    let declared: Vec<&str> = main
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    // A file directly in tests/ is a binary of its own, which this scan does not read.
    for entry in std::fs::read_dir(root.parent().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "rs") {
            problems.push(format!(
                "{}: a test binary of its own; move it into tests/it/ as a module (see tests/it/main.rs)",
                path.display()
            ));
        }
    }
    let mut files = Vec::new();
    files_under(&root, "rs", &mut files);
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.strip_prefix(&root).unwrap().display().to_string();
        if name == "forms_covered.rs" {
            continue; // this file names the calls it looks for
        }
        // `support/phone.rs` belongs to `mod support;`, `api.rs` to `mod api;`.
        let module = name.split(['/', '.']).next().unwrap_or_default();
        if name != "main.rs" && !declared.contains(&module) {
            problems.push(format!(
                "tests/it/{name} is not declared in tests/it/main.rs (`mod {module};`): its tests never run"
            ));
        }
        for opening in [".form(\"", ".form(&format!(\""] {
            let mut rest = text.as_str();
            while let Some(i) = rest.find(opening) {
                let v = &rest[i + opening.len()..];
                if let Some(end) = v.find('"') {
                    out.push((braces_as_wildcards(&v[..end]), name.clone()));
                }
                rest = v;
            }
        }
    }
    out
}

/// `tag-end-{tag}` → `tag-end-*`.
fn braces_as_wildcards(id: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for ch in id.chars() {
        match ch {
            '{' => {
                if depth == 0 {
                    out.push('*');
                }
                depth += 1;
            }
            '}' => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// A test's id (perhaps with wildcards of its own) fills a template's form pattern.
fn fills(pattern: &str, id: &str) -> bool {
    pattern == id || matches(pattern, id)
}

#[test]
fn every_form_in_the_templates_is_filled_by_a_browser_test() {
    let (forms, mut problems) = template_forms();
    assert!(
        forms.len() >= 30,
        "the scan found only {} forms: is the templates folder where this test looks?",
        forms.len()
    );
    let filled = filled_ids(&mut problems);
    for (pattern, place) in &forms {
        let by: Vec<&str> = filled
            .iter()
            .filter(|(id, _)| fills(pattern, id))
            .map(|(_, file)| file.as_str())
            .collect();
        if by.is_empty() {
            problems.push(format!(
                "{place}: no browser test fills the form #{pattern}: write one that fills it at 375 px with Browser::form(\"{pattern}\"), submits it and checks the stored record"
            ));
        }
    }
    for (id, file) in &filled {
        if !forms.keys().any(|p| fills(p, id)) {
            problems.push(format!(
                "{file} fills #{id}, which no template has: a renamed form?"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn patterns_match_as_meant() {
    assert_eq!(wildcard("step-{{ s.action }}"), "step-*");
    assert_eq!(wildcard("a-{{ x }}-b-{{ y }}"), "a-*-b-*");
    assert!(matches("step-*", "step-accept"));
    assert!(!matches("step-*", "step-"));
    assert!(!matches("step-*", "steps-accept"));
    assert!(matches("visit-form", "visit-form"));
    assert!(!matches("visit-form", "visit-form2"));
    assert!(matches("a-*-b-*", "a-1-b-2"));
    assert!(!matches("a-*-b-*", "a-1-c-2"));
    assert_eq!(braces_as_wildcards("tag-end-{tag}"), "tag-end-*");
    assert!(fills("tag-end-*", &braces_as_wildcards("tag-end-{tag}")));
    assert!(!fills("tag-end-*", "tag-new"));
    assert_eq!(
        attribute(r#"<form method="post" id="x-1" class="c""#, "id"),
        Some("x-1".into())
    );
    assert_eq!(attribute(r#"<form data-id="y""#, "id"), None);
}
