//! `shequ demo`: a deterministic, fictional district — streets, communities, grids, buildings,
//! households, rented homes, units and special groups in proportions taken from the seeds
//! (e.g. 320 低保 households in 11,830; 74 disabled per ~30,000 people). Names are invented and
//! ID numbers are checksum-valid but fictional. Rows go in through the bulk loader, so a
//! million people load in seconds, all in one transaction: a failed run leaves nothing behind.

mod names;
mod rng;
pub mod work;

use std::collections::{BTreeMap, HashSet};

use anyhow::{Context, bail};
use chrono::{Datelike, Duration, NaiveDate};
use shequ_domain::access::roles::Role;
use shequ_domain::registry::credit_code::CreditCode;
use shequ_domain::registry::id_number::IdNumber;
use shequ_domain::registry::names::NameKeys;
use shequ_domain::registry::tags::sealed_details;
use shequ_store::Conn;
use shequ_store::access::sealed::{self, Field, Sealer};
use shequ_store::access::users;
use shequ_store::db::Value;
use shequ_store::db::bulk;

use rng::Rng;

/// Everything in the demo is dated on or before this day, so the same N always yields the same
/// data whatever day it is generated.
fn anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default()
}

pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub area: String,
}

#[derive(Default)]
pub struct Summary {
    pub streets: usize,
    pub communities: usize,
    pub grids: usize,
    pub buildings: usize,
    pub rooms: usize,
    pub households: usize,
    pub people: usize,
    pub rented: usize,
    pub units: usize,
    pub tags: usize,
    pub logins: Vec<DemoLogin>,
}

const COMMUNITY_NAMES: &[&str] = &[
    "凤凰熙岸",
    "阿娄",
    "龙泉",
    "金湖",
    "翠柳",
    "白塔",
    "春晖",
    "清泉",
    "松林",
    "桂苑",
    "书院",
    "锦绣",
    "滨河",
    "望城",
    "新村",
    "玉兰",
    "东华",
    "北辰",
    "南屏",
    "西山",
];
const STREET_NAMES: &[&str] = &[
    "凤凰", "青云", "金马", "碧鸡", "莲花", "大观", "盘龙", "拓东",
];
/// Home regions of locally registered people (GB/T 2260 county codes of one prefecture).
const LOCAL_REGIONS: &[&str] = &["530102", "530103", "530111", "530112", "530113", "530114"];
/// Where floating people come from: (county code, province).
const ORIGINS: &[(&str, &str)] = &[
    ("510104", "四川省"),
    ("522101", "贵州省"),
    ("411302", "河南省"),
    ("430521", "湖南省"),
    ("450103", "广西壮族自治区"),
    ("532301", "云南省楚雄州"),
    ("533001", "云南省保山市"),
    ("500101", "重庆市"),
    ("360121", "江西省"),
    ("130102", "河北省"),
];
const ETHNIC: &[(&str, u32)] = &[
    ("汉族", 860),
    ("彝族", 50),
    ("回族", 25),
    ("白族", 20),
    ("布依族", 12),
    ("苗族", 12),
    ("哈尼族", 8),
    ("傣族", 5),
    ("壮族", 5),
    ("纳西族", 3),
];

/// Rows waiting to be written, per table, in foreign-key order.
#[derive(Default)]
struct Batch {
    nodes: Vec<Vec<Value>>,
    persons: Vec<Vec<Value>>,
    groups: Vec<Vec<Value>>,
    households: Vec<Vec<Value>>,
    residences: Vec<Vec<Value>>,
    housing: Vec<Vec<Value>>,
    tags: Vec<Vec<Value>>,
    units: Vec<Vec<Value>>,
}

const NODE_COLS: &[&str] = &[
    "id",
    "parent_id",
    "kind",
    "name",
    "code",
    "path",
    "community_id",
    "sort_order",
    "created_at",
];
const PERSON_COLS: &[&str] = &[
    "id",
    "community_id",
    "area_path",
    "living",
    "name",
    "name_pinyin",
    "name_initials",
    "id_sealed",
    "id_blind",
    "id_tail",
    "doc_type",
    "doc_no",
    "sex",
    "birth_date",
    "phone",
    "phone_blind",
    "phone_tail",
    "ethnicity",
    "person_type",
    "registered_here",
    "employment",
    "created_at",
    "updated_at",
];
const GROUP_COLS: &[&str] = &[
    "id",
    "community_id",
    "grid_id",
    "name",
    "leader_person_id",
    "created_on",
];
const HOUSEHOLD_COLS: &[&str] = &[
    "id",
    "community_id",
    "room_id",
    "household_no",
    "group_id",
    "created_on",
];
const RESIDENCE_COLS: &[&str] = &[
    "id",
    "community_id",
    "person_id",
    "household_id",
    "room_id",
    "relation",
    "moved_in_on",
    "moved_out_on",
    "out_reason",
];
const HOUSING_COLS: &[&str] = &[
    "room_id",
    "community_id",
    "usage",
    "landlord_name",
    "landlord_phone",
    "agreement_signed_on",
    "updated_at",
];
const TAG_COLS: &[&str] = &[
    "id",
    "community_id",
    "person_id",
    "household_id",
    "kind",
    "category",
    "grade",
    "details",
    "risk",
    "started_on",
    "created_at",
    "updated_at",
];
const UNIT_COLS: &[&str] = &[
    "id",
    "community_id",
    "node_id",
    "area_path",
    "name",
    "kind",
    "credit_code",
    "address",
    "contact_name",
    "contact_phone",
    "employees",
    "safety_agreement_on",
    "fire_agreement_on",
    "created_at",
    "updated_at",
];

