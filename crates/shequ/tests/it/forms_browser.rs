//! The registry's and the tree's forms on a 375 px phone, filled as a person would in a real
//! headless Chromium, each submission checked in the stored records (SQL on the test's own
//! database). Together with the other browser tests this covers every form of the templates
//! (`forms_covered.rs` keeps it so).

use crate::support;

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::Value;
use shequ_domain::registry::id_number::IdNumber;
use support::phone::{WAIT, choose, login, open, open_details_of, submit};
use support::webdriver::Browser;
use support::{Server, grid_of_wangge, occupied_room, sql_int};

#[test]
fn a_grid_worker_registers_tags_groups_relocates_and_moves_out_a_resident_on_a_phone() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let room = occupied_room(&srv, grid);
    let br = login(&srv, "wangge");

    // 搜索: the header's search box finds the room's first resident by name.
    let someone = sql_int(
        &srv.db,
        &format!(
            "SELECT MIN(person_id) FROM residences WHERE room_id = {room} AND moved_out_on IS NULL"
        ),
    );
    let (_, name) = srv
        .db
        .sql(&format!("SELECT name FROM persons WHERE id = {someone}"));
    let name = name.trim().to_string();
    let f = br.form("search").unwrap();
    f.find("input[name=q]").unwrap().send_keys(&name).unwrap();
    submit(&br, &f);
    br.wait_until_text_contains("main", &name, WAIT).unwrap();

    // 房屋: the room is let; the landlord's details are kept.
    open(&br, &srv, &format!("/nodes/{room}"), "form#housing-form");
    br.find("form#housing-form").unwrap();
    br.execute(
        "document.querySelector('form#housing-form').closest('details').open = true;",
        vec![],
    )
    .unwrap();
    let f = br.form("housing-form").unwrap();
    choose(&br, &f, "select[name=usage]", "出租");
    let landlord = f.find("input[name=landlord_name]").unwrap();
    landlord.clear().unwrap();
    landlord.send_keys("房东甲").unwrap();
    let phone = f.find("input[name=landlord_phone]").unwrap();
    phone.clear().unwrap();
    phone.send_keys("13912345678").unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM housing WHERE room_id = {room} AND usage = '出租' AND landlord_name = '房东甲'"
            )
        ),
        1
    );

    // 登记人员: a newborn-free adult joins the room's household.
    let id = IdNumber::generate("110105", NaiveDate::from_ymd_opt(1990, 4, 12).unwrap(), 77)
        .unwrap()
        .as_str()
        .to_string();
    open(
        &br,
        &srv,
        &format!("/people/new?room={room}"),
        "form#person-form",
    );
    let f = br.form("person-form").unwrap();
    f.find("input[name=name]")
        .unwrap()
        .send_keys("表单甲")
        .unwrap();
    f.find("input[name=id_number]")
        .unwrap()
        .send_keys(&id)
        .unwrap();
    f.find("input[name=phone]")
        .unwrap()
        .send_keys("13800001234")
        .unwrap();
    choose(&br, &f, "select[name=relation]", "子");
    submit(&br, &f);
    br.wait_until_text_contains("h1", "表单甲", WAIT).unwrap();
    let pid = sql_int(&srv.db, "SELECT id FROM persons WHERE name = '表单甲'");
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM residences WHERE person_id = {pid} AND room_id = {room} AND moved_out_on IS NULL"
            )
        ),
        1
    );

    // 修改信息: the notes are corrected on the same form.
    open(
        &br,
        &srv,
        &format!("/people/{pid}/edit"),
        "form#person-form",
    );
    let f = br.form("person-form").unwrap();
    f.find("textarea[name=notes]")
        .unwrap()
        .send_keys("表单测试备注")
        .unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT COUNT(*) FROM persons WHERE id = {pid} AND notes = '表单测试备注'")
        ),
        1
    );

    // 重点人群: 新增 → 独居老人 form → saved; then ended with a reason.
    open(&br, &srv, &format!("/people/{pid}"), "form#tag-new");
    let f = br.form("tag-new").unwrap();
    choose(&br, &f, "select[name=kind]", "空巢/独居老人");
    submit(&br, &f);
    br.wait_for("form#tag-form", WAIT).unwrap();
    let f = br.form("tag-form").unwrap();
    choose(&br, &f, "select[name=category]", "独居");
    f.find("input[name=emergency_contact]")
        .unwrap()
        .send_keys("女儿 13900001111")
        .unwrap();
    submit(&br, &f);
    let tag = sql_int(
        &srv.db,
        &format!(
            "SELECT id FROM tags WHERE person_id = {pid} AND kind = 'elderly_alone' AND category = '独居' AND ended_on IS NULL"
        ),
    );
    br.wait_for(&format!("form#tag-end-{tag}"), WAIT).unwrap();
    br.execute(
        "document.querySelector(arguments[0]).closest('details').open = true;",
        vec![Value::from(format!("form#tag-end-{tag}"))],
    )
    .unwrap();
    let f = br.form(&format!("tag-end-{tag}")).unwrap();
    f.find("input[name=reason]")
        .unwrap()
        .send_keys("子女接回同住")
        .unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM tags WHERE id = {tag} AND ended_on IS NOT NULL AND end_reason = '子女接回同住'"
            )
        ),
        1
    );

    // 十联户: a new group on the grid page, the household joins it, the person leads it.
    open(&br, &srv, &format!("/nodes/{grid}"), "form#group-new");
    let f = br.form("group-new").unwrap();
    f.find("input[name=name]")
        .unwrap()
        .send_keys("表单联户")
        .unwrap();
    submit(&br, &f);
    let group = sql_int(
        &srv.db,
        &format!("SELECT id FROM household_groups WHERE grid_id = {grid} AND name = '表单联户'"),
    );
    open(&br, &srv, &format!("/people/{pid}"), "form#person-group");
    let f = br.form("person-group").unwrap();
    choose(&br, &f, "select[name=group_id]", "表单联户");
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM households h JOIN residences r ON r.household_id = h.id \
                      WHERE r.person_id = {pid} AND r.moved_out_on IS NULL AND h.group_id = {group}"
            )
        ),
        1
    );
    br.wait_for("form#group-leader", WAIT).unwrap();
    let f = br.form("group-leader").unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM household_groups WHERE id = {group} AND leader_person_id = {pid}"
            )
        ),
        1
    );

    // 迁往辖区内其他住址: to another room of the same grid, typed as an address.
    let other = sql_int(
        &srv.db,
        &format!(
            "SELECT MIN(n.id) FROM org_nodes n WHERE n.kind = 'room' AND n.id <> {room} \
             AND n.path LIKE (SELECT path FROM org_nodes WHERE id = {grid}) || '%'"
        ),
    );
    let (_, address) = srv.db.sql(&format!(
        "SELECT b.name || u.name || r.name FROM org_nodes r JOIN org_nodes u ON u.id = r.parent_id \
         JOIN org_nodes b ON b.id = u.parent_id WHERE r.id = {other}"
    ));
    open(&br, &srv, &format!("/people/{pid}"), "form#relocate");
    br.execute(
        "document.querySelector('form#relocate').closest('details').open = true;",
        vec![],
    )
    .unwrap();
    let f = br.form("relocate").unwrap();
    f.find("input[name=address]")
        .unwrap()
        .send_keys(address.trim())
        .unwrap();
    choose(&br, &f, "select[name=relation]", "户主");
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM residences WHERE person_id = {pid} AND room_id = {other} AND moved_out_on IS NULL"
            )
        ),
        1,
        "relocated to {}",
        address.trim()
    );

    // 办理迁出.
    open(&br, &srv, &format!("/people/{pid}"), "form#move-out");
    br.execute(
        "document.querySelector('form#move-out').closest('details').open = true;",
        vec![],
    )
    .unwrap();
    let f = br.form("move-out").unwrap();
    f.find("input[name=reason]")
        .unwrap()
        .send_keys("迁往外省")
        .unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT COUNT(*) FROM persons WHERE id = {pid} AND living = 0")
        ),
        1
    );

    // 退出: the session ends on the server.
    let sessions_before = sql_int(
        &srv.db,
        "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'wangge'",
    );
    open(&br, &srv, "/", "form#logout");
    let f = br.form("logout").unwrap();
    f.find("button[type=submit]").unwrap().click().unwrap();
    br.wait_for("form#login-form", WAIT).unwrap();
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'wangge'",
        ),
        sessions_before - 1
    );
}

