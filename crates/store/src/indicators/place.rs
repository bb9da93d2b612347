//! The one rule for *where* a figure is counted: an event counts for the node where it happened
//! as the tree was on that day, and a registry count for the node as the tree was on the day it
//! is taken. Records carry their current `area_path` (a move rewrites it), so the tree of an
//! earlier day is rebuilt from the dated moves in `node_events`: a building that moved from
//! grid 1 to grid 2 on 1 June counts for grid 1 until 31 May and for grid 2 from then on.
//!
//! Moves stay inside a community, so a community and everything above it is always its own
//! subtree; below it, a period is cut at each move into pieces with a constant tree.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate};

use crate::db::{Conn, Value, prefix_end};
use crate::error::StoreResult;
use crate::params;
use crate::registry::tree::Node;
use shequ_domain::registry::org::NodeKind;

/// Where records of a node sit, in today's paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Area {
    /// A node and everything under it.
    Subtree(String),
    /// The node alone (part of its subtree was elsewhere on those days).
    Exact(String),
}

/// Days over which the node was made of the same areas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub areas: Vec<Area>,
}

/// How a record's day is stored, so a period of local days can bound it.
#[derive(Debug, Clone, Copy)]
pub enum Day<'a> {
    /// A `YYYY-MM-DD` column (a visit's day, a case's dates).
    Date(&'a str),
    /// An RFC 3339 UTC instant (a ticket's `reported_at`): the local days' bounds in UTC.
    Instant(&'a str),
}

/// A node over a run of days: the pieces its records are found in.
#[derive(Debug, Clone)]
pub struct Place {
    pub pieces: Vec<Piece>,
}

impl Place {
    /// The SQL condition "this record happened in this place on a day of the period", for a
    /// record whose area path is `path` and whose day is `day`, with its values in order.
    pub fn events(&self, path: &str, day: Day<'_>) -> (String, Vec<Value>) {
        let mut ors = Vec::new();
        let mut args = Vec::new();
        for piece in &self.pieces {
            if piece.areas.is_empty() {
                continue;
            }
            let (when, mut when_args) = match day {
                Day::Date(col) => (
                    format!("{col} >= ? AND {col} <= ?"),
                    vec![Value::from(piece.first), Value::from(piece.last)],
                ),
                Day::Instant(col) => (
                    format!("{col} >= ? AND {col} < ?"),
                    vec![
                        Value::from(crate::clock::local_day_start_utc(piece.first)),
                        Value::from(crate::clock::local_day_start_utc(
                            piece.last + Duration::days(1),
                        )),
                    ],
                ),
            };
            let (wher, where_args) = areas_sql(&piece.areas, path);
            ors.push(format!("(({when}) AND ({wher}))"));
            args.append(&mut when_args);
            args.extend(where_args);
        }
        if ors.is_empty() {
            return ("1 = 0".into(), args);
        }
        (format!("({})", ors.join(" OR ")), args)
    }

    /// The condition "this record sits in this place" for a place taken on one day (a registry
    /// count as of a date): the areas alone.
    pub fn areas(&self, path: &str) -> (String, Vec<Value>) {
        let areas: Vec<Area> = self
            .pieces
            .iter()
            .flat_map(|p| p.areas.iter().cloned())
            .collect();
        if areas.is_empty() {
            return ("1 = 0".into(), Vec::new());
        }
        let (sql, args) = areas_sql(&areas, path);
        (format!("({sql})"), args)
    }
}

fn areas_sql(areas: &[Area], path: &str) -> (String, Vec<Value>) {
    let mut parts = Vec::new();
    let mut args = Vec::new();
    for a in areas {
        match a {
            Area::Subtree(p) => {
                parts.push(format!("({path} >= ? AND {path} < ?)"));
                args.push(Value::from(p.as_str()));
                args.push(Value::from(prefix_end(p)));
            }
            Area::Exact(p) => {
                parts.push(format!("{path} = ?"));
                args.push(Value::from(p.as_str()));
            }
        }
    }
    (parts.join(" OR "), args)
}

/// `node` over the days `first` to `last`, as the tree was on each of them.
pub fn over(conn: &mut Conn, node: &Node, first: NaiveDate, last: NaiveDate) -> StoreResult<Place> {
    let whole = || Place {
        pieces: vec![Piece {
            first,
            last,
            areas: vec![Area::Subtree(node.path.clone())],
        }],
    };
    let Some(community) = node
        .community_id
        .filter(|_| node.kind > NodeKind::Community)
    else {
        return Ok(whole());
    };
    // Moves on or before the first day are in today's paths already, and stay so unless a
    // later move undoes them: only later moves can make that day's tree differ from today's.
    let mut moves = Vec::new();
    for r in conn.query(
        "SELECT node_id, from_parent_id, happened_on FROM node_events
         WHERE community_id = ? AND kind = 'moved' AND happened_on > ? ORDER BY happened_on, id",
        params![community, first],
    )? {
        let from: Option<i64> = r.get(1)?;
        if let Some(from) = from {
            moves.push(Move {
                node: r.get(0)?,
                from,
                on: r.get(2)?,
            });
        }
    }
    if moves.is_empty() {
        return Ok(whole());
    }
    let mut nodes = Vec::new();
    for r in conn.query(
        "SELECT id, parent_id, path FROM org_nodes WHERE community_id = ? AND id <> ?",
        params![community, community],
    )? {
        nodes.push(TreeNode {
            id: r.get(0)?,
            parent: r.get(1)?,
            path: r.get(2)?,
        });
    }
    Ok(Place {
        pieces: pieces_from(&nodes, &moves, node.id, first, last),
    })
}

/// `node` on one day (a registry count as of it).
pub fn on(conn: &mut Conn, node: &Node, day: NaiveDate) -> StoreResult<Place> {
    over(conn, node, day, day)
}

#[derive(Debug, Clone)]
struct TreeNode {
    id: i64,
    parent: Option<i64>,
    path: String,
}

/// A dated move: from `on` the node sits under its new parent (today's, or the next move's
/// `from`); before it, under `from`.
#[derive(Debug, Clone)]
struct Move {
    node: i64,
    from: i64,
    on: NaiveDate,
}

/// The pieces of `target` from `first` to `last`, given today's tree and the moves after
/// `first` (in the order they happened).
fn pieces_from(
    nodes: &[TreeNode],
    moves: &[Move],
    target: i64,
    first: NaiveDate,
    last: NaiveDate,
) -> Vec<Piece> {
    let mut starts = vec![first];
    for m in moves {
        if m.on > first && m.on <= last && starts.last() != Some(&m.on) {
            starts.push(m.on);
        }
    }
    let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        if let Some(p) = n.parent {
            children.entry(p).or_default().push(i);
        }
    }
    let mut pieces: Vec<Piece> = Vec::new();
    for (i, start) in starts.iter().enumerate() {
        let end = starts
            .get(i + 1)
            .map_or(last, |next| *next - Duration::days(1));
        // The tree on `start`: today's parents, with every later move undone, latest first.
        let mut parent: HashMap<i64, Option<i64>> =
            nodes.iter().map(|n| (n.id, n.parent)).collect();
        for m in moves.iter().rev().filter(|m| m.on > *start) {
            parent.insert(m.node, Some(m.from));
        }
        let members = members_of(nodes, &parent, target);
        let mut areas = Vec::new();
        for (idx, n) in nodes.iter().enumerate() {
            let parent_is_member = n.parent.is_some_and(|p| members.contains(&p));
            if members.contains(&n.id) && !parent_is_member {
                cover(nodes, &children, &members, idx, &mut areas);
            }
        }
        areas.sort_by(|a, b| area_key(a).cmp(area_key(b)));
        match pieces.last_mut() {
            Some(prev) if prev.areas == areas => prev.last = end,
            _ => pieces.push(Piece {
                first: *start,
                last: end,
                areas,
            }),
        }
    }
    pieces
}