fn col(name: &str) -> usize {
    PERSON_COLS.iter().position(|c| *c == name).unwrap_or(0)
}

/// Replaces the plaintext ID number and phone of each row with its sealed value and blind
/// indexes. Sealing dominates the cost of a million people, so it runs on every core.
fn seal_rows(rows: &mut [Vec<Value>], sealer: &Sealer) -> anyhow::Result<()> {
    let fields = [
        (
            Field::IdNumber,
            col("id_sealed"),
            col("id_blind"),
            col("id_tail"),
        ),
        (
            Field::Phone,
            col("phone"),
            col("phone_blind"),
            col("phone_tail"),
        ),
    ];
    let seal_one = |row: &mut Vec<Value>| -> anyhow::Result<()> {
        for (field, value, blind, tail) in fields {
            if let Value::Text(plain) = &row[value] {
                let (s, b, t) = sealed::person_key_values(sealer, field, Some(plain.as_str()))?;
                row[value] = v(s);
                row[blind] = v(b);
                row[tail] = v(t);
            }
        }
        Ok(())
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = rows.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = rows
            .chunks_mut(chunk)
            .map(|part| s.spawn(move || part.iter_mut().try_for_each(seal_one)))
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("加密线程异常退出")))
        })
    })
}

impl Batch {
    fn flush(&mut self, conn: &mut Conn, sealer: &Sealer) -> anyhow::Result<()> {
        seal_rows(&mut self.persons, sealer)?;
        bulk::insert_rows(conn, "org_nodes", NODE_COLS, &self.nodes)?;
        bulk::insert_rows(conn, "persons", PERSON_COLS, &self.persons)?;
        bulk::insert_rows(conn, "household_groups", GROUP_COLS, &self.groups)?;
        bulk::insert_rows(conn, "households", HOUSEHOLD_COLS, &self.households)?;
        bulk::insert_rows(conn, "residences", RESIDENCE_COLS, &self.residences)?;
        bulk::insert_rows(conn, "housing", HOUSING_COLS, &self.housing)?;
        bulk::insert_rows(conn, "tags", TAG_COLS, &self.tags)?;
        bulk::insert_rows(conn, "units", UNIT_COLS, &self.units)?;
        *self = Batch::default();
        Ok(())
    }
}

struct Ids {
    node: i64,
    person: i64,
    group: i64,
    household: i64,
    residence: i64,
    tag: i64,
    unit: i64,
}

struct Gen {
    rng: Rng,
    ids: Ids,
    batch: Batch,
    used_ids: HashSet<u64>,
    summary: Summary,
    created_at: String,
    /// Demo data is sealed like real data: no readable ID number or phone in the database.
    sealer: std::sync::Arc<Sealer>,
}

fn v<T: Into<Value>>(x: T) -> Value {
    x.into()
}

fn date_between(rng: &mut Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days().max(0);
    from + Duration::days(rng.range(0, days))
}

fn phone(rng: &mut Rng) -> String {
    let second = *rng.pick(&["3", "5", "7", "8", "9"]);
    format!("1{second}{:09}", rng.below(1_000_000_000))
}

/// Who lives in a household being generated.
struct Member {
    name: String,
    male: bool,
    birth: NaiveDate,
    relation: &'static str,
}

impl Gen {
    fn node(
        &mut self,
        parent: Option<(i64, &str)>,
        kind: &str,
        name: &str,
        code: Option<String>,
        community: Option<i64>,
        order: i64,
    ) -> (i64, String) {
        let id = self.ids.node;
        self.ids.node += 1;
        let path = format!("{}{id}/", parent.map_or("/", |p| p.1));
        let community = if kind == "community" {
            Some(id)
        } else {
            community
        };
        self.batch.nodes.push(vec![
            v(id),
            v(parent.map(|p| p.0)),
            v(kind),
            v(name),
            v(code),
            v(path.as_str()),
            v(community),
            v(order),
            v(self.created_at.as_str()),
        ]);
        (id, path)
    }