#[test]
fn the_administrator_adds_renames_moves_and_retires_places_on_a_phone() {
    let srv = Server::start(50);
    let grid = grid_of_wangge(&srv);
    let community = sql_int(
        &srv.db,
        &format!("SELECT parent_id FROM org_nodes WHERE id = {grid}"),
    );
    let br = login(&srv, "admin");

    // 新增下级: a second grid in the community, for the building to move to.
    open(&br, &srv, &format!("/nodes/{community}"), "form#child-new");
    br.execute(
        "document.querySelector('form#child-new').closest('details').open = true;",
        vec![],
    )
    .unwrap();
    let f = br.form("child-new").unwrap();
    choose(&br, &f, "select[name=kind]", "网格");
    f.find("input[name=name]")
        .unwrap()
        .send_keys("第99网格")
        .unwrap();
    submit(&br, &f);
    let grid2 = sql_int(
        &srv.db,
        &format!(
            "SELECT id FROM org_nodes WHERE parent_id = {community} AND name = '第99网格' AND kind = 'grid'"
        ),
    );

    // 新增下级: a building under the grid.
    open(&br, &srv, &format!("/nodes/{grid}"), "form#child-new");
    br.execute(
        "document.querySelector('form#child-new').closest('details').open = true;",
        vec![],
    )
    .unwrap();
    let f = br.form("child-new").unwrap();
    f.find("input[name=name]")
        .unwrap()
        .send_keys("99幢")
        .unwrap();
    submit(&br, &f);
    let b = sql_int(
        &srv.db,
        &format!("SELECT id FROM org_nodes WHERE parent_id = {grid} AND name = '99幢'"),
    );

    // 改名.
    open(&br, &srv, &format!("/nodes/{b}"), "form#node-rename");
    br.execute(
        "document.querySelector('form#node-rename').closest('details').open = true;",
        vec![],
    )
    .unwrap();
    let f = br.form("node-rename").unwrap();
    let name = f.find("input[name=name]").unwrap();
    name.clear().unwrap();
    name.send_keys("99幢（新）").unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT COUNT(*) FROM org_nodes WHERE id = {b} AND name = '99幢（新）'")
        ),
        1
    );

    // 调整到 another grid of the community.
    open(&br, &srv, &format!("/nodes/{b}"), "form#node-move");
    br.execute(
        "document.querySelector('form#node-move').closest('details').open = true;",
        vec![],
    )
    .unwrap();
    let f = br.form("node-move").unwrap();
    choose(&br, &f, "select[name=parent_id]", "第99网格");
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT parent_id FROM org_nodes WHERE id = {b}")
        ),
        grid2
    );

    // 撤销.
    open(&br, &srv, &format!("/nodes/{b}"), "form#node-retire");
    br.execute(
        "document.querySelector('form#node-retire').closest('details').open = true;",
        vec![],
    )
    .unwrap();
    let f = br.form("node-retire").unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT COUNT(*) FROM org_nodes WHERE id = {b} AND retired_on IS NOT NULL")
        ),
        1
    );
}

