//! Photos and files attached to records: 事件, 走访 and 巡查. What a file is comes from its
//! first bytes, never from its name or the browser's word: only photos (JPEG, PNG, WebP, HEIC)
//! and PDF are taken, each at most [`MAX_BYTES`]. The bytes are kept once per community under
//! their SHA-256, and a file is served only to someone who may see the record it belongs to.

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::access::audit::{self, By, Event};
use crate::access::scope::{Actor, RecordSql};
use crate::clock::now;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;

/// A file sits where its record does; files are never edited. Read by the access guard
/// (`crate::records`).
pub const RECORD: RecordSql = RecordSql {
    area: "SELECT area_path FROM attachments WHERE id = ?",
    version: None,
};

/// A phone photo is 2–8 MB; a scanned agreement as PDF about as much.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Nine, as on WeChat: enough for a hazard, its surroundings and the work done on it.
pub const MAX_PER_RECORD: usize = 9;

/// What a photo shows, as the hazard rule asks for it.
pub const ROLES: &[(&str, &str)] = &[
    ("close", "近景"),
    ("wide", "远景"),
    ("after", "处置后"),
    ("other", "其他"),
];

/// The record a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Ticket(i64),
    Visit(i64),
    Patrol(i64),
}

impl Owner {
    fn kind(self) -> &'static str {
        match self {
            Owner::Ticket(_) => "ticket",
            Owner::Visit(_) => "visit",
            Owner::Patrol(_) => "patrol",
        }
    }

    fn id(self) -> i64 {
        match self {
            Owner::Ticket(id) | Owner::Visit(id) | Owner::Patrol(id) => id,
        }
    }

    /// Visits are about people: their files need the right to see people there, like the
    /// visits themselves.
    fn about_people(self) -> bool {
        matches!(self, Owner::Visit(_))
    }

    fn parse(kind: &str, id: i64) -> Option<Owner> {
        match kind {
            "ticket" => Some(Owner::Ticket(id)),
            "visit" => Some(Owner::Visit(id)),
            "patrol" => Some(Owner::Patrol(id)),
            _ => None,
        }
    }

    /// May `actor` open a file of this record at `path`? The same test as for the record: the
    /// role that works with this kind of record (tickets and patrols: those who work 事件;
    /// visits: those who see people there), and the area. The administrators, who run the
    /// system rather than the registry, never get one.
    fn readable_by(self, actor: &Actor, path: &str) -> bool {
        match self {
            Owner::Ticket(_) | Owner::Patrol(_) => {
                shequ_domain::tickets::works_tickets(actor.role) && actor.sees_path(path)
            }
            Owner::Visit(_) => actor.reads_people() && actor.sees_people_at(path),
        }
    }
}

/// A file sent through the JSON API.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFile {
    /// The file's name as the phone gave it ("IMG_0012.jpg").
    pub name: String,
    /// close (近景) | wide (远景) | after (处置后) | other (default)
    #[serde(default)]
    pub role: Option<String>,
    /// The file itself, base64.
    #[schema(format = Byte)]
    pub content_base64: String,
}

/// A file as received, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct FileIn {
    pub name: String,
    pub role: Option<String>,
    pub bytes: Vec<u8>,
}

impl NewFile {
    pub fn decode(&self) -> StoreResult<FileIn> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.content_base64.trim())
            .map_err(|_| {
                StoreError::invalid(
                    "照片",
                    format!(
                        "“{}”的内容不是 base64 编码，请按接口说明编码后重试",
                        clean_name(&self.name)
                    ),
                )
            })?;
        Ok(FileIn {
            name: self.name.clone(),
            role: self.role.clone(),
            bytes,
        })
    }
}

/// Files from the API and from a page, decoded and together.
pub fn gather(api: &[NewFile], page: &[FileIn]) -> StoreResult<Vec<FileIn>> {
    let mut all = api
        .iter()
        .map(NewFile::decode)
        .collect::<StoreResult<Vec<_>>>()?;
    all.extend(page.iter().cloned());
    Ok(all)
}

/// A file that passed the checks, ready to store.
#[derive(Debug, Clone)]
pub struct Checked {
    pub name: String,
    pub role: &'static str,
    pub media_type: &'static str,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub role_label: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: String,
    /// Where to fetch it (same access as the record it belongs to).
    pub url: String,
}

impl Attachment {
    pub fn is_image(&self) -> bool {
        self.media_type.starts_with("image/")
    }
}

