//! 居民随手拍: residents report a problem through a link their community posts (as a QR code
//! in the lobby), without an account, and follow it with the receipt token they are given.
//! The community head makes and revokes links. A link takes at most [`PER_HOUR`] reports an
//! hour and [`PER_DAY`] a day, so a leaked link can't flood the community's queue; the page
//! adds a hidden trap field and a minimum filling time.

use serde::Serialize;
use shequ_domain::tickets::State;

use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::access::users::random_token;
use crate::attachments::{self, FileIn, Owner};
use crate::clock::now;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::tree;

pub const PER_HOUR: i64 = 30;
pub const PER_DAY: i64 = 200;
/// A resident's report carries at most three photos.
pub const MAX_PHOTOS: usize = 3;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Link {
    pub id: i64,
    pub node_id: i64,
    pub place: String,
    pub name: String,
    /// The public address: /r/{slug}.
    pub path: String,
    pub created_at: String,
    pub revoked: bool,
    /// Reports received through it.
    pub reports: i64,
}

fn manages(actor: &Actor) -> StoreResult<()> {
    actor.require(
        shequ_domain::tickets::manages_tickets(actor.role),
        "管理居民随手拍链接",
    )
}

/// A new link for a community or grid of the caller's area; its id.
pub fn make_link(conn: &mut Conn, actor: &Actor, node_id: i64, name: &str) -> StoreResult<i64> {
    manages(actor)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(StoreError::invalid(
            "名称",
            "请写明张贴在哪里（如：3幢大堂），不超过 40 字",
        ));
    }
    let slug = random_token(12)?;
    conn.transaction(|c| {
        let node = tree::get(c, actor, node_id)?;
        let community = node
            .community_id
            .filter(|_| {
                matches!(
                    node.kind,
                    shequ_domain::registry::org::NodeKind::Community | shequ_domain::registry::org::NodeKind::Grid
                )
            })
            .ok_or_else(|| StoreError::invalid("位置", "随手拍链接按社区或网格设置"))?;
        let id = c.insert(
            "INSERT INTO report_links (community_id, node_id, area_path, slug, name, user_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![community, node.id, node.path.as_str(), slug.as_str(), name, actor.user_id, now()],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("report_link.make", format!("node:{}", node.id))
                .with(serde_json::json!({ "链接": id, "名称": name })),
        )?;
        Ok(id)
    })
}

/// The links under a node, newest first.
pub fn links(conn: &mut Conn, actor: &Actor, node_id: i64) -> StoreResult<Vec<Link>> {
    manages(actor)?;
    let node = tree::get(conn, actor, node_id)?;
    let rows = conn.query(
        "SELECT l.id, l.node_id, l.name, l.slug, l.created_at, l.revoked_at,
                (SELECT COUNT(*) FROM tickets t WHERE t.report_link_id = l.id)
         FROM report_links l WHERE l.area_path >= ? AND l.area_path < ? ORDER BY l.id DESC",
        params![node.path.as_str(), crate::db::prefix_end(&node.path)],
    )?;
    rows.iter()
        .map(|r| {
            let slug: String = r.get(3)?;
            let place = tree::load(conn, r.get(1)?)?.name;
            Ok(Link {
                id: r.get(0)?,
                node_id: r.get(1)?,
                place,
                name: r.get(2)?,
                path: format!("/r/{slug}"),
                created_at: r.get(4)?,
                revoked: r.get::<Option<String>>(5)?.is_some(),
                reports: r.get(6)?,
            })
        })
        .collect()
}

/// Stops a link: its page says so, and nothing more comes in through it.
pub fn revoke(conn: &mut Conn, actor: &Actor, node_id: i64, link_id: i64) -> StoreResult<()> {
    manages(actor)?;
    let node = tree::get(conn, actor, node_id)?;
    conn.transaction(|c| {
        let n = c.execute(
            "UPDATE report_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND area_path >= ? AND area_path < ?",
            params![now(), link_id, node.path.as_str(), crate::db::prefix_end(&node.path)],
        )?;
        if n != 1 {
            return Err(StoreError::NotFound(format!("随手拍链接 {link_id}")));
        }
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("report_link.revoke", format!("node:{}", node.id))
                .with(serde_json::json!({ "链接": link_id })),
        )
    })
}