    fn id_number(
        &mut self,
        region: &str,
        birth: NaiveDate,
        male: bool,
    ) -> anyhow::Result<IdNumber> {
        loop {
            let mut seq = self.rng.below(1000) as u16;
            if (seq % 2 == 1) != male {
                seq = (seq + 1) % 1000;
            }
            let prefix: u64 = format!("{region}{}{seq:03}", birth.format("%Y%m%d")).parse()?;
            if self.used_ids.insert(prefix) {
                return IdNumber::generate(region, birth, seq).map_err(|e| anyhow::anyhow!("{e}"));
            }
        }
    }

    fn birth_for_age(&mut self, age: i64) -> NaiveDate {
        let year = anchor().year() - i32::try_from(age).unwrap_or(0) - 1;
        let start = NaiveDate::from_ymd_opt(year, anchor().month(), 1).unwrap_or(anchor());
        date_between(&mut self.rng, start, start + Duration::days(364)).min(anchor())
    }

    fn members(&mut self, size: usize) -> Vec<Member> {
        let r = &mut self.rng;
        let head_age = if size == 1 {
            r.range(22, 92)
        } else {
            r.range(26, 80)
        };
        let head_male = r.chance(0.7);
        let surname = names::surname(r);
        let mut out = Vec::with_capacity(size);
        let name = format!("{surname}{}", names::given(r, head_male));
        let birth = self.birth_for_age(head_age);
        out.push(Member {
            name,
            male: head_male,
            birth,
            relation: "户主",
        });
        let mut left = size - 1;
        if left > 0 && self.rng.chance(0.85) {
            let age = (head_age + self.rng.range(-5, 5)).max(20);
            let male = !head_male;
            let name = format!(
                "{}{}",
                names::surname(&mut self.rng),
                names::given(&mut self.rng, male)
            );
            let birth = self.birth_for_age(age);
            out.push(Member {
                name,
                male,
                birth,
                relation: "配偶",
            });
            left -= 1;
        }
        let mut parent_added = false;
        while left > 0 {
            if !parent_added && head_age < 60 && left >= 1 && self.rng.chance(0.3) {
                parent_added = true;
                let age = (head_age + self.rng.range(24, 32)).min(99);
                let male = self.rng.chance(0.4);
                let name = format!("{surname}{}", names::given(&mut self.rng, male));
                let birth = self.birth_for_age(age);
                out.push(Member {
                    name,
                    male,
                    birth,
                    relation: if male { "父亲" } else { "母亲" },
                });
            } else {
                let age = (head_age - self.rng.range(22, 36)).max(0);
                let male = self.rng.chance(0.52);
                let name = format!("{surname}{}", names::given(&mut self.rng, male));
                let birth = self.birth_for_age(age);
                out.push(Member {
                    name,
                    male,
                    birth,
                    relation: if male { "子" } else { "女" },
                });
            }
            left -= 1;
        }
        out
    }

