//! The 事件设置 page's forms and the dispatch list's 停用 buttons on a 375 px phone, filled as a
//! person would in a real headless Chromium: the district administrator keeps the district's
//! categories, time limits, holidays and checklists; a community head adds the community's own
//! 小类, time limit and checklist items and retires dispatch targets. Each submission is checked
//! in the stored records (SQL on the test's own database).

use crate::support;

use chrono::{Datelike, Weekday};
use support::phone::{WAIT, choose, login, open, submit};
use support::webdriver::{Browser, Element};
use support::{Server, sql_int};

/// Submits a settings form and checks the page said 已保存 (an error page would not).
fn save(br: &Browser, form: &Element<'_>) {
    submit(br, form);
    let url = br.current_url().unwrap();
    assert!(
        url.ends_with("/settings/tickets?saved=1"),
        "not saved: {url}\n{}",
        br.find("main").and_then(|m| m.text()).unwrap_or_default()
    );
}

/// Replaces the text of a field as a person would: select all, type over it.
fn retype(form: &Element<'_>, css: &str, text: &str) {
    let field = form.find(css).unwrap();
    field.clear().unwrap();
    field.send_keys(text).unwrap();
}

/// One text value from the database (trimmed).
fn sql_text(srv: &Server, query: &str) -> String {
    let (ok, out) = srv.db.sql(query);
    assert!(ok, "{query}: {out}");
    out.trim().to_string()
}

/// The community the head `shuji` keeps.
fn shujis_community(srv: &Server) -> i64 {
    sql_int(
        &srv.db,
        "SELECT n.community_id FROM user_scopes s JOIN users u ON u.id = s.user_id \
         JOIN org_nodes n ON n.id = s.node_id WHERE u.username = 'shuji'",
    )
}

/// Types a date into an `<input type=date>` segment by segment, as on a phone's keyboard, in
/// the order the browser's locale shows the segments (headless Chromium may not follow
/// `--lang`), and checks the field took it.
fn type_date(br: &Browser, form: &Element<'_>, css: &str, day: chrono::NaiveDate) {
    let input = form.find(css).unwrap();
    let order = br
        .execute(
            "return new Intl.DateTimeFormat().formatToParts(new Date(2000, 10, 22))\
               .map(p => p.type).filter(t => t === 'year' || t === 'month' || t === 'day');",
            vec![],
        )
        .unwrap();
    let order: Vec<&str> = order
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(order.len(), 3, "the date's segments: {order:?}");
    let mut keys = String::new();
    for (i, part) in order.iter().enumerate() {
        match *part {
            // Two digits fill a month or a day and move on; a year takes more, so move on by hand.
            "month" => keys.push_str(&format!("{:02}", day.month())),
            "day" => keys.push_str(&format!("{:02}", day.day())),
            _ => {
                keys.push_str(&format!("{:04}", day.year()));
                if i + 1 < order.len() {
                    keys.push('\u{E014}'); // ArrowRight
                }
            }
        }
    }
    // Focused from outside, the field starts at its first segment.
    br.execute("arguments[0].focus();", vec![input.as_arg()])
        .unwrap();
    input.send_keys(&keys).unwrap();
    assert_eq!(input.value().unwrap(), day.to_string(), "the date typed");
}