/// An active link, as the public page shows it: (id, where, community name).
pub fn open_link(conn: &mut Conn, slug: &str) -> StoreResult<(i64, i64, String)> {
    let row = conn
        .query_opt(
            "SELECT id, node_id, community_id FROM report_links WHERE slug = ? AND revoked_at IS NULL",
            params![slug],
        )?
        .ok_or_else(|| StoreError::NotFound("这个随手拍链接（可能已停用，请扫描社区最新张贴的二维码）".into()))?;
    let community = tree::load(conn, row.get(2)?)?.name;
    Ok((row.get(0)?, row.get(1)?, community))
}

/// What a resident sends.
#[derive(Debug, Clone, Default)]
pub struct PublicReport {
    pub category_code: String,
    pub description: String,
    pub location: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub photos: Vec<FileIn>,
}

/// Files a resident's report: a 事件 from source 居民, with its receipt token.
pub fn submit(conn: &mut Conn, slug: &str, r: &PublicReport) -> StoreResult<(i64, String)> {
    let description = r.description.trim();
    if description.is_empty() {
        return Err(StoreError::invalid("问题描述", "请写明发现了什么问题"));
    }
    if description.chars().count() > 1000 {
        return Err(StoreError::invalid("问题描述", "超过 1000 字，请精简"));
    }
    let location = r
        .location
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if location.is_some_and(|l| l.chars().count() > 200) {
        return Err(StoreError::invalid("位置", "超过 200 字，请精简"));
    }
    let name = r
        .name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|n| n.chars().take(40).collect::<String>());
    let phone = r
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|p| {
            shequ_domain::Phone::parse(p)
                .map(|p| p.as_str().to_string())
                .map_err(|e| StoreError::invalid("联系电话", e.to_string()))
        })
        .transpose()?;
    if r.photos.len() > MAX_PHOTOS {
        return Err(StoreError::invalid(
            "照片",
            format!("最多 {MAX_PHOTOS} 张照片"),
        ));
    }
    let photos = attachments::check(&r.photos)?;
    if photos.iter().any(|p| !p.media_type.starts_with("image/")) {
        return Err(StoreError::invalid("照片", "只能上传照片"));
    }
    let token = random_token(12)?;
    conn.transaction(|c| {
        let (link_id, node_id, _) = open_link(c, slug)?;
        let recent = |c: &mut Conn, secs: i64| -> StoreResult<i64> {
            let since = (shequ_domain::clock::now_utc() - chrono::Duration::seconds(secs))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            Ok(c.scalar(
                "SELECT COUNT(*) FROM tickets WHERE report_link_id = ? AND reported_at >= ?",
                params![link_id, since],
            )?)
        };
        if recent(c, 3600)? >= PER_HOUR || recent(c, 86400)? >= PER_DAY {
            return Err(StoreError::Conflict(
                "这个二维码收到的上报太多，请稍后再试，或直接拨打社区电话".into(),
            ));
        }
        let category: (String, String) = c
            .query_opt(
                "SELECT code, name FROM ticket_categories WHERE code = ? AND parent_code IS NOT NULL AND active = 1",
                params![r.category_code.trim()],
            )?
            .map(|row| Ok::<_, StoreError>((row.get(0)?, row.get(1)?)))
            .transpose()?
            .ok_or_else(|| StoreError::invalid("问题类别", "请从列表中选择问题类别"))?;
        let node = tree::load(c, node_id)?;
        let community_id = node
            .community_id
            .ok_or_else(|| StoreError::NotFound("链接所在的社区".into()))?;
        let title: String = description
            .lines()
            .next()
            .unwrap_or(&category.1)
            .chars()
            .take(60)
            .collect();
        let id = crate::tickets::file_outside_report(
            c,
            &crate::tickets::OutsideReport {
                community_id,
                node: &node,
                category_code: &category.0,
                title: &title,
                description,
                location,
                reporter_name: name.as_deref(),
                reporter_phone: phone.as_deref(),
                source: "resident",
                channel: "居民随手拍",
                audited_as: &format!("report_link:{link_id}"),
                token: &token,
                lat_long: (None, None),
                open311_key_id: None,
                report_link_id: Some(link_id),
            },
        )?;
        attachments::store(c, None, Owner::Ticket(id), (community_id, node.path.as_str()), &photos)?;
        Ok((id, token.clone()))
    })
}

