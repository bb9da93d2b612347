//! The 人民调解协议书 of a case, laid out as the 司法部 template has it: number, parties, the
//! facts and what was disputed, what was agreed, how and by when it is carried out, copies,
//! signatures, the committee and the date. Built from the case; nothing is typed twice.

use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use shequ_office::docx::{self, Block};
use shequ_office::xlsx::FileMeta;
use shequ_store::access::scope::Actor;
use shequ_store::mediation::{self, AgreementData, AgreementParty};

use crate::auth::url_encode;
use crate::error::AppError;
use crate::state::AppState;

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn chinese_date(iso: &str) -> String {
    match chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        Ok(d) => d.format("%Y年%-m月%-d日").to_string(),
        Err(_) => iso.to_string(),
    }
}

/// The parties table: each header with the value printed under it, side by side so a column
/// can't be given its neighbour's value.
type PartyColumn = (&'static str, fn(&AgreementParty) -> &str);
const PARTY_COLUMNS: [PartyColumn; 6] = [
    ("当事人", |p| &p.side),
    ("姓名（名称）", |p| &p.name),
    ("性别", |p| &p.sex),
    ("身份证号码", |p| &p.id_number),
    ("住址", |p| &p.address),
    ("联系电话", |p| &p.phone),
];

pub fn blocks(a: &AgreementData) -> Vec<Block> {
    let c = &a.case;
    let mut out = vec![
        Block::Title("人民调解协议书".into()),
        Block::Reference(format!("编号：{}", c.case_no)),
        Block::Table(
            PARTY_COLUMNS
                .iter()
                .map(|(h, _)| (*h).to_string())
                .collect(),
            a.parties
                .iter()
                .map(|p| {
                    PARTY_COLUMNS
                        .iter()
                        .map(|(_, v)| v(p).to_string())
                        .collect()
                })
                .collect(),
        ),
        Block::Labelled("纠纷主要事实、争议事项：".into(), String::new()),
        Block::Text(c.summary.clone()),
        Block::Labelled(
            format!("经{}调解，双方当事人自愿达成如下协议：", a.committee),
            String::new(),
        ),
        Block::Text(c.agreement.clone().unwrap_or_default()),
    ];
    if let Some(p) = &c.performance {
        out.push(Block::Labelled("履行方式、时限：".into(), String::new()));
        out.push(Block::Text(p.clone()));
    }
    out.extend([
        Block::Text(format!(
            "本协议一式{}份，当事人、人民调解委员会各持一份，自各方当事人签名（盖章）之日起生效。",
            chinese_count(a.parties.len() + 1)
        )),
        Block::Gap,
        Block::Labelled("当事人（签名或盖章）：".into(), String::new()),
        Block::Gap,
        Block::Labelled("人民调解员（签名）：".into(), c.mediator.clone()),
        Block::Labelled("记录人（签名）：".into(), String::new()),
        Block::Gap,
        Block::Right(format!("{}（印）", a.committee)),
        Block::Right(chinese_date(c.closed_on.as_deref().unwrap_or_default())),
    ]);
    out
}

fn chinese_count(n: usize) -> String {
    const DIGITS: [&str; 11] = [
        "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
    ];
    DIGITS
        .get(n)
        .map_or_else(|| n.to_string(), |d| (*d).to_string())
}

/// The .docx as a download, for anyone whose route rule let them this far.
pub async fn download(st: &AppState, actor: Actor, id: i64) -> Result<Response, AppError> {
    let who = format!("{}（{}）", actor.display_name, actor.role.label());
    let data = st
        .db(move |c| mediation::agreement_data(c, &actor, id))
        .await?;
    let created = shequ_store::clock::now_fixed();
    let meta = FileMeta {
        title: format!("人民调解协议书 {}", data.case.case_no),
        comment: format!(
            "制作：{who} {}。含当事人个人信息，请妥善保管。",
            created.format("%Y-%m-%d %H:%M:%S %:z")
        ),
        author: who,
        created,
        company: data.committee.clone(),
    };
    let bytes = docx::write(&blocks(&data), &meta)
        .map_err(|e| AppError::Internal(format!("生成人民调解协议书失败：{e}")))?;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(DOCX));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"agreement.docx\"; filename*=UTF-8''{}",
        url_encode(&format!("人民调解协议书-{}.docx", data.case.case_no))
    )) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