    fn employment(&mut self, age: i64) -> &'static str {
        match age {
            0..=5 => "学龄前",
            6..=21 => "在校学生",
            22..=59 => self
                .rng
                .weighted(&[("在业", 85), ("灵活就业", 9), ("无业", 6)]),
            _ => "离退休",
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn tag(
        &mut self,
        community: i64,
        person: Option<i64>,
        household: Option<i64>,
        kind: &str,
        category: Option<&str>,
        grade: Option<i64>,
        details: BTreeMap<&str, String>,
        started: NaiveDate,
    ) -> anyhow::Result<()> {
        let id = self.ids.tag;
        self.ids.tag += 1;
        self.summary.tags += 1;
        let risk = details.get("risk").cloned();
        let mut details = serde_json::to_string(&details).unwrap_or_else(|_| "{}".into());
        if sealed_details(kind, category) {
            details = self.sealer.seal(Field::TagDetails, &details)?;
        }
        self.batch.tags.push(vec![
            v(id),
            v(community),
            v(person),
            v(household),
            v(kind),
            v(category),
            v(grade),
            v(details),
            v(risk),
            v(started),
            v(self.created_at.as_str()),
            v(self.created_at.as_str()),
        ]);
        Ok(())
    }

    /// Special groups a person belongs to, by age and sex, at the seeds' rates.
    #[allow(clippy::too_many_arguments)]
    fn person_tags(
        &mut self,
        community: i64,
        community_name: &str,
        pid: i64,
        m: &Member,
        age: i64,
        moved_in: NaiveDate,
        alone: bool,
        elderly_pair: bool,
    ) -> anyhow::Result<()> {
        let since = |g: &mut Gen, years: i64| {
            date_between(
                &mut g.rng,
                (anchor() - Duration::days(365 * years)).max(moved_in),
                anchor(),
            )
        };
        let mut d = BTreeMap::new();
        if self.rng.chance(0.0025) {
            let cat = self.rng.weighted(&[
                ("肢体", 45),
                ("视力", 12),
                ("听力", 15),
                ("言语", 2),
                ("智力", 8),
                ("精神", 12),
                ("多重", 6),
            ]);
            let grade = self.rng.range(1, 4);
            let started = since(self, 15);
            self.tag(
                community,
                Some(pid),
                None,
                "disability",
                Some(cat),
                Some(grade),
                BTreeMap::new(),
                started,
            )?;
        }
        if age >= 18 && self.rng.chance(0.07) {
            let cat = if self.rng.chance(0.95) {
                "正式党员"
            } else {
                "预备党员"
            };
            d.insert(
                "branch",
                format!("{community_name}社区第{}支部", self.rng.range(1, 4)),
            );
            let started = since(self, 30);
            self.tag(
                community,
                Some(pid),
                None,
                "party_member",
                Some(cat),
                None,
                std::mem::take(&mut d),
                started,
            )?;
        }
        if m.male && age >= 35 && self.rng.chance(0.03) {
            let started = since(self, 20);
            self.tag(
                community,
                Some(pid),
                None,
                "veteran",
                Some("退役士兵"),
                None,
                BTreeMap::new(),
                started,
            )?;
        }
        if age >= 65 && (alone || elderly_pair) {
            let started = since(self, 10);
            self.tag(
                community,
                Some(pid),
                None,
                "elderly_alone",
                Some(if alone { "独居" } else { "空巢" }),
                None,
                BTreeMap::new(),
                started,
            )?;
        }
        if (18..60).contains(&age) && self.rng.chance(0.003) {
            let started = since(self, 3);
            self.tag(
                community,
                Some(pid),
                None,
                "hard_to_employ",
                Some("长期失业"),
                None,
                BTreeMap::new(),
                started,
            )?;
        }
        if (20..60).contains(&age) && self.rng.chance(0.0008) {
            let cat =
                self.rng
                    .weighted(&[("刑满释放", 70), ("社区矫正", 25), ("解除强制隔离戒毒", 5)]);
            let released = since(self, 5);
            d.insert("released_on", released.to_string());
            d.insert(
                "supervision_until",
                (released + Duration::days(5 * 365)).to_string(),
            );
            d.insert(
                "situation",
                (self.rng.weighted(&[
                    ("本地务工", 40),
                    ("无业", 20),
                    ("个体经营", 15),
                    ("外出务工", 20),
                    ("下落不明", 5),
                ]))
                .to_string(),
            );
            // Most are assessed low risk; a few high, visited weekly.
            d.insert(
                "risk",
                self.rng
                    .weighted(&[("低风险", 80), ("中风险", 15), ("高风险", 5)])
                    .to_string(),
            );
            self.tag(
                community,
                Some(pid),
                None,
                "correction",
                Some(cat),
                None,
                std::mem::take(&mut d),
                released,
            )?;
        }
        if age < 16 && self.rng.chance(0.005) {
            d.insert(
                "guardian",
                format!(
                    "{}{}",
                    names::surname(&mut self.rng),
                    names::given(&mut self.rng, false)
                ),
            );
            let started = since(self, 3);
            self.tag(
                community,
                Some(pid),
                None,
                "left_behind_child",
                Some("留守儿童"),
                None,
                std::mem::take(&mut d),
                started,
            )?;
        }
        if m.male && (18..=35).contains(&age) && self.rng.chance(0.03) {
            d.insert("training_days", self.rng.range(3, 15).to_string());
            let started = since(self, 5);
            let cat = if self.rng.chance(0.3) {
                "基干民兵"
            } else {
                "普通民兵"
            };
            self.tag(
                community,
                Some(pid),
                None,
                "militia",
                Some(cat),
                None,
                std::mem::take(&mut d),
                started,
            )?;
        }
        if age >= 60 && self.rng.chance(0.001) {
            let started = since(self, 8);
            self.tag(
                community,
                Some(pid),
                None,
                "tekun",
                Some("分散供养"),
                None,
                BTreeMap::new(),
                started,
            )?;
        }
        Ok(())
    }
}

/// Fills an empty database with the demo district. Refuses a database that has any data.
pub fn generate(conn: &mut Conn, people: usize, password: Option<&str>) -> anyhow::Result<Summary> {
    let existing = conn.scalar("SELECT count(*) FROM org_nodes", &[])?;
    if existing > 0 {
        bail!("数据库里已有组织架构数据（{existing} 个节点），演示数据只能生成到空库里");
    }
    if people == 0 {
        bail!("--people 至少为 1");
    }
    // A bigger page cache while loading (and sorting the rebuilt indexes); the default again
    // once done, since this connection goes back to the pool.
    let sqlite = conn.backend() == shequ_store::Backend::Sqlite;
    if sqlite {
        conn.batch("PRAGMA cache_size = -131072")?;
    }
    let mut summary = conn.transaction(|c| -> anyhow::Result<Summary> {
        let ids = Ids {
            node: bulk::next_id(c, "org_nodes")?,
            person: bulk::next_id(c, "persons")?,
            group: bulk::next_id(c, "household_groups")?,
            household: bulk::next_id(c, "households")?,
            residence: bulk::next_id(c, "residences")?,
            tag: bulk::next_id(c, "tags")?,
            unit: bulk::next_id(c, "units")?,
        };
        let mut g = Gen {
            rng: Rng::new(20_260_630),
            ids,
            batch: Batch::default(),
            used_ids: HashSet::with_capacity(people + 1024),
            summary: Summary::default(),
            created_at: "2026-06-30T00:00:00Z".into(),
            sealer: sealed::sealer()?,
        };
        let summary = bulk::without_indexes(c, "persons", |c| build(c, &mut g, people))?;
        bulk::finish(
            c,
            &[
                "org_nodes",
                "persons",
                "household_groups",
                "households",
                "residences",
                "tags",
                "units",
            ],
        )?;
        // One audit row for the whole load (the records are fictional, made by the system).
        shequ_store::access::audit::record(
            c,
            shequ_store::access::audit::By::System,
            shequ_store::access::audit::Event::ok("demo.generate", "database")
                .with(serde_json::json!({ "人数": people })),
        )?;
        Ok(summary)
    })?;
    if sqlite {
        conn.batch("PRAGMA cache_size = -2000")?;
    }
    summary.logins = create_users(conn, password)?;
    Ok(summary)
}

fn build(c: &mut Conn, g: &mut Gen, people: usize) -> anyhow::Result<Summary> {
    let communities = (people / 9000).max(3);
    let streets = communities.div_ceil(6);
    let (district, dpath) = g.node(None, "district", "示范区", Some("530199".into()), None, 0);
    let per_community = people / communities;
    let mut placed = 0usize;
    for s in 0..streets {
        let sname = format!(
            "{}街道",
            STREET_NAMES
                .get(s)
                .map_or_else(|| format!("第{}", s + 1), |n| n.to_string())
        );
        let (street, spath) = g.node(
            Some((district, &dpath)),
            "street",
            &sname,
            Some(format!("530199{:03}", s + 1)),
            None,
            s as i64,
        );
        g.summary.streets += 1;
        for k in 0..6 {
            let ci = s * 6 + k;
            if ci >= communities {
                break;
            }
            let quota = if ci + 1 == communities {
                people - placed
            } else {
                per_community
            };
            let base = COMMUNITY_NAMES[ci % COMMUNITY_NAMES.len()];
            let cname = if ci < COMMUNITY_NAMES.len() {
                format!("{base}社区")
            } else {
                format!("{base}{}社区", ci / COMMUNITY_NAMES.len() + 1)
            };
            let code = format!("530199{:03}{:03}", s + 1, k + 1);
            let (cid, cpath) = g.node(
                Some((street, &spath)),
                "community",
                &cname,
                Some(code),
                None,
                k as i64,
            );
            g.summary.communities += 1;
            placed += community(c, g, cid, &cpath, base, quota)?;
            g.batch.flush(c, &g.sealer.clone())?;
        }
    }
    Ok(std::mem::take(&mut g.summary))
}

/// One community: grids of about 300 households, buildings of 2–3 units, 6–18 floors.
fn community(
    c: &mut Conn,
    g: &mut Gen,
    cid: i64,
    cpath: &str,
    cname: &str,
    quota: usize,
) -> anyhow::Result<usize> {
    let mut placed = 0usize;
    let mut grid_no = 0;
    let mut building_no = 0;
    while placed < quota {
        grid_no += 1;
        let (grid, gpath) = g.node(
            Some((cid, cpath)),
            "grid",
            &format!("第{grid_no}网格"),
            None,
            Some(cid),
            grid_no,
        );
        g.summary.grids += 1;
        let mut grid_households = 0;
        let mut group: Option<(i64, usize)> = None;
        // Units (辖区单位) sit in the grid: about 2.7 per 100 people (seed: 1,285 for 48,102).
        let mut grid_people = 0usize;
        'grid: while grid_households < 300 && placed < quota {
            building_no += 1;
            let (bid, bpath) = g.node(
                Some((grid, &gpath)),
                "building",
                &format!("{building_no}幢"),
                None,
                Some(cid),
                building_no,
            );
            g.summary.buildings += 1;
            let units = g.rng.range(2, 3);
            let floors = g.rng.range(6, 18);
            for u in 1..=units {
                let (uid, upath) = g.node(
                    Some((bid, &bpath)),
                    "unit",
                    &format!("{u}单元"),
                    None,
                    Some(cid),
                    u,
                );
                for floor in 1..=floors {
                    for door in 1..=2 {
                        if placed >= quota {
                            break 'grid;
                        }
                        let (room, rpath) = g.node(
                            Some((uid, &upath)),
                            "room",
                            &format!("{floor}{door:02}"),
                            None,
                            Some(cid),
                            floor * 10 + door,
                        );
                        g.summary.rooms += 1;
                        let usage = g.rng.weighted(&[
                            ("自住", 815),
                            ("出租", 120),
                            ("空置", 50),
                            ("商用", 15),
                        ]);
                        if usage != "自住" {
                            let (landlord, lphone, signed) = if usage == "出租" {
                                g.summary.rented += 1;
                                let m = g.rng.chance(0.5);
                                let n = format!(
                                    "{}{}",
                                    names::surname(&mut g.rng),
                                    names::given(&mut g.rng, m)
                                );
                                let signed = g.rng.chance(0.95).then(|| {
                                    date_between(
                                        &mut g.rng,
                                        anchor() - Duration::days(1000),
                                        anchor(),
                                    )
                                });
                                let p = phone(&mut g.rng);
                                let sealed = g.sealer.seal(Field::LandlordPhone, &p)?;
                                (Some(n), Some(sealed), signed)
                            } else {
                                (None, None, None)
                            };
                            g.batch.housing.push(vec![
                                v(room),
                                v(cid),
                                v(usage),
                                v(landlord),
                                v(lphone),
                                v(signed),
                                v(g.created_at.as_str()),
                            ]);
                        }
                        if usage == "空置" || usage == "商用" {
                            continue;
                        }
                        let size = g.rng.weighted(&[
                            (1usize, 20),
                            (2, 30),
                            (3, 25),
                            (4, 15),
                            (5, 7),
                            (6, 3),
                        ]);
                        let size = size.min(quota - placed);
                        let gid = match group {
                            Some((id, n)) if n < 10 => {
                                group = Some((id, n + 1));
                                id
                            }
                            _ => {
                                let id = g.ids.group;
                                g.ids.group += 1;
                                group = Some((id, 1));
                                // Leader: this household's head, written just below.
                                g.batch.groups.push(vec![
                                    v(id),
                                    v(cid),
                                    v(grid),
                                    v(format!("第{}联户", id)),
                                    Value::Null,
                                    v(anchor() - Duration::days(400)),
                                ]);
                                id
                            }
                        };
                        let n = household(
                            g,
                            cid,
                            cname,
                            room,
                            &rpath,
                            cpath,
                            usage == "出租",
                            size,
                            gid,
                        )?;
                        placed += n;
                        grid_people += n;
                        grid_households += 1;
                    }
                }
            }
        }
        let units = (grid_people * 27).div_ceil(1000);
        for _ in 0..units {
            unit(g, cid, grid, &gpath, cname)?;
        }
        if g.batch.persons.len() > 20_000 {
            g.batch.flush(c, &g.sealer.clone())?;
        }
    }
    Ok(placed)
}