/// What the content is, from its signature.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.get(12..16) == Some(b"IHDR") {
        Some("image/png")
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else if bytes.get(4..8) == Some(b"ftyp")
        && matches!(
            bytes.get(8..12),
            Some(b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc")
        )
    {
        Some("image/heic")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// A name safe to show and to put in a download header: no folders, no control characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(100)
        .collect();
    if cleaned.trim().is_empty() {
        "照片".into()
    } else {
        cleaned.trim().to_string()
    }
}

fn role_code(v: Option<&str>) -> StoreResult<&'static str> {
    let v = v
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("other");
    ROLES
        .iter()
        .find(|(code, label)| *code == v || *label == v)
        .map(|(code, _)| *code)
        .ok_or_else(|| {
            StoreError::invalid(
                "照片用途",
                format!("“{v}”不对，应为 近景、远景、处置后、其他 之一"),
            )
        })
}

/// Checks every file; the first bad one is named with what to do.
pub fn check(files: &[FileIn]) -> StoreResult<Vec<Checked>> {
    if files.len() > MAX_PER_RECORD {
        return Err(StoreError::invalid(
            "照片",
            format!(
                "一次最多 {MAX_PER_RECORD} 个文件，这次有 {} 个，请分次上传",
                files.len()
            ),
        ));
    }
    files
        .iter()
        .map(|f| {
            let name = clean_name(&f.name);
            if f.bytes.is_empty() {
                return Err(StoreError::invalid(
                    "照片",
                    format!("“{name}”是空文件，请重新拍照或选择"),
                ));
            }
            if f.bytes.len() > MAX_BYTES {
                return Err(StoreError::TooLarge {
                    field: "照片".into(),
                    message: format!(
                        "“{name}”有 {:.1} MB，超过 {} MB 的上限，请压缩或改用较低画质后重试",
                        f.bytes.len() as f64 / 1048576.0,
                        MAX_BYTES / 1048576
                    ),
                });
            }
            let media_type = sniff(&f.bytes).ok_or_else(|| {
                StoreError::invalid(
                    "照片",
                    format!("“{name}”不是照片（JPG、PNG、WebP、HEIC）或 PDF 文件，不能上传"),
                )
            })?;
            Ok(Checked {
                name,
                role: role_code(f.role.as_deref())?,
                media_type,
                sha256: shequ_text::hex(&Sha256::digest(&f.bytes)),
                bytes: f.bytes.clone(),
            })
        })
        .collect()
}

/// The hazard rule: a close-up and a wide shot, or an error naming what is missing.
pub fn require_close_and_wide(files: &[Checked], what: &str) -> StoreResult<()> {
    let has = |role: &str| {
        files
            .iter()
            .any(|f| f.role == role && f.media_type.starts_with("image/"))
    };
    let missing: Vec<&str> = [("close", "近景"), ("wide", "远景")]
        .into_iter()
        .filter(|(code, _)| !has(code))
        .map(|(_, label)| label)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(StoreError::invalid(
        "照片",
        format!(
            "{what}须附两张照片：一张近景、一张远景。还缺{}，请拍照后再提交",
            missing.join("、")
        ),
    ))
}

/// Stores checked files for `owner` inside the caller's transaction. Returns their ids.
pub(crate) fn store(
    c: &mut Conn,
    uploader: Option<i64>,
    owner: Owner,
    place: (i64, &str),
    files: &[Checked],
) -> StoreResult<Vec<i64>> {
    let (community_id, area_path) = place;
    let already: i64 = c.scalar(
        "SELECT COUNT(*) FROM attachments WHERE owner_kind = ? AND owner_id = ?",
        params![owner.kind(), owner.id()],
    )?;
    if usize::try_from(already).unwrap_or(0) + files.len() > MAX_PER_RECORD * 3 {
        return Err(StoreError::invalid(
            "照片",
            format!("这条记录已有 {already} 个文件，不能再添加"),
        ));
    }
    let ts = now();
    let mut ids = Vec::with_capacity(files.len());
    for f in files {
        c.execute(
            "INSERT INTO file_blobs (community_id, sha256, size, content, created_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (community_id, sha256) DO NOTHING",
            params![community_id, f.sha256.as_str(), f.bytes.len(), f.bytes.clone(), ts.as_str()],
        )?;
        ids.push(c.insert(
            "INSERT INTO attachments (community_id, area_path, owner_kind, owner_id, sha256, media_type, size, name, role, user_id, uploaded_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                community_id,
                area_path,
                owner.kind(),
                owner.id(),
                f.sha256.as_str(),
                f.media_type,
                f.bytes.len(),
                f.name.as_str(),
                f.role,
                uploader,
                ts.as_str()
            ],
        )?);
    }
    Ok(ids)
}

const COLS: &str = "id, name, role, media_type, size, sha256, uploaded_at";

