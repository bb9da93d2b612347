//! A grid worker on a 375 px phone, in a real headless Chromium: logs in, opens their grid,
//! finds a resident by pinyin initials, corrects the phone number and sees the change.

use crate::support;

use shequ_domain::registry::names::NameKeys;
use support::phone::{WAIT, fits};
use support::webdriver::Browser;
use support::{PASSWORD, Server};

#[test]
fn grid_worker_finds_a_resident_by_initials_and_corrects_the_phone() {
    let srv = Server::start(300);
    // Whom to look for: the first resident of the worker's grid, as the API sees them.
    let api = srv.api("wangge");
    let (_, me) = api.get("/api/v1/me");
    let grid = me["scope"][0].as_i64().unwrap();
    let (_, buildings) = api.get(&format!("/api/v1/nodes/{grid}/children"));
    let b = buildings[0]["node"]["id"].as_i64().unwrap();
    let (_, units) = api.get(&format!("/api/v1/nodes/{b}/children"));
    let u = units[0]["node"]["id"].as_i64().unwrap();
    let (_, rooms) = api.get(&format!("/api/v1/nodes/{u}/children"));
    let room = rooms
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["people"].as_i64().unwrap() > 0)
        .unwrap();
    let (_, residents) = api.get(&format!("/api/v1/nodes/{}/residents", room["node"]["id"]));
    let name = residents[0]["name"].as_str().unwrap().to_string();
    let pid = residents[0]["person_id"].as_i64().unwrap();
    let initials = NameKeys::of(&name).initials;

    let br = Browser::start().unwrap();
    br.goto(&format!("{}/", srv.base)).unwrap();
    br.wait_for("input[name=username]", WAIT)
        .unwrap()
        .send_keys("wangge")
        .unwrap();
    br.find("input[name=password]")
        .unwrap()
        .send_keys(PASSWORD)
        .unwrap();
    br.find("form button[type=submit].primary")
        .unwrap()
        .click()
        .unwrap();
    // The start page first; the grid is one tap away.
    br.wait_for("#areas a", WAIT).unwrap().click().unwrap();
    br.wait_until_text_contains("h1", "第1网格", WAIT).unwrap();
    fits(&br, "the grid page");
    assert!(br.page_source().unwrap().contains("1幢"));

    br.find("input[name=q]")
        .unwrap()
        .send_keys(&initials)
        .unwrap();
    br.find("form.search button").unwrap().click().unwrap();
    br.wait_until_text_contains("h1", &format!("搜索“{initials}”"), WAIT)
        .unwrap();
    fits(&br, "the search results");
    let link = br
        .find_all("ul.results a")
        .unwrap()
        .into_iter()
        .find(|a| a.attr("href").unwrap().as_deref() == Some(&format!("/people/{pid}")))
        .unwrap_or_else(|| panic!("{name} not among the results for {initials}"));
    link.click().unwrap();
    br.wait_until_text_contains("h1", &name, WAIT).unwrap();
    fits(&br, "the profile");

    br.find("a[href$='/edit']").unwrap().click().unwrap();
    let phone = br.wait_for("input[name=phone]", WAIT).unwrap();
    phone.clear().unwrap();
    phone.send_keys("139 0871 6543").unwrap();
    br.find("button.primary").unwrap().click().unwrap();
    // Shown masked, as every number is until someone reveals it with a reason.
    br.wait_until_text_contains("#phone", "139****6543", WAIT)
        .unwrap();
    let _ = br.screenshot_png(std::env::temp_dir().join("shequ-profile-375.png"));

    // The change is stored, not just shown: the whole number finds the person.
    let (_, p) = api.get(&format!("/api/v1/persons/{pid}"));
    assert_eq!(p["person"]["phone"], "139****6543");
    let (_, hits) = api.get("/api/v1/persons?q=13908716543");
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .any(|h| h["person_id"] == pid),
        "{hits}"
    );
}