/// What a resident may see of their report: its state, never anyone's details.
#[derive(Debug, Clone, Serialize)]
pub struct PublicStatus {
    pub title: String,
    pub category: String,
    pub state_label: String,
    pub reported_at: String,
    pub closed: bool,
    /// The resident's evaluation, once given (by them or on a 电话回访).
    pub rating: Option<String>,
    /// Closed and not yet evaluated: the resident may rate it now.
    pub can_rate: bool,
}

pub fn status(conn: &mut Conn, token: &str) -> StoreResult<PublicStatus> {
    let row = conn
        .query_opt(
            "SELECT t.title, c.name, t.state, t.reported_at, t.closed_at, t.rating FROM tickets t
             JOIN ticket_categories c ON c.code = t.category_code
             WHERE t.open311_token = ? AND t.report_link_id IS NOT NULL",
            params![token.trim()],
        )?
        .ok_or_else(|| StoreError::NotFound("这个回执号".into()))?;
    let state: String = row.get(2)?;
    let can_rate = State::parse(&state) == Some(State::Closed);
    Ok(PublicStatus {
        title: row.get(0)?,
        category: row.get(1)?,
        state_label: State::parse(&state)
            .map(|s| s.label().to_string())
            .unwrap_or(state),
        reported_at: row.get(3)?,
        closed: row.get::<Option<String>>(4)?.is_some(),
        rating: row.get(5)?,
        can_rate,
    })
}

/// The resident rates their closed report through the receipt: recorded as theirs (channel
/// `resident`), on the timeline as 居民, audited as the link it came through.
pub fn rate(conn: &mut Conn, token: &str, rating: &str) -> StoreResult<()> {
    let rating = rating.trim();
    if !shequ_domain::tickets::RATINGS.contains(&rating) {
        return Err(StoreError::invalid(
            "评价",
            format!("请选择 {} 之一", shequ_domain::tickets::RATINGS.join("、")),
        ));
    }
    conn.transaction(|c| {
        let row = c
            .query_opt(
                "SELECT id, community_id, state, version, extension_pending, report_link_id FROM tickets
                 WHERE open311_token = ? AND report_link_id IS NOT NULL",
                params![token.trim()],
            )?
            .ok_or_else(|| StoreError::NotFound("这个回执号".into()))?;
        let (id, community_id, state, version): (i64, i64, String, i64) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        let pending = row.get::<i64>(4)? == 1;
        let link: i64 = row.get(5)?;
        let from = State::parse(&state).unwrap_or(State::Reported);
        let to = shequ_domain::tickets::next(from, pending, shequ_domain::tickets::Action::Rate)
            .map_err(|_| {
                StoreError::Conflict(if from == State::Rated {
                    "这件事已经评价过了，谢谢！".to_string()
                } else {
                    format!("这件事现在是“{}”，办结后才能评价", from.label())
                })
            })?;
        let ts = now();
        let n = c.execute(
            "UPDATE tickets SET state = ?, rating = ?, rating_channel = 'resident', rated_by = NULL,
                rated_by_user_id = NULL, rated_on = ?, updated_at = ?, version = version + 1
             WHERE id = ? AND version = ?",
            params![to.as_str(), rating, crate::clock::today(), ts.as_str(), id, version],
        )?;
        if n != 1 {
            return Err(StoreError::Conflict("请刷新页面后再评价".into()));
        }
        c.execute(
            "INSERT INTO ticket_events (community_id, ticket_id, at, actor_name, action, from_state, to_state, detail)
             VALUES (?, ?, ?, '居民（凭回执）', 'rate', ?, ?, ?)",
            params![
                community_id,
                id,
                ts.as_str(),
                from.as_str(),
                to.as_str(),
                serde_json::json!({ "评价": rating, "渠道": "居民凭回执评价" }).to_string()
            ],
        )?;
        audit::record(
            c,
            By::Name(&format!("report_link:{link}")),
            Event::ok("ticket.step", format!("ticket:{id}"))
                .with(serde_json::json!({ "操作": "评价", "评价": rating, "渠道": "居民凭回执评价" })),
        )
    })
}