#[allow(clippy::too_many_arguments)]
fn household(
    g: &mut Gen,
    cid: i64,
    cname: &str,
    room: i64,
    rpath: &str,
    cpath: &str,
    rented: bool,
    size: usize,
    group: i64,
) -> anyhow::Result<usize> {
    let hid = g.ids.household;
    g.ids.household += 1;
    g.summary.households += 1;
    let members = g.members(size);
    let moved_in = if rented {
        date_between(&mut g.rng, anchor() - Duration::days(3 * 365), anchor())
    } else {
        date_between(
            &mut g.rng,
            anchor() - Duration::days(25 * 365),
            anchor() - Duration::days(30),
        )
    };
    g.batch.households.push(vec![
        v(hid),
        v(cid),
        v(room),
        v(format!("{:09}", hid)),
        v(group),
        v(moved_in),
    ]);
    let origin = *g.rng.pick(ORIGINS);
    let all_elderly = members
        .iter()
        .all(|m| anchor().years_since(m.birth).unwrap_or(0) >= 65);
    let household_size = members.len();
    let mut head_id = None;
    for m in &members {
        let pid = g.ids.person;
        g.ids.person += 1;
        g.summary.people += 1;
        if head_id.is_none() {
            head_id = Some(pid);
            // The first household of a 十联户 group gives the group its leader.
            if let Some(last) = g.batch.groups.last_mut()
                && last[0] == Value::Int(group)
                && last[4] == Value::Null
            {
                last[4] = v(pid);
            }
        }
        let age = i64::from(anchor().years_since(m.birth).unwrap_or(0));
        let region = if rented {
            origin.0
        } else {
            *g.rng.pick(LOCAL_REGIONS)
        };
        // Some babies are not yet registered (未落户): a birth certificate, no ID number.
        let unregistered = age == 0 && !rented && g.rng.chance(0.2);
        let id = if unregistered {
            None
        } else {
            Some(g.id_number(region, m.birth, m.male)?)
        };
        let birth_cert =
            unregistered.then(|| format!("Q{}{:08}", &region[..2], g.rng.below(100_000_000)));
        let keys = NameKeys::of(&m.name);
        let has_phone = age >= 14 && g.rng.chance(0.92);
        let ph = has_phone.then(|| phone(&mut g.rng));
        let ethnicity = g.rng.weighted(ETHNIC);
        let since = moved_in.max(m.birth);
        // A few grown children have moved away: their record stays, their residence is closed.
        let left = m.relation != "户主" && (18..40).contains(&age) && g.rng.chance(0.03);
        let employment = g.employment(age);
        // Sealed at flush time, on every core (see `Batch::seal_persons`).
        let (id_sealed, id_blind, id_tail) = (
            id.as_ref().map(|i| i.as_str().to_string()),
            None::<String>,
            None::<String>,
        );
        let (phone_sealed, phone_blind, phone_tail) = (ph.clone(), None::<String>, None::<String>);
        g.batch.persons.push(vec![
            v(pid),
            v(cid),
            v(if left { cpath } else { rpath }),
            v(!left),
            v(m.name.as_str()),
            v(keys.full),
            v(keys.initials),
            v(id_sealed),
            v(id_blind),
            v(id_tail),
            v(birth_cert.as_ref().map(|_| "出生医学证明")),
            v(birth_cert.clone()),
            v(if m.male { "男" } else { "女" }),
            v(m.birth),
            v(phone_sealed),
            v(phone_blind),
            v(phone_tail),
            v(ethnicity),
            v(if unregistered {
                "未落户"
            } else if rented {
                "流动"
            } else {
                "户籍"
            }),
            v(!rented && !unregistered),
            v(employment),
            v(g.created_at.as_str()),
            v(g.created_at.as_str()),
        ]);
        let rid = g.ids.residence;
        g.ids.residence += 1;
        let (out_on, out_reason) = if left {
            let d = date_between(&mut g.rng, since, anchor());
            (Some(d), Some("外出工作，迁往外地"))
        } else {
            (None, None)
        };
        let relation = if rented && m.relation == "户主" {
            "户主"
        } else {
            m.relation
        };
        g.batch.residences.push(vec![
            v(rid),
            v(cid),
            v(pid),
            v(hid),
            v(room),
            v(relation),
            v(since),
            v(out_on),
            v(out_reason),
        ]);
        if left {
            continue;
        }
        if rented {
            let mut d = BTreeMap::new();
            d.insert("origin", origin.1.to_string());
            d.insert("arrived_on", since.to_string());
            let cat = if age >= 18 {
                g.rng
                    .weighted(&[("务工", 70), ("经商", 15), ("随迁", 10), ("投亲", 5)])
            } else {
                "随迁"
            };
            g.tag(cid, Some(pid), None, "floating", Some(cat), None, d, since)?;
        }
        g.person_tags(
            cid,
            cname,
            pid,
            m,
            age,
            since,
            household_size == 1,
            household_size == 2 && all_elderly,
        )?;
    }
    // Household-level groups.
    let since = date_between(&mut g.rng, moved_in, anchor());
    if !rented && g.rng.chance(0.027) {
        let cat = g.rng.weighted(&[("A类", 20), ("B类", 50), ("C类", 30)]);
        let per = match cat {
            "A类" => 680,
            "B类" => 500,
            _ => 300,
        };
        let mut d = BTreeMap::new();
        d.insert("household_size", size.to_string());
        d.insert("amount", format!("{:.2}", (per * size) as f64));
        d.insert(
            "review_on",
            (anchor() - Duration::days(g.rng.range(0, 300))).to_string(),
        );
        g.tag(cid, None, Some(hid), "dibao", Some(cat), None, d, since)?;
    } else if g.rng.chance(0.003) {
        let cat = if g.rng.chance(0.6) {
            "脱贫户"
        } else {
            "监测户"
        };
        g.tag(
            cid,
            None,
            Some(hid),
            "poverty_watch",
            Some(cat),
            None,
            BTreeMap::new(),
            since,
        )?;
    }
    if !rented && g.rng.chance(0.002) {
        g.tag(
            cid,
            None,
            Some(hid),
            "family_planning",
            Some("特别扶助"),
            None,
            BTreeMap::new(),
            since,
        )?;
    }
    Ok(members.len())
}