#[test]
fn a_dispute_is_screened_mediated_handed_on_and_closed_on_a_phone() {
    let srv = Server::start(100);
    let grid = grid_of_wangge(&srv);
    let (s, v) = srv.api("shuji").post(
        "/api/v1/mediation-cases",
        serde_json::json!({"node_id": grid, "type_code": "劳资纠纷", "source": "转办",
               "referred_by": "区总工会职工法律援助中心", "employer": "某某科技有限公司",
               "summary": "职工主张公司拖欠两个月工资。",
               "parties": [{"side": "申请人", "name": "李某某", "phone": "13800002222"},
                           {"side": "被申请人", "name": "某某科技有限公司"}]}),
    );
    assert_eq!(s, 201, "{v}");
    let case = v["id"].as_i64().unwrap();
    let br = login(&srv, "shuji");

    // 排查: a dispute found on this month's round.
    open(
        &br,
        &srv,
        &format!("/nodes/{grid}/mediation"),
        "form#screening-form",
    );
    open_details_of(&br, "screening-form");
    let f = br.form("screening-form").unwrap();
    choose(&br, &f, "select[name=dispute_type]", "邻里纠纷");
    f.find("input[name=dispute_summary]")
        .unwrap()
        .send_keys("3幢两户因漏水起争执")
        .unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM screenings WHERE node_id = {grid} AND summary = '3幢两户因漏水起争执' AND type_code IS NOT NULL"
            )
        ),
        1
    );

    // 记录一次调解.
    open(
        &br,
        &srv,
        &format!("/mediation-cases/{case}"),
        "form#case-session",
    );
    let f = br.form("case-session").unwrap();
    f.find("input[name=place]")
        .unwrap()
        .send_keys("社区调解室")
        .unwrap();
    f.find("textarea[name=notes]")
        .unwrap()
        .send_keys("双方同意分两期支付")
        .unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM mediation_sessions WHERE case_id = {case} AND notes = '双方同意分两期支付'"
            )
        ),
        1
    );

    // 企业工会协助: the labour flow's hand-off.
    br.wait_for("form#hand-off-assist", WAIT).unwrap();
    let f = br.form("hand-off-assist").unwrap();
    f.find("input[name=counterpart]")
        .unwrap()
        .send_keys("某某科技有限公司工会")
        .unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM mediation_events WHERE case_id = {case} AND action = 'assist' AND counterpart = '某某科技有限公司工会'"
            )
        ),
        1
    );

    // 结案: settled, with the agreement written into it.
    open(
        &br,
        &srv,
        &format!("/mediation-cases/{case}"),
        "form#case-close",
    );
    open_details_of(&br, "case-close");
    let f = br.form("case-close").unwrap();
    f.find("input[name=outcome][value=success]")
        .unwrap()
        .click()
        .unwrap();
    f.find("textarea[name=agreement]")
        .unwrap()
        .send_keys("公司于本月底前支付拖欠工资")
        .unwrap();
    submit(&br, &f);
    br.wait_until_text_contains("#case-state", "调解成功", WAIT)
        .unwrap();
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM mediation_cases WHERE id = {case} AND outcome = 'success' AND agreement = '公司于本月底前支付拖欠工资'"
            )
        ),
        1
    );
}

