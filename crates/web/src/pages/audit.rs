//! The auditor's pages: the audit log filtered by user, action, target and time, and its
//! export. Only the auditor reaches them (`Need::ReadAudit`); nobody can change the log.

use std::collections::HashMap;

use crate::extract::Query;
use askama::Template;
use axum::extract::State;
use serde::Deserialize;
use shequ_store::access::audit::{self, Entry, Filter};

use super::form::{Text, typed};
use super::{Layout, PageResult, render};
use crate::access::{Need, Routes, Target, rule};
use crate::auth::PageUser;
use crate::state::AppState;

pub fn routes() -> Routes {
    let audit = rule(Need::ReadAudit, Target::None);
    Routes::new()
        .get("/audit", audit, page)
        .get("/audit/export.xlsx", audit, export)
}

pub const PAGE_SIZE: usize = 100;

/// The kinds of action offered in the filter (a prefix of the stored action name).
const ACTIONS: &[(&str, &str)] = &[
    ("login", "登录"),
    ("lockout", "账号锁定"),
    ("denied", "越权访问被拒"),
    ("reveal", "查看完整信息"),
    ("export", "导出"),
    ("import", "导入"),
    ("person.", "人员信息变更"),
    ("tag.", "重点人群变更"),
    ("node.", "组织架构变更"),
    ("user.", "账号变更"),
    ("grant.", "授权"),
    ("totp.", "动态验证码"),
];

async fn export(
    State(st): State<AppState>,
    user: PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let filter = filter_of(&q, shequ_store::ledger::MAX_ROWS)?;
    crate::ledger::audit_log(st, user, filter).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FilterQuery {
    user: Text,
    action: Text,
    target: Text,
    from: Text,
    to: Text,
    before: Text,
}

/// The filter as typed in the query string; a bad date is named in the error.
pub fn filter_of(q: &HashMap<String, String>, limit: usize) -> Result<Filter, super::PageError> {
    let q: FilterQuery = typed(q);
    Ok(Filter {
        username: q.user.opt(),
        action: q.action.opt(),
        target: q.target.opt(),
        from: q.from.date("起始日期")?,
        to: q.to.date("截止日期")?,
        // Set only by the "older" link: one that doesn't parse starts from the newest.
        before: q.before.opt().and_then(|b| b.parse().ok()),
        limit,
    })
}

struct Shown {
    e: Entry,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    l: Layout,
    rows: Vec<Shown>,
    actions: &'static [(&'static str, &'static str)],
    q: HashMap<String, String>,
    /// The query string of this filter without paging, for the export link and "older".
    query: String,
    older: Option<i64>,
}

impl AuditPage {
    fn v(&self, key: &str) -> String {
        self.q.get(key).cloned().unwrap_or_default()
    }

    /// A role by its name (the log stores the code).
    fn role_label(&self, code: &str) -> String {
        shequ_domain::access::roles::Role::parse(code)
            .map_or_else(|| code.to_string(), |r| r.label().to_string())
    }
}

pub fn query_string(q: &HashMap<String, String>) -> String {
    ["user", "action", "target", "from", "to"]
        .iter()
        .filter_map(|k| {
            q.get(*k)
                .filter(|v| !v.trim().is_empty())
                .map(|v| format!("{k}={}", crate::auth::url_encode(v.trim())))
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn page(
    State(st): State<AppState>,
    user: PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let filter = filter_of(&q, PAGE_SIZE)?;
    let actor = user.actor.clone();
    let rows = st.db(move |c| audit::search(c, &actor, &filter)).await?;
    let older = (rows.len() == PAGE_SIZE)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    let rows = rows
        .into_iter()
        .map(|e| Shown {
            label: audit::action_label(&e.action),
            e,
        })
        .collect();
    Ok(render(&AuditPage {
        l: Layout::new("审计日志", &user),
        rows,
        actions: ACTIONS,
        query: query_string(&q),
        q,
        older,
    }))
}