fn from_row(r: &crate::db::Row) -> StoreResult<Attachment> {
    let id: i64 = r.get(0)?;
    let role: String = r.get(2)?;
    Ok(Attachment {
        id,
        name: r.get(1)?,
        role_label: ROLES
            .iter()
            .find(|(c, _)| *c == role)
            .map_or("其他", |(_, l)| *l)
            .to_string(),
        role,
        media_type: r.get(3)?,
        size: r.get(4)?,
        sha256: r.get(5)?,
        uploaded_at: r.get(6)?,
        url: format!("/attachments/{id}"),
    })
}

/// The files of a record the caller has already been allowed to see.
pub fn list(c: &mut Conn, owner: Owner) -> StoreResult<Vec<Attachment>> {
    c.query(
        &format!(
            "SELECT {COLS} FROM attachments WHERE owner_kind = ? AND owner_id = ? ORDER BY id"
        ),
        params![owner.kind(), owner.id()],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// One file and its bytes, for someone who may see the record it belongs to, judged as the
/// record itself is (`Owner::readable_by`): the role first, then the area. Every file served is
/// audited, as opening the record would be.
pub fn open(c: &mut Conn, actor: &Actor, id: i64) -> StoreResult<(Attachment, Vec<u8>)> {
    let row = c
        .query_opt(
            &format!(
                "SELECT {COLS}, area_path, owner_kind, community_id, owner_id FROM attachments WHERE id = ?"
            ),
            params![id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("文件 {id}")))?;
    let path: String = row.get(7)?;
    let kind: String = row.get(8)?;
    let community_id: i64 = row.get(9)?;
    let owner = Owner::parse(&kind, row.get(10)?);
    if !owner.is_some_and(|o| o.readable_by(actor, &path)) {
        return Err(StoreError::Forbidden("这个文件不在您的工作范围内".into()));
    }
    let a = from_row(&row)?;
    let content: Vec<u8> = c
        .query_one(
            "SELECT content FROM file_blobs WHERE community_id = ? AND sha256 = ?",
            params![community_id, a.sha256.as_str()],
        )?
        .get(0)?;
    audit::record_alone(
        c,
        By::Actor(actor),
        Event::ok("attachment.open", format!("attachment:{id}")).with(
            serde_json::json!({ "记录": format!("{kind}:{}", row.get::<i64>(10)?), "类型": a.media_type }),
        ),
    )?;
    Ok((a, content))
}

/// Adds files to a record after the fact (处置后 photos, a late close-up), with an audit row.
pub fn add(
    c: &mut Conn,
    actor: &Actor,
    owner: Owner,
    place: (i64, &str),
    files: &[FileIn],
) -> StoreResult<Vec<i64>> {
    let checked = check(files)?;
    if checked.is_empty() {
        return Err(StoreError::invalid("照片", "请选择要上传的照片或文件"));
    }
    let sees = if owner.about_people() {
        actor.sees_people_at(place.1)
    } else {
        actor.sees_path(place.1)
    };
    if !sees {
        return Err(StoreError::Forbidden("这条记录不在您的工作范围内".into()));
    }
    c.transaction(|c| {
        let ids = store(c, Some(actor.user_id), owner, place, &checked)?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("attachment.add", format!("{}:{}", owner.kind(), owner.id())).with(
                serde_json::json!({
                    "文件": ids,
                    "SHA-256": checked.iter().map(|f| f.sha256.as_str()).collect::<Vec<_>>(),
                }),
            ),
        )?;
        Ok(ids)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_type() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01"),
            Some("image/png")
        );
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(b"<html><script>"), None);
        let bad = check(&[FileIn {
            name: "../../etc/照片.jpg".into(),
            role: None,
            bytes: b"<svg onload=alert(1)>".to_vec(),
        }]);
        match bad {
            Err(StoreError::Invalid { message, .. }) => {
                assert!(message.contains("“照片.jpg”不是照片"), "{message}")
            }
            other => panic!("an SVG with script passed: {other:?}"),
        }
    }

    #[test]
    fn hazards_need_a_close_up_and_a_wide_shot() {
        let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
        let one = check(&[FileIn {
            name: "a.jpg".into(),
            role: Some("近景".into()),
            bytes: jpeg.clone(),
        }])
        .unwrap_or_default();
        assert_eq!(one.len(), 1);
        match require_close_and_wide(&one, "安全隐患") {
            Err(StoreError::Invalid { message, .. }) => assert!(message.contains("还缺远景")),
            other => panic!("one photo passed: {other:?}"),
        }
        let mut two = one.clone();
        two.extend(
            check(&[FileIn {
                name: "b.jpg".into(),
                role: Some("wide".into()),
                bytes: jpeg,
            }])
            .unwrap_or_default(),
        );
        assert!(require_close_and_wide(&two, "安全隐患").is_ok());
    }
}