#[test]
fn the_district_administrator_sets_limits_categories_holidays_and_checklists_on_a_phone() {
    let srv = Server::start(50);
    let br = login(&srv, "quji");
    open(&br, &srv, "/settings/tickets", "form#category-form");
    assert!(
        br.find("#settings-scope")
            .unwrap()
            .text()
            .unwrap()
            .contains("全区"),
        "the district's own view"
    );

    // 处置时限: 复杂 becomes 20 calendar days for the whole district.
    let f = br.form("limit-complex").unwrap();
    retype(&f, "input[name=amount]", "20");
    choose(&br, &f, "select[name=unit]", "天");
    save(&br, &f);
    assert_eq!(
        sql_text(
            &srv,
            "SELECT amount || ' ' || unit FROM ticket_time_limits WHERE code = 'complex'"
        ),
        "20 days"
    );

    // 事件类别: a new 小类 under 市容环境 with its own time limits.
    let f = br.form("category-form").unwrap();
    f.find("input[name=code]")
        .unwrap()
        .send_keys("0108")
        .unwrap();
    f.find("input[name=name]")
        .unwrap()
        .send_keys("共享单车乱停放")
        .unwrap();
    choose(&br, &f, "select[name=limit_normal]", "即时处置");
    choose(
        &br,
        &f,
        "select[name=limit_urgent]",
        "紧急（危及生命财产安全）",
    );
    save(&br, &f);
    br.wait_until_text_contains("#category-0108", "共享单车乱停放", WAIT)
        .unwrap();
    assert_eq!(
        sql_text(
            &srv,
            "SELECT parent_code || ' ' || name || ' ' || limit_normal || ' ' || limit_urgent || ' ' || active \
             FROM ticket_categories WHERE code = '0108' AND community_id IS NULL"
        ),
        "01 共享单车乱停放 quick urgent 1"
    );

    // 停用, then 重新启用, the same 小类 from its row.
    let active = |srv: &Server| {
        sql_int(
            &srv.db,
            "SELECT active FROM ticket_categories WHERE code = '0108'",
        )
    };
    let f = br.form("toggle-0108").unwrap();
    assert_eq!(f.find("button").unwrap().text().unwrap(), "停用");
    save(&br, &f);
    assert_eq!(active(&srv), 0);
    br.wait_until_text_contains("#category-0108", "已停用", WAIT)
        .unwrap();
    let f = br.form("toggle-0108").unwrap();
    assert_eq!(f.find("button").unwrap().text().unwrap(), "重新启用");
    save(&br, &f);
    assert_eq!(active(&srv), 1);
    assert_eq!(
        sql_text(
            &srv,
            "SELECT name || ' ' || limit_normal FROM ticket_categories WHERE code = '0108'"
        ),
        "共享单车乱停放 quick",
        "the toggle keeps the name and the time limit"
    );

    // 节假日与调休: a Saturday worked in exchange for a holiday, about a month ahead.
    let mut day = shequ_store::today() + chrono::Duration::days(30);
    while day.weekday() != Weekday::Sat {
        day += chrono::Duration::days(1);
    }
    let f = br.form("day-form").unwrap();
    type_date(&br, &f, "input[name=day]", day);
    f.find("input[name=workday][value='1']")
        .unwrap()
        .click()
        .unwrap();
    f.find("input[name=name]")
        .unwrap()
        .send_keys("春节调休")
        .unwrap();
    save(&br, &f);
    assert_eq!(
        sql_text(
            &srv,
            &format!("SELECT workday || ' ' || name FROM calendar_days WHERE day = '{day}'")
        ),
        "1 春节调休"
    );
    br.wait_until_text_contains("#days", "春节调休", WAIT)
        .unwrap();

    // 巡查清单: the district's 安全巡查 checklist, one item a line.
    let f = br.form("checklist-safety").unwrap();
    retype(
        &f,
        "textarea[name=items]",
        "楼道堆物\n电动车进楼入户\n消防通道堵塞\n",
    );
    save(&br, &f);
    let stored: Vec<String> = serde_json::from_str(&sql_text(
        &srv,
        "SELECT checklist FROM patrol_types WHERE code = 'safety'",
    ))
    .unwrap();
    assert_eq!(stored, ["楼道堆物", "电动车进楼入户", "消防通道堵塞"]);
}

#[test]
fn a_community_head_adds_the_communitys_own_subcategory_limit_and_checklist_items_on_a_phone() {
    let srv = Server::start(50);
    let community = shujis_community(&srv);
    let br = login(&srv, "shuji");
    open(&br, &srv, "/settings/tickets", "form#category-form");
    // The district's rows are not the head's to change, nor are the holidays.
    assert!(
        br.find("form#toggle-0101").is_err(),
        "a district 小类 offers no 停用 to a head"
    );
    assert!(
        br.find("form#day-form").is_err(),
        "holidays are the district's"
    );

    // 本社区的小类 under 市容环境, using the district's time limits by name.
    let f = br.form("category-form").unwrap();
    f.find("input[name=code]")
        .unwrap()
        .send_keys("0190")
        .unwrap();
    f.find("input[name=name]")
        .unwrap()
        .send_keys("小区内飞线充电")
        .unwrap();
    choose(&br, &f, "select[name=limit_normal]", "一般");
    save(&br, &f);
    br.wait_until_text_contains("#category-0190", "本社区", WAIT)
        .unwrap();
    assert_eq!(
        sql_text(
            &srv,
            &format!(
                "SELECT parent_code || ' ' || name || ' ' || limit_normal || ' ' || limit_urgent || ' ' || active \
                 FROM ticket_categories WHERE code = '0190' AND community_id = {community}"
            )
        ),
        "01 小区内飞线充电 general urgent 1"
    );

    // …and 停用 it from its row.
    let f = br.form("toggle-0190").unwrap();
    save(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT active FROM ticket_categories WHERE code = '0190'"
        ),
        0
    );

    // 本社区时限: 一般 is 5 working days here; the district's stays as it was.
    let district_before = sql_text(
        &srv,
        "SELECT amount || ' ' || unit FROM ticket_time_limits WHERE code = 'general'",
    );
    let f = br.form("limit-general").unwrap();
    retype(&f, "input[name=amount]", "5");
    choose(&br, &f, "select[name=unit]", "工作日");
    save(&br, &f);
    assert_eq!(
        sql_text(
            &srv,
            &format!(
                "SELECT amount || ' ' || unit FROM community_time_limits WHERE community_id = {community} AND code = 'general'"
            )
        ),
        "5 working_days"
    );
    assert_eq!(
        sql_text(
            &srv,
            "SELECT amount || ' ' || unit FROM ticket_time_limits WHERE code = 'general'"
        ),
        district_before
    );

    // 巡查清单: the community's own items after the district's 消防巡查 list.
    let district_before = sql_text(
        &srv,
        "SELECT checklist FROM patrol_types WHERE code = 'fire'",
    );
    let f = br.form("checklist-fire").unwrap();
    retype(&f, "textarea[name=items]", "地下车库充电桩\n老年食堂燃气\n");
    save(&br, &f);
    let own: Vec<String> = serde_json::from_str(&sql_text(
        &srv,
        &format!(
            "SELECT items FROM community_checklist_items WHERE community_id = {community} AND type_code = 'fire'"
        ),
    ))
    .unwrap();
    assert_eq!(own, ["地下车库充电桩", "老年食堂燃气"]);
    assert_eq!(
        sql_text(
            &srv,
            "SELECT checklist FROM patrol_types WHERE code = 'fire'"
        ),
        district_before
    );
}