#[test]
fn a_report_link_is_made_a_resident_reports_through_it_and_the_link_is_revoked() {
    let srv = Server::start(50);
    let grid = grid_of_wangge(&srv);
    let br = login(&srv, "shuji");
    open(
        &br,
        &srv,
        &format!("/nodes/{grid}/report-links"),
        "form#make-link",
    );
    let f = br.form("make-link").unwrap();
    f.find("input[name=name]")
        .unwrap()
        .send_keys("3幢大堂公告栏")
        .unwrap();
    submit(&br, &f);
    let link = sql_int(
        &srv.db,
        "SELECT id FROM report_links WHERE name = '3幢大堂公告栏'",
    );
    let (_, slug) = srv
        .db
        .sql(&format!("SELECT slug FROM report_links WHERE id = {link}"));

    // A resident, on their own phone, with no account.
    let resident = Browser::start().unwrap();
    open(
        &resident,
        &srv,
        &format!("/r/{}", slug.trim()),
        "form#public-report",
    );
    let f = resident.form("public-report").unwrap();
    let first_category = resident
        .execute(
            "return document.querySelector('form#public-report select[name=category_code]').options[1].text.trim();",
            vec![],
        )
        .unwrap();
    choose(
        &resident,
        &f,
        "select[name=category_code]",
        first_category.as_str().unwrap(),
    );
    f.find("textarea[name=description]")
        .unwrap()
        .send_keys("楼道里堆了很多纸箱，挡住了消防通道")
        .unwrap();
    f.find("input[name=location]")
        .unwrap()
        .send_keys("3幢1单元一楼")
        .unwrap();
    // People take a few seconds to write; the form refuses anything faster.
    std::thread::sleep(Duration::from_secs(4));
    submit(&resident, &f);
    resident
        .wait_for("#receipt", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", resident.page_source().unwrap_or_default()));
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT COUNT(*) FROM tickets WHERE description = '楼道里堆了很多纸箱，挡住了消防通道'"
        ),
        1
    );

    // 停用.
    open(
        &br,
        &srv,
        &format!("/nodes/{grid}/report-links"),
        &format!("form#revoke-link-{link}"),
    );
    let f = br.form(&format!("revoke-link-{link}")).unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM report_links WHERE id = {link} AND revoked_at IS NOT NULL"
            )
        ),
        1
    );
}

#[test]
fn a_local_unit_is_registered_and_corrected_on_a_phone() {
    let srv = Server::start(50);
    let grid = grid_of_wangge(&srv);
    let br = login(&srv, "wangge");
    open(
        &br,
        &srv,
        &format!("/units/new?node={grid}"),
        "form#unit-form",
    );
    let f = br.form("unit-form").unwrap();
    f.find("input[name=name]")
        .unwrap()
        .send_keys("表单便利店")
        .unwrap();
    f.find("input[name=contact_name]")
        .unwrap()
        .send_keys("店主乙")
        .unwrap();
    f.find("input[name=contact_phone]")
        .unwrap()
        .send_keys("13700001111")
        .unwrap();
    f.find("input[name=employees]")
        .unwrap()
        .send_keys("3")
        .unwrap();
    submit(&br, &f);
    let unit = sql_int(
        &srv.db,
        "SELECT id FROM units WHERE name = '表单便利店' AND employees = 3",
    );
    open(&br, &srv, &format!("/units/{unit}"), "form#unit-form");
    let f = br.form("unit-form").unwrap();
    let n = f.find("input[name=employees]").unwrap();
    n.clear().unwrap();
    n.send_keys("5").unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT employees FROM units WHERE id = {unit}")
        ),
        5
    );
}

#[test]
fn an_error_page_steps_back_to_the_page_before_it() {
    let srv = Server::start(20);
    let grid = grid_of_wangge(&srv);
    let br = login(&srv, "wangge");
    open(&br, &srv, &format!("/nodes/{grid}"), "h1");
    // A record that doesn't exist: the error page, in Chinese, with a way back.
    open(&br, &srv, "/people/999999999", "#back");
    br.find("#back").unwrap().click().unwrap();
    let started = std::time::Instant::now();
    while !br
        .current_url()
        .unwrap()
        .ends_with(&format!("/nodes/{grid}"))
    {
        assert!(
            started.elapsed() < WAIT,
            "返回上一页 went to {}",
            br.current_url().unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
