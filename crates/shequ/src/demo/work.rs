//! Field work for the benchmarks: tickets and visits in bulk in the first street of the demo
//! district, in the mix a working street has (most tickets closed and rated, a fifth still
//! open, some of those past their limit; visits spread over the year). Fictional, like the rest.

use anyhow::bail;
use shequ_store::Conn;
use shequ_store::db::Value;
use shequ_store::db::bulk;

use super::rng::Rng;

const CATEGORIES: &[&str] = &[
    "0102", "0104", "0105", "0106", "0201", "0202", "0206", "0301", "0302", "0401", "0601", "0602",
    "0604", "0701", "0801", "0901",
];

const TICKET_COLS: &[&str] = &[
    "id",
    "community_id",
    "node_id",
    "area_path",
    "category_code",
    "urgency",
    "title",
    "description",
    "source",
    "state",
    "assignee_kind",
    "assignee_name",
    "limit_code",
    "reported_at",
    "accepted_at",
    "dispatched_at",
    "due_at",
    "closed_at",
    "rating",
    "created_at",
    "updated_at",
    "respond_by",
    "responded_at",
];

const VISIT_COLS: &[&str] = &[
    "id",
    "community_id",
    "area_path",
    "person_id",
    "household_id",
    "visited_on",
    "kind",
    "findings",
    "items",
    "user_id",
    "worker_name",
    "created_at",
];