/// (kind, name suffix) by weight.
const UNIT_KINDS: &[((&str, &str), u32)] = &[
    (("商铺", "便利店"), 20),
    (("商铺", "五金店"), 8),
    (("商铺", "水果店"), 7),
    (("餐饮", "饭店"), 12),
    (("餐饮", "米线馆"), 8),
    (("个体工商户", "理发店"), 8),
    (("个体工商户", "维修部"), 7),
    (("企业", "科技有限公司"), 9),
    (("企业", "商贸有限公司"), 6),
    (("学校", "小学"), 1),
    (("幼儿园", "幼儿园"), 2),
    (("医疗机构", "诊所"), 3),
    (("物业公司", "物业服务有限公司"), 2),
    (("社会组织", "社会工作服务中心"), 1),
    (("机关事业单位", "服务站"), 1),
    (("其他", "仓库"), 2),
];
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

fn unit(g: &mut Gen, cid: i64, grid: i64, gpath: &str, cname: &str) -> anyhow::Result<()> {
    let (kind, suffix) = g.rng.weighted(UNIT_KINDS);
    let id = g.ids.unit;
    g.ids.unit += 1;
    g.summary.units += 1;
    let male = g.rng.chance(0.5);
    let owner = format!(
        "{}{}",
        names::surname(&mut g.rng),
        names::given(&mut g.rng, male)
    );
    let name = format!(
        "{cname}{}{suffix}",
        owner.chars().skip(1).take(1).collect::<String>()
    );
    let lead = if kind == "企业" || kind == "物业公司" {
        "91"
    } else if kind == "个体工商户" || kind == "商铺" || kind == "餐饮" {
        "92"
    } else {
        "12"
    };
    let mut first17 = format!("{lead}530199");
    for _ in 0..9 {
        first17.push(char::from(*g.rng.pick(ALPHABET)));
    }
    let code = CreditCode::generate(&first17)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("生成统一社会信用代码")?;
    let signed = |g: &mut Gen| {
        g.rng
            .chance(0.7)
            .then(|| date_between(&mut g.rng, anchor() - Duration::days(700), anchor()))
    };
    let safety = signed(g);
    let fire = signed(g);
    let employees = g.rng.range(1, if kind == "企业" { 120 } else { 12 });
    let ph = g.sealer.seal(Field::ContactPhone, &phone(&mut g.rng))?;
    g.batch.units.push(vec![
        v(id),
        v(cid),
        v(grid),
        v(gpath),
        v(name),
        v(kind),
        v(code.as_str()),
        v(format!("{cname}社区{}号商铺", g.rng.range(1, 300))),
        v(owner),
        v(ph),
        v(employees),
        v(safety),
        v(fire),
        v(g.created_at.as_str()),
        v(g.created_at.as_str()),
    ]);
    Ok(())
}