fn area_key(a: &Area) -> &str {
    match a {
        Area::Subtree(p) | Area::Exact(p) => p,
    }
}

/// The nodes that had `target` among their ancestors (or were it) under `parent`.
fn members_of(nodes: &[TreeNode], parent: &HashMap<i64, Option<i64>>, target: i64) -> HashSet<i64> {
    let mut known: HashMap<i64, bool> = HashMap::new();
    known.insert(target, true);
    for n in nodes {
        let mut chain = Vec::new();
        let mut at = Some(n.id);
        let answer = loop {
            let Some(id) = at else { break false };
            if let Some(k) = known.get(&id) {
                break *k;
            }
            if chain.contains(&id) {
                break false; // a cycle can only come from inconsistent history: count nothing
            }
            chain.push(id);
            at = parent.get(&id).copied().flatten();
        };
        for id in chain {
            known.insert(id, answer);
        }
    }
    known
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(id, _)| id)
        .collect()
}

/// Today's subtree of `nodes[idx]` (a member) as areas: whole when every node in it is a
/// member, else the node itself and its member children, recursively.
fn cover(
    nodes: &[TreeNode],
    children: &HashMap<i64, Vec<usize>>,
    members: &HashSet<i64>,
    idx: usize,
    out: &mut Vec<Area>,
) {
    let n = &nodes[idx];
    if all_members(nodes, children, members, n.id) {
        out.push(Area::Subtree(n.path.clone()));
        return;
    }
    out.push(Area::Exact(n.path.clone()));
    for &c in children.get(&n.id).map_or(&[][..], Vec::as_slice) {
        if members.contains(&nodes[c].id) {
            cover(nodes, children, members, c, out);
        }
    }
}