fn at(now: chrono::DateTime<chrono::Utc>, minutes_ago: i64) -> String {
    (now - chrono::Duration::minutes(minutes_ago))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Adds `tickets` tickets and `visits` visits in the node `under` (the first street when
/// None). Returns the node's name.
pub fn generate(
    conn: &mut Conn,
    tickets: usize,
    visits: usize,
    under: Option<i64>,
) -> anyhow::Result<String> {
    let street = match under {
        Some(id) => conn.query_opt(
            "SELECT id, path, name FROM org_nodes WHERE id = ?",
            &[Value::Int(id)],
        )?,
        None => conn.query_opt(
            "SELECT id, path, name FROM org_nodes WHERE kind = 'street' ORDER BY id LIMIT 1",
            &[],
        )?,
    };
    let Some(street) = street else {
        bail!("先生成演示数据（shequ demo），再生成事件和走访");
    };
    let (path, name): (String, String) = (street.get(1)?, street.get(2)?);
    let end = shequ_store::db::prefix_end(&path);
    let rooms: Vec<(i64, String, i64)> = conn
        .query(
            "SELECT id, path, community_id FROM org_nodes WHERE kind = 'room' AND path >= ? AND path < ?",
            &[Value::from(path.as_str()), Value::from(end.as_str())],
        )?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .collect::<anyhow::Result<_>>()?;
    let people: Vec<(i64, String, i64, i64)> = conn
        .query(
            "SELECT p.id, p.area_path, p.community_id, r.household_id FROM persons p
             JOIN residences r ON r.person_id = p.id AND r.moved_out_on IS NULL
             WHERE p.living = 1 AND p.area_path >= ? AND p.area_path < ?",
            &[Value::from(path.as_str()), Value::from(end.as_str())],
        )?
        .iter()
        .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .collect::<anyhow::Result<_>>()?;
    if rooms.is_empty() || people.is_empty() {
        bail!("街道“{name}”里没有房屋或居民");
    }
    let worker: (i64, String) = match conn.query_opt(
        "SELECT id, display_name FROM users WHERE role = 'grid_worker' ORDER BY id LIMIT 1",
        &[],
    )? {
        Some(r) => (r.get(0)?, r.get(1)?),
        None => bail!("没有网格员账号"),
    };
    let now = shequ_domain::clock::now_utc();
    let mut rng = Rng::new(20_261_122);
    conn.transaction(|c| -> anyhow::Result<()> {
        bulk::without_indexes(c, "tickets", |c| -> anyhow::Result<()> {
            let first = bulk::next_id(c, "tickets")?;
            let mut rows = Vec::with_capacity(10_000);
            // Reports are stored as they come in: ids follow the time they were reported.
            let mut times: Vec<i64> = (0..tickets).map(|_| rng.range(60, 365 * 24 * 60)).collect();
            times.sort_unstable_by(|a, b| b.cmp(a));
            for (id, reported) in (first..).zip(times) {
                let (room, room_path, community) = rng.pick(&rooms).clone();
                let code = *rng.pick(CATEGORIES);
                let r = rng.below(100);
                // 70 closed (most rated), 10 refused, 20 open: half of those past their limit.
                let (state, closed, rating, due) = match r {
                    0..70 => (
                        if rng.chance(0.8) { "rated" } else { "closed" },
                        Some(at(now, reported - 60 * 24)),
                        rng.chance(0.8)
                            .then(|| *rng.pick(&["满意", "满意", "满意", "基本满意", "不满意"])),
                        Some(at(now, reported - 60 * 24 * 7)),
                    ),
                    70..80 => ("refused", None, None, None),
                    _ => (
                        *rng.pick(&["dispatched", "handling", "answered"]),
                        None,
                        None,
                        Some(if rng.chance(0.5) {
                            at(now, rng.range(1, 60 * 24 * 30))
                        } else {
                            at(now, -rng.range(60, 60 * 24 * 7))
                        }),
                    ),
                };
                let reported_at = at(now, reported);
                let dispatched = (state != "refused").then(|| at(now, reported - 30));
                rows.push(vec![
                    Value::Int(id),
                    Value::Int(community),
                    Value::Int(room),
                    Value::from(room_path.as_str()),
                    Value::from(code),
                    Value::from("normal"),
                    Value::from("演示事件"),
                    Value::from(""),
                    Value::from("worker"),
                    Value::from(state),
                    dispatched
                        .as_ref()
                        .map_or(Value::Null, |_| Value::from("property")),
                    dispatched
                        .as_ref()
                        .map_or(Value::Null, |_| Value::from("演示物业")),
                    dispatched
                        .as_ref()
                        .map_or(Value::Null, |_| Value::from("general")),
                    Value::from(reported_at.as_str()),
                    Value::from(at(now, reported - 10).as_str()),
                    dispatched.map_or(Value::Null, Value::from),
                    due.map_or(Value::Null, Value::from),
                    closed.map_or(Value::Null, Value::from),
                    rating.map_or(Value::Null, Value::from),
                    Value::from(reported_at.as_str()),
                    Value::from(reported_at.as_str()),
                    // A day to answer; taken up ten minutes after it came in.
                    Value::from(at(now, reported - 60 * 24).as_str()),
                    Value::from(at(now, reported - 10).as_str()),
                ]);
                if rows.len() >= 10_000 {
                    bulk::insert_rows(c, "tickets", TICKET_COLS, &rows)?;
                    rows.clear();
                }
            }
            bulk::insert_rows(c, "tickets", TICKET_COLS, &rows)?;
            Ok(())
        })?;
        bulk::without_indexes(c, "visits", |c| -> anyhow::Result<()> {
            let first = bulk::next_id(c, "visits")?;
            let mut rows = Vec::with_capacity(10_000);
            let today = shequ_domain::clock::now_local().date_naive();
            // Visits are recorded on the day they are made, so ids follow the days.
            let mut days: Vec<i64> = (0..visits).map(|_| rng.range(0, 365)).collect();
            days.sort_unstable_by(|a, b| b.cmp(a));
            for (id, ago) in (first..).zip(days) {
                let (person, area, community, household) = rng.pick(&people).clone();
                let on = today - chrono::Duration::days(ago);
                rows.push(vec![
                    Value::Int(id),
                    Value::Int(community),
                    Value::from(area.as_str()),
                    Value::Int(person),
                    Value::Int(household),
                    Value::from(on.to_string().as_str()),
                    Value::from(*rng.pick(&["入户", "入户", "电话", "微信"])),
                    Value::from("演示走访"),
                    Value::from("{}"),
                    Value::Int(worker.0),
                    Value::from(worker.1.as_str()),
                    Value::from(at(now, 0).as_str()),
                ]);
                if rows.len() >= 10_000 {
                    bulk::insert_rows(c, "visits", VISIT_COLS, &rows)?;
                    rows.clear();
                }
            }
            bulk::insert_rows(c, "visits", VISIT_COLS, &rows)?;
            Ok(())
        })?;
        bulk::finish(c, &["tickets", "visits"])?;
        shequ_store::access::audit::record(
            c,
            shequ_store::access::audit::By::System,
            shequ_store::access::audit::Event::ok("demo.field_work", "database")
                .with(serde_json::json!({ "事件": tickets, "走访": visits, "街道": name })),
        )?;
        Ok(())
    })?;
    Ok(name)
}