/// One login per role, each scoped the way such a worker would be.
fn create_users(conn: &mut Conn, password: Option<&str>) -> anyhow::Result<Vec<DemoLogin>> {
    let first = |conn: &mut Conn, kind: &str| -> anyhow::Result<(i64, String)> {
        let r = conn.query_one(
            &format!("SELECT id, name FROM org_nodes WHERE kind = '{kind}' ORDER BY id LIMIT 1"),
            &[],
        )?;
        Ok((r.get(0)?, r.get(1)?))
    };
    let district = first(conn, "district")?;
    let street = first(conn, "street")?;
    let community = first(conn, "community")?;
    let grid = first(conn, "grid")?;
    let plan = [
        ("admin", "系统管理员", Role::Admin, &district),
        ("quji", "区级管理员 赵伟", Role::DistrictAdmin, &district),
        ("anquan", "安全管理员 陈静", Role::SecurityAdmin, &district),
        ("shenji", "审计员 周平", Role::Auditor, &district),
        ("jiedao", "街道 李主任", Role::StreetStaff, &street),
        ("shuji", "社区 王书记", Role::CommunityHead, &community),
        ("zhuangan", "民政专干 刘芳", Role::LineWorker, &community),
        ("wangge", "网格员 张敏", Role::GridWorker, &grid),
    ];
    let mut out = Vec::new();
    for (username, display, role, area) in plan {
        let pw = match password {
            Some(p) => p.to_string(),
            None => users::random_password()?,
        };
        users::create(
            conn,
            &users::NewUser {
                username,
                display_name: display,
                password: &pw,
                role,
                scope: &[area.0],
            },
        )?;
        out.push(DemoLogin {
            username: username.into(),
            password: pw,
            role,
            area: area.1.clone(),
        });
    }
    Ok(out)
}