#[test]
fn a_community_head_retires_a_default_and_an_own_dispatch_target_on_a_phone() {
    let srv = Server::start(50);
    let community = shujis_community(&srv);
    let br = login(&srv, "shuji");
    let page = format!("/nodes/{community}/dispatch-targets");
    open(&br, &srv, &page, "form#add-target");

    // A default of the district's: 停用 leaves it for other communities, hides it here.
    let default = sql_int(
        &srv.db,
        "SELECT id FROM dispatch_targets WHERE community_id IS NULL AND name = '市场监管所'",
    );
    let f = br.form(&format!("retire-target-{default}")).unwrap();
    submit(&br, &f);
    br.wait_for("form#add-target", WAIT).unwrap();
    assert!(br.find(&format!("form#retire-target-{default}")).is_err());
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT count(*) FROM dispatch_targets WHERE community_id = {community} AND name = '市场监管所' AND active = 0"
            )
        ),
        1
    );
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT active FROM dispatch_targets WHERE id = {default}")
        ),
        1,
        "the district's default stays for the other communities"
    );

    // The community's own target, added on the page and then retired.
    let f = br.form("add-target").unwrap();
    choose(&br, &f, "select[name=kind]", "物业公司");
    f.find("input[name=name]")
        .unwrap()
        .send_keys("凤凰物业二期项目部")
        .unwrap();
    submit(&br, &f);
    let own = sql_int(
        &srv.db,
        &format!(
            "SELECT id FROM dispatch_targets WHERE community_id = {community} AND name = '凤凰物业二期项目部' AND active = 1"
        ),
    );
    let f = br.form(&format!("retire-target-{own}")).unwrap();
    submit(&br, &f);
    br.wait_for("form#add-target", WAIT).unwrap();
    assert!(br.find(&format!("form#retire-target-{own}")).is_err());
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT active FROM dispatch_targets WHERE id = {own}")
        ),
        0
    );
}

#[test]
fn a_community_head_locks_a_reported_period_and_releases_it_on_a_phone() {
    let srv = Server::start(50);
    let community = shujis_community(&srv);
    let br = login(&srv, "shuji");
    let page = format!("/nodes/{community}/period-lock");
    open(&br, &srv, &page, "form#lock-form");
    assert!(
        br.find("#lock-state")
            .unwrap()
            .text()
            .unwrap()
            .contains("未锁定")
    );

    let through = shequ_domain::clock::today() - chrono::Duration::days(40);
    let f = br.form("lock-form").unwrap();
    type_date(&br, &f, "input[name=through_on]", through);
    f.find("input[name=reason]")
        .unwrap()
        .send_keys("上半年工作总结已上报")
        .unwrap();
    submit(&br, &f);
    br.wait_until_text_contains("#lock-state", "已锁定至", WAIT)
        .unwrap();
    assert_eq!(
        sql_text(
            &srv,
            &format!(
                "SELECT through_on || ' ' || reason || ' ' || locked_by FROM period_locks \
                 WHERE community_id = {community} AND released_at IS NULL"
            )
        ),
        format!("{through} 上半年工作总结已上报 社区 王书记")
    );

    // Released with a reason: the lock stays on record, released.
    let f = br.form("release-form").unwrap();
    f.find("input[name=reason]")
        .unwrap()
        .send_keys("补录上级反馈的漏报走访")
        .unwrap();
    submit(&br, &f);
    br.wait_until_text_contains("#lock-state", "未锁定", WAIT)
        .unwrap();
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT count(*) FROM period_locks WHERE community_id = {community} \
                 AND released_at IS NOT NULL AND released_by IS NOT NULL"
            )
        ),
        1
    );
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT count(*) FROM audit_log WHERE action IN ('period.lock', 'period.release')"
        ),
        2
    );
}
