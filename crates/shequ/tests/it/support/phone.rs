//! A person's hands on a 375 px phone: logging in through the login form, picking an option,
//! opening a page, sending a form and waiting for the page that answers it. Shared by the
//! browser tests that fill the product's forms (`forms_covered.rs` keeps every form filled).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::webdriver::{Browser, Element};
use super::{PASSWORD, Server};

pub const WAIT: Duration = Duration::from_secs(15);

/// A phone with `user` logged in through the login form.
pub fn login(srv: &Server, user: &str) -> Browser {
    let br = Browser::start().unwrap();
    br.goto(&format!("{}/login", srv.base)).unwrap();
    br.wait_for("form#login-form", WAIT).unwrap();
    let f = br.form("login-form").unwrap();
    f.find("input[name=username]")
        .unwrap()
        .send_keys(user)
        .unwrap();
    f.find("input[name=password]")
        .unwrap()
        .send_keys(PASSWORD)
        .unwrap();
    f.find("button[type=submit]").unwrap().click().unwrap();
    br.wait_until_gone("input[name=password]", WAIT).unwrap();
    br.wait_for("h1", WAIT).unwrap();
    br
}

/// Picks the option showing `text` in the form's select, by tapping it.
pub fn choose(br: &Browser, form: &Element<'_>, select: &str, text: &str) {
    let sel = form.find(select).unwrap();
    let index = br
        .execute(
            "const o = Array.from(arguments[0].options).findIndex(o => o.text.trim() === arguments[1]);\
             return o + 1;",
            vec![sel.as_arg(), Value::from(text)],
        )
        .unwrap()
        .as_i64()
        .unwrap();
    assert!(index > 0, "no option {text} in {select}");
    sel.click().unwrap();
    form.find(&format!("{select} option:nth-child({index})"))
        .unwrap()
        .click()
        .unwrap();
}

/// Opens `path` and waits for `ready`; the page is printed when it never comes.
pub fn open(br: &Browser, srv: &Server, path: &str, ready: &str) {
    br.goto(&format!("{}{path}", srv.base)).unwrap();
    if let Err(e) = br.wait_for(ready, WAIT) {
        panic!("{path}: {e}\n{}", br.page_source().unwrap_or_default());
    }
}

/// Taps the form's submit button and waits for the page that answers it: a new document, which
/// has not got the mark left on the old one.
pub fn submit_within(br: &Browser, form: &Element<'_>, wait: Duration) {
    br.execute("window.__beforeSubmit = true;", vec![]).unwrap();
    form.find("button[type=submit]").unwrap().click().unwrap();
    let started = Instant::now();
    loop {
        let done = br
            .execute(
                "return window.__beforeSubmit === undefined && document.readyState === 'complete';",
                vec![],
            )
            .unwrap_or(Value::Bool(false));
        if done == Value::Bool(true) {
            break;
        }
        assert!(
            started.elapsed() < wait,
            "the form was sent but no page came back"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn submit(br: &Browser, form: &Element<'_>) {
    submit_within(br, form, WAIT);
}

/// Opens the `<details>` a form sits in, and those inside it, as a person taps their summaries.
pub fn open_details_of(br: &Browser, form_id: &str) {
    br.execute(
        "const d = document.querySelector('form#' + arguments[0]).closest('details'); if (d) d.open = true; \
         document.querySelectorAll('form#' + arguments[0] + ' details').forEach(x => x.open = true);",
        vec![Value::from(form_id)],
    )
    .unwrap();
}

/// The page fits the phone's 375 px: nothing to scroll sideways to.
pub fn fits(br: &Browser, page: &str) {
    let w = br
        .execute("return document.documentElement.scrollWidth;", vec![])
        .unwrap();
    assert!(
        w.as_i64().unwrap() <= 375,
        "{page} is wider than the phone: {w}px"
    );
}

/// Types a date into a date field digit by digit, in the order the field shows its parts (which
/// follows the browser's locale: month/day/year or year/month/day), as a person reads it.
pub fn type_date(field: &Element<'_>, day: chrono::NaiveDate) {
    let wanted = day.format("%Y-%m-%d").to_string();
    for order in ["%m%d%Y", "%Y%m%d", "%d%m%Y"] {
        field.clear().unwrap();
        field.send_keys(&day.format(order).to_string()).unwrap();
        if field.value().unwrap() == wanted {
            return;
        }
    }
    panic!(
        "the date field took none of the orders of {wanted}: {:?}",
        field.value()
    );
}