fn all_members(
    nodes: &[TreeNode],
    children: &HashMap<i64, Vec<usize>>,
    members: &HashSet<i64>,
    id: i64,
) -> bool {
    let mut stack = vec![id];
    while let Some(x) = stack.pop() {
        if !members.contains(&x) {
            return false;
        }
        for &c in children.get(&x).map_or(&[][..], Vec::as_slice) {
            stack.push(nodes[c].id);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// Community 1 with grids 10 and 20; buildings 11 (grid 10) and 21, 22 (grid 20, where 22
    /// moved from grid 10 on 1 June); room 111 in building 11, room 221 in building 22.
    fn tree() -> Vec<TreeNode> {
        let n = |id, parent, path: &str| TreeNode {
            id,
            parent: Some(parent),
            path: path.to_string(),
        };
        vec![
            n(10, 1, "/1/10/"),
            n(20, 1, "/1/20/"),
            n(11, 10, "/1/10/11/"),
            n(111, 11, "/1/10/11/111/"),
            n(21, 20, "/1/20/21/"),
            n(22, 20, "/1/20/22/"),
            n(221, 22, "/1/20/22/221/"),
        ]
    }

    fn moved_in_june() -> Vec<Move> {
        vec![Move {
            node: 22,
            from: 10,
            on: d("2024-06-01"),
        }]
    }

    #[test]
    fn a_building_counts_for_its_old_grid_until_the_day_it_moved() {
        let old = pieces_from(
            &tree(),
            &moved_in_june(),
            10,
            d("2024-01-01"),
            d("2024-12-31"),
        );
        assert_eq!(
            old,
            vec![
                Piece {
                    first: d("2024-01-01"),
                    last: d("2024-05-31"),
                    areas: vec![
                        Area::Subtree("/1/10/".into()),
                        Area::Subtree("/1/20/22/".into())
                    ],
                },
                Piece {
                    first: d("2024-06-01"),
                    last: d("2024-12-31"),
                    areas: vec![Area::Subtree("/1/10/".into())],
                },
            ]
        );
        let new = pieces_from(
            &tree(),
            &moved_in_june(),
            20,
            d("2024-01-01"),
            d("2024-12-31"),
        );
        assert_eq!(
            new,
            vec![
                Piece {
                    first: d("2024-01-01"),
                    last: d("2024-05-31"),
                    areas: vec![
                        Area::Exact("/1/20/".into()),
                        Area::Subtree("/1/20/21/".into())
                    ],
                },
                Piece {
                    first: d("2024-06-01"),
                    last: d("2024-12-31"),
                    areas: vec![Area::Subtree("/1/20/".into())],
                },
            ]
        );
    }

    #[test]
    fn a_move_after_the_period_is_undone_for_all_of_it() {
        let p = pieces_from(
            &tree(),
            &moved_in_june(),
            20,
            d("2024-01-01"),
            d("2024-03-31"),
        );
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].areas,
            vec![
                Area::Exact("/1/20/".into()),
                Area::Subtree("/1/20/21/".into())
            ]
        );
        let building = pieces_from(
            &tree(),
            &moved_in_june(),
            22,
            d("2024-01-01"),
            d("2024-12-31"),
        );
        assert_eq!(building.len(), 1, "a building is itself wherever it stands");
        assert_eq!(building[0].areas, vec![Area::Subtree("/1/20/22/".into())]);
    }

    #[test]
    fn a_room_moved_later_splits_its_old_building_into_the_node_and_the_rest() {
        // Today room 221 is in building 11 (grid 10) and building 22 in grid 20. Building 22
        // came from grid 10 on 1 March; room 221 left it for building 11 on 1 September.
        let mut nodes = tree();
        for n in &mut nodes {
            if n.id == 221 {
                n.parent = Some(11);
                n.path = "/1/10/11/221/".into();
            }
        }
        let moves = vec![
            Move {
                node: 22,
                from: 10,
                on: d("2024-03-01"),
            },
            Move {
                node: 221,
                from: 22,
                on: d("2024-09-01"),
            },
        ];
        let p = pieces_from(&nodes, &moves, 10, d("2024-01-01"), d("2024-12-31"));
        let s = |x: &str| Area::Subtree(x.into());
        let e = |x: &str| Area::Exact(x.into());
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!((p[0].first, p[0].last), (d("2024-01-01"), d("2024-02-29")));
        assert_eq!(p[0].areas, vec![s("/1/10/"), s("/1/20/22/")]);
        assert_eq!((p[1].first, p[1].last), (d("2024-03-01"), d("2024-08-31")));
        assert_eq!(
            p[1].areas,
            vec![e("/1/10/"), e("/1/10/11/"), s("/1/10/11/111/")],
            "room 221 was in building 22, in grid 20, those months"
        );
        assert_eq!((p[2].first, p[2].last), (d("2024-09-01"), d("2024-12-31")));
        assert_eq!(p[2].areas, vec![s("/1/10/")]);
        let twenty = pieces_from(&nodes, &moves, 20, d("2024-03-01"), d("2024-08-31"));
        assert_eq!(
            twenty[0].areas,
            vec![s("/1/10/11/221/"), s("/1/20/")],
            "grid 20 had building 22 with its room"
        );
    }

    #[test]
    fn the_sql_bounds_each_piece_by_its_days_and_areas() {
        let place = Place {
            pieces: pieces_from(
                &tree(),
                &moved_in_june(),
                10,
                d("2024-01-01"),
                d("2024-12-31"),
            ),
        };
        let (sql, args) = place.events("area_path", Day::Date("happened_on"));
        assert_eq!(sql.matches("happened_on >= ?").count(), 2);
        assert_eq!(args.len(), 2 * 2 + 4 + 2);
        let (sql, args) = place.areas("area_path");
        assert_eq!(sql.matches("area_path >= ?").count(), 3);
        assert_eq!(args.len(), 6);
    }
}
